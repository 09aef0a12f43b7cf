/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo(1): what the subcommands share: the device, its sysfs
 * counters, number parsing and the error conventions (exit 2 for bad
 * usage, 1 for failures at run time).
 */
#ifndef FAULTDEMO_TOOL_COMMON_H
#define FAULTDEMO_TOOL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/faultdemo.h>

#ifndef FAULTDEMO_VERSION
#define FAULTDEMO_VERSION	"0.1.0"
#endif

#define FD_DEV			"/dev/faultdemo"
#define FD_CLASS_DIR		"/sys/class/misc/faultdemo"
#define FD_STATS_DIR		FD_CLASS_DIR "/stats"
#define FD_MODULE_DIR		"/sys/module/faultdemo"
#define FD_PARAM_DIR		FD_MODULE_DIR "/parameters"
#define FD_FAB_PATH		"/sys/kernel/debug/fault_around_bytes"

#define FD_EXIT_OK		0
#define FD_EXIT_FAIL		1
#define FD_EXIT_USAGE		2

#ifndef BIT
#define BIT(nr)			(1UL << (nr))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif

/* Counters of /sys/class/misc/faultdemo/stats, in the order shown. */
enum fd_stat {
	FD_STAT_FAULT_READ,
	FD_STAT_FAULT_COW,
	FD_STAT_FAULT_SHARED,
	FD_STAT_MAP_PAGES,
	FD_STAT_PAGE_MKWRITE,
	FD_STAT_SIGBUS,
	FD_STAT_READAHEAD,
	FD_STAT_CLEAN,
	FD_STAT_PAGES_CACHED,
	FD_STAT_FAULT_MAJOR,
	FD_STAT_FAULT_RETRY,
	FD_STAT_PAGES_READ,
	FD_STAT_PAGES_WRITTEN,
	FD_STAT_WRITEBACK_ERRORS,
	FD_STAT_FAULT_PMD,
	FD_STAT_MAP_PAGES_PMD,
	FD_STAT_NR
};

struct fd_stats {
	long long v[FD_STAT_NR];	/* -1: file missing or unreadable */
};

extern const char * const fd_stat_names[FD_STAT_NR];

/* util.c */
extern const char *fd_prog;
void fd_err(const char *fmt, ...);
void fd_hint(const char *fmt, ...);
int fd_usage_error(const char *fmt, ...);
void fd_errno_hint(int err, const char *what);
int fd_read_file(const char *path, char *buf, size_t len);
int fd_write_file(const char *path, const char *val);
int fd_parse_u64(const char *s, __u64 *val);
int fd_read_u64(const char *path, __u64 *val);
int fd_open_dev(int flags);
int fd_geometry(int fd, struct faultdemo_geometry *g);
int fd_fault_around_bytes(__u64 *val);
/* The backing device's path, "" in RAM mode; and its bdi's name. */
int fd_backing(char *path, size_t len, char *bdi, size_t bdilen);
size_t fd_page_size(void);
void fd_prefault_stack(void);

/* stats.c */
int fd_stats_read(struct fd_stats *s);
int fd_stats_reset(void);
int cmd_stats(int argc, char **argv);
int cmd_reset(int argc, char **argv);

/* tour.c */
int cmd_tour(int argc, char **argv);

/* trace.c */
int cmd_trace(int argc, char **argv);

#endif /* FAULTDEMO_TOOL_COMMON_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the faultdemo kselftests: device, counters, module
 * parameters, /proc/self/{pagemap,smaps}, debugfs/tracefs and module
 * (re)loading.  Functions return 0 or a negative errno unless noted.
 */
#ifndef FAULTDEMO_HELPERS_H
#define FAULTDEMO_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include <linux/faultdemo.h>

#define FDEMO_DEV		"/dev/faultdemo"
#define FDEMO_CLASS_DIR		"/sys/class/misc/faultdemo"
#define FDEMO_STATS_DIR		FDEMO_CLASS_DIR "/stats"
#define FDEMO_MODULE_DIR	"/sys/module/faultdemo"
#define FDEMO_PARAM_DIR		FDEMO_MODULE_DIR "/parameters"
#define FDEMO_FAB_PATH		"/sys/kernel/debug/fault_around_bytes"

/* Defaults of the module parameters. */
#define FDEMO_DEF_SIZE		(64ULL << 20)
#define FDEMO_DEF_RESERVED	(1024ULL * 1024)
#define FDEMO_DEF_READAHEAD	15
/* Default of /sys/kernel/debug/fault_around_bytes */
#define FDEMO_DEF_FAB		65536

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef BIT_ULL
#define BIT_ULL(nr)		(1ULL << (nr))
#endif
#ifndef fallthrough
#define fallthrough		__attribute__((__fallthrough__))
#endif

/* /proc/pid/pagemap, Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN_MASK		(BIT_ULL(55) - 1)
#define PM_EXCLUSIVE		BIT_ULL(56)
#define PM_FILE			BIT_ULL(61)
#define PM_SWAP			BIT_ULL(62)
#define PM_PRESENT		BIT_ULL(63)

/* Pages [0, FDEMO_SCRATCH_PAGES) are reused by tests that want warm pages. */
#define FDEMO_SCRATCH_PAGES	256

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif

struct fdemo_stats {
	__u64 fault_read;
	__u64 fault_cow;
	__u64 fault_shared;
	__u64 map_pages;
	__u64 page_mkwrite;
	__u64 sigbus;
	__u64 readahead;
	__u64 clean;
	__u64 pages_cached;
	__u64 fault_major;
	__u64 fault_retry;
	__u64 pages_read;
	__u64 pages_written;
	__u64 writeback_errors;
};

struct fdemo_sig {
	int signo;
	int code;
	void *addr;
	__u64 value;
};

size_t fdemo_page_size(void);

/* Sysfs and other small text files. */
int fdemo_read_file(const char *path, char *buf, size_t len);
int fdemo_write_file(const char *path, const char *val);
int fdemo_parse_u64(const char *s, __u64 *val);
int fdemo_read_u64(const char *path, __u64 *val);

/* The device. */
int fdemo_open(int flags);
int fdemo_geometry(int fd, struct faultdemo_geometry *g);
int fdemo_clean(int fd, __u64 offset, __u64 length, __u64 *cleaned);

/* Counters. */
int fdemo_stat(const char *name, __u64 *val);
int fdemo_stats(struct fdemo_stats *s);
void fdemo_stats_sub(const struct fdemo_stats *after,
		     const struct fdemo_stats *before, struct fdemo_stats *d);
/* What the counters did since @since: @d = now - @since, then @since = now. */
int fdemo_stats_delta(struct fdemo_stats *since, struct fdemo_stats *d);
int fdemo_stats_reset(void);
/* stats/folios_cached: folios in the page cache by order, 0..9 (0 if absent). */
int fdemo_folios_cached(long counts[10]);
void fdemo_stats_print(const char *what, const struct fdemo_stats *s);

/* Module parameters. */
int fdemo_param_get(const char *name, __u64 *val);
int fdemo_param_set(const char *name, const char *val);
int fdemo_param_set_u64(const char *name, __u64 val);
int fdemo_set_defaults(void);

/* Data patterns: the 64-bit word at byte offset @off of the device. */
__u64 fdemo_pattern(__u64 seed, __u64 off);
/* @len bytes (a multiple of 8) of the pattern at device offset @off. */
void fdemo_pattern_fill(void *buf, __u64 off, size_t len, __u64 seed);
int fdemo_fill(int fd, __u64 off, size_t len, __u64 seed);
long fdemo_check(const void *buf, __u64 off, size_t len, __u64 seed);
int fdemo_check_dev(int fd, __u64 off, size_t len, __u64 seed);
__u64 fdemo_seed(void);

static inline __u64 fdemo_peek(const void *p)
{
	return __atomic_load_n((const __u64 *)p, __ATOMIC_RELAXED);
}

static inline void fdemo_poke(void *p, __u64 v)
{
	__atomic_store_n((__u64 *)p, v, __ATOMIC_RELAXED);
}

/* Touch (read) one word in each of @npages pages. */
void fdemo_touch(const void *addr, size_t npages);
/* Store one word in each of @npages pages. */
void fdemo_dirty(void *addr, size_t npages, __u64 val);

/* Kernel evidence. */
int fdemo_pagemap(const void *addr, size_t npages, __u64 *ents);
__u64 fdemo_pagemap_one(const void *addr);
long fdemo_pagemap_count(const void *addr, size_t npages, __u64 mask,
			 __u64 want);
long fdemo_resident(const void *addr, size_t npages);
long fdemo_faults(void);
long fdemo_major_faults(void);
long fdemo_smaps_kb(const void *addr, const char *field);
int fdemo_smaps_vmflags(const void *addr, char *buf, size_t len);
long long fdemo_maps_offset(const void *addr);
bool fdemo_vmflag(const char *vmflags, const char *flag);
long fdemo_meminfo_kb(const char *field);
/* Running kernel's version as (major << 16 | minor << 8). */
#define FDEMO_KVER(major, minor)	((major) << 16 | (minor) << 8)
int fdemo_kernel_version(void);

/* Signals: access @addr, return the signal number raised or 0. */
int fdemo_probe(void *addr, bool write, __u64 val, struct fdemo_sig *sig);

/* Mappings. */
void *fdemo_mmap_aligned(int fd, size_t len, int prot, int flags, off_t off,
			 size_t align);
long fdemo_find_cold(size_t npages, size_t align);
long fdemo_cached_in(__u64 first_page, size_t npages);

/*
 * Does the running kernel have CONFIG_TRANSPARENT_HUGEPAGE? Without it
 * (Debian's PREEMPT_RT kernel) the module refuses folio_order above 0,
 * and neither it nor ext4 places big mappings on 2 MiB.
 */
bool fdemo_have_thp(void);
#define FDEMO_NO_THP	"kernel without CONFIG_TRANSPARENT_HUGEPAGE (PREEMPT_RT)"

/*
 * Tests that change the machine for everyone (a page of RAM retired by
 * soft-offline, the kernel-wide fault-around size) run only with
 * FAULTDEMO_DESTRUCTIVE=1, which the VM runs set.
 */
bool fdemo_destructive_ok(void);
#define FDEMO_DESTRUCTIVE_WHY	"changes the machine: set FAULTDEMO_DESTRUCTIVE=1 (make check does, in its VM)"

/* debugfs, tracefs. */
int fdemo_fab_get(__u64 *val);
int fdemo_fab_set(__u64 val);
const char *fdemo_tracefs(void);

/*
 * A private tracefs instance with @events ("system/event") enabled,
 * filtered on this process if @pid_only. Its path goes to @inst.
 */
int fdemo_trace_start(char *inst, size_t len, const char * const *events,
		      size_t nevents, bool pid_only);
/* The instance's "trace", open for reading; NULL with errno on failure. */
FILE *fdemo_trace_open(const char *inst);
/* Lines of the instance's trace that contain @needle and @needle2 (if set). */
long fdemo_trace_count(const char *inst, const char *needle,
		       const char *needle2);
void fdemo_trace_stop(const char *inst, const char * const *events,
		      size_t nevents);

/* Module loading. */
const char *fdemo_ko(void);
bool fdemo_loaded(void);
int fdemo_load(const char *params);
int fdemo_unload(void);
int fdemo_unload_retry(void);
int fdemo_reload(const char *params);
/*
 * For programs that reload the module with other parameters: when this
 * process (not a child) exits, load it again with its defaults.
 */
void fdemo_reload_defaults_at_exit(void);

/* /dev/kmsg: open at the end, later look for @needle in new records. */
int fdemo_kmsg_open(void);
bool fdemo_kmsg_find(int fd, const char *needle);

#endif /* FAULTDEMO_HELPERS_H */

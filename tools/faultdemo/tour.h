/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo(1) tour: one row per fault path. A row holds what the program
 * did, the kernel path it should take, the evidence measured while it
 * ran, and the checks that evidence must pass (computed from the state
 * before the step, never from a table of constants).
 */
#ifndef FAULTDEMO_TOUR_H
#define FAULTDEMO_TOUR_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "common.h"
#include "ktrace.h"
#include "probe.h"
#include "swap.h"

/* A field not measured in this row: JSON null, not shown in the table. */
#define EV_UNKNOWN	(-(1LL << 62))

enum tour_field {
	TF_MINFLT,		/* getrusage() minor faults during the step */
	TF_MAJFLT,		/* ... major faults */
	TF_FAULTS,		/* both */
	TF_PRESENT_BEFORE,	/* pages of the row's mapping present before */
	TF_PRESENT,		/* change in present pages over the step */
	/* changes of the device's counters over the step */
	TF_FAULT_READ,
	TF_FAULT_COW,
	TF_FAULT_SHARED,
	TF_MAP_PAGES,
	TF_PAGE_MKWRITE,
	TF_SIGBUS,
	TF_READAHEAD,
	TF_FAULT_MAJOR,
	TF_FAULT_RETRY,
	TF_PAGES_READ,
	TF_PAGES_WRITTEN,
	TF_FAULT_PMD,
	TF_MAP_PAGES_PMD,
	TF_PAGES_CACHED,
	TF_DEVICE_TOTAL,	/* sum of the handler counters above */
	/* pagemap and smaps after the step, and comparisons */
	TF_EXCLUSIVE_BEFORE,
	TF_EXCLUSIVE,
	TF_FILE,
	TF_ZERO_PFN_SHARED,
	TF_PFN_CHANGED,
	TF_RSS_KB,
	TF_VMA_PFNMAP,
	TF_PRIVATE_REFUSED,
	TF_SWAPPED_BEFORE,
	TF_SWAPPED,
	TF_DATA_OK,
	TF_DEVICE_UNCHANGED,
	TF_CLEANED,
	/* the backing device: its /sys/block stat, the page cache */
	TF_SECTORS_READ,
	TF_SECTORS_WRITTEN,
	TF_CACHED_BEFORE,
	TF_REPROTECTED,		/* the next store faulted into .page_mkwrite */
	/* large folios: smaps, vmstat, the folio pagemap shows */
	TF_FILE_PMD_MAPPED_KB,
	TF_THP_FILE_MAPPED,
	TF_FOLIO_PAGES,		/* pages physically contiguous from the first */
	/* the signal, if any */
	TF_SIGNO,
	TF_SI_CODE,
	TF_SI_ADDR_OK,
	TF_TRAPNO,
	TF_ERROR_CODE,
	TF_ERR_PROT,
	TF_ERR_WRITE,
	TF_ERR_USER,
	TF_ERR_RSVD,
	TF_ERR_INSTR,
	/* the kernel's account (ktrace.h): exceptions:page_fault_* events */
	TF_TRACE_FAULTS,	/* page-fault exceptions on the row's range */
	TF_TRACE_ERROR_CODE,	/* their hardware error code; -1: they differ */
	TF_TRACE_KERNEL_MODE,	/* taken in kernel mode (page_fault_kernel) */
	TF_TRACE_MAJOR,		/* a handler returned VM_FAULT_MAJOR */
	TF_TRACE_RETRY,		/* handle_mm_fault ran again (VM_FAULT_RETRY) */
	TF_TRACE_RA_ORDER,	/* faultdemo_readahead: largest folio order */
	TF_TRACE_RA_BIOS,	/* faultdemo_readahead: bios submitted */
	/* malloc: where the C library put a small and a large block */
	TF_SMALL_IN_HEAP,
	TF_LARGE_MMAPPED,
	TF_MMAP_THRESHOLD,	/* the smallest malloc() served by mmap(), bytes */
	TF_EFAULT,		/* the system call failed with EFAULT */
	TF_NR
};

enum tour_kind {
	TK_COUNT,	/* plain number */
	TK_DELTA,	/* change: printed +N */
	TK_FLAG,	/* 0 or 1 */
	TK_SIGNO,	/* signal number, printed by name */
	TK_SICODE,	/* si_code, printed by name */
	TK_HEX,
};

struct tour_field_info {
	const char *name;
	enum tour_kind kind;
	bool column;	/* has a column of its own in the table */
};

extern const struct tour_field_info tour_fields[TF_NR];

enum tour_op { OP_EQ, OP_GE, OP_LE };

struct tour_check {
	enum tour_field f;
	enum tour_op op;
	long long v;
};

enum tour_status { TS_OK, TS_MISMATCH, TS_SKIP };

#define TOUR_MAX_FAULTS	4

/*
 * What the kernel recorded for the measured step: the page faults on the
 * row's range and their call graphs, and what the graph must (and must
 * not) contain. Function lists are space-separated; "a|b" takes either.
 */
struct tour_trace {
	bool recorded;		/* the step ran with the events on */
	bool graph;		/* ... and the function-graph tracer */
	struct kt_fault faults[TOUR_MAX_FAULTS];	/* calls: owned */
	int n;
	const char *must;
	const char *must_not;
	const char *seeds;	/* functions the seeds name for this path */
	char checked[300];	/* the graph checks that applied here */
	char said[600];		/* the seeds' functions this kernel lacks */
	char problem[300];	/* graph checks that failed */
};

#define TOUR_MAX_CHECKS	32

struct tour_row {
	const char *scenario;	/* stable identifier, e.g. "anon_read" */
	char action[200];	/* what the program did */
	const char *path;	/* the kernel path the seeds name */
	long long ev[TF_NR];
	struct tour_check checks[TOUR_MAX_CHECKS];
	int nchecks;
	char expected[400];
	char note[320];		/* what else was seen, free text */
	char reason[900];	/* why skipped, or what did not match */
	enum tour_status status;
	struct tour_trace tr;
};

/* tour_kernel.c: the kernel's account of the measured steps */
struct tour_kernel {
	struct ktrace kt;
	bool on;		/* kt is open */
	char why[300];		/* why not */
};

void tour_kernel_open(struct tour_kernel *tk, bool want);
void tour_kernel_close(struct tour_kernel *tk);
void tour_kernel_intro(const struct tour_kernel *tk);
void tour_kernel_begin(struct tour_kernel *tk);
void tour_kernel_end(struct tour_kernel *tk, struct tour_row *row, const void *lo, size_t len);
void tour_expect_kernel(struct tour_row *row, int faults, long err, const char *must,
			const char *must_not, const char *seeds);
void tour_kernel_judge(struct tour_kernel *tk, struct tour_row *row);

/* The tour's state: the device, what the kernel and the module are set to. */
struct tour {
	int fd;
	struct faultdemo_geometry g;
	size_t ps;
	__u64 npages;		/* pages in the data area */
	__u64 fab;		/* fault_around_bytes; 0: unknown */
	__u64 base;		/* the device page most rows use */
	long cold;		/* a page not yet cached, or -errno */
	__u64 zero_pfn;		/* PFN of the zero page; 0: PFNs hidden */
	bool block;		/* a backing device is behind the page cache */
	char backing[256];	/* its path */
	char bdi[64];		/* the store's bdi */
	char blkstat[128];	/* its /sys/dev/block/M:m/stat */
	struct swap_state swap;
	struct tour_kernel k;	/* the kernel's account of each step */
};

/* tour_measure.c: the measured step and the evidence it leaves */
enum tour_act { ACT_LOAD, ACT_STORE, ACT_CALL, ACT_PREAD };

/* @n accesses @step bytes apart from @addr under probe_run(), not traced. */
void tour_run_act(enum tour_act op, void *addr, size_t n, size_t step, unsigned char val,
		  struct probe_result *r);
/* A measured step: the action, with the kernel's account of it. */
void tour_measure(struct tour *t, struct tour_row *row, enum tour_act op, void *addr,
		  size_t n, size_t step, unsigned char val, struct probe_result *r);
/* A measured pread(): copy_to_user() is the access. Returns its errno. */
int tour_measure_pread(struct tour *t, struct tour_row *row, void *buf, size_t len,
		       off_t off, struct probe_result *r);
/* The device's counters; all -1 where they cannot be read. */
void tour_stats_snap(struct fd_stats *s);
/* The counters' changes from @a to @b into the row. */
void tour_stats_delta(struct tour_row *row, const struct fd_stats *a, const struct fd_stats *b);
/* getrusage() faults and the signal, if any, of a step on @addr. */
void tour_probe_into_row(struct tour_row *row, const struct probe_result *r, const void *addr);
/* Present pages before the step and their change; nothing if unknown. */
void tour_present_into_row(struct tour_row *row, long before, long after);
/* Exclusive and file of @addr's pagemap entry, if present. */
void tour_pagemap_into_row(struct tour_row *row, const void *addr);
/*
 * What a measured step is compared with, taken by tour_before_step() just
 * before it: the device's counters if @stats, and the present pages of
 * @npages from @map unless @map is NULL.
 */
struct tour_before {
	bool stats;
	const void *map;
	size_t npages;
	struct fd_stats s;
	long present;
};

void tour_before_step(struct tour_before *b, bool stats, const void *map, size_t npages);
/* The step on @addr and the changes since @b into the row. */
void tour_after_step(struct tour_row *row, const struct tour_before *b,
		     const struct probe_result *r, const void *addr);
/* The checks most rows share. */
void tour_expect_no_signal(struct tour_row *row);
/* No signal, one minor fault and no major one. */
void tour_expect_minor_fault(struct tour_row *row);
void tour_expect_device_idle(struct tour_row *row);
void tour_expect_error_code(struct tour_row *row, int prot, int write, int instr);
void tour_expect_signal(struct tour_row *row, int signo, int code);
/* Does a read fault in a new mapping call .map_pages? -1: cannot tell. */
int tour_fault_around_calls(const struct tour *t);
/* A mapping of @npages device pages from @page; NULL on failure. */
void *tour_dev_map(struct tour *t, __u64 page, size_t npages, int prot, int flags);
/* The first byte of device page @page, by read(). */
int tour_dev_byte(struct tour *t, __u64 page, unsigned char *b);
/* Refresh the runtime parameters: another process may have changed them. */
void tour_refresh_geometry(struct tour *t);
/* Pages a .fault at @page reads ahead; *miss: @page is not cached. */
long tour_readahead_expected(struct tour *t, __u64 page, bool *miss);
/* Sectors the backing device has read and written (/sys/block stat). */
int tour_blk_sectors(const struct tour *t, long long *rd, long long *wr);
/* Their change since @rd0, @wr0 into the row. */
void tour_blk_into_row(struct tour_row *row, const struct tour *t, long long rd0, long long wr0);
/* Pages a cold fault reads around itself: the bdi's read-ahead window. */
long tour_read_around_pages(const struct tour *t);
/* A field of /proc/vmstat, or -1. */
long long tour_vmstat_value(const char *field);
/* Pages from @addr on that are present and physically contiguous. */
long tour_contiguous_pages(const void *addr, size_t npages);

/* report.c */
void tour_row_init(struct tour_row *row, const char *scenario, const char *path);
void tour_expect(struct tour_row *row, enum tour_field f, enum tour_op op, long long v);
int tour_skip(struct tour_row *row, const char *fmt, ...);
int tour_fail(struct tour_row *row, const char *fmt, ...);
void tour_judge(struct tour_row *row);
void tour_print_header(FILE *f);
void tour_print_row(FILE *f, int nr, const struct tour_row *row);
void tour_print_json(FILE *f, const struct tour_row *rows, int n);
int tour_write_graph(const char *dir, int nr, const struct tour_row *row);

#endif /* FAULTDEMO_TOUR_H */

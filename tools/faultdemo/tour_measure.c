// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) tour: the measured step and the evidence it leaves. A step
 * is a plain load, store, call or pread() run under probe_run(); around
 * it a row reads the device's counters, the present pages, pagemap, the
 * backing device's sectors and /proc/vmstat, and the differences go into
 * the row's fields. Here too: the checks most rows share, and what the
 * device and the kernel's settings make a row expect. The kernel's own
 * account of the step is tour_kernel.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "common.h"
#include "evidence.h"
#include "probe.h"
#include "tour.h"

/* ------------------------------------------------------------------ */
/* The measured actions: plain loads, stores and a call, nothing else. */

struct act {
	enum tour_act op;
	char *addr;
	size_t n;		/* accesses; ACT_PREAD: bytes */
	size_t step;		/* bytes between them */
	unsigned char val;	/* what ACT_STORE stores */
	unsigned long sink;	/* keeps the loads */
	int fd;			/* ACT_PREAD: pread(fd, addr, n, off) */
	off_t off;
	ssize_t ret;
	int err;
};

static void act_run(void *arg)
{
	struct act *a = arg;
	size_t i;

	if (a->op == ACT_PREAD) {
		a->ret = pread(a->fd, a->addr, a->n, a->off);
		a->err = a->ret < 0 ? errno : 0;
		return;
	}
	for (i = 0; i < a->n; i++) {
		unsigned char *p = (unsigned char *)a->addr + i * a->step;

		switch (a->op) {
		case ACT_LOAD:
			a->sink += __atomic_load_n(p, __ATOMIC_RELAXED);
			break;
		case ACT_STORE:
			__atomic_store_n(p, a->val, __ATOMIC_RELAXED);
			break;
		case ACT_CALL:
			((void (*)(void))(unsigned long)p)();
			break;
		case ACT_PREAD:
			break;
		}
	}
}

void tour_run_act(enum tour_act op, void *addr, size_t n, size_t step, unsigned char val,
		  struct probe_result *r)
{
	struct act a = { .op = op, .addr = addr, .n = n, .step = step, .val = val };

	probe_run(act_run, &a, r);
}

void tour_measure(struct tour *t, struct tour_row *row, enum tour_act op, void *addr,
		  size_t n, size_t step, unsigned char val, struct probe_result *r)
{
	tour_kernel_begin(&t->k);
	tour_run_act(op, addr, n, step, val, r);
	tour_kernel_end(&t->k, row, addr, n > 1 ? n * step : 1);
}

int tour_measure_pread(struct tour *t, struct tour_row *row, void *buf, size_t len,
		       off_t off, struct probe_result *r)
{
	struct act a = { .op = ACT_PREAD, .addr = buf, .n = len, .fd = t->fd, .off = off };

	tour_kernel_begin(&t->k);
	probe_run(act_run, &a, r);
	tour_kernel_end(&t->k, row, buf, len);
	if (a.ret == (ssize_t)len)
		return 0;
	return a.ret < 0 ? a.err : EIO;
}

/* ------------------------------------------------------------------ */
/* Evidence into a row */

static const enum tour_field stat_field[FD_STAT_NR] = {
	[FD_STAT_FAULT_READ]	= TF_FAULT_READ,
	[FD_STAT_FAULT_COW]	= TF_FAULT_COW,
	[FD_STAT_FAULT_SHARED]	= TF_FAULT_SHARED,
	[FD_STAT_MAP_PAGES]	= TF_MAP_PAGES,
	[FD_STAT_PAGE_MKWRITE]	= TF_PAGE_MKWRITE,
	[FD_STAT_SIGBUS]	= TF_SIGBUS,
	[FD_STAT_READAHEAD]	= TF_READAHEAD,
	[FD_STAT_CLEAN]		= TF_NR,	/* not a fault path */
	[FD_STAT_PAGES_CACHED]	= TF_PAGES_CACHED,
	[FD_STAT_FAULT_MAJOR]	= TF_FAULT_MAJOR,
	[FD_STAT_FAULT_RETRY]	= TF_FAULT_RETRY,
	[FD_STAT_PAGES_READ]	= TF_PAGES_READ,
	[FD_STAT_PAGES_WRITTEN]	= TF_PAGES_WRITTEN,
	[FD_STAT_WRITEBACK_ERRORS] = TF_NR,
	[FD_STAT_FAULT_PMD]	= TF_FAULT_PMD,
	[FD_STAT_MAP_PAGES_PMD]	= TF_MAP_PAGES_PMD,
};

/* Counters of handler calls; the others count pages or kinds of calls. */
static bool handler_field(enum tour_field f)
{
	return f >= TF_FAULT_READ && f <= TF_READAHEAD;
}

void tour_stats_snap(struct fd_stats *s)
{
	if (fd_stats_read(s))
		memset(s->v, 0xff, sizeof(s->v));	/* all -1: unknown */
}

void tour_stats_delta(struct tour_row *row, const struct fd_stats *a, const struct fd_stats *b)
{
	long long total = 0;
	bool known = true;
	int i;

	for (i = 0; i < FD_STAT_NR; i++) {
		enum tour_field f = stat_field[i];

		if (f == TF_NR)
			continue;
		if (a->v[i] < 0 || b->v[i] < 0) {
			known = false;
			continue;
		}
		row->ev[f] = b->v[i] - a->v[i];
		if (handler_field(f))
			total += row->ev[f];
	}
	if (known)
		row->ev[TF_DEVICE_TOTAL] = total;
}

void tour_probe_into_row(struct tour_row *row, const struct probe_result *r, const void *addr)
{
	row->ev[TF_MINFLT] = r->minflt;
	row->ev[TF_MAJFLT] = r->majflt;
	row->ev[TF_FAULTS] = r->minflt + r->majflt;
	row->ev[TF_SIGNO] = r->signo;
	if (!r->signo)
		return;
	row->ev[TF_SI_CODE] = r->code;
	row->ev[TF_SI_ADDR_OK] = r->addr == addr;
	if (r->err < 0)
		return;
	row->ev[TF_TRAPNO] = r->trapno;
	row->ev[TF_ERROR_CODE] = r->err;
	row->ev[TF_ERR_PROT] = !!(r->err & X86_PF_PROT);
	row->ev[TF_ERR_WRITE] = !!(r->err & X86_PF_WRITE);
	row->ev[TF_ERR_USER] = !!(r->err & X86_PF_USER);
	row->ev[TF_ERR_RSVD] = !!(r->err & X86_PF_RSVD);
	row->ev[TF_ERR_INSTR] = !!(r->err & X86_PF_INSTR);
}

void tour_present_into_row(struct tour_row *row, long before, long after)
{
	if (before < 0 || after < 0)
		return;
	row->ev[TF_PRESENT_BEFORE] = before;
	row->ev[TF_PRESENT] = after - before;
}

void tour_pagemap_into_row(struct tour_row *row, const void *addr)
{
	__u64 ent = ev_pagemap_one(addr);

	if (!(ent & PM_PRESENT))
		return;
	row->ev[TF_EXCLUSIVE] = !!(ent & PM_EXCLUSIVE);
	row->ev[TF_FILE] = !!(ent & PM_FILE);
}

void tour_before_step(struct tour_before *b, bool stats, const void *map, size_t npages)
{
	b->stats = stats;
	b->map = map;
	b->npages = npages;
	if (stats)
		tour_stats_snap(&b->s);
	if (map)
		b->present = ev_present(map, npages);
}

void tour_after_step(struct tour_row *row, const struct tour_before *b,
		     const struct probe_result *r, const void *addr)
{
	struct fd_stats s;
	long present = 0;

	/* The reverse order of tour_before_step(): the step alone in between. */
	if (b->map)
		present = ev_present(b->map, b->npages);
	if (b->stats)
		tour_stats_snap(&s);
	tour_probe_into_row(row, r, addr);
	if (b->map)
		tour_present_into_row(row, b->present, present);
	if (b->stats)
		tour_stats_delta(row, &b->s, &s);
}

/* ------------------------------------------------------------------ */
/* The checks most rows share */

void tour_expect_no_signal(struct tour_row *row)
{
	tour_expect(row, TF_SIGNO, OP_EQ, 0);
}

void tour_expect_minor_fault(struct tour_row *row)
{
	tour_expect_no_signal(row);
	tour_expect(row, TF_MINFLT, OP_EQ, 1);
	tour_expect(row, TF_MAJFLT, OP_EQ, 0);
}

void tour_expect_device_idle(struct tour_row *row)
{
	tour_expect(row, TF_DEVICE_TOTAL, OP_EQ, 0);
}

/*
 * The x86 page-fault error code of a user access: P (protection), W
 * (write) and I (instruction fetch) as given, U always, RSVD never.
 */
void tour_expect_error_code(struct tour_row *row, int prot, int write, int instr)
{
#ifdef __x86_64__
	tour_expect(row, TF_TRAPNO, OP_EQ, X86_TRAP_PF);
	tour_expect(row, TF_ERR_PROT, OP_EQ, prot);
	tour_expect(row, TF_ERR_WRITE, OP_EQ, write);
	tour_expect(row, TF_ERR_USER, OP_EQ, 1);
	tour_expect(row, TF_ERR_RSVD, OP_EQ, 0);
	tour_expect(row, TF_ERR_INSTR, OP_EQ, instr);
#else
	(void)row; (void)prot; (void)write; (void)instr;
#endif
}

void tour_expect_signal(struct tour_row *row, int signo, int code)
{
	tour_expect(row, TF_SIGNO, OP_EQ, signo);
	tour_expect(row, TF_SI_CODE, OP_EQ, code);
	tour_expect(row, TF_SI_ADDR_OK, OP_EQ, 1);
	/* A fault that fails is not counted in min_flt/maj_flt. */
	tour_expect(row, TF_MINFLT, OP_EQ, 0);
	tour_expect(row, TF_MAJFLT, OP_EQ, 0);
}

/* ------------------------------------------------------------------ */
/* The device */

int tour_fault_around_calls(const struct tour *t)
{
	if (!t->g.fault_around)
		return 0;	/* the vma has no .map_pages at all */
	if (!t->fab)
		return -1;
	return t->fab / t->ps > 1;
}

void *tour_dev_map(struct tour *t, __u64 page, size_t npages, int prot, int flags)
{
	void *p = mmap(NULL, npages * t->ps, prot, flags, t->fd, (off_t)(page * t->ps));

	return p == MAP_FAILED ? NULL : p;
}

int tour_dev_byte(struct tour *t, __u64 page, unsigned char *b)
{
	return pread(t->fd, b, 1, (off_t)(page * t->ps)) == 1 ? 0 : -1;
}

void tour_refresh_geometry(struct tour *t)
{
	struct faultdemo_geometry g;

	if (!fd_geometry(t->fd, &g))
		t->g = g;
}

/*
 * What a .fault at @page will add to the page cache: nothing on a hit;
 * on a miss the page and, as read-ahead, the uncached pages among the
 * next readahead ones. Returns the read-ahead count, *miss = page
 * uncached, or -errno.
 */
long tour_readahead_expected(struct tour *t, __u64 page, bool *miss)
{
	size_t n = 1 + t->g.readahead, i;
	unsigned char *vec;
	long ra = 0;
	int ret;

	if (page + n > t->npages)
		n = t->npages - page;
	vec = calloc(n, 1);
	if (!vec)
		return -ENOMEM;
	ret = ev_cached(t->fd, page, n, vec);
	if (ret) {
		free(vec);
		return ret;
	}
	*miss = !(vec[0] & 1);
	for (i = 1; *miss && i < n; i++)
		ra += !(vec[i] & 1);
	free(vec);
	return ra;
}

/* ------------------------------------------------------------------ */
/* The backing device, and large folios */

int tour_blk_sectors(const struct tour *t, long long *rd, long long *wr)
{
	unsigned long long v[7];
	char buf[512];

	if (fd_read_file(t->blkstat, buf, sizeof(buf)) ||
	    sscanf(buf, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
		   &v[2], &v[3], &v[4], &v[5], &v[6]) != 7)
		return -EIO;
	*rd = v[2];
	*wr = v[6];
	return 0;
}

void tour_blk_into_row(struct tour_row *row, const struct tour *t, long long rd0, long long wr0)
{
	long long rd, wr;

	if (tour_blk_sectors(t, &rd, &wr))
		return;
	row->ev[TF_SECTORS_READ] = rd - rd0;
	row->ev[TF_SECTORS_WRITTEN] = wr - wr0;
}

long tour_read_around_pages(const struct tour *t)
{
	char path[160];
	__u64 kb;

	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", t->bdi);
	if (fd_read_u64(path, &kb))
		return -1;
	return kb * 1024 / t->ps ?: 1;
}

long long tour_vmstat_value(const char *field)
{
	size_t len = strlen(field);
	long long v = -1;
	char line[128];
	FILE *f = fopen("/proc/vmstat", "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ' ') {
			v = atoll(line + len + 1);
			break;
		}
	fclose(f);
	return v;
}

long tour_contiguous_pages(const void *addr, size_t npages)
{
	__u64 *ents = calloc(npages, sizeof(*ents));
	size_t i = 0;

	if (!ents || ev_pagemap(addr, npages, ents)) {
		free(ents);
		return EV_UNKNOWN;
	}
	if (ents[0] & PM_PRESENT && ents[0] & PM_PFN_MASK)
		for (i = 1; i < npages; i++)
			if (!(ents[i] & PM_PRESENT) ||
			    (ents[i] & PM_PFN_MASK) != (ents[0] & PM_PFN_MASK) + i)
				break;
	free(ents);
	return i;
}

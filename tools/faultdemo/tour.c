// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) tour: each page-fault path once, in a fresh mapping, with
 * the evidence measured during that one step.
 *
 * Every row computes what it expects from the state just before its step
 * (module parameters, fault_around_bytes, which device pages are already
 * in the page cache), so that a row passes on any kernel and any module
 * settings where the path really ran, and fails where it did not.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "common.h"
#include "evidence.h"
#include "ktrace.h"
#include "probe.h"
#include "swap.h"
#include "tour.h"

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

/* Alignment of mappings whose fault-around window must be predictable. */
#define PMD_ALIGN	(2UL << 20)

/* ------------------------------------------------------------------ */
/* The rows */

/*
 * A fresh anonymous mapping of @n pages that is a VMA of its own, so that
 * its smaps lines count its pages alone: a PROT_NONE page on each side
 * keeps it from merging with a neighbour (MADV_NOHUGEPAGE, which would
 * also set it apart, fails on a kernel without THP). NULL on failure;
 * unmap_anon_isolated() undoes it.
 */
static char *map_anon_isolated(struct tour *t, size_t n)
{
	char *g, *p;

	g = mmap(NULL, (n + 2) * t->ps, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g == MAP_FAILED)
		return NULL;
	p = mmap(g + t->ps, n * t->ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED) {
		munmap(g, (n + 2) * t->ps);
		return NULL;
	}
	/* A huge zero page would be another path (do_huge_pmd_anonymous_page). */
	madvise(p, n * t->ps, MADV_NOHUGEPAGE);
	return p;
}

/* What a store to a missing anonymous page calls (6.1 inlines the second). */
#define MUST_ANON_STORE	\
	"handle_mm_fault do_anonymous_page vma_alloc_folio|vma_alloc_folio_noprof"

static void unmap_anon_isolated(struct tour *t, char *p, size_t n)
{
	munmap(p - t->ps, (n + 2) * t->ps);
}

/*
 * The measured first access to a page of a fresh anonymous mapping of @n
 * pages, and its evidence. False if the mapping failed (tour_fail() says).
 */
static bool anon_first_access(struct tour *t, struct tour_row *row, size_t n,
			      enum tour_act op, unsigned char val)
{
	struct tour_before b;
	struct probe_result r;
	__u64 ent;
	char *p;

	p = map_anon_isolated(t, n);
	if (!p) {
		tour_fail(row, "mmap: %s", strerror(errno));
		return false;
	}
	tour_before_step(&b, false, p, n);
	tour_measure(t, row, op, p, 1, 0, val, &r);
	tour_after_step(row, &b, &r, p);
	tour_pagemap_into_row(row, p);
	ent = ev_pagemap_one(p);
	if (t->zero_pfn && (ent & PM_PRESENT))
		row->ev[TF_ZERO_PFN_SHARED] = (ent & PM_PFN_MASK) == t->zero_pfn;
	/* smaps counts only normal pages: the zero page is not in Rss. */
	row->ev[TF_RSS_KB] = ev_smaps_kb(p, "Rss");
	if (row->ev[TF_RSS_KB] < 0)
		row->ev[TF_RSS_KB] = EV_UNKNOWN;
	unmap_anon_isolated(t, p, n);
	return true;
}

static int row_anon_read(struct tour *t, struct tour_row *row)
{
	const size_t n = 4;

	tour_row_init(row, "anon_read",
		      "do_anonymous_page: read fault, maps the shared zero page read-only");
	snprintf(row->action, sizeof(row->action),
		 "load from 1 page of a fresh %zu-page MAP_PRIVATE|MAP_ANONYMOUS mapping", n);
	if (!anon_first_access(t, row, n, ACT_LOAD, 0))
		return 0;

	tour_expect_minor_fault(row);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_EXCLUSIVE, OP_EQ, 0);
	tour_expect(row, TF_FILE, OP_EQ, 0);
	tour_expect(row, TF_RSS_KB, OP_EQ, 0);
	if (t->zero_pfn)
		tour_expect(row, TF_ZERO_PFN_SHARED, OP_EQ, 1);
	else
		snprintf(row->note, sizeof(row->note), "(PFNs hidden: not CAP_SYS_ADMIN)");
	tour_expect_kernel(row, 1, 0x4, "handle_mm_fault __handle_mm_fault do_anonymous_page",
			   "do_fault do_wp_page do_swap_page vma_alloc_folio|vma_alloc_folio_noprof",
			   "handle_pte_fault do_anonymous_page");
	return 0;
}

static int row_anon_write(struct tour *t, struct tour_row *row)
{
	const size_t n = 4;

	tour_row_init(row, "anon_write",
		      "do_anonymous_page: write fault, a new zeroed page from the buddy allocator");
	snprintf(row->action, sizeof(row->action),
		 "store to 1 page of a fresh %zu-page MAP_PRIVATE|MAP_ANONYMOUS mapping", n);
	if (!anon_first_access(t, row, n, ACT_STORE, 0x5a))
		return 0;

	tour_expect_minor_fault(row);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_EXCLUSIVE, OP_EQ, 1);
	tour_expect(row, TF_FILE, OP_EQ, 0);
	tour_expect(row, TF_RSS_KB, OP_EQ, (long long)(t->ps / 1024));
	if (t->zero_pfn)
		tour_expect(row, TF_ZERO_PFN_SHARED, OP_EQ, 0);
	tour_expect_kernel(row, 1, 0x6, MUST_ANON_STORE, "do_fault do_wp_page do_swap_page",
			   "handle_pte_fault do_anonymous_page");
	return 0;
}

/*
 * A fresh read-write mapping of device page t->base, and its first byte
 * (read() before the mapping: a row may store it back unchanged). NULL if
 * either failed (tour_fail() says).
 */
static char *map_base(struct tour *t, struct tour_row *row, int flags, unsigned char *byte)
{
	char *p;

	if (tour_dev_byte(t, t->base, byte)) {
		tour_fail(row, "read(/dev/faultdemo): %s", strerror(errno));
		return NULL;
	}
	p = tour_dev_map(t, t->base, 1, PROT_READ | PROT_WRITE, flags);
	if (!p)
		tour_fail(row, "mmap: %s", strerror(errno));
	return p;
}

#define MUST_COLD_READ	"handle_mm_fault do_fault __do_fault faultdemo_fault finish_fault"
#define MUST_COLD_READ_AROUND	MUST_COLD_READ " faultdemo_map_pages"

static int row_dev_cold_read(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	struct probe_result r;
	size_t span, first, last, i;
	unsigned char *vec;
	long ra, want_present = 1, folio_pages, in_vma;
	int calls;
	bool miss;
	char *p;

	tour_row_init(row, "dev_cold_read",
		      "do_read_fault: do_fault_around (.map_pages, nothing cached yet), then __do_fault -> .fault + read-ahead");
	if (t->block)
		return tour_skip(row,
				 "block mode: a load from an uncached page reads the device: see major_fault");
	if (t->cold < 0)
		return tour_skip(row, "every device page is cached (reload the module)");
	tour_refresh_geometry(t);
	span = 1 + t->g.readahead;
	if (t->cold + span > t->npages)
		span = t->npages - t->cold;
	snprintf(row->action, sizeof(row->action),
		 "load from device page %ld (not in the page cache) through a fresh %zu-page MAP_SHARED PROT_READ mapping",
		 t->cold, span);
	ra = tour_readahead_expected(t, t->cold, &miss);
	if (ra < 0)
		return tour_fail(row, "mincore: %s", strerror((int)-ra));
	if (!miss)
		return tour_skip(row, "device page %ld is cached already", t->cold);
	p = tour_dev_map(t, t->cold, span, PROT_READ, MAP_SHARED);
	if (!p)
		return tour_fail(row, "mmap: %s", strerror(errno));

	/* .map_pages runs before .fault: it maps what was cached before. */
	calls = tour_fault_around_calls(t);
	if (calls > 0) {
		vec = calloc(span, 1);
		if (!vec || ev_cached(t->fd, t->cold, span, vec)) {
			free(vec);
			munmap(p, span * t->ps);
			return tour_fail(row, "mincore failed");
		}
		ev_fault_around_window((unsigned long)p, span, 0, t->fab / t->ps,
				       &first, &last);
		for (i = first; i <= last; i++)
			want_present += i && (vec[i] & 1);
		free(vec);
	}

	tour_before_step(&b, true, p, span);
	tour_measure(t, row, ACT_LOAD, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	tour_pagemap_into_row(row, p);
	munmap(p, span * t->ps);

	tour_expect_minor_fault(row);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 1);
	tour_expect(row, TF_FAULT_COW, OP_EQ, 0);
	tour_expect(row, TF_FAULT_SHARED, OP_EQ, 0);
	if (calls >= 0)
		tour_expect(row, TF_MAP_PAGES, OP_EQ, calls);
	if (t->g.folio_order) {
		/* the fault's own folio may hold some or all of the window */
		tour_expect(row, TF_READAHEAD, OP_LE, ra);
		tour_expect(row, TF_PAGES_CACHED, OP_GE, 1 + ra);
	} else {
		tour_expect(row, TF_READAHEAD, OP_EQ, ra);
		tour_expect(row, TF_PAGES_CACHED, OP_EQ, 1 + ra);
	}
	/*
	 * How much of the large folio .fault handed out finish_fault() maps
	 * is the core's choice: the faulting page alone on 6.x (whole folios
	 * for anonymous shmem only), every page of it inside the VMA and its
	 * page table on 7.x. The row shows which the running kernel did.
	 */
	folio_pages = 1L << t->g.folio_order;
	in_vma = folio_pages - (t->cold & (folio_pages - 1));
	if (in_vma > (long)span)
		in_vma = span;
	if (calls >= 0) {
		tour_expect(row, TF_PRESENT, OP_GE, want_present);
		tour_expect(row, TF_PRESENT, OP_LE, want_present - 1 + in_vma);
	} else {
		tour_expect(row, TF_PRESENT, OP_GE, 1);
	}
	tour_expect(row, TF_FILE, OP_EQ, 1);
	if (calls >= 0 && in_vma > 1 && row->ev[TF_PRESENT] == want_present - 1 + in_vma)
		snprintf(row->note, sizeof(row->note),
			 "(read-ahead fills the page cache, not the page table; but finish_fault() mapped all %ld pages of the fault's %ld-page folio inside the mapping, not only the faulting one: 7.x does that for file folios, 6.x only for anonymous shmem)",
			 in_vma, folio_pages);
	else
		snprintf(row->note, sizeof(row->note),
			 "(read-ahead fills the page cache, not the page table)");
	tour_expect_kernel(row, 1, 0x4, calls > 0 ? MUST_COLD_READ_AROUND : MUST_COLD_READ,
			   "do_page_mkwrite faultdemo_page_mkwrite do_wp_page vma_alloc_folio|vma_alloc_folio_noprof",
			   "do_read_fault do_fault_around");
	return 0;
}

static int row_dev_fault_around(struct tour *t, struct tour_row *row)
{
	size_t win, region, idx, first, last, i;
	struct tour_before b;
	struct probe_result r;
	long want = 0;
	unsigned char *vec;
	__u64 start;
	char *buf, *p;

	tour_row_init(row, "dev_fault_around",
		      "do_read_fault -> do_fault_around -> .map_pages (filemap_map_pages): one fault maps every cached page of the window");
	tour_refresh_geometry(t);
	if (!t->g.fault_around)
		return tour_skip(row, "fault_around=0: mappings get no .map_pages");
	if (t->fab && t->fab / t->ps <= 1)
		return tour_skip(row, "fault_around_bytes=%llu: the kernel does no fault-around",
				 (unsigned long long)t->fab);
	/* Unknown window: a guess; the checks then ask for >= 2 pages only. */
	win = t->fab ? t->fab / t->ps : 16;
	region = 2 * win;
	if (region > t->npages)
		region = t->npages;
	if (region < 2)
		return tour_skip(row, "the device has a single page");
	start = t->base + region <= t->npages ? t->base : t->npages - region;
	idx = region > win ? win + win / 2 : region / 2;
	snprintf(row->action, sizeof(row->action),
		 "read() device pages %llu-%llu into the page cache, map them fresh (MAP_SHARED, PROT_READ), load from page %zu",
		 (unsigned long long)start, (unsigned long long)(start + region - 1), idx);

	/* read() fills the page cache without changing a byte. */
	buf = malloc(region * t->ps);
	if (!buf)
		return tour_fail(row, "out of memory");
	if (pread(t->fd, buf, region * t->ps, (off_t)(start * t->ps)) !=
	    (ssize_t)(region * t->ps)) {
		free(buf);
		return tour_fail(row, "read(/dev/faultdemo): %s", strerror(errno));
	}
	free(buf);

	p = ev_mmap_aligned(t->fd, region * t->ps, PROT_READ, MAP_SHARED,
			    (off_t)(start * t->ps), PMD_ALIGN);
	if (p == MAP_FAILED)
		return tour_fail(row, "mmap: %s", strerror(errno));
	vec = calloc(region, 1);
	if (!vec || ev_cached(t->fd, start, region, vec)) {
		free(vec);
		munmap(p, region * t->ps);
		return tour_fail(row, "mincore failed");
	}
	ev_fault_around_window((unsigned long)p, region, idx, win, &first, &last);
	for (i = first; i <= last; i++)
		want += vec[i] & 1;
	if (!(vec[idx] & 1)) {
		free(vec);
		munmap(p, region * t->ps);
		return tour_fail(row, "page %zu is not cached after read()", idx);
	}
	free(vec);

	tour_before_step(&b, true, p, region);
	tour_measure(t, row, ACT_LOAD, p + idx * t->ps, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p + idx * t->ps);
	munmap(p, region * t->ps);

	tour_expect_minor_fault(row);
	tour_expect(row, TF_MAP_PAGES, OP_EQ, 1);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 0);
	tour_expect(row, TF_READAHEAD, OP_EQ, 0);
	if (t->fab)
		tour_expect(row, TF_PRESENT, OP_EQ, want);
	tour_expect(row, TF_PRESENT, OP_GE, 2);
	if (t->fab)
		snprintf(row->note, sizeof(row->note),
			 "(window: pages %zu-%zu of the mapping, fault_around_bytes=%llu)",
			 first, last, (unsigned long long)t->fab);
	else
		snprintf(row->note, sizeof(row->note),
			 "(fault_around_bytes unreadable: window size unknown)");
	tour_expect_kernel(row, 1, 0x4,
			   "handle_mm_fault do_fault faultdemo_map_pages filemap_map_pages",
			   "__do_fault faultdemo_fault finish_fault",
			   "do_read_fault do_fault_around");
	return 0;
}

static int row_private_write(struct tour *t, struct tour_row *row)
{
	unsigned char before, after;
	struct tour_before b;
	struct probe_result r;
	long ra;
	bool miss;
	char *p;

	tour_row_init(row, "private_write",
		      "do_cow_fault: .fault returns the device page, the core copies it to vmf->cow_page");
	snprintf(row->action, sizeof(row->action),
		 "store to device page %llu through a fresh 1-page MAP_PRIVATE mapping",
		 (unsigned long long)t->base);
	ra = tour_readahead_expected(t, t->base, &miss);
	if (ra < 0)
		return tour_fail(row, "mincore: %s", strerror((int)-ra));
	p = map_base(t, row, MAP_PRIVATE, &before);
	if (!p)
		return 0;

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_STORE, p, 1, 0, before ^ 0xff, &r);
	tour_after_step(row, &b, &r, p);
	tour_pagemap_into_row(row, p);
	if (!tour_dev_byte(t, t->base, &after))
		row->ev[TF_DEVICE_UNCHANGED] = after == before;
	row->ev[TF_DATA_OK] = !r.signo && (unsigned char)p[0] == (before ^ 0xff);
	munmap(p, t->ps);

	tour_expect_minor_fault(row);
	tour_expect(row, TF_FAULT_COW, OP_EQ, 1);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 0);
	tour_expect(row, TF_FAULT_SHARED, OP_EQ, 0);
	tour_expect(row, TF_MAP_PAGES, OP_EQ, 0);
	tour_expect(row, TF_PAGE_MKWRITE, OP_EQ, 0);
	tour_expect(row, TF_READAHEAD, OP_EQ, ra);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_FILE, OP_EQ, 0);
	tour_expect(row, TF_EXCLUSIVE, OP_EQ, 1);
	tour_expect(row, TF_DATA_OK, OP_EQ, 1);
	tour_expect(row, TF_DEVICE_UNCHANGED, OP_EQ, 1);
	tour_expect_kernel(row, 1, 0x6,
			   "handle_mm_fault do_fault vma_alloc_folio|vma_alloc_folio_noprof __do_fault faultdemo_fault finish_fault",
			   "faultdemo_map_pages do_page_mkwrite faultdemo_page_mkwrite do_wp_page",
			   "do_cow_fault");
	return 0;
}

static int row_shared_first_write(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	struct probe_result r;
	unsigned char byte;
	long ra;
	bool miss;
	char *p;

	tour_row_init(row, "shared_first_write",
		      "do_shared_fault: .fault, then do_page_mkwrite -> .page_mkwrite");
	snprintf(row->action, sizeof(row->action),
		 "store (the byte already there) to device page %llu through a fresh 1-page MAP_SHARED mapping",
		 (unsigned long long)t->base);
	ra = tour_readahead_expected(t, t->base, &miss);
	if (ra < 0)
		return tour_fail(row, "mincore: %s", strerror((int)-ra));
	/* Storing what is there: the path runs, the device keeps its data. */
	p = map_base(t, row, MAP_SHARED, &byte);
	if (!p)
		return 0;

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_STORE, p, 1, 0, byte, &r);
	tour_after_step(row, &b, &r, p);
	tour_pagemap_into_row(row, p);
	munmap(p, t->ps);

	tour_expect_minor_fault(row);
	tour_expect(row, TF_FAULT_SHARED, OP_EQ, 1);
	tour_expect(row, TF_PAGE_MKWRITE, OP_EQ, 1);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 0);
	tour_expect(row, TF_FAULT_COW, OP_EQ, 0);
	tour_expect(row, TF_MAP_PAGES, OP_EQ, 0);
	tour_expect(row, TF_READAHEAD, OP_EQ, ra);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_FILE, OP_EQ, 1);
	tour_expect_kernel(row, 1, 0x6,
			   "handle_mm_fault do_fault __do_fault faultdemo_fault do_page_mkwrite faultdemo_page_mkwrite finish_fault fault_dirty_shared_page",
			   "faultdemo_map_pages vma_alloc_folio|vma_alloc_folio_noprof do_wp_page",
			   "do_shared_fault");
	return 0;
}

static int row_shared_write_after_clean(struct tour *t, struct tour_row *row)
{
	struct faultdemo_clean c = { 0 };
	struct probe_result r, setup;
	struct tour_before b;
	unsigned char byte;
	char *p;

	tour_row_init(row, "shared_write_after_clean",
		      "do_wp_page -> wp_page_shared -> .page_mkwrite (PTE write-protected by FAULTDEMO_IOC_CLEAN)");
	snprintf(row->action, sizeof(row->action),
		 "store to device page %llu via a fresh MAP_SHARED mapping, FAULTDEMO_IOC_CLEAN it, store again (measured)",
		 (unsigned long long)t->base);
	p = map_base(t, row, MAP_SHARED, &byte);
	if (!p)
		return 0;
	tour_run_act(ACT_STORE, p, 1, 0, byte, &setup);
	c.offset = t->base * t->ps;
	c.length = t->ps;
	if (setup.signo || ioctl(t->fd, FAULTDEMO_IOC_CLEAN, &c)) {
		munmap(p, t->ps);
		return tour_fail(row, "setup: %s", setup.signo ? "the first store raised a signal" :
				 strerror(errno));
	}
	row->ev[TF_CLEANED] = c.cleaned;

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_STORE, p, 1, 0, byte, &r);
	tour_after_step(row, &b, &r, p);
	munmap(p, t->ps);

	tour_expect_no_signal(row);
	if (t->block) {
		/* 0 if the flusher wrote the page back first */
		tour_expect(row, TF_CLEANED, OP_LE, 1);
	} else if (t->g.folio_order) {
		/* a large folio is write-protected, and counted, whole */
		tour_expect(row, TF_CLEANED, OP_GE, 1);
		tour_expect(row, TF_CLEANED, OP_LE, 1L << t->g.folio_order);
	} else {
		tour_expect(row, TF_CLEANED, OP_EQ, 1);
	}
	tour_expect(row, TF_PRESENT_BEFORE, OP_EQ, 1);
	tour_expect(row, TF_MINFLT, OP_EQ, 1);
	tour_expect(row, TF_MAJFLT, OP_EQ, 0);
	tour_expect(row, TF_PAGE_MKWRITE, OP_EQ, 1);
	tour_expect(row, TF_FAULT_SHARED, OP_EQ, 0);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 0);
	tour_expect(row, TF_FAULT_COW, OP_EQ, 0);
	tour_expect(row, TF_MAP_PAGES, OP_EQ, 0);
	tour_expect(row, TF_PRESENT, OP_EQ, 0);
	tour_expect_kernel(row, 1, 0x7,
			   "handle_mm_fault do_wp_page do_page_mkwrite faultdemo_page_mkwrite fault_dirty_shared_page",
			   "do_fault faultdemo_fault wp_page_copy vma_alloc_folio|vma_alloc_folio_noprof",
			   "wp_page_shared");
	return 0;
}

/* What the child of the fork row measured, sent back through a pipe. */
struct fork_report {
	struct probe_result r;
	struct fd_stats s0, s1;
	__u64 ent0, ent1;
	long pb, pa;
};

static void fork_child(int wfd, char *p, unsigned char val)
{
	struct fork_report rep;
	ssize_t n;

	memset(&rep, 0, sizeof(rep));
	ev_populate_text();
	rep.ent0 = ev_pagemap_one(p);
	tour_stats_snap(&rep.s0);
	rep.pb = ev_present(p, 1);
	tour_run_act(ACT_STORE, p, 1, 0, val, &rep.r);
	rep.pa = ev_present(p, 1);
	rep.ent1 = ev_pagemap_one(p);
	tour_stats_snap(&rep.s1);
	n = write(wfd, &rep, sizeof(rep));
	_exit(n == sizeof(rep) ? 0 : 1);
}

static int row_fork_cow(struct tour *t, struct tour_row *row)
{
	struct probe_result setup;
	struct fork_report rep;
	int pfd[2], status;
	unsigned char val;
	ssize_t n;
	pid_t pid;
	char *p;

	tour_row_init(row, "fork_cow",
		      "do_wp_page -> wp_page_copy: the page is shared with the parent, the child gets a copy");
	snprintf(row->action, sizeof(row->action),
		 "store to a MAP_PRIVATE device page (COWed: now anonymous), fork(), store again in the child (measured)");
	p = map_base(t, row, MAP_PRIVATE, &val);
	if (!p)
		return 0;
	val ^= 0x0f;
	tour_run_act(ACT_STORE, p, 1, 0, val, &setup);
	if (setup.signo || pipe(pfd)) {
		munmap(p, t->ps);
		return tour_fail(row, "setup failed");
	}
	fflush(NULL);
	tour_kernel_begin(&t->k);
	pid = fork();
	if (pid < 0) {
		tour_kernel_end(&t->k, row, p, t->ps);
		munmap(p, t->ps);
		close(pfd[0]);
		close(pfd[1]);
		return tour_fail(row, "fork: %s", strerror(errno));
	}
	if (!pid) {
		close(pfd[0]);
		fork_child(pfd[1], p, val ^ 0xf0);
	}
	close(pfd[1]);
	n = read(pfd[0], &rep, sizeof(rep));
	close(pfd[0]);
	waitpid(pid, &status, 0);
	tour_kernel_end(&t->k, row, p, t->ps);
	/* The parent's copy must still hold its own value. */
	row->ev[TF_DATA_OK] = (unsigned char)p[0] == val;
	munmap(p, t->ps);
	if (n != sizeof(rep))
		return tour_fail(row, "the child reported nothing (status 0x%x)", status);

	tour_probe_into_row(row, &rep.r, p);
	tour_present_into_row(row, rep.pb, rep.pa);
	tour_stats_delta(row, &rep.s0, &rep.s1);
	if (rep.ent0 & PM_PRESENT)
		row->ev[TF_EXCLUSIVE_BEFORE] = !!(rep.ent0 & PM_EXCLUSIVE);
	if (rep.ent1 & PM_PRESENT) {
		row->ev[TF_EXCLUSIVE] = !!(rep.ent1 & PM_EXCLUSIVE);
		row->ev[TF_FILE] = !!(rep.ent1 & PM_FILE);
	}
	if (t->zero_pfn && (rep.ent0 & PM_PRESENT) && (rep.ent1 & PM_PRESENT))
		row->ev[TF_PFN_CHANGED] = (rep.ent0 & PM_PFN_MASK) != (rep.ent1 & PM_PFN_MASK);

	tour_expect_minor_fault(row);
	tour_expect(row, TF_PRESENT_BEFORE, OP_EQ, 1);
	tour_expect(row, TF_PRESENT, OP_EQ, 0);
	tour_expect(row, TF_EXCLUSIVE_BEFORE, OP_EQ, 0);
	tour_expect(row, TF_EXCLUSIVE, OP_EQ, 1);
	tour_expect(row, TF_FILE, OP_EQ, 0);
	if (t->zero_pfn)
		tour_expect(row, TF_PFN_CHANGED, OP_EQ, 1);
	tour_expect_device_idle(row);
	tour_expect(row, TF_DATA_OK, OP_EQ, 1);
	tour_expect_kernel(row, 1, 0x7,
			   "handle_mm_fault do_wp_page wp_page_copy vma_alloc_folio|vma_alloc_folio_noprof",
			   "do_fault faultdemo_fault faultdemo_page_mkwrite do_page_mkwrite",
			   "wp_page_copy");
	return 0;
}

static int row_reserved_window(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	struct probe_result r;
	size_t n;
	int pf;
	char *p;

	tour_row_init(row, "reserved_window",
		      "none: remap_pfn_range() filled the page table at mmap time (VM_PFNMAP)");
	if (!t->g.reserved_size)
		return tour_skip(row, "module parameter reserved_size=0: no reserved window");
	n = t->g.reserved_size / t->ps;
	snprintf(row->action, sizeof(row->action),
		 "load from each of the %zu pages of a fresh MAP_SHARED mapping of the reserved window",
		 n);
	p = mmap(NULL, n * t->ps, PROT_READ, MAP_SHARED, t->fd,
		 (off_t)t->g.reserved_offset);
	if (p == MAP_FAILED)
		return tour_fail(row, "mmap: %s", strerror(errno));

	/*
	 * No present count: pagemap, like every page table walker, skips
	 * VM_PFNMAP vmas, so it would report the window as not mapped.
	 */
	tour_before_step(&b, true, NULL, 0);
	tour_measure(t, row, ACT_LOAD, p, n, t->ps, 0, &r);
	tour_after_step(row, &b, &r, p);
	pf = ev_smaps_vmflag(p, "pf");
	if (pf >= 0)
		row->ev[TF_VMA_PFNMAP] = pf;
	munmap(p, n * t->ps);
	/* a private pfn mapping would show the window's pfn in /proc/PID/maps */
	p = mmap(NULL, t->ps, PROT_READ, MAP_PRIVATE, t->fd, (off_t)t->g.reserved_offset);
	row->ev[TF_PRIVATE_REFUSED] = p == MAP_FAILED && errno == EINVAL;
	if (p != MAP_FAILED)
		munmap(p, t->ps);
	snprintf(row->note, sizeof(row->note),
		 "(%zu loads, no fault; pagemap does not walk VM_PFNMAP vmas; MAP_PRIVATE is refused)",
		 n);

	tour_expect_no_signal(row);
	tour_expect(row, TF_MINFLT, OP_EQ, 0);
	tour_expect(row, TF_MAJFLT, OP_EQ, 0);
	tour_expect(row, TF_VMA_PFNMAP, OP_EQ, 1);
	tour_expect(row, TF_PRIVATE_REFUSED, OP_EQ, 1);
	tour_expect_device_idle(row);
	tour_expect_kernel(row, 0, -1, "", "", NULL);
	return 0;
}

static int row_past_end(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	struct probe_result r;
	int calls;
	char *p;

	tour_row_init(row, "past_end",
		      "do_read_fault -> .fault returns VM_FAULT_SIGBUS (page beyond the data area)");
	snprintf(row->action, sizeof(row->action),
		 "load from a MAP_SHARED mapping of offset %llu, the first byte past the data area",
		 (unsigned long long)t->g.size);
	tour_refresh_geometry(t);
	p = mmap(NULL, t->ps, PROT_READ, MAP_SHARED, t->fd, (off_t)t->g.size);
	if (p == MAP_FAILED)
		return tour_fail(row, "mmap: %s", strerror(errno));

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_LOAD, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	munmap(p, t->ps);

	tour_expect_signal(row, SIGBUS, BUS_ADRERR);
	tour_expect_error_code(row, 0, 0, 0);
	tour_expect(row, TF_SIGBUS, OP_EQ, 1);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 1);
	calls = tour_fault_around_calls(t);
	if (calls >= 0)
		tour_expect(row, TF_MAP_PAGES, OP_EQ, calls);
	tour_expect(row, TF_PRESENT, OP_EQ, 0);
	tour_expect_kernel(row, 1, 0x4, "handle_mm_fault do_fault __do_fault faultdemo_fault",
			   "finish_fault", "do_read_fault");
	return 0;
}

/*
 * An address with no mapping: the middle one of three PROT_NONE pages,
 * unmapped. With a guard page on each side no neighbouring stack can grow
 * into it. NULL on failure; unmap_hole() undoes it.
 */
static char *map_hole(struct tour *t)
{
	char *res = mmap(NULL, 3 * t->ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (res == MAP_FAILED)
		return NULL;
	munmap(res + t->ps, t->ps);
	return res + t->ps;
}

static void unmap_hole(struct tour *t, char *hole)
{
	munmap(hole - t->ps, 3 * t->ps);
}

static int row_no_vma(struct tour *t, struct tour_row *row)
{
	struct probe_result r;
	struct tour_before b;
	char *hole;

	tour_row_init(row, "no_vma",
		      "do_user_addr_fault: no vma -> bad_area -> SIGSEGV (no handler runs)");
	snprintf(row->action, sizeof(row->action),
		 "load from an address with no mapping (a hole between two PROT_NONE pages)");
	hole = map_hole(t);
	if (!hole)
		return tour_fail(row, "mmap: %s", strerror(errno));

	tour_before_step(&b, true, NULL, 0);
	tour_measure(t, row, ACT_LOAD, hole, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, hole);
	unmap_hole(t, hole);

	tour_expect_signal(row, SIGSEGV, SEGV_MAPERR);
	tour_expect_error_code(row, 0, 0, 0);
	tour_expect_device_idle(row);
	tour_expect_kernel(row, 1, 0x4,
			   "bad_area_nosemaphore __bad_area_nosemaphore force_sig_fault",
			   "handle_mm_fault fixup_exception", "do_user_addr_fault");
	return 0;
}

static int row_store_read_only(struct tour *t, struct tour_row *row)
{
	struct probe_result r, setup;
	struct tour_before b;
	char *p;

	tour_row_init(row, "store_read_only",
		      "do_user_addr_fault: access_error() (no VM_WRITE) -> bad_area_access_error -> SIGSEGV");
	snprintf(row->action, sizeof(row->action),
		 "load from device page %llu via a fresh MAP_SHARED PROT_READ mapping, then store to it (measured)",
		 (unsigned long long)t->base);
	p = tour_dev_map(t, t->base, 1, PROT_READ, MAP_SHARED);
	if (!p)
		return tour_fail(row, "mmap: %s", strerror(errno));
	tour_run_act(ACT_LOAD, p, 1, 0, 0, &setup);	/* present, read-only */

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_STORE, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	munmap(p, t->ps);

	tour_expect_signal(row, SIGSEGV, SEGV_ACCERR);
	tour_expect_error_code(row, 1, 1, 0);
	tour_expect(row, TF_PRESENT_BEFORE, OP_EQ, 1);
	tour_expect(row, TF_PRESENT, OP_EQ, 0);
	tour_expect_device_idle(row);
	tour_expect_kernel(row, 1, 0x7, "bad_area_access_error force_sig_fault",
			   "handle_mm_fault", "do_user_addr_fault");
	return 0;
}

static int row_exec_non_exec(struct tour *t, struct tour_row *row)
{
	struct probe_result r;
	unsigned char *p;

	tour_row_init(row, "exec_non_exec",
		      "do_user_addr_fault: access_error() (no VM_EXEC) -> SIGSEGV; NX gives the I/D bit");
	snprintf(row->action, sizeof(row->action),
		 "call a 'ret' instruction stored in a MAP_PRIVATE|MAP_ANONYMOUS PROT_READ|PROT_WRITE page");
#ifndef __x86_64__
	(void)t;
	(void)r;
	(void)p;
	return tour_skip(row, "x86-64 only");
#else
	p = mmap(NULL, t->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return tour_fail(row, "mmap: %s", strerror(errno));
	p[0] = 0xc3;	/* ret: harmless should the CPU run it */

	tour_measure(t, row, ACT_CALL, p, 1, 0, 0, &r);
	tour_probe_into_row(row, &r, p);
	munmap(p, t->ps);
	if (!r.signo)
		return tour_skip(row, "the CPU ran code from a page without PROT_EXEC: no NX bit");

	tour_expect_signal(row, SIGSEGV, SEGV_ACCERR);
	tour_expect_error_code(row, 1, 0, 1);
#endif
	tour_expect_kernel(row, 1, 0x15, "bad_area_access_error force_sig_fault",
			   "handle_mm_fault", "do_user_addr_fault");
	return 0;
}

static int row_swap_in(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	struct probe_result r;
	__u64 ent = 0;
	bool same = true;
	size_t i;
	char *p;
	int k;

	tour_row_init(row, "swap_in",
		      "do_swap_page: the PTE holds a swap entry; read the page back (or take it from the swap cache)");
	snprintf(row->action, sizeof(row->action),
		 "write a private anonymous page, MADV_PAGEOUT it, load from it (measured)");
	if (!t->swap.usable)
		return tour_skip(row, "%s", t->swap.how);
	p = mmap(NULL, t->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return tour_fail(row, "mmap: %s", strerror(errno));
	madvise(p, t->ps, MADV_NOHUGEPAGE);
	for (i = 0; i < t->ps; i++)
		p[i] = (char)(i * 7 + 1);

	/* Reclaim may leave the page for a moment (writeback): try again. */
	for (k = 0; k < 10; k++) {
		if (madvise(p, t->ps, MADV_PAGEOUT)) {
			int err = errno;

			munmap(p, t->ps);
			if (err == EINVAL)
				return tour_skip(row, "MADV_PAGEOUT not supported (Linux 5.4+)");
			return tour_fail(row, "madvise(MADV_PAGEOUT): %s", strerror(err));
		}
		ent = ev_pagemap_one(p);
		if (ent & PM_SWAP)
			break;
		usleep(10000);
	}
	if (!(ent & PM_SWAP)) {
		munmap(p, t->ps);
		return tour_skip(row, "MADV_PAGEOUT left the page in memory (%s); swap: %s",
				 ent & PM_PRESENT ? "still present" : "not swapped", t->swap.how);
	}
	row->ev[TF_SWAPPED_BEFORE] = 1;

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_LOAD, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	ent = ev_pagemap_one(p);
	row->ev[TF_SWAPPED] = !!(ent & PM_SWAP);
	for (i = 0; !r.signo && i < t->ps; i++)
		same &= p[i] == (char)(i * 7 + 1);
	row->ev[TF_DATA_OK] = !r.signo && same;
	munmap(p, t->ps);

	if (r.majflt)
		snprintf(row->note, sizeof(row->note), "(major fault: read back from %s)",
			 t->swap.ours ? t->swap.dev : "swap");
	else if (r.minflt)
		snprintf(row->note, sizeof(row->note),
			 "(minor fault: the page was still in the swap cache)");

	tour_expect_no_signal(row);
	tour_expect(row, TF_SWAPPED_BEFORE, OP_EQ, 1);
	tour_expect(row, TF_FAULTS, OP_EQ, 1);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_SWAPPED, OP_EQ, 0);
	tour_expect(row, TF_DATA_OK, OP_EQ, 1);
	tour_expect_device_idle(row);
	tour_expect_kernel(row, 1, 0x4, "handle_mm_fault do_swap_page",
			   "do_fault do_anonymous_page faultdemo_fault", NULL);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The rows of the block backend: the device behind the page cache */

static int block_only(struct tour *t, struct tour_row *row)
{
	if (!t->block)
		return tour_skip(row,
				 "RAM mode: no device behind the page cache (load the module with backing=/dev/...)");
	return 1;
}

/* @v as text, "?" when the kernel's account did not have it. */
static const char *ev_or_q(long long v, char *buf, size_t len)
{
	if (v == EV_UNKNOWN)
		return "?";
	snprintf(buf, len, "%lld", v);
	return buf;
}

static int row_pmd_fault(struct tour *t, struct tour_row *row)
{
	const size_t pmd_pages = (2UL << 20) / t->ps;
	long long thp0, thp1, rd0 = 0, wr0 = 0;
	char order[24], bios[24];
	struct tour_before b;
	struct probe_result r;
	long cold;
	char *p;

	if (t->block)
		tour_row_init(row, "pmd_fault",
			      "do_read_fault -> __do_fault -> .fault = filemap_fault: MADV_HUGEPAGE read-ahead of 2 MiB folios from the device, retried -> do_set_pmd: one major fault, one PMD maps 512 pages");
	else
		tour_row_init(row, "pmd_fault",
			      "do_read_fault -> __do_fault -> .fault (a 2 MiB folio) -> finish_fault -> do_set_pmd: one PMD maps 512 pages");
	if (t->g.folio_order != 9 || pmd_pages != 512)
		return tour_skip(row,
				 "folio_order is %u: load the module with folio_order=9 (4 KiB pages)",
				 t->g.folio_order);
	cold = ev_find_cold(t->fd, t->npages, 0, pmd_pages, pmd_pages);
	if (cold < 0)
		return tour_skip(row,
				 "no uncached, aligned 2 MiB in the data area (reload the module)");
	snprintf(row->action, sizeof(row->action),
		 "load from device page %ld (not in the page cache, 2 MiB aligned) through a fresh 2 MiB MAP_SHARED PROT_READ mapping the kernel placed%s",
		 cold, t->block ? ", madvise(MADV_HUGEPAGE)" : "");
	p = tour_dev_map(t, cold, pmd_pages, PROT_READ, MAP_SHARED);
	if (!p)
		return tour_fail(row, "mmap: %s", strerror(errno));
	if ((unsigned long)p % (pmd_pages * t->ps)) {
		munmap(p, pmd_pages * t->ps);
		return tour_fail(row, "the kernel placed the mapping at %p, not on 2 MiB", p);
	}
	/* a disk's read-ahead makes PMD-sized folios for VM_HUGEPAGE only */
	if (t->block && (madvise(p, pmd_pages * t->ps, MADV_HUGEPAGE) ||
			 tour_blk_sectors(t, &rd0, &wr0))) {
		munmap(p, pmd_pages * t->ps);
		return tour_fail(row, "madvise(MADV_HUGEPAGE) or %s: %s", t->blkstat,
				 strerror(errno));
	}

	thp0 = tour_vmstat_value("thp_file_mapped");
	tour_before_step(&b, true, p, pmd_pages);
	tour_measure(t, row, ACT_LOAD, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	thp1 = tour_vmstat_value("thp_file_mapped");
	if (t->block)
		tour_blk_into_row(row, t, rd0, wr0);
	tour_pagemap_into_row(row, p);
	row->ev[TF_FILE_PMD_MAPPED_KB] = ev_smaps_kb(p, "FilePmdMapped");
	row->ev[TF_THP_FILE_MAPPED] = thp0 < 0 || thp1 < 0 ? EV_UNKNOWN : thp1 - thp0;
	row->ev[TF_FOLIO_PAGES] = tour_contiguous_pages(p, pmd_pages);
	munmap(p, pmd_pages * t->ps);

	tour_expect(row, TF_PRESENT, OP_EQ, pmd_pages);
	tour_expect(row, TF_FILE_PMD_MAPPED_KB, OP_EQ, 2048);
	tour_expect(row, TF_THP_FILE_MAPPED, OP_EQ, 1);
	tour_expect(row, TF_FOLIO_PAGES, OP_EQ, pmd_pages);
	tour_expect(row, TF_FILE, OP_EQ, 1);
	if (t->block) {
		/* read-ahead reads more than the folio: 4 MiB */
		tour_expect(row, TF_MAJFLT, OP_EQ, 1);
		tour_expect(row, TF_MINFLT, OP_EQ, 0);
		tour_expect(row, TF_FAULT_READ, OP_GE, 1);
		tour_expect(row, TF_PAGES_CACHED, OP_GE, pmd_pages);
		tour_expect(row, TF_SECTORS_READ, OP_GE, pmd_pages * (long long)(t->ps / 512));
		snprintf(row->note, sizeof(row->note),
			 "(one major fault: read-ahead of folios of order %s in %s bio(s), then one PMD maps 512 pages of one folio)",
			 ev_or_q(row->ev[TF_TRACE_RA_ORDER], order, sizeof(order)),
			 ev_or_q(row->ev[TF_TRACE_RA_BIOS], bios, sizeof(bios)));
		tour_expect_kernel(row, 1, 0x4,
				   "handle_mm_fault do_fault faultdemo_fault filemap_fault do_set_pmd",
				   "do_set_pte set_pte_range", "do_read_fault");
		tour_expect(row, TF_TRACE_MAJOR, OP_EQ, 1);
		if (row->tr.recorded) {
			tour_expect(row, TF_TRACE_RA_ORDER, OP_EQ, 9);
			tour_expect(row, TF_TRACE_RA_BIOS, OP_GE, 1);
		}
		return 0;
	}
	tour_expect_minor_fault(row);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 1);
	tour_expect(row, TF_FAULT_PMD, OP_EQ, 1);
	tour_expect(row, TF_PAGES_CACHED, OP_EQ, pmd_pages);
	snprintf(row->note, sizeof(row->note),
		 "(one fault, 512 pages present: one folio, physically contiguous, mapped by one PMD; fault-around maps a cached one the same way)");
	tour_expect_kernel(row, 1, 0x4,
			   "handle_mm_fault do_fault __do_fault faultdemo_fault finish_fault do_set_pmd",
			   "do_set_pte set_pte_range", "do_read_fault");
	return 0;
}

static int row_major_fault(struct tour *t, struct tour_row *row)
{
	char order[24], bios[24];
	struct tour_before b;
	struct probe_result r;
	long long rd0, wr0;
	unsigned char byte;
	long ra, run;
	long cold;
	char *p;

	tour_row_init(row, "major_fault",
		      "do_read_fault -> __do_fault -> .fault = filemap_fault: page cache miss, read-around from the device, fault lock dropped while the read runs (VM_FAULT_RETRY), retried");
	if (block_only(t, row) <= 0)
		return 0;
	ra = tour_read_around_pages(t);
	run = ra > 0 && 2 * ra > 64 ? 2 * ra : 64;
	cold = ev_find_cold(t->fd, t->npages, 0, run, run);
	if (cold < 0)
		return tour_skip(row, "no %ld uncached pages in a row: drop the caches first", run);
	cold += run / 2;
	snprintf(row->action, sizeof(row->action),
		 "load from device page %ld (not in the page cache) through a fresh 1-page MAP_SHARED PROT_READ mapping",
		 cold);
	p = tour_dev_map(t, cold, 1, PROT_READ, MAP_SHARED);
	if (!p)
		return tour_fail(row, "mmap: %s", strerror(errno));
	if (tour_blk_sectors(t, &rd0, &wr0)) {
		munmap(p, t->ps);
		return tour_fail(row, "cannot read %s", t->blkstat);
	}

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_LOAD, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	tour_blk_into_row(row, t, rd0, wr0);
	tour_pagemap_into_row(row, p);
	row->ev[TF_DATA_OK] = !tour_dev_byte(t, cold, &byte) &&
			      byte == __atomic_load_n((unsigned char *)p, __ATOMIC_RELAXED);
	munmap(p, t->ps);

	tour_expect_no_signal(row);
	tour_expect(row, TF_MAJFLT, OP_EQ, 1);
	tour_expect(row, TF_MINFLT, OP_EQ, 0);
	tour_expect(row, TF_FAULT_MAJOR, OP_EQ, 1);
	tour_expect(row, TF_FAULT_READ, OP_GE, 1);
	if (ra > 0)
		tour_expect(row, TF_PAGES_READ, OP_EQ, ra);
	if (row->ev[TF_PAGES_READ] != EV_UNKNOWN)
		tour_expect(row, TF_SECTORS_READ, OP_EQ,
			    row->ev[TF_PAGES_READ] * (long long)(t->ps / 512));
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_DATA_OK, OP_EQ, 1);
	snprintf(row->note, sizeof(row->note),
		 "(read-around: %ld pages, /sys/class/bdi/%s/read_ahead_kb, in folios of order %s and %s bio(s); fault_retry+1 when the read was still running)",
		 ra, t->bdi, ev_or_q(row->ev[TF_TRACE_RA_ORDER], order, sizeof(order)),
		 ev_or_q(row->ev[TF_TRACE_RA_BIOS], bios, sizeof(bios)));
	tour_expect_kernel(row, 1, 0x4,
			   "handle_mm_fault do_fault __do_fault faultdemo_fault filemap_fault",
			   "do_page_mkwrite", "do_read_fault");
	tour_expect(row, TF_TRACE_MAJOR, OP_EQ, 1);
	if (row->tr.recorded) {
		tour_expect(row, TF_TRACE_RA_ORDER, OP_LE, t->g.folio_order);
		tour_expect(row, TF_TRACE_RA_BIOS, OP_GE, 1);
	}
	return 0;
}

static int row_writeback(struct tour *t, struct tour_row *row)
{
	struct probe_result r, again;
	struct fd_stats s0, s1, s2;
	long long rd0, wr0;
	unsigned char byte;
	char *p;
	int ret;

	tour_row_init(row, "writeback",
		      "msync(MS_SYNC) -> .fsync -> ->writepages (iomap) -> the device; folio_clear_dirty_for_io write-protects the page, so the next store is do_wp_page -> .page_mkwrite");
	if (block_only(t, row) <= 0)
		return 0;
	snprintf(row->action, sizeof(row->action),
		 "store (the byte already there) to device page %llu through a fresh MAP_SHARED mapping and msync(MS_SYNC) it (measured), then store again",
		 (unsigned long long)t->base);
	p = map_base(t, row, MAP_SHARED, &byte);
	if (!p)
		return 0;
	if (tour_blk_sectors(t, &rd0, &wr0)) {
		munmap(p, t->ps);
		return tour_fail(row, "cannot read %s", t->blkstat);
	}

	/*
	 * The store and the msync together: the flusher may write the page
	 * in between (a new bdi starts writeback early), msync then waits
	 * for that write instead of starting its own. One write either way.
	 */
	tour_stats_snap(&s0);
	tour_kernel_begin(&t->k);
	tour_run_act(ACT_STORE, p, 1, 0, byte, &r);
	ret = msync(p, t->ps, MS_SYNC);
	tour_kernel_end(&t->k, row, p, t->ps);
	tour_stats_snap(&s1);
	tour_blk_into_row(row, t, rd0, wr0);
	tour_probe_into_row(row, &r, p);
	tour_stats_delta(row, &s0, &s1);
	if (ret) {
		munmap(p, t->ps);
		return tour_fail(row, "msync: %s", strerror(errno));
	}
	/* written back: the next store must fault into .page_mkwrite */
	tour_run_act(ACT_STORE, p, 1, 0, byte, &again);
	tour_stats_snap(&s2);
	row->ev[TF_REPROTECTED] = again.minflt == 1 && !again.signo &&
		s2.v[FD_STAT_PAGE_MKWRITE] - s1.v[FD_STAT_PAGE_MKWRITE] == 1;
	munmap(p, t->ps);

	tour_expect_minor_fault(row);
	tour_expect(row, TF_FAULT_SHARED, OP_EQ, 1);
	tour_expect(row, TF_PAGE_MKWRITE, OP_EQ, 1);
	tour_expect(row, TF_PAGES_WRITTEN, OP_EQ, 1);
	tour_expect(row, TF_SECTORS_WRITTEN, OP_GE, (long long)(t->ps / 512));
	tour_expect(row, TF_REPROTECTED, OP_EQ, 1);
	snprintf(row->note, sizeof(row->note),
		 "(the store after msync took 1 fault and .page_mkwrite: reprotected)");
	tour_expect_kernel(row, 1, 0x6,
			   "handle_mm_fault do_fault faultdemo_fault do_page_mkwrite faultdemo_page_mkwrite",
			   "do_wp_page", "do_shared_fault");
	return 0;
}

static int row_evict_refault(struct tour *t, struct tour_row *row)
{
	unsigned char *want, *got;
	struct tour_before b;
	struct probe_result r;
	long long rd0, wr0;
	unsigned char vec;
	long page;
	char *p;

	tour_row_init(row, "evict_refault",
		      "posix_fadvise(POSIX_FADV_DONTNEED) drops the clean, unmapped page from the page cache; the next load: .fault = filemap_fault misses, a major fault reads it back");
	if (block_only(t, row) <= 0)
		return 0;
	page = ev_find_cold(t->fd, t->npages, 0, 64, 64);
	if (page < 0)
		return tour_skip(row, "no uncached pages: drop the caches first");
	page += 32;
	snprintf(row->action, sizeof(row->action),
		 "read() device page %ld into the page cache, posix_fadvise(POSIX_FADV_DONTNEED) it, load it through a fresh MAP_SHARED mapping (measured)",
		 page);
	want = malloc(t->ps);
	got = malloc(t->ps);
	if (!want || !got ||
	    pread(t->fd, want, t->ps, (off_t)page * t->ps) != (ssize_t)t->ps) {
		free(want);
		free(got);
		return tour_fail(row, "read(/dev/faultdemo): %s", strerror(errno));
	}
	if (posix_fadvise(t->fd, (off_t)page * t->ps, t->ps, POSIX_FADV_DONTNEED) ||
	    ev_cached(t->fd, page, 1, &vec)) {
		free(want);
		free(got);
		return tour_fail(row, "posix_fadvise or mincore failed");
	}
	row->ev[TF_CACHED_BEFORE] = vec & 1;
	p = tour_dev_map(t, page, 1, PROT_READ, MAP_SHARED);
	if (!p || tour_blk_sectors(t, &rd0, &wr0)) {
		if (p)
			munmap(p, t->ps);
		free(want);
		free(got);
		return tour_fail(row, "mmap, or %s unreadable", t->blkstat);
	}

	tour_before_step(&b, true, p, 1);
	tour_measure(t, row, ACT_LOAD, p, 1, 0, 0, &r);
	tour_after_step(row, &b, &r, p);
	tour_blk_into_row(row, t, rd0, wr0);
	memcpy(got, p, t->ps);
	row->ev[TF_DATA_OK] = !memcmp(want, got, t->ps);
	munmap(p, t->ps);
	free(want);
	free(got);

	tour_expect_no_signal(row);
	tour_expect(row, TF_CACHED_BEFORE, OP_EQ, 0);
	tour_expect(row, TF_MAJFLT, OP_EQ, 1);
	tour_expect(row, TF_FAULT_MAJOR, OP_EQ, 1);
	tour_expect(row, TF_SECTORS_READ, OP_GE, (long long)(t->ps / 512));
	tour_expect(row, TF_DATA_OK, OP_EQ, 1);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect_kernel(row, 1, 0x4, "handle_mm_fault do_fault faultdemo_fault filemap_fault",
			   "do_page_mkwrite", "do_read_fault");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Faults the kernel takes on a user address, and malloc() */

static int row_kernel_mode_fault(struct tour *t, struct tour_row *row)
{
	__u64 src = t->base, dst = t->base + 1 < t->npages ? t->base + 1 : t->base - 1;
	unsigned char before, after, *want;
	struct tour_before b;
	struct probe_result r;
	char *p;
	int err;

	tour_row_init(row, "kernel_mode_fault",
		      "read() -> copy_to_user() stores to an untouched MAP_PRIVATE page: the fault is taken in kernel mode (no X86_PF_USER), do_user_addr_fault -> handle_mm_fault -> do_fault (COW) -> .fault, then the copy goes on");
	snprintf(row->action, sizeof(row->action),
		 "read() device page %llu into a fresh, untouched 1-page MAP_PRIVATE mapping of device page %llu",
		 (unsigned long long)src, (unsigned long long)dst);
	if (t->npages < 2)
		return tour_skip(row, "the device has a single page");
	want = malloc(t->ps);
	/* both pages cached: the fault itself reads nothing */
	if (!want || pread(t->fd, want, t->ps, (off_t)(src * t->ps)) != (ssize_t)t->ps ||
	    tour_dev_byte(t, dst, &before)) {
		free(want);
		return tour_fail(row, "read(/dev/faultdemo): %s", strerror(errno));
	}
	p = tour_dev_map(t, dst, 1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	if (!p) {
		free(want);
		return tour_fail(row, "mmap: %s", strerror(errno));
	}

	tour_before_step(&b, true, p, 1);
	err = tour_measure_pread(t, row, p, t->ps, (off_t)(src * t->ps), &r);
	tour_after_step(row, &b, &r, p);
	tour_pagemap_into_row(row, p);
	row->ev[TF_EFAULT] = err == EFAULT;
	row->ev[TF_DATA_OK] = !err && !memcmp(p, want, t->ps);
	if (!tour_dev_byte(t, dst, &after))
		row->ev[TF_DEVICE_UNCHANGED] = after == before;
	munmap(p, t->ps);
	free(want);

	tour_expect_no_signal(row);
	tour_expect(row, TF_EFAULT, OP_EQ, 0);
	/* mm_account_fault() counts a kernel-mode fault for the task too */
	tour_expect(row, TF_MINFLT, OP_EQ, 1);
	tour_expect(row, TF_MAJFLT, OP_EQ, 0);
	tour_expect(row, TF_FAULT_COW, OP_EQ, 1);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 0);
	tour_expect(row, TF_MAP_PAGES, OP_EQ, 0);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_EXCLUSIVE, OP_EQ, 1);
	tour_expect(row, TF_FILE, OP_EQ, 0);
	tour_expect(row, TF_DATA_OK, OP_EQ, 1);
	tour_expect(row, TF_DEVICE_UNCHANGED, OP_EQ, 1);
	tour_expect_kernel(row, 1, 0x2,
			   "handle_mm_fault do_fault __do_fault faultdemo_fault finish_fault",
			   "faultdemo_map_pages faultdemo_page_mkwrite fixup_exception",
			   "do_cow_fault do_user_addr_fault");
	snprintf(row->note, sizeof(row->note),
		 "(the copy_to_user() of read() took the fault; the page is a private copy of device page %llu)",
		 (unsigned long long)dst);
	return 0;
}

static int row_exception_fixup(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	struct probe_result r;
	char *hole;
	int err;

	tour_row_init(row, "exception_fixup",
		      "read() into an address with no VMA: copy_to_user() faults in kernel mode, do_user_addr_fault finds no VMA -> bad_area_nosemaphore -> fixup_exception (the exception table): read() returns EFAULT, no signal");
	snprintf(row->action, sizeof(row->action),
		 "read() device page %llu into an address with no mapping (a hole between two PROT_NONE pages)",
		 (unsigned long long)t->base);
	hole = map_hole(t);
	if (!hole)
		return tour_fail(row, "mmap: %s", strerror(errno));

	tour_before_step(&b, true, NULL, 0);
	err = tour_measure_pread(t, row, hole, t->ps, (off_t)(t->base * t->ps), &r);
	tour_after_step(row, &b, &r, hole);
	row->ev[TF_EFAULT] = err == EFAULT;
	unmap_hole(t, hole);

	tour_expect_no_signal(row);
	tour_expect(row, TF_EFAULT, OP_EQ, 1);
	tour_expect(row, TF_MINFLT, OP_EQ, 0);
	tour_expect(row, TF_MAJFLT, OP_EQ, 0);
	tour_expect(row, TF_FAULT_READ, OP_EQ, 0);
	tour_expect(row, TF_FAULT_COW, OP_EQ, 0);
	tour_expect(row, TF_FAULT_SHARED, OP_EQ, 0);
	tour_expect_kernel(row, -1, 0x2, "bad_area_nosemaphore fixup_exception",
			   "handle_mm_fault force_sig_fault", "do_user_addr_fault vmalloc_fault");
	return 0;
}

/* The line of /proc/self/maps holding @addr: its range and its name. */
static int maps_line(const void *addr, unsigned long *start, unsigned long *end,
		     char *name, size_t len)
{
	unsigned long a = (unsigned long)addr;
	char line[512];
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		int off = 0;

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", start, end, &off) < 2)
			continue;
		if (a < *start || a >= *end)
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(name, len, "%s", off ? line + off : "");
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static bool in_heap(const void *addr)
{
	unsigned long start, end;
	char name[256];

	return !maps_line(addr, &start, &end, name, sizeof(name)) && !strcmp(name, "[heap]");
}

/*
 * The smallest request, to 16 bytes, that malloc() serves from a mapping
 * of its own. Blocks it mapped are not freed: free() of one would raise
 * glibc's threshold to its size.
 */
static long mmap_threshold(size_t lo, size_t hi)
{
	while (hi - lo > 16) {
		size_t mid = lo + (hi - lo) / 2;
		void *b = malloc(mid);

		if (!b)
			return -1;
		if (in_heap(b)) {
			lo = mid;
			free(b);
		} else {
			hi = mid;
		}
	}
	return (long)hi;
}

static int row_malloc_heap_or_mmap(struct tour *t, struct tour_row *row)
{
	struct tour_before b;
	const size_t small_size = 64, large_size = 1UL << 20;
	unsigned long hs, he, ls, le;
	char hname[256], lname[256];
	struct probe_result r;
	char *small, *large, *touch;
	long thr;
	size_t k;

	tour_row_init(row, "malloc_heap_or_mmap",
		      "malloc(): a small block comes from the brk() heap, a large one (>= the mmap threshold) from an anonymous mmap() of its own; the first store to a page of it is do_anonymous_page");
	snprintf(row->action, sizeof(row->action),
		 "malloc(%zu) and malloc(%zu), find them in /proc/self/maps, store to a page of the large one not yet present (measured)",
		 small_size, large_size);
	/*
	 * With THP "always" (Debian) the blocks mapped here merge into one
	 * VMA, and a header glibc writes can fault in a 2 MiB page that
	 * covers the page the step stores to: no THP for this row.
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	small = malloc(small_size);
	large = malloc(large_size);
	if (!small || !large) {
		free(small);
		free(large);
		prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
		return tour_fail(row, "out of memory");
	}
	if (maps_line(small, &hs, &he, hname, sizeof(hname)) ||
	    maps_line(large, &ls, &le, lname, sizeof(lname))) {
		free(small);
		free(large);
		prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
		return tour_fail(row, "the blocks are not in /proc/self/maps");
	}
	row->ev[TF_SMALL_IN_HEAP] = !strcmp(hname, "[heap]");
	/*
	 * glibc's header of a block it mapped takes 16 bytes at the start of
	 * the mapping: the block is 16 bytes past a page boundary. (The
	 * kernel may have merged the mapping with an anonymous neighbour.)
	 */
	row->ev[TF_LARGE_MMAPPED] = !lname[0] && ((unsigned long)large & (t->ps - 1)) == 16;
	thr = mmap_threshold(small_size, large_size);
	if (thr > 0)
		row->ev[TF_MMAP_THRESHOLD] = thr;

	/* a page of the block no one touched yet (glibc's header is in the first) */
	for (k = 128; k < large_size / t->ps && ev_present(large + k * t->ps, 1); k++)
		;
	if (k == large_size / t->ps) {
		free(small);
		free(large);
		prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
		return tour_fail(row, "every page from 128 on of the large block is present");
	}
	touch = large + k * t->ps;
	tour_before_step(&b, false, touch, 1);
	tour_measure(t, row, ACT_STORE, touch, 1, 0, 1, &r);
	tour_after_step(row, &b, &r, touch);
	tour_pagemap_into_row(row, touch);
	snprintf(row->note, sizeof(row->note),
		 "(small at %p in %s %lx-%lx; large at %p in %lx-%lx%s%s, stored to its page %zu; glibc starts at 128 KiB and raises it when a mapped block is freed)",
		 (void *)small, hname[0] ? hname : "(anonymous)", hs, he, (void *)large, ls, le,
		 lname[0] ? " " : "", lname, k);
	free(small);
	free(large);
	prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);

	tour_expect_no_signal(row);
	tour_expect(row, TF_SMALL_IN_HEAP, OP_EQ, 1);
	tour_expect(row, TF_LARGE_MMAPPED, OP_EQ, 1);
	tour_expect(row, TF_MMAP_THRESHOLD, OP_GE, (long long)small_size);
	tour_expect(row, TF_MMAP_THRESHOLD, OP_LE, (long long)large_size);
	tour_expect(row, TF_PRESENT_BEFORE, OP_EQ, 0);
	tour_expect(row, TF_MINFLT, OP_EQ, 1);
	tour_expect(row, TF_PRESENT, OP_EQ, 1);
	tour_expect(row, TF_EXCLUSIVE, OP_EQ, 1);
	tour_expect(row, TF_FILE, OP_EQ, 0);
	tour_expect_kernel(row, 1, 0x6, MUST_ANON_STORE, "do_fault do_wp_page",
			   "do_anonymous_page");
	return 0;
}

/* ------------------------------------------------------------------ */

typedef int (*row_fn)(struct tour *t, struct tour_row *row);

/* Each row and its scenario name (tour_row_init() of the row sets the same). */
static const struct {
	const char *name;
	row_fn fn;
} rows[] = {
	{ "malloc_heap_or_mmap", row_malloc_heap_or_mmap },
	{ "anon_read", row_anon_read },
	{ "anon_write", row_anon_write },
	{ "dev_cold_read", row_dev_cold_read },
	{ "dev_fault_around", row_dev_fault_around },
	{ "private_write", row_private_write },
	{ "shared_first_write", row_shared_first_write },
	{ "shared_write_after_clean", row_shared_write_after_clean },
	{ "fork_cow", row_fork_cow },
	{ "reserved_window", row_reserved_window },
	{ "past_end", row_past_end },
	{ "no_vma", row_no_vma },
	{ "store_read_only", row_store_read_only },
	{ "exec_non_exec", row_exec_non_exec },
	{ "kernel_mode_fault", row_kernel_mode_fault },
	{ "exception_fixup", row_exception_fixup },
	{ "swap_in", row_swap_in },
	{ "major_fault", row_major_fault },
	{ "writeback", row_writeback },
	{ "evict_refault", row_evict_refault },
	{ "pmd_fault", row_pmd_fault },
};

#define NR_ROWS	ARRAY_SIZE(rows)

/* The PFN of the zero page, from a read fault in a scratch mapping. */
static __u64 find_zero_pfn(void)
{
	unsigned char *p;
	__u64 ent;

	p = mmap(NULL, fd_page_size(), PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 0;
	(void)__atomic_load_n(p, __ATOMIC_RELAXED);
	ent = ev_pagemap_one(p);
	munmap(p, fd_page_size());
	return (ent & PM_PRESENT) ? ent & PM_PFN_MASK : 0;
}

/* @name is in the comma-separated @list. */
static bool row_selected(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

static int tour_usage(void)
{
	printf("usage: %s tour [--json] [--setup-swap] [--no-trace] [--graph DIR]\n"
	       "                      [--only ROW[,ROW...]]\n", fd_prog);
	return FD_EXIT_OK;
}

static void print_intro(const struct tour *t)
{
	struct utsname u;

	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	printf("faultdemo tour: kernel %s, %llu pages of %zu bytes, readahead %u, fault_around %u,",
	       u.release, (unsigned long long)t->npages, t->ps, t->g.readahead,
	       t->g.fault_around);
	printf(" folio_order %u,", t->g.folio_order);
	if (t->fab)
		printf(" fault_around_bytes %llu\n", (unsigned long long)t->fab);
	else
		printf(" fault_around_bytes unknown\n");
	if (t->block)
		printf("backing: %s (bdi %s): %s\n", t->backing, t->bdi,
		       "pages the rows use are read first, except in major_fault and evict_refault");
	else
		printf("backing: none (RAM mode): the block rows are skipped\n");
	printf("swap: %s\n", t->swap.how);
	tour_kernel_intro(&t->k);
	printf("getrusage() counts the faults of the measured step alone; counters: %s\n\n",
	       FD_STATS_DIR);
}

int cmd_tour(int argc, char **argv)
{
	struct tour_row table[NR_ROWS];
	const char *env = getenv("FAULTDEMO_SETUP_SWAP");
	bool json = false, setup_swap = env && !strcmp(env, "1"), trace = true;
	const char *graph_dir = NULL;
	int i, n = 0, ok = 0, bad = 0, skip = 0, ret;
	int number[NR_ROWS];
	const char *only = NULL;
	struct tour t;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--setup-swap"))
			setup_swap = true;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--no-trace"))
			trace = false;
		else if (!strcmp(argv[i], "--graph") && i + 1 < argc)
			graph_dir = argv[++i];
		else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return tour_usage();
		else
			return fd_usage_error("tour: unknown argument '%s'", argv[i]);
	}

	if (only) {
		char list[256], *tok, *save = NULL;
		size_t k;

		snprintf(list, sizeof(list), "%s", only);
		for (tok = strtok_r(list, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			for (k = 0; k < NR_ROWS && strcmp(rows[k].name, tok); k++)
				;
			if (k == NR_ROWS)
				return fd_usage_error("tour: no row '%s'", tok);
		}
	}

	/*
	 * Fault in every page the measured steps execute or touch (our
	 * text, libc, the stack) before the first step: a lazily mapped
	 * text page would otherwise count as a fault of the step. Only
	 * MCL_CURRENT, and unlocked again: the test mappings must not be
	 * populated.
	 */
	if (!mlockall(MCL_CURRENT))
		munlockall();

	memset(&t, 0, sizeof(t));
	t.ps = fd_page_size();
	t.fd = fd_open_dev(O_RDWR);
	if (t.fd < 0)
		return FD_EXIT_FAIL;
	ret = fd_geometry(t.fd, &t.g);
	if (ret) {
		fd_errno_hint(-ret, "FAULTDEMO_IOC_GET_GEOMETRY");
		close(t.fd);
		return FD_EXIT_FAIL;
	}
	if (t.g.page_size != t.ps) {
		fd_err("the module's page size %u is not ours (%zu)", t.g.page_size, t.ps);
		close(t.fd);
		return FD_EXIT_FAIL;
	}
	ret = probe_init();
	if (ret) {
		fd_err("sigaltstack: %s", strerror(-ret));
		close(t.fd);
		return FD_EXIT_FAIL;
	}
	t.npages = t.g.size / t.ps;
	if (fd_fault_around_bytes(&t.fab))
		t.fab = 0;
	t.zero_pfn = find_zero_pfn();
	t.cold = ev_find_cold(t.fd, t.npages, 0, 1 + t.g.readahead, 1);
	if (t.cold == -ENOSPC)
		t.cold = ev_find_cold(t.fd, t.npages, 0, 1, 1);
	t.base = t.cold >= 0 ? (__u64)t.cold : 0;
	if (!fd_backing(t.backing, sizeof(t.backing), t.bdi, sizeof(t.bdi)) &&
	    t.backing[0]) {
		struct stat st;
		unsigned char b;

		t.block = true;
		if (stat(t.backing, &st))
			st.st_rdev = 0;
		snprintf(t.blkstat, sizeof(t.blkstat), "/sys/dev/block/%u:%u/stat",
			 major(st.st_rdev), minor(st.st_rdev));
		/*
		 * The RAM rows expect their page in the cache or fresh; on a
		 * device a fresh page is a major fault: read it in first.
		 */
		tour_dev_byte(&t, t.base, &b);
	}
	swap_prepare(&t.swap, setup_swap);
	tour_kernel_open(&t.k, trace);
	if (!t.k.on)
		fprintf(stderr, "%s: tour: kernel trace off: %s\n", fd_prog, t.k.why);
	if (graph_dir && mkdir(graph_dir, 0755) && errno != EEXIST) {
		fd_err("tour: --graph %s: %s", graph_dir, strerror(errno));
		graph_dir = NULL;
	}

	for (i = 0; i < (int)NR_ROWS; i++) {
		struct tour_row *row = &table[n];

		if (only && !row_selected(only, rows[i].name))
			continue;
		rows[i].fn(&t, row);
		tour_kernel_judge(&t.k, row);
		tour_judge(row);
		number[n++] = i + 1;
		ok += row->status == TS_OK;
		bad += row->status == TS_MISMATCH;
		skip += row->status == TS_SKIP;
	}
	swap_teardown(&t.swap);
	close(t.fd);
	tour_kernel_close(&t.k);

	for (i = 0; graph_dir && i < n; i++)
		if (tour_write_graph(graph_dir, number[i], &table[i]))
			graph_dir = NULL;

	if (json) {
		tour_print_json(stdout, table, n);
	} else {
		print_intro(&t);
		tour_print_header(stdout);
		for (i = 0; i < n; i++)
			tour_print_row(stdout, number[i], &table[i]);
		printf("\n%d rows: %d ok, %d mismatch, %d skipped\n", n, ok, bad, skip);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fd_err("writing the output: %s", strerror(errno));
		return FD_EXIT_FAIL;
	}
	return bad ? FD_EXIT_FAIL : FD_EXIT_OK;
}

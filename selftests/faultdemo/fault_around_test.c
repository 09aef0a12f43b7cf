// SPDX-License-Identifier: GPL-2.0
/*
 * Fault-around: with the pages in the device's page cache, one read fault
 * maps the whole fault_around_bytes window through .map_pages; the module
 * parameter fault_around=0 takes .map_pages away from new mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define NPAGES	64	/* pages of the warm test area */

FIXTURE(fault_around)
{
	int fd;
	size_t ps;
	__u64 fab;		/* saved fault_around_bytes, 0 if unknown */
	__u64 seed;
	struct fdemo_stats s0;
};

FIXTURE_SETUP(fault_around)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	self->fab = fdemo_fixture_default_fab(_metadata);
	/* Warm pages: in the page cache, uptodate, not mapped anywhere. */
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, NPAGES * self->ps, self->seed));
	ASSERT_EQ(NPAGES, fdemo_cached_in(0, NPAGES));
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(fault_around)
{
	if (self->fab)
		fdemo_fab_set(self->fab);
	fdemo_set_defaults();
	close(self->fd);
}

static char *map_warm(struct __test_metadata *_metadata, int fd, size_t npages,
		      int prot, int flags)
{
	size_t ps = fdemo_page_size();
	char *p;

	/* 2M-aligned: every window lies inside one page table. */
	p = fdemo_mmap_aligned(fd, npages * ps, prot, flags, 0, 2UL << 20);
	EXPECT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	return p == MAP_FAILED ? NULL : p;
}

/* Present pages of [p, p + NPAGES) must be exactly [from, to). */
static int present_range(const char *p, size_t from, size_t to)
{
	size_t ps = fdemo_page_size(), i;
	__u64 ents[NPAGES];

	if (fdemo_pagemap(p, NPAGES, ents))
		return -1;
	for (i = 0; i < NPAGES; i++)
		if (!!(ents[i] & PM_PRESENT) != (i >= from && i < to)) {
			fprintf(stderr, "# page %zu (%p) present=%d, want [%zu,%zu)\n",
				i, p + i * ps, !!(ents[i] & PM_PRESENT), from, to);
			return -1;
		}
	return 0;
}

/* One read fault in the middle of an aligned 16-page window maps it all. */
TEST_F(fault_around, one_fault_maps_window)
{
	struct fdemo_stats s1, d;
	long f0, f1;
	char *p;

	p = map_warm(_metadata, self->fd, NPAGES, PROT_READ, MAP_SHARED);
	ASSERT_NE(NULL, p);
	f0 = fdemo_faults();
	fdemo_touch(p + 21 * self->ps, 1);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &self->s0, &d);
	fdemo_stats_print("delta", &d);
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(0, present_range(p, 16, 32));
	EXPECT_LE(1, d.map_pages);
	EXPECT_EQ(0, d.fault_read);
	EXPECT_EQ(0, d.fault_cow + d.fault_shared + d.page_mkwrite);
	EXPECT_EQ(16, fdemo_pagemap_count(p, NPAGES, PM_PRESENT | PM_FILE,
					  PM_PRESENT | PM_FILE));
	/* The other 15 pages are there: no more faults. */
	f0 = fdemo_faults();
	fdemo_touch(p + 16 * self->ps, 16);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	EXPECT_EQ(-1, fdemo_check(p + 16 * self->ps, 16 * self->ps,
				  16 * self->ps, self->seed));
	munmap(p, NPAGES * self->ps);
}

/* The window follows /sys/kernel/debug/fault_around_bytes. */
TEST_F(fault_around, window_follows_fault_around_bytes)
{
	static const unsigned int pages[] = { 1, 2, 8, 16, 32 };
	struct fdemo_stats a, b, d;
	size_t i, n;
	char *p;

	if (!self->fab)
		SKIP(return, "no %s", FDEMO_FAB_PATH);
	if (!fdemo_destructive_ok())
		SKIP(return, "fault_around_bytes %s", FDEMO_DESTRUCTIVE_WHY);
	for (i = 0; i < ARRAY_SIZE(pages); i++) {
		n = pages[i];
		ASSERT_EQ(0, fdemo_fab_set(n * self->ps));
		p = map_warm(_metadata, self->fd, NPAGES, PROT_READ, MAP_SHARED);
		ASSERT_NE(NULL, p);
		ASSERT_EQ(0, fdemo_stats(&a));
		/* Fault the last page of the second window of this size. */
		fdemo_touch(p + (2 * n - 1) * self->ps, 1);
		ASSERT_EQ(0, fdemo_stats(&b));
		fdemo_stats_sub(&b, &a, &d);
		EXPECT_EQ(0, present_range(p, n, 2 * n))
			TH_LOG("fault_around_bytes=%zu", n * self->ps);
		if (n == 1) {
			/* fault-around off: the core calls .fault only */
			EXPECT_EQ(0, d.map_pages);
			EXPECT_EQ(1, d.fault_read);
		} else {
			EXPECT_LE(1, d.map_pages);
			EXPECT_EQ(0, d.fault_read);
		}
		munmap(p, NPAGES * self->ps);
	}
}

/* fault_around=0: new mappings have no .map_pages, each page faults alone. */
TEST_F(fault_around, param_off_one_fault_per_page)
{
	struct fdemo_stats s1, d;
	long f0, f1;
	size_t i;
	char *p;

	ASSERT_EQ(0, fdemo_param_set("fault_around", "0"));
	p = map_warm(_metadata, self->fd, NPAGES, PROT_READ, MAP_SHARED);
	ASSERT_NE(NULL, p);
	for (i = 0; i < 16; i++) {
		f0 = fdemo_faults();
		fdemo_touch(p + i * self->ps, 1);
		f1 = fdemo_faults();
		ASSERT_EQ(1, f1 - f0) TH_LOG("page %zu", i);
		ASSERT_EQ(0, present_range(p, 0, i + 1));
	}
	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &self->s0, &d);
	EXPECT_EQ(16, d.fault_read);
	EXPECT_EQ(0, d.map_pages);
	EXPECT_EQ(0, d.readahead);	/* all cached already */
	EXPECT_EQ(-1, fdemo_check(p, 0, 16 * self->ps, self->seed));
	munmap(p, NPAGES * self->ps);
}

/* The parameter is sampled at mmap() time. */
TEST_F(fault_around, param_applies_to_new_mappings)
{
	char *a, *b;

	a = map_warm(_metadata, self->fd, NPAGES, PROT_READ, MAP_SHARED);
	ASSERT_NE(NULL, a);
	ASSERT_EQ(0, fdemo_param_set("fault_around", "0"));
	b = map_warm(_metadata, self->fd, NPAGES, PROT_READ, MAP_SHARED);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(0, fdemo_param_set("fault_around", "1"));

	fdemo_touch(a + 3 * self->ps, 1);
	fdemo_touch(b + 3 * self->ps, 1);
	EXPECT_EQ(0, present_range(a, 0, 16));
	EXPECT_EQ(0, present_range(b, 3, 4));

	/* Turning it back on does not change b either. */
	fdemo_touch(b + 4 * self->ps, 1);
	EXPECT_EQ(0, present_range(b, 3, 5));
	munmap(a, NPAGES * self->ps);
	munmap(b, NPAGES * self->ps);
}

/* The window is clipped to the vma. */
TEST_F(fault_around, window_clipped_to_vma)
{
	long f0, f1;
	char *p;

	/* 4 pages in the middle of a 16-page aligned block of addresses */
	p = fdemo_mmap_aligned(self->fd, 4 * self->ps, PROT_READ, MAP_SHARED,
			       4 * self->ps, 16 * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	f0 = fdemo_faults();
	fdemo_touch(p + 2 * self->ps, 1);
	f1 = fdemo_faults();
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(4, fdemo_pagemap_count(p, 4, PM_PRESENT, PM_PRESENT));
	EXPECT_EQ(-1, fdemo_check(p, 4 * self->ps, 4 * self->ps, self->seed));
	munmap(p, 4 * self->ps);
}

/*
 * A cold window: the first fault goes to .fault (which reads ahead), the
 * second is served by .map_pages from what was read ahead.
 */
TEST_F(fault_around, cold_window_two_faults)
{
	struct fdemo_stats a, b, d;
	long f0, f1, pg;
	char *p;

	pg = fdemo_find_cold(16, 16);
	if (pg < 0)
		SKIP(return, "no cold pages left in the data area");
	p = fdemo_mmap_aligned(self->fd, 16 * self->ps, PROT_READ, MAP_SHARED,
			       pg * self->ps, 16 * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_stats(&a));
	f0 = fdemo_faults();
	fdemo_touch(p, 1);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&b));
	fdemo_stats_sub(&b, &a, &d);
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(1, d.fault_read);
	EXPECT_EQ(FDEMO_DEF_READAHEAD, d.readahead);
	EXPECT_EQ(1, fdemo_pagemap_count(p, 16, PM_PRESENT, PM_PRESENT));
	EXPECT_EQ(16, fdemo_resident(p, 16));

	ASSERT_EQ(0, fdemo_stats(&a));
	f0 = fdemo_faults();
	fdemo_touch(p + 9 * self->ps, 1);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&b));
	fdemo_stats_sub(&b, &a, &d);
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(0, d.fault_read);
	EXPECT_LE(1, d.map_pages);
	EXPECT_EQ(16, fdemo_pagemap_count(p, 16, PM_PRESENT, PM_PRESENT));
	munmap(p, 16 * self->ps);
}

/*
 * A mapping of 2 MiB or more, placed by the kernel, starts at an address
 * congruent to its offset modulo 2 MiB, so that fault-around windows (in
 * the address space) line up with read-ahead batches (in the file): a cold
 * sequential read then takes exactly 2 faults per 16 pages.
 */
TEST_F(fault_around, big_mapping_aligned_to_offset)
{
	/* not a multiple of 2 MiB: 6.12 aligns those itself for any file */
	const size_t align = 2UL << 20, len = (4UL << 20) - 4096;
	const off_t offs[] = { 0, 16 * 4096, 1UL << 20 };
	long pg, f0, f1;
	size_t i;
	char *p;

	if (!fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no 2 MiB placement, as for ext4");
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, offs[i]);
		ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
		EXPECT_EQ(0, ((unsigned long)p - offs[i]) % align)
			TH_LOG("offset %#lx mapped at %p", (long)offs[i], p);
		munmap(p, len);
	}

	pg = fdemo_find_cold(513, 512);
	if (pg < 0)
		SKIP(return, "no cold pages left in the data area");
	p = mmap(NULL, 513 * self->ps, PROT_READ, MAP_SHARED, self->fd,
		 pg * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	f0 = fdemo_faults();
	fdemo_touch(p, 512);
	f1 = fdemo_faults();
	EXPECT_EQ(2 * 512 / 16, f1 - f0) TH_LOG("mapped at %p", p);
	munmap(p, 513 * self->ps);
}

/* Fault-around maps shared writable pages read-only: stores still notify. */
TEST_F(fault_around, shared_window_write_protected)
{
	struct fdemo_stats a, b, d;
	long f0, f1;
	char *p;

	p = map_warm(_metadata, self->fd, NPAGES, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(NULL, p);
	fdemo_touch(p, 1);
	ASSERT_EQ(0, present_range(p, 0, 16));
	ASSERT_EQ(0, fdemo_stats(&a));
	f0 = fdemo_faults();
	fdemo_poke(p + 5 * self->ps, 5);
	fdemo_poke(p + 6 * self->ps, 6);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&b));
	fdemo_stats_sub(&b, &a, &d);
	EXPECT_EQ(2, f1 - f0);
	EXPECT_EQ(2, d.page_mkwrite);
	EXPECT_EQ(0, d.fault_shared + d.fault_read + d.fault_cow);
	munmap(p, NPAGES * self->ps);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_PRIVATE writes: the core copies our page into an anonymous page
 * (do_cow_fault when the page was not mapped, wp_page_copy when it was
 * mapped read-only); the device never changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define NPAGES	16

FIXTURE(cow)
{
	int fd;
	size_t ps;
	__u64 seed;
	char *shared;		/* MAP_SHARED view of the same pages */
	struct fdemo_stats s0;
};

FIXTURE_SETUP(cow)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, NPAGES * self->ps, self->seed));
	self->shared = mmap(NULL, NPAGES * self->ps, PROT_READ, MAP_SHARED,
			    self->fd, 0);
	ASSERT_NE(MAP_FAILED, self->shared);
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(cow)
{
	munmap(self->shared, NPAGES * self->ps);
	close(self->fd);
}

/* A store to an unmapped private page: .fault with cow_page, anon copy. */
TEST_F(cow, write_unmapped_page)
{
	const __u64 val = 0xc0ffee0000000001ULL;
	struct fdemo_stats d;
	long f0, f1;
	__u64 ent;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	f0 = fdemo_faults();
	fdemo_poke(p + 2 * self->ps, val);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_stats_print("delta", &d);
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(1, d.fault_cow);
	EXPECT_EQ(0, d.fault_read);
	EXPECT_EQ(0, d.fault_shared);
	EXPECT_EQ(0, d.page_mkwrite);
	EXPECT_EQ(0, d.map_pages);	/* write faults do not fault around */

	/* Anonymous, exclusive, present; nothing else was mapped. */
	ent = fdemo_pagemap_one(p + 2 * self->ps);
	EXPECT_EQ(PM_PRESENT | PM_EXCLUSIVE, ent & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE))
		TH_LOG("pagemap %llx", (unsigned long long)ent);
	EXPECT_EQ(1, fdemo_pagemap_count(p, NPAGES, PM_PRESENT, PM_PRESENT));

	/* The copy holds our page's data plus the store. */
	EXPECT_EQ(val, fdemo_peek(p + 2 * self->ps));
	EXPECT_EQ(-1, fdemo_check(p + 2 * self->ps + 8, 2 * self->ps + 8,
				  self->ps - 8, self->seed));

	/* The device and a shared mapping still have the old data. */
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, NPAGES * self->ps, self->seed));
	EXPECT_EQ(-1, fdemo_check(self->shared, 0, NPAGES * self->ps, self->seed));

	/* One anonymous page in smaps; further stores do not fault. */
	EXPECT_EQ(self->ps / 1024, fdemo_smaps_kb(p, "Anonymous"));
	f0 = fdemo_faults();
	fdemo_poke(p + 2 * self->ps + 64, val);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	munmap(p, NPAGES * self->ps);
}

/* Read first (file page mapped read-only), then store: no handler runs. */
TEST_F(cow, write_after_read)
{
	const __u64 val = 0xc0ffee0000000002ULL;
	struct fdemo_stats d;
	__u64 before, after;
	long f0, f1;
	char *p;

	p = fdemo_mmap_aligned(self->fd, NPAGES * self->ps, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE, 0, NPAGES * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p + 3 * self->ps, 1);
	before = fdemo_pagemap_one(p + 3 * self->ps);
	ASSERT_EQ(PM_PRESENT | PM_FILE, before & (PM_PRESENT | PM_FILE));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));

	f0 = fdemo_faults();
	fdemo_poke(p + 3 * self->ps, val);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(0, d.fault_cow + d.fault_read + d.fault_shared);
	EXPECT_EQ(0, d.page_mkwrite + d.map_pages);

	after = fdemo_pagemap_one(p + 3 * self->ps);
	EXPECT_EQ(PM_PRESENT | PM_EXCLUSIVE, after & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	EXPECT_NE(before & PM_PFN_MASK, after & PM_PFN_MASK);
	EXPECT_EQ(val, fdemo_peek(p + 3 * self->ps));
	EXPECT_EQ(-1, fdemo_check(p + 3 * self->ps + 8, 3 * self->ps + 8,
				  self->ps - 8, self->seed));
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, NPAGES * self->ps, self->seed));
	munmap(p, NPAGES * self->ps);
}

/* Until a private page is copied it is the device's page. */
TEST_F(cow, private_sees_device_until_copied)
{
	__u64 v1 = 0x1111111111111111ULL, v2 = 0x2222222222222222ULL;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p + 5 * self->ps, 1);
	ASSERT_EQ(8, pwrite(self->fd, &v1, 8, 5 * self->ps + 8));
	EXPECT_EQ(v1, fdemo_peek(p + 5 * self->ps + 8));

	fdemo_poke(p + 5 * self->ps, 7);
	ASSERT_EQ(8, pwrite(self->fd, &v2, 8, 5 * self->ps + 8));
	EXPECT_EQ(v1, fdemo_peek(p + 5 * self->ps + 8));
	EXPECT_EQ(v2, fdemo_peek(self->shared + 5 * self->ps + 8));

	/* A page never written still follows the device. */
	ASSERT_EQ(8, pwrite(self->fd, &v2, 8, 6 * self->ps));
	EXPECT_EQ(v2, fdemo_peek(p + 6 * self->ps));
	munmap(p, NPAGES * self->ps);
}

/* Every page written privately is one anonymous page, Private_Dirty. */
TEST_F(cow, smaps_anonymous)
{
	struct fdemo_stats d;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_dirty(p, 4, 9);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(4, d.fault_cow);
	EXPECT_EQ(4 * self->ps / 1024, fdemo_smaps_kb(p, "Anonymous"));
	EXPECT_EQ(4 * self->ps / 1024, fdemo_smaps_kb(p, "Rss"));
	EXPECT_EQ(4 * self->ps / 1024, fdemo_smaps_kb(p, "Private_Dirty"));
	EXPECT_EQ(4, fdemo_pagemap_count(p, NPAGES, PM_PRESENT | PM_FILE, PM_PRESENT));
	munmap(p, NPAGES * self->ps);
}

/* A private store to a cold page still caches the device page (zeroes). */
TEST_F(cow, write_cold_page)
{
	struct fdemo_stats d;
	long pg;
	char *p;
	char *buf;

	pg = fdemo_find_cold(16, 16);
	if (pg < 0)
		SKIP(return, "no cold pages left in the data area");
	p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd,
		 pg * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_poke(p + 8, 42);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(1, d.fault_cow);
	EXPECT_LE(1, d.pages_cached);
	EXPECT_EQ(0, fdemo_peek(p));
	EXPECT_EQ(42, fdemo_peek(p + 8));
	EXPECT_EQ(1, fdemo_cached_in(pg, 1));
	buf = calloc(1, self->ps);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ((ssize_t)self->ps, pread(self->fd, buf, self->ps, pg * self->ps));
	EXPECT_EQ(0, fdemo_peek(buf + 8));
	free(buf);
	munmap(p, self->ps);
}

TEST_HARNESS_MAIN

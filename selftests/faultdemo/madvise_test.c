// SPDX-License-Identifier: GPL-2.0
/*
 * madvise(), mlock(), msync(), munmap() and mremap() on device mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define NPAGES	16

FIXTURE(madvise)
{
	int fd;
	size_t ps;
	__u64 seed;
	struct fdemo_stats s0;
};

FIXTURE_SETUP(madvise)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, 2 * NPAGES * self->ps, self->seed));
	ASSERT_EQ(0, fdemo_clean(self->fd, 0, 2 * NPAGES * self->ps, NULL));
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(madvise)
{
	close(self->fd);
}

static char *map_at0(int fd, size_t npages, int flags)
{
	size_t ps = fdemo_page_size();
	char *p;

	p = fdemo_mmap_aligned(fd, npages * ps, PROT_READ | PROT_WRITE, flags, 0,
			       NPAGES * ps);
	return p == MAP_FAILED ? NULL : p;
}

/* MADV_DONTNEED on a shared mapping: ptes go, data stays, re-fault. */
TEST_F(madvise, dontneed_shared_keeps_data)
{
	struct fdemo_stats d;
	char *p;

	p = map_at0(self->fd, NPAGES, MAP_SHARED);
	ASSERT_NE(NULL, p);
	fdemo_dirty(p, NPAGES, 0x600d);
	ASSERT_EQ(NPAGES, fdemo_pagemap_count(p, NPAGES, PM_PRESENT, PM_PRESENT));
	ASSERT_EQ(0, madvise(p, NPAGES * self->ps, MADV_DONTNEED));
	EXPECT_EQ(0, fdemo_pagemap_count(p, NPAGES, PM_PRESENT, PM_PRESENT));
	EXPECT_EQ(0, fdemo_smaps_kb(p, "Rss"));
	EXPECT_EQ(NPAGES, fdemo_resident(p, NPAGES));	/* still cached */
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));

	fdemo_touch(p, NPAGES);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_LE(1, d.map_pages);	/* cached: fault-around maps them */
	EXPECT_EQ(0, d.fault_read);
	EXPECT_EQ(0x600d, fdemo_peek(p + 3 * self->ps));
	EXPECT_EQ(-1, fdemo_check(p + 8, 8, self->ps - 8, self->seed));
	munmap(p, NPAGES * self->ps);
}

/* MADV_DONTNEED on a private mapping drops the private copies. */
TEST_F(madvise, dontneed_private_drops_copy)
{
	struct fdemo_stats d;
	char *p;

	p = map_at0(self->fd, NPAGES, MAP_PRIVATE);
	ASSERT_NE(NULL, p);
	fdemo_dirty(p, NPAGES, 0xbad);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, d.fault_cow);
	EXPECT_EQ(NPAGES * self->ps / 1024, fdemo_smaps_kb(p, "Anonymous"));
	ASSERT_EQ(0, madvise(p, NPAGES * self->ps, MADV_DONTNEED));
	EXPECT_EQ(0, fdemo_smaps_kb(p, "Anonymous"));
	EXPECT_EQ(-1, fdemo_check(p, 0, NPAGES * self->ps, self->seed));
	EXPECT_EQ(NPAGES, fdemo_pagemap_count(p, NPAGES, PM_PRESENT | PM_FILE,
					      PM_PRESENT | PM_FILE));
	munmap(p, NPAGES * self->ps);
}

/*
 * NPAGES mapped at offset 0 with @flags and populated with @advice: the
 * mapping; MAP_FAILED if mmap() failed, NULL if madvise() did (EINVAL:
 * this kernel lacks @advice), with errno set.
 */
static char *map_populated(int fd, int flags, int advice)
{
	size_t len = NPAGES * fdemo_page_size();
	char *p = map_at0(fd, NPAGES, flags);
	int err;

	if (!p)
		return MAP_FAILED;
	if (madvise(p, len, advice)) {
		err = errno;
		munmap(p, len);
		errno = err;
		return NULL;
	}
	return p;
}

/* MADV_POPULATE_READ maps everything through the read path. */
TEST_F(madvise, populate_read)
{
	struct fdemo_stats d;
	long f0, f1;
	char *p;

	p = map_populated(self->fd, MAP_SHARED, MADV_POPULATE_READ);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	if (!p && errno == EINVAL)
		SKIP(return, "MADV_POPULATE_READ not supported");
	ASSERT_NE(NULL, p) TH_LOG("MADV_POPULATE_READ: %s", strerror(errno));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, fdemo_pagemap_count(p, NPAGES, PM_PRESENT | PM_FILE,
					      PM_PRESENT | PM_FILE));
	EXPECT_EQ(0, d.page_mkwrite + d.fault_shared + d.fault_cow);
	EXPECT_LE(1, d.map_pages + d.fault_read);
	f0 = fdemo_faults();
	fdemo_touch(p, NPAGES);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	/* read-only mapped: stores still go through .page_mkwrite */
	fdemo_poke(p, 1);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(1, d.page_mkwrite);
	munmap(p, NPAGES * self->ps);
}

/* MADV_POPULATE_WRITE, shared: .fault + .page_mkwrite per page. */
TEST_F(madvise, populate_write_shared)
{
	struct fdemo_stats d;
	long f0, f1;
	char *p;

	p = map_populated(self->fd, MAP_SHARED, MADV_POPULATE_WRITE);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	if (!p && errno == EINVAL)
		SKIP(return, "MADV_POPULATE_WRITE not supported");
	ASSERT_NE(NULL, p) TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, d.fault_shared);
	EXPECT_EQ(NPAGES, d.page_mkwrite);
	EXPECT_EQ(NPAGES * self->ps / 1024, fdemo_smaps_kb(p, "Private_Dirty"));
	f0 = fdemo_faults();
	fdemo_dirty(p, NPAGES, 3);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, d.page_mkwrite);
	munmap(p, NPAGES * self->ps);
}

/* MADV_POPULATE_WRITE, private: a COW copy of each page. */
TEST_F(madvise, populate_write_private)
{
	struct fdemo_stats d;
	char *p;

	p = map_populated(self->fd, MAP_PRIVATE, MADV_POPULATE_WRITE);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	if (!p && errno == EINVAL)
		SKIP(return, "MADV_POPULATE_WRITE not supported");
	ASSERT_NE(NULL, p) TH_LOG("MADV_POPULATE_WRITE: %s", strerror(errno));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, d.fault_cow);
	EXPECT_EQ(0, d.page_mkwrite);
	EXPECT_EQ(NPAGES, fdemo_pagemap_count(p, NPAGES, PM_PRESENT | PM_FILE,
					      PM_PRESENT));
	EXPECT_EQ(-1, fdemo_check(p, 0, NPAGES * self->ps, self->seed));
	munmap(p, NPAGES * self->ps);
}

/* mlock() populates (read faults on a shared mapping) and pins. */
TEST_F(madvise, mlock_populates)
{
	struct fdemo_stats d;
	char *p;

	p = map_at0(self->fd, NPAGES, MAP_SHARED);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, mlock(p, NPAGES * self->ps)) TH_LOG("mlock: %s", strerror(errno));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, fdemo_pagemap_count(p, NPAGES, PM_PRESENT, PM_PRESENT));
	EXPECT_EQ(NPAGES * self->ps / 1024, fdemo_smaps_kb(p, "Locked"));
	EXPECT_EQ(0, d.page_mkwrite + d.fault_shared);
	EXPECT_EQ(-1, fdemo_check(p, 0, NPAGES * self->ps, self->seed));
	/* The core refuses MADV_DONTNEED on VM_LOCKED vmas. */
	EXPECT_NE(0, madvise(p, NPAGES * self->ps, MADV_DONTNEED));
	ASSERT_EQ(0, munlock(p, NPAGES * self->ps));
	EXPECT_EQ(0, fdemo_smaps_kb(p, "Locked"));
	munmap(p, NPAGES * self->ps);
}

/* msync(MS_SYNC) writes back and write-protects; MS_INVALIDATE is fine. */
TEST_F(madvise, msync)
{
	struct fdemo_stats d;
	long f0, f1;
	char *p;

	p = map_at0(self->fd, NPAGES, MAP_SHARED);
	ASSERT_NE(NULL, p);
	fdemo_dirty(p, 4, 0x5);
	EXPECT_EQ(4 * self->ps / 1024, fdemo_smaps_kb(p, "Private_Dirty"));
	ASSERT_EQ(0, msync(p, NPAGES * self->ps, MS_SYNC));
	/*
	 * Written back = write-protected; the pages stay dirty in the page
	 * cache, the only copy of the data, so each store faults once more.
	 */
	EXPECT_EQ(4 * self->ps / 1024, fdemo_smaps_kb(p, "Private_Dirty"));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	f0 = fdemo_faults();
	fdemo_dirty(p, 4, 0x6);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(4, f1 - f0);
	EXPECT_EQ(4, d.page_mkwrite);
	ASSERT_EQ(0, msync(p, NPAGES * self->ps, MS_ASYNC));
	ASSERT_EQ(0, msync(p, NPAGES * self->ps, MS_INVALIDATE));
	EXPECT_EQ(0x6, fdemo_peek(p + 3 * self->ps));
	munmap(p, NPAGES * self->ps);
}

/* munmap() of a middle part splits the vma; the rest keeps working. */
TEST_F(madvise, partial_munmap)
{
	char *p;

	p = map_at0(self->fd, 8, MAP_SHARED);
	ASSERT_NE(NULL, p);
	fdemo_touch(p, 8);
	ASSERT_EQ(0, munmap(p + 2 * self->ps, 2 * self->ps));
	EXPECT_EQ(-ENOMEM, fdemo_resident(p + 2 * self->ps, 2));
	EXPECT_EQ(2, fdemo_resident(p, 2));
	EXPECT_EQ(4, fdemo_resident(p + 4 * self->ps, 4));
	EXPECT_EQ(-1, fdemo_check(p, 0, 2 * self->ps, self->seed));
	EXPECT_EQ(-1, fdemo_check(p + 4 * self->ps, 4 * self->ps, 4 * self->ps,
				  self->seed));
	/* Two vmas now, each with its own Rss. */
	EXPECT_EQ(2 * self->ps / 1024, fdemo_smaps_kb(p, "Rss"));
	EXPECT_EQ(4 * self->ps / 1024, fdemo_smaps_kb(p + 4 * self->ps, "Rss"));
	fdemo_poke(p + 7 * self->ps, 0x77);
	ASSERT_EQ(0, munmap(p, 2 * self->ps));
	ASSERT_EQ(0, munmap(p + 4 * self->ps, 4 * self->ps));
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, 7 * self->ps, self->seed));
}

/* mremap() moves page tables: no faults, same pages. */
TEST_F(madvise, mremap_move)
{
	__u64 before, after;
	long f0, f1;
	char *p, *q, *dst;

	p = map_at0(self->fd, NPAGES, MAP_SHARED);
	ASSERT_NE(NULL, p);
	fdemo_touch(p, NPAGES);
	before = fdemo_pagemap_one(p + 5 * self->ps);
	dst = mmap(NULL, NPAGES * self->ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, NPAGES * self->ps, NPAGES * self->ps,
		   MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q) TH_LOG("mremap: %s", strerror(errno));
	after = fdemo_pagemap_one(q + 5 * self->ps);
	EXPECT_EQ(before & (PM_PRESENT | PM_FILE | PM_PFN_MASK),
		  after & (PM_PRESENT | PM_FILE | PM_PFN_MASK));
	f0 = fdemo_faults();
	fdemo_touch(q, NPAGES);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	EXPECT_EQ(-1, fdemo_check(q, 0, NPAGES * self->ps, self->seed));
	munmap(q, NPAGES * self->ps);
}

/* mremap() growth and shrink of a data mapping. */
TEST_F(madvise, mremap_grow_shrink)
{
	struct fdemo_sig sig;
	char *p, *q;

	p = map_at0(self->fd, NPAGES / 2, MAP_SHARED);
	ASSERT_NE(NULL, p);
	fdemo_touch(p, NPAGES / 2);
	q = mremap(p, NPAGES / 2 * self->ps, 2 * NPAGES * self->ps, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q) TH_LOG("mremap: %s", strerror(errno));
	/* The new part maps the following device pages. */
	EXPECT_EQ(-1, fdemo_check(q, 0, 2 * NPAGES * self->ps, self->seed));
	q = mremap(q, 2 * NPAGES * self->ps, self->ps, 0);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(0, fdemo_probe(q, false, 0, &sig));
	EXPECT_EQ(SIGSEGV, fdemo_probe(q + self->ps, false, 0, &sig));
	munmap(q, self->ps);
}

TEST_HARNESS_MAIN

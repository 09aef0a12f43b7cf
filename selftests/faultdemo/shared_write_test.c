// SPDX-License-Identifier: GPL-2.0
/*
 * MAP_SHARED writes: do_shared_fault (.fault then .page_mkwrite) on an
 * unmapped page, wp_page_shared (.page_mkwrite) on a read-only mapped one,
 * nothing on a page already writable; FAULTDEMO_IOC_CLEAN, msync(MS_SYNC)
 * and fsync() write-protect the pages again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define NPAGES	16

FIXTURE(shared_write)
{
	int fd;
	size_t ps;
	__u64 seed;
	char *p;
	struct fdemo_stats s0;
};

FIXTURE_SETUP(shared_write)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, NPAGES * self->ps, self->seed));
	/* Start from clean pages. */
	ASSERT_EQ(0, fdemo_clean(self->fd, 0, NPAGES * self->ps, NULL));
	self->p = fdemo_mmap_aligned(self->fd, NPAGES * self->ps,
				     PROT_READ | PROT_WRITE, MAP_SHARED, 0,
				     NPAGES * self->ps);
	ASSERT_NE(MAP_FAILED, self->p);
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(shared_write)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, NPAGES * self->ps);
	close(self->fd);
}

/* Store to an unmapped page: .fault (shared) then .page_mkwrite, once. */
TEST_F(shared_write, write_unmapped_page)
{
	struct fdemo_stats d;
	long f0, f1;
	__u64 v, ent;

	f0 = fdemo_faults();
	fdemo_poke(self->p, 0xabcdef);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_stats_print("delta", &d);
	EXPECT_EQ(1, f1 - f0);
	EXPECT_EQ(1, d.fault_shared);
	EXPECT_EQ(1, d.page_mkwrite);
	EXPECT_EQ(0, d.fault_read + d.fault_cow + d.map_pages);
	ent = fdemo_pagemap_one(self->p);
	EXPECT_EQ(PM_PRESENT | PM_FILE | PM_EXCLUSIVE,
		  ent & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	EXPECT_EQ(1, fdemo_pagemap_count(self->p, NPAGES, PM_PRESENT, PM_PRESENT));

	/* Already writable: no fault, no handler. */
	f0 = fdemo_faults();
	fdemo_poke(self->p + 8, 0xabcdef);
	fdemo_poke(self->p + 16, 0xabcdef);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, f1 - f0);
	EXPECT_EQ(0, d.page_mkwrite + d.fault_shared);

	ASSERT_EQ(8, pread(self->fd, &v, 8, 16));
	EXPECT_EQ(0xabcdef, v);
	EXPECT_EQ(-1, fdemo_check(self->p + 24, 24, self->ps - 24, self->seed));
}

/* Read-mapped page, then store: wp_page_shared -> .page_mkwrite only. */
TEST_F(shared_write, write_after_read)
{
	struct fdemo_stats d;
	long f0, f1;

	fdemo_touch(self->p + self->ps, 1);
	ASSERT_EQ(NPAGES, fdemo_pagemap_count(self->p, NPAGES, PM_PRESENT, PM_PRESENT));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, d.page_mkwrite);

	f0 = fdemo_faults();
	fdemo_poke(self->p + self->ps, 1);
	fdemo_poke(self->p + 2 * self->ps, 2);
	fdemo_poke(self->p + self->ps + 8, 3);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(2, f1 - f0);
	EXPECT_EQ(2, d.page_mkwrite);
	EXPECT_EQ(0, d.fault_shared + d.fault_read + d.fault_cow);
}

/* FAULTDEMO_IOC_CLEAN makes the next store go through .page_mkwrite. */
TEST_F(shared_write, clean_rearms_page_mkwrite)
{
	const long kb = 4 * self->ps / 1024;
	struct fdemo_stats d;
	__u64 cleaned = ~0ULL;
	long f0, f1;

	fdemo_dirty(self->p, 4, 0x5a5a);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(4, d.page_mkwrite);
	EXPECT_EQ(kb, fdemo_smaps_kb(self->p, "Rss"));
	EXPECT_EQ(kb, fdemo_smaps_kb(self->p, "Private_Dirty"));

	ASSERT_EQ(0, fdemo_clean(self->fd, 0, NPAGES * self->ps, &cleaned));
	EXPECT_EQ(4, cleaned);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_LE(1, d.clean);
	/*
	 * Still mapped, now write-protected. The pages stay dirty: the page
	 * cache is the only copy of the data (see data_survives_soft_offline).
	 */
	EXPECT_EQ(kb, fdemo_smaps_kb(self->p, "Rss"));
	EXPECT_EQ(kb, fdemo_smaps_kb(self->p, "Private_Dirty"));
	EXPECT_EQ(4, fdemo_pagemap_count(self->p, NPAGES, PM_PRESENT, PM_PRESENT));

	/* Nothing dirty: a second clean cleans nothing. */
	ASSERT_EQ(0, fdemo_clean(self->fd, 0, NPAGES * self->ps, &cleaned));
	EXPECT_EQ(0, cleaned);

	f0 = fdemo_faults();
	fdemo_dirty(self->p, 4, 0xa5a5);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(4, f1 - f0);
	EXPECT_EQ(4, d.page_mkwrite);
	EXPECT_EQ(0, d.fault_shared);
	EXPECT_EQ(kb, fdemo_smaps_kb(self->p, "Private_Dirty"));
	EXPECT_EQ(0xa5a5, fdemo_peek(self->p + 3 * self->ps));
}

/*
 * Write-protecting other processes' mappings is for writers: a read-only
 * descriptor gets EBADF from FAULTDEMO_IOC_CLEAN, and its fsync() (RAM
 * mode: nothing to write back) leaves the pages writable. A writable
 * descriptor's fsync() write-protects them.
 */
TEST_F(shared_write, clean_needs_a_writable_descriptor)
{
	struct faultdemo_clean c = { .offset = 0, .length = 0, .cleaned = 7 };
	struct fdemo_stats d;
	long f0, f1;
	int ro;

	ro = fdemo_open(O_RDONLY);
	ASSERT_LE(0, ro);
	fdemo_dirty(self->p, 4, 0x1111);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	ASSERT_EQ(4, d.page_mkwrite);

	EXPECT_EQ(-1, ioctl(ro, FAULTDEMO_IOC_CLEAN, &c));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(7, c.cleaned);
	EXPECT_EQ(0, fsync(ro));
	EXPECT_EQ(0, fdatasync(ro));
	f0 = fdemo_faults();
	fdemo_dirty(self->p, 4, 0x2222);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, f1 - f0) TH_LOG("a reader write-protected the pages");
	EXPECT_EQ(0, d.page_mkwrite);
	EXPECT_EQ(0, d.clean);

	EXPECT_EQ(0, fsync(self->fd));
	f0 = fdemo_faults();
	fdemo_dirty(self->p, 4, 0x3333);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(4, f1 - f0);
	EXPECT_EQ(4, d.page_mkwrite);
	EXPECT_EQ(1, d.clean);
	EXPECT_EQ(0x3333, fdemo_peek(self->p + 3 * self->ps));
	close(ro);
}

/*
 * The page cache is the only copy of the data: after a clean (or fsync) a
 * written page must still be one the kernel cannot drop. Soft-offline
 * drops clean, unmapped page-cache pages (mapping_evict_folio()) and
 * reclaim's "unevictable" does not stop it; read() must still see the data.
 */
TEST_F(shared_write, data_survives_soft_offline)
{
	const char *so = "/sys/devices/system/memory/soft_offline_page";
	char buf[64];
	__u64 ent, v;
	int sfd, n;

	if (!fdemo_destructive_ok())
		SKIP(return, "soft-offline retires a page of RAM: %s",
		     FDEMO_DESTRUCTIVE_WHY);
	sfd = open(so, O_WRONLY);
	if (sfd < 0)
		SKIP(return, "no %s: %s", so, strerror(errno));

	fdemo_poke(self->p, 0x50f70ff1);
	ASSERT_EQ(0, fdemo_pagemap(self->p, 1, &ent));
	ASSERT_TRUE(ent & PM_PRESENT);
	ASSERT_NE(0, ent & PM_PFN_MASK) TH_LOG("no pfn in pagemap: not root?");
	ASSERT_EQ(0, munmap(self->p, NPAGES * self->ps));
	self->p = MAP_FAILED;
	ASSERT_EQ(0, fsync(self->fd));

	n = snprintf(buf, sizeof(buf), "%#llx",
		     (unsigned long long)(ent & PM_PFN_MASK) * self->ps);
	/* Either outcome of the offline is fine; losing the data is not. */
	if (write(sfd, buf, n) < 0)
		TH_LOG("soft_offline_page: %s", strerror(errno));
	close(sfd);

	ASSERT_EQ(sizeof(v), pread(self->fd, &v, sizeof(v), 0));
	EXPECT_EQ(0x50f70ff1, v);
}

/* Clean a sub-range: only its pages are write-protected again. */
TEST_F(shared_write, clean_subrange)
{
	struct fdemo_stats d;
	__u64 cleaned = 0;

	fdemo_dirty(self->p, 8, 1);
	ASSERT_EQ(0, fdemo_clean(self->fd, 2 * self->ps, 3 * self->ps, &cleaned));
	EXPECT_EQ(3, cleaned);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_dirty(self->p, 8, 2);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(3, d.page_mkwrite);
}

/* length 0 means "to the end of the data area". */
TEST_F(shared_write, clean_to_end)
{
	struct fdemo_stats d;
	__u64 cleaned = 0;

	fdemo_dirty(self->p, NPAGES, 1);
	ASSERT_EQ(0, fdemo_clean(self->fd, 0, NPAGES * self->ps, NULL));
	fdemo_dirty(self->p, NPAGES, 2);
	/* the whole data area: exactly the pages stored to since */
	ASSERT_EQ(0, fdemo_clean(self->fd, 0, 0, &cleaned));
	EXPECT_EQ(NPAGES, cleaned);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_dirty(self->p, NPAGES, 3);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, d.page_mkwrite);
}

enum sync_how { BY_MSYNC, BY_FSYNC, BY_FDATASYNC, BY_OSYNC, BY_ODSYNC };

/*
 * Every way to sync the data area write-protects what it synced: the next
 * store to each page faults into .page_mkwrite again (for O_SYNC and
 * O_DSYNC, the write of a few bytes to each page syncs it). The data stay.
 */
TEST_F(shared_write, every_sync_rearms_page_mkwrite)
{
	static const struct {
		const char *name;
		enum sync_how how;
	} cases[] = {
		{ "msync(MS_SYNC)", BY_MSYNC },
		{ "fsync", BY_FSYNC },
		{ "fdatasync", BY_FDATASYNC },
		{ "O_SYNC write", BY_OSYNC },
		{ "O_DSYNC write", BY_ODSYNC },
	};
	const size_t n = 3;
	struct fdemo_stats d;
	size_t i, pg;
	__u64 v;
	int sfd, sync_flag;
	long f0, f1;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fdemo_dirty(self->p, n, i + 1);
		ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
		switch (cases[i].how) {
		case BY_MSYNC:
			ASSERT_EQ(0, msync(self->p, n * self->ps, MS_SYNC));
			break;
		case BY_FSYNC:
			ASSERT_EQ(0, fsync(self->fd));
			break;
		case BY_FDATASYNC:
			ASSERT_EQ(0, fdatasync(self->fd));
			break;
		default:
			sync_flag = O_DSYNC;
			if (cases[i].how == BY_OSYNC)
				sync_flag = O_SYNC;
			sfd = fdemo_open(O_RDWR | sync_flag);
			ASSERT_LE(0, sfd);
			for (pg = 0; pg < n; pg++) {
				v = 0x5c00 + pg;
				ASSERT_EQ(8, pwrite(sfd, &v, 8, pg * self->ps + 8));
				EXPECT_EQ(v, fdemo_peek(self->p + pg * self->ps + 8));
			}
			close(sfd);
			break;
		}
		ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
		EXPECT_LE(1, d.clean) TH_LOG("%s: no clean", cases[i].name);

		f0 = fdemo_faults();
		fdemo_dirty(self->p, n, 0x70 + i);
		f1 = fdemo_faults();
		ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
		EXPECT_EQ(n, f1 - f0) TH_LOG("%s", cases[i].name);
		EXPECT_EQ(n, d.page_mkwrite) TH_LOG("%s", cases[i].name);
		EXPECT_EQ(0x70 + i, fdemo_peek(self->p + (n - 1) * self->ps));
	}
	/* the pages past the ones stored to keep their pattern */
	EXPECT_EQ(0, fdemo_check_dev(self->fd, n * self->ps, n * self->ps, self->seed));
}

/* Two shared mappings of one page: one page, each mapping notifies. */
TEST_F(shared_write, two_mappings)
{
	struct fdemo_stats d;
	__u64 ea, eb;
	char *q;

	q = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, q);
	fdemo_poke(self->p, 0x77);
	EXPECT_EQ(0x77, fdemo_peek(q));
	ea = fdemo_pagemap_one(self->p);
	eb = fdemo_pagemap_one(q);
	EXPECT_EQ(ea & PM_PFN_MASK, eb & PM_PFN_MASK);
	EXPECT_EQ(0, ea & PM_EXCLUSIVE);
	EXPECT_EQ(0, eb & PM_EXCLUSIVE);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	/* q mapped it read-only: its first store notifies again. */
	fdemo_poke(q + 8, 0x78);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(1, d.page_mkwrite);
	EXPECT_EQ(0x78, fdemo_peek(self->p + 8));
	munmap(q, self->ps);
}

/* A store to a cold page: fresh zero page, cached, written. */
TEST_F(shared_write, write_cold_page)
{
	struct fdemo_stats d;
	__u64 v = 0;
	long pg;
	char *q;

	pg = fdemo_find_cold(16, 16);
	if (pg < 0)
		SKIP(return, "no cold pages left in the data area");
	q = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 pg * self->ps);
	ASSERT_NE(MAP_FAILED, q);
	EXPECT_EQ(0, fdemo_peek(q + 8));
	fdemo_poke(q, 0x1234);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(1, d.page_mkwrite);
	EXPECT_EQ(1, fdemo_cached_in(pg, 1));
	ASSERT_EQ(8, pread(self->fd, &v, 8, pg * self->ps));
	EXPECT_EQ(0x1234, v);
	munmap(q, self->ps);
}

TEST_HARNESS_MAIN

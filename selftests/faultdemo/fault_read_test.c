// SPDX-License-Identifier: GPL-2.0
/*
 * Read faults on /dev/faultdemo: fresh pages read as zeroes, read()/write()
 * and mmap share one page cache, .fault reads ahead, and the kernel's own
 * view (pagemap, mincore, smaps, getrusage) agrees with the counters.
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

#define WINDOW	16	/* pages in the default fault-around window */

FIXTURE(fault_read)
{
	int fd;
	size_t ps;
	struct faultdemo_geometry g;
	__u64 fab;		/* saved fault_around_bytes, 0 if unknown */
	struct fdemo_stats s0;
};

FIXTURE_SETUP(fault_read)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	self->fab = fdemo_fixture_default_fab(_metadata);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(fault_read)
{
	if (self->fab)
		fdemo_fab_set(self->fab);
	fdemo_set_defaults();
	close(self->fd);
}

static void *map_cold(struct __test_metadata *_metadata, int fd, size_t npages,
		      int prot, int flags, __u64 *first)
{
	size_t ps = fdemo_page_size();
	long pg;
	void *p;

	pg = fdemo_find_cold(npages, WINDOW);
	if (pg < 0)
		return NULL;
	*first = pg;
	p = fdemo_mmap_aligned(fd, npages * ps, prot, flags, pg * ps, WINDOW * ps);
	EXPECT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	return p == MAP_FAILED ? NULL : p;
}

/* The geometry ioctl, sysfs and the module parameters agree. */
TEST_F(fault_read, geometry)
{
	__u64 size, reserved, ra, fa, off;

	ASSERT_EQ(0, fdemo_param_get("size", &size));
	ASSERT_EQ(0, fdemo_param_get("reserved_size", &reserved));
	ASSERT_EQ(0, fdemo_param_get("readahead", &ra));
	ASSERT_EQ(0, fdemo_param_get("fault_around", &fa));
	ASSERT_EQ(0, fdemo_read_u64(FDEMO_CLASS_DIR "/reserved_offset", &off));

	EXPECT_EQ(size, self->g.size);
	EXPECT_EQ(reserved, self->g.reserved_size);
	EXPECT_EQ(FAULTDEMO_RESERVED_OFFSET, self->g.reserved_offset);
	EXPECT_EQ(FAULTDEMO_RESERVED_OFFSET, off);
	EXPECT_EQ(self->ps, self->g.page_size);
	EXPECT_EQ(ra, self->g.readahead);
	EXPECT_EQ(fa, self->g.fault_around);
	EXPECT_EQ(0, self->g.folio_order);

	/* The suite assumes a module loaded with its defaults. */
	EXPECT_EQ(FDEMO_DEF_SIZE, self->g.size);
	EXPECT_EQ(FDEMO_DEF_RESERVED, self->g.reserved_size);
	EXPECT_EQ(FDEMO_DEF_READAHEAD, self->g.readahead);
	EXPECT_EQ(1, self->g.fault_around);
}

/*
 * Cold pages read as zeroes.  With read-ahead 15 and a 16-page fault-around
 * window, 32 pages take 4 faults: a .fault per window (which caches the
 * window), then one fault that maps the other 15 pages with .map_pages.
 */
TEST_F(fault_read, cold_pages_read_zero)
{
	const size_t n = 2 * WINDOW;
	struct fdemo_stats s1, d;
	long f0, f1;
	__u64 first, ent;
	size_t i, j;
	char *p;

	p = map_cold(_metadata, self->fd, n + WINDOW, PROT_READ, MAP_SHARED, &first);
	if (!p)
		SKIP(return, "no cold pages left in the data area");
	ASSERT_EQ(0, fdemo_resident(p, n + WINDOW));
	ASSERT_EQ(0, fdemo_pagemap_count(p, n + WINDOW, PM_PRESENT, PM_PRESENT));

	f0 = fdemo_faults();
	fdemo_touch(p, n);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &self->s0, &d);
	fdemo_stats_print("delta", &d);

	for (i = 0; i < n; i++) {
		const __u64 *w = (const __u64 *)(p + i * self->ps);

		for (j = 0; j < self->ps / 8; j++)
			ASSERT_EQ(0, fdemo_peek(&w[j]))
				TH_LOG("page %zu word %zu not zero", i, j);
		ent = fdemo_pagemap_one(p + i * self->ps);
		EXPECT_EQ(PM_PRESENT | PM_FILE | PM_EXCLUSIVE,
			  ent & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE))
			TH_LOG("page %zu pagemap %llx", i, (unsigned long long)ent);
	}
	EXPECT_EQ(4, f1 - f0);
	EXPECT_EQ(2, d.fault_read);
	EXPECT_EQ(0, d.fault_cow);
	EXPECT_EQ(0, d.fault_shared);
	EXPECT_LE(2, d.map_pages);
	EXPECT_EQ(2 * FDEMO_DEF_READAHEAD, d.readahead);
	EXPECT_EQ(n, d.pages_cached);
	/* Read-ahead stopped at the end of the second window. */
	EXPECT_EQ(n, fdemo_resident(p, n + WINDOW));
	EXPECT_EQ(n, fdemo_pagemap_count(p, n + WINDOW, PM_PRESENT, PM_PRESENT));
	EXPECT_EQ(0, d.sigbus);
	munmap(p, (n + WINDOW) * self->ps);
}

/* A cold fault caches the page plus "readahead" more, and maps one. */
TEST_F(fault_read, readahead_fills_cache)
{
	static const __u64 ras[] = { 0, 4, 15, 64 };
	struct fdemo_stats a, b, d;
	size_t i;
	__u64 first;
	char *p;

	for (i = 0; i < ARRAY_SIZE(ras); i++) {
		size_t n = ras[i] + 1 + WINDOW;

		ASSERT_EQ(0, fdemo_param_set_u64("readahead", ras[i]));
		p = map_cold(_metadata, self->fd, n, PROT_READ, MAP_PRIVATE, &first);
		if (!p)
			SKIP(return, "no cold pages left in the data area");
		ASSERT_EQ(0, fdemo_stats(&a));
		fdemo_touch(p, 1);
		ASSERT_EQ(0, fdemo_stats(&b));
		fdemo_stats_sub(&b, &a, &d);
		EXPECT_EQ(1, d.fault_read);
		EXPECT_EQ(ras[i], d.readahead) TH_LOG("readahead=%llu",
						      (unsigned long long)ras[i]);
		EXPECT_EQ(ras[i] + 1, d.pages_cached);
		EXPECT_EQ(ras[i] + 1, fdemo_resident(p, n));
		EXPECT_EQ(1, fdemo_pagemap_count(p, n, PM_PRESENT, PM_PRESENT));
		munmap(p, n * self->ps);
	}
}

/*
 * Read-ahead stops at the end of the data area: no page past it is
 * cached and nothing raises SIGBUS.
 */
TEST_F(fault_read, readahead_clipped_at_end)
{
	const size_t tail = 8;
	__u64 last = self->g.size / self->ps;
	struct fdemo_stats a, b, d;
	char *p;

	if (fdemo_cached_in(last - 2 * WINDOW, 2 * WINDOW)) {
		if (!fdemo_ko())
			SKIP(return, "end of the data area cached and no FAULTDEMO_KO");
		close(self->fd);
		self->fd = -1;
		ASSERT_EQ(0, fdemo_reload(""));
		self->fd = fdemo_open(O_RDWR);
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, fdemo_cached_in(last - 2 * WINDOW, 2 * WINDOW));
	}
	p = mmap(NULL, tail * self->ps, PROT_READ, MAP_SHARED, self->fd,
		 self->g.size - tail * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_stats(&a));
	EXPECT_EQ(0, fdemo_peek(p));
	ASSERT_EQ(0, fdemo_stats(&b));
	fdemo_stats_sub(&b, &a, &d);
	EXPECT_EQ(1, d.fault_read);
	EXPECT_EQ(tail - 1, d.readahead);
	EXPECT_EQ(tail, d.pages_cached);
	EXPECT_EQ(0, d.sigbus);
	EXPECT_EQ(tail, fdemo_resident(p, tail));
	munmap(p, tail * self->ps);
}

/* Without fault-around every page takes its own .fault. */
TEST_F(fault_read, no_fault_around_one_fault_per_page)
{
	const size_t n = WINDOW;
	struct fdemo_stats s1, d;
	long f0, f1;
	__u64 first;
	size_t i;
	char *p;

	if (!self->fab)
		SKIP(return, "no %s", FDEMO_FAB_PATH);
	if (!fdemo_destructive_ok())
		SKIP(return, "fault_around_bytes %s", FDEMO_DESTRUCTIVE_WHY);
	ASSERT_EQ(0, fdemo_fab_set(self->ps));
	p = map_cold(_metadata, self->fd, n, PROT_READ, MAP_SHARED, &first);
	if (!p)
		SKIP(return, "no cold pages left in the data area");
	ASSERT_EQ(0, fdemo_stats(&self->s0));
	f0 = fdemo_faults();
	for (i = 0; i < n; i++)
		fdemo_touch(p + i * self->ps, 1);
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &self->s0, &d);
	EXPECT_EQ(n, f1 - f0);
	EXPECT_EQ(n, d.fault_read);
	EXPECT_EQ(0, d.map_pages);
	/* Only the first fault was a miss; read-ahead runs on misses only. */
	EXPECT_EQ(FDEMO_DEF_READAHEAD, d.readahead);
	EXPECT_EQ(n, fdemo_pagemap_count(p, n, PM_PRESENT, PM_PRESENT));
	munmap(p, n * self->ps);
}

/* read(), write(), lseek() and mmap() see one copy of the data. */
TEST_F(fault_read, rw_mmap_coherent)
{
	const size_t n = 4;
	__u64 seed = fdemo_seed(), off = 0, v;
	char *p, *buf;

	ASSERT_EQ(0, fdemo_fill(self->fd, off, n * self->ps, seed));
	p = mmap(NULL, n * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, off);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, fdemo_check(p, off, n * self->ps, seed));

	/* Store through the mapping, see it with pread(). */
	fdemo_poke(p + self->ps + 8, 0x1122334455667788ULL);
	ASSERT_EQ(8, pread(self->fd, &v, 8, off + self->ps + 8));
	EXPECT_EQ(0x1122334455667788ULL, v);

	/* write() at an lseek()ed position, see it in the mapping at once. */
	v = 0x99aabbccddeeff00ULL;
	ASSERT_EQ(off + 2 * self->ps + 16,
		  lseek(self->fd, off + 2 * self->ps + 16, SEEK_SET));
	ASSERT_EQ(8, write(self->fd, &v, 8));
	EXPECT_EQ(off + 2 * self->ps + 24, lseek(self->fd, 0, SEEK_CUR));
	EXPECT_EQ(v, fdemo_peek(p + 2 * self->ps + 16));

	/* read() at the current position follows write(). */
	buf = malloc(self->ps);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(off + 3 * self->ps, lseek(self->fd, off + 3 * self->ps, SEEK_SET));
	ASSERT_EQ(self->ps, read(self->fd, buf, self->ps));
	EXPECT_EQ(0, memcmp(buf, p + 3 * self->ps, self->ps));
	EXPECT_EQ(self->g.size, lseek(self->fd, 0, SEEK_END));
	free(buf);
	munmap(p, n * self->ps);
}

/*
 * One page cache: two mappings and a private read-only mapping of a page
 * map the same physical page, and the kernel sees it mapped twice.
 */
TEST_F(fault_read, mappings_share_page)
{
	__u64 ea, eb, ec;
	char *a, *b, *c;

	ASSERT_EQ(0, fdemo_fill(self->fd, 0, self->ps, fdemo_seed()));
	a = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, a);
	fdemo_touch(a, 1);
	ea = fdemo_pagemap_one(a);
	ASSERT_EQ(PM_PRESENT | PM_FILE | PM_EXCLUSIVE,
		  ea & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));

	b = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, b);
	c = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, c);
	fdemo_touch(b, 1);
	fdemo_touch(c, 1);
	ea = fdemo_pagemap_one(a);
	eb = fdemo_pagemap_one(b);
	ec = fdemo_pagemap_one(c);
	EXPECT_EQ(PM_PRESENT | PM_FILE, ea & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	EXPECT_EQ(PM_PRESENT | PM_FILE, eb & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	EXPECT_EQ(PM_PRESENT | PM_FILE, ec & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	/* PFNs are visible to CAP_SYS_ADMIN. */
	EXPECT_NE(0, ea & PM_PFN_MASK);
	EXPECT_EQ(ea & PM_PFN_MASK, eb & PM_PFN_MASK);
	EXPECT_EQ(ea & PM_PFN_MASK, ec & PM_PFN_MASK);
	munmap(b, self->ps);
	munmap(c, self->ps);
	ea = fdemo_pagemap_one(a);
	EXPECT_EQ(PM_EXCLUSIVE, ea & PM_EXCLUSIVE);
	munmap(a, self->ps);
}

/* smaps accounts mapped device pages as file-backed Rss, no anon. */
TEST_F(fault_read, smaps_rss)
{
	const size_t n = WINDOW;
	long rss, pc, pd, sc, sd, anon;
	char *p;

	ASSERT_EQ(0, fdemo_fill(self->fd, 0, n * self->ps, fdemo_seed()));
	p = fdemo_mmap_aligned(self->fd, n * self->ps, PROT_READ, MAP_SHARED, 0,
			       WINDOW * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, fdemo_smaps_kb(p, "Rss"));
	fdemo_touch(p, n);
	rss = fdemo_smaps_kb(p, "Rss");
	pc = fdemo_smaps_kb(p, "Private_Clean");
	pd = fdemo_smaps_kb(p, "Private_Dirty");
	sc = fdemo_smaps_kb(p, "Shared_Clean");
	sd = fdemo_smaps_kb(p, "Shared_Dirty");
	anon = fdemo_smaps_kb(p, "Anonymous");
	EXPECT_EQ(n * self->ps / 1024, rss);
	EXPECT_EQ(rss, pc + pd);
	EXPECT_EQ(0, sc + sd);
	EXPECT_EQ(0, anon);
	munmap(p, n * self->ps);
}

TEST_HARNESS_MAIN

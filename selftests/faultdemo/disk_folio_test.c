// SPDX-License-Identifier: GPL-2.0
/*
 * Large folios behind the disk (backing= with folio_order=): every test
 * runs at orders 0, 4 and 9 on the module freshly loaded over a
 * device-mapper device on the scratch disk, so that a test can make part
 * of a folio fail to read.
 *
 * Kernel evidence first: getrusage() fault counts, /proc/self/smaps
 * FilePmdMapped, the device's /sys/block statistics (sectors read and
 * written), mincore, the raw device read with O_DIRECT; the module's
 * folios_cached and its faultdemo_readahead tracepoint (the order of the
 * folios each read-ahead made, and its bios) second; last, the tour's rows
 * of a disk at each order ($FAULTDEMO_TOOL).
 *
 * Needs the module (FAULTDEMO_KO), a scratch disk of at least 128 MiB
 * (FAULTDEMO_DISK, from vm-run --disk), device mapper, and a kernel with
 * CONFIG_TRANSPARENT_HUGEPAGE for orders above 0. Before 6.12 the module
 * takes folio_order 0 or 9 with backing= (read-ahead there grows folios up
 * to order 9 whatever the mapping would like): the order-4 variant checks
 * that the load is refused, and skips the rest.
 * Regions of the disk, so that tests do not see each other's data:
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"
#include "faultdemo_fixture.h"

#define MIB		(1024ULL * 1024ULL)
#define SZ_2M		(2 * MIB)
#define REG_MMAP	(16 * MIB)	/* 8 MiB */
#define REG_READ	(32 * MIB)	/* 16 MiB */
#define REG_WRITE	(64 * MIB)	/* 2 MiB */
#define REG_ERROR	(72 * MIB)	/* 4 MiB, 8 KiB of it failing */
#define REG_EVICT	(80 * MIB)	/* 3 x 4 MiB, 4 MiB apart */
#define REG_RACE	(112 * MIB)	/* 4 MiB */
#define DISK_MIN	(128 * MIB)

#define BAD_OFF		MIB		/* of the failing blocks in REG_ERROR */
#define BAD_LEN		(8 << 10)

/* The module is reloaded per test; the suite's defaults come back at exit. */
static void __attribute__((constructor)) defaults_at_exit(void)
{
	fdemo_reload_defaults_at_exit();
}

FIXTURE(disk_folio)
{
	int fd;
	size_t ps;
	unsigned int order;
	size_t folio;		/* bytes in a folio of the variant's order */
	const char *disk;
	bool dm;
	long long wb_cs;
	__u64 seed;
};

FIXTURE_VARIANT(disk_folio)
{
	unsigned int order;
};

FIXTURE_VARIANT_ADD(disk_folio, order_0) { .order = 0 };
FIXTURE_VARIANT_ADD(disk_folio, order_4) { .order = 4 };
FIXTURE_VARIANT_ADD(disk_folio, order_9) { .order = 9 };

FIXTURE_SETUP(disk_folio)
{
	char params[192];
	int ret;

	self->fd = -1;
	self->dm = false;
	self->wb_cs = -1;
	self->ps = fdemo_page_size();
	self->order = variant->order;
	self->folio = self->ps << variant->order;
	self->seed = fdemo_seed();
	self->disk = fdemo_disk();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (self->ps != 4096)
		SKIP(return, "PMD size assumed 2 MiB: 4 KiB pages only");
	if (variant->order && !fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");
	if (!self->disk)
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	if (fdemo_blk_bytes(self->disk) < (long long)DISK_MIN)
		SKIP(return, "scratch disk smaller than %llu MiB", DISK_MIN / MIB);
	if (!fdemo_dm_usable())
		SKIP(return, "no device mapper (dm-mod)");

	self->dm = fdemo_fixture_dm_linear(_metadata, self->disk);
	self->wb_cs = fdemo_fixture_no_periodic_writeback(_metadata);

	snprintf(params, sizeof(params), "backing=%s folio_order=%u",
		 FDEMO_DM_PATH, variant->order);
	ret = fdemo_reload(params);
	if (variant->order && variant->order != 9 &&
	    fdemo_kernel_version() < FDEMO_KVER(6, 12)) {
		ASSERT_EQ(-EINVAL, ret) TH_LOG("insmod faultdemo %s", params);
		SKIP(return, "before 6.12 backing= takes folio_order 0 or 9 (%u refused)",
		     variant->order);
	}
	ASSERT_EQ(0, ret) TH_LOG("insmod faultdemo %s", params);
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	/* no background writeback of what a test has just dirtied */
	ASSERT_EQ(0, fdemo_bdi_share());
}

FIXTURE_TEARDOWN(disk_folio)
{
	if (self->fd >= 0)
		close(self->fd);
	if (self->dm)
		fdemo_fixture_dm_remove(self->disk);
	else if (fdemo_loaded() && fdemo_unload_retry())
		fprintf(stderr, "# could not unload faultdemo\n");
	if (self->wb_cs >= 0)
		fdemo_sysctl_set("vm/dirty_writeback_centisecs", self->wb_cs);
	if (fdemo_ko() && fdemo_reload(""))
		fprintf(stderr, "# could not reload faultdemo in RAM mode\n");
}

/* The largest order cached, or -1 with nothing cached. */
static int largest_cached(const long counts[10])
{
	int o;

	for (o = 9; o >= 0; o--)
		if (counts[o])
			return o;
	return -1;
}

/*
 * @len of the device at @off, mapped shared at a 2 MiB boundary, with
 * MADV_HUGEPAGE where the kernel has THP (it refuses the advice without).
 */
static char *map_huge(int fd, __u64 off, size_t len, int prot)
{
	char *p = fdemo_mmap_aligned(fd, len, prot, MAP_SHARED, off, SZ_2M);

	if (p != MAP_FAILED && fdemo_have_thp() && madvise(p, len, MADV_HUGEPAGE)) {
		munmap(p, len);
		return MAP_FAILED;
	}
	return p;
}

static __u64 sectors_read(void)
{
	struct fdemo_blk_stat st = { 0 };

	fdemo_blk_stat(FDEMO_DM_PATH, &st);
	return st.read_sectors;
}

static __u64 sectors_written(void)
{
	struct fdemo_blk_stat st = { 0 };

	fdemo_blk_stat(FDEMO_DM_PATH, &st);
	return st.write_sectors;
}

/*
 * A mapping with MADV_HUGEPAGE reads ahead in folios of the largest order
 * (filemap_fault(): VM_HUGEPAGE asks page_cache_ra_order() for PMD-sized
 * folios, held to the mapping's maximum). Cold, at order 9: one fault per
 * 2 MiB, the first of each read-ahead a major one, every folio mapped by
 * a PMD, each read-ahead of 2 MiB folios one bio. Warm: one minor fault
 * per 2 MiB, nothing read. At orders 0 and 4: PTEs. The folios are of the
 * order (7.x may make smaller ones where a window does not start at a
 * multiple of it), never larger.
 */
TEST_F_TIMEOUT(disk_folio, hugepage_read_maps_folios_of_the_order, 120)
{
	static const char * const events[] = { "faultdemo/faultdemo_readahead" };
	const size_t len = 8 * MIB, npages = len / self->ps;
	long counts[10], f0, m0, faults, majors;
	char inst[256], order_str[16];
	__u64 r0;
	unsigned int o;
	bool trace;
	int pass;
	char *p;

	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_MMAP, len, self->seed));
	snprintf(order_str, sizeof(order_str), "order=%u ", self->order);
	for (pass = 0; pass < 2; pass++) {
		const char *what = pass ? "warm" : "cold";

		trace = !pass && !fdemo_trace_start(inst, sizeof(inst), events,
						    1, true);
		snprintf(order_str, sizeof(order_str), "order=%u ", self->order);
		p = map_huge(self->fd, REG_MMAP, len, PROT_READ);
		ASSERT_NE(MAP_FAILED, p);
		r0 = sectors_read();
		m0 = fdemo_major_faults();
		f0 = fdemo_faults();
		fdemo_touch(p, npages);
		faults = fdemo_faults() - f0;
		majors = fdemo_major_faults() - m0;
		EXPECT_EQ(-1, fdemo_check(p, REG_MMAP, len, self->seed)) TH_LOG("%s", what);
		TH_LOG("%s: %ld faults, %ld major, %llu KiB read, FilePmdMapped %ld kB",
		       what, faults, majors,
		       (unsigned long long)(sectors_read() - r0) / 2,
		       fdemo_smaps_kb(p, "FilePmdMapped"));
		if (self->order == 9) {
			EXPECT_EQ((long)(len / SZ_2M), faults) TH_LOG("%s", what);
			EXPECT_EQ((long)(len >> 10), fdemo_smaps_kb(p, "FilePmdMapped"))
				TH_LOG("%s", what);
		} else {
			EXPECT_EQ(0, fdemo_smaps_kb(p, "FilePmdMapped")) TH_LOG("%s", what);
			/*
			 * fault-around maps 16 pages per fault at least, and
			 * each PG_readahead mark costs one more (7.x)
			 */
			EXPECT_GE((long)(npages / 16 + 4), faults) TH_LOG("%s", what);
		}
		if (pass) {
			EXPECT_EQ(0, majors);
			EXPECT_EQ(0, sectors_read() - r0);
		} else {
			EXPECT_LE(1, majors);
			EXPECT_LE(len / 512, sectors_read() - r0);
		}
		munmap(p, len);

		ASSERT_EQ(0, fdemo_folios_cached(counts));
		EXPECT_EQ((int)self->order, largest_cached(counts)) TH_LOG("%s", what);
		/* every folio of the region is of the order */
		EXPECT_LE((long)(len / self->folio), counts[self->order]);
		if (trace) {
			long all = fdemo_trace_count(inst, "faultdemo_readahead:", NULL);
			long of_order = fdemo_trace_count(inst, "faultdemo_readahead:",
							  order_str);

			TH_LOG("read-ahead: %ld calls, %ld of order %u", all,
			       of_order, self->order);
			EXPECT_LE(1, of_order);
			/* none larger (the event has each call's largest) */
			for (o = self->order + 1; o <= 9; o++) {
				snprintf(order_str, sizeof(order_str), "order=%u ", o);
				EXPECT_EQ(0, fdemo_trace_count(inst, "faultdemo_readahead:",
							       order_str));
			}
			if (self->order == 9) {
				/* one bio per read-ahead of 2 x 2 MiB */
				EXPECT_EQ(all, fdemo_trace_count(inst, "faultdemo_readahead:",
								 "bios=1"));
			}
			fdemo_trace_stop(inst, events, 1);
		}
	}
}

/*
 * Plain read() with no advice: read-ahead starts with small folios and
 * grows them with each round (page_cache_ra_order()), never past the
 * mapping's largest order, and the data is the device's.
 */
TEST_F_TIMEOUT(disk_folio, read_grows_folios_up_to_the_order, 120)
{
	const size_t len = 16 * MIB, chunk = 64 << 10;
	long counts[10];
	char *buf;
	size_t done;
	int largest;

	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_READ, len, self->seed));
	buf = malloc(chunk);
	ASSERT_NE(NULL, buf);
	for (done = 0; done < len; done += chunk) {
		ASSERT_EQ((ssize_t)chunk, pread(self->fd, buf, chunk, REG_READ + done));
		ASSERT_EQ(-1, fdemo_check(buf, REG_READ + done, chunk, self->seed))
			TH_LOG("at %zu", done);
	}
	free(buf);
	ASSERT_EQ(0, fdemo_folios_cached(counts));
	largest = largest_cached(counts);
	TH_LOG("folios by order: %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
	       counts[0], counts[1], counts[2], counts[3], counts[4],
	       counts[5], counts[6], counts[7], counts[8], counts[9]);
	EXPECT_GE((int)self->order, largest);
	/* order 0: nothing larger; else larger than order 0 */
	EXPECT_EQ(self->order > 0, largest > 0);
}

/*
 * What a small write dirties in a large folio, counted on the device,
 * step by step in one folio: write() of one byte marks one block dirty in
 * iomap's per-block state (6.6 on; before, iomap writes back every block
 * of a dirty folio); a store through a mapping then dirties the whole
 * folio (folio_mark_dirty(), as on xfs), although the folio has per-block
 * state from the write. Each byte is on the device after fsync().
 */
TEST_F_TIMEOUT(disk_folio, small_write_writes_what_it_dirtied, 120)
{
	static const struct {
		const char *name;
		bool store;
		size_t at;		/* offset in the folio */
	} steps[] = {
		{ "write() of one byte", false, 100 },
		{ "store of one byte through a mapping", true, 8292 },
		{ "write() of one byte again", false, 4196 },
	};
	const bool per_block = fdemo_kernel_version() >= FDEMO_KVER(6, 6);
	const __u64 off = REG_WRITE;
	long counts[10];
	size_t i;
	char *p;

	ASSERT_EQ(0, fdemo_disk_fill(self->disk, off, SZ_2M, self->seed));
	p = map_huge(self->fd, off, SZ_2M, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, SZ_2M / self->ps);
	ASSERT_EQ(0, fdemo_folios_cached(counts));
	ASSERT_EQ((int)self->order, largest_cached(counts));

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		__u64 at = off + steps[i].at, w0, expect;
		char c = 'a' + i, back[128];

		w0 = sectors_written();
		if (steps[i].store)
			p[steps[i].at] = c;
		else
			ASSERT_EQ(1, pwrite(self->fd, &c, 1, at));
		ASSERT_EQ(0, fsync(self->fd));
		expect = steps[i].store || !per_block ? self->folio : self->ps;
		EXPECT_EQ(expect, (sectors_written() - w0) * 512)
			TH_LOG("%s, order %u", steps[i].name, self->order);
		ASSERT_EQ(0, fdemo_blk_pread(FDEMO_DM_PATH, back, sizeof(back),
					     at & ~(__u64)(self->ps - 1)));
		EXPECT_EQ(c, back[at % self->ps]) TH_LOG("%s", steps[i].name);
	}
	munmap(p, SZ_2M);
}

/*
 * A read error in part of a folio: BAD_LEN of the device fails, inside
 * one folio. What the kernel does, on every kernel we run:
 * - a fault anywhere in that folio is SIGBUS (a folio is mapped only
 *   when all of it is uptodate); a fault in another folio is not;
 * - read() of the failing blocks is EIO, and so is read() of the good
 *   blocks of the same folio: iomap reads the blocks a folio lacks with
 *   one bio per contiguous run, and the run fails as a whole, so none of
 *   them becomes uptodate. No other data is ever returned;
 * - a block written meanwhile is uptodate in iomap's per-block state:
 *   read() returns it, the fault is still SIGBUS, and once the device
 *   heals, the read of the rest of the folio leaves it alone (a read of
 *   the whole folio would overwrite it with the device's old data), and
 *   fsync() puts it on the device.
 */
TEST_F_TIMEOUT(disk_folio, read_error_in_part_of_a_folio, 120)
{
	const size_t len = 2 * SZ_2M;
	const __u64 bad = REG_ERROR + BAD_OFF;
	const __u64 fbase = bad & ~(__u64)(self->folio - 1);
	/* a good page in the folio of the bad blocks, and one outside it */
	const __u64 near = self->order ? fbase + (bad - fbase + self->folio / 2) % self->folio :
					 bad + BAD_LEN;
	const __u64 far = self->order ? fbase + self->folio : bad + 4 * BAD_LEN;
	const __u64 seed2 = self->seed + 1;
	char good[512], failing[512];
	__u64 *page, *back;
	struct fdemo_sig sig;
	__u64 v;
	int i;
	char *p;

	page = malloc(self->ps);
	back = malloc(self->ps);
	ASSERT_NE(NULL, page);
	ASSERT_NE(NULL, back);
	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_ERROR, len, self->seed));
	ASSERT_EQ(0, fdemo_dm_table_linear(self->disk, good, sizeof(good)));
	ASSERT_EQ(0, fdemo_dm_table_error_range(self->disk, bad, BAD_LEN,
						failing, sizeof(failing)));
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, failing));

	p = map_huge(self->fd, REG_ERROR, len, PROT_READ);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(SIGBUS, fdemo_probe(p + (bad - REG_ERROR), false, 0, &sig));
	if (self->order) {
		EXPECT_EQ(SIGBUS, fdemo_probe(p + (near - REG_ERROR), false, 0, &sig))
			TH_LOG("a good page in a folio that is not uptodate");
	} else {
		EXPECT_EQ(0, fdemo_probe(p + (near - REG_ERROR), false, 0, &sig));
		EXPECT_EQ(fdemo_pattern(self->seed, near), sig.value);
	}
	EXPECT_EQ(0, fdemo_probe(p + (far - REG_ERROR), false, 0, &sig));
	EXPECT_EQ(fdemo_pattern(self->seed, far), sig.value);

	for (i = 0; i < 2; i++) {
		errno = 0;
		EXPECT_EQ(-1, pread(self->fd, &v, 8, bad));
		EXPECT_EQ(EIO, errno);
		errno = 0;
		v = 0;
		if (self->order) {
			EXPECT_EQ(-1, pread(self->fd, &v, 8, near))
				TH_LOG("read() of a good page beside the bad blocks gave %#llx",
				       (unsigned long long)v);
			EXPECT_EQ(EIO, errno);
		} else {
			EXPECT_EQ(8, pread(self->fd, &v, 8, near));
			EXPECT_EQ(fdemo_pattern(self->seed, near), v);
		}
	}

	/* a block written into the folio: readable, kept, written back */
	fdemo_pattern_fill(page, near, self->ps, seed2);
	ASSERT_EQ((ssize_t)self->ps, pwrite(self->fd, page, self->ps, near));
	ASSERT_EQ((ssize_t)self->ps, pread(self->fd, back, self->ps, near));
	EXPECT_EQ(0, memcmp(page, back, self->ps));
	if (self->order)
		EXPECT_EQ(SIGBUS, fdemo_probe(p + (near - REG_ERROR), false, 0, &sig));

	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, good));
	EXPECT_EQ(-1, fdemo_check(p, REG_ERROR, near - REG_ERROR, self->seed));
	EXPECT_EQ(0, memcmp(page, p + (near - REG_ERROR), self->ps))
		TH_LOG("the written page, after the rest of its folio was read");
	EXPECT_EQ(-1, fdemo_check(p + (near - REG_ERROR) + self->ps,
				  near + self->ps,
				  REG_ERROR + len - near - self->ps, self->seed));
	EXPECT_EQ(0, fsync(self->fd));
	EXPECT_EQ(0, fdemo_blk_pread(FDEMO_DM_PATH, back, self->ps, near));
	EXPECT_EQ(0, memcmp(page, back, self->ps)) TH_LOG("on the device");
	munmap(p, len);
	free(page);
	free(back);
}

/*
 * Large folios leave the cache whole when clean (mincore: nothing
 * resident; the next touch reads them again, the same data), and dirty
 * ones are written before they go, never dropped.
 */
TEST_F_TIMEOUT(disk_folio, eviction_takes_clean_folios_and_writes_dirty_ones, 180)
{
	const size_t len = 4 * MIB, npages = len / self->ps;
	cpu_set_t cpu;
	enum fdemo_evict_how how;

	/* one CPU: no folio held in another CPU's LRU batch (backing_test) */
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	for (how = 0; how < FDEMO_EVICT_NR; how++) {
		const char *name = fdemo_evict_name(how);
		/*
		 * 4 MiB apart: the read-ahead of a huge mapping reads the
		 * next 4 MiB and marks a folio there PG_readahead, which is
		 * PG_reclaim: the end of its writeback would rotate it into
		 * another CPU's LRU batch, out of MADV_PAGEOUT's reach
		 * (backing_test clean_pages_can_be_evicted).
		 */
		__u64 off = REG_EVICT + how * 2 * len, r0;
		long m0;
		char *p;

		ASSERT_EQ(0, posix_fadvise(self->fd, off, len, POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, fdemo_cached_in(off / self->ps, npages)) TH_LOG("%s", name);

		/* dirty, through a mapping: whole folios */
		p = map_huge(self->fd, off, len, PROT_READ | PROT_WRITE);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_touch(p, npages);
		fdemo_pattern_fill(p, off, len, self->seed);
		/* a dirty folio is never dropped: its data stays or is written */
		munmap(p, len);
		ASSERT_EQ(0, posix_fadvise(self->fd, off, len, POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, fdemo_write_file("/proc/sys/vm/drop_caches", "1"));
		EXPECT_EQ(0, fdemo_check_dev(self->fd, off, len, self->seed))
			TH_LOG("%s", name);
		ASSERT_EQ(0, fsync(self->fd));
		EXPECT_TRUE(fdemo_disk_has(FDEMO_DM_PATH, off, len, self->seed))
			TH_LOG("%s", name);
		/*
		 * Invalidating a dirty folio marks it PG_reclaim
		 * (deactivate_file_folio()), and the end of its writeback,
		 * on our workqueue's CPU, then rotates it into that CPU's
		 * LRU batch, out of MADV_PAGEOUT's reach: compact_memory
		 * drains every CPU's batches (lru_add_drain_all()).
		 */
		ASSERT_EQ(0, fdemo_write_file("/proc/sys/vm/compact_memory", "1"));

		/* clean now: each way of evicting takes all of it */
		p = map_huge(self->fd, off, len, PROT_READ);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_touch(p, npages);
		ASSERT_EQ((long)npages, fdemo_resident(p, npages));
		ASSERT_EQ(0, fdemo_evict(self->fd, p, off, len, how))
			TH_LOG("%s", name);
		if (how != FDEMO_EVICT_PAGEOUT) {
			p = map_huge(self->fd, off, len, PROT_READ);
			ASSERT_NE(MAP_FAILED, p);
		}
		if (how == FDEMO_EVICT_PAGEOUT && self->order &&
		    fdemo_kernel_version() < FDEMO_KVER(6, 12) &&
		    fdemo_resident(p, npages)) {
			/*
			 * 6.1's MADV_PAGEOUT often keeps a PMD-mapped large
			 * folio of the disk cached (faultdemo(4)): then the
			 * data must still be there.
			 */
			TH_LOG("%s: 6.1 kept %ld pages cached", name,
			       fdemo_resident(p, npages));
			EXPECT_EQ(-1, fdemo_check(p, off, len, self->seed));
			munmap(p, len);
			continue;
		}
		EXPECT_EQ(0, fdemo_resident(p, npages)) TH_LOG("%s", name);
		EXPECT_EQ(0, fdemo_cached_in(off / self->ps, npages)) TH_LOG("%s", name);
		r0 = sectors_read();
		m0 = fdemo_major_faults();
		EXPECT_EQ(-1, fdemo_check(p, off, len, self->seed)) TH_LOG("%s", name);
		EXPECT_LE(1, fdemo_major_faults() - m0) TH_LOG("%s", name);
		EXPECT_LE(len / 512, sectors_read() - r0) TH_LOG("%s", name);
		munmap(p, len);
	}
}

struct unmapper {
	char *p;
	size_t len;
	bool stop;		/* __atomic: set by the storing thread */
	long rounds;
};

static void *unmap_loop(void *arg)
{
	struct unmapper *u = arg;

	while (!__atomic_load_n(&u->stop, __ATOMIC_RELAXED)) {
		madvise(u->p, u->len, MADV_DONTNEED);
		u->rounds++;
	}
	return NULL;
}

/*
 * Stores into clean large folios while another thread unmaps the range
 * (MADV_DONTNEED) over and over: the unmap can meet an entry the store
 * just made writable and dirty, and marks the folio dirty from under the
 * page-table lock. The folio must be dirty, with its per-block state,
 * before the entry is writable (.page_mkwrite), or iomap_dirty_folio()
 * allocates that state there (the debug kernel reports the sleeping
 * allocation in atomic context, kmemleak the state attached twice).
 * Every store is on the device afterwards.
 */
TEST_F_TIMEOUT(disk_folio, stores_race_with_unmap, 120)
{
	const size_t len = 4 * MIB, npages = len / self->ps;
	struct unmapper u = { .len = len };
	long long end = fdemo_now_us() + 3000000;
	pthread_t th;
	__u64 round = 0, v;
	size_t i, bad = 0;

	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_RACE, len, self->seed));
	u.p = map_huge(self->fd, REG_RACE, len, PROT_READ | PROT_WRITE);
	ASSERT_NE(MAP_FAILED, u.p);
	fdemo_touch(u.p, npages);
	ASSERT_EQ(0, pthread_create(&th, NULL, unmap_loop, &u));
	while (fdemo_now_us() < end) {
		round++;
		for (i = 0; i < npages; i++)
			fdemo_poke(u.p + i * self->ps, round);
		/* clean again: the next round's stores go through .page_mkwrite */
		ASSERT_EQ(0, fsync(self->fd));
	}
	__atomic_store_n(&u.stop, true, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	TH_LOG("%llu rounds of stores, %ld unmaps", (unsigned long long)round, u.rounds);
	for (i = 0; i < npages; i++) {
		bad += fdemo_blk_pread(FDEMO_DM_PATH, &v, 8, REG_RACE + i * self->ps) ||
		       v != round;
	}
	EXPECT_EQ(0, bad) TH_LOG("pages without the last store, on the device");
	munmap(u.p, len);
}

/*
 * The tour on this device: major_fault ok at every order, its kernel
 * account naming the read-ahead (pages, folios, largest order, bios);
 * pmd_fault ok at order 9 (MADV_HUGEPAGE: one major fault, read-ahead of
 * order-9 folios, one PMD) and skipped below it.
 */
TEST_F_TIMEOUT(disk_folio, tour_shows_the_folio_order, 120)
{
	const char *tool = getenv("FAULTDEMO_TOOL");
	bool traced = false, ra_seen = false, ra_order_seen = false;
	char cmd[512], line[1024], order_str[32];
	int major = 0, pmd = 0;
	FILE *f;

	if (!tool || !*tool)
		SKIP(return, "FAULTDEMO_TOOL is not set (path of the faultdemo program)");
	snprintf(cmd, sizeof(cmd), "%s tour --only major_fault,pmd_fault", tool);
	snprintf(order_str, sizeof(order_str), "/order %u/", self->order);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char name[64], status[16];
		int nr;

		fprintf(stderr, "# %s", line);
		traced |= !strncmp(line, "kernel trace: ", 14) &&
			  strstr(line, "faultdemo:* events");
		ra_seen |= !!strstr(line, "read-ahead=");
		ra_order_seen |= !!strstr(line, order_str);
		if (sscanf(line, "%d %63s %15s", &nr, name, status) != 3)
			continue;
		if (!strcmp(name, "major_fault")) {
			major++;
			EXPECT_STREQ("ok", status);
		} else if (!strcmp(name, "pmd_fault")) {
			pmd++;
			EXPECT_STREQ(self->order == 9 ? "ok" : "SKIP", status);
		}
	}
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(1, major);
	EXPECT_EQ(1, pmd);
	if (!traced) {
		TH_LOG("the tour ran without the kernel's account: not checked");
		return;
	}
	EXPECT_TRUE(ra_seen) TH_LOG("no faultdemo_readahead in the kernel's account");
	if (self->order == 9)
		EXPECT_TRUE(ra_order_seen) TH_LOG("no read-ahead of order 9");
}

TEST_HARNESS_MAIN

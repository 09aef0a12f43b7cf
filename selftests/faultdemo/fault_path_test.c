// SPDX-License-Identifier: GPL-2.0
/*
 * The four file-backed fault paths as one table, in the manner of
 * tools/testing/selftests/mm/cow.c: a load (do_read_fault), a private
 * store (do_cow_fault), a first shared store (do_shared_fault) and a
 * shared store after the page was cleaned (wp_page_shared), each crossed
 * with the variants below:
 *   - store mode: RAM, or the scratch disk (backing=, vm-run --disk);
 *   - folio order 0 or 9 (PMD-sized). On the disk at order 9 the mapping
 *     is MADV_HUGEPAGE, so that read-ahead brings the 2 MiB folio in one
 *     piece (without it, read-ahead grows folios step by step: see
 *     disk_folio_test), and a warm range was populated the same way;
 *   - fault-around on or off (module parameter fault_around);
 *   - cold (nothing of the 2 MiB range in the page cache) or warm (all
 *     of it read in with pread() first).
 *
 * Every case takes one fault on page TARGET of a 2 MiB-aligned mapping of
 * a 2 MiB-aligned range and checks, kernel evidence first:
 *   - the hardware error code (exceptions:page_fault_user), one exception;
 *   - getrusage(): one fault, major only when it read the disk;
 *   - pagemap: the page cache's page, or an anonymous copy; how many pages
 *     of the range the fault mapped (fault-around, PMD);
 *   - smaps: FilePmdMapped, Anonymous, dirty;
 *   - mincore() and the disk's own statistics: what was read, and, for
 *     shared stores, that fsync() or clean write the new data to the disk;
 *   - the data, through the mapping and through pread();
 * then the module's counters (.fault of the path's kind, .page_mkwrite,
 * .map_pages).
 *
 * How to add a case: a row in FP_VARIANTS for a new combination, or a
 * TEST_F with its expectations in fp_expect() for a new path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_fixture.h"
#include "faultdemo_blk.h"

#define SZ_2M		(2UL << 20)
#define PMD_ORDER	9
#define TARGET		5	/* inside the first fault-around window */
#define PF_PROT		0x1	/* x86 page fault error code bits */
#define PF_WRITE	0x2
#define PF_USER		0x4

enum fp_store { FP_RAM, FP_BLOCK };
enum fp_path { FP_READ, FP_COW, FP_SHARED_FIRST, FP_SHARED_AFTER_CLEAN };

static const char * const fp_events[] = { "exceptions/page_fault_user" };

/* One case's state: the fixture's data, passed to the helpers. */
struct fp_case {
	int fd;
	size_t ps;
	size_t npages;		/* of the range: 2 MiB */
	__u64 off;		/* device offset of the range */
	const char *disk;	/* the scratch disk, if the VM has one */
	long window;		/* fault-around window, in pages */
	char inst[512];		/* tracefs instance */
	bool traced;
	char *map;
	__u64 saved_fab;	/* fault_around_bytes to restore, 0 if none */
	long long saved_wb_cs;	/* dirty_writeback_centisecs, -1 if none */
};

struct fp_variant {
	enum fp_store store;
	unsigned int order;
	bool around;
	bool warm;
};

FIXTURE(fault_path)
{
	struct fp_case c;
};

FIXTURE_VARIANT(fault_path)
{
	struct fp_variant v;
};

#define FP_AROUND	true
#define FP_NO_AROUND	false
#define FP_WARM		true
#define FP_COLD		false

/* Grouped by module parameters: the module is reloaded only between groups. */
FIXTURE_VARIANT_ADD(fault_path, ram_order0_around_cold) { { FP_RAM, 0, FP_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, ram_order0_around_warm) { { FP_RAM, 0, FP_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, ram_order0_no_around_cold) { { FP_RAM, 0, FP_NO_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, ram_order0_no_around_warm) { { FP_RAM, 0, FP_NO_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, ram_order9_around_cold) { { FP_RAM, 9, FP_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, ram_order9_around_warm) { { FP_RAM, 9, FP_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, ram_order9_no_around_cold) { { FP_RAM, 9, FP_NO_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, ram_order9_no_around_warm) { { FP_RAM, 9, FP_NO_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, block_order0_around_cold)
	{ { FP_BLOCK, 0, FP_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, block_order0_around_warm)
	{ { FP_BLOCK, 0, FP_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, block_order0_no_around_cold)
	{ { FP_BLOCK, 0, FP_NO_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, block_order0_no_around_warm)
	{ { FP_BLOCK, 0, FP_NO_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, block_order9_around_cold)
	{ { FP_BLOCK, 9, FP_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, block_order9_around_warm)
	{ { FP_BLOCK, 9, FP_AROUND, FP_WARM } };
FIXTURE_VARIANT_ADD(fault_path, block_order9_no_around_cold)
	{ { FP_BLOCK, 9, FP_NO_AROUND, FP_COLD } };
FIXTURE_VARIANT_ADD(fault_path, block_order9_no_around_warm)
	{ { FP_BLOCK, 9, FP_NO_AROUND, FP_WARM } };

/* What one case must show; a bound of -1 is not checked. */
struct fp_expect {
	unsigned int error_code;
	bool major;		/* getrusage: the fault read the disk */
	bool anon;		/* pagemap: an anonymous copy, not the cache's page */
	long present_min, present_max;	/* pages of the range mapped */
	long pmd_kb, anon_kb, dirty_kb;	/* smaps */
	long fault_min, fault_max;	/* .fault calls of the path's kind */
	long mkwrite;
	bool map_pages;		/* .map_pages ran */
	bool reads_disk;
};

static struct fp_expect fp_expect(const struct fp_variant *v,
				  enum fp_path path, const struct fp_case *c)
{
	long window = c->window, npages = c->npages;
	bool pmd = v->order == PMD_ORDER;
	/* filemap_fault() reads, drops the lock, the fault is retried */
	bool io = v->store == FP_BLOCK && !v->warm;
	long folio_kb = pmd ? (long)(SZ_2M >> 10) : (long)(fdemo_page_size() >> 10);
	struct fp_expect e = {
		.error_code = PF_USER, .major = io,
		.present_min = pmd ? npages : 1,
		.present_max = pmd ? npages : 1,
		.pmd_kb = pmd ? folio_kb : 0, .dirty_kb = folio_kb,
		.fault_min = 1, .fault_max = io ? 2 : 1,
		.reads_disk = io,
	};

	switch (path) {
	case FP_READ:
		e.dirty_kb = v->store == FP_BLOCK ? 0 : -1;
		e.map_pages = v->around;
		if (v->around && v->warm) {
			/* .map_pages maps the page: .fault never runs */
			e.fault_min = 0;
			e.fault_max = 0;
			if (!pmd) {
				e.present_min = window;
				e.present_max = window;
			}
		} else if (v->around && io && !pmd) {
			/* the retried fault maps what the read brought in */
			e.present_max = window;
		}
		break;
	case FP_COW:
		/* one page copied, nothing around it, no PMD */
		e.error_code |= PF_WRITE;
		e.anon = true;
		e.present_min = 1;
		e.present_max = 1;
		e.pmd_kb = 0;
		e.anon_kb = fdemo_page_size() >> 10;
		e.dirty_kb = e.anon_kb;
		break;
	case FP_SHARED_FIRST:
		e.error_code |= PF_WRITE;
		e.mkwrite = 1;
		break;
	case FP_SHARED_AFTER_CLEAN:
		/*
		 * A write-protect fault on a mapped page: no I/O. A read-only
		 * PMD is zapped and faulted again (.fault, then .page_mkwrite).
		 */
		e.error_code |= PF_WRITE | PF_PROT;
		e.major = false;
		e.reads_disk = false;
		e.fault_min = pmd ? 1 : 0;
		e.fault_max = e.fault_min;
		e.mkwrite = 1;
		break;
	}
	return e;
}

/* A disk's 2 MiB folio comes in one piece only to a MADV_HUGEPAGE mapping. */
static bool fp_hugepage(const struct fp_variant *v)
{
	return v->store == FP_BLOCK && v->order == PMD_ORDER;
}

/* Read the range into the cache as a fault of fp_hugepage() would: 0 or -errno. */
static int fp_populate_huge(struct fp_case *c)
{
	char *p = fdemo_mmap_aligned(c->fd, SZ_2M, PROT_READ, MAP_SHARED,
				     c->off, SZ_2M);
	int ret = 0;

	if (p == MAP_FAILED)
		return -errno;
	if (madvise(p, SZ_2M, MADV_HUGEPAGE) ||
	    madvise(p, SZ_2M, MADV_POPULATE_READ))
		ret = -errno;
	munmap(p, SZ_2M);
	return ret;
}

/* Load the module with the variant's store and folio order, if it is not. */
static int fp_module(const struct fp_variant *v, const char *disk,
		     bool force)
{
	char params[256], backing[256] = "";
	__u64 order;

	if (v->store == FP_BLOCK)
		snprintf(params, sizeof(params), "backing=%s folio_order=%u",
			 disk, v->order);
	else
		snprintf(params, sizeof(params), "folio_order=%u", v->order);
	if (!force && fdemo_loaded() && !fdemo_param_get("folio_order", &order) &&
	    !fdemo_read_file(FDEMO_PARAM_DIR "/backing", backing, sizeof(backing))) {
		backing[strcspn(backing, "\n")] = '\0';
		if (order == v->order &&
		    !strcmp(backing, v->store == FP_BLOCK ? disk : ""))
			return 0;
	}
	return fdemo_reload(params);
}

/* The module is reloaded per group of variants; defaults come back at exit. */
static void __attribute__((constructor)) defaults_at_exit(void)
{
	fdemo_reload_defaults_at_exit();
}

FIXTURE_SETUP(fault_path)
{
	struct fp_case *c = &self->c;
	const struct fp_variant *v = &variant->v;
	char path[512], bdi[64];
	__u64 fab = FDEMO_DEF_FAB;
	long first, cached;
	ssize_t got;
	void *buf;
	int ret;

	c->fd = -1;
	c->map = MAP_FAILED;
	c->traced = false;
	c->saved_fab = 0;
	c->saved_wb_cs = -1;
	c->ps = fdemo_page_size();
	c->npages = SZ_2M / c->ps;
	c->disk = fdemo_disk();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set: the cases reload the module");
	if (v->store == FP_BLOCK && !c->disk)
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	if (v->order && !fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP);
	if (!fdemo_tracefs())
		SKIP(return, "no tracefs: the error code comes from exceptions:page_fault_user");
	snprintf(path, sizeof(path), "%s/events/%s", fdemo_tracefs(), fp_events[0]);
	if (access(path, F_OK))
		SKIP(return, "no %s event (a kernel without x86 exception tracepoints)",
		     fp_events[0]);

	ret = fp_module(v, c->disk, false);
	ASSERT_EQ(0, ret) TH_LOG("loading faultdemo: %s", strerror(-ret));
	first = fdemo_find_cold(c->npages, c->npages);
	if (first == -ENOSPC) {
		/* earlier cases filled the cache: start again empty */
		ASSERT_EQ(0, fp_module(v, c->disk, true));
		first = fdemo_find_cold(c->npages, c->npages);
	}
	ASSERT_LE(0, first) TH_LOG("no cold 2 MiB range: %s", strerror(-first));
	ASSERT_EQ(0, first % (long)c->npages);
	c->off = (__u64)first * c->ps;
	ASSERT_EQ(0, fdemo_set_defaults());
	ASSERT_EQ(0, fdemo_param_set("fault_around", v->around ? "1" : "0"));
	c->saved_fab = fdemo_fixture_default_fab(_metadata);
	if (!fdemo_fab_get(&fab) && fab < c->ps)
		fab = c->ps;
	/* aligned to its size, and never past the page table (2 MiB) */
	c->window = fab / c->ps;
	if (c->window > (long)c->npages)
		c->window = c->npages;

	c->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, c->fd) TH_LOG("open: %s", strerror(-c->fd));
	if (v->store == FP_BLOCK) {
		/*
		 * A new bdi has no share of the dirty limits: background
		 * writeback would clean a stored page before the case looks.
		 */
		ASSERT_EQ(0, fdemo_bdi(bdi, sizeof(bdi)));
		snprintf(path, sizeof(path), "/sys/class/bdi/%s/min_ratio", bdi);
		ASSERT_EQ(0, fdemo_write_file(path, "20"));
		c->saved_wb_cs = fdemo_fixture_no_periodic_writeback(_metadata);
	}
	if (v->warm && fp_hugepage(v)) {
		ASSERT_EQ(0, fp_populate_huge(c));
	} else if (v->warm) {
		buf = malloc(SZ_2M);
		ASSERT_NE(NULL, buf);
		got = pread(c->fd, buf, SZ_2M, c->off);
		free(buf);
		ASSERT_EQ((ssize_t)SZ_2M, got);
	}
	cached = fdemo_cached_in(first, c->npages);
	ASSERT_EQ(v->warm ? (long)c->npages : 0, cached);

	ret = fdemo_trace_start(c->inst, sizeof(c->inst), fp_events,
				ARRAY_SIZE(fp_events), true);
	ASSERT_EQ(0, ret) TH_LOG("tracefs: %s", strerror(-ret));
	c->traced = true;
}

FIXTURE_TEARDOWN(fault_path)
{
	struct fp_case *c = &self->c;

	if (c->traced)
		fdemo_trace_stop(c->inst, fp_events, ARRAY_SIZE(fp_events));
	if (c->map != MAP_FAILED)
		munmap(c->map, SZ_2M);
	if (c->fd >= 0) {
		/* no dirty page left for the next case's writeback */
		fsync(c->fd);
		close(c->fd);
	}
	if (c->saved_wb_cs >= 0)
		fdemo_sysctl_set("vm/dirty_writeback_centisecs", c->saved_wb_cs);
	if (c->saved_fab)
		fdemo_fab_set(c->saved_fab);
	fdemo_param_set("fault_around", "1");
}

static void *fp_map(struct __test_metadata *_metadata,
		    struct fp_case *c, const struct fp_variant *v, int flags)
{
	c->map = fdemo_mmap_aligned(c->fd, SZ_2M, PROT_READ | PROT_WRITE, flags,
				    c->off, SZ_2M);
	ASSERT_NE(MAP_FAILED, c->map) TH_LOG("mmap: %s", strerror(errno));
	if (fp_hugepage(v))
		ASSERT_EQ(0, madvise(c->map, SZ_2M, MADV_HUGEPAGE));
	return c->map + TARGET * c->ps;
}

static void fp_trace_clear(struct __test_metadata *_metadata, const char *inst)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/trace", inst);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_LE(0, fd);
	close(fd);
}

/* What the kernel and the module saw around one access. */
struct fp_seen {
	long minflt, majflt;
	long exceptions, with_code;
	struct fdemo_blk_stat disk;	/* differences */
	struct fdemo_stats d;
};

static void fp_blk_sub(struct fdemo_blk_stat *a, const struct fdemo_blk_stat *b)
{
	a->read_sectors -= b->read_sectors;
	a->write_sectors -= b->write_sectors;
}

/* One load or store at @p, with everything the kernel counted meanwhile. */
static void fp_access(struct __test_metadata *_metadata,
		      struct fp_case *c, char *p, bool store,
		      __u64 val, unsigned int code, struct fp_seen *seen)
{
	struct fdemo_blk_stat b0 = { 0 };
	struct fdemo_stats s0;
	struct rusage r0, r1;
	char needle[64], code_needle[32];

	fp_trace_clear(_metadata, c->inst);
	if (c->disk)
		ASSERT_EQ(0, fdemo_blk_stat(c->disk, &b0));
	ASSERT_EQ(0, fdemo_stats(&s0));
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &r0));
	if (store)
		fdemo_poke(p, val);
	else
		(void)fdemo_peek(p);
	ASSERT_EQ(0, getrusage(RUSAGE_SELF, &r1));
	ASSERT_EQ(0, fdemo_stats_delta(&s0, &seen->d));
	memset(&seen->disk, 0, sizeof(seen->disk));
	if (c->disk) {
		ASSERT_EQ(0, fdemo_blk_stat(c->disk, &seen->disk));
		fp_blk_sub(&seen->disk, &b0);
	}
	seen->minflt = r1.ru_minflt - r0.ru_minflt;
	seen->majflt = r1.ru_majflt - r0.ru_majflt;

	/* "page_fault_user: address=0x7f... ip=0x... error_code=0x6" */
	snprintf(needle, sizeof(needle), "address=0x%lx ", (unsigned long)p);
	snprintf(code_needle, sizeof(code_needle), "error_code=0x%x\n", code);
	seen->exceptions = fdemo_trace_count(c->inst, needle, NULL);
	seen->with_code = fdemo_trace_count(c->inst, needle, code_needle);
}

/* Check @seen and the state of the mapping against @e. */
static void fp_check(struct __test_metadata *_metadata,
		     struct fp_case *c, const struct fp_expect *e,
		     const struct fp_seen *seen, const char *p, long fault_calls)
{
	__u64 ent = fdemo_pagemap_one(p);
	long present, dirty;

	/* the hardware's account */
	EXPECT_EQ(1, seen->exceptions);
	EXPECT_EQ(1, seen->with_code) TH_LOG("expected error code 0x%x", e->error_code);
	EXPECT_EQ(1, seen->minflt + seen->majflt);
	EXPECT_EQ(e->major ? 1 : 0, seen->majflt);

	/* what is mapped */
	EXPECT_TRUE(ent & PM_PRESENT);
	EXPECT_EQ(!e->anon, !!(ent & PM_FILE));
	present = fdemo_pagemap_count(c->map, c->npages, PM_PRESENT, PM_PRESENT);
	EXPECT_LE(e->present_min, present);
	EXPECT_GE(e->present_max, present);
	EXPECT_EQ(e->pmd_kb, fdemo_smaps_kb(p, "FilePmdMapped"));
	EXPECT_EQ(e->anon_kb, fdemo_smaps_kb(p, "Anonymous"));
	if (e->dirty_kb >= 0) {
		dirty = fdemo_smaps_kb(p, "Private_Dirty") + fdemo_smaps_kb(p, "Shared_Dirty");
		EXPECT_EQ(e->dirty_kb, dirty);
	}

	/* the page cache and the disk */
	EXPECT_EQ(1, fdemo_cached_in(c->off / c->ps + TARGET, 1));
	if (c->disk) {
		EXPECT_EQ(e->reads_disk, seen->disk.read_sectors > 0)
			TH_LOG("%llu sectors read", (unsigned long long)seen->disk.read_sectors);
	}

	/* the module's account */
	EXPECT_LE(e->fault_min, fault_calls);
	EXPECT_GE(e->fault_max, fault_calls);
	EXPECT_EQ(e->mkwrite, seen->d.page_mkwrite);
	EXPECT_EQ(e->map_pages, seen->d.map_pages > 0);
	if (_metadata->exit_code != KSFT_PASS) {
		TH_LOG("minflt %ld majflt %ld exceptions %ld present %ld pagemap %#llx",
		       seen->minflt, seen->majflt, seen->exceptions, present,
		       (unsigned long long)ent);
		fdemo_stats_print("delta", &seen->d);
	}
}

static __u64 fp_dev_word(struct __test_metadata *_metadata,
			 struct fp_case *c, size_t word)
{
	__u64 v = 0;

	EXPECT_EQ((ssize_t)sizeof(v),
		  pread(c->fd, &v, sizeof(v), c->off + TARGET * c->ps + word * 8));
	return v;
}

/* After fsync() or clean, @val is on the disk at the target page. */
static void fp_expect_on_disk(struct __test_metadata *_metadata,
			      struct fp_case *c,
			      const struct fdemo_blk_stat *before, __u64 val)
{
	struct fdemo_blk_stat after;
	__u64 *page = malloc(c->ps), word = 0;
	int ret;

	ASSERT_NE(NULL, page);
	ret = fdemo_blk_stat(c->disk, &after);
	if (!ret)
		ret = fdemo_blk_pread(c->disk, page, c->ps,
				      c->off + TARGET * c->ps);
	if (!ret)
		word = page[0];
	free(page);
	ASSERT_EQ(0, ret) TH_LOG("%s: %s", c->disk, strerror(-ret));
	EXPECT_LT(before->write_sectors, after.write_sectors);
	EXPECT_EQ(val, word);
}

/* A load maps the page cache's page, and fault-around its cached neighbours. */
TEST_F(fault_path, load_maps_the_cached_page)
{
	struct fp_case *c = &self->c;
	const struct fp_variant *v = &variant->v;
	struct fp_expect e = fp_expect(v, FP_READ, c);
	char *p = fp_map(_metadata, c, v, MAP_SHARED);
	struct fp_seen seen;

	fp_access(_metadata, c, p, false, 0, e.error_code, &seen);
	fp_check(_metadata, c, &e, &seen, p, seen.d.fault_read);
	EXPECT_EQ(fp_dev_word(_metadata, c, 0), fdemo_peek(p));
	EXPECT_EQ(fp_dev_word(_metadata, c, 1), fdemo_peek(p + 8));
}

/* A private store copies one page out of the cache; the device keeps its data. */
TEST_F(fault_path, private_store_copies_one_page)
{
	struct fp_case *c = &self->c;
	const struct fp_variant *v = &variant->v;
	struct fp_expect e = fp_expect(v, FP_COW, c);
	char *p = fp_map(_metadata, c, v, MAP_PRIVATE);
	__u64 val = fdemo_seed() | 1;
	struct fp_seen seen;

	fp_access(_metadata, c, p, true, val, e.error_code, &seen);
	fp_check(_metadata, c, &e, &seen, p, seen.d.fault_cow);
	EXPECT_EQ(val, fdemo_peek(p));
	EXPECT_NE(val, fp_dev_word(_metadata, c, 0));
	/* the rest of the page is the cache's */
	EXPECT_EQ(fp_dev_word(_metadata, c, 1), fdemo_peek(p + 8));
}

/* A first shared store dirties the cache's page, and fsync() writes it. */
TEST_F(fault_path, first_shared_store_dirties_the_cached_page)
{
	struct fp_case *c = &self->c;
	const struct fp_variant *v = &variant->v;
	struct fp_expect e = fp_expect(v, FP_SHARED_FIRST, c);
	char *p = fp_map(_metadata, c, v, MAP_SHARED);
	__u64 val = fdemo_seed() | 1;
	struct fdemo_blk_stat b0;
	struct fp_seen seen;

	fp_access(_metadata, c, p, true, val, e.error_code, &seen);
	fp_check(_metadata, c, &e, &seen, p, seen.d.fault_shared);
	EXPECT_EQ(val, fp_dev_word(_metadata, c, 0));
	if (v->store == FP_BLOCK) {
		ASSERT_EQ(0, fdemo_blk_stat(c->disk, &b0));
		ASSERT_EQ(0, fsync(c->fd));
		fp_expect_on_disk(_metadata, c, &b0, val);
	}
}

/*
 * After clean (write back and write-protect), the next store takes a
 * protection fault to .page_mkwrite and nothing else: no read, no copy.
 */
TEST_F(fault_path, store_after_clean_takes_a_protection_fault)
{
	struct fp_case *c = &self->c;
	const struct fp_variant *v = &variant->v;
	struct fp_expect e = fp_expect(v, FP_SHARED_AFTER_CLEAN, c);
	char *p = fp_map(_metadata, c, v, MAP_SHARED);
	__u64 val = fdemo_seed() | 1, cleaned = 0, pfn;
	struct fdemo_blk_stat b0;
	struct fp_seen seen;

	fdemo_poke(p, val);
	pfn = fdemo_pagemap_one(p) & PM_PFN_MASK;
	if (c->disk)
		ASSERT_EQ(0, fdemo_blk_stat(c->disk, &b0));
	ASSERT_EQ(0, fdemo_clean(c->fd, c->off, SZ_2M, &cleaned));
	EXPECT_LE(1, cleaned);
	/*
	 * Dirty in RAM mode is for good (the cache is the only copy); on a
	 * disk it means "not written yet".
	 */
	EXPECT_EQ(v->store == FP_BLOCK ? 0 : e.dirty_kb,
		  fdemo_smaps_kb(p, "Private_Dirty") + fdemo_smaps_kb(p, "Shared_Dirty"));
	if (v->store == FP_BLOCK)
		fp_expect_on_disk(_metadata, c, &b0, val);

	fp_access(_metadata, c, p, true, ~val, e.error_code, &seen);
	fp_check(_metadata, c, &e, &seen, p, seen.d.fault_shared);
	EXPECT_EQ(pfn, fdemo_pagemap_one(p) & PM_PFN_MASK);
	EXPECT_EQ(~val, fp_dev_word(_metadata, c, 0));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Folios that move: page migration of the store's folios, RAM and disk
 * (doc/design.md, "Folios that move").
 *
 * move_pages(2) takes every folio of a mapping to the other NUMA node
 * (vm-run --numa 2): the kernel's own account says where each page is
 * (move_pages() status, /proc/self/numa_maps), pagemap gives the new
 * PFNs, and the data, the dirty state, the mappings (no fault after the
 * move, FilePmdMapped) and the module's folios_cached are as they were.
 * A compaction run (/proc/sys/vm/compact_memory) moves folios of the
 * store too; the RAM store's, being unevictable, only where
 * vm.compact_unevictable_allowed is 1 (0 by default on PREEMPT_RT).
 * Both stores allocate movable (GFP_HIGHUSER_MOVABLE): in a VM booted with
 * movablecore= their folios land in ZONE_MOVABLE, and a memory block of
 * that zone that holds them goes offline, moving every one of them out.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/mempolicy.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"
#include "faultdemo_fixture.h"

#define SZ_2M		(2UL << 20)
#define MAP_LEN		(8UL << 20)
#define NODE1		"/sys/devices/system/node/node1"

/* The module is reloaded per variant; the suite's defaults come back at exit. */
static void __attribute__((constructor)) defaults_at_exit(void)
{
	fdemo_reload_defaults_at_exit();
}

/* No libnuma in the test VM: the system call itself. */
static long move_pages(int count, void **pages, const int *nodes, int *status,
		       int flags)
{
	return syscall(SYS_move_pages, 0, count, pages, nodes, status, flags);
}

/*
 * Pages of [@p, @p + @len) that /proc/self/numa_maps puts on @node (its
 * "N<node>=" field), or a negative errno if the mapping is not there.
 */
static long numa_maps_pages(const void *p, int node)
{
	char line[1024], key[16], *at;
	unsigned long start;
	long ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/numa_maps", "re");
	if (!f)
		return -errno;
	snprintf(key, sizeof(key), " N%d=", node);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx ", &start) != 1 || start != (unsigned long)p)
			continue;
		at = strstr(line, key);
		ret = at ? strtol(at + strlen(key), NULL, 10) : 0;
		break;
	}
	fclose(f);
	return ret;
}

/* /proc/kpageflags of @pfn, Documentation/admin-guide/mm/pagemap.rst */
#define KPF_DIRTY	4

static __u64 kpageflags_of(__u64 pfn)
{
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	__u64 flags = 0;

	if (fd < 0)
		return 0;
	if (pread(fd, &flags, sizeof(flags), pfn * sizeof(flags)) != sizeof(flags))
		flags = 0;
	close(fd);
	return flags;
}

/*
 * Automatic NUMA balancing, on by default with two nodes, turned off: it
 * would move pages on its own and take hinting faults. The value it had
 * for the teardown to restore, or -1 if there is nothing to restore.
 */
static long long numa_balancing_off(void)
{
	long long nb;

	if (fdemo_sysctl_get("kernel/numa_balancing", &nb) || !nb ||
	    fdemo_sysctl_set("kernel/numa_balancing", 0))
		return -1;
	return nb;
}

/* Folios cached right now, by order (stats/folios_cached). */
static int read_folios_cached(char *buf, size_t len)
{
	return fdemo_read_file(FDEMO_STATS_DIR "/folios_cached", buf, len);
}

FIXTURE(migrate)
{
	int fd;
	size_t ps;
	size_t npages;
	size_t folio_pages;
	long long wb_cs;
	long long numa_balancing;
	__u64 seed;
	char *p;
};

FIXTURE_VARIANT(migrate)
{
	unsigned int order;
	bool disk;
};

FIXTURE_VARIANT_ADD(migrate, ram_order_0) { .order = 0 };
FIXTURE_VARIANT_ADD(migrate, ram_order_4) { .order = 4 };
FIXTURE_VARIANT_ADD(migrate, ram_order_9) { .order = 9 };
FIXTURE_VARIANT_ADD(migrate, disk_order_0) { .order = 0, .disk = true };
FIXTURE_VARIANT_ADD(migrate, disk_order_4) { .order = 4, .disk = true };
FIXTURE_VARIANT_ADD(migrate, disk_order_9) { .order = 9, .disk = true };

/*
 * The module loaded for the variant, MAP_LEN of it written with a pattern
 * through write(), then mapped shared (2 MiB aligned) and stored to
 * through the mapping, page by page, with the same pattern: every page
 * is cached, mapped writable and dirty.
 */
FIXTURE_SETUP(migrate)
{
	char params[256];
	size_t i;

	self->fd = -1;
	self->wb_cs = -1;
	self->numa_balancing = -1;
	self->p = MAP_FAILED;
	self->ps = fdemo_page_size();
	self->npages = MAP_LEN / self->ps;
	self->folio_pages = 1UL << variant->order;
	self->seed = fdemo_seed();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (access(NODE1, F_OK)) {
		/* a VM made with two nodes that has one is wrong */
		ASSERT_GT(2, atoi(getenv("FAULTDEMO_NUMA_NODES") ?: "1"))
			TH_LOG("FAULTDEMO_NUMA_NODES set, but no %s", NODE1);
		SKIP(return, "one NUMA node (vm-run --numa 2 makes two)");
	}
	if (variant->order && !fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");
	if (variant->disk && !fdemo_disk())
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	if (variant->disk && variant->order && variant->order != 9 &&
	    fdemo_kernel_version() < FDEMO_KVER(6, 12))
		SKIP(return, "before 6.12 backing= takes folio_order 0 or 9");
	self->numa_balancing = numa_balancing_off();
	if (variant->disk) {
		snprintf(params, sizeof(params), "backing=%s folio_order=%u",
			 fdemo_disk(), variant->order);
		self->wb_cs = fdemo_fixture_no_periodic_writeback(_metadata);
	} else {
		snprintf(params, sizeof(params), "folio_order=%u size=%lu",
			 variant->order, 2 * MAP_LEN);
	}
	if (variant->disk) {
		/* the last load on the disk writes back as it goes */
		if (fdemo_loaded())
			ASSERT_EQ(0, fdemo_unload_retry());
		ASSERT_EQ(0, fdemo_disk_fill(fdemo_disk(), 0, MAP_LEN, self->seed));
	}
	ASSERT_EQ(0, fdemo_reload(params)) TH_LOG("insmod faultdemo %s", params);
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	if (variant->disk)
		ASSERT_EQ(0, fdemo_bdi_share());

	if (!variant->disk)
		ASSERT_EQ(0, fdemo_fill(self->fd, 0, MAP_LEN, self->seed));
	self->p = fdemo_mmap_aligned(self->fd, MAP_LEN, PROT_READ | PROT_WRITE,
				     MAP_SHARED, 0, SZ_2M);
	ASSERT_NE(MAP_FAILED, self->p);
	/*
	 * The disk's folios: as large as MADV_HUGEPAGE makes read-ahead's
	 * (order 0 needs no advice; a kernel without THP refuses it).
	 */
	if (variant->disk) {
		if (variant->order)
			ASSERT_EQ(0, madvise(self->p, MAP_LEN, MADV_HUGEPAGE));
		fdemo_touch(self->p, self->npages);
	}
	for (i = 0; i < self->npages; i++)
		fdemo_poke(self->p + i * self->ps,
			   fdemo_pattern(self->seed, i * self->ps));
}

FIXTURE_TEARDOWN(migrate)
{
	if (self->p != MAP_FAILED)
		munmap(self->p, MAP_LEN);
	if (self->fd >= 0)
		close(self->fd);
	if (self->wb_cs >= 0)
		fdemo_sysctl_set("vm/dirty_writeback_centisecs", self->wb_cs);
	if (self->numa_balancing >= 0)
		fdemo_sysctl_set("kernel/numa_balancing", self->numa_balancing);
}

/*
 * move_pages() of one page per folio to the node the folio is not on:
 * afterwards every page is on its folio's new node by move_pages()'s own
 * query and by numa_maps, at a new PFN, with its data, still mapped
 * writable (no fault to read or store), still dirty, and the store holds
 * folios of the same orders. On a disk, the dirty pages then go to the
 * device with fsync(), every one of them.
 */
TEST_F(migrate, move_pages_moves_every_folio)
{
	const size_t n = self->npages, fp = self->folio_pages, nf = n / fp;
	int *status = calloc(n, sizeof(int)), *target = calloc(nf, sizeof(int));
	__u64 *before = calloc(n, sizeof(__u64)), *after = calloc(n, sizeof(__u64));
	void **pages = calloc(n, sizeof(void *)), **heads = calloc(nf, sizeof(void *));
	long pmd_kb, dirty_kb, on_node[2] = { 0, 0 }, moved = 0, ret, wrong;
	char cached_before[128], cached_after[128];
	struct fdemo_stats s0, d;
	__u64 cleaned = 0;
	long faults;
	size_t i;

	ASSERT_TRUE(status && target && before && after && pages && heads);
	for (i = 0; i < n; i++)
		pages[i] = self->p + i * self->ps;
	ASSERT_EQ(0, move_pages(n, pages, NULL, status, 0))
		TH_LOG("move_pages: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(status[i] == 0 || status[i] == 1)
			TH_LOG("page %zu: status %d", i, status[i]);
		/* every page of a folio is where its first page is */
		ASSERT_EQ(status[i - i % fp], status[i]) TH_LOG("page %zu", i);
		on_node[!status[i]]++;
	}
	for (i = 0; i < nf; i++) {
		heads[i] = pages[i * fp];
		target[i] = !status[i * fp];
	}
	ASSERT_EQ(0, fdemo_pagemap(self->p, n, before));
	for (i = 0, wrong = 0; i < nf; i++)
		wrong += !(kpageflags_of(before[i * fp] & PM_PFN_MASK) &
			   (1ULL << KPF_DIRTY));
	ASSERT_EQ(0, wrong) TH_LOG("folios not dirty before the move");
	ASSERT_EQ(0, read_folios_cached(cached_before, sizeof(cached_before)));
	pmd_kb = fdemo_smaps_kb(self->p, "FilePmdMapped");
	dirty_kb = fdemo_smaps_kb(self->p, "Private_Dirty");
	EXPECT_EQ((long)(MAP_LEN >> 10), dirty_kb);
	ASSERT_EQ(0, fdemo_stats(&s0));

	/* One page per folio: the rest of it goes with it. */
	ret = move_pages(nf, heads, target, status, MPOL_MF_MOVE);
	EXPECT_EQ(0, ret) TH_LOG("move_pages: %s", ret < 0 ? strerror(errno) :
				 "some folios were not moved");
	for (i = 0, wrong = 0; i < nf; i++)
		wrong += target[i] != status[i];
	EXPECT_EQ(0, wrong) TH_LOG("of %zu folios", nf);

	/* Where the kernel says every page is now. */
	ASSERT_EQ(0, move_pages(n, pages, NULL, status, 0))
		TH_LOG("move_pages: %s", strerror(errno));
	for (i = 0, wrong = 0; i < n; i++)
		wrong += target[i / fp] != status[i];
	EXPECT_EQ(0, wrong) TH_LOG("pages not on the new node, of %zu", n);
	EXPECT_EQ(on_node[0], numa_maps_pages(self->p, 0));
	EXPECT_EQ(on_node[1], numa_maps_pages(self->p, 1));
	ASSERT_EQ(0, fdemo_pagemap(self->p, n, after));
	for (i = 0; i < n; i++) {
		ASSERT_TRUE(after[i] & PM_PRESENT) TH_LOG("page %zu", i);
		moved += (after[i] & PM_PFN_MASK) != (before[i] & PM_PFN_MASK);
	}
	EXPECT_EQ((long)n, moved);
	/* PG_dirty went with each folio */
	for (i = 0, wrong = 0; i < nf; i++)
		wrong += !(kpageflags_of(after[i * fp] & PM_PFN_MASK) &
			   (1ULL << KPF_DIRTY));
	EXPECT_EQ(0, wrong) TH_LOG("folios clean after the move");
	TH_LOG("order %u: %zu folios, %ld pages moved (%ld to node 0, %ld to node 1)",
	       variant->order, nf, moved, on_node[0], on_node[1]);
	TH_LOG("FilePmdMapped %ld kB", pmd_kb);

	/* The data, the mappings, the folios and the dirt, as they were. */
	faults = fdemo_faults();
	EXPECT_EQ(-1, fdemo_check(self->p, 0, MAP_LEN, self->seed));
	for (i = 0; i < n; i++)
		fdemo_poke(self->p + i * self->ps,
			   fdemo_pattern(self->seed, i * self->ps));
	EXPECT_EQ(0, fdemo_faults() - faults);
	EXPECT_EQ(pmd_kb, fdemo_smaps_kb(self->p, "FilePmdMapped"));
	ASSERT_EQ(0, read_folios_cached(cached_after, sizeof(cached_after)));
	EXPECT_STREQ(cached_before, cached_after);
	ASSERT_EQ(0, fdemo_stats_delta(&s0, &d));
	EXPECT_EQ(0, d.fault_shared + d.page_mkwrite + d.map_pages);
	EXPECT_EQ(0, d.pages_written);
	EXPECT_EQ(dirty_kb, fdemo_smaps_kb(self->p, "Private_Dirty"));
	if (variant->disk) {
		/* every dirty page still goes to the device */
		ASSERT_EQ(0, fsync(self->fd));
		ASSERT_EQ(0, fdemo_stats_delta(&s0, &d));
		EXPECT_EQ(n, d.pages_written);
	} else {
		/* writable in this mapping until now: write-protected now */
		ASSERT_EQ(0, fdemo_clean(self->fd, 0, MAP_LEN, &cleaned));
		EXPECT_EQ(n, cleaned);
	}
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, MAP_LEN, self->seed));
	free(status);
	free(target);
	free(before);
	free(after);
	free(pages);
	free(heads);
}

/*
 * Compaction over a store of COMPACT_LEN of order-0 folios, mapped and
 * read: how many of its pages compact_memory moves (pagemap PFNs before
 * and after). Compaction moves what its migration scanner, coming up
 * from the bottom of a zone, meets before the free scanner coming down:
 * on an idle machine the store's pages would all lie above that point,
 * taken in one run from the top. So the store is written one page at a
 * time, each after a page of anonymous memory that is then freed: its
 * pages lie among free ones, and the scanners meet among them.
 */
#define COMPACT_LEN	(64UL << 20)

FIXTURE(compaction)
{
	int fd;
	size_t ps;
	size_t npages;
	long long unevictable_allowed;
	long long numa_balancing;
	char params[256];
	__u64 seed;
	__u64 *pfn;
	char *p;
};

FIXTURE_VARIANT(compaction)
{
	bool disk;
	bool unevictable;	/* compact_unevictable_allowed applies */
};

FIXTURE_VARIANT_ADD(compaction, ram) { .disk = false, .unevictable = true };
FIXTURE_VARIANT_ADD(compaction, disk) { .disk = true, .unevictable = false };

/*
 * Anonymous memory, touched a page at a time: no transparent huge page
 * (EINVAL: a kernel without them).
 */
static char *anon_pages(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p != MAP_FAILED && madvise(p, len, MADV_NOHUGEPAGE) &&
	    errno != EINVAL) {
		munmap(p, len);
		p = MAP_FAILED;
	}
	return p;
}

/*
 * The pattern written to the store a page at a time, each page after one
 * of anonymous memory, all below a ballast of BALLAST_LEN: the page
 * allocator hands out the highest free pages first on an idle machine.
 * On one CPU, so on one node. Then the anonymous pages and the ballast
 * are freed: the store's pages lie among free ones, under a free region
 * large enough to take them all.
 */
#define BALLAST_LEN	(128UL << 20)

static void fill_among_free_pages(struct __test_metadata *_metadata, int fd,
				  size_t ps, __u64 seed)
{
	char *ballast, *anon;
	cpu_set_t cpus, one;
	size_t i;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(cpus), &cpus));
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
	ballast = anon_pages(BALLAST_LEN);
	anon = anon_pages(COMPACT_LEN);
	ASSERT_NE(MAP_FAILED, ballast);
	ASSERT_NE(MAP_FAILED, anon);
	for (i = 0; i < BALLAST_LEN / ps; i++)
		fdemo_poke(ballast + i * ps, i);
	for (i = 0; i < COMPACT_LEN / ps; i++) {
		fdemo_poke(anon + i * ps, i);
		ASSERT_EQ(0, fdemo_fill(fd, i * ps, ps, seed));
	}
	ASSERT_EQ(0, munmap(anon, COMPACT_LEN));
	ASSERT_EQ(0, munmap(ballast, BALLAST_LEN));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpus), &cpus));
}

/*
 * A fresh module loaded with @params, the store laid out among free pages
 * (fill_among_free_pages()), mapped at *@p and read; its PFNs in @pfn.
 * What there was before is unmapped and closed first.
 */
static void lay_out(struct __test_metadata *_metadata, const char *params,
		    int *fd, char **p, __u64 *pfn, size_t ps, __u64 seed)
{
	if (*p != MAP_FAILED)
		munmap(*p, COMPACT_LEN);
	*p = MAP_FAILED;
	if (*fd >= 0)
		close(*fd);
	ASSERT_EQ(0, fdemo_reload(params)) TH_LOG("insmod faultdemo %s", params);
	*fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, *fd);
	fill_among_free_pages(_metadata, *fd, ps, seed);
	*p = mmap(NULL, COMPACT_LEN, PROT_READ, MAP_SHARED, *fd, 0);
	ASSERT_NE(MAP_FAILED, *p);
	fdemo_touch(*p, COMPACT_LEN / ps);
	ASSERT_EQ(0, fdemo_pagemap(*p, COMPACT_LEN / ps, pfn));
}

FIXTURE_SETUP(compaction)
{
	self->fd = -1;
	self->p = MAP_FAILED;
	self->pfn = NULL;
	self->unevictable_allowed = -1;
	self->numa_balancing = -1;
	self->ps = fdemo_page_size();
	self->npages = COMPACT_LEN / self->ps;
	self->seed = fdemo_seed();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (variant->disk && !fdemo_disk())
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	if (fdemo_sysctl_get("vm/compact_unevictable_allowed",
			     &self->unevictable_allowed))
		SKIP(return, "no vm.compact_unevictable_allowed: CONFIG_COMPACTION=n");
	self->numa_balancing = numa_balancing_off();
	if (variant->disk)
		snprintf(self->params, sizeof(self->params), "backing=%s",
			 fdemo_disk());
	else
		snprintf(self->params, sizeof(self->params), "size=%lu",
			 COMPACT_LEN);
	self->pfn = calloc(self->npages, sizeof(__u64));
	ASSERT_NE(NULL, self->pfn);
	lay_out(_metadata, self->params, &self->fd, &self->p, self->pfn,
		self->ps, self->seed);
}

FIXTURE_TEARDOWN(compaction)
{
	if (self->unevictable_allowed >= 0)
		fdemo_sysctl_set("vm/compact_unevictable_allowed",
				 self->unevictable_allowed);
	if (self->numa_balancing >= 0)
		fdemo_sysctl_set("kernel/numa_balancing", self->numa_balancing);
	if (self->p != MAP_FAILED)
		munmap(self->p, COMPACT_LEN);
	if (self->fd >= 0)
		close(self->fd);
	free(self->pfn);
}

/*
 * Compact all memory with compact_unevictable_allowed set to @allowed:
 * the pages of [@p, @p + @npages pages) now at another PFN than in @pfn,
 * which then holds the new ones, or a negative errno.
 */
static long compact_and_count(const char *p, size_t npages, __u64 *pfn,
			      int allowed)
{
	__u64 *now = calloc(npages, sizeof(__u64));
	long moved = 0;
	size_t i;
	int ret;

	if (!now)
		return -ENOMEM;
	ret = fdemo_sysctl_set("vm/compact_unevictable_allowed", allowed);
	if (!ret)
		ret = fdemo_sysctl_set("vm/compact_memory", 1);
	if (!ret)
		ret = fdemo_pagemap(p, npages, now);
	for (i = 0; !ret && i < npages; i++) {
		if (!(now[i] & PM_PRESENT))
			ret = -EFAULT;
		moved += (now[i] & PM_PFN_MASK) != (pfn[i] & PM_PFN_MASK);
	}
	memcpy(pfn, now, npages * sizeof(__u64));
	free(now);
	return ret ? ret : moved;
}

/*
 * Compaction moves the store's folios, and they keep their data. The
 * layout is a means, not a certainty (a run of 25 once saw a layout where
 * compaction met none of the store): up to three of them.
 */
TEST_F(compaction, moves_folios_of_the_store)
{
	long moved = compact_and_count(self->p, self->npages, self->pfn, 1);
	int layouts = 1;

	while (!moved && layouts++ < 3) {
		TH_LOG("compaction met none of the store: another layout");
		lay_out(_metadata, self->params, &self->fd, &self->p,
			self->pfn, self->ps, self->seed);
		moved = compact_and_count(self->p, self->npages, self->pfn, 1);
	}
	EXPECT_LT(0, moved);
	TH_LOG("%s store: compact_memory moved %ld of %zu pages",
	       variant->disk ? "disk" : "RAM", moved, self->npages);
	EXPECT_EQ(-1, fdemo_check(self->p, 0, COMPACT_LEN, self->seed));
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, COMPACT_LEN, self->seed));
}

/*
 * With compact_unevictable_allowed 0 (PREEMPT_RT's default), compaction
 * leaves the RAM store's folios, which are unevictable, where they are; a
 * disk's are evictable and move all the same. That compaction meets the
 * RAM store's in such a layout is moves_folios_of_the_store's part: a
 * second run over the same layout moves too little to tell (the first
 * one has filled the holes among them).
 */
TEST_F(compaction, unevictable_allowed_0_holds_only_the_ram_store)
{
	long moved = compact_and_count(self->p, self->npages, self->pfn, 0);

	ASSERT_LE(0, moved);
	/* the RAM store: nothing; a disk: some */
	EXPECT_EQ(variant->unevictable, moved == 0);
	TH_LOG("%s store, compact_unevictable_allowed 0: moved %ld of %zu pages",
	       variant->disk ? "disk" : "RAM", moved, self->npages);
	EXPECT_EQ(-1, fdemo_check(self->p, 0, COMPACT_LEN, self->seed));
}

/*
 * Memory offlining: ZONE_MOVABLE (vm-run --append movablecore=...) takes
 * only movable allocations, and a memory block of it can go offline, its
 * pages migrated elsewhere, unless the boot reserved a page in it: the
 * memory the kernel allocates per node early sits at the top of each
 * node, in its last block, where the store's pages were seen to land
 * first (6.12, two nodes).
 * The store is larger than two blocks (128 MiB each here), so that some
 * of it lies in a block below that one and above the block the zone
 * shares with ZONE_NORMAL. Its pages are found in the zone by their PFNs
 * (pagemap) against the zone's span (/proc/zoneinfo), and one block
 * holding some of them is taken offline.
 */
#define OFFLINE_LEN	(320UL << 20)
#define MEMORY_DIR	"/sys/devices/system/memory"
#define OFFLINE_SECONDS	30
#define MAX_NODES	8

struct movable_zone {
	__u64 start[MAX_NODES], end[MAX_NODES];	/* PFNs, end exclusive */
	int n;
};

/* The spans of every populated Movable zone (0), or -ENOENT if none. */
static int movable_zone_read(struct movable_zone *z)
{
	unsigned long long spanned = 0, present = 0, start;
	char line[256], name[32] = "";
	int node;
	FILE *f = fopen("/proc/zoneinfo", "re");

	z->n = 0;
	if (!f)
		return -errno;
	/* "Node 0, zone  Movable", then its "spanned", ..., "start_pfn:" */
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Node %d, zone %31s", &node, name) == 2 ||
		    sscanf(line, " spanned %llu", &spanned) == 1 ||
		    sscanf(line, " present %llu", &present) == 1)
			continue;
		if (sscanf(line, " start_pfn: %llu", &start) == 1 &&
		    !strcmp(name, "Movable") && present && z->n < MAX_NODES) {
			z->start[z->n] = start;
			z->end[z->n++] = start + spanned;
		}
	}
	fclose(f);
	return z->n ? 0 : -ENOENT;
}

static bool in_movable_zone(const struct movable_zone *z, __u64 pfn)
{
	int i;

	for (i = 0; i < z->n; i++)
		if (pfn >= z->start[i] && pfn < z->end[i])
			return true;
	return false;
}

/* nothing to do: the signal is there to interrupt the write */
static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * Write @state to the memory block's state file; an offline that cannot
 * migrate every page keeps trying until a signal: the alarm after
 * OFFLINE_SECONDS. 0 or -errno (-EINTR: it timed out).
 */
static int memory_block_set(unsigned long block, const char *state)
{
	struct sigaction sa = { .sa_handler = on_alarm }, old;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), MEMORY_DIR "/memory%lu/state", block);
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART */
	alarm(OFFLINE_SECONDS);
	ret = fdemo_write_file(path, state);
	alarm(0);
	sigaction(SIGALRM, &old, NULL);
	return ret;
}

FIXTURE(offline)
{
	int fd;
	size_t ps;
	size_t npages;
	unsigned long block_pages;
	long block;		/* offlined by the test, -1 if none */
	long long numa_balancing;
	struct movable_zone zone;
	__u64 seed;
	__u64 *pfn;
	char *p;
};

FIXTURE_VARIANT(offline)
{
	unsigned int order;
	bool disk;
};

FIXTURE_VARIANT_ADD(offline, ram_order_0) { .order = 0 };
FIXTURE_VARIANT_ADD(offline, ram_order_9) { .order = 9 };
FIXTURE_VARIANT_ADD(offline, disk_order_0) { .order = 0, .disk = true };
FIXTURE_VARIANT_ADD(offline, disk_order_9) { .order = 9, .disk = true };

/*
 * The module loaded for the variant, OFFLINE_LEN written with a pattern,
 * mapped shared and read (on a disk, MADV_HUGEPAGE for its 2 MiB
 * folios); the PFNs in self->pfn.
 */
FIXTURE_SETUP(offline)
{
	char params[256], buf[64];

	self->fd = -1;
	self->block = -1;
	self->p = MAP_FAILED;
	self->pfn = NULL;
	self->numa_balancing = -1;
	self->ps = fdemo_page_size();
	self->npages = OFFLINE_LEN / self->ps;
	self->seed = fdemo_seed();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (fdemo_read_file(MEMORY_DIR "/block_size_bytes", buf, sizeof(buf)))
		SKIP(return, "no %s: CONFIG_MEMORY_HOTPLUG=n", MEMORY_DIR);
	self->block_pages = strtoul(buf, NULL, 16) / self->ps;
	/* "0" where memory can be added but not removed */
	if (!fdemo_read_file(MEMORY_DIR "/memory0/removable", buf, sizeof(buf)) &&
	    buf[0] == '0')
		SKIP(return, "memory blocks cannot go offline: CONFIG_MEMORY_HOTREMOVE=n");
	if (movable_zone_read(&self->zone))
		SKIP(return, "no ZONE_MOVABLE (boot with movablecore=)");
	if (variant->order && !fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");
	if (variant->disk && !fdemo_disk())
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	self->numa_balancing = numa_balancing_off();
	if (variant->disk)
		snprintf(params, sizeof(params), "backing=%s folio_order=%u",
			 fdemo_disk(), variant->order);
	else
		snprintf(params, sizeof(params), "folio_order=%u size=%lu",
			 variant->order, OFFLINE_LEN);
	if (variant->disk) {
		if (fdemo_loaded())
			ASSERT_EQ(0, fdemo_unload_retry());
		ASSERT_EQ(0, fdemo_disk_fill(fdemo_disk(), 0, OFFLINE_LEN, self->seed));
	}
	ASSERT_EQ(0, fdemo_reload(params)) TH_LOG("insmod faultdemo %s", params);
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!variant->disk)
		ASSERT_EQ(0, fdemo_fill(self->fd, 0, OFFLINE_LEN, self->seed));
	self->p = fdemo_mmap_aligned(self->fd, OFFLINE_LEN, PROT_READ,
				     MAP_SHARED, 0, SZ_2M);
	ASSERT_NE(MAP_FAILED, self->p);
	if (variant->disk && variant->order)
		ASSERT_EQ(0, madvise(self->p, OFFLINE_LEN, MADV_HUGEPAGE));
	fdemo_touch(self->p, self->npages);
	self->pfn = calloc(self->npages, sizeof(__u64));
	ASSERT_NE(NULL, self->pfn);
	ASSERT_EQ(0, fdemo_pagemap(self->p, self->npages, self->pfn));
}

FIXTURE_TEARDOWN(offline)
{
	/* the block back, in the zone it came from */
	if (self->block >= 0 && memory_block_set(self->block, "online_movable") &&
	    memory_block_set(self->block, "online"))
		TH_LOG("memory%ld stays offline", self->block);
	if (self->numa_balancing >= 0)
		fdemo_sysctl_set("kernel/numa_balancing", self->numa_balancing);
	if (self->p != MAP_FAILED)
		munmap(self->p, OFFLINE_LEN);
	if (self->fd >= 0)
		close(self->fd);
	free(self->pfn);
}

/* The memory block of @pfn if all of it is ZONE_MOVABLE, else -1. */
static long movable_block_of(__u64 pfn, unsigned long block_pages)
{
	unsigned long block = pfn / block_pages;
	char path[128], zones[64];

	snprintf(path, sizeof(path), MEMORY_DIR "/memory%lu/valid_zones", block);
	if (fdemo_read_file(path, zones, sizeof(zones)))
		return -1;
	/* an online block names its zone: "none" if it spans two */
	return strncmp(zones, "Movable", 7) ? -1 : (long)block;
}

#define MAX_BLOCKS	64

/* Whether @block is in @seen[*@n]; if not, it is now (while there is room). */
static bool block_seen(long *seen, int *n, long block)
{
	int i;

	for (i = 0; i < *n; i++)
		if (seen[i] == block)
			return true;
	if (*n < MAX_BLOCKS)
		seen[(*n)++] = block;
	return false;
}

/* Pages of the store (PFNs @pfn) in memory block @block. */
static long store_pages_in_block(const __u64 *pfn, size_t npages,
				 unsigned long block_pages, unsigned long block)
{
	long n = 0;
	size_t i;

	for (i = 0; i < npages; i++)
		n += (pfn[i] & PM_PFN_MASK) / block_pages == block;
	return n;
}

/*
 * The store's folios are allocated movable: most of them are in
 * ZONE_MOVABLE, which takes nothing else. A block of that zone holding
 * some of them goes offline (within OFFLINE_SECONDS: a folio that cannot
 * migrate would keep it trying), and those pages are now elsewhere, still
 * mapped, with their data, in folios of the same orders. A block is
 * tried only if it is wholly in ZONE_MOVABLE (its valid_zones). One that
 * refuses at once with EBUSY holds a page the boot reserved (in
 * ZONE_MOVABLE only PageReserved pages do that: never one of ours), one
 * that refuses with EINVAL has a hole (the last block of the machine's
 * memory, seen on 6.12 with two nodes); then the next one holding the
 * store is tried. A folio that cannot migrate gives neither: the offline
 * keeps trying until the alarm (EINTR).
 */
TEST_F_TIMEOUT(offline, a_movable_block_with_store_folios_goes_offline, 90)
{
	char cached_before[128], cached_after[128];
	long in_zone = 0, in_block = 0, moved = 0, block = -1, tried = 0;
	long seen[MAX_BLOCKS];
	int nseen = 0;
	__u64 *now = calloc(self->npages, sizeof(__u64)), pfn;
	size_t i;
	long faults;
	int ret = -ENOENT;

	ASSERT_NE(NULL, now);
	for (i = 0; i < self->npages; i++) {
		ASSERT_TRUE(self->pfn[i] & PM_PRESENT) TH_LOG("page %zu", i);
		in_zone += in_movable_zone(&self->zone, self->pfn[i] & PM_PFN_MASK);
	}
	TH_LOG("%s order %u: %ld of %zu pages in ZONE_MOVABLE",
	       variant->disk ? "disk" : "RAM", variant->order, in_zone,
	       self->npages);
	/* with no movable allocation, none; the rest is where memory ran short */
	ASSERT_LT(self->npages / 2, (size_t)in_zone);
	ASSERT_EQ(0, read_folios_cached(cached_before, sizeof(cached_before)));

	for (i = 0; i < self->npages && ret; i++) {
		pfn = self->pfn[i] & PM_PFN_MASK;
		/* each block once, and only one wholly in ZONE_MOVABLE */
		if (block_seen(seen, &nseen, pfn / self->block_pages))
			continue;
		block = movable_block_of(pfn, self->block_pages);
		if (block < 0)
			continue;
		in_block = store_pages_in_block(self->pfn, self->npages,
						self->block_pages, block);
		ret = memory_block_set(block, "offline");
		tried++;
		if (ret == -EBUSY || ret == -EINVAL)
			TH_LOG("memory%ld (%ld pages of the store): %s, next",
			       block, in_block, strerror(-ret));
		else
			ASSERT_EQ(0, ret)
				TH_LOG("offline memory%ld (%ld pages of the store): %s",
				       block, in_block, strerror(-ret));
	}
	ASSERT_EQ(0, ret) TH_LOG("no block of ZONE_MOVABLE with the store went offline (%ld tried)",
				 tried);
	self->block = block;

	ASSERT_EQ(0, fdemo_pagemap(self->p, self->npages, now));
	for (i = 0; i < self->npages; i++) {
		EXPECT_TRUE(now[i] & PM_PRESENT) TH_LOG("page %zu", i);
		EXPECT_NE((unsigned long)block, (now[i] & PM_PFN_MASK) / self->block_pages);
		moved += (now[i] & PM_PFN_MASK) != (self->pfn[i] & PM_PFN_MASK);
	}
	EXPECT_LE(in_block, moved);
	TH_LOG("memory%ld offline: %ld pages of the store moved out of it", block,
	       moved);
	faults = fdemo_faults();
	EXPECT_EQ(-1, fdemo_check(self->p, 0, OFFLINE_LEN, self->seed));
	EXPECT_EQ(0, fdemo_faults() - faults);
	ASSERT_EQ(0, read_folios_cached(cached_after, sizeof(cached_after)));
	EXPECT_STREQ(cached_before, cached_after);
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, OFFLINE_LEN, self->seed));
	free(now);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Large folios in the RAM store (module parameter folio_order): every test
 * runs at orders 0, 4 and 9 on a freshly loaded module whose data area is
 * 16 MiB + 12 KiB, so that its tail cannot hold a large folio.
 *
 * Kernel evidence first: getrusage() fault counts, /proc/self/smaps
 * FilePmdMapped and Anonymous, /proc/vmstat thp_file_mapped, pagemap PFNs,
 * /proc/kpageflags, memory cgroup events; the module's counters
 * (fault_pmd, map_pages_pmd, page_mkwrite, folios_cached) second.
 *
 * At order 9 a folio is 2 MiB and mapped by one PMD: one fault per 2 MiB,
 * one .page_mkwrite per folio. At order 4 folios are 64 KiB and mapped by
 * PTEs: fault counts are those of order 0 (fault-around maps 16 pages
 * either way on these kernels).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"

#define SZ_2M		(2UL << 20)
#define PMD_PAGES	512UL
#define DATA_SIZE	((16UL << 20) + (12UL << 10))
#define SPLIT_PATH	"/sys/kernel/debug/split_huge_pages"

/* /proc/kpageflags bits, Documentation/admin-guide/mm/pagemap.rst */
#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define KPF_THP			22

/* The module is reloaded per variant; the suite's defaults come back at exit. */
static void __attribute__((constructor)) defaults_at_exit(void)
{
	fdemo_reload_defaults_at_exit();
}

FIXTURE(folio)
{
	int fd;
	int kmsg;
	size_t ps;
	unsigned int order;
	size_t folio_pages;	/* pages in a folio of the variant's order */
	__u64 seed;
};

FIXTURE_VARIANT(folio)
{
	unsigned int order;
};

FIXTURE_VARIANT_ADD(folio, order_0)
{
	.order = 0,
};

FIXTURE_VARIANT_ADD(folio, order_4)
{
	.order = 4,
};

FIXTURE_VARIANT_ADD(folio, order_9)
{
	.order = 9,
};

/* Kernel messages that mean something went wrong in the kernel. */
static bool kernel_complained(int kmsg)
{
	static const char * const bad[] = {
		"WARNING:", "BUG:", "Oops", "Bad page", "refcount_t:",
	};
	char rec[2048];
	ssize_t n;
	size_t i;

	if (kmsg < 0)
		return false;
	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		for (i = 0; i < ARRAY_SIZE(bad); i++)
			if (strstr(rec, bad[i])) {
				fprintf(stderr, "# kernel: %s", strchr(rec, ';') ?: rec);
				return true;
			}
	}
	return false;
}

FIXTURE_SETUP(folio)
{
	char params[96];

	self->fd = -1;
	self->kmsg = -1;
	self->ps = fdemo_page_size();
	self->order = variant->order;
	self->folio_pages = 1UL << variant->order;
	self->seed = fdemo_seed();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (self->ps != 4096)
		SKIP(return, "PMD size assumed 2 MiB: 4 KiB pages only");
	/* errors_test checks that folio_order is refused there */
	if (!fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");
	snprintf(params, sizeof(params), "folio_order=%u size=%lu",
		 variant->order, DATA_SIZE);
	/* a fresh module: an empty page cache */
	ASSERT_EQ(0, fdemo_reload(params)) TH_LOG("insmod faultdemo %s", params);
	self->kmsg = fdemo_kmsg_open();
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(folio)
{
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_FALSE(kernel_complained(self->kmsg));
	if (self->kmsg >= 0)
		close(self->kmsg);
}

static void *map_dev(int fd, size_t len, int prot, int flags, off_t off)
{
	return mmap(NULL, len, prot, flags, fd, off);
}

static __u64 kpageflags_of(__u64 pfn)
{
	__u64 flags = 0;
	int fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (pread(fd, &flags, 8, pfn * 8) != 8)
		flags = 0;
	close(fd);
	return flags;
}

/*
 * Every aligned group of @folio pages of [addr, addr + npages) is present
 * and physically contiguous, its first PFN aligned to @folio, and, for a
 * large folio, one compound page in /proc/kpageflags. Returns the index
 * of the first page that is not, or -1.
 */
static long check_folios(const void *addr, size_t npages, size_t folio,
			 bool thp)
{
	__u64 *ents = calloc(npages, sizeof(*ents)), head = 0, f;
	long bad = -1;
	size_t i;

	if (!ents || fdemo_pagemap(addr, npages, ents)) {
		free(ents);
		return 0;
	}
	for (i = 0; i < npages && bad < 0; i++) {
		__u64 pfn = ents[i] & PM_PFN_MASK;

		if (!(ents[i] & PM_PRESENT) || !pfn) {
			bad = i;
			break;
		}
		if (i % folio == 0) {
			head = pfn;
			if (pfn % folio)
				bad = i;
		} else if (pfn != head + i % folio) {
			bad = i;
		}
		if (folio == 1 || bad >= 0)
			continue;
		f = kpageflags_of(pfn);
		if (i % folio == 0)
			bad = (f & BIT_ULL(KPF_COMPOUND_HEAD)) &&
			      (!thp || (f & BIT_ULL(KPF_THP))) ? -1 : (long)i;
		else
			bad = (f & BIT_ULL(KPF_COMPOUND_TAIL)) ? -1 : (long)i;
	}
	free(ents);
	return bad;
}

/* Read one word per page of [p, p + npages): the fault count it took. */
static long read_every_page(const void *p, size_t npages)
{
	long f0 = fdemo_faults();

	fdemo_touch(p, npages);
	return fdemo_faults() - f0;
}

/*
 * Reading every page of 8 MiB, mapped where the kernel places it
 * (thp_get_unmapped_area: 2 MiB aligned), takes one fault per 2 MiB at
 * order 9, cold (.fault creates the folio, finish_fault maps its PMD) and
 * warm (fault-around maps the cached folio's PMD); otherwise 1 fault per
 * 16 pages warm, and cold 2 where finish_fault() maps only the faulting
 * page of a file folio (up to 6.x: whole folios for anonymous shmem
 * alone) or 1 where it maps the whole folio and that covers the 16 (7.x,
 * order 4). Which one the running
 * kernel does is read off its first fault; every other fault must agree.
 * pagemap and kpageflags show each folio.
 */
TEST_F(folio, read_maps_one_folio_per_fault)
{
	static const char * const events[] = {
		"faultdemo/faultdemo_fault", "faultdemo/faultdemo_map_pages",
	};
	const size_t len = 8UL << 20, npages = len / self->ps;
	/* the default 64 KiB fault-around window, which read-ahead fills */
	const size_t window = 16;
	const bool pmd = self->order == 9;
	long cold, warm, thp0, bad, per_fault;
	char inst[256], order_is[32];
	bool trace;
	struct fdemo_stats s0, s1, d;
	__u64 fault_pmd0, fault_pmd1, around_pmd0, around_pmd1;
	long counts[10];
	char *p;

	ASSERT_EQ(0, fdemo_stats(&s0));
	ASSERT_EQ(0, fdemo_stat("fault_pmd", &fault_pmd0));
	ASSERT_EQ(0, fdemo_stat("map_pages_pmd", &around_pmd0));
	thp0 = fdemo_vmstat("thp_file_mapped");
	p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, (unsigned long)p % SZ_2M) TH_LOG("not placed on 2 MiB");

	trace = !fdemo_trace_start(inst, sizeof(inst), events, 1, true);
	cold = read_every_page(p, 1);
	per_fault = fdemo_pagemap_count(p, window, PM_PRESENT, PM_PRESENT);
	EXPECT_TRUE(per_fault == 1 ||
		    per_fault == (long)(self->folio_pages < window ?
					self->folio_pages : window))
		TH_LOG("the first fault mapped %ld pages of its %zu-page folio",
		       per_fault, self->folio_pages);
	cold += read_every_page(p + self->ps, npages - 1);
	EXPECT_EQ(pmd ? 4 : (long)(npages / window) *
		  (per_fault < (long)window ? 2 : 1), cold)
		TH_LOG("cold faults, %ld pages mapped by each .fault", per_fault);
	EXPECT_EQ(pmd ? 8192 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));
	EXPECT_EQ(pmd ? 4 : 0, fdemo_vmstat("thp_file_mapped") - thp0);
	bad = check_folios(p, npages, self->folio_pages, pmd);
	EXPECT_EQ(-1, bad) TH_LOG("page %ld is not where its folio says", bad);
	ASSERT_EQ(0, fdemo_folios_cached(counts));
	EXPECT_EQ((long)(npages / self->folio_pages), counts[self->order]);
	ASSERT_EQ(0, fdemo_stat("fault_pmd", &fault_pmd1));
	EXPECT_EQ(pmd ? 4 : 0, fault_pmd1 - fault_pmd0);
	if (trace) {
		/* every .fault handed out a folio of the variant's order */
		snprintf(order_is, sizeof(order_is), "order=%u ", self->order);
		EXPECT_EQ(pmd ? 4 : (long)npages / 16,
			  fdemo_trace_count(inst, "faultdemo_fault:", order_is));
		EXPECT_EQ(pmd ? 4 : 0, fdemo_trace_count(inst, "faultdemo_fault:", "pmd=1"));
		fdemo_trace_stop(inst, events, 1);
	}

	/* warm: the same folios, a new mapping */
	ASSERT_EQ(0, munmap(p, len));
	thp0 = fdemo_vmstat("thp_file_mapped");
	p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, p);
	trace = !fdemo_trace_start(inst, sizeof(inst), events + 1, 1, true);
	warm = read_every_page(p, npages);
	if (trace) {
		EXPECT_EQ(pmd ? 4 : 0, fdemo_trace_count(inst, "faultdemo_map_pages:", "pmd=1"));
		fdemo_trace_stop(inst, events + 1, 1);
	}
	EXPECT_EQ(pmd ? 4 : (long)npages / 16, warm) TH_LOG("warm faults");
	EXPECT_EQ(pmd ? 8192 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));
	EXPECT_EQ(pmd ? 4 : 0, fdemo_vmstat("thp_file_mapped") - thp0);
	ASSERT_EQ(0, fdemo_stat("map_pages_pmd", &around_pmd1));
	EXPECT_EQ(pmd ? 4 : 0, around_pmd1 - around_pmd0);
	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &s0, &d);
	EXPECT_EQ((__u64)npages, d.pages_cached);
	TH_LOG("order %u: %ld faults cold, %ld warm for %zu pages; .fault mapped %ld pages",
	       self->order, cold, warm, npages, per_fault);
	munmap(p, len);
}

/*
 * A shared store into a folio mapped read-only goes through .page_mkwrite
 * once per folio when the folio is mapped by a PMD (the PMD is zapped and
 * mapped again writable), once per page otherwise; after a clean, the
 * next stores go through it again. Every byte reaches read() and another
 * mapping.
 */
TEST_F(folio, shared_store_mkwrites_once_per_mapped_folio)
{
	const size_t len = 4UL << 20, npages = len / self->ps;
	const bool pmd = self->order == 9;
	const __u64 want = pmd ? npages / PMD_PAGES : npages;
	__u64 mk0, mk1, mk2, cleaned = 0;
	char *p, *q;
	int round;

	p = map_dev(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, npages);
	EXPECT_EQ(pmd ? 4096 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));

	for (round = 0; round < 2; round++) {
		__u64 seed = self->seed + round;
		size_t i;

		/* the first store into each 2 MiB, then all the others */
		ASSERT_EQ(0, fdemo_stat("page_mkwrite", &mk0));
		for (i = 0; i < len; i += SZ_2M)
			fdemo_poke(p + i, fdemo_pattern(seed, i));
		ASSERT_EQ(0, fdemo_stat("page_mkwrite", &mk1));
		EXPECT_EQ(len / SZ_2M, mk1 - mk0) TH_LOG("round %d", round);
		for (i = 0; i < len; i += 8)
			fdemo_poke(p + i, fdemo_pattern(seed, i));
		ASSERT_EQ(0, fdemo_stat("page_mkwrite", &mk2));
		EXPECT_EQ(want, mk2 - mk0) TH_LOG("round %d", round);
		EXPECT_EQ(pmd ? 4096 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));
		EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, len, seed));
		q = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
		ASSERT_NE(MAP_FAILED, q);
		EXPECT_EQ(-1, fdemo_check(q, 0, len, seed));
		munmap(q, len);

		ASSERT_EQ(0, fdemo_clean(self->fd, 0, len, &cleaned));
		EXPECT_EQ((__u64)npages, cleaned) TH_LOG("round %d", round);
	}
	munmap(p, len);
}

/*
 * A private store into a folio copies one page: 4 KiB of anonymous
 * memory, the PMD (if any) gone from that 2 MiB only, the other pages and
 * the device unchanged. A PMD-mapped folio is unmapped (the PMD is
 * zapped, not split into PTEs), so the store reaches .fault as a COW
 * fault (do_cow_fault); a PTE-mapped page is copied by do_wp_page without
 * calling .fault.
 */
TEST_F(folio, private_store_copies_one_page)
{
	const size_t len = 4UL << 20, npages = len / self->ps;
	const bool pmd = self->order == 9;
	__u64 cow0, cow1;
	char *p;

	ASSERT_EQ(0, fdemo_fill(self->fd, 0, len, self->seed));
	p = map_dev(self->fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, npages);
	EXPECT_EQ(pmd ? 4096 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));

	ASSERT_EQ(0, fdemo_stat("fault_cow", &cow0));
	fdemo_poke(p + 5 * self->ps + 8, 0x5eed);
	ASSERT_EQ(0, fdemo_stat("fault_cow", &cow1));
	EXPECT_EQ(pmd ? 1 : 0, cow1 - cow0);
	EXPECT_EQ(4, fdemo_smaps_kb(p, "Anonymous"));
	EXPECT_EQ(pmd ? 2048 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));

	EXPECT_EQ(0x5eed, fdemo_peek(p + 5 * self->ps + 8));
	fdemo_poke(p + 5 * self->ps + 8, fdemo_pattern(self->seed, 5 * self->ps + 8));
	EXPECT_EQ(-1, fdemo_check(p, 0, len, self->seed));
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, len, self->seed));
	munmap(p, len);
}

enum change {
	UNMAP_ONE_PAGE,
	PROTECT_ONE_PAGE,
	DONTNEED_ONE_PAGE,
	MREMAP_ALIGNED,
	MREMAP_UNALIGNED,
	FORK_CHILD_READS_AND_WRITES,
	MLOCK,
};

static const struct {
	enum change change;
	const char *name;
	bool keeps_pmds;	/* at order 9, all 8 MiB still PMD-mapped */
} changes[] = {
	{ UNMAP_ONE_PAGE, "munmap of one page", false },
	{ PROTECT_ONE_PAGE, "mprotect of one page", false },
	{ DONTNEED_ONE_PAGE, "MADV_DONTNEED of one page", false },
	{ MREMAP_ALIGNED, "mremap to a 2 MiB-aligned address", true },
	{ MREMAP_UNALIGNED, "mremap to an unaligned address", false },
	{ FORK_CHILD_READS_AND_WRITES, "fork, child reads and writes", true },
	{ MLOCK, "mlock and munlock", true },
};

/* An address where @len bytes fit, @align-aligned plus @skew. */
static char *free_area(size_t len, size_t align, size_t skew)
{
	char *r = mmap(NULL, len + align + skew, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (r == MAP_FAILED)
		return NULL;
	munmap(r, len + align + skew);
	return (char *)(((unsigned long)r + align - 1) & ~(align - 1)) + skew;
}

/* Apply @c to the 8 MiB at *pp; returns 0 or the failing step's -errno. */
static int apply_change(enum change c, char **pp, size_t len, size_t ps,
			__u64 seed)
{
	char *p = *pp, *to;
	pid_t pid;
	int st;

	switch (c) {
	case UNMAP_ONE_PAGE:
		return munmap(p + 7 * ps, ps) ? -errno : 0;
	case PROTECT_ONE_PAGE:
		return mprotect(p + SZ_2M + 3 * ps, ps, PROT_READ) ? -errno : 0;
	case DONTNEED_ONE_PAGE:
		return madvise(p + 2 * ps, ps, MADV_DONTNEED) ? -errno : 0;
	case MREMAP_ALIGNED:
	case MREMAP_UNALIGNED:
		to = free_area(len, SZ_2M, c == MREMAP_ALIGNED ? 0 : ps);
		if (!to)
			return -ENOMEM;
		to = mremap(p, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (to == MAP_FAILED)
			return -errno;
		*pp = to;
		return 0;
	case FORK_CHILD_READS_AND_WRITES:
		pid = fork();
		if (pid < 0)
			return -errno;
		if (!pid) {
			size_t off;

			if (fdemo_check(p, 0, len, seed) >= 0)
				_exit(1);
			/* the last word of every 2 MiB, through the shared mapping */
			for (off = SZ_2M - 8; off < len; off += SZ_2M)
				fdemo_poke(p + off, ~fdemo_pattern(seed, off));
			_exit(0);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
		    WEXITSTATUS(st))
			return -ECHILD;
		/* the parent sees the child's stores, then puts them back */
		for (size_t off = SZ_2M - 8; off < len; off += SZ_2M) {
			if (fdemo_peek(p + off) != ~fdemo_pattern(seed, off))
				return -EIO;
			fdemo_poke(p + off, fdemo_pattern(seed, off));
		}
		return 0;
	case MLOCK:
		if (mlock(p, len))
			return -errno;
		return munlock(p, len) ? -errno : 0;
	}
	return -EINVAL;
}

/*
 * Each change to a mapping of large folios (a PMD split or moved, part
 * unmapped or protected, a child, a lock) keeps every byte right, through
 * the mapping and read(), with no kernel warning.
 */
TEST_F(folio, every_mapping_change_keeps_the_data)
{
	const size_t len = 8UL << 20, npages = len / self->ps;
	size_t i;
	char *p;
	int ret;

	ASSERT_EQ(0, fdemo_fill(self->fd, 0, len, self->seed));
	for (i = 0; i < ARRAY_SIZE(changes); i++) {
		p = map_dev(self->fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_touch(p, npages);
		ret = apply_change(changes[i].change, &p, len, self->ps, self->seed);
		EXPECT_EQ(0, ret) TH_LOG("%s", changes[i].name);
		if (self->order == 9 && changes[i].keeps_pmds)
			EXPECT_EQ(8192, fdemo_smaps_kb(p, "FilePmdMapped"))
				TH_LOG("%s", changes[i].name);
		if (changes[i].change == UNMAP_ONE_PAGE) {
			EXPECT_EQ(-1, fdemo_check(p, 0, 7 * self->ps, self->seed));
			EXPECT_EQ(-1, fdemo_check(p + 8 * self->ps, 8 * self->ps,
						  len - 8 * self->ps, self->seed))
				TH_LOG("%s", changes[i].name);
		} else {
			EXPECT_EQ(-1, fdemo_check(p, 0, len, self->seed))
				TH_LOG("%s", changes[i].name);
		}
		EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, len, self->seed))
			TH_LOG("%s", changes[i].name);
		munmap(p, len);
		EXPECT_FALSE(kernel_complained(self->kmsg)) TH_LOG("%s", changes[i].name);
	}
}

/*
 * write(), read() and splice() at offsets inside a large folio that are
 * not its first page, into folios a fault created and into folios write()
 * creates: the bytes land where they belong, the folios stay whole. (On
 * 6.1, ramfs's write_end would take the tail page for the head.) read()'s
 * own read-ahead never creates a folio above folio_order.
 */
TEST_F(folio, io_inside_a_large_folio)
{
	const size_t ps = self->ps, len = 6UL << 20;
	static const struct {
		__u64 off;
		size_t len;
		bool fault_first;
	} ios[] = {
		{ 5 * 4096 + 100, 3 * 4096 + 1, true },
		{ (2UL << 20) + 3 * 4096 + 7, 4096, false },
		{ (3UL << 20) - 10, 20, false },	/* across two small folios */
		{ (4UL << 20) - 10, 20, false },	/* across two of any order */
	};
	char *buf = malloc(4 * ps), *back = malloc(4 * ps), *p;
	long bad, counts[10];
	int pipefd[2];
	loff_t off;
	size_t i, j;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < ARRAY_SIZE(ios); i++) {
		if (ios[i].fault_first)
			fdemo_touch(p + ios[i].off / ps * ps, 1);
		for (j = 0; j < ios[i].len; j++)
			buf[j] = (char)(i * 31 + j * 7 + 1);
		ASSERT_EQ((ssize_t)ios[i].len,
			  pwrite(self->fd, buf, ios[i].len, ios[i].off));
		ASSERT_EQ((ssize_t)ios[i].len,
			  pread(self->fd, back, ios[i].len, ios[i].off));
		EXPECT_EQ(0, memcmp(buf, back, ios[i].len)) TH_LOG("io %zu", i);
		EXPECT_EQ(0, memcmp(buf, p + ios[i].off, ios[i].len)) TH_LOG("io %zu", i);
		/* the byte before and after stay zero */
		EXPECT_EQ(0, p[ios[i].off - 1]);
		EXPECT_EQ(0, p[ios[i].off + ios[i].len]);
	}

	/* splice out of and into the middle of the first folio */
	ASSERT_EQ(0, pipe(pipefd));
	off = 5 * ps + 100;
	ASSERT_EQ(3000, splice(self->fd, &off, pipefd[1], NULL, 3000, 0));
	ASSERT_EQ(3000, read(pipefd[0], back, 3000));
	EXPECT_EQ(0, memcmp(p + 5 * ps + 100, back, 3000));
	for (j = 0; j < 5000; j++)
		buf[j] = (char)(j * 13 + 5);
	ASSERT_EQ(5000, write(pipefd[1], buf, 5000));
	off = 9 * ps + 5;
	ASSERT_EQ(5000, splice(pipefd[0], NULL, self->fd, &off, 5000, 0));
	EXPECT_EQ(0, memcmp(p + 9 * ps + 5, buf, 5000));
	close(pipefd[0]);
	close(pipefd[1]);

	/* the whole 4 MiB is still made of folios of the variant's order */
	fdemo_touch(p, len / ps);
	bad = check_folios(p, len / ps, self->folio_pages, self->order == 9);
	EXPECT_EQ(-1, bad) TH_LOG("page %ld", bad);
	ASSERT_EQ(0, fdemo_folios_cached(counts));
	/* order 0: read-ahead also inserted pages past the 4 MiB */
	EXPECT_LE((long)(len / ps / self->folio_pages), counts[self->order]);

	munmap(p, len);
	free(buf);
	free(back);
}

/*
 * read() or splice() of one byte of a cold 2 MiB creates the folio a
 * fault would: a later mapping of that 2 MiB is made of folios of the
 * variant's order (at order 9, one PMD), not of the single page
 * filemap_read() would create.
 */
TEST_F(folio, read_creates_the_folio_a_fault_would)
{
	static const __u64 offs[] = { 8UL << 20, 10UL << 20 };
	long counts[10], before[10], bad;
	int pipefd[2];
	loff_t off;
	size_t i;
	char c, *p;

	ASSERT_EQ(0, pipe(pipefd));
	for (i = 0; i < ARRAY_SIZE(offs); i++) {
		ASSERT_EQ(0, fdemo_folios_cached(before));
		if (i == 0) {
			ASSERT_EQ(1, pread(self->fd, &c, 1, offs[i] + 5 * self->ps));
		} else {
			off = offs[i] + 5 * self->ps;
			ASSERT_EQ(1, splice(self->fd, &off, pipefd[1], NULL, 1, 0));
			ASSERT_EQ(1, read(pipefd[0], &c, 1));
		}
		EXPECT_EQ(0, c);
		ASSERT_EQ(0, fdemo_folios_cached(counts));
		EXPECT_LE(before[self->order] + 1, counts[self->order])
			TH_LOG("%s", i ? "splice" : "read");
		p = map_dev(self->fd, SZ_2M, PROT_READ, MAP_SHARED, offs[i]);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_touch(p, SZ_2M / self->ps);
		EXPECT_EQ(self->order == 9 ? 2048 : 0, fdemo_smaps_kb(p, "FilePmdMapped"))
			TH_LOG("%s", i ? "splice" : "read");
		bad = check_folios(p, SZ_2M / self->ps, self->folio_pages,
				   self->order == 9);
		EXPECT_EQ(-1, bad) TH_LOG("%s: page %ld", i ? "splice" : "read", bad);
		munmap(p, SZ_2M);
	}
	close(pipefd[0]);
	close(pipefd[1]);
}

/*
 * The data area is 16 MiB + 12 KiB: the last 2 MiB before its end are
 * made of folios of the variant's order, the 3 pages after them of small
 * folios mapped by PTEs, and the page past the end raises SIGBUS, even in
 * a mapping that covers the whole 2 MiB around it (a folio crossing the
 * end would be mapped there by PMD on 6.1).
 */
TEST_F(folio, tail_of_the_data_area_is_small_folios)
{
	const size_t ps = self->ps, len = 2 * SZ_2M;
	const __u64 off = 14UL << 20;
	struct fdemo_sig sig;
	long counts[10], pages = 0;
	char *p;
	int o;

	p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, (unsigned long)p % SZ_2M);
	fdemo_touch(p, SZ_2M / ps + 3);
	EXPECT_EQ(SIGBUS, fdemo_probe(p + SZ_2M + 3 * ps, false, 0, &sig));
	EXPECT_EQ(self->order == 9 ? 2048 : 0, fdemo_smaps_kb(p, "FilePmdMapped"));
	EXPECT_EQ(-1, check_folios(p, SZ_2M / ps, self->folio_pages,
				   self->order == 9));
	EXPECT_EQ(-1, check_folios(p + SZ_2M, 3, 1, false));
	ASSERT_EQ(0, fdemo_folios_cached(counts));
	for (o = 0; o < 10; o++)
		pages += counts[o] << o;
	EXPECT_EQ((long)(SZ_2M / ps + 3), pages);
	EXPECT_EQ(self->order ? 3 : (long)(SZ_2M / ps + 3), counts[0]);
	munmap(p, len);
}

/*
 * MAP_FIXED at an address that is not congruent to the file offset modulo
 * 2 MiB cannot take a PMD: PTEs, the same faults as order 0, the same
 * data.
 */
TEST_F(folio, misaligned_fixed_mapping_uses_ptes)
{
	const size_t len = 4UL << 20, npages = len / self->ps;
	char *at = free_area(len, SZ_2M, self->ps), *p;
	long faults;

	ASSERT_NE(NULL, at);
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, len, self->seed));
	p = mmap(at, len, PROT_READ, MAP_SHARED | MAP_FIXED, self->fd, 0);
	ASSERT_EQ(at, p);
	/* fault-around windows are aligned in the address space: 1 + 64 */
	faults = read_every_page(p, npages);
	EXPECT_EQ((long)npages / 16 + 1, faults);
	EXPECT_EQ(0, fdemo_smaps_kb(p, "FilePmdMapped"));
	EXPECT_EQ(-1, fdemo_check(p, 0, len, self->seed));
	munmap(p, len);
}

/*
 * MADV_NOHUGEPAGE and PR_SET_THP_DISABLE: 6.12's do_set_pmd() honours
 * both and maps the folio by PTEs; 6.1's does not look at them and maps
 * it by PMD all the same. (faultdemo(4) says so.)
 */
TEST_F(folio, thp_opt_outs_follow_the_kernel)
{
	const size_t len = 4UL << 20, npages = len / self->ps;
	const bool honoured = fdemo_kernel_version() >= FDEMO_KVER(6, 12);
	const long pmd_kb = self->order == 9 && !honoured ? 4096 : 0;
	__u64 around0, around1;
	int st, pipefd[2];
	long kb = -1;
	pid_t pid;
	char *p;

	ASSERT_EQ(0, fdemo_fill(self->fd, 0, len, self->seed));

	p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, madvise(p, len, MADV_NOHUGEPAGE));
	ASSERT_EQ(0, fdemo_stat("map_pages_pmd", &around0));
	fdemo_touch(p, npages);
	ASSERT_EQ(0, fdemo_stat("map_pages_pmd", &around1));
	EXPECT_EQ(pmd_kb, fdemo_smaps_kb(p, "FilePmdMapped")) TH_LOG("MADV_NOHUGEPAGE");
	/* the cached folios are mapped by fault-around, which counts it */
	EXPECT_EQ(pmd_kb / 2048, (long)(around1 - around0));
	EXPECT_EQ(-1, fdemo_check(p, 0, len, self->seed));
	munmap(p, len);

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
			_exit(2);
		p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
		if (p == MAP_FAILED)
			_exit(3);
		fdemo_touch(p, npages);
		kb = fdemo_smaps_kb(p, "FilePmdMapped");
		if (write(pipefd[1], &kb, sizeof(kb)) != sizeof(kb))
			_exit(4);
		_exit(fdemo_check(p, 0, len, self->seed) >= 0 ? 1 : 0);
	}
	close(pipefd[1]);
	EXPECT_EQ((ssize_t)sizeof(kb), read(pipefd[0], &kb, sizeof(kb)));
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st));
	EXPECT_EQ(pmd_kb, kb) TH_LOG("PR_SET_THP_DISABLE");
}

/*
 * debugfs split_huge_pages splits the mapped folios into pages: the data
 * stays, the cache then holds only order-0 folios, refaults map PTEs.
 */
TEST_F(folio, split_keeps_the_data)
{
	const size_t len = 4UL << 20, npages = len / self->ps;
	long counts[10];
	char cmd[96], *p;
	int o;

	if (access(SPLIT_PATH, W_OK))
		SKIP(return, "no %s (debugfs)", SPLIT_PATH);
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, len, self->seed));
	p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, npages);
	snprintf(cmd, sizeof(cmd), "%d,%#lx,%#lx", getpid(), (unsigned long)p,
		 (unsigned long)p + len);
	ASSERT_EQ(0, fdemo_write_file(SPLIT_PATH, cmd));

	ASSERT_EQ(0, fdemo_folios_cached(counts));
	EXPECT_EQ((long)npages, counts[0]);
	for (o = 1; o < 10; o++)
		EXPECT_EQ(0, counts[o]) TH_LOG("order %d", o);
	EXPECT_EQ(-1, fdemo_check(p, 0, len, self->seed));
	EXPECT_EQ(0, fdemo_smaps_kb(p, "FilePmdMapped"));
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, len, self->seed));
	munmap(p, len);
}

/*
 * In a memory cgroup with little room, a folio that cannot be charged
 * makes the store fall back to smaller ones, and no process is
 * OOM-killed. Order 9: 1.5 MiB of room, four touches 2 MiB apart. Order
 * 4: 28 KiB of room, one touch: neither 64 nor 32 KiB fit, and a charge
 * of 32 KiB or less would OOM-kill if it were allowed to try hard.
 *
 * The fallback fills the room to within its smallest folio, so the child
 * allocates nothing after its touches: a page of anything (an anonymous
 * page, a seq_file buffer for smaps, a pipe buffer) could then OOM-kill it
 * for reasons of its own, the sooner when memcg charges are held in
 * another CPU's stock. No order-9 folio means no PMD mapping.
 */
TEST_F(folio, memcg_limit_falls_back_without_oom)
{
	const size_t len = 8UL << 20;
	const size_t room = self->order == 4 ? 28 << 10 : 1536 << 10;
	const size_t touches = self->order == 4 ? 1 : len / SZ_2M;
	char cg[256], path[300], max[32];
	long counts[10];
	__u64 current;
	int st, go[2];
	pid_t pid;

	if (fdemo_cgroup_create("faultdemo-folio", "max", cg, sizeof(cg)))
		SKIP(return, "no memory cgroup");
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char c, *p;
		size_t off;

		close(go[1]);
		p = map_dev(self->fd, len, PROT_READ, MAP_SHARED, 0);
		if (p == MAP_FAILED)
			_exit(3);
		if (fdemo_cgroup_enter(cg) || read(go[0], &c, 1) != 1)
			_exit(2);
		for (off = 0; off < touches * SZ_2M; off += SZ_2M)
			if (fdemo_peek(p + off))
				_exit(4);
		_exit(0);
	}
	close(go[0]);
	/* once the child is in: room for a little more than it has */
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	for (st = 0; st < 100; st++) {
		char procs[64] = "";

		if (!fdemo_read_file(path, procs, sizeof(procs)) && procs[0])
			break;
		fdemo_sleep_ms(10);
	}
	snprintf(path, sizeof(path), "%s/memory.current", cg);
	ASSERT_EQ(0, fdemo_read_u64(path, &current));
	snprintf(max, sizeof(max), "%llu", (unsigned long long)(current + room));
	snprintf(path, sizeof(path), "%s/memory.max", cg);
	ASSERT_EQ(0, fdemo_write_file(path, max));
	ASSERT_EQ(1, write(go[1], "g", 1));
	close(go[1]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st)) TH_LOG("child killed by signal %d",
					  WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	EXPECT_EQ(0, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	EXPECT_EQ(0, fdemo_cgroup_value(cg, "memory.events", "oom_kill"));
	ASSERT_EQ(0, fdemo_folios_cached(counts));
	EXPECT_EQ(0, counts[9]);
	if (self->order == 4) {
		EXPECT_EQ(0, counts[4]);
		EXPECT_EQ(0, counts[3]);
		EXPECT_LE(1, counts[2] + counts[0]);
	}
	TH_LOG("folios by order: %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
	       counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
	       counts[6], counts[7], counts[8], counts[9]);
	fdemo_cgroup_remove(cg);
}

TEST_HARNESS_MAIN

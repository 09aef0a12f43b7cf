// SPDX-License-Identifier: GPL-2.0
/*
 * A data area larger than RAM, on a backing device: every page written
 * through one shared mapping, then every byte read back through a new
 * mapping and through read(). The page cache can hold only a fraction of
 * it, so this works only if dirty pages are written back and clean ones
 * evicted as the kernel needs the memory: no OOM kill, no lost write.
 * Once with one-page folios, once with 2 MiB ones (folio_order=9 and
 * MADV_HUGEPAGE mappings).
 *
 * Needs the module (FAULTDEMO_KO) and a scratch disk (FAULTDEMO_DISK) of
 * at least 4 times MemTotal, e.g. vm-run --mem 384 --disk 1536M; SKIPs
 * otherwise. Leaves the module loaded in RAM mode.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"

#define CHUNK	(256ULL << 20)	/* bytes mapped at a time */

/* Every word of [off, off + len) through @p holds the pattern: count bad ones. */
static size_t bad_words(const __u64 *p, __u64 off, size_t len, __u64 seed)
{
	size_t i, bad = 0;

	for (i = 0; i < len / 8; i++)
		bad += fdemo_peek(&p[i]) != fdemo_pattern(seed, off + i * 8);
	return bad;
}

FIXTURE(large)
{
};

/*
 * The folio order the module is loaded with; at 9 every mapping also
 * gets MADV_HUGEPAGE, so that the disk is read into 2 MiB folios and
 * written back, evicted and read again in them.
 */
FIXTURE_VARIANT(large)
{
	unsigned int order;
};

FIXTURE_VARIANT_ADD(large, order_0) { .order = 0 };
FIXTURE_VARIANT_ADD(large, order_9) { .order = 9 };

FIXTURE_SETUP(large)
{
}

FIXTURE_TEARDOWN(large)
{
}

/* A shared mapping of [@off, +@len), huge at order 9. */
static void *map_chunk(int fd, size_t len, int prot, __u64 off,
		       unsigned int order)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p != MAP_FAILED && order && madvise(p, len, MADV_HUGEPAGE)) {
		munmap(p, len);
		return MAP_FAILED;
	}
	return p;
}

TEST_F_TIMEOUT(large, every_byte_survives_a_device_4x_ram, 900)
{
	long long mem = fdemo_meminfo_kb("MemTotal") * 1024LL;
	const char *disk = fdemo_disk();
	long long oom0, bytes;
	long pmd_folios = 0;
	struct fdemo_stats s0, s1;
	struct faultdemo_geometry g;
	__u64 seed = fdemo_seed(), off;
	size_t bad = 0, ps = fdemo_page_size();
	char params[128];
	void *buf;
	int fd;

	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (!disk)
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	bytes = fdemo_blk_bytes(disk);
	if (bytes < 4 * mem)
		SKIP(return, "disk of %lld MiB is not 4x MemTotal (%lld MiB)",
		     bytes >> 20, mem >> 20);

	if (variant->order && !fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");

	snprintf(params, sizeof(params), "backing=%s folio_order=%u", disk,
		 variant->order);
	ASSERT_EQ(0, fdemo_reload(params));
	fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fdemo_geometry(fd, &g));
	ASSERT_EQ((__u64)bytes / ps * ps, g.size);
	ASSERT_EQ(0, fdemo_stats(&s0));
	oom0 = fdemo_vmstat("oom_kill");
	TH_LOG("%llu MiB device, %lld MiB of RAM", (unsigned long long)g.size >> 20,
	       mem >> 20);

	/* write every word of every page through shared mappings */
	for (off = 0; off < g.size; off += CHUNK) {
		size_t len = g.size - off < CHUNK ? g.size - off : CHUNK, i;
		__u64 *p;

		p = map_chunk(fd, len, PROT_READ | PROT_WRITE, off, variant->order);
		ASSERT_NE(MAP_FAILED, p);
		for (i = 0; i < len / 8; i++)
			fdemo_poke(&p[i], fdemo_pattern(seed, off + i * 8));
		ASSERT_EQ(0, munmap(p, len));
	}

	/*
	 * Read every byte back through new mappings. At order 9, what each
	 * mapping read is cached in 2 MiB folios where memory allowed them:
	 * the most seen after a chunk must not be 0. The memory the write
	 * pass left in pieces is compacted first (read-ahead's large
	 * allocations do not compact: with nothing of 2 MiB free they fall
	 * back to small folios, seen on 6.1).
	 */
	if (variant->order)
		fdemo_sysctl_set("vm/compact_memory", 1);
	for (off = 0; off < g.size; off += CHUNK) {
		size_t len = g.size - off < CHUNK ? g.size - off : CHUNK;
		long counts[10];
		__u64 *p;

		p = map_chunk(fd, len, PROT_READ, off, variant->order);
		ASSERT_NE(MAP_FAILED, p);
		bad += bad_words(p, off, len, seed);
		ASSERT_EQ(0, munmap(p, len));
		if (variant->order && !fdemo_folios_cached(counts) &&
		    counts[9] > pmd_folios)
			pmd_folios = counts[9];
	}
	EXPECT_EQ(0, bad) TH_LOG("words wrong through mmap");
	if (variant->order) {
		TH_LOG("order-9 folios cached after a chunk of the mmap pass: at most %ld",
		       pmd_folios);
		EXPECT_LT(0, pmd_folios);
	}

	/* and through read() */
	buf = malloc(1 << 20);
	ASSERT_NE(NULL, buf);
	bad = 0;
	for (off = 0; off < g.size; off += 1 << 20) {
		ASSERT_EQ(1 << 20, pread(fd, buf, 1 << 20, off));
		bad += bad_words(buf, off, 1 << 20, seed);
	}
	free(buf);
	EXPECT_EQ(0, bad) TH_LOG("words wrong through read()");

	ASSERT_EQ(0, fdemo_stats(&s1));
	EXPECT_EQ(oom0, fdemo_vmstat("oom_kill"));
	/* most pages were written back before the end and read back after */
	EXPECT_LE(g.size / ps / 2, s1.pages_written - s0.pages_written);
	EXPECT_LE(g.size / ps, s1.pages_read - s0.pages_read);
	TH_LOG("order %u: pages written %llu, read %llu, cached at the end %llu",
	       variant->order,
	       (unsigned long long)(s1.pages_written - s0.pages_written),
	       (unsigned long long)(s1.pages_read - s0.pages_read),
	       (unsigned long long)s1.pages_cached);
	EXPECT_EQ(0, fsync(fd));
	close(fd);
	EXPECT_EQ(0, fdemo_reload(""));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The block backend (backing=): the module loaded on a device-mapper
 * device over the scratch disk, so that a test can make the disk slow
 * (dm-delay), fail (the error target) or hang (suspend) under the page
 * cache, live. Each property is shown with the kernel's evidence first:
 * getrusage, /proc/vmstat, the device's /sys/block statistics and
 * in-flight counts, mincore, the raw device read with O_DIRECT,
 * tracepoints, memory cgroup events; the module's counters second.
 *
 * Needs the module (FAULTDEMO_KO), a scratch disk of at least 384 MiB
 * (FAULTDEMO_DISK, from vm-run --disk) and device mapper with the
 * dm-delay target; each test reloads the module and leaves it loaded in RAM mode.
 * Regions of the disk, so that tests do not see each other's data:
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"
#include "faultdemo_fixture.h"

#define MIB		(1024ULL * 1024ULL)
#define REG_MAJOR	(16 * MIB)	/* 3 x 4 MiB */
#define REG_LOCKDROP	(32 * MIB)
#define REG_KILL	(40 * MIB)
#define REG_READAHEAD	(48 * MIB)	/* 6 x 2 MiB */
#define REG_SEQ		(64 * MIB)	/* 8 MiB */
#define REG_SYNC	(80 * MIB)	/* 8 x 1 MiB */
#define REG_FLUSHER	(96 * MIB)
#define REG_COUNTS	(100 * MIB)	/* 2 MiB */
#define REG_STABLE	(104 * MIB)
#define REG_ERROR	(108 * MIB)	/* 6 x 1 MiB */
#define REG_EVICT	(116 * MIB)	/* 3 x 2 MiB */
#define REG_DIRTY	(124 * MIB)
#define REG_THROTTLE	(128 * MIB)	/* 32 MiB */
#define REG_CGWB	(160 * MIB)	/* 4 MiB */
#define REG_PRESSURE	(192 * MIB)	/* 128 MiB */
#define DISK_MIN	(320 * MIB)

/*
 * How long dm-delay holds the bios of the cases that look at them while
 * they are held: long enough for what they do meanwhile on the debug
 * kernel under TCG, with another VM busy on the host.
 */
#define HOLD_MS		6000
#define WINDOW		16		/* pages in the default fault-around */

/* The module as a test sees it after a load. */
struct loaded {
	int fd;
	struct faultdemo_geometry g;
	char bdi[64];
};

FIXTURE(backing)
{
	struct loaded d;
	size_t ps;
	const char *disk;
	long long wb_cs, expire_cs, ratio, bg_ratio;
	bool dm, sysctls;
	__u64 seed;
};

/* (Re)load the module on @dev with @extra parameters and open it. */
static int load_on(struct loaded *self, const char *dev, const char *extra)
{
	char params[256];
	int ret;

	if (self->fd >= 0)
		close(self->fd);
	self->fd = -1;
	snprintf(params, sizeof(params), "backing=%s %s", dev, extra);
	ret = fdemo_reload(params);
	if (ret)
		return ret;
	self->fd = fdemo_open(O_RDWR);
	if (self->fd < 0)
		return self->fd;
	ret = fdemo_geometry(self->fd, &self->g);
	if (!ret)
		ret = fdemo_bdi(self->bdi, sizeof(self->bdi));
	return ret ?: fdemo_bdi_share();
}

FIXTURE_SETUP(backing)
{
	self->d.fd = -1;
	self->dm = false;
	self->sysctls = false;
	self->ps = fdemo_page_size();
	self->seed = fdemo_seed();
	self->disk = fdemo_disk();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (!self->disk)
		SKIP(return, "no scratch disk (FAULTDEMO_DISK; vm-run --disk)");
	if (fdemo_blk_bytes(self->disk) < (long long)DISK_MIN)
		SKIP(return, "scratch disk smaller than %llu MiB", DISK_MIN / MIB);
	if (!fdemo_dm_usable())
		SKIP(return, "no device mapper with dm-delay (dm-mod, dm-delay.ko)");

	self->dm = fdemo_fixture_dm_linear(_metadata, self->disk);

	/* Writeback only when a test asks for it: no periodic flush. */
	ASSERT_EQ(0, fdemo_sysctl_get("vm/dirty_writeback_centisecs", &self->wb_cs));
	ASSERT_EQ(0, fdemo_sysctl_get("vm/dirty_expire_centisecs", &self->expire_cs));
	ASSERT_EQ(0, fdemo_sysctl_get("vm/dirty_ratio", &self->ratio));
	ASSERT_EQ(0, fdemo_sysctl_get("vm/dirty_background_ratio", &self->bg_ratio));
	self->sysctls = true;
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_writeback_centisecs", 0));
	ASSERT_EQ(0, fdemo_fab_set(FDEMO_DEF_FAB));

	ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, ""));
}

FIXTURE_TEARDOWN(backing)
{
	if (self->d.fd >= 0)
		close(self->d.fd);
	if (self->dm)
		fdemo_fixture_dm_remove(self->disk);
	else if (fdemo_loaded() && fdemo_unload_retry())
		fprintf(stderr, "# could not unload faultdemo\n");
	if (self->sysctls) {
		fdemo_sysctl_set("vm/dirty_writeback_centisecs", self->wb_cs);
		fdemo_sysctl_set("vm/dirty_expire_centisecs", self->expire_cs);
		/* writing the ratios back turns dirty_bytes off */
		fdemo_sysctl_set("vm/dirty_ratio", self->ratio);
		fdemo_sysctl_set("vm/dirty_background_ratio", self->bg_ratio);
	}
	if (fdemo_ko() && fdemo_reload(""))
		fprintf(stderr, "# could not reload faultdemo in RAM mode\n");
}

/* Bad backing= parameters fail the load with their errno and a message. */
TEST_F_TIMEOUT(backing, load_refuses_bad_device, 120)
{
	char params[256], table[256], num[64];
	long long bytes = fdemo_blk_bytes(FDEMO_DM_PATH);
	int kmsg, excl, ret;
	size_t i;
	static const struct {
		const char *params;
		int err;
		const char *msg;
	} cases[] = {
		{ "backing=/nonexistent", -ENOENT, "no such device" },
		{ "backing=/dev/null", -ENOTBLK, "not a block device" },
		{ "backing=/proc/version", -ENOTBLK, "not a block device" },
		{ "backing=/dev/mapper/faultdemo-ro", -EACCES, "read-only" },
		{ "backing=/dev/mapper/faultdemo-tiny", -EINVAL, "less than one page" },
	};

	ASSERT_EQ(0, fdemo_dm_table_linear(self->disk, table, sizeof(table)));
	ASSERT_EQ(0, fdemo_dm_create("faultdemo-ro", table, true));
	snprintf(table, sizeof(table), "0 4 linear %s 0", self->disk);
	ASSERT_EQ(0, fdemo_dm_create("faultdemo-tiny", table, false));
	close(self->d.fd);
	self->d.fd = -1;
	ASSERT_EQ(0, fdemo_unload_retry());
	kmsg = fdemo_kmsg_open();

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ret = fdemo_load(cases[i].params);
		if (!ret)
			fdemo_unload_retry();
		EXPECT_EQ(cases[i].err, ret) TH_LOG("insmod faultdemo %s", cases[i].params);
		EXPECT_FALSE(fdemo_loaded());
		EXPECT_TRUE(fdemo_kmsg_find(kmsg, cases[i].msg))
			TH_LOG("no \"%s\" in the kernel log", cases[i].msg);
	}

	/* Someone else holds the device exclusively. */
	excl = open(FDEMO_DM_PATH, O_RDONLY | O_EXCL | O_CLOEXEC);
	ASSERT_LE(0, excl);
	snprintf(params, sizeof(params), "backing=%s", FDEMO_DM_PATH);
	ret = fdemo_load(params);
	if (!ret)
		fdemo_unload_retry();
	EXPECT_EQ(-EBUSY, ret);
	EXPECT_TRUE(fdemo_kmsg_find(kmsg, "held exclusively"));
	close(excl);

	/*
	 * Large folios need THP; before 6.12 the block store takes order 0
	 * or 9 only (disk_folio_test loads the orders that are taken).
	 */
	if (!fdemo_have_thp() || fdemo_kernel_version() < FDEMO_KVER(6, 12)) {
		snprintf(params, sizeof(params), "backing=%s folio_order=%d",
			 FDEMO_DM_PATH, fdemo_have_thp() ? 4 : 9);
		ret = fdemo_load(params);
		if (!ret)
			fdemo_unload_retry();
		EXPECT_EQ(-EINVAL, ret);
		EXPECT_TRUE(fdemo_kmsg_find(kmsg, fdemo_have_thp() ? ": 0 or 9" :
					    "no CONFIG_TRANSPARENT_HUGEPAGE"));
	}

	/* size larger than the device: the message names both sizes. */
	snprintf(params, sizeof(params), "backing=%s size=%lld", FDEMO_DM_PATH,
		 bytes + (long long)self->ps);
	ret = fdemo_load(params);
	if (!ret)
		fdemo_unload_retry();
	EXPECT_EQ(-EINVAL, ret);
	snprintf(num, sizeof(num), "(%lld bytes", bytes);
	EXPECT_TRUE(fdemo_kmsg_find(kmsg, num)) TH_LOG("no \"%s\" in the log", num);

	close(kmsg);
	fdemo_dm_remove("faultdemo-ro");
	fdemo_dm_remove("faultdemo-tiny");
	ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, ""));
}

/*
 * The data area is the device: its size, rounded down to whole pages,
 * unless size= asks for less; past it, ENOSPC and SIGBUS.
 */
TEST_F_TIMEOUT(backing, data_area_is_the_device, 60)
{
	char buf[64], path[256], table[256];
	long long bytes = fdemo_blk_bytes(FDEMO_DM_PATH);
	__u64 ra_dev, ra_bdi, v = 1, w[2];
	struct fdemo_sig sig;
	char *p;

	EXPECT_EQ((__u64)bytes / self->ps * self->ps, self->d.g.size);
	ASSERT_EQ(0, fdemo_read_file(FDEMO_CLASS_DIR "/backend", buf, sizeof(buf)));
	EXPECT_STREQ("block", buf);
	/* read-ahead is the device's, and set where users expect it */
	ASSERT_EQ(0, fdemo_blk_sysfs(FDEMO_DM_PATH, "queue/read_ahead_kb", path,
				     sizeof(path)));
	ASSERT_EQ(0, fdemo_read_u64(path, &ra_dev));
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", self->d.bdi);
	ASSERT_EQ(0, fdemo_read_u64(path, &ra_bdi));
	EXPECT_EQ(ra_dev, ra_bdi);

	/* write() moves the file position, as for any file */
	ASSERT_EQ(8 * MIB, lseek(self->d.fd, 8 * MIB, SEEK_SET));
	ASSERT_EQ(8, write(self->d.fd, &v, 8));
	v = 2;
	ASSERT_EQ(8, write(self->d.fd, &v, 8));
	EXPECT_EQ(8 * MIB + 16, lseek(self->d.fd, 0, SEEK_CUR));
	ASSERT_EQ(16, pread(self->d.fd, w, 16, 8 * MIB));
	EXPECT_EQ(1, w[0]);
	EXPECT_EQ(2, w[1]);
	v = 1;

	/* A device that does not end on a page boundary: 1 MiB + 1536 bytes. */
	close(self->d.fd);
	self->d.fd = -1;
	ASSERT_EQ(0, fdemo_unload_retry());
	snprintf(table, sizeof(table), "0 2051 linear %s 0", self->disk);
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, table));
	ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, ""));
	EXPECT_EQ(MIB, self->d.g.size);
	/* size= smaller than the device */
	ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, "size=64K"));
	EXPECT_EQ(64 << 10, self->d.g.size);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->d.fd, &v, 8, 64 << 10));
	EXPECT_EQ(ENOSPC, errno);
	p = mmap(NULL, 128 << 10, PROT_READ, MAP_SHARED, self->d.fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, fdemo_probe(p + (64 << 10) - 8, false, 0, &sig));
	EXPECT_EQ(SIGBUS, fdemo_probe(p + (64 << 10), false, 0, &sig));
	munmap(p, 128 << 10);
}

/*
 * A fault on a page that is not cached reads it from the device: a major
 * fault in getrusage and /proc/vmstat, sectors read by the device, the
 * device's data in the page, MAJOR in the tracepoint.
 */
TEST_F_TIMEOUT(backing, major_fault_reads_the_device, 60)
{
	static const struct {
		const char *name;
		int flags;
		bool write;
	} kinds[] = {
		{ "read", MAP_SHARED, false },
		{ "private write (COW)", MAP_PRIVATE, true },
		{ "shared write", MAP_SHARED, true },
	};
	static const char * const events[] = { "faultdemo/faultdemo_fault" };
	struct fdemo_blk_stat b0, b1;
	struct fdemo_stats s0, s1, d;
	long long pg0, pg1;
	char inst[256];
	bool trace;
	__u64 word, want;
	long m0, m1;
	size_t i;

	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_MAJOR, 3 * 4 * MIB, self->seed));
	trace = !fdemo_trace_start(inst, sizeof(inst), events, 1, true);

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		__u64 off = REG_MAJOR + i * 4 * MIB + 2 * MIB;
		__u64 *p;

		p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, kinds[i].flags,
			 self->d.fd, off);
		ASSERT_NE(MAP_FAILED, p);
		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b0));
		ASSERT_EQ(0, fdemo_stats(&s0));
		pg0 = fdemo_vmstat("pgmajfault");
		m0 = fdemo_major_faults();

		if (kinds[i].write)
			fdemo_poke(&p[1], 0x5eed);
		else
			word = fdemo_peek(&p[0]);

		m1 = fdemo_major_faults();
		pg1 = fdemo_vmstat("pgmajfault");
		ASSERT_EQ(0, fdemo_stats(&s1));
		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b1));
		fdemo_stats_sub(&s1, &s0, &d);

		EXPECT_EQ(1, m1 - m0) TH_LOG("%s: ru_majflt", kinds[i].name);
		EXPECT_LE(1, pg1 - pg0) TH_LOG("%s: pgmajfault", kinds[i].name);
		EXPECT_LT(b0.read_sectors, b1.read_sectors) TH_LOG("%s", kinds[i].name);
		EXPECT_EQ(1, d.fault_major) TH_LOG("%s", kinds[i].name);
		EXPECT_LE(1, d.pages_read);
		/* the device's data, and the store where it was made */
		word = fdemo_peek(&p[0]);
		EXPECT_EQ(fdemo_pattern(self->seed, off), word) TH_LOG("%s", kinds[i].name);
		EXPECT_EQ(-1, fdemo_check(&p[2], off + 16, self->ps - 16, self->seed));
		/* word 1: the store, in the mapping, and in the cache if shared */
		want = kinds[i].write ? 0x5eed : fdemo_pattern(self->seed, off + 8);
		EXPECT_EQ(want, fdemo_peek(&p[1]));
		if (kinds[i].flags == MAP_PRIVATE)
			want = fdemo_pattern(self->seed, off + 8);
		ASSERT_EQ(8, pread(self->d.fd, &word, 8, off + 8));
		EXPECT_EQ(want, word) TH_LOG("%s: the device's cache", kinds[i].name);
		munmap(p, self->ps);
	}

	if (trace) {
		EXPECT_LE(3, fdemo_trace_count(inst, "faultdemo_fault:", "MAJOR"));
		fdemo_trace_stop(inst, events, 1);
	}
}

struct reader {
	char *addr;
	bool done;	/* atomic: read while the thread runs */
	__u64 word;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;

	r->word = fdemo_peek(r->addr);
	__atomic_store_n(&r->done, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A fault waiting for a slow read has dropped mmap_lock (6.1) or the
 * per-VMA lock (6.12): meanwhile another thread can mprotect() part of
 * the very same VMA, which needs both, and is done while the read is
 * still held in dm-delay (its status counts the bios it holds). The fault
 * then returns VM_FAULT_RETRY and is retried.
 */
TEST_F_TIMEOUT(backing, fault_drops_its_lock_during_io, 120)
{
	static const char * const events[] = { "faultdemo/faultdemo_fault" };
	const size_t len = 2 * MIB;
	struct fdemo_stats s0, s1;
	struct reader r = { 0 };
	char table[256], inst[256];
	pthread_t t;
	long reads, writes;
	bool trace;
	char *p;
	int ret;

	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_LOCKDROP, len, self->seed));
	ASSERT_EQ(0, fdemo_dm_table_delay(self->disk, HOLD_MS, 0, table, sizeof(table)));
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, table));
	trace = !fdemo_trace_start(inst, sizeof(inst), events, 1, false);

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->d.fd, REG_LOCKDROP);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_stats(&s0));
	r.addr = p;
	ASSERT_EQ(0, pthread_create(&t, NULL, reader_thread, &r));
	ASSERT_EQ(0, fdemo_dm_wait_delayed(FDEMO_DM_NAME, false, 10000))
		TH_LOG("the read never reached the device");

	ret = mprotect(p + len / 2, len / 2, PROT_NONE);
	ASSERT_EQ(0, fdemo_dm_delayed(FDEMO_DM_NAME, &reads, &writes));
	EXPECT_EQ(0, ret);
	EXPECT_LT(0, reads) TH_LOG("mprotect() waited for the read to finish");
	EXPECT_FALSE(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));

	pthread_join(t, NULL);
	ASSERT_EQ(0, fdemo_stats(&s1));
	EXPECT_EQ(fdemo_pattern(self->seed, REG_LOCKDROP), r.word);
	EXPECT_LE(1, s1.fault_retry - s0.fault_retry);
	EXPECT_LE(1, s1.fault_major - s0.fault_major);
	if (trace) {
		EXPECT_LE(1, fdemo_trace_count(inst, "faultdemo_fault:", "RETRY"));
		fdemo_trace_stop(inst, events, 1);
	}
	munmap(p, len);
}

/* The state letter of /proc/@pid/stat. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512], *rp;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (fdemo_read_file(path, buf, sizeof(buf)))
		return '?';
	rp = strrchr(buf, ')');
	return rp && rp[1] == ' ' ? rp[2] : '?';
}

/* A process stuck in a fault on a hung (suspended) device dies on SIGKILL. */
TEST_F_TIMEOUT(backing, fault_wait_is_killable, 60)
{
	long long end;
	char state = '?';
	int status = 0;
	pid_t pid, w = 0;
	char *p;

	/* what the page must read once the device is back */
	ASSERT_EQ(0, fdemo_disk_fill(self->disk, REG_KILL, self->ps, self->seed));
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->d.fd, REG_KILL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_dm_suspend(FDEMO_DM_NAME));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fdemo_peek(p);
		_exit(0);
	}
	/* TASK_KILLABLE shows as D */
	for (end = fdemo_now_us() + 10000000; fdemo_now_us() < end;) {
		state = proc_state(pid);
		if (state == 'D')
			break;
		fdemo_sleep_ms(10);
	}
	EXPECT_EQ('D', state) TH_LOG("the child never waited for the device");
	ASSERT_EQ(0, kill(pid, SIGKILL));
	for (end = fdemo_now_us() + 10000000; fdemo_now_us() < end;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w)
			break;
		fdemo_sleep_ms(10);
	}
	/* the device is still suspended: the read has not completed */
	EXPECT_EQ(pid, w) TH_LOG("the child did not die while the device hung");
	ASSERT_EQ(0, fdemo_dm_resume(FDEMO_DM_NAME));
	if (w != pid)
		waitpid(pid, &status, 0);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* and the page reads fine once the device is back */
	EXPECT_EQ(fdemo_pattern(self->seed, REG_KILL), fdemo_peek(p));
	munmap(p, self->ps);
}

/*
 * Pages of [@first, @first + @npages) in the page cache once the reads
 * in flight there are done: mincore() counts a page only when it is up
 * to date. Polls for up to 5 s.
 */
static long cached_when_read(__u64 first, size_t npages)
{
	long long end = fdemo_now_us() + 5000000;
	long got;

	while ((got = fdemo_cached_in(first, npages)) >= 0 &&
	       got < (long)npages && fdemo_now_us() < end)
		fdemo_sleep_ms(10);
	return got;
}

/*
 * Read-around on a cold fault is the file's read-ahead window: the bdi's
 * read_ahead_kb (copied from the device), doubled by POSIX_FADV_SEQUENTIAL,
 * off for MADV_RANDOM. The device's read sectors are the evidence.
 *
 * The window is centred on the fault (do_sync_mmap_readahead(): ra->start
 * = pgoff - ra_pages / 2, ra->size = ra_pages) and is not limited to the
 * mapping, so the device's own window can be wider than the 2 MiB mapped
 * here: 6.12 gives a device without an optimal I/O size 128 KiB, 7.3's
 * blk_apply_bdi_limits() gives a rotational one twice its max_sectors,
 * and virtio-blk is rotational with max_sectors_kb 4096 there
 * (BLK_DEF_MAX_SECTORS_CAP), so 8 MiB. Such a window also reads the
 * regions of the cases after it: every case starts with all of its window
 * out of the cache, and counts as resident in its mapping only the part
 * of the window inside it.
 */
TEST_F_TIMEOUT(backing, readahead_follows_bdi_and_advice, 60)
{
	static const struct {
		const char *name;
		int ra_kb;	/* -1: the device's */
		int fadvise;	/* -1: none */
		int madvise;	/* -1: none */
		long pages;	/* read by one cold fault; -1: the bdi's */
	} cases[] = {
		{ "device's read-ahead", -1, -1, -1, -1 },
		{ "read_ahead_kb=0", 0, -1, -1, 1 },
		{ "read_ahead_kb=512", 512, -1, -1, 128 },
		{ "POSIX_FADV_SEQUENTIAL", 128, POSIX_FADV_SEQUENTIAL, -1, 64 },
		{ "MADV_RANDOM", 128, -1, MADV_RANDOM, 1 },
	};
	const size_t n = 2 * MIB / self->ps;
	struct fdemo_blk_stat b0, b1;
	struct fdemo_stats s0, s1;
	char path[256], v[32];
	__u64 ra0;
	size_t i;

	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", self->d.bdi);
	ASSERT_EQ(0, fdemo_read_u64(path, &ra0));
	TH_LOG("the device's read_ahead_kb: %llu", (unsigned long long)ra0);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 off = REG_READAHEAD + i * 2 * MIB;
		__u64 pg = off / self->ps, fault = pg + n / 2, lo, hi;
		long want = cases[i].pages < 0 ? (long)(ra0 * 1024 / self->ps)
					       : cases[i].pages;
		long in_map;
		char *p;
		int fd;

		/* the pages the fault reads: the window around it, or itself */
		lo = fault;
		if (want > 1)
			lo = fault > (__u64)want / 2 ? fault - want / 2 : 0;
		hi = lo + want;
		/* of which the mapping holds */
		in_map = (hi < pg + n ? hi : pg + n) - (lo > pg ? lo : pg);

		if (cases[i].ra_kb >= 0) {
			snprintf(v, sizeof(v), "%d", cases[i].ra_kb);
			ASSERT_EQ(0, fdemo_write_file(path, v));
		}
		/* f_ra takes the bdi's window at open */
		fd = fdemo_open(O_RDWR);
		ASSERT_LE(0, fd);
		/* nothing of the window cached, by an earlier case or test */
		ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, fdemo_cached_in(lo, want)) TH_LOG("%s", cases[i].name);
		if (cases[i].fadvise >= 0)
			ASSERT_EQ(0, posix_fadvise(fd, 0, 0, cases[i].fadvise));
		p = mmap(NULL, 2 * MIB, PROT_READ, MAP_SHARED, fd, off);
		ASSERT_NE(MAP_FAILED, p);
		if (cases[i].madvise >= 0)
			ASSERT_EQ(0, madvise(p, 2 * MIB, cases[i].madvise));
		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b0));
		ASSERT_EQ(0, fdemo_stats(&s0));
		fdemo_touch(p + (fault - pg) * self->ps, 1);
		ASSERT_EQ(0, fdemo_stats(&s1));
		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b1));
		EXPECT_EQ((__u64)want * (self->ps / 512),
			  b1.read_sectors - b0.read_sectors) TH_LOG("%s", cases[i].name);
		EXPECT_EQ((__u64)want, s1.pages_read - s0.pages_read)
			TH_LOG("%s", cases[i].name);
		/*
		 * The whole window is cached, in the mapping or not, once
		 * its reads are done: the fault waited for its own page only.
		 */
		EXPECT_EQ(want, cached_when_read(lo, want)) TH_LOG("%s", cases[i].name);
		EXPECT_EQ(in_map, fdemo_resident(p, n)) TH_LOG("%s", cases[i].name);
		munmap(p, 2 * MIB);
		close(fd);
	}
	snprintf(v, sizeof(v), "%llu", (unsigned long long)ra0);
	fdemo_write_file(path, v);
}

/* POSIX_FADV_WILLNEED reads a range in without a single fault. */
TEST_F_TIMEOUT(backing, fadvise_willneed_reads_without_faults, 60)
{
	const size_t n = MIB / fdemo_page_size();
	__u64 off = REG_READAHEAD + 12 * MIB;
	struct fdemo_stats s0, s1, s2;
	long f0, f1, m0;
	ssize_t got;
	char *p;
	void *buf;

	p = mmap(NULL, MIB, PROT_READ, MAP_SHARED, self->d.fd, off);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_resident(p, n));
	ASSERT_EQ(0, fdemo_stats(&s0));
	f0 = fdemo_faults();
	ASSERT_EQ(0, posix_fadvise(self->d.fd, off, MIB, POSIX_FADV_WILLNEED));
	f1 = fdemo_faults();
	ASSERT_EQ(0, fdemo_stats(&s1));
	EXPECT_EQ(f0, f1);
	EXPECT_EQ((__u64)n, s1.pages_read - s0.pages_read);
	/*
	 * The reads may still be in flight: wait for them with read(), which
	 * takes no fault and finds every page in the cache. mincore() counts
	 * a page only once it is up to date, and a fault that found a folio
	 * locked would be retried, which the kernel counts as major.
	 */
	buf = malloc(MIB);
	ASSERT_NE(NULL, buf);
	got = pread(self->d.fd, buf, MIB, off);
	free(buf);
	ASSERT_EQ((ssize_t)MIB, got);
	ASSERT_EQ(0, fdemo_stats(&s2));
	EXPECT_EQ(s1.pages_read, s2.pages_read);
	EXPECT_EQ((long)n, fdemo_resident(p, n));
	/* touching them now is minor faults only */
	m0 = fdemo_major_faults();
	fdemo_touch(p, n);
	EXPECT_EQ(m0, fdemo_major_faults());
	munmap(p, MIB);
}

/*
 * A cold sequential read of a 2 MiB-aligned mapping (placed by hand: a
 * kernel without THP does not align it) takes one fault per fault-around
 * window: read-around, then asynchronous
 * read-ahead started at each PG_readahead marker, keep the next window
 * cached before it is touched, and the marker page is where the next
 * window starts. One more fault for the first window's marker.
 */
TEST_F_TIMEOUT(backing, cold_sequential_read_one_fault_per_window, 60)
{
	const size_t n = 8 * MIB / fdemo_page_size();
	long f0, f1;
	char *p;

	p = fdemo_mmap_aligned(self->d.fd, 8 * MIB, PROT_READ, MAP_SHARED, REG_SEQ,
			       2 * MIB);
	ASSERT_NE(MAP_FAILED, p);
	f0 = fdemo_faults();
	fdemo_touch(p, n);
	f1 = fdemo_faults();
	TH_LOG("%ld faults for %zu pages", f1 - f0, n);
	EXPECT_LE((long)(n / WINDOW), f1 - f0);
	EXPECT_GE((long)(n / WINDOW + 2), f1 - f0);
	munmap(p, 8 * MIB);
}

enum sync_how {
	BY_FSYNC, BY_FSYNC_RDONLY, BY_FDATASYNC, BY_MSYNC, BY_SYNC, BY_OSYNC,
	BY_ODSYNC, BY_CLEAN, BY_RMMOD,
};

/*
 * Every way to make data durable writes it to the device: it is not
 * there before (no periodic writeback runs), it is there after, read
 * with O_DIRECT; the device wrote sectors; the syncs flushed the disk's
 * write cache; the page is write-protected again, so the next store goes
 * through .page_mkwrite. Unloading writes back too, and a new load sees it.
 */
TEST_F_TIMEOUT(backing, every_sync_writes_to_the_device, 120)
{
	static const struct {
		const char *name;
		enum sync_how how;
		bool flush;
	} cases[] = {
		{ "fsync", BY_FSYNC, true },
		{ "fsync of an O_RDONLY file", BY_FSYNC_RDONLY, true },
		{ "fdatasync", BY_FDATASYNC, true },
		{ "msync(MS_SYNC)", BY_MSYNC, true },
		{ "sync(2)", BY_SYNC, true },
		{ "O_SYNC write", BY_OSYNC, true },
		{ "O_DSYNC write", BY_ODSYNC, true },
		{ "FAULTDEMO_IOC_CLEAN", BY_CLEAN, false },
		{ "rmmod", BY_RMMOD, true },
	};
	struct fdemo_blk_stat b0, b1, v0, v1;
	struct fdemo_stats s0, s1;
	char wc[32] = "", path[256];
	bool volatile_cache;
	__u64 *buf, cleaned;
	size_t i;

	ASSERT_EQ(0, fdemo_blk_sysfs(self->disk, "queue/write_cache", path,
				     sizeof(path)));
	fdemo_read_file(path, wc, sizeof(wc));
	volatile_cache = !strcmp(wc, "write back");
	buf = malloc(self->ps);
	ASSERT_NE(NULL, buf);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 off = REG_SYNC + i * MIB;
		bool via_write = cases[i].how == BY_OSYNC || cases[i].how == BY_ODSYNC;
		__u64 *p = NULL;
		int fd2 = -1;

		fdemo_pattern_fill(buf, off, self->ps, self->seed);
		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b0));
		ASSERT_EQ(0, fdemo_blk_stat(self->disk, &v0));
		ASSERT_EQ(0, fdemo_stats(&s0));
		if (via_write) {
			int sync_flag = O_DSYNC;

			if (cases[i].how == BY_OSYNC)
				sync_flag = O_SYNC;
			fd2 = fdemo_open(O_RDWR | sync_flag);
			ASSERT_LE(0, fd2);
			ASSERT_EQ((ssize_t)self->ps, pwrite(fd2, buf, self->ps, off));
			close(fd2);
		} else {
			p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE,
				 MAP_SHARED, self->d.fd, off);
			ASSERT_NE(MAP_FAILED, p);
			memcpy(p, buf, self->ps);
			EXPECT_FALSE(fdemo_disk_has(FDEMO_DM_PATH, off, self->ps, self->seed))
				TH_LOG("%s: on the device before", cases[i].name);
		}

		switch (cases[i].how) {
		case BY_FSYNC:
			EXPECT_EQ(0, fsync(self->d.fd));
			break;
		case BY_FSYNC_RDONLY:
			fd2 = fdemo_open(O_RDONLY);
			ASSERT_LE(0, fd2);
			EXPECT_EQ(0, fsync(fd2));
			close(fd2);
			break;
		case BY_FDATASYNC:
			EXPECT_EQ(0, fdatasync(self->d.fd));
			break;
		case BY_MSYNC:
			EXPECT_EQ(0, msync(p, self->ps, MS_SYNC));
			break;
		case BY_SYNC:
			sync();
			break;
		case BY_CLEAN:
			EXPECT_EQ(0, fdemo_clean(self->d.fd, off, self->ps, &cleaned));
			EXPECT_EQ(1, cleaned);
			break;
		case BY_RMMOD:
			munmap(p, self->ps);
			p = NULL;
			close(self->d.fd);
			self->d.fd = -1;
			ASSERT_EQ(0, fdemo_unload_retry());
			break;
		default:
			break;
		}

		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b1));
		ASSERT_EQ(0, fdemo_blk_stat(self->disk, &v1));
		EXPECT_TRUE(fdemo_disk_has(FDEMO_DM_PATH, off, self->ps, self->seed))
			TH_LOG("%s: not on the device", cases[i].name);
		EXPECT_LE(b0.write_sectors + self->ps / 512, b1.write_sectors)
			TH_LOG("%s", cases[i].name);
		if (volatile_cache && cases[i].flush)
			EXPECT_LT(v0.flush_ios, v1.flush_ios)
				TH_LOG("%s: no cache flush", cases[i].name);
		if (cases[i].how == BY_RMMOD) {
			/* loading again shows the same data */
			ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, ""));
			EXPECT_EQ(0, fdemo_check_dev(self->d.fd, off, self->ps, self->seed));
			continue;
		}
		ASSERT_EQ(0, fdemo_stats(&s1));
		EXPECT_LE(1, s1.pages_written - s0.pages_written) TH_LOG("%s", cases[i].name);
		if (p) {
			/* write-protected again: the next store is a fault */
			ASSERT_EQ(0, fdemo_stats(&s0));
			fdemo_poke(&p[1], 7);
			ASSERT_EQ(0, fdemo_stats(&s1));
			EXPECT_EQ(1, s1.page_mkwrite - s0.page_mkwrite)
				TH_LOG("%s: not write-protected", cases[i].name);
			munmap(p, self->ps);
		}
	}
	free(buf);
}

/* The flusher threads write dirty pages back on their own. */
TEST_F_TIMEOUT(backing, flusher_writes_back_by_itself, 90)
{
	const size_t n = 16;
	struct fdemo_stats s0, s1;
	long long end;
	char *p;

	p = mmap(NULL, n * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->d.fd, REG_FLUSHER);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_pattern_fill(p, REG_FLUSHER, n * self->ps, self->seed);
	ASSERT_EQ(0, fdemo_stats(&s0));
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_expire_centisecs", 50));
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_writeback_centisecs", 50));
	for (end = fdemo_now_us() + 30000000; fdemo_now_us() < end;) {
		if (fdemo_disk_has(FDEMO_DM_PATH, REG_FLUSHER, n * self->ps, self->seed))
			break;
		fdemo_sleep_ms(100);
	}
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_writeback_centisecs", 0));
	EXPECT_TRUE(fdemo_disk_has(FDEMO_DM_PATH, REG_FLUSHER, n * self->ps, self->seed));
	/* written: the pages count as written, and are write-protected */
	for (end = fdemo_now_us() + 5000000; fdemo_now_us() < end;) {
		ASSERT_EQ(0, fdemo_stats(&s1));
		if (s1.pages_written - s0.pages_written >= n)
			break;
		fdemo_sleep_ms(20);
	}
	EXPECT_EQ(n, s1.pages_written - s0.pages_written);
	fdemo_dirty(p, n, 9);
	ASSERT_EQ(0, fdemo_stats(&s0));
	EXPECT_EQ(n, s0.page_mkwrite - s1.page_mkwrite);
	munmap(p, n * self->ps);
}

/* The kB value of @key in the bdi's debugfs stats. */
static long long bdi_stat_kb(const char *bdi, const char *key)
{
	char path[256], line[256];
	size_t klen = strlen(key);
	long long v = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/bdi/%s/stats", bdi);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtoll(line + klen + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * Dirtying pages shows in nr_dirty and the bdi's own counts; writing them
 * back (slowly, through dm-delay) in nr_writeback; both fall back after.
 */
/*
 * Pages a bdi's wb_stat() may be off by, as wb_stat_error() says:
 * WB_STAT_BATCH, 8 * (1 + ilog2(CPUs)), for each possible CPU.
 */
static size_t wb_stat_error(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	size_t log2 = 0;

	if (cpus < 1)
		cpus = 1;
	while ((2L << log2) <= cpus)
		log2++;
	return cpus == 1 ? 0 : (size_t)cpus * 8 * (1 + log2);
}

TEST_F_TIMEOUT(backing, dirty_and_writeback_counts_move, 120)
{
	const size_t n = 2 * MIB / fdemo_page_size();
	long long d0, d1, wb1, dirtied0, dirtied1, written0, written1;
	char table[256];
	long reads, writes;
	char *p;

	p = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, self->d.fd,
		 REG_COUNTS);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, n);
	d0 = fdemo_vmstat("nr_dirty");
	dirtied0 = bdi_stat_kb(self->d.bdi, "BdiDirtied");
	written0 = bdi_stat_kb(self->d.bdi, "BdiWritten");
	fdemo_dirty(p, n, 3);
	d1 = fdemo_vmstat("nr_dirty");
	dirtied1 = bdi_stat_kb(self->d.bdi, "BdiDirtied");
	EXPECT_LE((long long)n * 9 / 10, d1 - d0) TH_LOG("nr_dirty %lld -> %lld", d0, d1);
	if (dirtied0 >= 0)
		EXPECT_EQ((long long)(n * self->ps / 1024), dirtied1 - dirtied0);

	ASSERT_EQ(0, fdemo_dm_table_delay(self->disk, 0, HOLD_MS, table, sizeof(table)));
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, table));
	/* POSIX_FADV_DONTNEED starts writeback and does not wait for it */
	ASSERT_EQ(0, posix_fadvise(self->d.fd, REG_COUNTS, 2 * MIB, POSIX_FADV_DONTNEED));
	wb1 = fdemo_vmstat("nr_writeback");
	ASSERT_EQ(0, fdemo_dm_delayed(FDEMO_DM_NAME, &reads, &writes));
	EXPECT_LT(0, writes);
	EXPECT_LE((long long)n * 9 / 10, wb1) TH_LOG("nr_writeback %lld", wb1);
	EXPECT_EQ(0, fsync(self->d.fd));
	EXPECT_GT(n / 10 + 1, (size_t)fdemo_vmstat("nr_writeback"));
	EXPECT_GT((long long)n / 10 + d0, fdemo_vmstat("nr_dirty"));
	written1 = bdi_stat_kb(self->d.bdi, "BdiWritten");
	/*
	 * BdiWritten is a per-CPU counter read without summing it
	 * (wb_stat()): each CPU may hold up to WB_STAT_BATCH pages not yet
	 * folded in, the kernel's own wb_stat_error(). The writes complete
	 * on whichever CPU runs the module's completion work.
	 */
	if (written0 >= 0)
		EXPECT_LE((long long)((n - wb_stat_error()) * self->ps / 1024),
			  written1 - written0);
	munmap(p, 2 * MIB);
}

/*
 * A store to a page under writeback waits in .page_mkwrite until the
 * write is done if the device wants stable pages, and does not otherwise.
 * The evidence: the writes dm-delay still holds right after the store.
 */
TEST_F_TIMEOUT(backing, store_during_writeback_waits_for_stable_pages, 240)
{
	static const struct {
		const char *name;
		bool stable;
	} cases[] = {
		{ "stable_writes=0: the store does not wait", false },
		{ "stable_writes=1: the store waits", true },
	};
	static const char * const stable_flag[] = { "0", "1" };
	char path[256], table[256];
	struct fdemo_stats s0, s1;
	long reads, writes;
	size_t i;

	ASSERT_EQ(0, fdemo_blk_sysfs(self->disk, "queue/stable_writes", path,
				     sizeof(path)));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 *p;

		/* the mapping takes the flag from the device at load */
		close(self->d.fd);
		self->d.fd = -1;
		ASSERT_EQ(0, fdemo_unload_retry());
		ASSERT_EQ(0, fdemo_dm_remove(FDEMO_DM_NAME));
		ASSERT_EQ(0, fdemo_write_file(path, stable_flag[cases[i].stable]));
		ASSERT_EQ(0, fdemo_dm_table_delay(self->disk, 0, HOLD_MS, table,
						  sizeof(table)));
		ASSERT_EQ(0, fdemo_dm_create(FDEMO_DM_NAME, table, false));
		ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, ""));

		p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->d.fd, REG_STABLE);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_poke(&p[0], 1);
		ASSERT_EQ(0, posix_fadvise(self->d.fd, REG_STABLE, self->ps,
					   POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, fdemo_dm_wait_delayed(FDEMO_DM_NAME, true, 10000));
		ASSERT_EQ(0, fdemo_stats(&s0));
		fdemo_poke(&p[0], 2);
		ASSERT_EQ(0, fdemo_dm_delayed(FDEMO_DM_NAME, &reads, &writes));
		ASSERT_EQ(0, fdemo_stats(&s1));
		EXPECT_EQ(1, s1.page_mkwrite - s0.page_mkwrite) TH_LOG("%s", cases[i].name);
		/* stable pages: the write had ended when the store went on */
		EXPECT_EQ(cases[i].stable, writes == 0)
			TH_LOG("%s: %ld writes still held", cases[i].name, writes);
		/* either way the second store reaches the device */
		EXPECT_EQ(0, fsync(self->d.fd));
		munmap(p, self->ps);
		{
			__u64 w[2];

			ASSERT_EQ(0, fdemo_blk_pread(FDEMO_DM_PATH, w, sizeof(w),
						     REG_STABLE));
			EXPECT_EQ(2, w[0]) TH_LOG("%s", cases[i].name);
		}
	}
	fdemo_write_file(path, "0");
}

enum err_how { ERR_FSYNC, ERR_FDATASYNC, ERR_MSYNC, ERR_OSYNC, ERR_CLEAN };

/* Report the writeback error of @fd through @how: 0 or -errno. */
static int report(enum err_how how, int fd, void *p, size_t ps, __u64 off)
{
	struct faultdemo_clean c = { .offset = off, .length = ps };
	__u64 v = 1;
	int ret;

	switch (how) {
	case ERR_FSYNC:
		ret = fsync(fd);
		break;
	case ERR_FDATASYNC:
		ret = fdatasync(fd);
		break;
	case ERR_MSYNC:
		ret = msync(p, ps, MS_SYNC);
		break;
	case ERR_OSYNC:
		ret = pwrite(fd, &v, sizeof(v), off + 8) < 0 ? -1 : 0;
		break;
	default:
		ret = ioctl(fd, FAULTDEMO_IOC_CLEAN, &c);
		break;
	}
	return ret ? -errno : 0;
}

/*
 * A write the device fails is reported by the next fsync()-like call of
 * every open file, once each (errseq), counted in writeback_errors; a
 * file opened after the error does not see it.
 */
TEST_F_TIMEOUT(backing, write_error_reported_once_per_file, 120)
{
	static const struct {
		const char *name;
		enum err_how how;
	} cases[] = {
		{ "fsync", ERR_FSYNC },
		{ "fdatasync", ERR_FDATASYNC },
		{ "msync(MS_SYNC)", ERR_MSYNC },
		{ "O_SYNC write", ERR_OSYNC },
		{ "FAULTDEMO_IOC_CLEAN", ERR_CLEAN },
	};
	char good[256], bad[256];
	struct fdemo_stats s0, s1;
	size_t i;

	ASSERT_EQ(0, fdemo_dm_table_linear(self->disk, good, sizeof(good)));
	ASSERT_EQ(0, fdemo_dm_table_error(self->disk, bad, sizeof(bad)));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		__u64 off = REG_ERROR + i * MIB;
		int a, b, c;
		__u64 *p;

		int sync_flag = 0;

		if (cases[i].how == ERR_OSYNC)
			sync_flag = O_SYNC;
		a = fdemo_open(O_RDWR | sync_flag);
		b = fdemo_open(O_RDWR);
		ASSERT_LE(0, a);
		ASSERT_LE(0, b);
		p = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, a, off);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_poke(&p[0], 0xbad);
		ASSERT_EQ(0, fdemo_stats(&s0));
		ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, bad));

		EXPECT_EQ(-EIO, report(cases[i].how, a, p, self->ps, off))
			TH_LOG("%s", cases[i].name);
		EXPECT_EQ(0, fsync(a)) TH_LOG("%s: reported twice", cases[i].name);
		EXPECT_EQ(-EIO, fsync(b) ? -errno : 0) TH_LOG("%s: other file", cases[i].name);
		EXPECT_EQ(0, fsync(b));
		c = fdemo_open(O_RDWR);
		ASSERT_LE(0, c);
		EXPECT_EQ(0, fsync(c)) TH_LOG("%s: a later file saw it", cases[i].name);
		ASSERT_EQ(0, fdemo_stats(&s1));
		EXPECT_LE(1, s1.writeback_errors - s0.writeback_errors);

		ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, good));
		munmap(p, self->ps);
		close(a);
		close(b);
		close(c);
	}
}

/* A read the device fails is SIGBUS for a fault and EIO for read(). */
TEST_F_TIMEOUT(backing, read_error_is_sigbus_and_eio, 60)
{
	char good[256], bad[256];
	struct fdemo_sig sig;
	__u64 v;
	char *p;

	ASSERT_EQ(0, fdemo_dm_table_linear(self->disk, good, sizeof(good)));
	ASSERT_EQ(0, fdemo_dm_table_error(self->disk, bad, sizeof(bad)));
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->d.fd,
		 REG_ERROR + 7 * MIB);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, bad));
	EXPECT_EQ(SIGBUS, fdemo_probe(p, false, 0, &sig));
	errno = 0;
	EXPECT_EQ(-1, pread(self->d.fd, &v, 8, REG_ERROR + 7 * MIB + self->ps));
	EXPECT_EQ(EIO, errno);
	/* the device is back: so is the page */
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, good));
	EXPECT_EQ(0, fdemo_probe(p, false, 0, &sig));
	munmap(p, self->ps);
}

/*
 * Clean pages leave the cache when asked: mincore shows them gone, the
 * next touch is a major fault that reads the same data back.
 */
TEST_F_TIMEOUT(backing, clean_pages_can_be_evicted, 60)
{
	const size_t n = 64, len = n * fdemo_page_size();
	struct fdemo_blk_stat b0, b1;
	cpu_set_t cpu;
	enum fdemo_evict_how how;

	/*
	 * One CPU: a folio still in another CPU's LRU add batch holds a
	 * reference, and drop_caches (6.1) drains no batch but its own.
	 */
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	for (how = 0; how < FDEMO_EVICT_NR; how++) {
		const char *name = fdemo_evict_name(how);
		__u64 off = REG_EVICT + how * 2 * MIB;
		long m0;
		char *p;

		/*
		 * Fresh folios: the read-around of an earlier case's read
		 * back can reach this region (an 8 MiB window on 7.3, see
		 * readahead_follows_bdi_and_advice) and leave its
		 * PG_readahead marker on a folio here. That bit is
		 * PG_reclaim, so the end of the writeback below rotates
		 * the folio (folio_end_writeback_no_dropbehind()): a
		 * reference in the lru_move_tail batch of the CPU that
		 * completed the write, with PG_lru still set. If that is
		 * not this CPU, MADV_PAGEOUT's lru_add_drain() leaves the
		 * batch alone, isolates the folio, and __remove_mapping()
		 * finds the extra reference and keeps it cached.
		 */
		ASSERT_EQ(0, posix_fadvise(self->d.fd, off, len, POSIX_FADV_DONTNEED));
		ASSERT_EQ(0, fdemo_cached_in(off / self->ps, n)) TH_LOG("%s", name);
		ASSERT_EQ(0, fdemo_fill(self->d.fd, off, len, self->seed));
		ASSERT_EQ(0, fsync(self->d.fd));
		p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->d.fd, off);
		ASSERT_NE(MAP_FAILED, p);
		fdemo_touch(p, n);
		ASSERT_EQ((long)n, fdemo_resident(p, n));

		ASSERT_EQ(0, fdemo_evict(self->d.fd, p, off, len, how))
			TH_LOG("%s", name);
		if (how != FDEMO_EVICT_PAGEOUT) {
			p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->d.fd, off);
			ASSERT_NE(MAP_FAILED, p);
		}
		EXPECT_EQ(0, fdemo_resident(p, n)) TH_LOG("%s", name);

		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b0));
		m0 = fdemo_major_faults();
		EXPECT_EQ(-1, fdemo_check(p, off, len, self->seed)) TH_LOG("%s", name);
		EXPECT_LE(1, fdemo_major_faults() - m0) TH_LOG("%s", name);
		ASSERT_EQ(0, fdemo_blk_stat(FDEMO_DM_PATH, &b1));
		EXPECT_LE(b0.read_sectors + len / 512, b1.read_sectors);
		munmap(p, len);
	}
}

/* Asking to drop dirty pages never loses them: they are written first. */
TEST_F_TIMEOUT(backing, dirty_pages_are_never_dropped_unwritten, 60)
{
	const size_t n = 64, len = n * fdemo_page_size();
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->d.fd, REG_DIRTY);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_pattern_fill(p, REG_DIRTY, len, self->seed);
	munmap(p, len);
	ASSERT_EQ(0, posix_fadvise(self->d.fd, REG_DIRTY, len, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, fdemo_write_file("/proc/sys/vm/drop_caches", "1"));
	ASSERT_EQ(0, fdemo_write_file("/proc/sys/vm/drop_caches", "1"));
	EXPECT_EQ(0, fdemo_check_dev(self->d.fd, REG_DIRTY, len, self->seed));
	EXPECT_EQ(0, fsync(self->d.fd));
	EXPECT_TRUE(fdemo_disk_has(FDEMO_DM_PATH, REG_DIRTY, len, self->seed));
}

/*
 * Fast dirtying of a slow device is throttled in balance_dirty_pages().
 * Pages under writeback count as dirty there, and dm-delay holds each
 * write for a second, so anything dirtied faster than 2.5 MiB/s crosses
 * the 2.5 MiB free-run ceiling of these limits, however fast the flusher
 * submits: with a shorter delay a slow guest's stores can trail the
 * writeback and never be throttled.
 */
TEST_F_TIMEOUT(backing, fast_dirtying_is_throttled, 180)
{
	static const char * const events[] = { "writeback/balance_dirty_pages" };
	const size_t len = 32 * MIB, n = len / fdemo_page_size();
	char table[256], inst[256], needle[96];
	char *p;

	if (fdemo_trace_start(inst, sizeof(inst), events, 1, true))
		SKIP(return, "tracefs or writeback:balance_dirty_pages missing");
	ASSERT_EQ(0, fdemo_dm_table_delay(self->disk, 0, 1000, table, sizeof(table)));
	ASSERT_EQ(0, fdemo_dm_swap(FDEMO_DM_NAME, table));
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_background_bytes", 1 * MIB));
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_bytes", 4 * MIB));

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->d.fd,
		 REG_THROTTLE);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_dirty(p, n, 5);
	EXPECT_EQ(0, fsync(self->d.fd));

	snprintf(needle, sizeof(needle), "bdi %s:", self->d.bdi);
	EXPECT_LE(1, fdemo_trace_count(inst, "balance_dirty_pages:", needle));
	fdemo_trace_stop(inst, events, 1);
	munmap(p, len);
}

/*
 * Memory pressure in a small memory cgroup evicts clean pages: reading
 * 128 MiB of the device twice within 32 MiB reads it from the device
 * again (refaults of evicted pages), every word is right, nothing is
 * OOM-killed. Then the
 * same cgroup dirties all of it: every store reaches the device.
 */
TEST_F_TIMEOUT(backing, memory_pressure_evicts_without_oom, 300)
{
	const size_t len = 128 * MIB, n = len / fdemo_page_size();
	struct fdemo_stats s0, s1;
	char cg[256];
	int status, pass;
	pid_t pid;

	ASSERT_EQ(0, fdemo_fill(self->d.fd, REG_PRESSURE, len, self->seed));
	ASSERT_EQ(0, fsync(self->d.fd));
	ASSERT_EQ(0, posix_fadvise(self->d.fd, REG_PRESSURE, len, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, fdemo_cgroup_create("faultdemo-pressure", "32M", cg, sizeof(cg)))
		TH_LOG("no memory cgroup");
	ASSERT_EQ(0, fdemo_stats(&s0));

	for (pass = 0; pass < 2; pass++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (!pid) {
			size_t i, bad = 0, round;
			__u64 *p;

			if (fdemo_cgroup_enter(cg))
				_exit(2);
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
				 self->d.fd, REG_PRESSURE);
			if (p == MAP_FAILED)
				_exit(3);
			for (round = 0; round < 2; round++)
				for (i = 0; i < n; i++) {
					__u64 off = REG_PRESSURE + i * fdemo_page_size();
					__u64 *w = &p[i * fdemo_page_size() / 8];
					__u64 want = pass ? ~fdemo_pattern(self->seed, off)
							  : fdemo_pattern(self->seed, off);

					if (!pass || round)
						bad += fdemo_peek(w) != want;
					else if (fdemo_peek(w) == fdemo_pattern(self->seed, off))
						fdemo_poke(w, want);
					else
						bad++;
				}
			_exit(bad ? 1 : 0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("pass %d: status %#x", pass, status);
	}
	EXPECT_EQ(0, fdemo_cgroup_value(cg, "memory.events", "oom_kill"));
	/* all 4 rounds re-read pages evicted by the previous one */
	EXPECT_LE((long long)n, fdemo_cgroup_value(cg, "memory.stat",
						   "workingset_refault_file"));
	ASSERT_EQ(0, fdemo_stats(&s1));
	EXPECT_LE(3 * (__u64)n, s1.pages_read - s0.pages_read);
	EXPECT_LE(1, fdemo_cgroup_value(cg, "memory.events", "max"));
	fdemo_cgroup_remove(cg);

	/* every store of the second pass is on the device */
	EXPECT_EQ(0, fsync(self->d.fd));
	{
		__u64 w;
		size_t i, bad = 0;

		for (i = 0; i < n; i += 97) {
			__u64 off = REG_PRESSURE + i * self->ps;

			if (fdemo_blk_pread(FDEMO_DM_PATH, &w, 8, off) ||
			    w != ~fdemo_pattern(self->seed, off))
				bad++;
		}
		EXPECT_EQ(0, bad);
	}
}

/*
 * Writeback is cgroup-aware (SB_I_CGROUPWB, as on ext4 and xfs): a child
 * in cgroup A (memory and io controllers) dirties 4 MiB through a mapping
 * and exits. memory.stat has them dirty in A, none in the idle cgroup B;
 * fsync() from outside both writes them, and io.stat charges the bytes
 * written to the device to A (the inode's writeback domain), none to B.
 * Without the flag they would be charged to the cgroup that called
 * fsync().
 */
TEST_F_TIMEOUT(backing, writeback_is_charged_to_the_cgroup_that_dirtied, 120)
{
	const size_t len = 4 * MIB;
	char a[256], b[256];
	long long w0;
	int status;
	pid_t pid;

	ASSERT_EQ(0, fdemo_cgroup_create("faultdemo-wb-a", "max", a, sizeof(a)))
		TH_LOG("no memory cgroup");
	ASSERT_EQ(0, fdemo_cgroup_create("faultdemo-wb-b", "max", b, sizeof(b)));
	if (fdemo_write_file("/sys/fs/cgroup/cgroup.subtree_control", "+io")) {
		fdemo_cgroup_remove(a);
		fdemo_cgroup_remove(b);
		SKIP(return, "no io cgroup controller (CONFIG_BLK_CGROUP)");
	}
	w0 = fdemo_cgroup_io_bytes(a, FDEMO_DM_PATH, "wbytes");
	ASSERT_LE(0, w0);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *p;

		if (fdemo_cgroup_enter(a))
			_exit(2);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->d.fd, REG_CGWB);
		if (p == MAP_FAILED)
			_exit(3);
		fdemo_pattern_fill(p, REG_CGWB, len, self->seed);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("child: status %#x", status);

	EXPECT_LE((long long)len, fdemo_cgroup_value(a, "memory.stat", "file_dirty"));
	EXPECT_EQ(0, fdemo_cgroup_value(b, "memory.stat", "file_dirty"));
	ASSERT_EQ(0, fsync(self->d.fd));
	TH_LOG("io.stat wbytes on %s: A %lld, B %lld", FDEMO_DM_PATH,
	       fdemo_cgroup_io_bytes(a, FDEMO_DM_PATH, "wbytes") - w0,
	       fdemo_cgroup_io_bytes(b, FDEMO_DM_PATH, "wbytes"));
	EXPECT_LE(w0 + (long long)len, fdemo_cgroup_io_bytes(a, FDEMO_DM_PATH, "wbytes"));
	EXPECT_EQ(0, fdemo_cgroup_io_bytes(b, FDEMO_DM_PATH, "wbytes"));
	EXPECT_EQ(0, fdemo_cgroup_value(a, "memory.stat", "file_dirty"));
	EXPECT_TRUE(fdemo_disk_has(FDEMO_DM_PATH, REG_CGWB, len, self->seed));
	fdemo_cgroup_remove(a);
	fdemo_cgroup_remove(b);
}

/*
 * The tour's rows of the block backend, run on this device: each must be
 * "ok" (its own checks: a major fault that read the bdi's read-around
 * window, a writeback that wrote and write-protected, an eviction and a
 * major refault with the data intact), and dev_cold_read must say why it
 * is skipped.
 */
TEST_F_TIMEOUT(backing, tour_shows_the_device, 120)
{
	const char *tool = getenv("FAULTDEMO_TOOL");
	/*
	 * The rows, and the kernel's account by this test: the error code
	 * of the fault (a load: not-present|read|user, a store:
	 * not-present|write|user) and a function the graph must show.
	 */
	static const struct {
		const char *name, *code, *call;
	} rows[] = {
		{ "major_fault", "error code 0x4 ", " filemap_fault" },
		{ "writeback", "error code 0x6 ", " faultdemo_page_mkwrite" },
		{ "evict_refault", "error code 0x4 ", " filemap_fault" },
	};
	char cmd[512], line[1024], graph[4096], kernel[1024];
	size_t i, found = 0;
	bool traced = false;
	FILE *f;

	if (!tool || !*tool)
		SKIP(return, "FAULTDEMO_TOOL is not set (path of the faultdemo program)");
	snprintf(cmd, sizeof(cmd), "%s tour", tool);
	f = popen(cmd, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		char name[64], status[16];
		int nr;

		fprintf(stderr, "# %s", line);
		/* the header says whether the kernel's account has the graph */
		traced |= !strncmp(line, "kernel trace: ", 14) && strstr(line, "function_graph in");
		/* a row: "NR  SCENARIO  STATUS ..." */
		if (sscanf(line, "%d %63s %15s", &nr, name, status) != 3)
			continue;
		for (i = 0; i < ARRAY_SIZE(rows); i++) {
			if (strcmp(name, rows[i].name))
				continue;
			found++;
			EXPECT_STREQ("ok", status) TH_LOG("%s", rows[i].name);
		}
		if (!strcmp(name, "dev_cold_read"))
			EXPECT_STREQ("SKIP", status);
	}
	EXPECT_EQ(0, pclose(f));
	EXPECT_EQ(ARRAY_SIZE(rows), found);
	if (!traced) {
		TH_LOG("the tour ran without the call graph: not checked");
		return;
	}
	/* once more, one row at a time: each row's own kernel: and graph: lines */
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		snprintf(cmd, sizeof(cmd), "%s tour --only %s", tool, rows[i].name);
		f = popen(cmd, "r");
		ASSERT_NE(NULL, f);
		kernel[0] = '\0';
		graph[0] = '\0';
		while (fgets(line, sizeof(line), f)) {
			if (!strncmp(line, "     kernel: ", 13) && !kernel[0])
				snprintf(kernel, sizeof(kernel), "%s", line);
			else if (!strncmp(line, "     graph:  ", 13) ||
				 (graph[0] && !strncmp(line, "             ", 13)))
				strncat(graph, line + 12, sizeof(graph) - strlen(graph) - 1);
		}
		EXPECT_EQ(0, pclose(f)) TH_LOG("%s", rows[i].name);
		EXPECT_NE(NULL, strstr(kernel, rows[i].code))
			TH_LOG("%s: %s", rows[i].name, kernel);
		EXPECT_NE(NULL, strstr(graph, rows[i].call))
			TH_LOG("%s: graph:%s", rows[i].name, graph);
	}
}

/* Inodes allocated in the system: the first field of inode-nr. */
static long long nr_inodes(void)
{
	char buf[64] = "";

	if (fdemo_read_file("/proc/sys/fs/inode-nr", buf, sizeof(buf)) < 0)
		return -1;
	return strtoll(buf, NULL, 10);
}

/*
 * Unloading gives the store inode back to the kernel's inode cache as
 * unhashed as it came: an object that still looked hashed would make the
 * next inode built in it (a pipe's, typically) skip eviction on its last
 * iput() and stay allocated, unreferenced, for ever. The evidence is the
 * kernel's count of allocated inodes after cycles of unload and many
 * pipes, open at once, made on the same CPU once the freed inode is back
 * in the cache (after an RCU grace period), so that one of them is built
 * in its memory; unused cached inodes are dropped before each count.
 */
TEST_F_TIMEOUT(backing, unload_gives_back_a_clean_inode, 180)
{
	const int cycles = 8, npipes = 1000;
	struct rlimit nofile = { 2 * npipes + 64, 2 * npipes + 64 };
	static int fds[2 * 1000];
	long long n0, n1;
	char params[256];
	cpu_set_t cpu;
	int c, i;

	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &nofile));
	CPU_ZERO(&cpu);
	CPU_SET(sched_getcpu(), &cpu);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(cpu), &cpu));
	close(self->d.fd);
	self->d.fd = -1;
	snprintf(params, sizeof(params), "backing=%s", FDEMO_DM_PATH);
	ASSERT_EQ(0, fdemo_write_file("/proc/sys/vm/drop_caches", "2"));
	n0 = nr_inodes();
	ASSERT_LT(0, n0);
	for (c = 0; c < cycles; c++) {
		ASSERT_EQ(0, fdemo_reload(params));
		ASSERT_EQ(0, fdemo_unload_retry());
		fdemo_sleep_ms(100);
		for (i = 0; i < npipes; i++)
			ASSERT_EQ(0, pipe(&fds[2 * i]));
		for (i = 0; i < 2 * npipes; i++)
			close(fds[i]);
	}
	ASSERT_EQ(0, fdemo_write_file("/proc/sys/vm/drop_caches", "2"));
	n1 = nr_inodes();
	EXPECT_GT(cycles / 2, n1 - n0)
		TH_LOG("%lld inodes more after %d unloads: left allocated", n1 - n0, cycles);
	ASSERT_EQ(0, load_on(&self->d, FDEMO_DM_PATH, ""));
}

/* A disk with 4 KiB logical blocks (a loop device) works as well. */
TEST_F_TIMEOUT(backing, disk_with_4k_sectors, 60)
{
	char dev[64] = "", lbs[16] = "", path[256];
	FILE *f;

	if (fdemo_sh("modprobe -q loop 2>/dev/null; command -v losetup >/dev/null"))
		SKIP(return, "no losetup or loop driver");
	ASSERT_EQ(0, fdemo_sh("truncate -s 16M /tmp/faultdemo-4k.img"));
	f = popen("losetup --find --show --sector-size 4096 /tmp/faultdemo-4k.img", "r");
	ASSERT_NE(NULL, f);
	if (!fgets(dev, sizeof(dev), f))
		dev[0] = '\0';
	pclose(f);
	dev[strcspn(dev, "\n")] = '\0';
	ASSERT_NE(0, dev[0]) TH_LOG("losetup failed");
	ASSERT_EQ(0, fdemo_blk_sysfs(dev, "queue/logical_block_size", path, sizeof(path)));
	ASSERT_EQ(0, fdemo_read_file(path, lbs, sizeof(lbs)));
	EXPECT_STREQ("4096", lbs);

	ASSERT_EQ(0, load_on(&self->d, dev, ""));
	EXPECT_EQ(16 * MIB, self->d.g.size);
	ASSERT_EQ(0, fdemo_fill(self->d.fd, MIB, 64 << 10, self->seed));
	ASSERT_EQ(0, fsync(self->d.fd));
	EXPECT_TRUE(fdemo_disk_has(dev, MIB, 64 << 10, self->seed));
	close(self->d.fd);
	self->d.fd = -1;
	ASSERT_EQ(0, fdemo_unload_retry());
	fdemo_sh("losetup -d %s", dev);
	unlink("/tmp/faultdemo-4k.img");
}

TEST_HARNESS_MAIN

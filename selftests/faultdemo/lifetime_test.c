// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifetime: the module cannot go while a file or a mapping (data or
 * reserved window, in this or another process) still refers to it, can go
 * after the last one, also while references that do not pin it remain
 * (pipes, sysfs, tracepoints), and load/use/unload cycles leak nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"

#define RES	FAULTDEMO_RESERVED_OFFSET

FIXTURE(lifetime)
{
	size_t ps;
};

FIXTURE_SETUP(lifetime)
{
	int ret;

	self->ps = fdemo_page_size();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	ret = fdemo_set_defaults();
	ASSERT_EQ(0, ret) TH_LOG("module not usable: %s", strerror(-ret));
}

FIXTURE_TEARDOWN(lifetime)
{
	if (fdemo_reload(""))
		fprintf(stderr, "# could not reload faultdemo with defaults\n");
}

/* rmmod must fail and leave the module fully there. */
static void expect_busy(struct __test_metadata *_metadata, const char *why)
{
	__u64 refcnt = 0;
	int ret;

	ret = fdemo_unload();
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EAGAIN || ret == -EBUSY)
		TH_LOG("%s: delete_module returned %d", why, ret);
	EXPECT_TRUE(fdemo_loaded()) TH_LOG("%s: module gone", why);
	EXPECT_EQ(0, access(FDEMO_DEV, F_OK));
	EXPECT_EQ(0, fdemo_read_u64(FDEMO_MODULE_DIR "/refcnt", &refcnt));
	EXPECT_LE(1, refcnt) TH_LOG("%s", why);
}

static void expect_unloads(struct __test_metadata *_metadata, const char *why)
{
	__u64 refcnt = ~0ULL;

	EXPECT_EQ(0, fdemo_read_u64(FDEMO_MODULE_DIR "/refcnt", &refcnt));
	EXPECT_EQ(0, refcnt) TH_LOG("%s", why);
	EXPECT_EQ(0, fdemo_unload()) TH_LOG("%s", why);
	EXPECT_FALSE(fdemo_loaded());
	EXPECT_NE(0, access(FDEMO_CLASS_DIR, F_OK));
}

TEST_F(lifetime, busy_while_open)
{
	int fd;

	fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, fd);
	expect_busy(_metadata, "open");
	close(fd);
	expect_unloads(_metadata, "closed");
}

static void busy_while_mapped(struct __test_metadata *_metadata, size_t len,
			      __u64 off)
{
	char *p;
	int fd;

	fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, off);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_dirty(p, len / fdemo_page_size(), 0xd00d);
	close(fd);
	expect_busy(_metadata, "mapped after close");
	/* The mapping still works and sees the same memory. */
	EXPECT_EQ(0xd00d, fdemo_peek(p + len - fdemo_page_size()));
	fdemo_poke(p, 0xd11d);
	EXPECT_EQ(0xd11d, fdemo_peek(p));
	munmap(p, len);
	expect_unloads(_metadata, "unmapped");
}

TEST_F(lifetime, busy_while_data_mapped)
{
	busy_while_mapped(_metadata, 16 * self->ps, 0);
}

TEST_F(lifetime, busy_while_reserved_mapped)
{
	busy_while_mapped(_metadata, FDEMO_DEF_RESERVED, RES);
}

TEST_F(lifetime, busy_while_private_mapped)
{
	char *p;
	int fd;

	fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 4 * self->ps, PROT_READ, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	expect_busy(_metadata, "private mapping");
	munmap(p, 4 * self->ps);
	expect_unloads(_metadata, "unmapped");
}

/* A child holds the only mapping; the module goes when the child exits. */
TEST_F(lifetime, busy_while_child_maps)
{
	int pfd[2], rfd[2], status;
	char c = 0;
	pid_t pid;
	char *p;
	int fd;

	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(rfd));
	fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, fd);
	p = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(fd);
		close(pfd[1]);
		fdemo_poke(p, 1);
		if (write(rfd[1], "x", 1) != 1)
			_exit(1);
		if (read(pfd[0], &c, 1) != 0)
			_exit(2);
		_exit(fdemo_peek(p) == 1 ? 0 : 3);
	}
	close(pfd[0]);
	ASSERT_EQ(1, read(rfd[0], &c, 1));
	munmap(p, 4 * self->ps);
	close(fd);
	expect_busy(_metadata, "child maps");
	close(pfd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	expect_unloads(_metadata, "child gone");
}

enum outlive_ref { REF_SPLICED, REF_VMSPLICED, REF_SYSFS, REF_EVENTS };

/*
 * Take a reference of kind @how that does not pin the module; fill
 * @pipefd or @fd, and @inst for the events. 0 or -errno.
 */
static int take_ref(enum outlive_ref how, int pipefd[2], int *fd, char *inst,
		    size_t inst_len, size_t ps)
{
	static const char * const events[] = {
		"faultdemo/faultdemo_fault", "faultdemo/faultdemo_map_pages",
	};
	struct iovec iov;
	loff_t off = 0;
	int dev, ret = 0;
	char *p;

	dev = fdemo_open(O_RDWR);
	if (dev < 0)
		return dev;
	if (pwrite(dev, "lifetime", 8, 0) != 8) {
		ret = -errno;
		goto out;
	}
	switch (how) {
	case REF_SPLICED:	/* page cache pages in a pipe */
		if (pipe(pipefd) || splice(dev, &off, pipefd[1], NULL, ps, 0) != (ssize_t)ps)
			ret = -errno;
		break;
	case REF_VMSPLICED:	/* pages of a mapping, pinned by GUP */
		p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
		if (p == MAP_FAILED) {
			ret = -errno;
			break;
		}
		iov.iov_base = p;
		iov.iov_len = ps;
		if (pipe(pipefd) || vmsplice(pipefd[1], &iov, 1, 0) != (ssize_t)ps)
			ret = -errno;
		munmap(p, ps);
		break;
	case REF_SYSFS:
		*fd = open(FDEMO_STATS_DIR "/fault_read", O_RDONLY | O_CLOEXEC);
		if (*fd < 0)
			ret = -errno;
		break;
	case REF_EVENTS:	/* enabled, with events recorded */
		ret = fdemo_trace_start(inst, inst_len, events, ARRAY_SIZE(events),
					true);
		p = mmap(NULL, ps, PROT_READ, MAP_SHARED, dev, 0);
		if (!ret && p != MAP_FAILED) {
			fdemo_touch(p, 1);
			munmap(p, ps);
		}
		if (!ret && fdemo_trace_count(inst, " faultdemo_", NULL) < 1)
			ret = -ENODATA;
		break;
	}
out:
	close(dev);
	return ret;
}

/*
 * References that do not pin the module: a page spliced into a pipe, a
 * page pinned by vmsplice(), an open sysfs file, enabled tracepoints.
 * rmmod succeeds with each held, and using
 * the reference afterwards gives a defined result: the pipe's data or
 * ENODATA (a page cache page truncated under it), ENODEV from sysfs, an
 * instance without the events or the ones it recorded. Nothing oopses or warns (the debug kernel
 * stage runs this under KASAN and kmemleak).
 */
TEST_F(lifetime, references_outlive_the_module)
{
	static const struct {
		const char *name;
		enum outlive_ref how;
	} cases[] = {
		{ "splice() into a pipe", REF_SPLICED },
		{ "vmsplice() of a mapping", REF_VMSPLICED },
		{ "an open sysfs file", REF_SYSFS },
		{ "enabled faultdemo:* events", REF_EVENTS },
	};
	char inst[256], buf[64], path[512];
	int pipefd[2], fd = -1, kmsg;
	size_t i;
	ssize_t n;

	kmsg = fdemo_kmsg_open();
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		pipefd[0] = -1;
		pipefd[1] = -1;
		fd = -1;
		ASSERT_EQ(0, fdemo_reload(""));
		ASSERT_EQ(0, take_ref(cases[i].how, pipefd, &fd, inst, sizeof(inst),
				      self->ps)) TH_LOG("%s", cases[i].name);
		expect_unloads(_metadata, cases[i].name);

		switch (cases[i].how) {
		case REF_SPLICED:
		case REF_VMSPLICED:
			n = read(pipefd[0], buf, sizeof(buf));
			/* vmsplice()d pages stay the process's */
			if (cases[i].how == REF_VMSPLICED || n >= 0) {
				EXPECT_EQ((ssize_t)sizeof(buf), n) TH_LOG("%s", cases[i].name);
				EXPECT_EQ(0, memcmp(buf, "lifetime", 8));
			} else {
				EXPECT_EQ(ENODATA, errno) TH_LOG("%s", cases[i].name);
			}
			close(pipefd[0]);
			close(pipefd[1]);
			break;
		case REF_SYSFS:
			n = pread(fd, buf, sizeof(buf), 0);
			EXPECT_EQ(-1, n);
			EXPECT_EQ(ENODEV, errno);
			close(fd);
			break;
		case REF_EVENTS:
			snprintf(path, sizeof(path), "%s/events/faultdemo", inst);
			EXPECT_NE(0, access(path, F_OK)) TH_LOG("%s still there", path);
			/* unloading clears the buffers that held its events */
			EXPECT_EQ(0, fdemo_trace_count(inst, " faultdemo_", NULL));
			fdemo_trace_stop(inst, NULL, 0);
			break;
		}
	}
	ASSERT_EQ(0, fdemo_load(""));
	if (kmsg >= 0) {
		EXPECT_FALSE(fdemo_kmsg_find(kmsg, "Call Trace"));
		close(kmsg);
	}
}

/*
 * The kernel's count of unevictable pages, in pages, per-CPU drift folded
 * (vm.stat_refresh). The RAM store's page cache is unevictable.
 */
static long unevictable_pages(void)
{
	fdemo_write_file("/proc/sys/vm/stat_refresh", "1");
	return fdemo_meminfo_kb("Unevictable") / (long)(fdemo_page_size() / 1024);
}

/*
 * Load, use, unload 20 times: nothing is left behind. Each cycle caches
 * 16 MiB of data pages, which the kernel counts as Unevictable while the
 * module holds them and must stop counting after rmmod, and uses a 4 MiB
 * reserved window, whose leak would show in MemFree.
 */
TEST_F_TIMEOUT(lifetime, load_unload_cycles, 240)
{
	const size_t npages = 4096, len = npages * self->ps, chunk = 1 << 20;
	const size_t rlen = 4 << 20;
	/* pages in per-CPU LRU batches (up to 31 each), the rest of the system */
	const long slack = 128 + 32 * sysconf(_SC_NPROCESSORS_CONF);
	long free0, free1, leak, unev0, unev;
	struct fdemo_stats s;
	size_t off;
	__u64 ent;
	int i, fd;
	char *p, *r, *buf;

	buf = malloc(chunk);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x5c, chunk);
	ASSERT_EQ(0, fdemo_unload_retry());
	sync();
	fdemo_write_file("/proc/sys/vm/drop_caches", "3");
	free0 = fdemo_meminfo_kb("MemFree");
	ASSERT_LT(0, free0);
	unev0 = unevictable_pages();
	ASSERT_LE(0, unev0);

	for (i = 0; i < 20; i++) {
		ASSERT_EQ(0, fdemo_load("reserved_size=4M")) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, fdemo_stats(&s));
		ASSERT_EQ(0, s.pages_cached) TH_LOG("cycle %d", i);
		fd = fdemo_open(O_RDWR);
		ASSERT_LE(0, fd);
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, p);
		r = mmap(NULL, rlen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, RES);
		ASSERT_NE(MAP_FAILED, r);
		/* fresh: zero data, zero window */
		ASSERT_EQ(0, fdemo_peek(p + 8)) TH_LOG("cycle %d", i);
		ASSERT_EQ(0, fdemo_peek(r + rlen - 8)) TH_LOG("cycle %d", i);
		for (off = 0; off < len; off += chunk)
			ASSERT_EQ((ssize_t)chunk, pwrite(fd, buf, chunk, off));
		fdemo_dirty(p, 64, i + 1);
		fdemo_dirty(r, rlen / self->ps, i + 1);
		ent = fdemo_pagemap_one(p + 63 * self->ps);
		ASSERT_EQ(PM_PRESENT | PM_FILE, ent & (PM_PRESENT | PM_FILE));
		ASSERT_EQ(0, fdemo_stats(&s));
		ASSERT_EQ(npages, s.pages_cached) TH_LOG("cycle %d", i);
		unev = unevictable_pages();
		EXPECT_LE((long)npages - slack, unev - unev0)
			TH_LOG("cycle %d: %ld unevictable pages while loaded, %ld before",
			       i, unev, unev0);
		ASSERT_EQ(0, fdemo_clean(fd, 0, 0, NULL));
		munmap(p, len);
		munmap(r, rlen);
		close(fd);
		ASSERT_EQ(0, fdemo_unload()) TH_LOG("cycle %d", i);
		unev = unevictable_pages();
		EXPECT_GT(slack, labs(unev - unev0))
			TH_LOG("cycle %d: %ld unevictable pages after rmmod, %ld before",
			       i, unev, unev0);
	}

	sync();
	fdemo_write_file("/proc/sys/vm/drop_caches", "3");
	free1 = fdemo_meminfo_kb("MemFree");
	leak = free0 - free1;
	TH_LOG("MemFree before %ld kB, after %ld kB", free0, free1);
	/* A leaking cycle loses 20 MiB: allow 64 MiB of noise in all. */
	EXPECT_GT(64 * 1024, leak);
	free(buf);
	ASSERT_EQ(0, fdemo_load(""));
	ASSERT_EQ(0, fdemo_stats(&s));
	EXPECT_EQ(0, s.pages_cached);
}

TEST_HARNESS_MAIN

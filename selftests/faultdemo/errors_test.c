// SPDX-License-Identifier: GPL-2.0
/*
 * Error paths: bad ioctls and pointers, ranges past the end, overflowing
 * offsets, permissions, module parameters out of range at runtime and at
 * load time.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

FIXTURE(errors)
{
	int fd;
	size_t ps;
	struct faultdemo_geometry g;
};

FIXTURE_SETUP(errors)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
}

FIXTURE_TEARDOWN(errors)
{
	fdemo_set_defaults();
	close(self->fd);
}

static int ioctl_errno(int fd, unsigned long cmd, void *arg)
{
	if (ioctl(fd, cmd, arg) == 0)
		return 0;
	return errno;
}

TEST_F(errors, unknown_ioctl)
{
	char buf[64] = { 0 };

	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IO(FAULTDEMO_IOC_MAGIC, 0), NULL));
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IO(FAULTDEMO_IOC_MAGIC, 0x7f), NULL));
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IOR('x', 1, int), buf));
	/* The right number with the wrong size or direction is another ioctl. */
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IOR(FAULTDEMO_IOC_MAGIC, 0x01, __u32),
				      buf));
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd,
				      _IOW(FAULTDEMO_IOC_MAGIC, 0x01,
					   struct faultdemo_geometry), buf));
	EXPECT_EQ(ENOTTY, ioctl_errno(self->fd, _IOR(FAULTDEMO_IOC_MAGIC, 0x02,
						     struct faultdemo_clean), buf));
}

/* A page of each kind: PROT_NONE, read-only, and one with a guard after it. */
struct bad_pages {
	char *none;
	char *ro;
	char *edge;	/* last bytes of a writable page followed by PROT_NONE */
};

static int bad_pages_get(struct bad_pages *b, size_t ps)
{
	char *p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	memset(p, 0, 4 * ps);
	if (mprotect(p, ps, PROT_NONE) || mprotect(p + ps, ps, PROT_READ) ||
	    mprotect(p + 3 * ps, ps, PROT_NONE))
		return -errno;
	b->none = p;
	b->ro = p + ps;
	b->edge = p + 3 * ps;
	return 0;
}

TEST_F(errors, geometry_bad_pointers)
{
	struct bad_pages b;

	ASSERT_EQ(0, bad_pages_get(&b, self->ps));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY, NULL));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY, (void *)1));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY, b.none));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY, b.ro));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY,
				      b.edge - sizeof(struct faultdemo_geometry) + 8));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY,
				      (void *)-4096L));
	/* And the good case still works. */
	EXPECT_EQ(0, ioctl_errno(self->fd, FAULTDEMO_IOC_GET_GEOMETRY,
				 b.edge - sizeof(struct faultdemo_geometry)));
	munmap(b.none, 4 * self->ps);
}

TEST_F(errors, clean_bad_pointers)
{
	struct faultdemo_clean *c;
	struct bad_pages b;

	ASSERT_EQ(0, bad_pages_get(&b, self->ps));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_CLEAN, NULL));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_CLEAN, (void *)1));
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_CLEAN, b.none));
	/* Readable but not writable: "cleaned" cannot be stored. */
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_CLEAN, b.ro));
	c = (struct faultdemo_clean *)(b.edge - sizeof(*c) + 8);
	EXPECT_EQ(EFAULT, ioctl_errno(self->fd, FAULTDEMO_IOC_CLEAN, c));
	c = (struct faultdemo_clean *)(b.edge - sizeof(*c));
	c->offset = 0;
	c->length = self->ps;
	EXPECT_EQ(0, ioctl_errno(self->fd, FAULTDEMO_IOC_CLEAN, c));
	munmap(b.none, 4 * self->ps);
}

TEST_F(errors, clean_bad_ranges)
{
	const __u64 size = self->g.size, ps = self->ps;
	static const struct { __u64 off, len; } bad[] = {
		{ 1, 0 },
		{ 0, 1 },
		{ 512, 4096 },
		{ 0, 4096 + 8 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, bad[i].off, bad[i].len, NULL))
			TH_LOG("offset %llu length %llu",
			       (unsigned long long)bad[i].off,
			       (unsigned long long)bad[i].len);
	/* Past the end, or running past it. */
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, size, ps, NULL));
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, size + ps, 0, NULL));
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, size - ps, 2 * ps, NULL));
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, 0, size + ps, NULL));
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, FAULTDEMO_RESERVED_OFFSET, ps, NULL));
	/* offset + length overflows */
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, ps, -ps, NULL));
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, -ps, 2 * ps, NULL));
	EXPECT_EQ(-EINVAL, fdemo_clean(self->fd, size - ps, -(size - ps) & -ps, NULL));
	/* The edges that are fine. */
	EXPECT_EQ(0, fdemo_clean(self->fd, size - ps, ps, NULL));
	EXPECT_EQ(0, fdemo_clean(self->fd, size - ps, 0, NULL));
	EXPECT_EQ(0, fdemo_clean(self->fd, 0, size, NULL));
	EXPECT_EQ(0, fdemo_clean(self->fd, 0, 0, NULL));
}

static int map_errno(int fd, size_t len, int prot, off_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return errno;
}

TEST_F(errors, mmap_offsets)
{
	const off_t size = self->g.size, ps = self->ps;
	const off_t res = FAULTDEMO_RESERVED_OFFSET;
	int err;

	/* Past the end of the data area is allowed (SIGBUS on access). */
	EXPECT_EQ(0, map_errno(self->fd, ps, PROT_READ, size));
	EXPECT_EQ(0, map_errno(self->fd, 2 * ps, PROT_READ, size - ps));
	EXPECT_EQ(0, map_errno(self->fd, ps, PROT_READ, res - ps));
	/* ... but not into the reserved window. */
	EXPECT_EQ(EINVAL, map_errno(self->fd, 2 * ps, PROT_READ, res - ps));
	EXPECT_EQ(EINVAL, map_errno(self->fd, res + ps, PROT_READ, 0));
	/* Unaligned offset: the core says EINVAL. */
	EXPECT_EQ(EINVAL, map_errno(self->fd, ps, PROT_READ, 8));
	/* Far away, or offset + length overflowing. */
	EXPECT_EQ(EINVAL, map_errno(self->fd, ps, PROT_READ, res << 4));
	err = map_errno(self->fd, 2 * ps, PROT_READ, 0x7ffffffffffff000LL);
	EXPECT_TRUE(err == EINVAL || err == EOVERFLOW) TH_LOG("errno %d", err);
	err = map_errno(self->fd, 2 * ps, PROT_READ, -ps);
	EXPECT_TRUE(err == EINVAL || err == EOVERFLOW) TH_LOG("errno %d", err);
	err = map_errno(self->fd, 1UL << 46, PROT_READ, res - ps);
	EXPECT_TRUE(err == EINVAL || err == ENOMEM) TH_LOG("errno %d", err);
}

TEST_F(errors, mmap_access_mode)
{
	int ro, wo;

	ro = fdemo_open(O_RDONLY);
	ASSERT_LE(0, ro);
	EXPECT_EQ(EACCES, map_errno(ro, self->ps, PROT_READ | PROT_WRITE, 0));
	EXPECT_EQ(0, map_errno(ro, self->ps, PROT_READ, 0));
	close(ro);
	wo = fdemo_open(O_WRONLY);
	ASSERT_LE(0, wo);
	EXPECT_EQ(EACCES, map_errno(wo, self->ps, PROT_READ, 0));
	close(wo);
}

TEST_F(errors, rw_past_end)
{
	const off_t size = self->g.size, ps = self->ps;
	char *buf, *chk;

	buf = malloc(2 * ps);
	chk = malloc(2 * ps);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, chk);
	memset(buf, 0x3c, 2 * ps);

	/* Straddling the end: what fits is written, short count. */
	EXPECT_EQ(ps, pwrite(self->fd, buf, 2 * ps, size - ps));
	EXPECT_EQ(ps, pread(self->fd, chk, 2 * ps, size - ps));
	EXPECT_EQ(0, memcmp(buf, chk, ps));
	/* At or after the end. */
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf, ps, size));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf, 1, size + ps));
	EXPECT_EQ(ENOSPC, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, buf, 1, FAULTDEMO_RESERVED_OFFSET));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, pread(self->fd, chk, ps, size));
	EXPECT_EQ(0, pread(self->fd, chk, ps, size + 123));
	/* write() at the end through the file position. */
	ASSERT_EQ(size, lseek(self->fd, size, SEEK_SET));
	errno = 0;
	EXPECT_EQ(-1, write(self->fd, buf, 8));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(0, read(self->fd, chk, 8));
	free(buf);
	free(chk);
}

TEST_F(errors, rw_bad_buffers)
{
	struct bad_pages b;
	ssize_t n;

	ASSERT_EQ(0, bad_pages_get(&b, self->ps));
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, b.none, 8, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, pwrite(self->fd, b.none, 8, 0));
	EXPECT_EQ(EFAULT, errno);
	errno = 0;
	EXPECT_EQ(-1, pread(self->fd, b.ro, 8, 0));
	EXPECT_EQ(EFAULT, errno);
	/* Running into PROT_NONE: a short read or EFAULT, nothing else. */
	errno = 0;
	n = pread(self->fd, b.edge - 8, 16, 0);
	EXPECT_TRUE(n == 8 || (n == -1 && errno == EFAULT)) TH_LOG("n=%zd", n);
	munmap(b.none, 4 * self->ps);
}

enum file_call {
	FC_OPEN_DIRECT, FC_SETFL_DIRECT, FC_APPEND, FC_CFR_FROM, FC_CFR_TO,
	FC_CFR_SELF, FC_READAHEAD, FC_FADVISE,
};

/* Run @call on the device (and a regular file); 0 or errno. */
static int file_call(enum file_call call, int fd, int reg, size_t ps)
{
	loff_t in = 0, out = 0;
	__u64 v = 0xa99e0d;
	int ret, afd;

	switch (call) {
	case FC_OPEN_DIRECT:
		ret = fdemo_open(O_RDWR | O_DIRECT);
		if (ret >= 0)
			close(ret);
		return ret < 0 ? -ret : 0;
	case FC_SETFL_DIRECT:
		ret = fcntl(fd, F_SETFL, O_DIRECT);
		break;
	case FC_APPEND:
		afd = fdemo_open(O_RDWR | O_APPEND);
		if (afd < 0)
			return -afd;
		ret = write(afd, &v, sizeof(v)) < 0 ? errno : 0;
		close(afd);
		return ret;
	case FC_CFR_FROM:
		ret = copy_file_range(fd, &in, reg, &out, ps, 0) < 0 ? -1 : 0;
		break;
	case FC_CFR_TO:
		ret = copy_file_range(reg, &in, fd, &out, ps, 0) < 0 ? -1 : 0;
		break;
	case FC_CFR_SELF:
		out = ps;
		ret = copy_file_range(fd, &in, fd, &out, ps, 0) < 0 ? -1 : 0;
		break;
	case FC_READAHEAD:
		ret = readahead(fd, 0, ps);
		break;
	default:
		return posix_fadvise(fd, 0, ps, POSIX_FADV_WILLNEED);
	}
	return ret ? errno : 0;
}

/*
 * File calls a character device does not support, and the ones it does:
 * each gets the errno faultdemo(4) documents, and nothing is written.
 */
TEST_F(errors, unsupported_file_calls)
{
	static const struct {
		const char *name;
		enum file_call call;
		int err;
	} cases[] = {
		{ "open(O_DIRECT)", FC_OPEN_DIRECT, EINVAL },
		{ "fcntl(F_SETFL, O_DIRECT)", FC_SETFL_DIRECT, EINVAL },
		{ "O_APPEND write", FC_APPEND, ENOSPC },
		{ "copy_file_range from the device", FC_CFR_FROM, EINVAL },
		{ "copy_file_range to the device", FC_CFR_TO, EINVAL },
		{ "copy_file_range within the device", FC_CFR_SELF, EINVAL },
		{ "readahead(2)", FC_READAHEAD, EINVAL },
		{ "posix_fadvise(WILLNEED)", FC_FADVISE, 0 },
	};
	char path[] = "/tmp/faultdemo_errors_XXXXXX";
	__u64 seed = fdemo_seed(), v;
	size_t i;
	int reg;

	/* distinct patterns: any copy between them would show */
	reg = mkstemp(path);
	ASSERT_LE(0, reg);
	unlink(path);
	ASSERT_EQ(0, fdemo_fill(reg, 0, 2 * self->ps, seed + 1));
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, 2 * self->ps, seed));
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int err = file_call(cases[i].call, self->fd, reg, self->ps);

		EXPECT_EQ(cases[i].err, err) TH_LOG("case %zu: %s", i, cases[i].name);
	}
	/* nothing was written: both pages of each, and the device's end */
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, 2 * self->ps, seed));
	EXPECT_EQ(0, fdemo_check_dev(reg, 0, 2 * self->ps, seed + 1));
	ASSERT_EQ(8, pread(self->fd, &v, 8, self->g.size - 8));
	EXPECT_NE(0xa99e0d, v);
	close(reg);
}

TEST_F(errors, device_node_and_nonroot_open)
{
	struct stat st;
	int status;
	pid_t pid;

	ASSERT_EQ(0, stat(FDEMO_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		fd = open(FDEMO_DEV, O_RDWR);
		if (fd >= 0 || errno != EACCES)
			_exit(1);
		fd = open(FDEMO_DEV, O_RDONLY);
		if (fd >= 0 || errno != EACCES)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* In the child of nonroot_with_a_0666_node: exit with @step if !@cond. */
#define NR_CHECK(step, cond, what)						\
	do {									\
		if (!(cond))							\
			nr_fail(step, what);					\
	} while (0)

static void nr_fail(int step, const char *what)
{
	fprintf(stderr, "# step %d: %s (errno %d)\n", step, what, errno);
	_exit(step);
}

static void nonroot_user(const char *node, const struct faultdemo_geometry *g,
			 size_t ps)
{
	struct faultdemo_clean c = { .offset = 0, .length = ps };
	struct faultdemo_geometry g2;
	char *p, *w;
	__u64 ent, v = 0x0de5;
	int rw, ro, fd;

	rw = open(node, O_RDWR | O_CLOEXEC);
	NR_CHECK(1, rw >= 0, "open O_RDWR");
	ro = open(node, O_RDONLY | O_CLOEXEC);
	NR_CHECK(2, ro >= 0, "open O_RDONLY");
	NR_CHECK(3, !ioctl(ro, FAULTDEMO_IOC_GET_GEOMETRY, &g2) &&
		 g2.size == g->size, "GET_GEOMETRY");

	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	NR_CHECK(4, p != MAP_FAILED, "mmap of the data area");
	fdemo_poke(p + ps, v);
	NR_CHECK(5, pread(ro, &v, 8, ps) == 8 && v == 0x0de5, "store, then read()");
	/* the kernel hides physical addresses from an unprivileged reader */
	ent = fdemo_pagemap_one(p + ps);
	NR_CHECK(6, (ent & PM_PRESENT) && !(ent & PM_PFN_MASK), "pagemap shows a PFN");
	fd = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	NR_CHECK(7, fd < 0, "/proc/kpageflags is readable");

	if (g->reserved_size) {
		w = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, rw,
			 g->reserved_offset);
		NR_CHECK(8, w != MAP_FAILED, "mmap of the reserved window");
		NR_CHECK(9, fdemo_maps_offset(w) == (long long)g->reserved_offset,
			 "the window's offset in /proc/self/maps");
		fdemo_poke(w, v);
		munmap(w, ps);
		w = mmap(NULL, ps, PROT_READ, MAP_PRIVATE, rw, g->reserved_offset);
		NR_CHECK(10, w == MAP_FAILED && errno == EINVAL,
			 "MAP_PRIVATE of the reserved window");
	}

	NR_CHECK(11, ioctl(ro, FAULTDEMO_IOC_CLEAN, &c) && errno == EBADF,
		 "CLEAN through O_RDONLY");
	NR_CHECK(12, !ioctl(rw, FAULTDEMO_IOC_CLEAN, &c), "CLEAN through O_RDWR");
	NR_CHECK(13, pwrite(rw, &v, 8, g->size) < 0 && errno == ENOSPC,
		 "write past the end");
	/* the module's knobs stay root's */
	NR_CHECK(14, fdemo_write_file(FDEMO_STATS_DIR "/reset", "1") == -EACCES,
		 "stats/reset");
	NR_CHECK(15, fdemo_write_file(FDEMO_PARAM_DIR "/readahead", "0") == -EACCES,
		 "parameters/readahead");
	munmap(p, 4 * ps);
	_exit(0);
}

/*
 * The node's mode 0600 is the security boundary (faultdemo(4)). Through
 * a 0666 node (a private one, in a directory only user 65534 can enter:
 * /dev/faultdemo stays 0600), an unprivileged user can use the device as
 * a file and nothing more: no physical address in /proc, no private
 * window mapping, no clean through a read-only descriptor, no module
 * knob, no growth past the data area, and no kernel warning.
 */
TEST_F(errors, nonroot_with_a_0666_node)
{
	char dir[] = "/tmp/faultdemo_nonroot_XXXXXX", node[64];
	int kmsg, status;
	struct stat st;
	pid_t pid;

	ASSERT_EQ(0, stat(FDEMO_DEV, &st));
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(node, sizeof(node), "%s/faultdemo", dir);
	ASSERT_EQ(0, mknod(node, S_IFCHR, st.st_rdev));
	ASSERT_EQ(0, chmod(node, 0666));
	ASSERT_EQ(0, chown(dir, 65534, 65534));
	kmsg = fdemo_kmsg_open();
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		/* dumpable again after the uid change: /proc/self is ours */
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534) ||
		    prctl(PR_SET_DUMPABLE, 1))
			_exit(100);
		nonroot_user(node, &self->g, self->ps);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	unlink(node);
	rmdir(dir);
	ASSERT_TRUE(WIFEXITED(status)) TH_LOG("status %#x", status);
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("failed at step %d", WEXITSTATUS(status));
	if (kmsg >= 0) {
		/* a warning, BUG or oops prints a call trace */
		EXPECT_FALSE(fdemo_kmsg_find(kmsg, "Call Trace"));
		close(kmsg);
	}
}

TEST_F(errors, runtime_params)
{
	static const char * const bad_ra[] = {
		"5000", "1025", "-1", "abc", "010", "+010",
	};
	__u64 v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_ra); i++) {
		EXPECT_EQ(-EINVAL, fdemo_param_set("readahead", bad_ra[i]))
			TH_LOG("readahead=\"%s\"", bad_ra[i]);
		ASSERT_EQ(0, fdemo_param_get("readahead", &v));
		EXPECT_EQ(FDEMO_DEF_READAHEAD, v);
	}
	EXPECT_EQ(0, fdemo_param_set("readahead", "1024"));
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
	EXPECT_EQ(1024, self->g.readahead);
	EXPECT_EQ(0, fdemo_param_set("readahead", "0"));
	ASSERT_EQ(0, fdemo_param_get("readahead", &v));
	EXPECT_EQ(0, v);

	EXPECT_EQ(-EINVAL, fdemo_param_set("fault_around", "maybe"));
	EXPECT_EQ(0, fdemo_param_set("fault_around", "N"));
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
	EXPECT_EQ(0, self->g.fault_around);

	/* Load-time only. */
	EXPECT_NE(0, fdemo_param_set("size", "4096"));
	EXPECT_NE(0, fdemo_param_set("reserved_size", "0"));
	ASSERT_EQ(0, fdemo_param_get("size", &v));
	EXPECT_EQ(self->g.size, v);
}

TEST_F(errors, stats_reset)
{
	struct fdemo_stats s;
	char buf[16];
	char *p;

	p = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, self->fd,
		 self->g.size - self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_poke(p, 1);
	munmap(p, 2 * self->ps);
	ASSERT_EQ(0, fdemo_stats(&s));
	EXPECT_LE(1, s.fault_cow);
	EXPECT_LE(1, s.pages_cached);

	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&s));
	EXPECT_EQ(0, s.fault_read + s.fault_cow + s.fault_shared + s.map_pages);
	EXPECT_EQ(0, s.page_mkwrite + s.sigbus + s.readahead + s.clean);
	/* pages_cached is a level, not an event count. */
	EXPECT_LE(1, s.pages_cached);
	/* reset is write-only. */
	EXPECT_NE(0, fdemo_read_file(FDEMO_STATS_DIR "/reset", buf, sizeof(buf)));
}

/* Load-time parameter checks: the module must not load. */
FIXTURE(load)
{
	int kmsg;
};

FIXTURE_SETUP(load)
{
	self->kmsg = -1;
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
	if (fdemo_loaded())
		ASSERT_EQ(0, fdemo_unload_retry());
	self->kmsg = fdemo_kmsg_open();
}

FIXTURE_TEARDOWN(load)
{
	if (self->kmsg >= 0)
		close(self->kmsg);
	if (fdemo_reload(""))
		fprintf(stderr, "# could not reload faultdemo with defaults\n");
}

TEST_F(load, bad_params_fail)
{
	static const char * const bad[] = {
		"size=0", "size=4097", "size=2T", "size=1025G", "size=junk",
		/* 2^64 bytes: the suffix overflows; octal-looking numbers */
		"size=16777216T", "size=18446744073709551616", "size=010M",
		"size=+010M", "reserved_size=04096", "readahead=010",
		"readahead=+010", "folio_order=09",
		/* RAM mode: more than half of RAM can never be evicted */
		"size=1T",
		"reserved_size=8M", "reserved_size=4100", "reserved_size=5M",
		"readahead=5000", "readahead=1025", "readahead=-1",
		/* 1 is refused; 9 is the PMD order and the page cache's max */
		"folio_order=1", "folio_order=10", "folio_order=-1",
		"folio_order=x",
	};
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = fdemo_load(bad[i]);
		if (!ret)
			fdemo_unload_retry();
		EXPECT_EQ(-EINVAL, ret) TH_LOG("insmod faultdemo %s", bad[i]);
		EXPECT_FALSE(fdemo_loaded()) TH_LOG("%s", bad[i]);
		EXPECT_NE(0, access(FDEMO_DEV, F_OK));
		if (self->kmsg >= 0)
			EXPECT_TRUE(fdemo_kmsg_find(self->kmsg, "faultdemo"))
				TH_LOG("no kernel message for %s", bad[i]);
	}
	ASSERT_EQ(0, fdemo_load(""));
	EXPECT_TRUE(fdemo_loaded());
}

/*
 * RAM mode: the data area's pages can never be evicted, so size may be at
 * most half of RAM (MemTotal is the kernel's totalram_pages()).
 */
TEST_F(load, ram_size_capped_at_half_of_ram)
{
	long long half = fdemo_meminfo_kb("MemTotal") * 1024 / 2;
	size_t ps = fdemo_page_size();
	char params[64];
	int ret;

	ASSERT_LT(0, half);
	half = half / ps * ps;
	snprintf(params, sizeof(params), "size=%lld", half);
	ASSERT_EQ(0, fdemo_load(params)) TH_LOG("%s", params);
	ASSERT_EQ(0, fdemo_unload_retry());
	snprintf(params, sizeof(params), "size=%lld", half + (long long)ps);
	ret = fdemo_load(params);
	if (!ret)
		fdemo_unload_retry();
	EXPECT_EQ(-EINVAL, ret) TH_LOG("%s", params);
	if (self->kmsg >= 0)
		EXPECT_TRUE(fdemo_kmsg_find(self->kmsg, "half of RAM"));
	ASSERT_EQ(0, fdemo_load(""));
}

TEST_F(load, edge_params_load)
{
	static const struct {
		const char *params;
		__u64 size, reserved, ra, fa, order;
	} good[] = {
		{ "size=4096", 4096, FDEMO_DEF_RESERVED, FDEMO_DEF_READAHEAD, 1, 0 },
		{ "size=128K", 128 << 10, FDEMO_DEF_RESERVED, FDEMO_DEF_READAHEAD, 1, 0 },
		{ "size=256M", 256 << 20, FDEMO_DEF_RESERVED, FDEMO_DEF_READAHEAD, 1, 0 },
		{ "reserved_size=0", FDEMO_DEF_SIZE, 0, FDEMO_DEF_READAHEAD, 1, 0 },
		{ "reserved_size=4M", FDEMO_DEF_SIZE, 4 << 20, FDEMO_DEF_READAHEAD, 1, 0 },
		{ "readahead=1024 fault_around=0", FDEMO_DEF_SIZE, FDEMO_DEF_RESERVED,
		  1024, 0, 0 },
		{ "readahead=0", FDEMO_DEF_SIZE, FDEMO_DEF_RESERVED, 0, 1, 0 },
		/* decimal, or hex with 0x; a lone 0 is not octal */
		{ "size=0x200000 reserved_size=0", 2 << 20, 0, FDEMO_DEF_READAHEAD, 1, 0 },
		{ "readahead=0x10", FDEMO_DEF_SIZE, FDEMO_DEF_RESERVED, 16, 1, 0 },
		/* a data area smaller than one large folio: small ones */
		{ "folio_order=9 size=4096", 4096, FDEMO_DEF_RESERVED,
		  FDEMO_DEF_READAHEAD, 1, 9 },
		{ "folio_order=2 size=12K", 12 << 10, FDEMO_DEF_RESERVED,
		  FDEMO_DEF_READAHEAD, 1, 2 },
	};
	struct faultdemo_geometry g;
	__u64 v = 0x1234, r = 0;
	bool thp = fdemo_have_thp();
	size_t i;
	int fd, ret;

	for (i = 0; i < ARRAY_SIZE(good); i++) {
		if (good[i].order && !thp) {
			/* no large folios without THP: refused, saying why */
			ret = fdemo_load(good[i].params);
			if (!ret)
				fdemo_unload_retry();
			EXPECT_EQ(-EINVAL, ret) TH_LOG("%s without THP", good[i].params);
			if (self->kmsg >= 0)
				EXPECT_TRUE(fdemo_kmsg_find(self->kmsg,
							    "no CONFIG_TRANSPARENT_HUGEPAGE"));
			continue;
		}
		ASSERT_EQ(0, fdemo_load(good[i].params)) TH_LOG("%s", good[i].params);
		fd = fdemo_open(O_RDWR);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, fdemo_geometry(fd, &g));
		EXPECT_EQ(good[i].size, g.size) TH_LOG("%s", good[i].params);
		EXPECT_EQ(good[i].reserved, g.reserved_size);
		EXPECT_EQ(good[i].ra, g.readahead);
		EXPECT_EQ(good[i].fa, g.fault_around);
		EXPECT_EQ(good[i].order, g.folio_order);
		/* The last page works, the one after it does not. */
		EXPECT_EQ(8, pwrite(fd, &v, 8, g.size - 8));
		EXPECT_EQ(8, pread(fd, &r, 8, g.size - 8));
		EXPECT_EQ(v, r);
		errno = 0;
		EXPECT_EQ(-1, pwrite(fd, &v, 8, g.size));
		EXPECT_EQ(ENOSPC, errno);
		close(fd);
		ASSERT_EQ(0, fdemo_unload_retry());
	}
	ASSERT_EQ(0, fdemo_load(""));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * fork(): shared device pages stay shared, private copies are copied again
 * by the core (wp_page_copy, no handler), PFN mappings are copied without
 * faults, and a child keeps using a mapping its parent dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define NPAGES	16

FIXTURE(fork)
{
	int fd;
	size_t ps;
	__u64 seed;
	struct faultdemo_geometry g;
};

FIXTURE_SETUP(fork)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, NPAGES * self->ps, self->seed));
	ASSERT_EQ(0, fdemo_stats_reset());
}

FIXTURE_TEARDOWN(fork)
{
	close(self->fd);
}

/* Child's verdict: exit 0 if all its checks passed, else the failing check. */
static void child_check(int n, bool ok, const char *what)
{
	if (ok)
		return;
	fprintf(stderr, "# child check %d failed: %s\n", n, what);
	_exit(n);
}

#define CHILD_CHECK(n, cond)	child_check(n, cond, #cond)

static int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* Writes through a shared mapping cross fork() both ways. */
TEST_F(fork, shared_mapping_shared)
{
	__u64 v;
	pid_t pid;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_poke(p, 0x1001);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHILD_CHECK(1, fdemo_peek(p) == 0x1001);
		fdemo_poke(p + 8, 0x2002);
		fdemo_poke(p + 5 * self->ps, 0x3003);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	EXPECT_EQ(0x2002, fdemo_peek(p + 8));
	EXPECT_EQ(0x3003, fdemo_peek(p + 5 * self->ps));
	ASSERT_EQ(8, pread(self->fd, &v, 8, 5 * self->ps));
	EXPECT_EQ(0x3003, v);
	munmap(p, NPAGES * self->ps);
}

/*
 * A private page already copied by do_cow_fault is copied again when the
 * child writes it after fork(): wp_page_copy, no faultdemo handler.
 */
TEST_F(fork, private_copy_after_fork)
{
	struct fdemo_stats a, b, d;
	int pfd[2], rfd[2];
	char c = 0;
	pid_t pid;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_poke(p, 0xaaaa);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(rfd));
	ASSERT_EQ(0, fdemo_stats(&a));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u64 before, after;

		CHILD_CHECK(1, fdemo_peek(p) == 0xaaaa);
		before = fdemo_pagemap_one(p);
		/* parent and child share the anonymous copy now */
		CHILD_CHECK(2, (before & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE)) ==
			    PM_PRESENT);
		fdemo_poke(p, 0xbbbb);
		after = fdemo_pagemap_one(p);
		CHILD_CHECK(3, (after & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE)) ==
			    (PM_PRESENT | PM_EXCLUSIVE));
		CHILD_CHECK(4, (after & PM_PFN_MASK) != (before & PM_PFN_MASK));
		CHILD_CHECK(5, write(rfd[1], "x", 1) == 1);
		CHILD_CHECK(6, read(pfd[0], &c, 1) == 1);
		CHILD_CHECK(7, fdemo_peek(p) == 0xbbbb);
		_exit(0);
	}
	ASSERT_EQ(1, read(rfd[0], &c, 1));
	ASSERT_EQ(0, fdemo_stats(&b));
	fdemo_stats_sub(&b, &a, &d);
	EXPECT_EQ(0, d.fault_cow + d.fault_read + d.fault_shared);
	EXPECT_EQ(0, d.page_mkwrite + d.map_pages);
	EXPECT_EQ(0xaaaa, fdemo_peek(p));
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	ASSERT_EQ(0, wait_child(pid));
	EXPECT_EQ(0xaaaa, fdemo_peek(p));
	EXPECT_EQ(0, fdemo_check_dev(self->fd, 0, NPAGES * self->ps, self->seed));
	munmap(p, NPAGES * self->ps);
}

/*
 * A private read-only mapping: the child faults the same device page in
 * (file page, mapped twice while both live).
 */
TEST_F(fork, private_readonly_page_shared)
{
	int pfd[2], rfd[2];
	__u64 ent, pe;
	char c = 0;
	pid_t pid;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ, MAP_PRIVATE, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, 1);
	pe = fdemo_pagemap_one(p);
	ASSERT_EQ(PM_PRESENT | PM_FILE | PM_EXCLUSIVE,
		  pe & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(rfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		CHILD_CHECK(1, fdemo_check(p, 0, self->ps, self->seed) == -1);
		ent = fdemo_pagemap_one(p);
		CHILD_CHECK(2, (ent & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE)) ==
			    (PM_PRESENT | PM_FILE));
		CHILD_CHECK(3, (ent & PM_PFN_MASK) == (pe & PM_PFN_MASK));
		CHILD_CHECK(4, write(rfd[1], "x", 1) == 1);
		CHILD_CHECK(5, read(pfd[0], &c, 1) == 1);
		_exit(0);
	}
	ASSERT_EQ(1, read(rfd[0], &c, 1));
	ent = fdemo_pagemap_one(p);
	EXPECT_EQ(PM_PRESENT | PM_FILE, ent & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	ASSERT_EQ(0, wait_child(pid));
	ent = fdemo_pagemap_one(p);
	EXPECT_EQ(PM_PRESENT | PM_FILE | PM_EXCLUSIVE,
		  ent & (PM_PRESENT | PM_FILE | PM_EXCLUSIVE));
	munmap(p, NPAGES * self->ps);
}

/* Shared pages in the child count as Shared_* in smaps. */
TEST_F(fork, smaps_shared_after_fork)
{
	int pfd[2], rfd[2];
	char c = 0;
	pid_t pid;
	char *p;
	long kb = NPAGES * self->ps / 1024;

	p = fdemo_mmap_aligned(self->fd, NPAGES * self->ps, PROT_READ, MAP_SHARED,
			       0, NPAGES * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, NPAGES);
	ASSERT_EQ(0, pipe(pfd));
	ASSERT_EQ(0, pipe(rfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fdemo_touch(p, NPAGES);
		CHILD_CHECK(1, fdemo_smaps_kb(p, "Rss") == kb);
		CHILD_CHECK(2, fdemo_smaps_kb(p, "Shared_Clean") +
			    fdemo_smaps_kb(p, "Shared_Dirty") == kb);
		CHILD_CHECK(3, write(rfd[1], "x", 1) == 1);
		CHILD_CHECK(4, read(pfd[0], &c, 1) == 1);
		_exit(0);
	}
	ASSERT_EQ(1, read(rfd[0], &c, 1));
	EXPECT_EQ(kb, fdemo_smaps_kb(p, "Shared_Clean") +
		  fdemo_smaps_kb(p, "Shared_Dirty"));
	ASSERT_EQ(1, write(pfd[1], "x", 1));
	ASSERT_EQ(0, wait_child(pid));
	EXPECT_EQ(0, fdemo_smaps_kb(p, "Shared_Clean") +
		  fdemo_smaps_kb(p, "Shared_Dirty"));
	munmap(p, NPAGES * self->ps);
}

/* The reserved window is copied at fork() (VM_PFNMAP): no faults in the child. */
TEST_F(fork, reserved_window_no_faults)
{
	size_t n;
	pid_t pid;
	char *p;

	if (!self->g.reserved_size)
		SKIP(return, "reserved window disabled");
	n = self->g.reserved_size / self->ps;
	p = mmap(NULL, self->g.reserved_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, FAULTDEMO_RESERVED_OFFSET);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_poke(p, 0x5eed);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		long f0, f1;

		f0 = fdemo_faults();
		fdemo_touch(p, n);
		fdemo_dirty(p + self->ps, n - 1, 0xc41d);
		f1 = fdemo_faults();
		CHILD_CHECK(1, f1 == f0);
		CHILD_CHECK(2, fdemo_peek(p) == 0x5eed);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	EXPECT_EQ(0xc41d, fdemo_peek(p + (n - 1) * self->ps));
	munmap(p, self->g.reserved_size);
}

/* The child keeps a mapping its parent unmapped and closed. */
TEST_F(fork, child_outlives_parent_mapping)
{
	int pfd[2];
	char c = 0;
	pid_t pid;
	char *p;

	p = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(pfd[1]);
		CHILD_CHECK(1, read(pfd[0], &c, 1) == 0);
		CHILD_CHECK(2, fdemo_check(p, 0, NPAGES * self->ps, self->seed) == -1);
		fdemo_poke(p + 7 * self->ps, 0x7777);
		_exit(0);
	}
	close(pfd[0]);
	munmap(p, NPAGES * self->ps);
	close(self->fd);
	self->fd = -1;
	close(pfd[1]);
	ASSERT_EQ(0, wait_child(pid));
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 7 * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0x7777, fdemo_peek(p));
	munmap(p, self->ps);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Signals: SIGBUS for pages mapped past the end of the data area (.fault
 * returns VM_FAULT_SIGBUS), SIGSEGV for accesses the vma does not allow
 * (the core never calls the driver).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

FIXTURE(signals)
{
	int fd;
	size_t ps;
	struct faultdemo_geometry g;
	struct fdemo_stats s0;
};

FIXTURE_SETUP(signals)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(signals)
{
	close(self->fd);
}

/*
 * Map the last page of the data area and the page after it; the first
 * works, the second raises SIGBUS for each kind of access.
 */
static void sigbus_past_end(struct __test_metadata *_metadata, int fd,
			    __u64 size, int flags, bool write)
{
	size_t ps = fdemo_page_size();
	struct fdemo_stats s0, d;
	struct fdemo_sig sig;
	char *p;

	ASSERT_EQ(0, fdemo_stats(&s0));
	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, flags, fd, size - ps);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap past the end: %s", strerror(errno));
	EXPECT_EQ(0, fdemo_probe(p, write, 1, &sig));
	ASSERT_EQ(0, fdemo_stats_delta(&s0, &d));
	EXPECT_EQ(0, d.sigbus);

	EXPECT_EQ(SIGBUS, fdemo_probe(p + ps, write, 1, &sig));
	EXPECT_EQ(BUS_ADRERR, sig.code);
	EXPECT_EQ(p + ps, sig.addr);
	ASSERT_EQ(0, fdemo_stats_delta(&s0, &d));
	EXPECT_EQ(1, d.sigbus);
	EXPECT_EQ(0, fdemo_pagemap_one(p + ps) & PM_PRESENT);

	/* Still SIGBUS the second time: nothing was mapped. */
	EXPECT_EQ(SIGBUS, fdemo_probe(p + ps + 64, write, 1, &sig));
	ASSERT_EQ(0, fdemo_stats_delta(&s0, &d));
	EXPECT_EQ(1, d.sigbus);
	munmap(p, 2 * ps);
}

TEST_F(signals, sigbus_read_shared)
{
	sigbus_past_end(_metadata, self->fd, self->g.size, MAP_SHARED, false);
}

TEST_F(signals, sigbus_write_shared)
{
	sigbus_past_end(_metadata, self->fd, self->g.size, MAP_SHARED, true);
}

TEST_F(signals, sigbus_read_private)
{
	sigbus_past_end(_metadata, self->fd, self->g.size, MAP_PRIVATE, false);
}

TEST_F(signals, sigbus_write_private)
{
	sigbus_past_end(_metadata, self->fd, self->g.size, MAP_PRIVATE, true);
}

/* Far past the end, just below the reserved window. */
TEST_F(signals, sigbus_below_reserved_window)
{
	struct fdemo_sig sig;
	struct fdemo_stats d;
	char *p;

	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd,
		 FAULTDEMO_RESERVED_OFFSET - self->ps);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	EXPECT_EQ(SIGBUS, fdemo_probe(p, false, 0, &sig));
	EXPECT_EQ(p, sig.addr);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(1, d.sigbus);
	munmap(p, self->ps);
}

/* Store to a PROT_READ mapping: SEGV_ACCERR, no handler is called. */
TEST_F(signals, sigsegv_store_prot_read)
{
	struct fdemo_sig sig;
	struct fdemo_stats d;
	char *p;

	p = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(SIGSEGV, fdemo_probe(p, true, 1, &sig));
	EXPECT_EQ(SEGV_ACCERR, sig.code);
	EXPECT_EQ(p, sig.addr);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, d.fault_read + d.fault_shared + d.fault_cow);
	EXPECT_EQ(0, d.map_pages + d.page_mkwrite + d.sigbus);
	EXPECT_EQ(0, fdemo_pagemap_one(p) & PM_PRESENT);

	/* Mapped read-only by a read: the store still gets SIGSEGV. */
	EXPECT_EQ(0, fdemo_probe(p + self->ps, false, 0, &sig));
	EXPECT_EQ(SIGSEGV, fdemo_probe(p + self->ps, true, 1, &sig));
	EXPECT_EQ(SEGV_ACCERR, sig.code);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, d.page_mkwrite);
	munmap(p, 2 * self->ps);
}

/* PROT_NONE and unmapped addresses. */
TEST_F(signals, sigsegv_prot_none_and_unmapped)
{
	struct fdemo_sig sig;
	struct fdemo_stats d;
	char *p;

	p = mmap(NULL, 2 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, mprotect(p, self->ps, PROT_NONE));
	EXPECT_EQ(SIGSEGV, fdemo_probe(p, false, 0, &sig));
	EXPECT_EQ(SEGV_ACCERR, sig.code);
	ASSERT_EQ(0, munmap(p + self->ps, self->ps));
	EXPECT_EQ(SIGSEGV, fdemo_probe(p + self->ps, false, 0, &sig));
	EXPECT_EQ(SEGV_MAPERR, sig.code);
	EXPECT_EQ(p + self->ps, sig.addr);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(0, d.fault_read + d.fault_shared + d.fault_cow + d.map_pages);
	/* mprotect back: the page works again. */
	ASSERT_EQ(0, mprotect(p, self->ps, PROT_READ));
	EXPECT_EQ(0, fdemo_probe(p, false, 0, &sig));
	munmap(p, self->ps);
}

/* Without a handler SIGBUS kills the process. */
TEST_F_SIGNAL(signals, sigbus_kills, SIGBUS)
{
	char *p;

	p = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd,
		 self->g.size - self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, 2);
}

TEST_HARNESS_MAIN

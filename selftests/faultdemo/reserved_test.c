// SPDX-License-Identifier: GPL-2.0
/*
 * The reserved window at FAULTDEMO_RESERVED_OFFSET: remap_pfn_range() at
 * mmap() time, so it never faults; its bounds; VM_DONTEXPAND; MAP_PRIVATE
 * refused; ptrace and /proc/PID/mem through .access; contents live as
 * long as the module; a window mapping merged into a data-area one is
 * data.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define RES	FAULTDEMO_RESERVED_OFFSET

FIXTURE(reserved)
{
	int fd;
	size_t ps;
	size_t n;		/* pages in the window */
	struct faultdemo_geometry g;
	struct fdemo_stats s0;
};

FIXTURE_SETUP(reserved)
{
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
	if (!self->g.reserved_size)
		SKIP(return, "reserved window disabled (reserved_size=0)");
	self->n = self->g.reserved_size / self->ps;
	ASSERT_EQ(0, fdemo_stats_reset());
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(reserved)
{
	close(self->fd);
}

static void expect_no_handler(struct __test_metadata *_metadata,
			      const struct fdemo_stats *s0)
{
	struct fdemo_stats s1, d;

	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, s0, &d);
	EXPECT_EQ(0, d.fault_read + d.fault_cow + d.fault_shared);
	EXPECT_EQ(0, d.map_pages + d.page_mkwrite + d.sigbus);
}

TEST_F(reserved, offset_published)
{
	__u64 off, rs;

	ASSERT_EQ(0, fdemo_read_u64(FDEMO_CLASS_DIR "/reserved_offset", &off));
	EXPECT_EQ(RES, off);
	EXPECT_EQ(RES, self->g.reserved_offset);
	ASSERT_EQ(0, fdemo_param_get("reserved_size", &rs));
	EXPECT_EQ(rs, self->g.reserved_size);
	EXPECT_EQ(0, self->g.reserved_size % self->ps);
}

/* Everything is mapped by mmap() itself; touching it all takes no fault. */
TEST_F(reserved, no_faults_shared)
{
	char vmflags[512];
	long f0, f1;
	char *p;

	p = mmap(NULL, self->g.reserved_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, RES);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	/*
	 * pagemap cannot show it (the page walker skips VM_PFNMAP vmas);
	 * smaps walks it but counts no struct-page backed memory there.
	 */
	f0 = fdemo_faults();
	fdemo_touch(p, self->n);
	fdemo_dirty(p, self->n, 0x4e5);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	expect_no_handler(_metadata, &self->s0);

	ASSERT_EQ(0, fdemo_smaps_vmflags(p, vmflags, sizeof(vmflags)));
	TH_LOG("VmFlags:%s", vmflags);
	EXPECT_TRUE(fdemo_vmflag(vmflags, "io"));
	EXPECT_TRUE(fdemo_vmflag(vmflags, "pf"));
	EXPECT_TRUE(fdemo_vmflag(vmflags, "dd"));
	EXPECT_TRUE(fdemo_vmflag(vmflags, "de"));
	EXPECT_TRUE(fdemo_vmflag(vmflags, "sh"));
	EXPECT_EQ(0, fdemo_smaps_kb(p, "Rss"));
	munmap(p, self->g.reserved_size);
}

/* Data mappings are ordinary file mappings: no pf/io. */
TEST_F(reserved, data_area_not_pfnmap)
{
	char vmflags[512];
	char *p;

	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_smaps_vmflags(p, vmflags, sizeof(vmflags)));
	EXPECT_FALSE(fdemo_vmflag(vmflags, "pf"));
	EXPECT_FALSE(fdemo_vmflag(vmflags, "io"));
	munmap(p, self->ps);
}

/* Contents persist across mappings and processes. */
TEST_F(reserved, content_persists)
{
	size_t len = self->g.reserved_size;
	__u64 seed = fdemo_seed();
	int status;
	pid_t pid;
	size_t i;
	char *p;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, RES);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < len / 8; i++)
		((__u64 *)p)[i] = fdemo_pattern(seed, i * 8);
	munmap(p, len);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int fd = fdemo_open(O_RDWR);
		char *q;

		if (fd < 0)
			_exit(1);
		q = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, RES);
		if (q == MAP_FAILED)
			_exit(2);
		if (fdemo_check(q, 0, len, seed) != -1)
			_exit(3);
		fdemo_poke(q + len - 8, 0xfeedface);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, RES);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(-1, fdemo_check(p, 0, len - 8, seed));
	EXPECT_EQ(0xfeedface, fdemo_peek(p + len - 8));
	munmap(p, len);
}

/* A part of the window maps the matching part. */
TEST_F(reserved, partial_mapping)
{
	char *all, *part;
	size_t i;

	if (self->n < 8)
		SKIP(return, "window too small");
	all = mmap(NULL, self->g.reserved_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->fd, RES);
	ASSERT_NE(MAP_FAILED, all);
	part = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, RES + 3 * self->ps);
	ASSERT_NE(MAP_FAILED, part) TH_LOG("mmap: %s", strerror(errno));
	/* pagemap never walks VM_PFNMAP: tell the pages apart by content */
	for (i = 0; i < self->n; i++)
		fdemo_poke(all + i * self->ps, 0x7a6700 + i);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(0x7a6700 + 3 + i, fdemo_peek(part + i * self->ps));
	fdemo_poke(part + 3 * self->ps + 8, 0x666);
	EXPECT_EQ(0x666, fdemo_peek(all + 6 * self->ps + 8));
	/* The last page alone. */
	munmap(part, 4 * self->ps);
	part = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd,
		    RES + self->g.reserved_size - self->ps);
	ASSERT_NE(MAP_FAILED, part);
	fdemo_poke(all + self->g.reserved_size - self->ps, 0x999);
	EXPECT_EQ(0x999, fdemo_peek(part));
	munmap(part, self->ps);
	munmap(all, self->g.reserved_size);
}

static int map_errno(int fd, size_t len, __u64 off)
{
	void *p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, off);

	if (p != MAP_FAILED) {
		munmap(p, len);
		return 0;
	}
	return errno;
}

/* Mappings that do not fit in the window fail with EINVAL. */
TEST_F(reserved, bounds)
{
	size_t rs = self->g.reserved_size, ps = self->ps;

	EXPECT_EQ(0, map_errno(self->fd, rs, RES));
	EXPECT_EQ(EINVAL, map_errno(self->fd, rs + ps, RES));
	EXPECT_EQ(EINVAL, map_errno(self->fd, 2 * ps, RES + rs - ps));
	EXPECT_EQ(EINVAL, map_errno(self->fd, ps, RES + rs));
	EXPECT_EQ(EINVAL, map_errno(self->fd, ps, RES + (1ULL << 30)));
	EXPECT_EQ(EINVAL, map_errno(self->fd, ps, 2 * RES));
	/* A data mapping may not run into the window. */
	EXPECT_EQ(EINVAL, map_errno(self->fd, 2 * ps, RES - ps));
}

/* VM_DONTEXPAND: mremap() cannot grow it; shrinking is fine. */
TEST_F(reserved, mremap)
{
	size_t half = self->g.reserved_size / 2;
	struct fdemo_sig sig;
	char *p, *q;

	p = mmap(NULL, half, PROT_READ, MAP_SHARED, self->fd, RES);
	ASSERT_NE(MAP_FAILED, p);
	q = mremap(p, half, 2 * half, MREMAP_MAYMOVE);
	EXPECT_EQ(MAP_FAILED, q);
	EXPECT_EQ(EFAULT, errno);
	q = mremap(p, half, half / 2, 0);
	EXPECT_EQ(p, q);
	EXPECT_EQ(0, fdemo_probe(p + half / 2 - self->ps, false, 0, &sig));
	EXPECT_EQ(SIGSEGV, fdemo_probe(p + half / 2, false, 0, &sig));
	munmap(p, half / 2);
}

/*
 * MAP_PRIVATE of the window is refused (it would put the window's pfn in
 * vm_pgoff, printed by /proc/PID/maps); every shared mapping, also of an
 * O_RDONLY descriptor, works and shows its file offset.
 */
TEST_F(reserved, private_mapping_is_refused)
{
	static const struct {
		int oflags, prot, flags, err;
	} cases[] = {
		{ O_RDWR, PROT_READ | PROT_WRITE, MAP_PRIVATE, EINVAL },
		{ O_RDWR, PROT_READ, MAP_PRIVATE, EINVAL },
		{ O_RDWR, PROT_NONE, MAP_PRIVATE, EINVAL },
		{ O_RDONLY, PROT_READ | PROT_WRITE, MAP_PRIVATE, EINVAL },
		{ O_RDONLY, PROT_READ, MAP_PRIVATE | MAP_POPULATE, EINVAL },
		{ O_RDWR, PROT_READ | PROT_WRITE, MAP_SHARED, 0 },
		{ O_RDWR, PROT_READ, MAP_SHARED_VALIDATE, 0 },
		{ O_RDONLY, PROT_READ, MAP_SHARED, 0 },
		{ O_RDONLY, PROT_READ | PROT_WRITE, MAP_SHARED, EACCES },
	};
	size_t i, len = 2 * self->ps;
	__u64 off = RES + self->ps;
	int fd, err;
	char *p;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		fd = fdemo_open(cases[i].oflags);
		ASSERT_LE(0, fd);
		p = mmap(NULL, len, cases[i].prot, cases[i].flags, fd, off);
		err = p == MAP_FAILED ? errno : 0;
		EXPECT_EQ(cases[i].err, err) TH_LOG("case %zu", i);
		if (p != MAP_FAILED) {
			EXPECT_EQ((long long)off, fdemo_maps_offset(p))
				TH_LOG("case %zu: offset in /proc/self/maps", i);
			munmap(p, len);
		}
		close(fd);
	}
	expect_no_handler(_metadata, &self->s0);
}

/*
 * A window mapping placed directly after a data-area mapping that ends at
 * 1 TiB is merged into it before ->mmap runs (faultdemo(4), NOTES): no
 * VM_PFNMAP, even MAP_PRIVATE succeeds, and a load is a data-area fault
 * past the end, SIGBUS. It never exposes the window.
 */
TEST_F(reserved, window_merged_into_data_is_data)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	struct fdemo_stats s1, d;
	struct fdemo_sig sig;
	char vmflags[256];
	char *q, *p;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		/* two pages of address space, then both mappings in it */
		q = mmap(NULL, 2 * self->ps, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, q);
		p = mmap(q, self->ps, PROT_READ, flags[i] | MAP_FIXED, self->fd,
			 RES - self->ps);
		ASSERT_EQ(q, p) TH_LOG("case %zu: the last data page: %s", i,
				       strerror(errno));
		p = mmap(q + self->ps, self->ps, PROT_READ, flags[i] | MAP_FIXED,
			 self->fd, RES);
		ASSERT_EQ(q + self->ps, p) TH_LOG("case %zu: merged, so mapped: %s",
						  i, strerror(errno));
		ASSERT_EQ(0, fdemo_smaps_vmflags(p, vmflags, sizeof(vmflags)));
		EXPECT_FALSE(fdemo_vmflag(vmflags, "pf"))
			TH_LOG("case %zu: VmFlags %s", i, vmflags);
		ASSERT_EQ(0, fdemo_stats(&s1));
		EXPECT_EQ(SIGBUS, fdemo_probe(p, false, 0, &sig))
			TH_LOG("case %zu", i);
		ASSERT_EQ(0, fdemo_stats_delta(&s1, &d));
		EXPECT_EQ(1, d.sigbus) TH_LOG("case %zu: the data area's .fault", i);
		munmap(q, 2 * self->ps);
	}
}

/*
 * ptrace and /proc/PID/mem cannot pin a VM_PFNMAP page (GUP refuses it):
 * they reach the window through .access, through any part of it, and
 * write only where the mapping is writable. The data area needs no
 * .access: GUP finds its pages.
 */
TEST_F(reserved, proc_mem_reaches_the_window)
{
	size_t len = self->g.reserved_size;
	char *rw, *ro, *part, *data;
	__u64 v = 0;
	int mem, status;
	pid_t pid;

	if (self->n < 4)
		SKIP(return, "window too small");
	rw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd, RES);
	ASSERT_NE(MAP_FAILED, rw);
	ro = mmap(NULL, len, PROT_READ, MAP_SHARED, self->fd, RES);
	ASSERT_NE(MAP_FAILED, ro);
	part = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, RES + 2 * self->ps);
	ASSERT_NE(MAP_FAILED, part);
	data = mmap(NULL, self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		    self->fd, 0);
	ASSERT_NE(MAP_FAILED, data);
	mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, mem) TH_LOG("/proc/self/mem: %s", strerror(errno));

	fdemo_poke(rw + 2 * self->ps + 16, 0xacce55);
	ASSERT_EQ(8, pread(mem, &v, 8, (unsigned long)(part + 16)))
		TH_LOG("pread: %s", strerror(errno));
	EXPECT_EQ(0xacce55, v);
	v = 0x5eed;
	ASSERT_EQ(8, pwrite(mem, &v, 8, (unsigned long)(rw + 3 * self->ps - 8)))
		TH_LOG("pwrite: %s", strerror(errno));
	EXPECT_EQ(0x5eed, fdemo_peek(part + self->ps - 8));
	EXPECT_EQ(0x5eed, fdemo_peek(ro + 3 * self->ps - 8));
	/* read-only PTE: .access refuses, /proc/PID/mem says EIO */
	v = 0xbad;
	EXPECT_EQ(-1, pwrite(mem, &v, 8, (unsigned long)(ro + 8)));
	EXPECT_EQ(EIO, errno);
	EXPECT_NE(0xbad, fdemo_peek(rw + 8));
	close(mem);

	/* a tracer: PEEKDATA and POKEDATA on the window and the data area */
	fdemo_poke(data, 0xda7a);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(2);
		raise(SIGSTOP);
		_exit(fdemo_peek(rw + 16) == 0x7ace && fdemo_peek(data + 8) == 0xd00d ?
		      0 : 1);
	}
	/* no ASSERT until the child runs again: a stopped child holds the device */
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ASSERT_TRUE(false) TH_LOG("child not stopped: status %#x", status);
	}
	errno = 0;
	EXPECT_EQ(0xacce55, ptrace(PTRACE_PEEKDATA, pid, part + 16, NULL));
	EXPECT_EQ(0, errno);
	EXPECT_EQ(0xda7a, ptrace(PTRACE_PEEKDATA, pid, data, NULL));
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, rw + 16, (void *)0x7ace));
	EXPECT_EQ(0, ptrace(PTRACE_POKEDATA, pid, data + 8, (void *)0xd00d));
	/* not even FOLL_FORCE writes the window through a read-only mapping */
	EXPECT_EQ(-1, ptrace(PTRACE_POKEDATA, pid, ro + 24, (void *)0xbad));
	EXPECT_EQ(EIO, errno);
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL)) {
		kill(pid, SIGKILL);
		EXPECT_TRUE(false) TH_LOG("PTRACE_DETACH: %s", strerror(errno));
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0x7ace, fdemo_peek(rw + 16));
	EXPECT_EQ(0xd00d, fdemo_peek(data + 8));
	EXPECT_NE(0xbad, fdemo_peek(rw + 24));
	munmap(data, self->ps);
	munmap(part, self->ps);
	munmap(ro, len);
	munmap(rw, len);
}

/* Tests that reload the module with other parameters. */
FIXTURE(reserved_reload)
{
	int fd;
	size_t ps;
};

FIXTURE_SETUP(reserved_reload)
{
	self->fd = -1;
	self->ps = fdemo_page_size();
	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set");
}

FIXTURE_TEARDOWN(reserved_reload)
{
	if (self->fd >= 0)
		close(self->fd);
	if (fdemo_reload(""))
		fprintf(stderr, "# could not reload faultdemo with defaults\n");
}

/* The window is zeroed when the module loads. */
TEST_F(reserved_reload, zeroed_at_load)
{
	struct faultdemo_geometry g;
	size_t i;
	char *p;

	ASSERT_EQ(0, fdemo_reload(""));
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &g));
	ASSERT_NE(0, g.reserved_size);
	p = mmap(NULL, g.reserved_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, RES);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0xa5, g.reserved_size);
	munmap(p, g.reserved_size);
	close(self->fd);
	self->fd = -1;

	ASSERT_EQ(0, fdemo_reload(""));
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	p = mmap(NULL, g.reserved_size, PROT_READ, MAP_SHARED, self->fd, RES);
	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < g.reserved_size / 8; i++)
		if (fdemo_peek(p + i * 8))
			break;
	EXPECT_EQ(g.reserved_size / 8, i) TH_LOG("nonzero at byte %zu", i * 8);
	munmap(p, g.reserved_size);
}

/* reserved_size=0: no window, the data area still works. */
TEST_F(reserved_reload, disabled)
{
	struct faultdemo_geometry g;
	char *p;

	ASSERT_EQ(0, fdemo_reload("reserved_size=0"));
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &g));
	EXPECT_EQ(0, g.reserved_size);
	EXPECT_EQ(EINVAL, map_errno(self->fd, self->ps, RES));
	p = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, fdemo_peek(p));
	munmap(p, self->ps);
}

/* reserved_size=4M, the maximum. */
TEST_F(reserved_reload, largest)
{
	struct faultdemo_geometry g;
	long f0, f1;
	char *p;

	ASSERT_EQ(0, fdemo_reload("reserved_size=4M"));
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, fdemo_geometry(self->fd, &g));
	ASSERT_EQ(4ULL << 20, g.reserved_size);
	p = mmap(NULL, g.reserved_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, RES);
	ASSERT_NE(MAP_FAILED, p);
	f0 = fdemo_faults();
	fdemo_dirty(p, g.reserved_size / self->ps, 0x4);
	f1 = fdemo_faults();
	EXPECT_EQ(0, f1 - f0);
	munmap(p, g.reserved_size);
	EXPECT_EQ(EINVAL, map_errno(self->fd, g.reserved_size + self->ps, RES));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Tracepoints faultdemo:faultdemo_{fault,map_pages,page_mkwrite}: enabled
 * in a private tracefs instance, filtered on our pid; the events seen in
 * "trace" and "trace_pipe" match what we did and the counters, field by
 * field: page offset, kind, result.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "faultdemo_fixture.h"

#define NPAGES	16

static const char * const events[] = {
	"faultdemo_fault", "faultdemo_map_pages", "faultdemo_page_mkwrite",
	"faultdemo_mmap",
};

FIXTURE(trace)
{
	int fd;
	size_t ps;
	__u64 seed;
	char inst[256];
	bool have_inst;
	struct fdemo_stats s0;
};

static int inst_write(const char *inst, const char *file, const char *val)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", inst, file);
	return fdemo_write_file(path, val);
}

static int set_event(const char *inst, const char *event, bool on)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events/faultdemo/%s/%s", inst, event,
		 "enable");
	return fdemo_write_file(path, on ? "1" : "0");
}

FIXTURE_SETUP(trace)
{
	const char *tracefs;
	char pid[32];

	self->have_inst = false;
	self->fd = fdemo_fixture_open(_metadata, &self->ps);
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, 0, 2 * NPAGES * self->ps, self->seed));
	ASSERT_EQ(0, fdemo_clean(self->fd, 0, 2 * NPAGES * self->ps, NULL));

	tracefs = fdemo_tracefs();
	if (!tracefs)
		SKIP(return, "tracefs not available");
	snprintf(self->inst, sizeof(self->inst), "%s/instances/faultdemo_selftest_%d",
		 tracefs, getpid());
	ASSERT_EQ(0, mkdir(self->inst, 0700))
		TH_LOG("mkdir %s: %s", self->inst, strerror(errno));
	self->have_inst = true;
	snprintf(pid, sizeof(pid), "%d", getpid());
	ASSERT_EQ(0, inst_write(self->inst, "set_event_pid", pid));
	/* events are checked in order, across the CPUs' buffers */
	ASSERT_EQ(0, inst_write(self->inst, "trace_clock", "global"));
	ASSERT_EQ(0, inst_write(self->inst, "tracing_on", "1"));
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(trace)
{
	size_t i;

	if (self->have_inst) {
		for (i = 0; i < ARRAY_SIZE(events); i++)
			set_event(self->inst, events[i], false);
		if (rmdir(self->inst))
			fprintf(stderr, "# rmdir %s: %s\n", self->inst, strerror(errno));
	}
	fdemo_set_defaults();
	close(self->fd);
}

/* One event line of "trace" or "trace_pipe", its fields parsed. */
struct tp_event {
	char name[32];
	unsigned long pgoff, start, end;	/* start/end: map_pages, mmap */
	char kind[16];				/* faultdemo_fault */
	int shared, write, reserved, ret;	/* faultdemo_mmap */
	unsigned int order;
	int pmd;
	char result[64];
};

/* Parse @line if it records one of our events; false otherwise. */
static bool parse_event(const char *line, struct tp_event *e)
{
	const char *s = strstr(line, " faultdemo_");

	memset(e, 0, sizeof(*e));
	e->pmd = -1;
	if (line[0] == '#' || !s || sscanf(s + 1, "%31[a-z_]:", e->name) != 1)
		return false;
	s = strchr(s + 1, ':') + 1;
	if (!strcmp(e->name, "faultdemo_fault"))
		return sscanf(s, " pgoff=%lx kind=%15s order=%u pmd=%d result=%63s",
			      &e->pgoff, e->kind, &e->order, &e->pmd,
			      e->result) == 5;
	if (!strcmp(e->name, "faultdemo_map_pages"))
		return sscanf(s, " start_pgoff=%lx end_pgoff=%lx pmd=%d result=%63s",
			      &e->start, &e->end, &e->pmd, e->result) == 4;
	if (!strcmp(e->name, "faultdemo_page_mkwrite"))
		return sscanf(s, " pgoff=%lx result=%63s", &e->pgoff,
			      e->result) == 2;
	if (!strcmp(e->name, "faultdemo_mmap"))
		return sscanf(s,
			      " start=%lx end=%lx pgoff=%lx shared=%d write=%d reserved=%d ret=%d",
			      &e->start, &e->end, &e->pgoff, &e->shared, &e->write,
			      &e->reserved, &e->ret) == 7;
	return false;
}

/* Our events in the instance's "trace", in order; their count or -errno. */
static long read_events(const char *inst, struct tp_event *ev, size_t max)
{
	FILE *f = fdemo_trace_open(inst);
	char *line = NULL;
	size_t cap = 0;
	long n = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0 && (size_t)n < max)
		if (parse_event(line, &ev[n]))
			n++;
	free(line);
	fclose(f);
	return n;
}

/* Does "result=" @r hold flag @flag ("0" for none)? */
static bool has_flag(const char *r, const char *flag)
{
	size_t len = strlen(flag);
	const char *s;

	for (s = r; (s = strstr(s, flag)); s += len)
		if ((s == r || s[-1] == '|') && (s[len] == '\0' || s[len] == '|'))
			return true;
	return false;
}

TEST_F(trace, events_registered)
{
	char path[512], buf[4096], name[128];
	__u64 id;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), "%s/events/faultdemo/%s/format",
			 self->inst, events[i]);
		ASSERT_EQ(0, fdemo_read_file(path, buf, sizeof(buf))) TH_LOG("%s", path);
		snprintf(name, sizeof(name), "name: %s\n", events[i]);
		EXPECT_NE(NULL, strstr(buf, name)) TH_LOG("%s", buf);
		snprintf(path, sizeof(path), "%s/events/faultdemo/%s/id",
			 self->inst, events[i]);
		EXPECT_EQ(0, fdemo_read_u64(path, &id));
	}
}

/* One faultdemo_fault event per .fault call, of every kind. */
TEST_F(trace, fault_events_match_counters)
{
	static const struct {
		unsigned long pgoff;
		const char *kind;
	} want[] = {
		{ 0, "read" }, { 1, "read" }, { 2, "read" }, { 3, "read" },
		{ 4, "read" }, { 5, "read" }, { 6, "read" }, { 7, "read" },
		{ 0, "cow" }, { 1, "cow" }, { NPAGES, "shared" },
	};
	struct tp_event ev[64];
	struct fdemo_stats d;
	char *ro, *pr, *sh;
	size_t i;
	long n;

	/* no fault-around: every read fault is a .fault */
	ASSERT_EQ(0, fdemo_param_set("fault_around", "0"));
	ro = mmap(NULL, NPAGES * self->ps, PROT_READ, MAP_SHARED, self->fd, 0);
	pr = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		  self->fd, 0);
	sh = mmap(NULL, NPAGES * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED,
		  self->fd, NPAGES * self->ps);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, pr);
	ASSERT_NE(MAP_FAILED, sh);

	ASSERT_EQ(0, set_event(self->inst, "faultdemo_fault", true));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_touch(ro, 8);		/* 8 read */
	fdemo_dirty(pr, 2, 1);		/* 2 cow */
	fdemo_poke(sh, 1);		/* 1 shared (+ page_mkwrite) */
	ASSERT_EQ(0, set_event(self->inst, "faultdemo_fault", false));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_stats_print("delta", &d);
	EXPECT_EQ(8, d.fault_read);
	EXPECT_EQ(2, d.fault_cow);
	EXPECT_EQ(1, d.fault_shared);

	n = read_events(self->inst, ev, ARRAY_SIZE(ev));
	ASSERT_EQ(ARRAY_SIZE(want), n);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		EXPECT_STREQ("faultdemo_fault", ev[i].name);
		EXPECT_EQ(want[i].pgoff, ev[i].pgoff) TH_LOG("event %zu", i);
		EXPECT_STREQ(want[i].kind, ev[i].kind) TH_LOG("event %zu", i);
		EXPECT_EQ(0, ev[i].order);
		EXPECT_EQ(0, ev[i].pmd);
		/* the page comes back locked; RAM mode never does I/O */
		EXPECT_TRUE(has_flag(ev[i].result, "LOCKED"))
			TH_LOG("event %zu: result=%s", i, ev[i].result);
		EXPECT_FALSE(has_flag(ev[i].result, "MAJOR"));
	}

	/* Disabled: faults leave no trace. */
	fdemo_touch(ro + 8 * self->ps, 4);
	EXPECT_EQ(n, read_events(self->inst, ev, ARRAY_SIZE(ev)));
	munmap(ro, NPAGES * self->ps);
	munmap(pr, NPAGES * self->ps);
	munmap(sh, NPAGES * self->ps);
}

/* A load past the end of the data area: one fault event, result SIGBUS. */
TEST_F(trace, sigbus_past_the_end_is_traced)
{
	struct faultdemo_geometry g;
	struct tp_event ev[8];
	struct fdemo_sig sig;
	char *p;

	ASSERT_EQ(0, fdemo_geometry(self->fd, &g));
	p = mmap(NULL, 2 * self->ps, PROT_READ, MAP_SHARED, self->fd,
		 g.size - self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, 1);
	ASSERT_EQ(0, set_event(self->inst, "faultdemo_fault", true));
	ASSERT_EQ(0, set_event(self->inst, "faultdemo_map_pages", true));
	EXPECT_EQ(SIGBUS, fdemo_probe(p + self->ps, false, 0, &sig));
	/* fault-around first: it maps nothing past the end, then .fault */
	ASSERT_EQ(2, read_events(self->inst, ev, ARRAY_SIZE(ev)));
	EXPECT_STREQ("faultdemo_map_pages", ev[0].name);
	EXPECT_STREQ("0", ev[0].result);
	EXPECT_STREQ("faultdemo_fault", ev[1].name);
	EXPECT_EQ(g.size / self->ps, ev[1].pgoff);
	EXPECT_STREQ("read", ev[1].kind);
	EXPECT_STREQ("SIGBUS", ev[1].result);
	munmap(p, 2 * self->ps);
}

/* A fault served by fault-around shows a map_pages event and no fault. */
TEST_F(trace, map_pages_event)
{
	struct tp_event ev[8];
	struct fdemo_stats d;
	char *p;

	ASSERT_EQ(0, set_event(self->inst, "faultdemo_map_pages", true));
	ASSERT_EQ(0, set_event(self->inst, "faultdemo_fault", true));
	p = fdemo_mmap_aligned(self->fd, NPAGES * self->ps, PROT_READ, MAP_SHARED,
			       0, NPAGES * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_touch(p, NPAGES);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(NPAGES, fdemo_pagemap_count(p, NPAGES, PM_PRESENT, PM_PRESENT));
	/* the cache is warm: one map_pages call maps the 16-page window */
	ASSERT_EQ(1, read_events(self->inst, ev, ARRAY_SIZE(ev)));
	EXPECT_STREQ("faultdemo_map_pages", ev[0].name);
	EXPECT_EQ(0, ev[0].start);
	EXPECT_EQ(NPAGES - 1, ev[0].end);
	EXPECT_EQ(0, ev[0].pmd);
	/* the faulting page was mapped: the fault is done */
	EXPECT_TRUE(has_flag(ev[0].result, "NOPAGE")) TH_LOG("result=%s", ev[0].result);
	EXPECT_EQ(0, d.fault_read);
	EXPECT_EQ(1, d.map_pages);
	munmap(p, NPAGES * self->ps);
}

/*
 * faultdemo_mmap: where each mapping of the device went, what it maps,
 * and the refusals too (a private mapping of the reserved window).
 */
TEST_F(trace, mmap_event_places_each_mapping)
{
	struct faultdemo_geometry g;
	char *shared, *priv, *ro, *win;
	struct tp_event ev[8];
	int rofd;
	long n;

	ASSERT_EQ(0, fdemo_geometry(self->fd, &g));
	rofd = fdemo_open(O_RDONLY);
	ASSERT_LE(0, rofd);
	ASSERT_EQ(0, set_event(self->inst, "faultdemo_mmap", true));
	shared = mmap(NULL, 4 * self->ps, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		      2 * self->ps);
	ASSERT_NE(MAP_FAILED, shared);
	priv = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd, 5 * self->ps);
	ASSERT_NE(MAP_FAILED, priv);
	/* shared through a read-only open: the kernel drops VM_SHARED, not VM_MAYSHARE */
	ro = mmap(NULL, self->ps, PROT_READ, MAP_SHARED, rofd, 7 * self->ps);
	ASSERT_NE(MAP_FAILED, ro);
	win = MAP_FAILED;
	if (g.reserved_size) {
		win = mmap(NULL, self->ps, PROT_READ, MAP_PRIVATE, self->fd,
			   g.reserved_offset);
		EXPECT_EQ(MAP_FAILED, win);
	}

	n = read_events(self->inst, ev, ARRAY_SIZE(ev));
	ASSERT_EQ(g.reserved_size ? 4 : 3, n);
	EXPECT_EQ((unsigned long)shared, ev[0].start);
	EXPECT_EQ((unsigned long)shared + 4 * self->ps, ev[0].end);
	EXPECT_EQ(2, ev[0].pgoff);
	EXPECT_EQ(1, ev[0].shared);
	EXPECT_EQ(1, ev[0].write);
	EXPECT_EQ(0, ev[0].reserved);
	EXPECT_EQ(0, ev[0].ret);
	EXPECT_EQ((unsigned long)priv, ev[1].start);
	EXPECT_EQ(5, ev[1].pgoff);
	EXPECT_EQ(0, ev[1].shared);
	EXPECT_EQ(0, ev[1].write);
	EXPECT_EQ(0, ev[1].ret);
	EXPECT_EQ((unsigned long)ro, ev[2].start);
	EXPECT_EQ(1, ev[2].shared);
	EXPECT_EQ(0, ev[2].write);
	if (g.reserved_size) {
		EXPECT_EQ(1, ev[3].reserved);
		EXPECT_EQ(-EINVAL, ev[3].ret);
	}
	munmap(shared, 4 * self->ps);
	munmap(priv, self->ps);
	munmap(ro, self->ps);
	close(rofd);
}

/* page_mkwrite events, consumed from trace_pipe. */
TEST_F(trace, page_mkwrite_trace_pipe)
{
	struct fdemo_stats d;
	char path[512], buf[8192];
	struct tp_event ev[8];
	struct pollfd pfd;
	long found = 0, i;
	char *p, *s, *save;
	time_t end;
	ssize_t n;
	int tp;

	snprintf(path, sizeof(path), "%s/trace_pipe", self->inst);
	tp = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, tp) TH_LOG("%s: %s", path, strerror(errno));
	p = fdemo_mmap_aligned(self->fd, NPAGES * self->ps, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0, NPAGES * self->ps);
	ASSERT_NE(MAP_FAILED, p);
	fdemo_touch(p, 1);		/* maps the window read-only */
	ASSERT_EQ(0, set_event(self->inst, "faultdemo_page_mkwrite", true));
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	fdemo_dirty(p, 3, 0x77);
	ASSERT_EQ(0, fdemo_stats_delta(&self->s0, &d));
	EXPECT_EQ(3, d.page_mkwrite);

	end = time(NULL) + 10;
	while (found < 3 && time(NULL) < end) {
		pfd.fd = tp;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 500) <= 0)
			continue;
		n = read(tp, buf, sizeof(buf) - 1);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		for (s = strtok_r(buf, "\n", &save); s && found < 8;
		     s = strtok_r(NULL, "\n", &save))
			if (parse_event(s, &ev[found]))
				found++;
	}
	ASSERT_EQ(3, found);
	for (i = 0; i < 3; i++) {
		EXPECT_STREQ("faultdemo_page_mkwrite", ev[i].name);
		EXPECT_EQ(i, ev[i].pgoff);
		EXPECT_TRUE(has_flag(ev[i].result, "LOCKED"))
			TH_LOG("event %ld: result=%s", i, ev[i].result);
	}
	close(tp);
	munmap(p, NPAGES * self->ps);
}

TEST_HARNESS_MAIN

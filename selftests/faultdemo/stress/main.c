// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo_stress: a seeded random stress test with a shadow model. The
 * stress_test kselftest runs it from its own directory.
 *
 * Worker processes, each with threads, issue random operations on
 * /dev/faultdemo, valid and invalid: mmap (data area, past its end, the
 * reserved window, straddling, overflowing), munmap, mprotect, madvise,
 * mremap, fork, read/write and their p/v variants, sendfile, lseek,
 * fsync/msync and the ioctls. Every result is checked against the set the
 * documentation allows; anything else is an unexpected error.
 *
 * The model: the last pages of the data area (the "region") and the
 * reserved window are split among the worker threads, each of which alone
 * writes its own pages, so its shadow copy of them is exact. Every word an
 * owner writes carries its tag (owner + 1) in bits 48-63: any path that
 * reads an owned page must see the shadow, any read of another owner's page
 * must see only that owner's tag. A store through a MAP_PRIVATE mapping
 * writes words tagged PRIV_TAG into a private copy that the model keeps per
 * mapping; such a word must never show up anywhere else. Every write of
 * an owner first reads what it replaces, so a corrupted word is found even
 * if it is overwritten before anything else reads it; at the end every
 * page is compared through pread() and a fresh mapping. Touching a page
 * past the end of the data area must raise SIGBUS, nothing may raise any
 * other signal.
 *
 * Only thread 0 of each process forks.
 *
 * Environment: FAULTDEMO_STRESS_SEED (default: from the clock, always
 * printed), FAULTDEMO_STRESS_SECONDS (20, at most 300; the kselftest
 * runner's timeout in settings is 180 s), FAULTDEMO_STRESS_OPS (200000 per
 * thread), FAULTDEMO_STRESS_MIN_OPS (1: fail if the run did fewer in all),
 * FAULTDEMO_STRESS_PROCS (3), FAULTDEMO_STRESS_THREADS (2),
 * FAULTDEMO_STRESS_MB (region size, 8), FAULTDEMO_STRESS_PARAMS (1: flip
 * readahead and fault_around while running), FAULTDEMO_STRESS_NG (1: run
 * stress-ng as memory pressure, if installed), FAULTDEMO_STRESS_NG_BYTES
 * (the anonymous memory each of its two stressors keeps touching; unset:
 * 64M for --vm, 16M for --mmap).
 *
 * Output: plain lines, the last one the summary (stress/summary.h) that
 * stress_test parses. Exit status 0 if the run passed, KSFT_SKIP (4) if the
 * data area is too small for the workers, 1 otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "stress.h"
#include "summary.h"

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC		0x0001U
#endif

#define DEF_SECONDS		20
#define MAX_SECONDS		300	/* stress_test's harness timeout is 360 s */
#define GRACE_SECONDS		40	/* then the workers count as hung */
#define DEF_OPS			200000
#define DEF_PROCS		3
#define DEF_THREADS		2
#define MAX_WORKERS		16
#define DEF_REGION_MB		8

const struct op_desc op_table[NR_OPS] = {
	[OP_LOAD]	= { "load", 165, op_load },
	[OP_STORE]	= { "store", 162, op_store },
	[OP_PREAD]	= { "pread", 80, op_pread },
	[OP_PWRITE]	= { "pwrite", 80, op_pwrite },
	[OP_RDWR]	= { "read/write", 40, op_rdwr },
	[OP_EDGE]	= { "edge", 40, op_edge },
	[OP_COPY]	= { "copy", 30, op_copy },
	[OP_SENDFILE]	= { "sendfile", 20, op_sendfile },
	[OP_MMAP]	= { "mmap", 60, op_mmap },
	[OP_MMAP_RES]	= { "mmap_res", 30, op_mmap_res },
	[OP_MMAP_BAD]	= { "mmap_bad", 20, op_mmap_bad },
	[OP_MUNMAP]	= { "munmap", 50, op_munmap },
	[OP_MPROTECT]	= { "mprotect", 40, op_mprotect },
	[OP_MADVISE]	= { "madvise", 60, op_madvise },
	[OP_MREMAP]	= { "mremap", 30, op_mremap },
	[OP_LSEEK]	= { "lseek", 20, op_lseek },
	[OP_SYNC]	= { "sync", 30, op_sync },
	[OP_IOCTL]	= { "ioctl", 35, op_ioctl },
	[OP_FORK]	= { "fork", 8, op_fork },
};

struct stress_cfg cfg;
struct totals *tot;

static bool time_up(void)
{
	struct timespec now;

	if (__atomic_load_n(&tot->stop, __ATOMIC_RELAXED))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > cfg.deadline.tv_sec ||
	       (now.tv_sec == cfg.deadline.tv_sec &&
		now.tv_nsec >= cfg.deadline.tv_nsec);
}

static enum op pick_op(struct thr *t)
{
	unsigned int r = below(t, 1000), i;

	for (i = 0; i < NR_OPS - 1; i++) {
		if (r < op_table[i].weight)
			return i;
		r -= op_table[i].weight;
	}
	return NR_OPS - 1;
}

void run_ops(struct thr *t, __u64 n)
{
	enum op op;
	__u64 k;

	for (k = 0; k < n; k++) {
		if (!(k & 7) && time_up())
			break;
		/*
		 * Each operation draws from its own stream: the sequence of
		 * operations and their arguments depends on the seed only,
		 * not on what earlier ones returned.
		 */
		t->rng = t->seed ^ (t->ops * 0xd1b54a32d192ed03ULL);
		splitmix64(&t->rng);
		op = pick_op(t);
		t->ops++;
		t->by_op[op]++;
		t->ring[t->nring++ % RING] = (struct ring_ent){ .op = op };
		op_table[op].run(t);
	}
}

/* --- workers ---------------------------------------------------------- */

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	size_t bufsz = BUF_PAGES * cfg.ps;
	unsigned int i;
	int ret;

	cur_thr = t;
	t->fd = fdemo_open(O_RDWR);
	t->fd_ro = fdemo_open(O_RDONLY);
	t->fd_app = fdemo_open(O_RDWR | O_APPEND);
	t->fd_sync = fdemo_open(O_RDWR | O_SYNC);
	t->memfd = memfd_create("faultdemo-stress", MFD_CLOEXEC);
	t->guard = mmap(NULL, 2 * cfg.ps, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->buf = malloc(bufsz);
	t->exp = malloc(bufsz);
	t->snap = malloc(cfg.ps);
	t->widx = calloc(cfg.wpp, sizeof(*t->widx));
	t->wval = calloc(cfg.wpp, sizeof(*t->wval));
	t->mark = calloc(cfg.wpp, 1);
	if (t->fd < 0 || t->fd_ro < 0 || t->fd_app < 0 || t->fd_sync < 0 ||
	    t->memfd < 0 || t->guard == MAP_FAILED || !t->buf || !t->exp ||
	    !t->snap || !t->widx || !t->wval || !t->mark) {
		failure(t, false, "thread setup failed");
		return NULL;
	}
	t->rdonly = t->guard + cfg.ps;
	if (mprotect(t->guard, cfg.ps, PROT_NONE) ||
	    mprotect(t->rdonly, cfg.ps, PROT_READ)) {
		failure(t, false, "mprotect: %s", strerror(errno));
		return NULL;
	}

	run_ops(t, cfg.max_ops);

	for (i = 0; i < MAX_MAPS; i++) {
		if (!t->maps[i].addr)
			continue;
		ret = munmap(t->maps[i].addr, t->maps[i].npages * cfg.ps);
		expect(t, "munmap", ret, errno, ERRS(0));
		map_forget(&t->maps[i]);
	}
	__atomic_add_fetch(&tot->ops, t->ops, __ATOMIC_RELAXED);
	for (i = 0; i < NR_OPS; i++)
		__atomic_add_fetch(&tot->by_op[i], t->by_op[i], __ATOMIC_RELAXED);
	close(t->fd);
	close(t->fd_ro);
	close(t->fd_app);
	close(t->fd_sync);
	close(t->memfd);
	return NULL;
}

static void worker(unsigned int proc)
{
	struct sigaction sa;
	struct thr *thr;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		_exit(1);
	thr = calloc(cfg.nthreads, sizeof(*thr));
	if (!thr)
		_exit(1);
	for (i = 0; i < cfg.nthreads; i++) {
		thr[i].proc = proc;
		thr[i].idx = i;
		thr[i].owner = proc * cfg.nthreads + i;
		thr[i].seed = cfg.seed ^ (0x1000193ULL * (proc + 1)) ^
			      (0x9e3779b97f4a7c15ULL * (i + 1));
		thr[i].seed = splitmix64(&thr[i].seed);
		thr[i].ctr = (__u64)thr[i].owner << 40;
		if (pthread_create(&thr[i].tid, NULL, thread_main, &thr[i])) {
			say("pthread_create failed");
			_exit(1);
		}
	}
	for (i = 0; i < cfg.nthreads; i++)
		pthread_join(thr[i].tid, NULL);
	_exit(0);
}

/* --- the run ---------------------------------------------------------- */

static __u64 env_u64(const char *name, __u64 def, __u64 lo, __u64 hi)
{
	const char *s = getenv(name);
	__u64 v;

	if (!s || !*s)
		return def;
	if (fdemo_parse_u64(s, &v) || v < lo || v > hi) {
		printf("%s=%s: not a number in [%llu, %llu], using %llu\n",
		       name, s, (unsigned long long)lo, (unsigned long long)hi,
		       (unsigned long long)def);
		return def;
	}
	return v;
}

static void dump_stacks(pid_t pid)
{
	char path[320], buf[2048];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid,
			 de->d_name);
		if (!fdemo_read_file(path, buf, sizeof(buf)))
			printf("task %s of %d:\n%s\n", de->d_name, pid, buf);
	}
	closedir(d);
}

static pid_t start_stress_ng(unsigned int seconds)
{
	const char *s = getenv("FAULTDEMO_STRESS_NG");
	const char *bytes = getenv("FAULTDEMO_STRESS_NG_BYTES");
	bool set = bytes && *bytes;
	char tmo[32];
	pid_t pid;

	if (!s || strcmp(s, "1"))
		return 0;
	if (system("command -v stress-ng >/dev/null 2>&1")) {
		printf("stress-ng not found: no memory pressure\n");
		return 0;
	}
	snprintf(tmo, sizeof(tmo), "%us", seconds);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* its output is not ours: the reader of ours waits for EOF */
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		setpgid(0, 0);
		execlp("stress-ng", "stress-ng", "--vm", "1", "--vm-bytes",
		       set ? bytes : "64M", "--page-in", "--mmap", "1",
		       "--mmap-bytes", set ? bytes : "16M",
		       "--timeout", tmo, "--quiet", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		printf("stress-ng running as %d\n", pid);
	return pid > 0 ? pid : 0;
}

static void stop_stress_ng(pid_t pid)
{
	int i, status;

	if (!pid)
		return;
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			printf("stress-ng exited with %#x\n", status);
			return;
		}
		if (i == 50)
			kill(-pid, SIGTERM);
		usleep(100 * 1000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* The run cannot go on: say why, put the parameters back, fail. */
static __printf(1, 2) __noreturn void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("%s: ", STRESS_PROG);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fdemo_set_defaults();
	exit(1);
}

static void *shared_anon(size_t len, const char *what)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap of %s: %s", what, strerror(errno));
	return p;
}

/* The module's backing= device into @buf: true if it has one. */
static bool backing_device(char *buf, size_t len)
{
	return !fdemo_read_file(FDEMO_PARAM_DIR "/backing", buf, len) && buf[0];
}

/*
 * Every page of the region, with its owner's words (the model, already
 * set in @shadow), written to the device itself with O_DIRECT: the page
 * cache holds none of them, so nothing is stale afterwards.
 */
static void init_device(const char *dev, __u64 *shadow)
{
	const size_t chunk = 1UL << 20;
	__u64 i, done, len = (__u64)cfg.region_pages * cfg.ps;
	int fd = open(dev, O_WRONLY | O_DIRECT | O_CLOEXEC);
	size_t n;

	if (fd < 0)
		die("open %s: %s", dev, strerror(errno));
	for (i = 0; i < cfg.region_pages; i++)
		init_page(shadow + i * cfg.wpp, i, i / cfg.chunk + 1);
	/* the model is page-aligned shared memory: O_DIRECT takes it */
	for (done = 0; done < len; done += n) {
		n = len - done < chunk ? len - done : chunk;
		if (pwrite(fd, (char *)shadow + done, n, cfg.region_off + done) !=
		    (ssize_t)n)
			die("pwrite to %s at %#llx: %s", dev,
			    (unsigned long long)(cfg.region_off + done),
			    strerror(errno));
	}
	close(fd);
}

/*
 * Set up the configuration, the shared model and the device's contents;
 * exit with KSFT_SKIP if the data area is too small.
 */
static void prepare(int fd, const struct faultdemo_geometry *g)
{
	__u64 mb, pages, i, res;
	char *win, dev[256];
	long cached;
	size_t len;
	int tag;

	cfg.g = *g;
	cfg.ps = g->page_size;
	cfg.wpp = cfg.ps / 8;
	cfg.size = g->size;
	cfg.size_pages = g->size / cfg.ps;
	cfg.seed = env_u64("FAULTDEMO_STRESS_SEED", fdemo_seed(), 0, ~0ULL);
	printf("seed: %llu\n", (unsigned long long)cfg.seed);
	cfg.seconds = env_u64("FAULTDEMO_STRESS_SECONDS", DEF_SECONDS, 1,
			      MAX_SECONDS);
	cfg.max_ops = env_u64("FAULTDEMO_STRESS_OPS", DEF_OPS, 1, ~0ULL);
	cfg.min_ops = env_u64("FAULTDEMO_STRESS_MIN_OPS", 1, 1, ~0ULL);
	cfg.nprocs = env_u64("FAULTDEMO_STRESS_PROCS", DEF_PROCS, 1, MAX_WORKERS);
	cfg.nthreads = env_u64("FAULTDEMO_STRESS_THREADS", DEF_THREADS, 1,
			       MAX_WORKERS);
	cfg.nowners = cfg.nprocs * cfg.nthreads;
	mb = env_u64("FAULTDEMO_STRESS_MB", DEF_REGION_MB, 1, 1024);

	pages = (mb << 20) / cfg.ps;
	if (pages > cfg.size_pages)
		pages = cfg.size_pages;
	cfg.chunk = pages / cfg.nowners;
	if (cfg.chunk < 2) {
		printf(STRESS_SKIP "data area too small for %u owners\n",
		       cfg.nowners);
		fdemo_set_defaults();
		exit(KSFT_SKIP);
	}
	cfg.region_pages = cfg.chunk * cfg.nowners;
	cfg.region_first = cfg.size_pages - cfg.region_pages;
	cfg.region_off = cfg.region_first * cfg.ps;
	cfg.res_size = g->reserved_size;
	cfg.res_pages = g->reserved_size / cfg.ps;
	cfg.rchunk = cfg.res_pages / cfg.nowners;

	tot = shared_anon(sizeof(*tot), "the totals");
	dshadow = shared_anon(cfg.region_pages * cfg.ps, "the region's model");
	if (cfg.res_pages)
		rshadow = shared_anon(cfg.res_size, "the window's model");

	/*
	 * A cold region (never touched since the load) of the RAM store
	 * reads as zeroes and goes through .fault's allocation; on a disk
	 * it holds what an earlier run left there, so the owners' words are
	 * written to the device itself, under the empty page cache, and the
	 * first reads go through read-ahead. A region with pages cached gets
	 * them through pwrite().
	 */
	cached = fdemo_cached_in(cfg.region_first, cfg.region_pages);
	if (cached < 0)
		die("pages cached in the region: %s", strerror(-cached));
	cfg.zero_ok = cached == 0;
	if (cfg.zero_ok && backing_device(dev, sizeof(dev))) {
		init_device(dev, dshadow);
		cfg.zero_ok = false;
	} else if (!cfg.zero_ok) {
		for (i = 0; i < cfg.region_pages; i++) {
			__u64 *page = dshadow + i * cfg.wpp;

			init_page(page, i, i / cfg.chunk + 1);
			if (pwrite(fd, page, cfg.ps, (cfg.region_first + i) * cfg.ps) !=
			    (ssize_t)cfg.ps)
				die("pwrite of data page %#llx: %s",
				    (unsigned long long)(cfg.region_first + i),
				    strerror(errno));
		}
	}
	if (cfg.res_pages) {
		res = FAULTDEMO_RESERVED_OFFSET;
		win = mmap(NULL, cfg.res_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, res);
		if (win == MAP_FAILED)
			die("mmap of the reserved window: %s", strerror(errno));
		for (i = 0; i < cfg.res_pages; i++) {
			tag = cfg.rchunk && i / cfg.rchunk < cfg.nowners ?
			      i / cfg.rchunk + 1 : 0;
			init_page(rshadow + i * cfg.wpp, i, tag);
		}
		memcpy(win, rshadow, cfg.res_size);
		munmap(win, cfg.res_size);
	}
	len = cfg.region_pages * cfg.ps;
	printf("config: %u processes x %u threads, %u s, %llu ops per thread\n",
	       cfg.nprocs, cfg.nthreads, cfg.seconds,
	       (unsigned long long)cfg.max_ops);
	printf("region: %zu KiB at %#llx (%s), window %llu KiB\n",
	       len >> 10, (unsigned long long)cfg.region_off,
	       cfg.zero_ok ? "cold" : "initialised",
	       (unsigned long long)cfg.res_size >> 10);
}

/*
 * After the run: every page through pread() and a fresh mapping, a page
 * at a time, so that the check needs no memory of the region's size (it
 * may run in a memory cgroup smaller than that).
 */
static void final_check(int fd)
{
	size_t len = cfg.region_pages * cfg.ps;
	__u64 bad = 0, i;
	char *buf, *map;

	buf = malloc(cfg.ps);
	if (!buf)
		die("out of memory");
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, cfg.region_off);
	if (map == MAP_FAILED)
		die("mmap of the region: %s", strerror(errno));
	for (i = 0; i < cfg.region_pages; i++) {
		char *want = (char *)(dshadow + i * cfg.wpp);

		if (pread(fd, buf, cfg.ps, cfg.region_off + i * cfg.ps) !=
		    (ssize_t)cfg.ps)
			die("final pread of data page %#llx: %s",
			    (unsigned long long)(cfg.region_first + i),
			    strerror(errno));
		if (!memcmp(buf, want, cfg.ps) &&
		    !memcmp(map + i * cfg.ps, want, cfg.ps))
			continue;
		if (bad++ < 10)
			printf("final: data page %#llx (owner %llu) is not the model's\n",
			       (unsigned long long)(cfg.region_first + i),
			       (unsigned long long)(i / cfg.chunk));
	}
	munmap(map, len);
	free(buf);
	if (cfg.res_pages) {
		map = mmap(NULL, cfg.res_size, PROT_READ, MAP_SHARED, fd,
			   FAULTDEMO_RESERVED_OFFSET);
		if (map == MAP_FAILED)
			die("mmap of the reserved window: %s", strerror(errno));
		for (i = 0; i < cfg.res_pages; i++) {
			if (!memcmp(map + i * cfg.ps, rshadow + i * cfg.wpp, cfg.ps))
				continue;
			if (bad++ < 10)
				printf("final: window page %llu differs from the model\n",
				       (unsigned long long)i);
		}
		munmap(map, cfg.res_size);
	}
	tot->mismatches += bad;
}

/* What failed, for a reader of this program's output; true if nothing. */
static bool verdict(const struct fdemo_stats *d)
{
	bool pass = true;

	if (tot->ops < cfg.min_ops) {
		printf("FAIL: %llu operations, fewer than FAULTDEMO_STRESS_MIN_OPS=%llu\n",
		       (unsigned long long)tot->ops, (unsigned long long)cfg.min_ops);
		pass = false;
	}
	if (tot->mismatches || tot->unexpected) {
		printf("FAIL: replay with FAULTDEMO_STRESS_SEED=%llu\n",
		       (unsigned long long)cfg.seed);
		pass = false;
	}
	/* every SIGBUS seen was a fault past the end, counted by the module */
	if (tot->sigbus > d->sigbus) {
		printf("FAIL: %llu SIGBUS seen, but the module counted %llu\n",
		       (unsigned long long)tot->sigbus,
		       (unsigned long long)d->sigbus);
		pass = false;
	}
	return pass;
}

int main(void)
{
	static const char * const ra[] = { "0", "1", "15", "64" };
	struct timespec start, now, last_param;
	unsigned int i, alive, hung = 0, dead = 0;
	pid_t pids[MAX_WORKERS], ng;
	struct fdemo_stats s0, s1, d;
	struct faultdemo_geometry g;
	__u64 prng, elapsed_ms;
	int fd, ret, status;
	char line[512];
	bool params, pass;

	/* stress_test reads both streams from one pipe: keep them in order */
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = fdemo_set_defaults();
	if (ret)
		die("module not usable: %s", strerror(-ret));
	fd = fdemo_open(O_RDWR);
	if (fd < 0)
		die("open: %s", strerror(-fd));
	ret = fdemo_geometry(fd, &g);
	if (ret)
		die("GET_GEOMETRY: %s", strerror(-ret));

	prepare(fd, &g);
	params = env_u64("FAULTDEMO_STRESS_PARAMS", 1, 0, 1);
	prng = cfg.seed;
	ret = fdemo_stats(&s0);
	if (ret)
		die("the module's counters: %s", strerror(-ret));
	ng = start_stress_ng(cfg.seconds);

	clock_gettime(CLOCK_MONOTONIC, &start);
	cfg.deadline = start;
	cfg.deadline.tv_sec += cfg.seconds;
	last_param = start;
	fflush(NULL);
	for (i = 0; i < cfg.nprocs; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			die("fork: %s", strerror(errno));
		if (!pids[i])
			worker(i);
	}

	/* Wait, flipping the runtime parameters under the workers' feet. */
	for (;;) {
		for (i = 0, alive = 0; i < cfg.nprocs; i++) {
			if (!pids[i])
				continue;
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					printf("worker %u: status %#x\n", i, status);
					__atomic_add_fetch(&tot->unexpected, 1,
							   __ATOMIC_RELAXED);
					dead++;
				}
				pids[i] = 0;
				continue;
			}
			alive++;
		}
		if (!alive)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > cfg.deadline.tv_sec + GRACE_SECONDS) {
			hung = alive;
			break;
		}
		if (params && now.tv_sec < cfg.deadline.tv_sec &&
		    (now.tv_sec - last_param.tv_sec) * 1000 +
		    (now.tv_nsec - last_param.tv_nsec) / 1000000 >= 500) {
			last_param = now;
			fdemo_param_set("fault_around",
					splitmix64(&prng) & 1 ? "1" : "0");
			fdemo_param_set("readahead", ra[splitmix64(&prng) % 4]);
		}
		usleep(50 * 1000);
	}
	if (hung) {
		printf("%u workers still running %d s after the deadline: hung?\n",
		       hung, GRACE_SECONDS);
		tot->unexpected++;
		for (i = 0; i < cfg.nprocs; i++) {
			if (!pids[i])
				continue;
			dump_stacks(pids[i]);
			kill(pids[i], SIGKILL);
		}
		for (i = 0; i < cfg.nprocs; i++)
			if (pids[i])
				waitpid(pids[i], &status, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
		     (now.tv_nsec - start.tv_nsec) / 1000000;
	stop_stress_ng(ng);
	ret = fdemo_set_defaults();
	if (ret)
		die("module parameters back to their defaults: %s", strerror(-ret));

	final_check(fd);
	ret = fdemo_stats(&s1);
	if (ret)
		die("the module's counters: %s", strerror(-ret));
	fdemo_stats_sub(&s1, &s0, &d);
	fdemo_stats_print("delta", &d);

	line[0] = '\0';
	for (i = 0; i < NR_OPS; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s=%llu",
			 op_table[i].name, (unsigned long long)tot->by_op[i]);
	printf("by operation:%s\n", line);
	printf("sigbus: %llu, private copies: %llu, forks: %llu\n",
	       (unsigned long long)tot->sigbus, (unsigned long long)tot->cows,
	       (unsigned long long)tot->forks);
	printf("ops: %llu\n", (unsigned long long)tot->ops);
	printf("seed: %llu\n", (unsigned long long)cfg.seed);
	printf("mismatches: %llu\n", (unsigned long long)tot->mismatches);
	printf("unexpected_errors: %llu\n", (unsigned long long)tot->unexpected);
	printf("elapsed: %llu.%llus\n", (unsigned long long)elapsed_ms / 1000,
	       (unsigned long long)elapsed_ms % 1000 / 100);

	pass = verdict(&d);
	printf(STRESS_SUMMARY "\n", (unsigned long long)cfg.seed,
	       (unsigned long long)tot->ops, (unsigned long long)cfg.min_ops,
	       (unsigned long long)tot->mismatches,
	       (unsigned long long)tot->unexpected,
	       (unsigned long long)tot->sigbus, (unsigned long long)d.sigbus,
	       dead, hung);
	munmap(dshadow, cfg.region_pages * cfg.ps);
	if (rshadow)
		munmap(rshadow, cfg.res_size);
	munmap(tot, sizeof(*tot));
	fdemo_set_defaults();
	close(fd);
	return pass ? 0 : 1;
}

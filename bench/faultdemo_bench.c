// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo_bench: page-fault cost of /dev/faultdemo mappings compared
 * with anonymous memory, tmpfs (shmem's own handlers), ramfs (filemap's
 * .fault, .map_pages and .page_mkwrite over a page cache with no backing
 * store, like ours), ext4 on a block device, MAP_POPULATE and the reserved
 * window, plus the fault-around and read-ahead sweeps and thread scaling.
 *
 * Run as root in a guest with the module loaded (see scripts/bench.sh).
 * One CSV line per result goes to --csv, a table to stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <linux/faultdemo.h>

#define LOAD(p)		__atomic_load_n(&(p), __ATOMIC_RELAXED)
#define STORE(p, v)	__atomic_store_n(&(p), (v), __ATOMIC_RELAXED)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define fallthrough	__attribute__((__fallthrough__))
#define MAX_REPS	32
#define MAX_THREADS	16
#define MIB		(1024UL * 1024UL)

#define DEV_PATH	"/dev/faultdemo"
#define RA_PARAM	"/sys/module/faultdemo/parameters/readahead"
#define FA_BYTES	"/sys/kernel/debug/fault_around_bytes"
#define DROP_CACHES	"/proc/sys/vm/drop_caches"

enum kind {
	K_FAULTDEMO, K_ANON, K_TMPFS, K_RAMFS, K_EXT4, K_ANON_POPULATE,
	K_FAULTDEMO_POPULATE, K_RESERVED, K_NR
};

enum access {
	A_COLD_READ, A_WARM_READ, A_SHARED_WRITE, A_PRIVATE_WRITE,
	A_WRITE_AFTER_CLEAN, A_READ, A_WRITE,
};

static const char * const kind_name[] = {
	"faultdemo", "anon", "tmpfs", "ramfs", "ext4", "anon_populate",
	"faultdemo_populate", "reserved",
};

static const char * const access_name[] = {
	"cold_read", "warm_read", "shared_write", "private_write",
	"write_after_clean", "read", "write",
};

struct opts {
	size_t size;		/* bytes of the main region */
	size_t sweep_size;	/* bytes of the sweep and scaling region */
	int reps;
	int sweep_reps;
	int max_threads;
	int thp;		/* leave transparent huge pages alone */
	const char *csv;
	const char *ko;
	const char *ko_args;
	const char *ext4_dir;
	const char *ramfs_dir;
	const char *only;
	const char *kinds;
};

static struct opts opt = {
	.size = 256 * MIB,
	.sweep_size = 64 * MIB,
	.reps = 5,
	.sweep_reps = 3,
	.max_threads = 4,
	.ko_args = "size=1G reserved_size=4M",
};

static long pg;
static FILE *csv;
static int dev_fd = -1;
static struct faultdemo_geometry geo;
static size_t cold_next;	/* first data-area byte never touched */
static size_t warm_len;		/* [0, warm_len) is kept for warm tests */
static int warm_valid;		/* [0, warm_len) is in the device's cache */
static int cur_ra = -1;		/* readahead to set after a reload */
/* the written ("warm") tmpfs and ramfs files, by kind */
static int mem_warm_fd[K_NR] = { [0 ... K_NR - 1] = -1 };
static size_t mem_warm_len[K_NR];
static int mem_warm_gen[K_NR];	/* drop_gen when it was filled */
static int drop_gen;		/* drop_caches done so far */
static int ext4_fd = -1;
static size_t ext4_len;
static char ext4_path[4096];
static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

struct sample {
	double ns_per_page;	/* touching the pages */
	double faults_per_page;
	double setup_ns;	/* mmap() itself, MAP_POPULATE included */
};

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static long faults_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -1 : 0;
}

static long read_long(const char *path)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 0);
}

static int write_long(const char *path, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return write_str(path, buf);
}

static void drop_caches(void)
{
	sync();
	if (write_str(DROP_CACHES, "3"))
		perror(DROP_CACHES);
	drop_gen++;
}

static void *map(size_t len, int prot, int flags, int fd, off_t off,
		 double *setup)
{
	double t0 = now_ns();
	void *p = mmap(NULL, len, prot, flags, fd, off);

	*setup = now_ns() - t0;
	if (p == MAP_FAILED)
		return NULL;
	if (!opt.thp && !(flags & MAP_POPULATE))
		madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* Touch one byte of each page, in order[] if given; return the time. */
static double touch(char *base, size_t npages, const size_t *order, int wr)
{
	unsigned long sum = 0;
	double t0 = now_ns();
	size_t i, pgi;

	for (i = 0; i < npages; i++) {
		pgi = order ? order[i] : i;
		if (wr)
			STORE(base[pgi * pg], (char)i);
		else
			sum += LOAD(base[pgi * pg]);
	}
	t0 = now_ns() - t0;
	__atomic_store_n(&rng, rng ^ (sum & 1), __ATOMIC_RELAXED);
	return t0;
}

static unsigned long long xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static size_t *shuffled(size_t n)
{
	size_t *o = malloc(n * sizeof(*o));
	size_t i, j, t;

	if (!o)
		die("malloc");
	for (i = 0; i < n; i++)
		o[i] = i;
	for (i = n - 1; i > 0; i--) {
		j = xorshift() % (i + 1);
		t = o[i];
		o[i] = o[j];
		o[j] = t;
	}
	return o;
}

/* ---- the device ---- */

static int dev_open(void)
{
	int fd = open(DEV_PATH, O_RDWR);

	if (fd < 0)
		return -1;
	if (ioctl(fd, FAULTDEMO_IOC_GET_GEOMETRY, &geo)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void dev_close(void)
{
	if (dev_fd >= 0)
		close(dev_fd);
	dev_fd = -1;
}

/* Unload and load the module again: its page cache is empty after it. */
static int dev_reload(void)
{
	char cmd[8192];

	if (!opt.ko)
		return -1;
	dev_close();
	snprintf(cmd, sizeof(cmd), "rmmod faultdemo && insmod %s %s",
		 opt.ko, opt.ko_args);
	if (system(cmd)) {
		fprintf(stderr, "reload failed: %s\n", cmd);
		exit(1);
	}
	dev_fd = dev_open();
	if (dev_fd < 0)
		die(DEV_PATH);
	if (cur_ra >= 0)
		write_long(RA_PARAM, cur_ra);
	cold_next = warm_len;
	warm_valid = 0;
	return 0;
}

/*
 * Offset of len bytes of the data area that were never touched, nor read
 * ahead: a region read before reads ahead past its end (up to 1024 pages),
 * and a next region starting there would have its first pages cached,
 * which shifts every read-ahead batch against the fault-around windows
 * (3 faults per 16 pages instead of 2). Hence a 4 MiB gap.
 */
#define COLD_GAP	(4 * MIB)

static long long cold_take(size_t len)
{
	long long off;

	if (cold_next + len > geo.size && dev_reload())
		return -1;
	if (cold_next + len > geo.size)
		return -1;
	off = cold_next;
	cold_next += len + COLD_GAP;
	return off;
}

static void fill_fd(int fd, size_t len)
{
	static char buf[MIB];
	size_t off;

	memset(buf, 0x5a, sizeof(buf));
	for (off = 0; off < len; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), off) != (ssize_t)sizeof(buf))
			die("pwrite");
}

static void dev_warm(void)
{
	if (warm_valid)
		return;
	fill_fd(dev_fd, warm_len);
	warm_valid = 1;
}

/* ---- tmpfs, ramfs and ext4 files ---- */

/* A new sparse file of len bytes on tmpfs (a memfd) or ramfs, unlinked. */
static int mem_file_new(enum kind kind, size_t len)
{
	char path[4096];
	int fd;

	if (kind == K_TMPFS) {
		fd = memfd_create("faultdemo_bench", 0);
		if (fd < 0)
			die("memfd_create");
	} else {
		snprintf(path, sizeof(path), "%s/faultdemo_bench.%d",
			 opt.ramfs_dir, (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd < 0)
			die(path);
		unlink(path);
	}
	if (ftruncate(fd, len))
		die("ftruncate");
	return fd;
}

static void mem_warm_close(void)
{
	int k;

	for (k = 0; k < K_NR; k++) {
		if (mem_warm_fd[k] >= 0)
			close(mem_warm_fd[k]);
		mem_warm_fd[k] = -1;
	}
}

static void ext4_setup(size_t len)
{
	if (ext4_fd >= 0 && ext4_len == len)
		return;
	if (ext4_fd >= 0)
		close(ext4_fd);
	snprintf(ext4_path, sizeof(ext4_path), "%s/faultdemo_bench.dat",
		 opt.ext4_dir);
	ext4_fd = open(ext4_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (ext4_fd < 0)
		die(ext4_path);
	fill_fd(ext4_fd, len);
	if (fsync(ext4_fd))
		die("fsync");
	ext4_len = len;
}

static void read_all(int fd, size_t len)
{
	static char buf[MIB];
	size_t off;

	for (off = 0; off < len; off += sizeof(buf))
		if (pread(fd, buf, sizeof(buf), off) < 0)
			die("pread");
}

/* ---- one repetition ---- */

struct test {
	enum kind kind;
	enum access access;
	int random;
	size_t len;
};

/* Prepare the backing object: fd and offset to map, -2 to skip. */
static int prepare(const struct test *t, int *fd, long long *off)
{
	enum kind k;

	*off = 0;
	*fd = -1;
	switch (t->kind) {
	case K_FAULTDEMO_POPULATE:
		*fd = dev_fd;
		dev_warm();
		return 0;
	case K_FAULTDEMO:
		*fd = dev_fd;
		if (t->access == A_COLD_READ) {
			*off = cold_take(t->len);
			return *off < 0 ? -2 : 0;
		}
		dev_warm();
		return 0;
	case K_RESERVED:
		*fd = dev_fd;
		*off = geo.reserved_offset;
		return geo.reserved_size >= t->len ? 0 : -2;
	case K_RAMFS:
		if (!opt.ramfs_dir)
			return -2;
		fallthrough;
	case K_TMPFS:
		if (t->access == A_COLD_READ) {
			*fd = mem_file_new(t->kind, t->len);
			return 1;	/* caller closes it */
		}
		/*
		 * On 6.1, shmem pages that lived through a drop_caches are
		 * no longer mapped by fault-around: a file written after the
		 * last drop_caches (of the ext4 cold reads) is the reference.
		 */
		k = t->kind;
		if (mem_warm_fd[k] >= 0 && (mem_warm_gen[k] != drop_gen ||
					    mem_warm_len[k] != t->len)) {
			close(mem_warm_fd[k]);
			mem_warm_fd[k] = -1;
		}
		if (mem_warm_fd[k] < 0) {
			mem_warm_fd[k] = mem_file_new(k, t->len);
			fill_fd(mem_warm_fd[k], t->len);
			mem_warm_gen[k] = drop_gen;
			mem_warm_len[k] = t->len;
		}
		*fd = mem_warm_fd[k];
		return 0;
	case K_EXT4:
		if (!opt.ext4_dir)
			return -2;
		ext4_setup(t->len);
		*fd = ext4_fd;
		if (fsync(ext4_fd))
			die("fsync");
		if (t->access == A_COLD_READ)
			drop_caches();
		else
			read_all(ext4_fd, t->len);
		return 0;
	default:
		return 0;
	}
}

static int clean(const struct test *t, int fd, char *p)
{
	struct faultdemo_clean c = { .offset = 0, .length = t->len };

	if (t->kind == K_FAULTDEMO)
		return ioctl(fd, FAULTDEMO_IOC_CLEAN, &c);
	return msync(p, t->len, MS_SYNC);
}

/* mmap() flags of a test; *wr tells whether it stores or loads. */
static int map_flags(const struct test *t, int *wr)
{
	int flags = MAP_SHARED;

	*wr = 0;
	switch (t->access) {
	case A_PRIVATE_WRITE:
	case A_WRITE:
		*wr = 1;
		flags = MAP_PRIVATE;
		break;
	case A_SHARED_WRITE:
	case A_WRITE_AFTER_CLEAN:
		*wr = 1;
		break;
	default:
		break;
	}
	if (t->kind == K_ANON || t->kind == K_ANON_POPULATE)
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
	if (t->kind == K_ANON_POPULATE || t->kind == K_FAULTDEMO_POPULATE)
		flags |= MAP_POPULATE;
	return flags;
}

/* A test's mapping, ready to touch. */
struct mapping {
	char *p;
	int fd;
	int own;	/* fd is the test's own, to close */
	int wr;		/* the test stores */
};

/* Prepare the backing object and map it: 0, or -1 to skip the test. */
static int test_map(const struct test *t, struct mapping *m, double *setup)
{
	long long off;
	int flags;

	m->own = prepare(t, &m->fd, &off);
	if (m->own == -2)
		return -1;
	flags = map_flags(t, &m->wr);
	m->p = map(t->len, PROT_READ | PROT_WRITE, flags, m->fd, off, setup);
	if (!m->p) {
		perror("mmap");
		if (m->own == 1)
			close(m->fd);
		return -1;
	}
	return 0;
}

static void test_unmap(const struct test *t, struct mapping *m)
{
	munmap(m->p, t->len);
	if (m->own == 1)
		close(m->fd);
}

static int run_rep(const struct test *t, struct sample *s)
{
	size_t npages = t->len / pg;
	size_t *order = NULL;
	struct mapping m;
	long f0;
	double ns;

	if (test_map(t, &m, &s->setup_ns))
		return -1;
	if (t->random)
		order = shuffled(npages);
	if (t->access == A_WRITE_AFTER_CLEAN) {
		touch(m.p, npages, NULL, 1);
		if (clean(t, m.fd, m.p))
			perror("clean");
	}
	f0 = faults_now();
	ns = touch(m.p, npages, order, m.wr);
	s->faults_per_page = (double)(faults_now() - f0) / npages;
	s->ns_per_page = ns / npages;
	test_unmap(t, &m);
	free(order);
	return 0;
}

/* ---- threads ---- */

struct worker {
	pthread_t tid;
	pthread_barrier_t *bar;
	char *base;
	size_t first, n;
	int wr;
	double start, end;
};

static void *worker_fn(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->bar);
	w->start = now_ns();
	touch(w->base + w->first * pg, w->n, NULL, w->wr);
	w->end = now_ns();
	return NULL;
}

/*
 * nthreads threads touch the mapping at once, disjoint ranges or all of
 * it each; the time is the wall time, from the first thread's start to
 * the last one's end, divided by the pages of the region.
 */
static int run_threads(const struct test *t, int nthreads, int same,
		       struct sample *s)
{
	struct worker w[MAX_THREADS];
	pthread_barrier_t bar;
	size_t npages = t->len / pg;
	struct mapping m;
	double t0, t1;
	long f0;
	int i;

	if (test_map(t, &m, &s->setup_ns))
		return -1;
	pthread_barrier_init(&bar, NULL, nthreads + 1);
	for (i = 0; i < nthreads; i++) {
		w[i].bar = &bar;
		w[i].base = m.p;
		w[i].wr = m.wr;
		w[i].first = same ? 0 : npages * i / nthreads;
		w[i].n = same ? npages : npages * (i + 1) / nthreads - w[i].first;
		if (pthread_create(&w[i].tid, NULL, worker_fn, &w[i]))
			die("pthread_create");
	}
	f0 = faults_now();
	pthread_barrier_wait(&bar);
	for (i = 0; i < nthreads; i++)
		pthread_join(w[i].tid, NULL);
	s->faults_per_page = (double)(faults_now() - f0) / npages;
	t0 = w[0].start;
	t1 = w[0].end;
	for (i = 1; i < nthreads; i++) {
		if (w[i].start < t0)
			t0 = w[i].start;
		if (w[i].end > t1)
			t1 = w[i].end;
	}
	s->ns_per_page = (t1 - t0) / npages;
	pthread_barrier_destroy(&bar);
	test_unmap(t, &m);
	return 0;
}

/* ---- statistics and output ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void report(const char *kind, const char *access, const char *order,
		   int threads, size_t pages, struct sample *s, int n)
{
	double ns[MAX_REPS], fl[MAX_REPS], su[MAX_REPS], tot[MAX_REPS];
	double med_ns, med_fl, med_su, med_tot;
	long fab = read_long(FA_BYTES);
	char ra[32] = "-";
	int i;

	if (!n) {
		printf("%-18s %-18s %-8s %3d %6zu  skipped\n", kind, access,
		       order, threads, pages);
		return;
	}
	for (i = 0; i < n; i++) {
		ns[i] = s[i].ns_per_page;
		fl[i] = s[i].faults_per_page;
		su[i] = s[i].setup_ns;
		tot[i] = s[i].ns_per_page + s[i].setup_ns / pages;
	}
	med_ns = median(ns, n);
	med_fl = median(fl, n);
	med_su = median(su, n);
	med_tot = median(tot, n);
	if (!strcmp(kind, "faultdemo") || !strcmp(kind, "reserved"))
		snprintf(ra, sizeof(ra), "%ld", read_long(RA_PARAM));
	printf("%-18s %-18s %-8s %3d %6zu %7ld %3s %9.1f %9.1f %9.1f %7.4f %10.0f %9.1f\n",
	       kind, access, order, threads, pages, fab, ra, med_ns, ns[0],
	       ns[n - 1], med_fl, med_su, med_tot);
	fprintf(csv, "%s,%s,%s,%d,%zu,%ld,%s,%.3f,%.3f,%.3f,%.5f,%.0f,%.3f\n",
		kind, access, order, threads, pages, fab, ra, med_ns, ns[0],
		ns[n - 1], med_fl, med_su, med_tot);
	fflush(csv);
	fflush(stdout);
}

static void run_test(const struct test *t, int reps, const char *access)
{
	struct sample s[MAX_REPS];
	int i, n = 0;

	for (i = 0; i < reps; i++)
		if (!run_rep(t, &s[n]))
			n++;
	report(kind_name[t->kind], access ? access : access_name[t->access],
	       t->random ? "rand" : "seq", 1, t->len / pg, s, n);
}

static int wanted(const char *group)
{
	return !opt.only || strstr(opt.only, group);
}

/* @k is among --kinds (a comma-separated list of kind names), or no --kinds. */
static int kind_wanted(enum kind k)
{
	const char *p = opt.kinds;
	size_t len = strlen(kind_name[k]);

	if (!p)
		return 1;
	while ((p = strstr(p, kind_name[k]))) {
		if ((p == opt.kinds || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return 1;
		p += len;
	}
	return 0;
}

/*
 * The main tests, one repetition of each in turn, so that a slow spell of
 * the host (a TCG guest shares it) hits every kind alike, not one test.
 */
static void bench_main(void)
{
	static const enum access file_acc[] = {
		A_COLD_READ, A_WARM_READ, A_SHARED_WRITE, A_PRIVATE_WRITE,
		A_WRITE_AFTER_CLEAN,
	};
	static const enum kind file_kind[] = {
		K_FAULTDEMO, K_TMPFS, K_RAMFS, K_EXT4,
	};
	static const struct test other[] = {
		{ K_ANON, A_READ, 0, 0 },
		{ K_ANON, A_WRITE, 0, 0 },
		{ K_ANON, A_WRITE, 1, 0 },
		{ K_ANON_POPULATE, A_WRITE, 0, 0 },
		{ K_FAULTDEMO_POPULATE, A_READ, 0, 0 },
		{ K_FAULTDEMO_POPULATE, A_SHARED_WRITE, 0, 0 },
		{ K_FAULTDEMO_POPULATE, A_PRIVATE_WRITE, 0, 0 },
		{ K_RESERVED, A_READ, 0, 0 },
		{ K_RESERVED, A_SHARED_WRITE, 0, 0 },
	};
	static struct sample s[64][MAX_REPS];
	struct test t[64];
	int nt = 0, n[64] = { 0 }, i, r;
	size_t k, a;

	for (k = 0; k < ARRAY_SIZE(file_kind); k++) {
		if (!kind_wanted(file_kind[k]))
			continue;
		for (a = 0; a < ARRAY_SIZE(file_acc); a++) {
			t[nt].kind = file_kind[k];
			t[nt].access = file_acc[a];
			t[nt].random = 0;
			t[nt].len = opt.size;
			nt++;
			t[nt] = t[nt - 1];
			t[nt].random = 1;
			nt++;
		}
	}
	for (k = 0; k < ARRAY_SIZE(other); k++) {
		if (!kind_wanted(other[k].kind))
			continue;
		t[nt] = other[k];
		t[nt].len = other[k].kind == K_RESERVED ? geo.reserved_size : opt.size;
		nt++;
	}
	for (r = 0; r < opt.reps; r++)
		for (i = 0; i < nt; i++)
			if (!run_rep(&t[i], &s[i][n[i]]))
				n[i]++;
	for (i = 0; i < nt; i++)
		report(kind_name[t[i].kind], access_name[t[i].access],
		       t[i].random ? "rand" : "seq", 1, t[i].len / pg, s[i], n[i]);
	mem_warm_close();
}

static void bench_sweeps(void)
{
	static const int ra_vals[] = { 0, 1, 3, 7, 15, 31, 63 };
	struct test t = { .kind = K_FAULTDEMO, .len = opt.sweep_size };
	long fab0 = read_long(FA_BYTES);
	int ra0 = read_long(RA_PARAM);
	long fab;
	size_t i;

	t.access = A_WARM_READ;
	if (fab0 > 0) {
		for (fab = 4096; fab <= 1024 * 1024; fab *= 2) {
			if (write_long(FA_BYTES, fab)) {
				perror(FA_BYTES);
				break;
			}
			run_test(&t, opt.sweep_reps, "fa_sweep_warm_read");
		}
		write_long(FA_BYTES, fab0);
	} else {
		fprintf(stderr, "%s: not available, no fault-around sweep\n",
			FA_BYTES);
	}

	t.access = A_COLD_READ;
	for (i = 0; i < ARRAY_SIZE(ra_vals); i++) {
		cur_ra = ra_vals[i];
		if (write_long(RA_PARAM, cur_ra)) {
			perror(RA_PARAM);
			break;
		}
		run_test(&t, opt.sweep_reps, "ra_sweep_cold_read");
	}
	cur_ra = ra0;
	write_long(RA_PARAM, ra0);
}

static void bench_scaling(void)
{
	static const struct { enum kind kind; enum access access; } what[] = {
		{ K_FAULTDEMO, A_COLD_READ },
		{ K_FAULTDEMO, A_WARM_READ },
		{ K_FAULTDEMO, A_SHARED_WRITE },
		{ K_FAULTDEMO, A_PRIVATE_WRITE },
		{ K_TMPFS, A_WARM_READ },
		{ K_TMPFS, A_SHARED_WRITE },
		{ K_ANON, A_WRITE },
	};
	struct sample s[MAX_REPS];
	struct test t = { .len = opt.sweep_size };
	int same, n, i, nth;
	size_t w;

	for (w = 0; w < ARRAY_SIZE(what); w++) {
		t.kind = what[w].kind;
		t.access = what[w].access;
		for (same = 0; same < 2; same++) {
			for (nth = 1; nth <= opt.max_threads; nth *= 2) {
				n = 0;
				for (i = 0; i < opt.sweep_reps; i++)
					if (!run_threads(&t, nth, same, &s[n]))
						n++;
				report(kind_name[t.kind], access_name[t.access],
				       same ? "same" : "disjoint", nth,
				       t.len / pg, s, n);
			}
		}
	}
}

static size_t parse_size(const char *s)
{
	static const char units[] = "kmg";
	char *end;
	double v = strtod(s, &end);
	const char *u;
	int e;

	if (!*end)
		return (size_t)(v * MIB);
	u = strchr(units, *end | 0x20);
	if (!u || end[1]) {
		fprintf(stderr, "bad size '%s'\n", s);
		exit(2);
	}
	for (e = u - units; e >= 0; e--)
		v *= 1024;
	return (size_t)v;
}

static const char *prog = "faultdemo_bench";

static void help_exit(void)
{
	fprintf(stderr,
		"usage: %s [options]\n"
		"  --size N[K|M|G]     main region (default 256M; plain number = MiB)\n"
		"  --reps R            repetitions of the main tests (default 5)\n"
		"  --sweep-size N      region of the sweeps and scaling (default 64M)\n"
		"  --sweep-reps R      repetitions of the sweeps and scaling (default 3)\n"
		"  --threads N         largest thread count (default 4)\n"
		"  --csv FILE          CSV output (default faultdemo_bench.csv)\n"
		"  --ko PATH           faultdemo.ko, to reload it when cold pages run out\n"
		"  --ko-args ARGS      insmod parameters (default \"%s\")\n"
		"  --ext4-dir DIR      directory on ext4 (no ext4 tests without it)\n"
		"  --ramfs-dir DIR     directory on ramfs (no ramfs tests without it)\n"
		"  --only LIST         groups among main,sweep,scale (default all)\n"
		"  --kinds LIST        main tests of these kinds only, e.g. faultdemo,tmpfs\n"
		"  --thp               do not madvise(MADV_NOHUGEPAGE)\n",
		prog, opt.ko_args);
	exit(2);
}

static void parse_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "sweep-size", required_argument, NULL, 'S' },
		{ "sweep-reps", required_argument, NULL, 'R' },
		{ "threads", required_argument, NULL, 't' },
		{ "csv", required_argument, NULL, 'c' },
		{ "ko", required_argument, NULL, 'k' },
		{ "ko-args", required_argument, NULL, 'a' },
		{ "ext4-dir", required_argument, NULL, 'e' },
		{ "ramfs-dir", required_argument, NULL, 'm' },
		{ "only", required_argument, NULL, 'o' },
		{ "kinds", required_argument, NULL, 'K' },
		{ "thp", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *csv_path = "faultdemo_bench.csv";
	int c;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's':
			opt.size = parse_size(optarg);
			break;
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 'S':
			opt.sweep_size = parse_size(optarg);
			break;
		case 'R':
			opt.sweep_reps = atoi(optarg);
			break;
		case 't':
			opt.max_threads = atoi(optarg);
			break;
		case 'c':
			csv_path = optarg;
			break;
		case 'k':
			opt.ko = optarg;
			break;
		case 'a':
			opt.ko_args = optarg;
			break;
		case 'e':
			opt.ext4_dir = optarg;
			break;
		case 'm':
			opt.ramfs_dir = optarg;
			break;
		case 'o':
			opt.only = optarg;
			break;
		case 'K':
			opt.kinds = optarg;
			break;
		case 'h':
			opt.thp = 1;
			break;
		default:
			help_exit();
		}
	}
	if (optind != argc || opt.reps < 1 || opt.reps > MAX_REPS ||
	    opt.sweep_reps < 1 || opt.sweep_reps > MAX_REPS ||
	    opt.max_threads < 1 || opt.max_threads > MAX_THREADS ||
	    opt.size < (size_t)pg || opt.sweep_size < (size_t)pg)
		help_exit();
	opt.size -= opt.size % pg;
	opt.sweep_size -= opt.sweep_size % pg;
	csv = fopen(csv_path, "w");
	if (!csv)
		die(csv_path);
}

int main(int argc, char **argv)
{
	pg = sysconf(_SC_PAGESIZE);
	prog = argv[0];
	parse_args(argc, argv);
	dev_fd = dev_open();
	if (dev_fd < 0)
		die(DEV_PATH);
	warm_len = opt.size > opt.sweep_size ? opt.size : opt.sweep_size;
	if (warm_len >= geo.size)
		fprintf(stderr,
			"data area (%llu bytes) too small for %zu bytes: load with a larger size=\n",
			(unsigned long long)geo.size, warm_len);
	cold_next = warm_len;
	fprintf(csv,
		"kind,access,order,threads,pages,fault_around_bytes,readahead,rep_median_ns_per_page,min,max,faults_per_page,setup_ns,setup_plus_touch_ns_per_page\n");
	printf("# region %zu MiB x %d reps; sweeps and scaling %zu MiB x %d reps\n",
	       opt.size / MIB, opt.reps, opt.sweep_size / MIB, opt.sweep_reps);
	printf("# reserved window %llu KiB; THP %s\n",
	       (unsigned long long)geo.reserved_size / 1024,
	       opt.thp ? "as configured" : "off (MADV_NOHUGEPAGE)");
	printf("%-18s %-18s %-8s %3s %6s %7s %3s %9s %9s %9s %7s %10s %9s\n",
	       "kind", "access", "order", "thr", "pages", "fa_byte", "ra",
	       "ns/page", "min", "max", "flt/pg", "setup_ns", "total/pg");
	if (wanted("main"))
		bench_main();
	if (wanted("sweep"))
		bench_sweeps();
	if (wanted("scale"))
		bench_scaling();
	dev_close();
	if (ext4_fd >= 0) {
		close(ext4_fd);
		unlink(ext4_path);
	}
	fclose(csv);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo with a block device behind it against xfs and ext4 on the
 * same disk. Run by bench/guest-bench.sh in the test VM, with faultdemo
 * loaded with backing=<a part of the scratch disk as large as the region
 * measured> and each filesystem on another part.
 *
 * Each KIND=PATH argument is one thing to measure: /dev/faultdemo, or a
 * file to create in a mounted filesystem. For each, in this order:
 *
 *   cold_read rand   caches dropped, a fresh mapping, one load per page in
 *                    random order
 *   cold_read seq    the same in order
 *   warm_read seq    a fresh mapping of what the cold read left cached
 *   shared_write seq a fresh shared mapping of that clean cache, one store
 *                    per page (.page_mkwrite or the filesystem's)
 *   writeback seq    the fsync() that writes those pages: ns per page
 *
 * With --hugepage every mapping gets MADV_HUGEPAGE and only the sequential
 * reads are run, as cold_read_huge and warm_read_huge (what a PMD-sized
 * folio limit does to them), then, in the folios they left (2 MiB where
 * the kind has them):
 *
 *   one_byte_write   2M: pwrite() of one byte every 2 MiB of the cached,
 *                    clean file, then fsync(); the value is the bytes the
 *                    disk (its /sys/dev/block/.../stat) wrote per pwrite(),
 *                    not a time
 *
 * The random order is the same for every kind in a repetition.
 *
 * Rows go to the CSV of faultdemo_bench (same columns): kind, access,
 * order ("seq", "rand" or "2M"), threads (1), pages, fault_around_bytes,
 * readahead (KiB of the bdi), median, min, max, faults per page, 0, median.
 *
 * Usage: backing_bench --csv FILE [--size BYTES] [--reps N] [--hugepage]
 *                      KIND=PATH...
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define DEV_PATH	"/dev/faultdemo"
#define BDI_NAME	"/sys/class/misc/faultdemo/bdi"
#define BACKING_PARAM	"/sys/module/faultdemo/parameters/backing"
#define FA_BYTES	"/sys/kernel/debug/fault_around_bytes"
#define MAX_REPS	16
#define MAX_KINDS	8
#define MIB		(1024UL * 1024UL)
#define ONE_BYTE_STRIDE	(2 * MIB)

enum access {
	A_COLD_RAND, A_COLD_SEQ, A_WARM, A_SHARED_WRITE, A_WRITEBACK,
	A_ONE_BYTE, A_NR
};

static const struct {
	const char *name, *order, *huge_name;
} access_row[A_NR] = {
	[A_COLD_RAND]	 = { "cold_read", "rand", NULL },
	[A_COLD_SEQ]	 = { "cold_read", "seq", "cold_read_huge" },
	[A_WARM]	 = { "warm_read", "seq", "warm_read_huge" },
	[A_SHARED_WRITE] = { "shared_write", "seq", NULL },
	[A_WRITEBACK]	 = { "writeback", "seq", NULL },
	[A_ONE_BYTE]	 = { NULL, "2M", "one_byte_write" },
};

struct result {
	double v[MAX_REPS];
	double faults[MAX_REPS];
	int n;
};

struct kind {
	const char *name;
	const char *path;
	int fd;
	int created;		/* a file of ours: unlinked at the end */
	char bdi[64];		/* under /sys/class/bdi */
	char disk_stat[96];	/* the block device that holds the data */
	struct result res[A_NR];
};

static struct {
	const char *csv;
	size_t size;
	int reps;
	int hugepage;
} opt = { NULL, 256 * MIB, 3, 0 };

static struct kind kinds[MAX_KINDS];
static int nkinds;
static long pg;
static FILE *csv;
static unsigned long sink;	/* what the loads read: kept, not optimised out */

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
	int fd = open(path, O_WRONLY), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The first line of @path, newline dropped, or "" */
static void read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static long read_long(const char *path)
{
	char buf[64];

	read_line(path, buf, sizeof(buf));
	return buf[0] ? strtol(buf, NULL, 10) : -1;
}

/* Sectors the block device of @k has written (field 7 of its stat). */
static unsigned long long sectors_written(const struct kind *k)
{
	unsigned long long f[7] = { 0 };
	FILE *f_stat = fopen(k->disk_stat, "r");

	if (!f_stat)
		die(k->disk_stat);
	if (fscanf(f_stat, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1],
		   &f[2], &f[3], &f[4], &f[5], &f[6]) != 7)
		die(k->disk_stat);
	fclose(f_stat);
	return f[6];
}

#define DROP_CACHES	"/proc/sys/vm/drop_caches"

static void drop_caches(void)
{
	sync();
	if (write_str(DROP_CACHES, "3"))
		die(DROP_CACHES);
}

/* The pages in order, or shuffled by a generator seeded with @seed. */
static size_t *order_of(size_t n, int random, unsigned long long seed)
{
	unsigned long long rng = 0x9e3779b97f4a7c15ULL ^ seed;
	size_t *o = malloc(n * sizeof(*o)), i, j, t;

	if (!o)
		die("malloc");
	for (i = 0; i < n; i++)
		o[i] = i;
	for (i = n - 1; random && i > 0; i--) {
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		j = rng % (i + 1);
		t = o[i];
		o[i] = o[j];
		o[j] = t;
	}
	return o;
}

/* Fill [0, size) of @fd with data, and have it on the device. */
static void fill(int fd)
{
	static char buf[MIB];
	size_t off;

	memset(buf, 0x5a, sizeof(buf));
	for (off = 0; off < opt.size; off += sizeof(buf))
		if (pwrite(fd, buf, sizeof(buf), off) != sizeof(buf))
			die("pwrite");
	if (fsync(fd))
		die("fsync");
}

static char *map(int fd, int prot)
{
	char *p = mmap(NULL, opt.size, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die("mmap");
	if (opt.hugepage && madvise(p, opt.size, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	return p;
}

static void record(struct result *r, double v, double faults)
{
	r->v[r->n] = v;
	r->faults[r->n] = faults;
	r->n++;
}

/*
 * A fresh mapping, one load per page. @cold drops the caches first and
 * maps a file opened anew, as a program that starts would: the kernel
 * keeps its read-ahead state (file_ra_state, with mmap_miss, which turns
 * read-ahead of faults off after many misses) per open file, and a random
 * pass would otherwise decide how the next sequential one reads.
 */
static void read_pages(struct kind *k, enum access a, int cold, int random,
		       int rep)
{
	size_t n = opt.size / pg, i, *o = order_of(n, random, rep);
	unsigned long sum = 0;
	int fd = k->fd;
	double t0;
	long f0;
	char *p;

	if (cold) {
		drop_caches();
		fd = open(k->path, O_RDONLY);
		if (fd < 0)
			die(k->path);
	}
	p = map(fd, PROT_READ);
	/*
	 * The clock before the fault count: the first clock_gettime() of
	 * the process faults in libc's code and the vDSO's data, and after
	 * drop_caches() libc's code may be gone from the page cache.
	 */
	t0 = now_ns();
	f0 = faults_now();
	for (i = 0; i < n; i++)
		sum += __atomic_load_n(&p[o[i] * pg], __ATOMIC_RELAXED);
	f0 = faults_now() - f0;
	record(&k->res[a], (now_ns() - t0) / n, (double)f0 / n);
	sink += sum;
	munmap(p, opt.size);
	if (fd != k->fd)
		close(fd);
	free(o);
}

/*
 * A store to every page of a fresh mapping of the clean cache (timed per
 * page), then the fsync() that writes them back (timed per page).
 */
static void write_pages(struct kind *k, int rep)
{
	size_t n = opt.size / pg, i;
	double t0, t1;
	long f0;
	char *p;

	p = map(k->fd, PROT_READ | PROT_WRITE);
	t0 = now_ns();
	f0 = faults_now();
	for (i = 0; i < n; i++)
		__atomic_store_n(&p[i * pg], (char)(rep + i), __ATOMIC_RELAXED);
	f0 = faults_now() - f0;
	t1 = now_ns();
	record(&k->res[A_SHARED_WRITE], (t1 - t0) / n, (double)f0 / n);
	if (fsync(k->fd))
		die("fsync");
	record(&k->res[A_WRITEBACK], (now_ns() - t1) / n, 0);
	munmap(p, opt.size);
}

/*
 * One byte written every 2 MiB of the cached, clean file, then fsync():
 * the bytes the disk wrote per write() (a filesystem's include its
 * journal or log).
 */
static void one_byte_writes(struct kind *k, int rep)
{
	size_t n = opt.size / ONE_BYTE_STRIDE, i;
	unsigned long long s0;
	char c = (char)rep;

	if (fsync(k->fd))
		die("fsync");
	s0 = sectors_written(k);
	for (i = 0; i < n; i++)
		if (pwrite(k->fd, &c, 1, i * ONE_BYTE_STRIDE + 100) != 1)
			die("pwrite");
	if (fsync(k->fd))
		die("fsync");
	record(&k->res[A_ONE_BYTE],
	       (double)(sectors_written(k) - s0) * 512 / n, 0);
}

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

static void report(struct kind *k, enum access a)
{
	const char *name = opt.hugepage ? access_row[a].huge_name :
					  access_row[a].name;
	struct result *r = &k->res[a];
	size_t pages = opt.size / pg;
	char path[256];
	double v, fl;

	if (!r->n || !name)
		return;
	v = median(r->v, r->n);
	fl = median(r->faults, r->n);
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/read_ahead_kb", k->bdi);
	printf("%-18s %-15s %-5s %6zu %9.1f %s %7.5f faults/page\n",
	       k->name, name, access_row[a].order, pages, v,
	       a == A_ONE_BYTE ? "bytes/write" : "ns/page", fl);
	fprintf(csv, "%s,%s,%s,1,%zu,%ld,%ld,%.3f,%.3f,%.3f,%.5f,0,%.3f\n",
		k->name, name, access_row[a].order, pages, read_long(FA_BYTES),
		read_long(path), v, r->v[0], r->v[r->n - 1], fl, v);
	fflush(csv);
	fflush(stdout);
}

/* "MAJ:MIN" of a block device, into @buf. */
static void dev_name(dev_t dev, char *buf, size_t len)
{
	snprintf(buf, len, "%u:%u", major(dev), minor(dev));
}

/*
 * Open what @k measures and find its bdi and its disk: the store's own
 * bdi and the device behind it (module parameter backing=), or the
 * filesystem's (the block device it is mounted from).
 */
static void kind_open(struct kind *k)
{
	char devname[32], backing[256];
	struct stat st;

	if (!strcmp(k->path, DEV_PATH)) {
		k->fd = open(DEV_PATH, O_RDWR);
		read_line(BDI_NAME, k->bdi, sizeof(k->bdi));
		read_line(BACKING_PARAM, backing, sizeof(backing));
		if (k->fd < 0 || !k->bdi[0] || stat(backing, &st))
			die("faultdemo with backing=");
		dev_name(st.st_rdev, devname, sizeof(devname));
	} else {
		k->fd = open(k->path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (k->fd < 0 || fstat(k->fd, &st))
			die(k->path);
		k->created = 1;
		dev_name(st.st_dev, devname, sizeof(devname));
		snprintf(k->bdi, sizeof(k->bdi), "%s", devname);
	}
	snprintf(k->disk_stat, sizeof(k->disk_stat), "/sys/dev/block/%s/stat",
		 devname);
}

/*
 * Each bdi its share of the dirty thresholds up front, and thresholds far
 * above the dirtied size: writeback then starts at fsync(), not before,
 * for every kind alike.
 */
static void bdi_min_ratio(const char *bdi)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/bdi/%s/min_ratio", bdi);
	if (write_str(path, "20"))
		fprintf(stderr, "# cannot set %s\n", path);
}

/* One repetition of every access on @k. */
static void run_rep(struct kind *k, int rep)
{
	if (!opt.hugepage)
		read_pages(k, A_COLD_RAND, 1, 1, rep);
	read_pages(k, A_COLD_SEQ, 1, 0, rep);
	read_pages(k, A_WARM, 0, 0, rep);
	if (opt.hugepage)
		one_byte_writes(k, rep);
	else
		write_pages(k, rep);
}

static void usage_exit(void)
{
	fprintf(stderr, "%s\n",
		"usage: backing_bench --csv FILE [--size BYTES] [--reps N] [--hugepage] KIND=PATH...");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ "hugepage", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 },
	};
	int c, i, k, rep;
	char *end, *eq;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.csv = optarg;
			break;
		case 's':
			opt.size = strtoul(optarg, &end, 0);
			if (*end == 'M')
				opt.size *= MIB;
			else if (*end == 'G')
				opt.size *= 1024 * MIB;
			break;
		case 'r':
			opt.reps = atoi(optarg);
			break;
		case 'H':
			opt.hugepage = 1;
			break;
		default:
			usage_exit();
		}
	}
	for (; optind < argc && nkinds < MAX_KINDS; optind++) {
		eq = strchr(argv[optind], '=');
		if (!eq || eq == argv[optind] || !eq[1])
			usage_exit();
		*eq = '\0';
		kinds[nkinds].name = argv[optind];
		kinds[nkinds++].path = eq + 1;
	}
	if (!opt.csv || !nkinds || optind < argc || opt.reps < 1 ||
	    opt.reps > MAX_REPS || !opt.size || opt.size % ONE_BYTE_STRIDE)
		usage_exit();
	pg = sysconf(_SC_PAGESIZE);
	csv = fopen(opt.csv, "a");
	if (!csv)
		die(opt.csv);

	for (k = 0; k < nkinds; k++) {
		kind_open(&kinds[k]);
		bdi_min_ratio(kinds[k].bdi);
	}
	write_str("/proc/sys/vm/dirty_background_ratio", "50");
	write_str("/proc/sys/vm/dirty_ratio", "60");
	for (k = 0; k < nkinds; k++)
		fill(kinds[k].fd);
	printf("# backing_bench: %zu MiB, %d reps%s\n", opt.size / MIB,
	       opt.reps, opt.hugepage ? ", MADV_HUGEPAGE" : "");
	for (k = 0; k < nkinds; k++)
		printf("#   %s: %s, bdi %s, disk %s\n", kinds[k].name,
		       kinds[k].path, kinds[k].bdi, kinds[k].disk_stat);
	/*
	 * One repetition of each kind in turn, a different one first each
	 * time, so that a slow spell or a drift of the host hits all alike.
	 */
	for (rep = 0; rep < opt.reps; rep++)
		for (i = 0; i < nkinds; i++)
			run_rep(&kinds[(i + rep) % nkinds], rep);
	for (k = 0; k < nkinds; k++) {
		for (i = 0; i < A_NR; i++)
			report(&kinds[k], i);
		close(kinds[k].fd);
		if (kinds[k].created)
			unlink(kinds[k].path);
	}
	fclose(csv);
	return 0;
}

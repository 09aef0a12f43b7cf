// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo with a block device behind it against ext4 on the same kind
 * of device: cold reads (caches dropped) in sequential and random order,
 * and writeback (the time fsync() takes to write a dirty mapping).
 * Run by bench/guest-bench.sh in the test VM, with faultdemo loaded with
 * backing=<one half of the scratch disk> and ext4 on the other half.
 *
 * Rows go to the CSV of faultdemo_bench (same columns), kinds
 * "faultdemo_block" and "ext4_block", accesses "cold_read" and
 * "writeback" (ns per page: the fsync time over the pages it wrote).
 *
 * Usage: backing_bench --csv FILE --ext4-dir DIR [--size BYTES] [--reps N]
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
#define FA_BYTES	"/sys/kernel/debug/fault_around_bytes"
#define MAX_REPS	16
#define MIB		(1024UL * 1024UL)

enum kind { K_BLOCK, K_EXT4, K_NR };

static const char * const kind_name[K_NR] = { "faultdemo_block", "ext4_block" };

static struct {
	const char *csv;
	const char *ext4_dir;
	size_t size;
	int reps;
} opt = { NULL, NULL, 256 * MIB, 3 };

static long pg;
static FILE *csv;
static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

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

static long read_long(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

#define DROP_CACHES	"/proc/sys/vm/drop_caches"

static void drop_caches(void)
{
	sync();
	if (write_str(DROP_CACHES, "3"))
		die(DROP_CACHES);
}

static size_t *order_of(size_t n, int random)
{
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

/*
 * Each bdi its share of the dirty thresholds up front, and thresholds far
 * above the dirtied size: writeback then starts at fsync(), not before,
 * for both kinds alike.
 */
static void bdi_min_ratio(const char *bdi)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/class/bdi/%s/min_ratio", bdi);
	if (write_str(path, "30"))
		fprintf(stderr, "# cannot set %s\n", path);
}

struct result {
	double ns[MAX_REPS];
	double faults[MAX_REPS];
	int n;
};

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

static void report(enum kind k, const char *access, const char *order,
		   struct result *r)
{
	size_t pages = opt.size / pg;
	double ns, fl;

	if (!r->n)
		return;
	ns = median(r->ns, r->n);
	fl = median(r->faults, r->n);
	printf("%-18s %-12s %-5s %6zu %9.1f ns/page %7.4f faults/page\n",
	       kind_name[k], access, order, pages, ns, fl);
	fprintf(csv, "%s,%s,%s,1,%zu,%ld,-,%.1f,%.1f,%.1f,%.5f,0,%.1f\n",
		kind_name[k], access, order, pages, read_long(FA_BYTES), ns,
		r->ns[0], r->ns[r->n - 1], fl, ns);
	fflush(csv);
	fflush(stdout);
}

/* Caches dropped, a fresh mapping, one load per page. */
static void cold_read(int fd, struct result *r, int random)
{
	size_t n = opt.size / pg, i, *o = order_of(n, random);
	unsigned long sum = 0;
	double t0;
	long f0;
	char *p;

	drop_caches();
	p = mmap(NULL, opt.size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	f0 = faults_now();
	t0 = now_ns();
	for (i = 0; i < n; i++)
		sum += __atomic_load_n(&p[o[i] * pg], __ATOMIC_RELAXED);
	r->ns[r->n] = (now_ns() - t0) / n;
	r->faults[r->n] = (double)(faults_now() - f0) / n;
	r->n++;
	rng ^= sum & 1;
	munmap(p, opt.size);
	free(o);
}

/* Every page of a cached mapping dirtied, then the fsync() timed. */
static void writeback(int fd, struct result *r, int rep)
{
	size_t n = opt.size / pg, i;
	double t0;
	char *p;

	p = mmap(NULL, opt.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (i = 0; i < n; i++)
		__atomic_store_n(&p[i * pg], (char)(rep + i), __ATOMIC_RELAXED);
	t0 = now_ns();
	if (fsync(fd))
		die("fsync");
	r->ns[r->n] = (now_ns() - t0) / n;
	r->faults[r->n] = 0;
	r->n++;
	munmap(p, opt.size);
}

static void usage_exit(void)
{
	fprintf(stderr, "%s\n",
		"usage: backing_bench --csv FILE --ext4-dir DIR [--size BYTES] [--reps N]");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "csv", required_argument, NULL, 'c' },
		{ "ext4-dir", required_argument, NULL, 'e' },
		{ "size", required_argument, NULL, 's' },
		{ "reps", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct result cold[K_NR][2] = { 0 }, wb[K_NR] = { 0 };
	char path[4096], bdi[64] = "", ext4_bdi[64];
	int fd[K_NR], c, i, k, rep, random;
	struct stat st;
	char *end;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'c':
			opt.csv = optarg;
			break;
		case 'e':
			opt.ext4_dir = optarg;
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
		default:
			usage_exit();
		}
	}
	if (!opt.csv || !opt.ext4_dir || opt.reps < 1 || opt.reps > MAX_REPS ||
	    !opt.size || opt.size % MIB)
		usage_exit();
	pg = sysconf(_SC_PAGESIZE);
	csv = fopen(opt.csv, "a");
	if (!csv)
		die(opt.csv);

	fd[K_BLOCK] = open(DEV_PATH, O_RDWR);
	if (fd[K_BLOCK] < 0)
		die(DEV_PATH);
	snprintf(path, sizeof(path), "%s/backing_bench.dat", opt.ext4_dir);
	fd[K_EXT4] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd[K_EXT4] < 0 || fstat(fd[K_EXT4], &st))
		die(path);
	snprintf(ext4_bdi, sizeof(ext4_bdi), "%u:%u", major(st.st_dev),
		 minor(st.st_dev));
	c = open(BDI_NAME, O_RDONLY);
	if (c < 0 || read(c, bdi, sizeof(bdi) - 1) <= 0)
		die(BDI_NAME);
	close(c);
	bdi[strcspn(bdi, "\n")] = '\0';
	bdi_min_ratio(bdi);
	bdi_min_ratio(ext4_bdi);
	write_str("/proc/sys/vm/dirty_background_ratio", "50");
	write_str("/proc/sys/vm/dirty_ratio", "60");

	for (k = 0; k < K_NR; k++)
		fill(fd[k]);
	printf("# backing_bench: %zu MiB, %d reps; bdis %s and %s\n",
	       opt.size / MIB, opt.reps, bdi, ext4_bdi);
	/*
	 * One repetition of each in turn, each kind first every other time,
	 * so that a slow spell or a drift of the host hits both alike.
	 */
	for (rep = 0; rep < opt.reps; rep++)
		for (i = 0; i < K_NR; i++) {
			k = (i + rep) % K_NR;
			for (random = 0; random < 2; random++)
				cold_read(fd[k], &cold[k][random], random);
			writeback(fd[k], &wb[k], rep);
		}
	for (k = 0; k < K_NR; k++) {
		report(k, "cold_read", "seq", &cold[k][0]);
		report(k, "cold_read", "rand", &cold[k][1]);
		report(k, "writeback", "seq", &wb[k]);
	}
	close(fd[K_BLOCK]);
	close(fd[K_EXT4]);
	unlink(path);
	fclose(csv);
	return 0;
}

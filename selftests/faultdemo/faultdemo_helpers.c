// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers shared by the faultdemo kselftests.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "faultdemo_helpers.h"

static const char * const fdemo_stat_names[] = {
	"fault_read", "fault_cow", "fault_shared", "map_pages",
	"page_mkwrite", "sigbus", "readahead", "clean", "pages_cached",
	"fault_major", "fault_retry", "pages_read", "pages_written",
	"writeback_errors",
};

size_t fdemo_page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int fdemo_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int fdemo_write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = errno;
	if (close(fd) && n >= 0)
		return -errno;
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

/* Decimal or hex, optional K/M/G/T suffix; Y/N for booleans. */
int fdemo_parse_u64(const char *s, __u64 *val)
{
	unsigned long long v;
	char *end;

	if (!strcmp(s, "Y") || !strcmp(s, "y")) {
		*val = 1;
		return 0;
	}
	if (!strcmp(s, "N") || !strcmp(s, "n")) {
		*val = 0;
		return 0;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'T': case 't':
		v <<= 10;
		fallthrough;
	case 'G': case 'g':
		v <<= 10;
		fallthrough;
	case 'M': case 'm':
		v <<= 10;
		fallthrough;
	case 'K': case 'k':
		v <<= 10;
		end++;
		break;
	default:
		break;
	}
	if (*end)
		return -EINVAL;
	*val = v;
	return 0;
}

int fdemo_read_u64(const char *path, __u64 *val)
{
	char buf[64];
	int ret;

	ret = fdemo_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	return fdemo_parse_u64(buf, val);
}

int fdemo_open(int flags)
{
	int i, fd;

	/* devtmpfs may need a moment after a module (re)load. */
	for (i = 0; i < 100; i++) {
		fd = open(FDEMO_DEV, flags | O_CLOEXEC);
		if (fd >= 0)
			return fd;
		if (errno != ENOENT)
			break;
		sleep_ms(20);
	}
	return -errno;
}

int fdemo_geometry(int fd, struct faultdemo_geometry *g)
{
	memset(g, 0, sizeof(*g));
	if (ioctl(fd, FAULTDEMO_IOC_GET_GEOMETRY, g))
		return -errno;
	return 0;
}

int fdemo_clean(int fd, __u64 offset, __u64 length, __u64 *cleaned)
{
	struct faultdemo_clean c = { .offset = offset, .length = length };

	if (ioctl(fd, FAULTDEMO_IOC_CLEAN, &c))
		return -errno;
	if (cleaned)
		*cleaned = c.cleaned;
	return 0;
}

int fdemo_stat(const char *name, __u64 *val)
{
	char path[256];

	snprintf(path, sizeof(path), FDEMO_STATS_DIR "/%s", name);
	return fdemo_read_u64(path, val);
}

int fdemo_stats(struct fdemo_stats *s)
{
	__u64 *v = (__u64 *)s;
	size_t i;
	int ret;

	static_assert(ARRAY_SIZE(fdemo_stat_names) ==
		      sizeof(*s) / sizeof(__u64), "one name per counter");
	for (i = 0; i < ARRAY_SIZE(fdemo_stat_names); i++) {
		ret = fdemo_stat(fdemo_stat_names[i], &v[i]);
		if (ret)
			return ret;
	}
	return 0;
}

void fdemo_stats_sub(const struct fdemo_stats *after,
		     const struct fdemo_stats *before, struct fdemo_stats *d)
{
	const __u64 *a = (const __u64 *)after, *b = (const __u64 *)before;
	__u64 *r = (__u64 *)d;
	size_t i;

	for (i = 0; i < sizeof(*d) / sizeof(__u64); i++)
		r[i] = a[i] - b[i];
}

int fdemo_stats_delta(struct fdemo_stats *since, struct fdemo_stats *d)
{
	struct fdemo_stats now;
	int ret = fdemo_stats(&now);

	if (ret)
		return ret;
	fdemo_stats_sub(&now, since, d);
	*since = now;
	return 0;
}

void fdemo_stats_print(const char *what, const struct fdemo_stats *s)
{
	fprintf(stderr,
		"# %s: fault_read=%lld fault_cow=%lld fault_shared=%lld map_pages=%lld page_mkwrite=%lld sigbus=%lld readahead=%lld clean=%lld pages_cached=%lld fault_major=%lld fault_retry=%lld pages_read=%lld pages_written=%lld writeback_errors=%lld\n",
		what, (long long)s->fault_read, (long long)s->fault_cow,
		(long long)s->fault_shared, (long long)s->map_pages,
		(long long)s->page_mkwrite, (long long)s->sigbus,
		(long long)s->readahead, (long long)s->clean,
		(long long)s->pages_cached, (long long)s->fault_major,
		(long long)s->fault_retry, (long long)s->pages_read,
		(long long)s->pages_written, (long long)s->writeback_errors);
}

int fdemo_stats_reset(void)
{
	return fdemo_write_file(FDEMO_STATS_DIR "/reset", "1");
}

int fdemo_param_get(const char *name, __u64 *val)
{
	char path[256];

	snprintf(path, sizeof(path), FDEMO_PARAM_DIR "/%s", name);
	return fdemo_read_u64(path, val);
}

int fdemo_param_set(const char *name, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), FDEMO_PARAM_DIR "/%s", name);
	return fdemo_write_file(path, val);
}

int fdemo_param_set_u64(const char *name, __u64 val)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val);
	return fdemo_param_set(name, buf);
}

/*
 * Make sure the module is there and its runtime parameters have their
 * defaults, whatever an earlier (maybe killed) test left behind.
 */
int fdemo_set_defaults(void)
{
	int ret;

	if (!fdemo_loaded()) {
		if (!fdemo_ko())
			return -ENODEV;
		ret = fdemo_load("");
		if (ret)
			return ret;
	}
	ret = fdemo_param_set_u64("readahead", FDEMO_DEF_READAHEAD);
	if (ret)
		return ret;
	return fdemo_param_set("fault_around", "1");
}

__u64 fdemo_pattern(__u64 seed, __u64 off)
{
	__u64 x = seed ^ ((off / 8 + 1) * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 29;
	return x | 1;	/* never zero: zero means "fresh page" */
}

void fdemo_pattern_fill(void *buf, __u64 off, size_t len, __u64 seed)
{
	__u64 *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = fdemo_pattern(seed, off + i * 8);
}

int fdemo_folios_cached(long counts[10])
{
	char buf[256];
	int ret;

	memset(counts, 0, 10 * sizeof(*counts));
	ret = fdemo_read_file(FDEMO_STATS_DIR "/folios_cached", buf, sizeof(buf));
	if (ret)
		return ret;
	/* one number per order the module can hold: just 0 without THP */
	return sscanf(buf, "%ld %ld %ld %ld %ld %ld %ld %ld %ld %ld",
		      &counts[0], &counts[1], &counts[2], &counts[3], &counts[4],
		      &counts[5], &counts[6], &counts[7], &counts[8],
		      &counts[9]) >= 1 ? 0 : -EINVAL;
}

int fdemo_fill(int fd, __u64 off, size_t len, __u64 seed)
{
	size_t ps = fdemo_page_size(), done, i;
	__u64 *buf;
	ssize_t n;
	int ret = 0;

	buf = malloc(ps);
	if (!buf)
		return -ENOMEM;
	for (done = 0; done < len; done += ps) {
		for (i = 0; i < ps / 8; i++)
			buf[i] = fdemo_pattern(seed, off + done + i * 8);
		n = pwrite(fd, buf, ps, off + done);
		if (n != (ssize_t)ps) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
	}
	free(buf);
	return ret;
}

long fdemo_check(const void *buf, __u64 off, size_t len, __u64 seed)
{
	const __u64 *p = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (fdemo_peek(&p[i]) != fdemo_pattern(seed, off + i * 8))
			return i;
	return -1;
}

int fdemo_check_dev(int fd, __u64 off, size_t len, __u64 seed)
{
	void *buf = malloc(len);
	ssize_t n;
	int ret = 0;

	if (!buf)
		return -ENOMEM;
	n = pread(fd, buf, len, off);
	if (n != (ssize_t)len)
		ret = n < 0 ? -errno : -EIO;
	else if (fdemo_check(buf, off, len, seed) >= 0)
		ret = -EBADMSG;
	free(buf);
	return ret;
}

__u64 fdemo_seed(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((__u64)getpid() << 40) ^ ((__u64)ts.tv_nsec << 8) ^ ts.tv_sec;
}

void fdemo_touch(const void *addr, size_t npages)
{
	size_t ps = fdemo_page_size(), i;

	for (i = 0; i < npages; i++)
		fdemo_peek((const char *)addr + i * ps);
}

void fdemo_dirty(void *addr, size_t npages, __u64 val)
{
	size_t ps = fdemo_page_size(), i;

	for (i = 0; i < npages; i++)
		fdemo_poke((char *)addr + i * ps, val);
}

int fdemo_pagemap(const void *addr, size_t npages, __u64 *ents)
{
	size_t ps = fdemo_page_size();
	off_t off = (unsigned long)addr / ps * sizeof(__u64);
	size_t len = npages * sizeof(__u64);
	ssize_t n;
	int fd, err;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, ents, len, off);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

__u64 fdemo_pagemap_one(const void *addr)
{
	__u64 ent;

	if (fdemo_pagemap(addr, 1, &ent))
		return 0;
	return ent;
}

/* Pages in [addr, addr + npages) whose entry has (ent & mask) == want. */
long fdemo_pagemap_count(const void *addr, size_t npages, __u64 mask,
			 __u64 want)
{
	__u64 *ents;
	long count = 0;
	size_t i;
	int ret;

	ents = calloc(npages, sizeof(*ents));
	if (!ents)
		return -ENOMEM;
	ret = fdemo_pagemap(addr, npages, ents);
	if (ret) {
		free(ents);
		return ret;
	}
	for (i = 0; i < npages; i++)
		if ((ents[i] & mask) == want)
			count++;
	free(ents);
	return count;
}

/* Pages of [addr, addr + npages) that mincore() reports resident. */
long fdemo_resident(const void *addr, size_t npages)
{
	unsigned char *vec;
	long count = 0;
	size_t i;

	vec = calloc(npages, 1);
	if (!vec)
		return -ENOMEM;
	if (mincore((void *)addr, npages * fdemo_page_size(), vec)) {
		count = -errno;
		free(vec);
		return count;
	}
	for (i = 0; i < npages; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

long fdemo_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	return ru.ru_minflt + ru.ru_majflt;
}

long fdemo_major_faults(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -errno;
	return ru.ru_majflt;
}

/*
 * Find the smaps block of the vma containing @addr and copy the value of
 * @field ("Rss", "VmFlags", ...) into @buf.
 */
static int smaps_field(const void *addr, const char *field, char *buf,
		       size_t len)
{
	unsigned long a = (unsigned long)addr, start, end;
	size_t flen = strlen(field);
	char *line = NULL;
	size_t cap = 0;
	bool inside = false;
	int ret = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			if (inside)
				break;
			inside = a >= start && a < end;
			continue;
		}
		if (!inside || strncmp(line, field, flen) || line[flen] != ':')
			continue;
		snprintf(buf, len, "%s", line + flen + 1);
		buf[strcspn(buf, "\n")] = '\0';
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

long fdemo_smaps_kb(const void *addr, const char *field)
{
	char buf[256];
	int ret;

	ret = smaps_field(addr, field, buf, sizeof(buf));
	if (ret)
		return ret;
	return strtol(buf, NULL, 10);
}

/* The file offset /proc/self/maps gives for @addr, or -1. */
long long fdemo_maps_offset(const void *addr)
{
	unsigned long a = (unsigned long)addr, start, end;
	unsigned long long off;
	long long ret = -1;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx %*s %llx", &start, &end, &off) == 3 &&
		    a >= start && a < end) {
			ret = off + (a - start);
			break;
		}
	fclose(f);
	return ret;
}

int fdemo_smaps_vmflags(const void *addr, char *buf, size_t len)
{
	return smaps_field(addr, "VmFlags", buf, len);
}

bool fdemo_vmflag(const char *vmflags, const char *flag)
{
	char tmp[512], *tok, *save = NULL;

	snprintf(tmp, sizeof(tmp), "%s", vmflags);
	for (tok = strtok_r(tmp, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!strcmp(tok, flag))
			return true;
	return false;
}

long fdemo_meminfo_kb(const char *field)
{
	size_t flen = strlen(field);
	char line[256];
	long val = -ENOENT;
	FILE *f;

	f = fopen("/proc/meminfo", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ':') {
			val = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

int fdemo_kernel_version(void)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2)
		return 0;
	return FDEMO_KVER(major, minor);
}

static sigjmp_buf probe_env;
static struct fdemo_sig probe_sig;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_sig.signo = sig;
	probe_sig.code = si->si_code;
	probe_sig.addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

int fdemo_probe(void *addr, bool write, __u64 val, struct fdemo_sig *sig)
{
	struct sigaction sa, old_bus, old_segv;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	memset(&probe_sig, 0, sizeof(probe_sig));
	if (!sigsetjmp(probe_env, 1)) {
		if (write)
			fdemo_poke(addr, val);
		else
			probe_sig.value = fdemo_peek(addr);
	}
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	if (sig)
		*sig = probe_sig;
	return probe_sig.signo;
}

/*
 * Map @len bytes of @fd at a virtual address aligned to @align (a power of
 * two), so that fault-around windows are predictable.
 */
void *fdemo_mmap_aligned(int fd, size_t len, int prot, int flags, off_t off,
			 size_t align)
{
	size_t span = len + align;
	char *res, *addr, *p;

	res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		   -1, 0);
	if (res == MAP_FAILED)
		return MAP_FAILED;
	addr = (char *)(((unsigned long)res + align - 1) & ~(align - 1));
	p = mmap(addr, len, prot, flags | MAP_FIXED, fd, off);
	if (p == MAP_FAILED) {
		int err = errno;

		munmap(res, span);
		errno = err;
		return MAP_FAILED;
	}
	if (addr > res)
		munmap(res, addr - res);
	if (res + span > addr + len)
		munmap(addr + len, res + span - (addr + len));
	return p;
}

static long cached_vec(unsigned char **vecp, __u64 *npagesp)
{
	struct faultdemo_geometry g;
	size_t ps = fdemo_page_size();
	unsigned char *vec;
	void *map;
	int fd, ret;

	fd = fdemo_open(O_RDONLY);
	if (fd < 0)
		return fd;
	ret = fdemo_geometry(fd, &g);
	if (ret) {
		close(fd);
		return ret;
	}
	map = mmap(NULL, g.size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;
	vec = malloc(g.size / ps);
	if (!vec) {
		munmap(map, g.size);
		return -ENOMEM;
	}
	if (mincore(map, g.size, vec)) {
		ret = -errno;
		free(vec);
		munmap(map, g.size);
		return ret;
	}
	munmap(map, g.size);
	*vecp = vec;
	*npagesp = g.size / ps;
	return 0;
}

/*
 * Find @npages device pages past the scratch area, starting at a multiple
 * of @align pages, none of which is in the page cache.  Returns the first
 * page index, or -ENOSPC.
 */
long fdemo_find_cold(size_t npages, size_t align)
{
	unsigned char *vec;
	__u64 total, i, j;
	long ret;

	ret = cached_vec(&vec, &total);
	if (ret)
		return ret;
	ret = -ENOSPC;
	for (i = (FDEMO_SCRATCH_PAGES + align - 1) / align * align;
	     i + npages <= total; i += align) {
		for (j = 0; j < npages && !(vec[i + j] & 1); j++)
			;
		if (j == npages) {
			ret = i;
			break;
		}
		i = (i + j) / align * align;
	}
	free(vec);
	return ret;
}

/* Pages of [first_page, first_page + npages) in the page cache. */
long fdemo_cached_in(__u64 first_page, size_t npages)
{
	unsigned char *vec;
	__u64 total, i;
	long ret;

	ret = cached_vec(&vec, &total);
	if (ret)
		return ret;
	for (i = first_page; i < first_page + npages && i < total; i++)
		ret += vec[i] & 1;
	free(vec);
	return ret;
}

static int mount_if_missing(const char *probe, const char *dir,
			    const char *fstype)
{
	if (!access(probe, F_OK))
		return 0;
	if (mount(fstype, dir, fstype, 0, NULL) && errno != EBUSY)
		return -errno;
	return access(probe, F_OK) ? -ENOENT : 0;
}

int fdemo_fab_get(__u64 *val)
{
	int ret;

	ret = mount_if_missing(FDEMO_FAB_PATH, "/sys/kernel/debug", "debugfs");
	if (ret)
		return ret;
	return fdemo_read_u64(FDEMO_FAB_PATH, val);
}

bool fdemo_have_thp(void)
{
	return !access("/sys/kernel/mm/transparent_hugepage", F_OK);
}

bool fdemo_destructive_ok(void)
{
	const char *v = getenv("FAULTDEMO_DESTRUCTIVE");

	return v && !strcmp(v, "1");
}

int fdemo_fab_set(__u64 val)
{
	char buf[32];
	int ret;

	ret = mount_if_missing(FDEMO_FAB_PATH, "/sys/kernel/debug", "debugfs");
	if (ret)
		return ret;
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)val);
	return fdemo_write_file(FDEMO_FAB_PATH, buf);
}

const char *fdemo_tracefs(void)
{
	if (!mount_if_missing("/sys/kernel/tracing/events", "/sys/kernel/tracing",
			      "tracefs"))
		return "/sys/kernel/tracing";
	if (!mount_if_missing("/sys/kernel/debug/tracing", "/sys/kernel/debug",
			      "debugfs") &&
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return "/sys/kernel/debug/tracing";
	return NULL;
}

static int trace_event_enable(const char *inst, const char *event, bool on)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/events/%s/enable", inst, event);
	return fdemo_write_file(path, on ? "1" : "0");
}

int fdemo_trace_start(char *inst, size_t len, const char * const *events,
		      size_t nevents, bool pid_only)
{
	const char *tracefs = fdemo_tracefs();
	char path[512], pid[32];
	size_t i;
	int ret;

	if (!tracefs)
		return -ENOENT;
	snprintf(inst, len, "%s/instances/faultdemo_selftest_%d", tracefs,
		 getpid());
	if (mkdir(inst, 0700) && errno != EEXIST)
		return -errno;
	if (pid_only) {
		snprintf(path, sizeof(path), "%s/set_event_pid", inst);
		snprintf(pid, sizeof(pid), "%d", getpid());
		ret = fdemo_write_file(path, pid);
		if (ret)
			return ret;
	}
	for (i = 0; i < nevents; i++) {
		ret = trace_event_enable(inst, events[i], true);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), "%s/tracing_on", inst);
	return fdemo_write_file(path, "1");
}

FILE *fdemo_trace_open(const char *inst)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/trace", inst);
	return fopen(path, "re");
}

long fdemo_trace_count(const char *inst, const char *needle,
		       const char *needle2)
{
	FILE *f = fdemo_trace_open(inst);
	char *line = NULL;
	size_t cap = 0;
	long n = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (line[0] == '#' || !strstr(line, needle))
			continue;
		if (needle2 && !strstr(line, needle2))
			continue;
		n++;
	}
	free(line);
	fclose(f);
	return n;
}

void fdemo_trace_stop(const char *inst, const char * const *events,
		      size_t nevents)
{
	size_t i;

	for (i = 0; i < nevents; i++)
		trace_event_enable(inst, events[i], false);
	rmdir(inst);
}

const char *fdemo_ko(void)
{
	const char *ko = getenv("FAULTDEMO_KO");

	return ko && *ko ? ko : NULL;
}

bool fdemo_loaded(void)
{
	return !access(FDEMO_MODULE_DIR, F_OK);
}

int fdemo_load(const char *params)
{
	const char *ko = fdemo_ko();
	int fd, ret, i;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0);
	ret = ret ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	for (i = 0; i < 250 && access(FDEMO_DEV, F_OK); i++)
		sleep_ms(20);
	return 0;
}

int fdemo_unload(void)
{
	if (syscall(SYS_delete_module, "faultdemo", O_NONBLOCK))
		return -errno;
	return 0;
}

/* Unload, giving files released by exiting children time to go away. */
int fdemo_unload_retry(void)
{
	int i, ret = 0;

	for (i = 0; i < 100; i++) {
		ret = fdemo_unload();
		if (ret != -EWOULDBLOCK && ret != -EAGAIN && ret != -EBUSY)
			break;
		sleep_ms(30);
	}
	return ret;
}

int fdemo_reload(const char *params)
{
	int ret;

	if (!fdemo_ko())
		return -ENOENT;
	if (fdemo_loaded()) {
		ret = fdemo_unload_retry();
		if (ret)
			return ret;
	}
	return fdemo_load(params);
}

static pid_t defaults_pid;

static void reload_defaults(void)
{
	if (getpid() == defaults_pid && fdemo_ko() && fdemo_reload(""))
		fprintf(stderr, "# could not reload faultdemo with defaults\n");
}

void fdemo_reload_defaults_at_exit(void)
{
	defaults_pid = getpid();
	atexit(reload_defaults);
}

int fdemo_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

bool fdemo_kmsg_find(int fd, const char *needle)
{
	bool found = false;
	char rec[8192];
	ssize_t n;

	/* Consume every new record, so the next call sees only newer ones. */
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records */
		if (n <= 0)
			return found;
		rec[n] = '\0';
		if (strstr(rec, needle))
			found = true;
	}
}

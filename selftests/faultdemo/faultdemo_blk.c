// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the tests of the block backend (see faultdemo_blk.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/dm-ioctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"

#define CGROUP_ROOT	"/sys/fs/cgroup"

const char *fdemo_disk(void)
{
	const char *d = getenv("FAULTDEMO_DISK");

	return d && *d ? d : NULL;
}

long long fdemo_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

void fdemo_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int fdemo_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* /sys/dev/block/MAJ:MIN/@file of the block device node @dev. */
int fdemo_blk_sysfs(const char *dev, const char *file, char *path, size_t len)
{
	struct stat st;

	if (stat(dev, &st))
		return -errno;
	if (!S_ISBLK(st.st_mode))
		return -ENOTBLK;
	snprintf(path, len, "/sys/dev/block/%u:%u/%s", major(st.st_rdev),
		 minor(st.st_rdev), file);
	return 0;
}

int fdemo_blk_stat(const char *dev, struct fdemo_blk_stat *st)
{
	unsigned long long v[17] = { 0 };
	char path[256], buf[512], *p, *end;
	int ret, n;

	ret = fdemo_blk_sysfs(dev, "stat", path, sizeof(path));
	if (!ret)
		ret = fdemo_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	/* 11 fields, 15 from 4.18 (discards), 17 from 5.5 (flushes) */
	for (n = 0, p = buf; n < 17; n++, p = end) {
		v[n] = strtoull(p, &end, 10);
		if (end == p)
			break;
	}
	if (n < 11)
		return -EINVAL;
	st->read_ios = v[0];
	st->read_sectors = v[2];
	st->write_ios = v[4];
	st->write_sectors = v[6];
	st->in_flight = v[8];
	st->flush_ios = v[15];
	return 0;
}

long long fdemo_blk_bytes(const char *dev)
{
	char path[256];
	__u64 sectors;
	int ret;

	ret = fdemo_blk_sysfs(dev, "size", path, sizeof(path));
	if (!ret)
		ret = fdemo_read_u64(path, &sectors);
	return ret ? ret : (long long)sectors * 512;
}

/* O_DIRECT, so that the device itself is read or written, not a cache. */
static int blk_io(const char *dev, void *buf, size_t len, __u64 off,
		  bool write)
{
	size_t ps = fdemo_page_size();
	size_t alen = (len + ps - 1) / ps * ps;
	ssize_t n;
	void *b;
	int fd, ret = 0;

	if (off % ps)
		return -EINVAL;
	b = mmap(NULL, alen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return -errno;
	fd = open(dev, (write ? O_WRONLY : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (write) {
		if (alen != len)
			pread(fd, b, alen, off);	/* keep the tail */
		memcpy(b, buf, len);
		n = pwrite(fd, b, alen, off);
	} else {
		n = pread(fd, b, alen, off);
		if (n >= 0)
			memcpy(buf, b, len);
	}
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != alen)
		ret = -EIO;
	close(fd);
out:
	munmap(b, alen);
	return ret;
}

int fdemo_blk_pwrite(const char *dev, const void *buf, size_t len, __u64 off)
{
	return blk_io(dev, (void *)buf, len, off, true);
}

int fdemo_blk_pread(const char *dev, void *buf, size_t len, __u64 off)
{
	return blk_io(dev, buf, len, off, false);
}

/*
 * Device mapper through its control device rather than dmsetup: starting a
 * program takes seconds on a debug kernel under emulation, and a test
 * swaps tables dozens of times. No udev runs in the test VM, so the
 * /dev/mapper node is made here, as dmsetup does without udev.
 */
#define DM_CONTROL	"/dev/mapper/control"

union dm_buf {
	struct dm_ioctl io;
	char buf[16384];
};

/* One DM ioctl on device @name; a payload, if any, is already in @u. */
static int dm_ioctl_on(unsigned long cmd, const char *name, union dm_buf *u,
		       __u32 flags)
{
	int fd, ret = 0;

	u->io.version[0] = DM_VERSION_MAJOR;
	if (!u->io.data_size)
		u->io.data_size = sizeof(u->io);
	u->io.data_start = sizeof(u->io);
	u->io.flags = flags;
	if (name)
		snprintf(u->io.name, sizeof(u->io.name), "%s", name);
	fd = open(DM_CONTROL, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, cmd, &u->io))
		ret = -errno;
	close(fd);
	return ret;
}

static int dm_simple(unsigned long cmd, const char *name, __u32 flags)
{
	union dm_buf u;

	memset(&u.io, 0, sizeof(u.io));
	return dm_ioctl_on(cmd, name, &u, flags);
}

static bool dm_has_target(const char *type)
{
	struct dm_target_versions *v;
	union dm_buf u;
	size_t off;

	memset(&u.io, 0, sizeof(u.io));
	u.io.data_size = sizeof(u);
	if (dm_ioctl_on(DM_LIST_VERSIONS, NULL, &u, 0) ||
	    (u.io.flags & DM_BUFFER_FULL_FLAG))
		return false;
	for (off = u.io.data_start; off + sizeof(*v) <= u.io.data_size;) {
		v = (struct dm_target_versions *)(u.buf + off);
		if (!strcmp(v->name, type))
			return true;
		if (!v->next)
			break;
		off += v->next;
	}
	return false;
}

static bool dm_ready(void)
{
	return !access(DM_CONTROL, R_OK | W_OK) && dm_has_target("linear") &&
	       dm_has_target("error") && dm_has_target("delay");
}

int fdemo_disk_fill(const char *dev, __u64 off, size_t len, __u64 seed)
{
	const size_t chunk = 1UL << 20;
	__u64 *buf;
	size_t done;
	int ret = 0;

	buf = malloc(chunk);
	if (!buf)
		return -ENOMEM;
	for (done = 0; done < len && !ret; done += chunk) {
		size_t n = len - done < chunk ? len - done : chunk;

		fdemo_pattern_fill(buf, off + done, n, seed);
		ret = fdemo_blk_pwrite(dev, buf, n, off + done);
	}
	free(buf);
	return ret;
}

bool fdemo_disk_has(const char *dev, __u64 off, size_t len, __u64 seed)
{
	void *buf = malloc(len);
	bool ok;

	if (!buf)
		return false;
	ok = !fdemo_blk_pread(dev, buf, len, off) &&
	     fdemo_check(buf, off, len, seed) < 0;
	free(buf);
	return ok;
}

const char *fdemo_evict_name(enum fdemo_evict_how how)
{
	static const char * const names[] = {
		[FDEMO_EVICT_FADVISE]		= "POSIX_FADV_DONTNEED",
		[FDEMO_EVICT_DROP_CACHES]	= "drop_caches",
		[FDEMO_EVICT_PAGEOUT]		= "MADV_PAGEOUT",
	};

	return how < FDEMO_EVICT_NR ? names[how] : "?";
}

int fdemo_evict(int fd, void *p, __u64 off, size_t len,
		enum fdemo_evict_how how)
{
	int ret;

	switch (how) {
	case FDEMO_EVICT_FADVISE:
		munmap(p, len);
		ret = posix_fadvise(fd, off, len, POSIX_FADV_DONTNEED);
		return -ret;
	case FDEMO_EVICT_DROP_CACHES:
		munmap(p, len);
		return fdemo_write_file("/proc/sys/vm/drop_caches", "1");
	case FDEMO_EVICT_PAGEOUT:
		/*
		 * Best effort by design: a folio that someone else holds
		 * at that moment (compaction isolating it, a reference in
		 * another CPU's LRU batch) is skipped. What is still
		 * resident gets one more try once every CPU's batches are
		 * drained (compact_memory: lru_add_drain_all()); a folio
		 * that cannot be paged out stays, and the caller sees it.
		 */
		if (madvise(p, len, MADV_PAGEOUT))
			return -errno;
		if (!fdemo_resident(p, len / fdemo_page_size()))
			return 0;
		ret = fdemo_write_file("/proc/sys/vm/compact_memory", "1");
		if (ret)
			return ret;
		return madvise(p, len, MADV_PAGEOUT) ? -errno : 0;
	default:
		break;
	}
	return -EINVAL;
}

bool fdemo_dm_usable(void)
{
	if (!dm_ready())
		fdemo_sh("modprobe -q dm-mod 2>/dev/null; modprobe -q dm-delay 2>/dev/null");
	return dm_ready();
}

/*
 * Load @table ("<start> <length> <target> <args>", one target per line)
 * as @name's inactive table; DM_READONLY_FLAG in @flags makes it
 * read-only. Each target spec is followed by its arguments, padded to 8
 * bytes; its "next" is the offset of the following spec from it.
 */
static int dm_load(const char *name, const char *table, __u32 flags)
{
	union dm_buf u;
	struct dm_target_spec *spec;
	unsigned long long start, len;
	char type[DM_MAX_TYPE_NAME];
	size_t used = sizeof(u.io), plen, step;
	const char *line = table, *eol;
	int n;

	memset(&u, 0, sizeof(u));
	while (*line) {
		n = 0;
		if (sscanf(line, "%llu %llu %15s %n", &start, &len, type, &n) != 3 || !n)
			return -EINVAL;
		/* " %n" skips a newline too: a target without arguments */
		eol = strchr(line, '\n');
		if (eol && line + n > eol)
			n = eol - line;
		plen = (eol ? (size_t)(eol - line - n) : strlen(line + n)) + 1;
		step = (sizeof(*spec) + plen + 7) & ~7UL;
		if (used + step > sizeof(u))
			return -E2BIG;
		spec = (struct dm_target_spec *)(u.buf + used);
		spec->sector_start = start;
		spec->length = len;
		spec->next = step;
		snprintf(spec->target_type, sizeof(spec->target_type), "%s", type);
		memcpy(spec + 1, line + n, plen - 1);
		used += step;
		u.io.target_count++;
		line = eol ? eol + 1 : line + n + plen - 1;
	}
	if (!u.io.target_count)
		return -EINVAL;
	u.io.data_size = used;
	return dm_ioctl_on(DM_TABLE_LOAD, name, &u, flags);
}

static void dm_node_path(const char *name, char *path, size_t len)
{
	snprintf(path, len, "/dev/mapper/%s", name);
}

int fdemo_dm_create(const char *name, const char *table, bool readonly)
{
	char path[PATH_MAX];
	union dm_buf u;
	int ret;

	memset(&u.io, 0, sizeof(u.io));
	ret = dm_ioctl_on(DM_DEV_CREATE, name, &u, 0);
	if (ret)
		return ret;
	ret = dm_load(name, table, readonly ? DM_READONLY_FLAG : 0);
	if (!ret)
		ret = fdemo_dm_resume(name);
	dm_node_path(name, path, sizeof(path));
	unlink(path);
	if (!ret && mknod(path, S_IFBLK | 0600, (dev_t)u.io.dev))
		ret = -errno;
	if (ret)
		dm_simple(DM_DEV_REMOVE, name, 0);
	return ret;
}

/* A live table swap: load the new table, then resume (suspend, switch). */
int fdemo_dm_swap(const char *name, const char *table)
{
	int ret = dm_load(name, table, 0);

	return ret ? ret : fdemo_dm_resume(name);
}

/* Suspend, flushing what is queued first, as dmsetup suspend does. */
int fdemo_dm_suspend(const char *name)
{
	return dm_simple(DM_DEV_SUSPEND, name, DM_SUSPEND_FLAG);
}

int fdemo_dm_resume(const char *name)
{
	return dm_simple(DM_DEV_SUSPEND, name, 0);
}

/* Remove @name if it exists, retrying while it is briefly busy. */
int fdemo_dm_remove(const char *name)
{
	char path[PATH_MAX];
	int ret, tries;

	for (tries = 0; tries < 50; tries++) {
		ret = dm_simple(DM_DEV_REMOVE, name, 0);
		if (ret != -EBUSY)
			break;
		fdemo_sleep_ms(100);
	}
	if (ret == -ENXIO)
		ret = 0;
	dm_node_path(name, path, sizeof(path));
	if (!ret)
		unlink(path);
	return ret;
}

/* The target's status line, read with DM_TABLE_STATUS: tests poll it. */
static int dm_status_line(const char *name, char *line, size_t len)
{
	struct dm_target_spec *spec;
	union dm_buf u;
	int ret;

	memset(&u.io, 0, sizeof(u.io));
	u.io.data_size = sizeof(u);
	ret = dm_ioctl_on(DM_TABLE_STATUS, name, &u, 0);
	if (ret)
		return ret;
	if (u.io.target_count != 1 || (u.io.flags & DM_BUFFER_FULL_FLAG))
		return -EIO;
	spec = (struct dm_target_spec *)(u.buf + u.io.data_start);
	snprintf(line, len, "%s", (char *)(spec + 1));
	return 0;
}

int fdemo_dm_delayed(const char *name, long *reads, long *writes)
{
	char line[512], *tok, *last[3] = { NULL };
	int ret;

	/* dm-delay's status: "<reads> <writes> <flushes>" it holds now */
	ret = dm_status_line(name, line, sizeof(line));
	if (ret)
		return ret;
	for (tok = strtok(line, " "); tok; tok = strtok(NULL, " ")) {
		last[0] = last[1];
		last[1] = last[2];
		last[2] = tok;
	}
	if (!last[0])
		return -EIO;
	*reads = strtol(last[0], NULL, 10);
	*writes = strtol(last[1], NULL, 10);
	return 0;
}

int fdemo_dm_wait_delayed(const char *name, bool writes, long timeout_ms)
{
	long long end = fdemo_now_us() + timeout_ms * 1000LL;
	long r, w;
	int ret;

	do {
		ret = fdemo_dm_delayed(name, &r, &w);
		if (ret)
			return ret;
		if (writes ? w > 0 : r > 0)
			return 0;
		fdemo_sleep_ms(5);
	} while (fdemo_now_us() < end);
	return -ETIMEDOUT;
}

static long long dm_sectors(const char *disk)
{
	long long bytes = fdemo_blk_bytes(disk);

	return bytes < 0 ? bytes : bytes / 512;
}

int fdemo_dm_table_linear(const char *disk, char *buf, size_t len)
{
	long long n = dm_sectors(disk);

	if (n < 0)
		return n;
	snprintf(buf, len, "0 %lld linear %s 0", n, disk);
	return 0;
}

int fdemo_dm_table_error(const char *disk, char *buf, size_t len)
{
	long long n = dm_sectors(disk);

	if (n < 0)
		return n;
	snprintf(buf, len, "0 %lld error", n);
	return 0;
}

int fdemo_dm_table_error_range(const char *disk, __u64 off, __u64 bytes,
			       char *buf, size_t len)
{
	long long n = dm_sectors(disk);
	__u64 a = off / 512, b = bytes / 512;

	if (n < 0)
		return n;
	if (off % 512 || bytes % 512 || !a || !b || a + b >= (__u64)n)
		return -EINVAL;
	snprintf(buf, len, "0 %llu linear %s 0\n%llu %llu error\n%llu %llu linear %s %llu",
		 (unsigned long long)a, disk, (unsigned long long)a,
		 (unsigned long long)b, (unsigned long long)(a + b),
		 (unsigned long long)(n - a - b), disk,
		 (unsigned long long)(a + b));
	return 0;
}

int fdemo_dm_table_delay(const char *disk, int read_ms, int write_ms,
			 char *buf, size_t len)
{
	long long n = dm_sectors(disk);

	if (n < 0)
		return n;
	snprintf(buf, len, "0 %lld delay %s 0 %d %s 0 %d", n, disk, read_ms,
		 disk, write_ms);
	return 0;
}

long long fdemo_vmstat(const char *field)
{
	size_t flen = strlen(field);
	long long val = -ENOENT;
	char line[256];
	FILE *f;

	/* counters like nr_dirty lag by up to a per-cpu threshold otherwise */
	fdemo_write_file("/proc/sys/vm/stat_refresh", "1");

	f = fopen("/proc/vmstat", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, field, flen) && line[flen] == ' ') {
			val = strtoll(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

int fdemo_sysctl_get(const char *name, long long *val)
{
	char path[256], buf[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	ret = fdemo_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	*val = strtoll(buf, NULL, 10);
	return 0;
}

int fdemo_sysctl_set(const char *name, long long val)
{
	char path[256], buf[64];

	snprintf(path, sizeof(path), "/proc/sys/%s", name);
	snprintf(buf, sizeof(buf), "%lld", val);
	return fdemo_write_file(path, buf);
}

int fdemo_bdi(char *buf, size_t len)
{
	return fdemo_read_file(FDEMO_CLASS_DIR "/bdi", buf, len);
}

int fdemo_bdi_share(void)
{
	char bdi[64], path[128];
	int ret = fdemo_bdi(bdi, sizeof(bdi));

	if (ret)
		return ret;
	snprintf(path, sizeof(path), "/sys/class/bdi/%s/min_ratio", bdi);
	return fdemo_write_file(path, "20");
}

int fdemo_cgroup_create(const char *name, const char *memory_max, char *dir,
			size_t len)
{
	char path[512];
	int ret;

	if (access(CGROUP_ROOT "/cgroup.controllers", F_OK) &&
	    mount("none", CGROUP_ROOT, "cgroup2", 0, NULL))
		return -errno;
	ret = fdemo_write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory");
	if (ret)
		return ret;
	snprintf(dir, len, CGROUP_ROOT "/%s", name);
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/memory.max", dir);
	ret = fdemo_write_file(path, memory_max);
	if (ret)
		return ret;
	/* no swap: pressure must be met by evicting the page cache */
	snprintf(path, sizeof(path), "%s/memory.swap.max", dir);
	fdemo_write_file(path, "0");
	return 0;
}

int fdemo_cgroup_enter(const char *dir)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return fdemo_write_file(path, "0");
}

long long fdemo_cgroup_io_bytes(const char *dir, const char *dev,
				const char *key)
{
	char path[512], line[512], devno[32], *at;
	size_t klen = strlen(key);
	long long val = 0;
	struct stat st;
	FILE *f;

	if (stat(dev, &st))
		return -errno;
	snprintf(devno, sizeof(devno), "%u:%u ", major(st.st_rdev),
		 minor(st.st_rdev));
	snprintf(path, sizeof(path), "%s/io.stat", dir);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, devno, strlen(devno)))
			continue;
		for (at = strstr(line, key); at; at = strstr(at + 1, key))
			if (at[-1] == ' ' && at[klen] == '=')
				val = strtoll(at + klen + 1, NULL, 10);
	}
	fclose(f);
	return val;
}

/* The value of @key in @dir/@file ("memory.events", "memory.stat"). */
long long fdemo_cgroup_value(const char *dir, const char *file,
			     const char *key)
{
	size_t klen = strlen(key);
	long long val = -ENOENT;
	char path[512], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ' ') {
			val = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

int fdemo_cgroup_remove(const char *dir)
{
	int i;

	/* the last member may take a moment to leave after it exited */
	for (i = 0; i < 100; i++) {
		if (!rmdir(dir) || errno == ENOENT)
			return 0;
		fdemo_sleep_ms(20);
	}
	return -errno;
}

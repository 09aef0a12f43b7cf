// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the tests of the block backend (see faultdemo_blk.h).
 */
#include <errno.h>
#include <fcntl.h>
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

bool fdemo_dm_usable(void)
{
	if (fdemo_sh("command -v dmsetup >/dev/null 2>&1"))
		return false;
	if (fdemo_sh("modprobe -q dm-mod 2>/dev/null; modprobe -q dm-delay 2>/dev/null; true"))
		return false;
	return !fdemo_sh(FDEMO_DMSETUP " targets 2>/dev/null | grep -q '^delay'");
}

int fdemo_dm_create(const char *name, const char *table)
{
	return fdemo_sh(FDEMO_DMSETUP " create %s --table '%s'", name, table) ? -EIO : 0;
}

/* A live table swap: load the new table, then suspend and resume. */
int fdemo_dm_swap(const char *name, const char *table)
{
	if (fdemo_sh(FDEMO_DMSETUP " load %s --table '%s'", name, table))
		return -EIO;
	return fdemo_sh(FDEMO_DMSETUP " resume %s", name) ? -EIO : 0;
}

int fdemo_dm_suspend(const char *name)
{
	return fdemo_sh(FDEMO_DMSETUP " suspend %s", name) ? -EIO : 0;
}

int fdemo_dm_resume(const char *name)
{
	return fdemo_sh(FDEMO_DMSETUP " resume %s", name) ? -EIO : 0;
}

int fdemo_dm_remove(const char *name)
{
	if (fdemo_sh(FDEMO_DMSETUP " info %s >/dev/null 2>&1", name))
		return 0;
	return fdemo_sh(FDEMO_DMSETUP " remove --retry %s", name) ? -EIO : 0;
}

/*
 * The target's status line, read with DM_TABLE_STATUS on the control
 * device rather than by running dmsetup: the tests that look at what
 * dm-delay holds must look quickly, and starting a program takes seconds
 * on a debug kernel under emulation.
 */
static int dm_status_line(const char *name, char *line, size_t len)
{
	union {
		struct dm_ioctl io;
		char buf[16384];
	} u;
	struct dm_target_spec *spec;
	int fd, ret = 0;

	memset(&u.io, 0, sizeof(u.io));
	u.io.version[0] = DM_VERSION_MAJOR;
	u.io.data_size = sizeof(u);
	u.io.data_start = sizeof(u.io);
	snprintf(u.io.name, sizeof(u.io.name), "%s", name);
	fd = open("/dev/mapper/control", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, DM_TABLE_STATUS, &u.io))
		ret = -errno;
	close(fd);
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

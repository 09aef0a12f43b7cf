/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of the block backend: the scratch disk, block
 * device statistics, device-mapper targets that make a disk slow or fail,
 * /proc/vmstat, sysctls and memory cgroups. Functions return 0 or a
 * negative errno unless noted.
 */
#ifndef FAULTDEMO_BLK_H
#define FAULTDEMO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* The device-mapper device the tests put between the module and the disk. */
#define FDEMO_DM_NAME		"faultdemo-test"
#define FDEMO_DM_PATH		"/dev/mapper/" FDEMO_DM_NAME

/* /sys/block/<dev>/stat, Documentation/block/stat.rst */
struct fdemo_blk_stat {
	__u64 read_ios;
	__u64 read_sectors;
	__u64 write_ios;
	__u64 write_sectors;
	__u64 in_flight;
	__u64 flush_ios;
};

/* $FAULTDEMO_DISK: the scratch disk `vm-run --disk` attached, or NULL. */
const char *fdemo_disk(void);

/* Block devices, by the path of their node. */
int fdemo_blk_sysfs(const char *dev, const char *file, char *path, size_t len);
int fdemo_blk_stat(const char *dev, struct fdemo_blk_stat *st);
long long fdemo_blk_bytes(const char *dev);
int fdemo_blk_pwrite(const char *dev, const void *buf, size_t len, __u64 off);
int fdemo_blk_pread(const char *dev, void *buf, size_t len, __u64 off);
/* The test pattern (fdemo_pattern()) written to / checked on @dev itself. */
int fdemo_disk_fill(const char *dev, __u64 off, size_t len, __u64 seed);
bool fdemo_disk_has(const char *dev, __u64 off, size_t len, __u64 seed);

/*
 * Ask the kernel to evict [@off, +@len) of @fd, mapped at @p: fadvise and
 * drop_caches unmap @p first (mapped pages are not dropped), MADV_PAGEOUT
 * keeps it.
 */
enum fdemo_evict_how {
	FDEMO_EVICT_FADVISE,
	FDEMO_EVICT_DROP_CACHES,
	FDEMO_EVICT_PAGEOUT,
	FDEMO_EVICT_NR
};

/* "POSIX_FADV_DONTNEED", "drop_caches", "MADV_PAGEOUT" */
const char *fdemo_evict_name(enum fdemo_evict_how how);

int fdemo_evict(int fd, void *p, __u64 off, size_t len,
		enum fdemo_evict_how how);

/* Device mapper, through its control device (no dmsetup, no udev). */
bool fdemo_dm_usable(void);
int fdemo_dm_create(const char *name, const char *table, bool readonly);
int fdemo_dm_swap(const char *name, const char *table);
int fdemo_dm_suspend(const char *name);
int fdemo_dm_resume(const char *name);
int fdemo_dm_remove(const char *name);
/*
 * Bios a dm-delay device holds right now (its status), and a poll until
 * it holds a write (@writes) or a read. The block layer counts a
 * bio-based device's I/O in flight only when it completes.
 */
int fdemo_dm_delayed(const char *name, long *reads, long *writes);
int fdemo_dm_wait_delayed(const char *name, bool writes, long timeout_ms);
/* Tables over @disk (whole): "linear", "error", "delay R W" in ms. */
int fdemo_dm_table_linear(const char *disk, char *buf, size_t len);
int fdemo_dm_table_error(const char *disk, char *buf, size_t len);
/* @disk with @bytes at @off (sector multiples, inside it) failing I/O. */
int fdemo_dm_table_error_range(const char *disk, __u64 off, __u64 bytes,
			       char *buf, size_t len);
int fdemo_dm_table_delay(const char *disk, int read_ms, int write_ms,
			 char *buf, size_t len);

/* /proc/vmstat (per-cpu differences folded in first) and /proc/sys. */
long long fdemo_vmstat(const char *field);
int fdemo_sysctl_get(const char *name, long long *val);
int fdemo_sysctl_set(const char *name, long long val);

/* The module's bdi (faultdemo-N), "" in RAM mode. */
int fdemo_bdi(char *buf, size_t len);
/*
 * Give the module's bdi a guaranteed share of the dirty thresholds
 * (min_ratio 20): a new bdi has none until it has written something, so
 * background writeback would take every dirty page at once, and a page
 * a test dirtied could be clean before the test looks at it.
 */
int fdemo_bdi_share(void);

/* Memory cgroups (cgroup v2, mounted on demand). */
int fdemo_cgroup_create(const char *name, const char *memory_max, char *dir,
			size_t len);
int fdemo_cgroup_enter(const char *dir);
long long fdemo_cgroup_value(const char *dir, const char *file,
			     const char *key);
int fdemo_cgroup_remove(const char *dir);
/* @key ("rbytes", "wbytes", ...) of block device @dev in @dir/io.stat: 0 if absent. */
long long fdemo_cgroup_io_bytes(const char *dir, const char *dev,
				const char *key);

/* Run a shell command; its exit status, or -1. */
int fdemo_sh(const char *fmt, ...);
/* Microseconds on CLOCK_MONOTONIC. */
long long fdemo_now_us(void);
void fdemo_sleep_ms(long ms);

#endif /* FAULTDEMO_BLK_H */

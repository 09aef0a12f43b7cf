/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo: declarations shared by the module's files.
 *
 * Layout of the device (see include/uapi/linux/faultdemo.h):
 *   [0, size)            data area, the page cache of the store inode
 *   [size, reserved)     mappable, any access is SIGBUS
 *   [reserved, +rsize)   reserved window, remap_pfn_range of kernel memory
 */
#ifndef _FAULTDEMO_H
#define _FAULTDEMO_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sizes.h>
#include <linux/sysfs.h>
#include <linux/types.h>

#include <uapi/linux/faultdemo.h>

#define FAULTDEMO_NAME		"faultdemo"

/* First page offset of the reserved window, as vm_pgoff sees it. */
#define FAULTDEMO_RESERVED_PGOFF	(FAULTDEMO_RESERVED_OFFSET >> PAGE_SHIFT)

/* Limits of the module parameters (faultdemo_params.c). */
#define FAULTDEMO_SIZE_MIN		PAGE_SIZE
#define FAULTDEMO_SIZE_MAX		FAULTDEMO_RESERVED_OFFSET
#define FAULTDEMO_RESERVED_SIZE_MAX	SZ_4M
#define FAULTDEMO_READAHEAD_MAX		1024U

/*
 * Module parameters. faultdemo_size and faultdemo_reserved_size are set
 * while the module loads (0444) and never change afterwards, so they are
 * read without locking. faultdemo_readahead and faultdemo_fault_around are
 * runtime-writable through sysfs: read them with READ_ONCE() (the accessors
 * below); a reader sees either the old or the new value, which is all the
 * fault path needs.
 */
extern u64 faultdemo_size;
extern u64 faultdemo_reserved_size;
extern unsigned int faultdemo_readahead;
extern bool faultdemo_fault_around;

static inline unsigned int faultdemo_readahead_pages(void)
{
	return READ_ONCE(faultdemo_readahead);
}

static inline bool faultdemo_fault_around_enabled(void)
{
	return READ_ONCE(faultdemo_fault_around);
}

/* Counters (faultdemo_stats.c); one sysfs file each under stats/. */
enum faultdemo_stat_item {
	FAULTDEMO_STAT_FAULT_READ,	/* .fault, read or private read */
	FAULTDEMO_STAT_FAULT_COW,	/* .fault with vmf->cow_page */
	FAULTDEMO_STAT_FAULT_SHARED,	/* .fault, write to MAP_SHARED */
	FAULTDEMO_STAT_MAP_PAGES,	/* .map_pages calls */
	FAULTDEMO_STAT_PAGE_MKWRITE,	/* successful .page_mkwrite */
	FAULTDEMO_STAT_SIGBUS,		/* .fault past the data area */
	FAULTDEMO_STAT_READAHEAD,	/* pages inserted by read-ahead */
	FAULTDEMO_STAT_CLEAN,		/* clean operations (ioctl, fsync) */
	FAULTDEMO_STAT_NR,
};

/*
 * One array per CPU: the fault path only ever touches its own CPU's copy
 * (this_cpu_inc() is preemption- and irq-safe), so concurrent faults on
 * different CPUs never share a cache line. Readers sum all CPUs; the sum is
 * not a snapshot, which is fine for statistics.
 */
struct faultdemo_pcpu_stats {
	unsigned long count[FAULTDEMO_STAT_NR];
};

DECLARE_PER_CPU(struct faultdemo_pcpu_stats, faultdemo_pcpu_stats);

static inline void faultdemo_stat_inc(enum faultdemo_stat_item item)
{
	this_cpu_inc(faultdemo_pcpu_stats.count[item]);
}

static inline void faultdemo_stat_add(enum faultdemo_stat_item item,
				      unsigned long n)
{
	this_cpu_add(faultdemo_pcpu_stats.count[item], n);
}

unsigned long faultdemo_stat_read(enum faultdemo_stat_item item);
void faultdemo_stat_reset(void);

extern const struct attribute_group *faultdemo_sysfs_groups[];

/* Kinds of .fault, as traced and counted. */
enum faultdemo_fault_kind {
	FAULTDEMO_FAULT_READ,
	FAULTDEMO_FAULT_COW,
	FAULTDEMO_FAULT_SHARED,
};

/*
 * The store (faultdemo_store.c): one anonymous inode on a private pseudo
 * filesystem; its address_space is the page cache of the device. Set up
 * before the device is registered and torn down after it is gone, so it
 * is valid whenever a file, a mapping or a sysfs reader can exist.
 */
extern struct inode *faultdemo_inode;

static inline struct address_space *faultdemo_mapping(void)
{
	return faultdemo_inode->i_mapping;
}

int faultdemo_store_init(void);
void faultdemo_store_exit(void);
int faultdemo_store_get_folio(pgoff_t index, gfp_t gfp, unsigned int ra,
			      struct folio **foliop);
u64 faultdemo_store_clean(pgoff_t first, pgoff_t last);

/* The data area's vm_operations (faultdemo_vm.c). */
int faultdemo_vm_mmap(struct vm_area_struct *vma);

/* The reserved window (faultdemo_reserved.c). */
int faultdemo_reserved_init(void);
void faultdemo_reserved_exit(void);
int faultdemo_reserved_mmap(struct vm_area_struct *vma);

#endif /* _FAULTDEMO_H */

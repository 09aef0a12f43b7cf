/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo: declarations shared by the module's files.
 *
 * Layout of the device (see include/uapi/linux/faultdemo.h):
 *   [0, size)            data area, the page cache of the store inode
 *   [size, reserved)     mappable, any access is SIGBUS
 *   [reserved, +rsize)   reserved window, remap_pfn_range of kernel memory
 *
 * Files:
 *   faultdemo_main.c      init/exit order, the misc device, file operations
 *   faultdemo_vm.c        .fault, .map_pages, .page_mkwrite
 *   faultdemo_cache.c     the page cache: superblock, bdi, store inode
 *   faultdemo_ram.c       RAM backend: zeroed folios up to folio_order,
 *                         own read-ahead and address-space operations
 *   faultdemo_bdev.c      block backend: the device, reads, writeback
 *   faultdemo_reserved.c  the remap_pfn_range window
 *   faultdemo_params.c, faultdemo_stats.c, faultdemo_trace.h, compat.h
 *
 * Lock order, lifetimes and what "dirty" means in each mode: doc/design.md.
 */
#ifndef _FAULTDEMO_H
#define _FAULTDEMO_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
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
#define FAULTDEMO_BACKING_MAX		256	/* bytes in the path, NUL included */
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
#define FAULTDEMO_FOLIO_ORDER_MAX	((unsigned int)MAX_PAGECACHE_ORDER)
#else
#define FAULTDEMO_FOLIO_ORDER_MAX	0U
#endif

/*
 * Module parameters. faultdemo_size, faultdemo_reserved_size,
 * faultdemo_backing and faultdemo_folio_order are set while the module
 * loads (0444); module init
 * settles faultdemo_size (see faultdemo_params_settle()) before the device
 * exists, and nothing changes them afterwards, so they are read without
 * locking. faultdemo_readahead and faultdemo_fault_around are
 * runtime-writable through sysfs: read them with READ_ONCE() (the accessors
 * below); a reader sees either the old or the new value, which is all the
 * fault path needs.
 */
extern u64 faultdemo_size;
extern u64 faultdemo_reserved_size;
extern unsigned int faultdemo_readahead;
extern bool faultdemo_fault_around;
extern char faultdemo_backing[FAULTDEMO_BACKING_MAX];
extern unsigned int faultdemo_folio_order;

static inline unsigned int faultdemo_readahead_pages(void)
{
	return READ_ONCE(faultdemo_readahead);
}

static inline bool faultdemo_fault_around_enabled(void)
{
	return READ_ONCE(faultdemo_fault_around);
}

int faultdemo_params_settle(u64 device_bytes);

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
	FAULTDEMO_STAT_FAULT_MAJOR,	/* .fault that had to read */
	FAULTDEMO_STAT_FAULT_RETRY,	/* .fault that dropped the lock */
	FAULTDEMO_STAT_PAGES_READ,	/* pages read from the device */
	FAULTDEMO_STAT_PAGES_WRITTEN,	/* pages written to the device */
	FAULTDEMO_STAT_WRITEBACK_ERRORS, /* write I/Os that failed */
	FAULTDEMO_STAT_FAULT_PMD,	/* .fault whose folio the core maps by PMD */
	FAULTDEMO_STAT_MAP_PAGES_PMD,	/* .map_pages that mapped a PMD */
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

/**
 * struct faultdemo_backend - what lies behind the page cache
 * @name:	"ram" or "block", as sysfs shows it
 * @aops:	address_space operations of the store inode
 * @writeback:	the store writes back: its superblock gets a bdi of its own,
 *		its inode is evictable and on the writeback lists
 * @init_bdi:	set up that bdi (read-ahead size); only if @writeback
 * @init_inode:	set up the store inode: gfp mask, evictability, block size
 * @fault:	.fault for a page inside the data area, after the common
 *		checks of faultdemo_vm.c; same contract as .fault
 * @mkwrite:	optional, in .page_mkwrite with @folio locked and stable,
 *		before the core makes the entry writable
 * @read_prepare: optional, before read() or splice() reads [pos, pos +
 *		count): create missing folios the backend's way
 * @write:	buffered write of [ki_pos, ki_pos + count), already clamped to
 *		the data area; the store inode's i_rwsem is held
 * @clean:	write back the pages of [@first, @last] and wait for them,
 *		leaving every page write-protected in every shared mapping;
 *		returns the count of pages cleaned or a negative errno, and
 *		reports a writeback error once per @file (errseq)
 * @flush:	make what @clean wrote durable (the device's write cache)
 *
 * The page cache (faultdemo_cache.c) is the same for both; only these
 * differ. Every callback runs in process context and may sleep.
 */
struct faultdemo_backend {
	const char *name;
	const struct address_space_operations *aops;
	bool writeback;
	void (*init_bdi)(struct backing_dev_info *bdi);
	void (*init_inode)(struct inode *inode);
	vm_fault_t (*fault)(struct vm_fault *vmf);
	void (*mkwrite)(struct folio *folio);
	void (*read_prepare)(loff_t pos, size_t count);
	ssize_t (*write)(struct kiocb *iocb, struct iov_iter *from);
	long (*clean)(struct file *file, pgoff_t first, pgoff_t last);
	int (*flush)(void);
};

extern const struct faultdemo_backend faultdemo_ram_backend;
extern const struct faultdemo_backend faultdemo_bdev_backend;

/*
 * The store (faultdemo_cache.c): one inode on a private, never-registered
 * filesystem; its address_space is the page cache of the device. Set up
 * before the device is registered and torn down after it is gone, so it
 * is valid whenever a file, a mapping or a sysfs reader can exist.
 */
struct faultdemo_store {
	const struct faultdemo_backend *backend;
	struct inode *inode;
	struct vfsmount *mnt;
	pgoff_t pages;			/* in the data area */
};

extern struct faultdemo_store faultdemo_store;

static inline struct address_space *faultdemo_mapping(void)
{
	return faultdemo_store.inode->i_mapping;
}

static inline const struct faultdemo_backend *faultdemo_backend(void)
{
	return faultdemo_store.backend;
}

int faultdemo_cache_init(const struct faultdemo_backend *backend);
void faultdemo_cache_exit(void);
void faultdemo_cache_count_folios(unsigned long *count, unsigned int nr);
const char *faultdemo_cache_bdi_name(void);

/* The block backend's device (faultdemo_bdev.c). */
int faultdemo_bdev_open(const char *path, u64 *bytes);
void faultdemo_bdev_close(void);
int faultdemo_bdev_shutdown(void);

/* The data area's vm_operations (faultdemo_vm.c). */
int faultdemo_vm_mmap(struct vm_area_struct *vma);

/* The reserved window (faultdemo_reserved.c). */
int faultdemo_reserved_init(void);
void faultdemo_reserved_exit(void);
int faultdemo_reserved_mmap(struct vm_area_struct *vma);

#endif /* _FAULTDEMO_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo: every kernel-version difference the module depends on, in one
 * place. Fully supported: Debian's 6.1, 6.12 and 7.3 kernels; build-checked:
 * Debian 13's 6.12 and 7.2 (README.md, "Kernels"). Each shim names the
 * upstream change it papers over and the release that brought it, so that
 * it can be dropped with the old kernel. The rest of the module uses the
 * newest API, or a feature name defined here (FAULTDEMO_IOMAP_WB_*) where
 * the shape of its own code differs by kernel.
 *
 * This header is the bottom layer: it names kernel differences only and
 * calls nothing of the module's. An adapter that needs a backend's own
 * function lives in that backend.
 *
 * One change is guarded by what the headers define rather than by
 * version, __cond_lock(). ->mmap is still accepted next to ->mmap_prepare
 * (6.16 on) by every supported kernel, 7.3 included, without a warning;
 * see faultdemo(4), NOTES.
 */
#ifndef _FAULTDEMO_COMPAT_H
#define _FAULTDEMO_COMPAT_H

#include <linux/backing-dev.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/huge_mm.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/pagemap.h>
#include <linux/version.h>
#include <linux/writeback.h>

/*
 * The only place that looks at the kernel version. (checkpatch rightly
 * flags LINUX_VERSION_CODE in code meant for mainline; this module is
 * built out of tree for several kernels on purpose.)
 */
#define FAULTDEMO_KERNEL_GE(a, b, c)	(KERNEL_VERSION(a, b, c) <= LINUX_VERSION_CODE)

/*
 * folio_batch, with <linux/pagevec.h> renamed <linux/folio_batch.h>
 * ("folio_batch: rename pagevec.h to folio_batch.h", posted for 7.1 after
 * 7.0-rc1; Debian has no 7.0 or 7.1 headers to tell, 6.12's have the old
 * name and 7.2's the new one).
 */
#if FAULTDEMO_KERNEL_GE(7, 1, 0)
#include <linux/folio_batch.h>
#else
#include <linux/pagevec.h>
#endif

/*
 * filemap_get_folio() and filemap_lock_folio() return NULL on a miss up to
 * 6.3 and ERR_PTR(-ENOENT) from 6.4 on ("mm: return an ERR_PTR from
 * __filemap_get_folio"). The faultdemo_ versions return NULL on a miss on
 * every kernel.
 */
static inline struct folio *faultdemo_folio_or_null(struct folio *folio)
{
#if FAULTDEMO_KERNEL_GE(6, 4, 0)
	if (IS_ERR(folio))
		return NULL;
#endif
	return folio;
}

static inline struct folio *
faultdemo_filemap_get_folio(struct address_space *mapping, pgoff_t index)
{
	return faultdemo_folio_or_null(filemap_get_folio(mapping, index));
}

static inline struct folio *
faultdemo_filemap_lock_folio(struct address_space *mapping, pgoff_t index)
{
	return faultdemo_folio_or_null(filemap_lock_folio(mapping, index));
}

/*
 * generic_perform_write() advances iocb->ki_pos itself in 6.12 and in
 * Debian's 6.1.192 (both checked in mm/filemap.c); older 6.1.y releases
 * left that to the caller. Setting ki_pos from the saved position is
 * correct either way, so no version test is needed.
 */
static inline ssize_t faultdemo_perform_write(struct kiocb *iocb,
					      struct iov_iter *from)
{
	loff_t pos = iocb->ki_pos;
	ssize_t ret = generic_perform_write(iocb, from);

	if (ret > 0)
		iocb->ki_pos = pos + ret;
	return ret;
}

/*
 * Splicing from the page cache: generic_file_splice_read() was replaced by
 * filemap_splice_read() in 6.5 (ITER_PIPE removal).
 */
#if FAULTDEMO_KERNEL_GE(6, 5, 0)
#define faultdemo_splice_read	filemap_splice_read
#else
#define faultdemo_splice_read	generic_file_splice_read
#endif

/*
 * Largest order the buddy allocator hands out. MAX_ORDER was exclusive up
 * to 6.3, inclusive in 6.4..6.7 ("mm, treewide: redefine MAX_ORDER
 * sanely") and renamed MAX_PAGE_ORDER in 6.8. It is 10 (4 MiB with 4 KiB
 * pages) on both x86-64 kernels.
 */
#if FAULTDEMO_KERNEL_GE(6, 8, 0)
#define FAULTDEMO_MAX_PAGE_ORDER	MAX_PAGE_ORDER
#elif FAULTDEMO_KERNEL_GE(6, 4, 0)
#define FAULTDEMO_MAX_PAGE_ORDER	MAX_ORDER
#else
#define FAULTDEMO_MAX_PAGE_ORDER	(MAX_ORDER - 1)
#endif

/*
 * Looking up the PTE of a VM_PFNMAP mapping: follow_pte(mm, ...) up to
 * 6.9 (6.10 and 6.11 take the vma instead), replaced by
 * follow_pfnmap_start()/follow_pfnmap_end() in 6.12. Both need mmap_lock
 * held (6.12 also accepts the i_mmap lock); between start and end the page
 * table lock is held, so the PTE - and the page it maps - cannot change.
 * Nothing between them may sleep.
 */
struct faultdemo_pfnmap {
	/* in */
	struct vm_area_struct *vma;
	unsigned long address;
	/* out */
	unsigned long pfn;
	bool writable;
	/* private */
#if FAULTDEMO_KERNEL_GE(6, 12, 0)
	struct follow_pfnmap_args args;
#else
	pte_t *ptep;
	spinlock_t *ptl;	/* page table lock: held from start to end */
#endif
};

/* Returns true, with the page table lock held, if a PTE is present. */
static inline bool __faultdemo_pfnmap_start(struct faultdemo_pfnmap *pm)
{
#if FAULTDEMO_KERNEL_GE(6, 12, 0)
	pm->args.vma = pm->vma;
	pm->args.address = pm->address;
	if (follow_pfnmap_start(&pm->args))
		return false;
	pm->pfn = pm->args.pfn;
	pm->writable = pm->args.writable;
	return true;
#else
	pte_t pte;

	if (follow_pte(pm->vma->vm_mm, pm->address, &pm->ptep, &pm->ptl))
		return false;
	pte = ptep_get(pm->ptep);
	pm->pfn = pte_pfn(pte);
	pm->writable = pte_write(pte);
	return true;
#endif
}

/*
 * __cond_lock() tells sparse that success means "lock taken". Upstream
 * replaced sparse's lock contexts with Clang's context analysis and
 * dropped __cond_lock(): there, no annotation.
 */
#ifdef __cond_lock
#define faultdemo_pfnmap_start(pm)					\
	__cond_lock(faultdemo_pfnmap, __faultdemo_pfnmap_start(pm))
#define faultdemo_pfnmap_released()	__release(faultdemo_pfnmap)
#else
#define faultdemo_pfnmap_start(pm)	__faultdemo_pfnmap_start(pm)
#define faultdemo_pfnmap_released()	do { } while (0)
#endif

static inline void faultdemo_pfnmap_end(struct faultdemo_pfnmap *pm)
{
#if FAULTDEMO_KERNEL_GE(6, 12, 0)
	follow_pfnmap_end(&pm->args);
	faultdemo_pfnmap_released();	/* for sparse: unlock is out of line */
#else
	pte_unmap_unlock(pm->ptep, pm->ptl);
#endif
}

/*
 * Opening a block device exclusively, as its holder:
 * - up to 6.4: blkdev_get_by_path(path, FMODE_* | FMODE_EXCL, holder) and
 *   blkdev_put(bdev, mode);
 * - 6.5 to 6.8: blk_mode_t, the holder alone means exclusive
 *   ("block: use the holder as indication for exclusive opens"), and
 *   blkdev_put(bdev, holder);
 * - from 6.9 the device is opened as a file ("block: Open block devices as
 *   files"): bdev_file_open_by_path(), file_bdev(), and from 6.10
 *   bdev_fput(), which gives the claim back at once rather than at the
 *   deferred final fput().
 * Errors are the same everywhere: -ENOENT for a missing path, -ENOTBLK for
 * something that is not a block device, -EBUSY if another holder has it,
 * -EACCES if it is read-only (checked by the *_by_path() open itself).
 */
struct faultdemo_bdev_ref {
	struct block_device *bdev;
#if FAULTDEMO_KERNEL_GE(6, 9, 0)
	struct file *file;
#endif
};

static inline int faultdemo_bdev_get(struct faultdemo_bdev_ref *ref,
				     const char *path, void *holder)
{
#if FAULTDEMO_KERNEL_GE(6, 9, 0)
	struct file *file = bdev_file_open_by_path(path, BLK_OPEN_READ |
						   BLK_OPEN_WRITE, holder, NULL);

	if (IS_ERR(file))
		return PTR_ERR(file);
	ref->file = file;
	ref->bdev = file_bdev(file);
#elif FAULTDEMO_KERNEL_GE(6, 5, 0)
	struct block_device *bdev = blkdev_get_by_path(path, BLK_OPEN_READ |
						       BLK_OPEN_WRITE, holder,
						       NULL);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	ref->bdev = bdev;
#else
	struct block_device *bdev = blkdev_get_by_path(path, FMODE_READ |
						       FMODE_WRITE | FMODE_EXCL,
						       holder);

	if (IS_ERR(bdev))
		return PTR_ERR(bdev);
	ref->bdev = bdev;
#endif
	return 0;
}

static inline void faultdemo_bdev_put(struct faultdemo_bdev_ref *ref,
				      void *holder)
{
#if FAULTDEMO_KERNEL_GE(6, 10, 0)
	bdev_fput(ref->file);
#elif FAULTDEMO_KERNEL_GE(6, 9, 0)
	fput(ref->file);
#elif FAULTDEMO_KERNEL_GE(6, 5, 0)
	blkdev_put(ref->bdev, holder);
#else
	blkdev_put(ref->bdev, FMODE_READ | FMODE_WRITE | FMODE_EXCL);
#endif
	ref->bdev = NULL;
}

/*
 * iomap writeback: how a filesystem maps a dirty range and takes over the
 * completion of a write. Four shapes; the block backend's writeback code
 * follows the feature name of its kernel:
 * - up to 6.8: ->map_blocks(wpc, inode, offset) and ->prepare_ioend(ioend,
 *   status); an ioend points at the last bio of a chain (io_bio), whose
 *   bi_private is the ioend and whose completion comes after the others';
 * - 6.9 ("iomap: map multiple blocks at a time", "iomap: don't chain
 *   bios", both merged for 6.9 on a 6.8-rc1 base): ->map_blocks() gains
 *   the length of the dirty range (FAULTDEMO_IOMAP_MAP_BLOCKS_LEN), and
 *   the ioend embeds its one bio (iomap_ioend_from_bio());
 * - FAULTDEMO_IOMAP_WB_SUBMIT, 6.15 ("iomap: allow the file system to
 *   submit the writeback bios"): ->prepare_ioend is replaced by
 *   ->submit_ioend(wpc, status), which submits the ioend's bio itself (or
 *   ends it with @status);
 * - FAULTDEMO_IOMAP_WB_RANGE, 6.17 ("iomap: replace ->map_blocks() with
 *   ->writeback_range()" and the rest of that rework):
 *   ->writeback_range(wpc, folio, pos, len, end_pos) maps and adds the
 *   range itself (iomap_add_to_ioend()), ->writeback_submit(wpc, error)
 *   submits (iomap_ioend_writeback_submit(), which keeps a bi_end_io set
 *   before it), and iomap_writepages() takes only the context, which
 *   carries the inode, the writeback_control and the operations.
 * On every kernel iomap_finish_ioends() ends writeback on an ioend's
 * folios, records an error in the mapping, and frees it; it may sleep.
 */
#if FAULTDEMO_KERNEL_GE(6, 17, 0)
#define FAULTDEMO_IOMAP_WB_RANGE
#elif FAULTDEMO_KERNEL_GE(6, 15, 0)
#define FAULTDEMO_IOMAP_WB_SUBMIT
#endif

#if FAULTDEMO_KERNEL_GE(6, 9, 0)
#define FAULTDEMO_IOMAP_MAP_BLOCKS_LEN

static inline struct bio *faultdemo_ioend_bio(struct iomap_ioend *ioend)
{
	return &ioend->io_bio;
}

static inline struct iomap_ioend *faultdemo_bio_ioend(struct bio *bio)
{
	return iomap_ioend_from_bio(bio);
}
#else
static inline struct bio *faultdemo_ioend_bio(struct iomap_ioend *ioend)
{
	return ioend->io_bio;
}

static inline struct iomap_ioend *faultdemo_bio_ioend(struct bio *bio)
{
	return bio->bi_private;
}
#endif

/*
 * Writing back a mapping's dirty folios with a writeback_control of the
 * caller's, which then tells how many pages were written:
 * filemap_fdatawrite_wbc() up to 6.18; 6.19 made it static
 * ("mm: remove filemap_fdatawrite_wbc"), inside filemap_writeback(), and
 * do_writepages() is not exported. What it did is three exported calls:
 * account the I/O to the inode's cgroup writeback, ->writepages, detach.
 */
static inline int faultdemo_fdatawrite_wbc(struct address_space *mapping,
					   struct writeback_control *wbc)
{
#if FAULTDEMO_KERNEL_GE(6, 19, 0)
	int ret;

	if (!mapping_can_writeback(mapping) ||
	    !mapping_tagged(mapping, PAGECACHE_TAG_DIRTY))
		return 0;
	wbc_attach_fdatawrite_inode(wbc, mapping->host);
	ret = mapping->a_ops->writepages(mapping, wbc);
	wbc_detach_inode(wbc);
	return ret;
#else
	return filemap_fdatawrite_wbc(mapping, wbc);
#endif
}

/*
 * iomap_file_buffered_write() takes a private pointer for ->iomap_begin
 * from 6.12 on ("iomap: add a private argument for
 * iomap_file_buffered_write") and the write operations (NULL: none, as
 * block/fops.c) from 6.17 on ("iomap: replace iomap_folio_ops with
 * iomap_write_ops"). It advances iocb->ki_pos itself from 6.12 on but not
 * on Debian's 6.1, where the caller does (as xfs_file_write_iter()
 * there). Setting it from the saved position is right on all; without it
 * a write() would not move the file position and an O_SYNC write would
 * sync the bytes before the ones it wrote.
 */
static inline ssize_t faultdemo_iomap_buffered_write(struct kiocb *iocb,
						     struct iov_iter *from,
						     const struct iomap_ops *ops)
{
	loff_t pos = iocb->ki_pos;
	ssize_t ret;

#if FAULTDEMO_KERNEL_GE(6, 17, 0)
	ret = iomap_file_buffered_write(iocb, from, ops, NULL, NULL);
#elif FAULTDEMO_KERNEL_GE(6, 12, 0)
	ret = iomap_file_buffered_write(iocb, from, ops, NULL);
#else
	ret = iomap_file_buffered_write(iocb, from, ops);
#endif
	if (ret > 0)
		iocb->ki_pos = pos + ret;
	return ret;
}

/*
 * Memory-failure's hook in the address_space operations works on folios
 * from 6.8 on ("fs: convert error_remove_page to error_remove_folio").
 */
#if FAULTDEMO_KERNEL_GE(6, 8, 0)
#define FAULTDEMO_AOPS_ERROR_REMOVE					\
	.error_remove_folio = generic_error_remove_folio
#else
#define FAULTDEMO_AOPS_ERROR_REMOVE					\
	.error_remove_page = generic_error_remove_page
#endif

/*
 * ->write_begin and ->write_end: what they are told of the write, and
 * what they hand around.
 * - The first argument is the struct file up to 6.16 and the kiocb from
 *   6.17 on ("fs: change write_begin/write_end interface to take struct
 *   kiocb *"): faultdemo_write_ctx_t.
 * - They hand around a page on 6.1, which is the page at pos even inside
 *   a large folio (a tail page), and a folio from 6.12 on ("fs: Convert
 *   aops->write_begin to take a folio", 6.12): faultdemo_write_folio_t,
 *   converted with the two helpers below. (6.1's simple_write_end() reads
 *   page->mapping, which is not the mapping for a tail page: a store that
 *   takes folios must have its own pair.)
 */
#if FAULTDEMO_KERNEL_GE(6, 17, 0)
typedef const struct kiocb *faultdemo_write_ctx_t;
#else
typedef struct file *faultdemo_write_ctx_t;
#endif

#if FAULTDEMO_KERNEL_GE(6, 12, 0)
typedef struct folio faultdemo_write_folio_t;

static inline faultdemo_write_folio_t *
faultdemo_to_write_folio(struct folio *folio, loff_t pos)
{
	return folio;
}

static inline struct folio *
faultdemo_from_write_folio(faultdemo_write_folio_t *folio)
{
	return folio;
}
#else
typedef struct page faultdemo_write_folio_t;

static inline faultdemo_write_folio_t *
faultdemo_to_write_folio(struct folio *folio, loff_t pos)
{
	return folio_file_page(folio, pos >> PAGE_SHIFT);
}

static inline struct folio *
faultdemo_from_write_folio(faultdemo_write_folio_t *page)
{
	return page_folio(page);
}
#endif

/*
 * ->drop_inode that evicts at the last iput(): generic_delete_inode(),
 * renamed inode_just_drop() in 6.18 ("fs: rename generic_delete_inode()
 * and generic_drop_inode()").
 */
#if FAULTDEMO_KERNEL_GE(6, 18, 0)
#define faultdemo_drop_inode_at_once	inode_just_drop
#else
#define faultdemo_drop_inode_at_once	generic_delete_inode
#endif

/*
 * A page-cache folio: filemap_alloc_folio() takes the NUMA memory policy
 * to allocate by from 6.19 on ("mm/filemap: Add NUMA mempolicy support to
 * filemap_alloc_folio()"); NULL is the task's, as before.
 */
static inline struct folio *faultdemo_filemap_alloc_folio(gfp_t gfp,
							  unsigned int order)
{
#if FAULTDEMO_KERNEL_GE(6, 19, 0)
	return filemap_alloc_folio(gfp, order, NULL);
#else
	return filemap_alloc_folio(gfp, order);
#endif
}

/*
 * Reading the blocks of a folio that iomap's per-block state says are not
 * uptodate: iomap_read_folio(folio, ops) up to 6.18; 6.19 split the bio
 * submission out ("iomap: ... iomap_read_folio_ctx", for fuse) and the
 * same read is iomap_bio_read_folio(), which returns nothing (the folio
 * is unlocked, uptodate or not, when the read ends).
 */
static inline int faultdemo_iomap_read_folio(struct folio *folio,
					     const struct iomap_ops *ops)
{
#if FAULTDEMO_KERNEL_GE(6, 19, 0)
	iomap_bio_read_folio(folio, ops);
	return 0;
#else
	return iomap_read_folio(folio, ops);
#endif
}

/*
 * ->dirty_folio of an iomap mapping: iomap_dirty_folio() from 6.6
 * ("iomap: Add per-block dirty state tracking to improve performance"),
 * which marks every block of the folio dirty in its per-block state, so
 * that writeback writes what a store through a mapping dirtied; it may
 * allocate that state (FAULTDEMO_IOMAP_DIRTY_ALLOCATES). Up to 6.5 iomap
 * writes back every uptodate block of a dirty folio, and
 * filemap_dirty_folio() is what XFS used.
 */
#if FAULTDEMO_KERNEL_GE(6, 6, 0)
#define faultdemo_iomap_dirty_folio	iomap_dirty_folio
#define FAULTDEMO_IOMAP_DIRTY_ALLOCATES	1
#else
#define faultdemo_iomap_dirty_folio	filemap_dirty_folio
#define FAULTDEMO_IOMAP_DIRTY_ALLOCATES	0
#endif

/*
 * Whether a mapping's largest folio can be below MAX_PAGECACHE_ORDER
 * (6.12, below). Before, read-ahead into a mapping with large folios
 * grows them up to MAX_PAGECACHE_ORDER whatever the store would like, so
 * the block store offers folio_order 0 or MAX_PAGECACHE_ORDER there.
 */
#define FAULTDEMO_HAVE_FOLIO_ORDER_RANGE	FAULTDEMO_KERNEL_GE(6, 12, 0)

/*
 * Tell the page cache that the mapping holds folios of up to @order pages.
 * From 6.12 a mapping has a range of orders ("fs: Allow fine-grained
 * control of folio sizes", with the block-size series merged for 6.12;
 * 6.1 lacks it, 6.12 has it), which also sizes generic_perform_write()'s
 * chunks. 6.1 has only mapping_set_large_folios(), "up to
 * MAX_PAGECACHE_ORDER", read there by read-ahead (none on the RAM store's
 * noop bdi) and by filemap_nr_thps_dec(), which warns when a PMD-sized
 * folio leaves a mapping without it (READ_ONLY_THP_FOR_FS is off): set it
 * for that order.
 */
static inline void faultdemo_mapping_set_folio_order(struct address_space *mapping,
						     unsigned int order)
{
#if FAULTDEMO_HAVE_FOLIO_ORDER_RANGE
	if (order)
		mapping_set_folio_order_range(mapping, 0, order);
#else
	if (order && order == MAX_PAGECACHE_ORDER)
		mapping_set_large_folios(mapping);
#endif
}

/*
 * Whether finish_fault() will map the folio that .fault just handed out
 * (@folio, locked, holding vmf->page) with one PMD, through do_set_pmd().
 * The core gives no sign afterwards, so the counter of PMD mappings made
 * by .fault repeats its conditions: not a private write (that maps a
 * copy), an empty PMD, a PMD-sized folio, and a VMA that covers the 2 MiB
 * around the address with vm_pgoff congruent to it
 * (transhuge_vma_suitable(), thp_vma_suitable_order() from 6.8). From 6.12
 * do_set_pmd() also gives up for VM_NOHUGEPAGE and PR_SET_THP_DISABLE
 * ("mm: don't install PMD mappings when THPs are disabled by the
 * hw/process/vma"); 6.1 maps such a VMA by PMD all the same. Not foreseen,
 * so counted although no PMD is made: a concurrent fault filling the PMD
 * first, a hardware-poisoned page in the folio, a .page_mkwrite that
 * returns VM_FAULT_NOPAGE, THP disabled by the hardware
 * (thp_disabled_by_hw() reads a variable that is not exported; x86-64
 * always has PMDs). (A folio crossing i_size, which 6.12 also refuses,
 * never exists in the store.)
 */
static inline bool faultdemo_fault_maps_pmd(struct vm_fault *vmf,
					    struct folio *folio)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & HPAGE_PMD_MASK;

	if (folio_order(folio) != HPAGE_PMD_ORDER ||
	    vmf->cow_page || !pmd_none(READ_ONCE(*vmf->pmd)))
		return false;
#if FAULTDEMO_KERNEL_GE(6, 18, 0)
	if (vma_thp_disabled(vma, vma->vm_flags, false))
		return false;
#elif FAULTDEMO_KERNEL_GE(6, 12, 0)
	if (vma_thp_disabled(vma, vma->vm_flags))
		return false;
#endif
#if FAULTDEMO_KERNEL_GE(6, 8, 0)
	return thp_vma_suitable_order(vma, haddr, PMD_ORDER);
#else
	return transhuge_vma_suitable(vma, haddr);
#endif
#else
	return false;
#endif
}

/*
 * Not shims, but traps checked in both trees:
 * - alloc_pages_exact() and filemap_alloc_folio() are macros over the
 *   *_noprof() exports in 6.12 (memory allocation profiling); calling them
 *   by their plain names works on both.
 * - alloc_anon_inode() exists and behaves the same on both.
 * - filemap_add_folio() wants the index aligned to the folio's size, and
 *   a PMD-sized page-cache folio is mapped by one PMD on both, from
 *   fault-around (filemap_map_pmd()) and from .fault (finish_fault()).
 * - filemap_fault() drops mmap_lock on 6.1, the per-VMA lock on 6.12
 *   (release_fault_lock()), before it waits for I/O, and returns
 *   VM_FAULT_RETRY; the per-VMA lock does not exist on Debian's 6.1.
 * - iomap's own completion of a writeback bio is static on every kernel,
 *   and from 6.17 on iomap sets it only where the filesystem set none:
 *   the block backend completes its writes itself, through a workqueue
 *   that calls iomap_finish_ioends() (exported, may sleep), as XFS does.
 * - .map_pages runs under rcu_read_lock() on 6.12, and .fault of a VMA with
 *   .map_pages may run under the per-VMA lock without mmap_lock.
 */

#endif /* _FAULTDEMO_COMPAT_H */

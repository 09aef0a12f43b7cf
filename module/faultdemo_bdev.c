// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the block backend, used with backing=/dev/<disk>.
 *
 * The data area is the device's contents, byte for byte: offset N of the
 * data area is offset N of the device. The page cache in front of it is
 * an ordinary, evictable file page cache, and the I/O between the two is
 * iomap's, with one extent that maps the whole device (the models are
 * fs/zonefs/file.c and block/fops.c):
 * - .fault is filemap_fault(): a miss counts a major fault, reads around
 *   or ahead (page_cache_sync_ra() and, on a PG_readahead folio,
 *   page_cache_async_ra()) and waits for the read with the fault lock
 *   dropped, returning VM_FAULT_RETRY, exactly as for a file on ext4;
 * - the flusher threads, sync(2), fsync(), balance_dirty_pages() and
 *   reclaim reach the inode through the superblock's own bdi
 *   (faultdemo_cache.c) and write it back through ->writepages;
 * - writing a folio back write-protects it in every mapping
 *   (folio_clear_dirty_for_io()), so the next store goes through
 *   .page_mkwrite, which waits for the write to finish if the device
 *   wants stable pages;
 * - clean folios can be evicted: reclaim, drop_caches, fadvise, madvise.
 *
 * Writeback completions are counted, and finished, in a workqueue:
 * iomap_finish_ioends() may sleep, as in XFS.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/backing-dev.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/writeback.h>

#include "compat.h"
#include "faultdemo.h"

/*
 * The backing device and the writeback completion queue. Opened in
 * faultdemo_bdev_open() before the store exists, closed in
 * faultdemo_bdev_close() after it is gone: every I/O, and every
 * completion, happens in between. @ioends (under @ioend_lock, taken from
 * bio completion, so irq-safe) holds the ioends whose write finished and
 * that @ioend_work has not yet finished for iomap.
 */
static struct {
	struct faultdemo_bdev_ref ref;
	struct workqueue_struct *wq;
	spinlock_t ioend_lock;		/* protects ioends */
	struct list_head ioends;
	struct work_struct ioend_work;
} faultdemo_bdev;

static struct block_device *faultdemo_bdev_dev(void)
{
	return faultdemo_bdev.ref.bdev;
}

/*
 * One mapping for everything: the data area is the device, 1:1, and it is
 * all "allocated". Reads stop at i_size and writes are clamped to it
 * before they get here, so nothing asks past the end; if something did,
 * a zero-length extent would make iomap_iter() warn, hence -EIO.
 */
static int faultdemo_bdev_iomap_begin(struct inode *inode, loff_t pos,
				      loff_t length, unsigned int flags,
				      struct iomap *iomap, struct iomap *srcmap)
{
	loff_t size = i_size_read(inode);

	if (pos >= size)
		return -EIO;

	iomap->bdev = faultdemo_bdev_dev();
	iomap->offset = ALIGN_DOWN(pos, i_blocksize(inode));
	iomap->length = size - iomap->offset;
	iomap->addr = iomap->offset;
	iomap->type = IOMAP_MAPPED;
	iomap->flags = 0;
	return 0;
}

static const struct iomap_ops faultdemo_bdev_iomap_ops = {
	.iomap_begin	= faultdemo_bdev_iomap_begin,
};

/**
 * faultdemo_bdev_map_offset() - ->map_blocks of writeback
 * @wpc:	the writeback context, whose iomap is the last extent given
 * @inode:	the store inode
 * @offset:	byte offset of the dirty folio to write
 *
 * Writeback asks once per folio; the one extent answers all of them
 * (faultdemo_map_blocks() in compat.h adapts the signature).
 *
 * Context: writeback, process context, folio locked.
 * Return: 0, or -EIO past the end of the data area.
 */
int faultdemo_bdev_map_offset(struct iomap_writepage_ctx *wpc,
			      struct inode *inode, loff_t offset)
{
	if (offset >= wpc->iomap.offset &&
	    offset < wpc->iomap.offset + wpc->iomap.length)
		return 0;
	return faultdemo_bdev_iomap_begin(inode, offset,
					  i_size_read(inode) - offset,
					  IOMAP_WRITE, &wpc->iomap, NULL);
}

/* Bio completion, any context: hand the ioend to the workqueue. */
static void faultdemo_bdev_end_bio(struct bio *bio)
{
	struct iomap_ioend *ioend = faultdemo_bio_ioend(bio);
	unsigned long flags;

	spin_lock_irqsave(&faultdemo_bdev.ioend_lock, flags);
	if (list_empty(&faultdemo_bdev.ioends))
		queue_work(faultdemo_bdev.wq, &faultdemo_bdev.ioend_work);
	list_add_tail(&ioend->io_list, &faultdemo_bdev.ioends);
	spin_unlock_irqrestore(&faultdemo_bdev.ioend_lock, flags);
}

/*
 * Count what was written and what failed, then let iomap end writeback on
 * the folios: on an error it records it in the mapping (mapping_set_error(),
 * which the next fsync() of each open file reports once) and the folios
 * stay clean, as for any file whose write failed.
 */
static void faultdemo_bdev_ioend_work(struct work_struct *work)
{
	struct iomap_ioend *ioend;
	LIST_HEAD(done);
	int err;

	spin_lock_irq(&faultdemo_bdev.ioend_lock);
	list_splice_init(&faultdemo_bdev.ioends, &done);
	spin_unlock_irq(&faultdemo_bdev.ioend_lock);

	while ((ioend = list_first_entry_or_null(&done, struct iomap_ioend,
						 io_list))) {
		list_del_init(&ioend->io_list);
		err = blk_status_to_errno(faultdemo_ioend_bio(ioend)->bi_status);
		if (err)
			faultdemo_stat_inc(FAULTDEMO_STAT_WRITEBACK_ERRORS);
		else
			faultdemo_stat_add(FAULTDEMO_STAT_PAGES_WRITTEN,
					   ioend->io_size >> PAGE_SHIFT);
		iomap_finish_ioends(ioend, err);
		cond_resched();
	}
}

/* Just before iomap submits a write: complete it through us. */
static int faultdemo_bdev_prepare_ioend(struct iomap_ioend *ioend, int status)
{
	faultdemo_ioend_bio(ioend)->bi_end_io = faultdemo_bdev_end_bio;
	return status;
}

static const struct iomap_writeback_ops faultdemo_bdev_writeback_ops = {
	.map_blocks	= faultdemo_map_blocks,
	.prepare_ioend	= faultdemo_bdev_prepare_ioend,
};

static int faultdemo_bdev_read_folio(struct file *file, struct folio *folio)
{
	faultdemo_stat_add(FAULTDEMO_STAT_PAGES_READ, folio_nr_pages(folio));
	return iomap_read_folio(folio, &faultdemo_bdev_iomap_ops);
}

/* Read-ahead and read-around, the faulting page included. */
static void faultdemo_bdev_readahead(struct readahead_control *rac)
{
	unsigned long nr = readahead_count(rac);

	faultdemo_stat_add(FAULTDEMO_STAT_PAGES_READ, nr);
	faultdemo_stat_add(FAULTDEMO_STAT_READAHEAD, nr);
	iomap_readahead(rac, &faultdemo_bdev_iomap_ops);
}

static int faultdemo_bdev_writepages(struct address_space *mapping,
				     struct writeback_control *wbc)
{
	struct iomap_writepage_ctx wpc = { };

	return iomap_writepages(mapping, wbc, &wpc,
				&faultdemo_bdev_writeback_ops);
}

/*
 * No ->writepage: reclaim does not write our folios itself, it leaves
 * dirty ones to the flusher (pageout() keeps them), as for XFS or ext4.
 * With one block per page, iomap never attaches state to a folio, so
 * dirtying is filemap_dirty_folio() and migration filemap_migrate_folio().
 */
static const struct address_space_operations faultdemo_bdev_aops = {
	.read_folio		= faultdemo_bdev_read_folio,
	.readahead		= faultdemo_bdev_readahead,
	.writepages		= faultdemo_bdev_writepages,
	.dirty_folio		= filemap_dirty_folio,
	.release_folio		= iomap_release_folio,
	.invalidate_folio	= iomap_invalidate_folio,
	.migrate_folio		= filemap_migrate_folio,
	.is_partially_uptodate	= iomap_is_partially_uptodate,
	FAULTDEMO_AOPS_ERROR_REMOVE,
};

/* Read-ahead as large as the device's own, to compare with a file on it. */
static void faultdemo_bdev_init_bdi(struct backing_dev_info *bdi)
{
	struct backing_dev_info *disk_bdi = faultdemo_bdev_dev()->bd_disk->bdi;

	bdi->ra_pages = disk_bdi->ra_pages;
	bdi->io_pages = disk_bdi->io_pages;
}

static void faultdemo_bdev_init_inode(struct inode *inode)
{
	/* One block per page: no per-block state on folios, no partial pages. */
	inode->i_blkbits = PAGE_SHIFT;
	/* Devices that checksum data in flight need pages to stay unchanged. */
	if (bdev_stable_writes(faultdemo_bdev_dev()))
		mapping_set_stable_writes(inode->i_mapping);
}

static ssize_t faultdemo_bdev_write(struct kiocb *iocb, struct iov_iter *from)
{
	return faultdemo_iomap_buffered_write(iocb, from,
					      &faultdemo_bdev_iomap_ops);
}

/*
 * Write the dirty pages of the range and wait for them, the way
 * file_write_and_wait_range() does, with a writeback_control of our own
 * to count the pages written. folio_clear_dirty_for_io() write-protects
 * each page it writes. Errors: the first of the write (-EIO, -ENOMEM) or,
 * once per open file, one the device reported since that file last looked.
 */
static long faultdemo_bdev_clean(struct file *file, pgoff_t first, pgoff_t last)
{
	struct address_space *mapping = faultdemo_mapping();
	loff_t start = (loff_t)first << PAGE_SHIFT;
	loff_t end = ((loff_t)(last + 1) << PAGE_SHIFT) - 1;
	struct writeback_control wbc = {
		.sync_mode	= WB_SYNC_ALL,
		.nr_to_write	= LONG_MAX,
		.range_start	= start,
		.range_end	= end,
	};
	int err, err2;

	err = filemap_fdatawrite_wbc(mapping, &wbc);
	if (err != -EIO)
		filemap_fdatawait_range_keep_errors(mapping, start, end);
	err2 = file_check_and_advance_wb_err(file);
	if (err)
		return err;
	if (err2)
		return err2;
	return LONG_MAX - wbc.nr_to_write;
}

static int faultdemo_bdev_flush(void)
{
	return blkdev_issue_flush(faultdemo_bdev_dev());
}

const struct faultdemo_backend faultdemo_bdev_backend = {
	.name		= "block",
	.aops		= &faultdemo_bdev_aops,
	.writeback	= true,
	.init_bdi	= faultdemo_bdev_init_bdi,
	.init_inode	= faultdemo_bdev_init_inode,
	.fault		= filemap_fault,
	.write		= faultdemo_bdev_write,
	.clean		= faultdemo_bdev_clean,
	.flush		= faultdemo_bdev_flush,
};

static const char *faultdemo_bdev_open_hint(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such device";
	case -ENOTBLK:
		return "not a block device";
	case -EBUSY:
		return "held exclusively by someone else (mounted? in use?)";
	case -EACCES:
		return "read-only, or not writable";
	default:
		return "cannot open it";
	}
}

/**
 * faultdemo_bdev_open() - open the backing device, exclusively
 * @path:	path of a block device
 * @bytes:	its size in bytes, on success
 *
 * The device stays open, with the module as its exclusive holder, until
 * faultdemo_bdev_close().
 *
 * Context: process context, module init, before the store exists.
 * Return: 0, or a negative errno, with a message saying why: -ENOENT,
 * -ENOTBLK, -EBUSY, -EACCES (a read-only device) as faultdemo_bdev_get()
 * explains, -EINVAL if its logical blocks are larger than a page, -ENOMEM.
 */
int faultdemo_bdev_open(const char *path, u64 *bytes)
{
	struct block_device *bdev;
	unsigned int lbs;
	int err;

	err = faultdemo_bdev_get(&faultdemo_bdev.ref, path, &faultdemo_bdev);
	if (err) {
		pr_err("backing=%s: %s (%pe)\n", path,
		       faultdemo_bdev_open_hint(err), ERR_PTR(err));
		return err;
	}
	bdev = faultdemo_bdev_dev();

	/* A page cache page must hold whole blocks: iomap reads pages. */
	lbs = bdev_logical_block_size(bdev);
	if (lbs > PAGE_SIZE) {
		pr_err("backing=%s: logical block size %u is larger than the page size %lu\n",
		       path, lbs, PAGE_SIZE);
		err = -EINVAL;
		goto put;
	}

	/* In the reclaim path: writeback completions must always progress. */
	faultdemo_bdev.wq = alloc_workqueue("faultdemo-wb", WQ_MEM_RECLAIM, 0);
	if (!faultdemo_bdev.wq) {
		err = -ENOMEM;
		goto put;
	}
	spin_lock_init(&faultdemo_bdev.ioend_lock);
	INIT_LIST_HEAD(&faultdemo_bdev.ioends);
	INIT_WORK(&faultdemo_bdev.ioend_work, faultdemo_bdev_ioend_work);

	*bytes = bdev_nr_bytes(bdev);
	return 0;
put:
	faultdemo_bdev_put(&faultdemo_bdev.ref, &faultdemo_bdev);
	return err;
}

/**
 * faultdemo_bdev_shutdown() - write everything back before the store goes
 *
 * evict() would drop dirty pages silently, so write them back, wait for
 * every write and its completion, and flush the device's write cache.
 * An error is reported in the kernel log: the data it concerns is not on
 * the device.
 *
 * Context: module exit, after the device node is gone, before
 * faultdemo_cache_exit().
 * Return: 0 or the first error.
 */
int faultdemo_bdev_shutdown(void)
{
	int err, flush_err;

	err = filemap_write_and_wait(faultdemo_mapping());
	if (err)
		pr_err("writing back the data area failed (%pe): pages whose write failed are not on the device\n",
		       ERR_PTR(err));
	/* Every write has ended; let the last completions finish. */
	flush_workqueue(faultdemo_bdev.wq);

	flush_err = blkdev_issue_flush(faultdemo_bdev_dev());
	if (flush_err)
		pr_err("flushing the device's write cache failed (%pe)\n",
		       ERR_PTR(flush_err));
	return err ?: flush_err;
}

/**
 * faultdemo_bdev_close() - give the backing device back
 *
 * Context: module exit, after faultdemo_cache_exit(): no I/O can start.
 */
void faultdemo_bdev_close(void)
{
	destroy_workqueue(faultdemo_bdev.wq);
	faultdemo_bdev.wq = NULL;
	faultdemo_bdev_put(&faultdemo_bdev.ref, &faultdemo_bdev);
}

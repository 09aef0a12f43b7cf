// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the block backend, used with backing=/dev/<disk>.
 *
 * The data area is the device's contents, byte for byte: offset N of the
 * data area is offset N of the device. The page cache in front of it is
 * an ordinary, evictable file page cache. Reads are bios of our own;
 * buffered writes and writeback are iomap's, with one extent that maps the
 * whole device (the models are fs/zonefs/file.c and block/fops.c):
 * - .fault is filemap_fault(): a miss counts a major fault, reads around
 *   or ahead (page_cache_sync_ra() and, on a PG_readahead folio,
 *   page_cache_async_ra()) and waits for the read with the fault lock
 *   dropped, returning VM_FAULT_RETRY, exactly as for a file on ext4;
 * - the flusher threads, sync(2), fsync() and balance_dirty_pages() reach
 *   the inode through the superblock's own bdi (faultdemo_cache.c) and
 *   write it back through ->writepages; reclaim wakes the flusher;
 * - writing a folio back write-protects it in every mapping
 *   (folio_clear_dirty_for_io()), so the next store goes through
 *   .page_mkwrite, which waits for the write to finish if the device
 *   wants stable pages;
 * - clean folios can be evicted: reclaim, drop_caches, fadvise, madvise.
 *
 * - folios are as large as read-ahead makes them, up to folio_order
 *   (xfs's way): iomap keeps per-block state on a large folio
 *   (iomap_folio_state: which blocks are uptodate, and from 6.6 which are
 *   dirty), so a write() into part of one reads and writes back only the
 *   blocks it touches, and a read of a folio that is partly uptodate
 *   (iomap_read_folio()) reads only the rest: a whole-folio read would
 *   overwrite data that is dirty there.
 *
 * Writes complete through faultdemo_bdev_write_end_io(), which counts them
 * and hands the ioend to a workqueue of ours that ends writeback on its
 * folios with iomap_finish_ioends(), as XFS does for the writes it
 * completes itself.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/backing-dev.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/fs.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/workqueue.h>
#include <linux/writeback.h>

#include "compat.h"
#include "faultdemo.h"
#include "faultdemo_trace.h"

/*
 * The backing device, opened in faultdemo_bdev_open() before the store
 * exists and closed in faultdemo_bdev_close() after it is gone: every I/O
 * happens in between.
 */
static struct faultdemo_bdev_ref faultdemo_bdev;

/*
 * Writes whose bio completed, waiting for faultdemo_bdev_finish_writes():
 * ioends linked by io_list, which iomap_finish_ioends() wants empty.
 * faultdemo_bdev_done_lock protects the list; it is taken in bio
 * completion, so with interrupts off. The workqueue exists from
 * faultdemo_bdev_open() to faultdemo_bdev_close(), which drains it.
 */
static DEFINE_SPINLOCK(faultdemo_bdev_done_lock);
static LIST_HEAD(faultdemo_bdev_done);
static struct workqueue_struct *faultdemo_bdev_wq;
static void faultdemo_bdev_finish_writes(struct work_struct *work);
static DECLARE_WORK(faultdemo_bdev_finish_work, faultdemo_bdev_finish_writes);

static struct block_device *faultdemo_bdev_dev(void)
{
	return faultdemo_bdev.bdev;
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

/*
 * Writeback asks for the extent of each dirty range; the one extent
 * answers all of them. Called with the folio locked, process context.
 * Returns 0, or -EIO past the end of the data area.
 */
static int faultdemo_bdev_map_offset(struct iomap_writepage_ctx *wpc,
				     struct inode *inode, loff_t offset)
{
	if (offset >= wpc->iomap.offset &&
	    offset < wpc->iomap.offset + wpc->iomap.length)
		return 0;
	return faultdemo_bdev_iomap_begin(inode, offset,
					  i_size_read(inode) - offset,
					  IOMAP_WRITE, &wpc->iomap, NULL);
}

/*
 * Process context: end writeback on the folios of every completed write
 * (iomap_finish_ioends(): on an error it records it in the mapping with
 * mapping_set_error(), which the next fsync() of each open file reports
 * once, and the folios stay clean, as for any file whose write failed).
 */
static void faultdemo_bdev_finish_writes(struct work_struct *work)
{
	struct iomap_ioend *ioend;
	LIST_HEAD(done);

	spin_lock_irq(&faultdemo_bdev_done_lock);
	list_splice_init(&faultdemo_bdev_done, &done);
	spin_unlock_irq(&faultdemo_bdev_done_lock);

	while ((ioend = list_first_entry_or_null(&done, struct iomap_ioend,
						 io_list))) {
		int err = blk_status_to_errno(faultdemo_ioend_bio(ioend)->bi_status);

		list_del_init(&ioend->io_list);
		iomap_finish_ioends(ioend, err);
		cond_resched();
	}
}

/*
 * Bio completion of a write, any context: count what was written or
 * failed, and pass the ioend on to process context, where iomap can end
 * it (iomap's own completion is static; compat.h).
 */
static void faultdemo_bdev_write_end_io(struct bio *bio)
{
	struct iomap_ioend *ioend = faultdemo_bio_ioend(bio);
	unsigned long flags;
	bool first;

	if (bio->bi_status)
		faultdemo_stat_inc(FAULTDEMO_STAT_WRITEBACK_ERRORS);
	else
		faultdemo_stat_add(FAULTDEMO_STAT_PAGES_WRITTEN,
				   ioend->io_size >> PAGE_SHIFT);

	spin_lock_irqsave(&faultdemo_bdev_done_lock, flags);
	first = list_empty(&faultdemo_bdev_done);
	list_add_tail(&ioend->io_list, &faultdemo_bdev_done);
	spin_unlock_irqrestore(&faultdemo_bdev_done_lock, flags);
	if (first)
		queue_work(faultdemo_bdev_wq, &faultdemo_bdev_finish_work);
}

/*
 * The writeback operations of each kernel (compat.h, "iomap writeback"):
 * every shape maps with faultdemo_bdev_map_offset() and completes its
 * writes through faultdemo_bdev_write_end_io().
 */
#ifdef FAULTDEMO_IOMAP_WB_RANGE
static ssize_t faultdemo_bdev_writeback_range(struct iomap_writepage_ctx *wpc,
					      struct folio *folio, u64 pos,
					      unsigned int len, u64 end_pos)
{
	int err = faultdemo_bdev_map_offset(wpc, wpc->inode, pos);

	if (err)
		return err;
	return iomap_add_to_ioend(wpc, folio, pos, end_pos, len);
}

static int faultdemo_bdev_writeback_submit(struct iomap_writepage_ctx *wpc,
					   int error)
{
	struct iomap_ioend *ioend = wpc->wb_ctx;

	faultdemo_ioend_bio(ioend)->bi_end_io = faultdemo_bdev_write_end_io;
	return iomap_ioend_writeback_submit(wpc, error);
}

static const struct iomap_writeback_ops faultdemo_bdev_writeback_ops = {
	.writeback_range	= faultdemo_bdev_writeback_range,
	.writeback_submit	= faultdemo_bdev_writeback_submit,
};
#else
#ifdef FAULTDEMO_IOMAP_MAP_BLOCKS_LEN
static int faultdemo_bdev_map_blocks(struct iomap_writepage_ctx *wpc,
				     struct inode *inode, loff_t offset,
				     unsigned int len)
#else
static int faultdemo_bdev_map_blocks(struct iomap_writepage_ctx *wpc,
				     struct inode *inode, loff_t offset)
#endif
{
	return faultdemo_bdev_map_offset(wpc, inode, offset);
}

#ifdef FAULTDEMO_IOMAP_WB_SUBMIT
static int faultdemo_bdev_submit_ioend(struct iomap_writepage_ctx *wpc,
				       int status)
{
	struct bio *bio = faultdemo_ioend_bio(wpc->ioend);

	bio->bi_end_io = faultdemo_bdev_write_end_io;
	if (status)
		return status;	/* iomap ends the bio with it */
	submit_bio(bio);
	return 0;
}

static const struct iomap_writeback_ops faultdemo_bdev_writeback_ops = {
	.map_blocks	= faultdemo_bdev_map_blocks,
	.submit_ioend	= faultdemo_bdev_submit_ioend,
};
#else
static int faultdemo_bdev_prepare_ioend(struct iomap_ioend *ioend, int status)
{
	faultdemo_ioend_bio(ioend)->bi_end_io = faultdemo_bdev_write_end_io;
	return status;
}

static const struct iomap_writeback_ops faultdemo_bdev_writeback_ops = {
	.map_blocks	= faultdemo_bdev_map_blocks,
	.prepare_ioend	= faultdemo_bdev_prepare_ioend,
};
#endif
#endif

/*
 * Read-ahead is bios of our own: the data area is the device 1:1, so a
 * run of folios at consecutive offsets is one bio at the same sectors, and
 * that is the whole job; it costs fewer instructions per page than
 * iomap_readahead(), whose per-block machinery a 1:1 mapping does not
 * need, and it may: read-ahead's folios are new, locked and not uptodate,
 * with no per-block state, so reading each whole is right. The completion
 * runs in any context: the folio becomes uptodate (or stays not uptodate
 * on an error, which filemap_fault() and filemap_read() turn into SIGBUS
 * and EIO after one more try through ->read_folio) and is unlocked, which
 * wakes the fault waiting for it.
 */
static void faultdemo_bdev_read_end_io(struct bio *bio)
{
	bool ok = !bio->bi_status;
	struct folio_iter fi;

	bio_for_each_folio_all(fi, bio) {
		if (ok)
			folio_mark_uptodate(fi.folio);
		folio_unlock(fi.folio);
	}
	bio_put(bio);
}

/*
 * Add a locked folio to @bio if it continues it, else submit @bio and
 * start a new one for up to @left folios (at most one bvec each); count
 * the bios in @bios.
 * Returns the bio to go on with.
 */
static struct bio *faultdemo_bdev_read_add(struct bio *bio, struct folio *folio,
					   unsigned long left,
					   unsigned int *bios)
{
	sector_t sector = folio_pos(folio) >> SECTOR_SHIFT;
	gfp_t gfp = mapping_gfp_constraint(folio->mapping, GFP_KERNEL);

	if (bio && bio_end_sector(bio) == sector &&
	    bio_add_page(bio, &folio->page, folio_size(folio), 0))
		return bio;
	if (bio)
		submit_bio(bio);
	/*
	 * From the bioset's mempool: cannot fail with a sleeping gfp.
	 * mempool_alloc() and bvec_alloc() try without reclaim first and
	 * add __GFP_NORETRY themselves, so read-ahead stalls no longer here
	 * than with iomap's __GFP_NORETRY first try (iomap_readpage_iter()).
	 */
	bio = bio_alloc(faultdemo_bdev_dev(), bio_max_segs(left),
			REQ_OP_READ | REQ_RAHEAD, gfp);
	bio->bi_iter.bi_sector = sector;
	bio->bi_end_io = faultdemo_bdev_read_end_io;
	__bio_add_page(bio, &folio->page, folio_size(folio), 0);
	(*bios)++;
	return bio;
}

/*
 * One folio that is not uptodate, for a fault, read() or write_begin:
 * iomap reads the blocks its per-block state does not have yet (all of
 * them for a folio without that state), one bio per run.
 */
static int faultdemo_bdev_read_folio(struct file *file, struct folio *folio)
{
	faultdemo_stat_add(FAULTDEMO_STAT_PAGES_READ, folio_nr_pages(folio));
	return faultdemo_iomap_read_folio(folio, &faultdemo_bdev_iomap_ops);
}

/* Read-ahead and read-around, the faulting page included. */
static void faultdemo_bdev_readahead(struct readahead_control *rac)
{
	unsigned long nr = readahead_count(rac), left = nr;
	pgoff_t index = readahead_index(rac);
	unsigned int bios = 0, folios = 0, order = 0;
	struct bio *bio = NULL;
	struct folio *folio;

	faultdemo_stat_add(FAULTDEMO_STAT_PAGES_READ, nr);
	faultdemo_stat_add(FAULTDEMO_STAT_READAHEAD, nr);
	/* readahead_folio(): locked, in the cache, our reference dropped */
	while ((folio = readahead_folio(rac))) {
		order = max(order, folio_order(folio));
		folios++;
		bio = faultdemo_bdev_read_add(bio, folio,
					      DIV_ROUND_UP(left, folio_nr_pages(folio)),
					      &bios);
		left -= folio_nr_pages(folio);
	}
	if (bio)
		submit_bio(bio);
	trace_faultdemo_readahead(index, nr, folios, order, bios);
}

static int faultdemo_bdev_writepages(struct address_space *mapping,
				     struct writeback_control *wbc)
{
#ifdef FAULTDEMO_IOMAP_WB_RANGE
	struct iomap_writepage_ctx wpc = {
		.inode	= mapping->host,
		.wbc	= wbc,
		.ops	= &faultdemo_bdev_writeback_ops,
	};

	return iomap_writepages(&wpc);
#else
	struct iomap_writepage_ctx wpc = { };

	return iomap_writepages(mapping, wbc, &wpc,
				&faultdemo_bdev_writeback_ops);
#endif
}

/*
 * No ->writepage: reclaim does not write our folios itself, it leaves
 * dirty ones to the flusher (pageout() keeps them), as for XFS.
 * Dirtying a whole folio (a store through a mapping, folio_mark_dirty())
 * must mark all its blocks dirty in iomap's per-block state where it has
 * one (compat.h); migration moves that state with the folio.
 */
static const struct address_space_operations faultdemo_bdev_aops = {
	.read_folio		= faultdemo_bdev_read_folio,
	.readahead		= faultdemo_bdev_readahead,
	.writepages		= faultdemo_bdev_writepages,
	.dirty_folio		= faultdemo_iomap_dirty_folio,
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
	/*
	 * Blocks of a page: iomap's per-block state (large folios only)
	 * tracks pages, and writeback writes whole pages, as the device's
	 * own page cache does.
	 */
	inode->i_blkbits = PAGE_SHIFT;
	faultdemo_mapping_set_folio_order(inode->i_mapping,
					  faultdemo_folio_order);
	/* Devices that checksum data in flight need pages to stay unchanged. */
	if (bdev_stable_writes(faultdemo_bdev_dev()))
		mapping_set_stable_writes(inode->i_mapping);
}

/*
 * .page_mkwrite, folio locked: where ->dirty_folio allocates iomap's
 * per-block state (6.6 on, compat.h, and only for a folio of more than
 * one block), dirty the folio now, before the core makes the entry
 * writable, as iomap_page_mkwrite() does. Once the entry is writable and
 * dirty, an munmap() or MADV_DONTNEED on another CPU may mark the folio
 * dirty from under the page-table lock, and iomap_dirty_folio() would
 * allocate that state there, racing with the fault's own. A one-page
 * folio gets no state, and is left to the core's own dirtying after the
 * fault, as before 6.6: no second folio_mark_dirty() on the common path.
 */
static void faultdemo_bdev_mkwrite(struct folio *folio)
{
	if (FAULTDEMO_IOMAP_DIRTY_ALLOCATES && folio_test_large(folio))
		folio_mark_dirty(folio);
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

	err = faultdemo_fdatawrite_wbc(mapping, &wbc);
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
	.mkwrite	= faultdemo_bdev_mkwrite,
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
 * explains, -EINVAL if its logical blocks are larger than a page; -ENOMEM
 * if the completion workqueue cannot be made.
 */
int faultdemo_bdev_open(const char *path, u64 *bytes)
{
	struct block_device *bdev;
	unsigned int lbs;
	int err;

	err = faultdemo_bdev_get(&faultdemo_bdev, path, &faultdemo_bdev);
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

	/*
	 * Ending writeback is what reclaim waits for: the workqueue must
	 * make progress when memory is short. Unbound: the work may run on
	 * any CPU, and from 7.x a workqueue that says neither WQ_UNBOUND nor
	 * WQ_PERCPU gets a warning.
	 */
	faultdemo_bdev_wq = alloc_workqueue("faultdemo_wb",
					    WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!faultdemo_bdev_wq) {
		err = -ENOMEM;
		goto put;
	}

	*bytes = bdev_nr_bytes(bdev);
	return 0;
put:
	faultdemo_bdev_put(&faultdemo_bdev, &faultdemo_bdev);
	return err;
}

/**
 * faultdemo_bdev_shutdown() - write everything back before the store goes
 *
 * evict() would drop dirty pages silently, so write them back, wait for
 * every write, and flush the device's write cache.
 * An error is reported in the kernel log: the data it concerns is not on
 * the device.
 *
 * Context: module exit, after the device node is gone, before
 * faultdemo_cache_exit().
 * Return: 0 or the first error.
 */
int faultdemo_bdev_shutdown(void)
{
	struct address_space *mapping = faultdemo_mapping();
	int err, wait_err, flush_err;

	err = filemap_fdatawrite(mapping);
	/* Wait whatever the write returned: the inode goes next. */
	wait_err = filemap_fdatawait_keep_errors(mapping);
	err = err ?: wait_err;
	if (err)
		pr_err("writing back the data area failed (%pe): pages whose write failed are not on the device\n",
		       ERR_PTR(err));

	flush_err = blkdev_issue_flush(faultdemo_bdev_dev());
	if (flush_err)
		pr_err("flushing the device's write cache failed (%pe)\n",
		       ERR_PTR(flush_err));
	return err ?: flush_err;
}

/**
 * faultdemo_bdev_close() - give the backing device back
 *
 * The workqueue is drained first: a completion may still be running in
 * it after the last folio's writeback ended, which is all that
 * faultdemo_bdev_shutdown() could wait for.
 *
 * Context: module exit, after faultdemo_cache_exit(): no I/O can start;
 * or init, unwinding a successful faultdemo_bdev_open().
 */
void faultdemo_bdev_close(void)
{
	destroy_workqueue(faultdemo_bdev_wq);
	faultdemo_bdev_wq = NULL;
	faultdemo_bdev_put(&faultdemo_bdev, &faultdemo_bdev);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: a character device whose mappings run the core mm's
 * file-backed fault paths through a driver's .fault, .map_pages and
 * .page_mkwrite (faultdemo_vm.c), over a page cache of its own
 * (faultdemo_cache.c) with RAM (faultdemo_ram.c) or a block device
 * (faultdemo_bdev.c) behind it, plus a remap_pfn_range() window that never
 * faults (faultdemo_reserved.c).
 *
 * This file: module init/exit, the misc device and its file operations.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/init.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/splice.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "faultdemo.h"
#include "faultdemo_trace.h"

static int faultdemo_open(struct inode *inode, struct file *file)
{
	struct address_space *mapping = faultdemo_mapping();

	/*
	 * Every open file, and through vm_file every mapping, uses the store's
	 * page cache instead of the device node's own (unused) mapping: this
	 * is what makes read(), write() and mmap() of all opens coherent.
	 * do_dentry_open() sets up the read-ahead state for f_mapping after
	 * ->open returns, but sampled the writeback error sequence of the
	 * node's mapping before: sample ours, or fsync() would report errors
	 * older than this file (block/fops.c does the same).
	 */
	file->f_mapping = mapping;
	file->f_wb_err = filemap_sample_wb_err(mapping);
	return 0;
}

static int faultdemo_release(struct inode *inode, struct file *file)
{
	/* Nothing per open file: the page cache lives as long as the module. */
	return 0;
}

static loff_t faultdemo_llseek(struct file *file, loff_t offset, int whence)
{
	/*
	 * Any offset a mapping could use is a valid position, the reserved
	 * window's included; SEEK_END and SEEK_DATA/SEEK_HOLE see the data
	 * area's size as the end of the file.
	 */
	return generic_file_llseek_size(file, offset, whence,
					MAX_LFS_FILESIZE, faultdemo_size);
}

/*
 * Reads are the page cache's (filemap_read()), after the backend had its
 * say about how missing folios are made. IOCB_NOWAIT readers (io_uring)
 * get what is cached, or -EAGAIN from filemap_read(), as for any file.
 */
static ssize_t faultdemo_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	const struct faultdemo_backend *backend = faultdemo_backend();

	if (backend->read_prepare && !(iocb->ki_flags & IOCB_NOWAIT))
		backend->read_prepare(iocb->ki_pos, iov_iter_count(to));
	return generic_file_read_iter(iocb, to);
}

static ssize_t faultdemo_splice_read_iter(struct file *in, loff_t *ppos,
					  struct pipe_inode_info *pipe,
					  size_t len, unsigned int flags)
{
	const struct faultdemo_backend *backend = faultdemo_backend();

	if (backend->read_prepare && !(flags & SPLICE_F_NONBLOCK))
		backend->read_prepare(*ppos, len);
	return faultdemo_splice_read(in, ppos, pipe, len, flags);
}

/*
 * Writes go through the page cache (the backend's write path) and never
 * extend it: a write straddling the end is cut short, one starting at or
 * past the end (O_APPEND included) gets -ENOSPC. The store inode's lock
 * serialises writers, as for any file.
 */
static ssize_t faultdemo_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = faultdemo_store.inode;
	loff_t size = faultdemo_size;
	size_t count = iov_iter_count(from);
	size_t shorted;
	ssize_t ret;

	if (!count)
		return 0;
	/*
	 * io_uring asks for IOCB_NOWAIT even on files without FMODE_NOWAIT;
	 * taking the inode lock and allocating or reading pages may block,
	 * so let it punt the write to a worker.
	 */
	if (iocb->ki_flags & IOCB_NOWAIT)
		return -EAGAIN;

	inode_lock(inode);
	if (iocb->ki_flags & IOCB_APPEND)
		iocb->ki_pos = size;
	if (iocb->ki_pos >= size) {
		ret = -ENOSPC;
		goto out;
	}

	iov_iter_truncate(from, size - iocb->ki_pos);
	shorted = count - iov_iter_count(from);
	ret = faultdemo_backend()->write(iocb, from);
	iov_iter_reexpand(from, iov_iter_count(from) + shorted);
out:
	inode_unlock(inode);

	/* O_SYNC/O_DSYNC: fsync what was written. */
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/*
 * Clean [first, last] through the backend: write back and wait (block),
 * or write-protect (RAM). Counted as one clean operation.
 */
static long faultdemo_clean(struct file *file, pgoff_t first, pgoff_t last)
{
	faultdemo_stat_inc(FAULTDEMO_STAT_CLEAN);
	return faultdemo_backend()->clean(file, first, last);
}

/*
 * fsync(), fdatasync(), msync(MS_SYNC) and O_SYNC writes: clean the pages
 * of the range that lie in the data area, which leaves them write-protected
 * in every shared mapping, then flush the device's write cache. Parts
 * outside the data area (a mapping past its end, the reserved window) have
 * nothing to write, but a writeback error this file has not seen yet is
 * still reported, once, as for any file.
 *
 * A read-only descriptor writes back with a backing device, as for any
 * file; in RAM mode it only reports errors (doc/design.md, "Who may
 * clean").
 */
static int faultdemo_fsync(struct file *file, loff_t start, loff_t end,
			   int datasync)
{
	const struct faultdemo_backend *backend = faultdemo_backend();
	loff_t size = faultdemo_size;
	long ret;

	if (start < 0 || end < start || start >= size ||
	    (!backend->writeback && !(file->f_mode & FMODE_WRITE)))
		return file_check_and_advance_wb_err(file);
	if (end >= size)
		end = size - 1;

	ret = faultdemo_clean(file, start >> PAGE_SHIFT, end >> PAGE_SHIFT);
	if (ret < 0)
		return ret;
	return backend->flush ? backend->flush() : 0;
}

static int faultdemo_mmap(struct file *file, struct vm_area_struct *vma)
{
	bool reserved = vma->vm_pgoff >= FAULTDEMO_RESERVED_PGOFF;
	int ret;

	ret = reserved ? faultdemo_reserved_mmap(vma) : faultdemo_vm_mmap(vma);
	trace_faultdemo_mmap(vma, reserved, ret);
	return ret;
}

static long faultdemo_ioc_get_geometry(struct faultdemo_geometry __user *ugeo)
{
	struct faultdemo_geometry geo;

	memset(&geo, 0, sizeof(geo));	/* any hole */
	geo.size = faultdemo_size;
	geo.reserved_size = faultdemo_reserved_size;
	geo.reserved_offset = FAULTDEMO_RESERVED_OFFSET;
	geo.page_size = PAGE_SIZE;
	geo.readahead = faultdemo_readahead_pages();
	geo.fault_around = faultdemo_fault_around_enabled();
	geo.folio_order = faultdemo_folio_order;

	if (copy_to_user(ugeo, &geo, sizeof(geo)))
		return -EFAULT;
	return 0;
}

static long faultdemo_ioc_clean(struct file *file,
				struct faultdemo_clean __user *uclean)
{
	struct faultdemo_clean req;
	u64 size = faultdemo_size;
	u64 length;
	long ret;

	/* it write-protects every writer's mappings: writers only */
	if (!(file->f_mode & FMODE_WRITE))
		return -EBADF;
	if (copy_from_user(&req, uclean, sizeof(req)))
		return -EFAULT;

	if (!IS_ALIGNED(req.offset, PAGE_SIZE) ||
	    !IS_ALIGNED(req.length, PAGE_SIZE) || req.offset >= size)
		return -EINVAL;
	/* 0 means "to the end"; compared so that nothing can overflow */
	length = req.length ?: size - req.offset;
	if (length > size - req.offset)
		return -EINVAL;

	ret = faultdemo_clean(file, req.offset >> PAGE_SHIFT,
			      (req.offset + length - 1) >> PAGE_SHIFT);
	if (ret < 0)
		return ret;
	req.cleaned = ret;

	if (copy_to_user(uclean, &req, sizeof(req)))
		return -EFAULT;
	return 0;
}

/* 64-bit fields only: the same layout for 32-bit callers (compat_ptr_ioctl). */
static long faultdemo_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case FAULTDEMO_IOC_GET_GEOMETRY:
		return faultdemo_ioc_get_geometry(uarg);
	case FAULTDEMO_IOC_CLEAN:
		return faultdemo_ioc_clean(file, uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * .owner: an open file, and a mapping through its vm_file, holds a module
 * reference, so rmmod fails while either exists, and module exit never
 * races with a user of the store or of the reserved window.
 *
 * .get_unmapped_area: a mapping of 2 MiB or more goes at an address
 * congruent to its file offset modulo 2 MiB, as ext4's and tmpfs's do.
 * Fault-around windows are aligned in the address space and read-ahead
 * batches in the file; only when the two agree does a cold sequential
 * read take 2 faults per 16 pages (3 otherwise). NULL, i.e. the default,
 * without CONFIG_TRANSPARENT_HUGEPAGE.
 */
static const struct file_operations faultdemo_fops = {
	.owner		= THIS_MODULE,
	.open		= faultdemo_open,
	.release	= faultdemo_release,
	.llseek		= faultdemo_llseek,
	.read_iter	= faultdemo_read_iter,
	.write_iter	= faultdemo_write_iter,
	.splice_read	= faultdemo_splice_read_iter,
	.splice_write	= iter_file_splice_write,
	.mmap		= faultdemo_mmap,
	.get_unmapped_area = thp_get_unmapped_area,
	.fsync		= faultdemo_fsync,
	.unlocked_ioctl	= faultdemo_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice faultdemo_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= FAULTDEMO_NAME,
	.fops	= &faultdemo_fops,
	.groups	= faultdemo_sysfs_groups,
	.mode	= 0600,
};

static int __init faultdemo_init(void)
{
	const struct faultdemo_backend *backend = &faultdemo_ram_backend;
	u64 device_bytes = 0;
	int ret;

	/* Parameters were checked one by one by their ->set() already. */
	if (faultdemo_backing[0]) {
		backend = &faultdemo_bdev_backend;
		ret = faultdemo_bdev_open(faultdemo_backing, &device_bytes);
		if (ret)
			return ret;
	}
	ret = faultdemo_params_settle(device_bytes);
	if (ret)
		goto err_bdev;

	ret = faultdemo_reserved_init();
	if (ret)
		goto err_bdev;

	ret = faultdemo_cache_init(backend);
	if (ret)
		goto err_reserved;

	/* Last: from here on, user space can open the device. */
	ret = misc_register(&faultdemo_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %pe\n", FAULTDEMO_NAME,
		       ERR_PTR(ret));
		goto err_cache;
	}

	if (backend->writeback)
		pr_info("data area %llu bytes on %s (bdi %s), reserved window %llu bytes at offset %#llx\n",
			faultdemo_size, faultdemo_backing,
			faultdemo_cache_bdi_name(), faultdemo_reserved_size,
			FAULTDEMO_RESERVED_OFFSET);
	else
		pr_info("data area %llu bytes in RAM, reserved window %llu bytes at offset %#llx\n",
			faultdemo_size, faultdemo_reserved_size,
			FAULTDEMO_RESERVED_OFFSET);
	return 0;

err_cache:
	faultdemo_cache_exit();
err_reserved:
	faultdemo_reserved_exit();
err_bdev:
	if (backend->writeback)
		faultdemo_bdev_close();
	return ret;
}

/*
 * The reverse of init. In block mode everything dirty is written back and
 * the device's cache flushed before the page cache is freed, and the
 * device is closed last, once no I/O can be in flight.
 */
static void __exit faultdemo_exit(void)
{
	bool writeback = faultdemo_backend()->writeback;

	/* First: no new opens; sysfs readers are drained. */
	misc_deregister(&faultdemo_misc);
	if (writeback)
		faultdemo_bdev_shutdown();
	faultdemo_cache_exit();
	faultdemo_reserved_exit();
	if (writeback)
		faultdemo_bdev_close();
}

module_init(faultdemo_init);
module_exit(faultdemo_exit);

MODULE_DESCRIPTION("Device whose mappings run the file fault paths through .fault, .map_pages and .page_mkwrite");
MODULE_VERSION("0.1.0");
MODULE_LICENSE("GPL");

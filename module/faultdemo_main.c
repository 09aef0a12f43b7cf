// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: a character device whose mappings run the core mm's
 * file-backed fault paths through a driver's .fault, .map_pages and
 * .page_mkwrite (faultdemo_vm.c), over a page cache of its own
 * (faultdemo_store.c), plus a remap_pfn_range() window that never faults
 * (faultdemo_reserved.c).
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
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "faultdemo.h"

static int faultdemo_open(struct inode *inode, struct file *file)
{
	struct address_space *mapping = faultdemo_mapping();

	/*
	 * Every open file, and through vm_file every mapping, uses the store's
	 * page cache instead of the device node's own (unused) mapping: this
	 * is what makes read(), write() and mmap() of all opens coherent.
	 * do_dentry_open() sets up the read-ahead state for f_mapping after
	 * ->open returns.
	 */
	file->f_mapping = mapping;
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
 * Writes go through the page cache (ram_aops' write_begin/write_end) and
 * never extend it: a write straddling the end is cut short, one starting
 * at or past the end (O_APPEND included) gets -ENOSPC. The store inode's
 * lock serialises writers, as for any file.
 */
static ssize_t faultdemo_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = faultdemo_inode;
	loff_t size = faultdemo_size;
	size_t count = iov_iter_count(from);
	size_t shorted;
	ssize_t ret;

	if (!count)
		return 0;
	/*
	 * io_uring asks for IOCB_NOWAIT even on files without FMODE_NOWAIT;
	 * taking the inode lock and allocating pages may block, so let it
	 * punt the write to a worker.
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
	ret = faultdemo_perform_write(iocb, from);
	iov_iter_reexpand(from, iov_iter_count(from) + shorted);
out:
	inode_unlock(inode);

	/* O_SYNC/O_DSYNC: "write back", i.e. clean, what was written. */
	if (ret > 0)
		ret = generic_write_sync(iocb, ret);
	return ret;
}

/*
 * fsync(), fdatasync(), msync(MS_SYNC) and O_SYNC writes: clean the pages
 * of the range that lie in the data area, which write-protects them again
 * in every shared mapping. Parts outside the data area (a mapping past its
 * end, the reserved window) have nothing to clean.
 */
static int faultdemo_fsync(struct file *file, loff_t start, loff_t end,
			   int datasync)
{
	loff_t size = faultdemo_size;

	if (start < 0 || end < start || start >= size)
		return 0;
	if (end >= size)
		end = size - 1;

	faultdemo_store_clean(start >> PAGE_SHIFT, end >> PAGE_SHIFT);
	return 0;
}

static int faultdemo_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff >= FAULTDEMO_RESERVED_PGOFF)
		return faultdemo_reserved_mmap(vma);
	return faultdemo_vm_mmap(vma);
}

static long faultdemo_ioc_get_geometry(struct faultdemo_geometry __user *ugeo)
{
	struct faultdemo_geometry geo;

	memset(&geo, 0, sizeof(geo));	/* __pad, and any hole */
	geo.size = faultdemo_size;
	geo.reserved_size = faultdemo_reserved_size;
	geo.reserved_offset = FAULTDEMO_RESERVED_OFFSET;
	geo.page_size = PAGE_SIZE;
	geo.readahead = faultdemo_readahead_pages();
	geo.fault_around = faultdemo_fault_around_enabled();

	if (copy_to_user(ugeo, &geo, sizeof(geo)))
		return -EFAULT;
	return 0;
}

static long faultdemo_ioc_clean(struct faultdemo_clean __user *uclean)
{
	struct faultdemo_clean req;
	u64 size = faultdemo_size;
	u64 length;

	if (copy_from_user(&req, uclean, sizeof(req)))
		return -EFAULT;

	if (!IS_ALIGNED(req.offset, PAGE_SIZE) ||
	    !IS_ALIGNED(req.length, PAGE_SIZE) || req.offset >= size)
		return -EINVAL;
	/* 0 means "to the end"; compared so that nothing can overflow */
	length = req.length ?: size - req.offset;
	if (length > size - req.offset)
		return -EINVAL;

	req.cleaned = faultdemo_store_clean(req.offset >> PAGE_SHIFT,
					    (req.offset + length - 1) >> PAGE_SHIFT);

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
		return faultdemo_ioc_clean(uarg);
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
	.read_iter	= generic_file_read_iter,
	.write_iter	= faultdemo_write_iter,
	.splice_read	= faultdemo_splice_read,
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
	int ret;

	/* Parameters were validated by their ->set() before we got here. */
	ret = faultdemo_reserved_init();
	if (ret)
		return ret;

	ret = faultdemo_store_init();
	if (ret)
		goto err_reserved;

	/* Last: from here on, user space can open the device. */
	ret = misc_register(&faultdemo_misc);
	if (ret) {
		pr_err("cannot register /dev/%s: %pe\n", FAULTDEMO_NAME,
		       ERR_PTR(ret));
		goto err_store;
	}

	pr_info("data area %llu bytes, reserved window %llu bytes at offset %#llx\n",
		faultdemo_size, faultdemo_reserved_size,
		FAULTDEMO_RESERVED_OFFSET);
	return 0;

err_store:
	faultdemo_store_exit();
err_reserved:
	faultdemo_reserved_exit();
	return ret;
}

static void __exit faultdemo_exit(void)
{
	/* First: no new opens; sysfs readers are drained. */
	misc_deregister(&faultdemo_misc);
	faultdemo_store_exit();
	faultdemo_reserved_exit();
}

module_init(faultdemo_init);
module_exit(faultdemo_exit);

MODULE_DESCRIPTION("Device whose mappings run the file fault paths through .fault, .map_pages and .page_mkwrite");
MODULE_VERSION("0.1.0");
MODULE_LICENSE("GPL");

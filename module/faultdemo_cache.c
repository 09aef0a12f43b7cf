// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the page cache behind the data area.
 *
 * A private filesystem (kern_mount() of a type that is never registered,
 * so user space cannot mount it) holds one inode, the store inode. Its
 * address_space is the page cache of the device: open() points every
 * file's f_mapping at it, so read(), write() and every mapping of the
 * device share the same folios, and the core's rmap (folio_mkclean()),
 * fault-around (filemap_map_pages()) and filemap_fault() find them
 * through it.
 *
 * What lies behind the cache is the backend's business (faultdemo_ram.c,
 * faultdemo_bdev.c). This file only builds the cache the way the backend
 * needs it:
 * - RAM: the superblock keeps the noop bdi, the inode comes from
 *   alloc_anon_inode(), which keeps it off every writeback list: nothing
 *   is ever written back or evicted.
 * - block: the superblock gets a bdi of its own (super_setup_bdi(), as
 *   fuse and erofs do), so the flusher threads, sync(2), fadvise and
 *   balance_dirty_pages() see the inode, and read-ahead is sized by
 *   /sys/class/bdi/<bdi>/read_ahead_kb. The inode comes from new_inode(),
 *   which puts it on the superblock's inode list (drop_caches walks it),
 *   and is hashed, since __mark_inode_dirty() ignores unhashed inodes.
 *   Really hashed, not inode_fake_hash()ed as jfs's internal inodes
 *   are: evict() does not undo a fake hash, and inode_init_always() does
 *   not reset i_hash, so the next inode the shared inode cache builds in
 *   that memory (a pipe's, say) would look hashed, skip eviction on its
 *   last iput() and never be freed. (jfs and xfs have inode caches of
 *   their own; ours is the kernel's.)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/backing-dev.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/statfs.h>

#include "compat.h"
#include "faultdemo.h"

#define FAULTDEMO_FS_MAGIC	0x66646d6f	/* "fdmo" */

/*
 * Set up in faultdemo_cache_init() before the device is registered, torn
 * down in faultdemo_cache_exit() after it is deregistered; the module
 * cannot be unloaded while a file or a mapping exists (fops.owner), so
 * every user sees a valid store without taking a reference.
 */
struct faultdemo_store faultdemo_store __read_mostly;

/* sync(2) wrote our pages through sync_inodes_sb(); flush the device. */
static int faultdemo_sync_fs(struct super_block *sb, int wait)
{
	const struct faultdemo_backend *backend = faultdemo_backend();

	if (!wait || !backend->flush)
		return 0;
	return backend->flush();
}

/*
 * faultdemo_drop_inode_at_once (generic_delete_inode): the last iput()
 * evicts the store inode at once instead of parking it on the inode LRU,
 * hashed as it is.
 */
static const struct super_operations faultdemo_super_ops = {
	.statfs		= simple_statfs,
	.drop_inode	= faultdemo_drop_inode_at_once,
	.sync_fs	= faultdemo_sync_fs,
};

static int faultdemo_fill_super(struct super_block *sb, struct fs_context *fc)
{
	const struct faultdemo_backend *backend = faultdemo_backend();
	struct inode *root;
	int err;

	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = FAULTDEMO_FS_MAGIC;
	sb->s_op = &faultdemo_super_ops;
	sb->s_time_gran = 1;

	/* Before any inode exists: inodes take their bdi from the sb. */
	if (backend->writeback) {
		err = super_setup_bdi(sb);
		if (err)
			return err;
		backend->init_bdi(sb->s_bdi);
		/*
		 * Cgroup-aware writeback, as ext4, xfs and btrfs: the inode
		 * is written back by the writeback domain of the cgroup that
		 * dirtied it, and its bios are charged to that cgroup's io
		 * controller, not to whoever happened to flush.
		 */
		sb->s_iflags |= SB_I_CGROUPWB;
	}

	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	root->i_ino = 1;
	root->i_mode = S_IFDIR | 0500;
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int faultdemo_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, faultdemo_fill_super);
}

static const struct fs_context_operations faultdemo_context_ops = {
	.get_tree	= faultdemo_get_tree,
};

static int faultdemo_init_fs_context(struct fs_context *fc)
{
	fc->ops = &faultdemo_context_ops;
	fc->sb_flags |= SB_NOUSER;
	return 0;
}

/*
 * No .owner on purpose: the superblock holds a reference on its
 * file_system_type, and with .owner set that would pin the module until
 * the superblock dies, which only module exit can cause. Without it the
 * type is safe: kern_unmount() of an internal mount destroys the
 * superblock synchronously, inside module exit, and shutting down our own
 * bdi there stops the flusher from visiting it. (iterate_supers() may
 * still hold a passive s_count reference across that and take s_umount,
 * whose lockdep key lives in this module's data: a theoretical window,
 * shared with every module that kern_mount()s its own type.)
 */
static struct file_system_type faultdemo_fs_type = {
	.name		 = FAULTDEMO_NAME,
	.init_fs_context = faultdemo_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

static struct inode *faultdemo_cache_new_inode(struct super_block *sb)
{
	const struct faultdemo_backend *backend = faultdemo_backend();
	struct inode *inode;

	if (!backend->writeback)
		return alloc_anon_inode(sb);

	inode = new_inode(sb);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	inode->i_ino = get_next_ino();
	inode->i_mode = S_IFREG | 0600;
	inode->i_flags |= S_PRIVATE;
	insert_inode_hash(inode);
	return inode;
}

/**
 * faultdemo_cache_init() - create the store inode and its page cache
 * @backend: what lies behind the cache
 *
 * faultdemo_size is settled and, for the block backend, the device is
 * open before this runs.
 *
 * Context: process context, module init.
 * Return: 0 or a negative errno; on error nothing is left allocated.
 */
int faultdemo_cache_init(const struct faultdemo_backend *backend)
{
	struct inode *inode;

	faultdemo_store.backend = backend;
	faultdemo_store.pages = faultdemo_size >> PAGE_SHIFT;

	faultdemo_store.mnt = kern_mount(&faultdemo_fs_type);
	if (IS_ERR(faultdemo_store.mnt)) {
		pr_err("cannot mount the store: %pe\n", faultdemo_store.mnt);
		return PTR_ERR(faultdemo_store.mnt);
	}

	inode = faultdemo_cache_new_inode(faultdemo_store.mnt->mnt_sb);
	if (IS_ERR(inode)) {
		pr_err("cannot allocate the store inode: %pe\n", inode);
		kern_unmount(faultdemo_store.mnt);
		return PTR_ERR(inode);
	}

	inode->i_mapping->a_ops = backend->aops;
	backend->init_inode(inode);
	/*
	 * filemap_map_pages(), filemap_fault() and filemap_read() stop at
	 * i_size. It never changes (no truncate, writes are clamped), so no
	 * i_size locking is needed anywhere.
	 */
	i_size_write(inode, faultdemo_size);

	faultdemo_store.inode = inode;
	return 0;
}

/**
 * faultdemo_cache_exit() - free the page cache, the inode and the mount
 *
 * Context: module exit, after the device is gone (no file, mapping or
 * sysfs reader can exist) and, for a backend that writes back, after
 * everything dirty was written.
 */
void faultdemo_cache_exit(void)
{
	/*
	 * The last iput() evicts the inode: evict() waits for writeback in
	 * flight and truncate_inode_pages_final() frees every folio. The
	 * unmount then unregisters our bdi, which stops its flusher.
	 */
	iput(faultdemo_store.inode);
	faultdemo_store.inode = NULL;
	kern_unmount(faultdemo_store.mnt);
	faultdemo_store.mnt = NULL;
}

/**
 * faultdemo_cache_count_folios() - count the cached folios by order
 * @count:	one counter per order, zeroed by the caller
 * @nr:		entries in @count; larger orders are counted in the last
 *
 * Context: process context, may sleep. Not a snapshot: folios inserted,
 * split or evicted meanwhile may or may not be counted.
 */
void faultdemo_cache_count_folios(unsigned long *count, unsigned int nr)
{
	struct address_space *mapping = faultdemo_mapping();
	struct folio_batch fbatch;
	pgoff_t index = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, ULONG_MAX, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++)
			count[min(folio_order(fbatch.folios[i]), nr - 1)]++;
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

/**
 * faultdemo_cache_bdi_name() - name of the store's bdi
 *
 * Context: any; the bdi lives as long as the store.
 * Return: e.g. "faultdemo-1" (see /sys/class/bdi/), or "" on the noop bdi
 * of the RAM backend.
 */
const char *faultdemo_cache_bdi_name(void)
{
	struct backing_dev_info *bdi = faultdemo_store.mnt->mnt_sb->s_bdi;

	if (!faultdemo_backend()->writeback)
		return "";
	return bdi_dev_name(bdi);
}

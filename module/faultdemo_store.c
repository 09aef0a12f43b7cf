// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the store, i.e. the page cache behind the data area.
 *
 * A private pseudo filesystem (init_pseudo() + kern_mount(), never
 * registered, so user space cannot mount it) holds one anonymous inode.
 * Its address_space is the page cache of the device: open() points every
 * file's f_mapping at it, so read(), write() and every mapping of the
 * device share the same folios, and the core's rmap (folio_mkclean()) and
 * fault-around (filemap_map_pages()) find our VMAs through it.
 *
 * There is no backing store: the page cache is the only copy of the data.
 * Hence ram_aops (a folio never written reads as zeroes, dirtying is
 * noop_dirty_folio() because there is nothing to write back to) and an
 * unevictable mapping (reclaim must never drop a folio, dirty or not).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/pseudo_fs.h>
#include <linux/rmap.h>
#include <linux/sched.h>

#include "compat.h"
#include "faultdemo.h"

#define FAULTDEMO_FS_MAGIC	0x66646d6f	/* "fdmo" */

/*
 * Set in faultdemo_store_init() before the device is registered, cleared
 * in faultdemo_store_exit() after it is deregistered; the module cannot be
 * unloaded while a file or a mapping exists (fops.owner), so every user
 * sees a valid inode without taking a reference.
 */
struct inode *faultdemo_inode __read_mostly;
static struct vfsmount *faultdemo_mnt;

static int faultdemo_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, FAULTDEMO_FS_MAGIC) ? 0 : -ENOMEM;
}

/*
 * No .owner on purpose: the superblock holds a reference on its
 * file_system_type, and with .owner set that would pin the module until
 * the superblock dies, which only module exit can cause. Without it the
 * type is safe: kern_unmount() of an internal mount destroys the
 * superblock synchronously, inside module exit. (iterate_supers() may
 * still hold a passive s_count reference across that and take s_umount,
 * whose lockdep key lives in this module's data: a theoretical window,
 * shared with every module that kern_mount()s its own type.)
 */
static struct file_system_type faultdemo_fs_type = {
	.name		 = FAULTDEMO_NAME,
	.init_fs_context = faultdemo_init_fs_context,
	.kill_sb	 = kill_anon_super,
};

/**
 * faultdemo_store_init() - create the store inode and its page cache
 *
 * Context: process context, module init.
 * Return: 0 or a negative errno; on error nothing is left allocated.
 */
int faultdemo_store_init(void)
{
	struct address_space *mapping;
	struct inode *inode;

	faultdemo_mnt = kern_mount(&faultdemo_fs_type);
	if (IS_ERR(faultdemo_mnt)) {
		pr_err("cannot mount the store: %pe\n", faultdemo_mnt);
		return PTR_ERR(faultdemo_mnt);
	}

	inode = alloc_anon_inode(faultdemo_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		pr_err("cannot allocate the store inode: %pe\n", inode);
		kern_unmount(faultdemo_mnt);
		return PTR_ERR(inode);
	}

	mapping = inode->i_mapping;
	mapping->a_ops = &ram_aops;
	/*
	 * Not __GFP_MOVABLE: ram_aops has no ->migrate_folio and a dirty folio
	 * cannot be written back, so migration would fail on it (as ramfs).
	 */
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER);
	/* The page cache is the only copy: reclaim must never drop a folio. */
	mapping_set_unevictable(mapping);
	/*
	 * filemap_map_pages() and filemap_read() stop at i_size, and .fault
	 * raises SIGBUS beyond it. It never changes (no truncate, writes are
	 * clamped), so no i_size locking is needed anywhere.
	 */
	i_size_write(inode, faultdemo_size);

	faultdemo_inode = inode;
	return 0;
}

/**
 * faultdemo_store_exit() - free the page cache, the inode and the mount
 *
 * Context: module exit, after the device is gone: no file, mapping or
 * sysfs reader can exist.
 */
void faultdemo_store_exit(void)
{
	/*
	 * The last iput() evicts the inode: evict() runs
	 * truncate_inode_pages_final(), which frees every folio.
	 */
	iput(faultdemo_inode);
	faultdemo_inode = NULL;
	kern_unmount(faultdemo_mnt);
	faultdemo_mnt = NULL;
}

/* Pages in the data area; constant after init. */
static pgoff_t faultdemo_store_pages(void)
{
	return faultdemo_size >> PAGE_SHIFT;
}

/*
 * Insert up to @nr zeroed, uptodate, unlocked folios after the faulting
 * page, skipping the ones already cached, so that the next fault's
 * fault-around finds them. Opportunistic: the allocation gives up early
 * (__GFP_NORETRY) and quietly, and the first failure ends it.
 *
 * Caller holds the invalidate_lock shared.
 */
static void faultdemo_store_readahead(struct address_space *mapping,
				      pgoff_t index, unsigned int nr)
{
	pgoff_t end = faultdemo_store_pages();
	gfp_t gfp = readahead_gfp_mask(mapping);
	unsigned long added = 0;
	struct folio *folio;
	int err;

	for (; nr && index < end; nr--, index++) {
		folio = faultdemo_filemap_get_folio(mapping, index);
		if (folio) {
			folio_put(folio);
			continue;
		}

		folio = filemap_alloc_folio(gfp | __GFP_ZERO, 0);
		if (!folio)
			break;
		/* Zeroed: up to date before anyone can see it. */
		folio_mark_uptodate(folio);
		err = filemap_add_folio(mapping, folio, index, gfp);
		if (!err) {
			/* filemap_add_folio() returns it locked */
			folio_unlock(folio);
			added++;
		}
		/* On success the page cache holds its own reference. */
		folio_put(folio);
		/* -EEXIST: someone else inserted it meanwhile, fine. */
		if (err && err != -EEXIST)
			break;
	}

	if (added)
		faultdemo_stat_add(FAULTDEMO_STAT_READAHEAD, added);
}

/*
 * The cached folio at @index, locked and with a reference, or NULL on a
 * miss. Needs no invalidate_lock: the ->mapping check under the folio
 * lock is what makes a hit safe.
 */
static struct folio *faultdemo_store_lock_cached(struct address_space *mapping,
						 pgoff_t index)
{
	struct folio *folio;

	for (;;) {
		folio = faultdemo_filemap_get_folio(mapping, index);
		if (!folio)
			return NULL;
		folio_lock(folio);
		if (likely(folio->mapping == mapping))
			break;
		/* Removed from the cache while we waited? Look again. */
		folio_unlock(folio);
		folio_put(folio);
	}
	/*
	 * Whoever inserted it (read_folio, write_begin/end, us) made it
	 * uptodate before unlocking it. Should that ever fail, read it the
	 * ram_aops way: as zeroes.
	 */
	if (WARN_ON_ONCE(!folio_test_uptodate(folio))) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	return folio;
}

/*
 * Look up the folio at @index, creating it on a miss. Returns it locked
 * and with a reference, or an ERR_PTR.
 *
 * Caller holds the invalidate_lock shared.
 */
static struct folio *faultdemo_store_find_or_create(struct address_space *mapping,
						    pgoff_t index, gfp_t gfp)
{
	struct folio *folio;
	int err;

	for (;;) {
		folio = faultdemo_store_lock_cached(mapping, index);
		if (folio)
			return folio;

		/*
		 * A miss: a fresh zeroed page from the buddy allocator, never
		 * anything stale. Marked uptodate before it becomes visible.
		 */
		folio = filemap_alloc_folio(gfp | __GFP_ZERO, 0);
		if (!folio)
			return ERR_PTR(-ENOMEM);
		folio_mark_uptodate(folio);

		err = filemap_add_folio(mapping, folio, index, gfp);
		if (!err)
			return folio;	/* locked by filemap_add_folio() */
		folio_put(folio);
		if (err != -EEXIST)
			return ERR_PTR(err);
		/*
		 * -EEXIST: a concurrent fault, read() or write() inserted
		 * the page first. Use theirs: a second copy in the cache
		 * would lose whatever was written to the first.
		 */
	}
}

/**
 * faultdemo_store_get_folio() - the page cache folio for a .fault
 * @index:	page offset in the data area, below its size
 * @gfp:	allocation flags for the faulting page (vmf->gfp_mask)
 * @ra:		pages after @index to insert as read-ahead
 * @foliop:	the folio, locked and with a reference, on success
 *
 * A hit returns the cached folio. A miss reads ahead first, so that no
 * folio lock is held while allocating, then creates the folio at @index
 * (or finds the one a racing fault inserted). The miss runs under the
 * mapping's invalidate_lock held shared, as in filemap_fault(): faults,
 * read() and write() run concurrently and resolve races with -EEXIST,
 * while anything that removes folios from the cache would take it
 * exclusive (nothing does today: i_size never changes).
 * Does not depend on mmap_lock: on 6.12 .fault may run under the per-VMA
 * lock only.
 *
 * Context: process context, may sleep.
 * Return: 0, or -ENOMEM (or another errno from filemap_add_folio()).
 */
int faultdemo_store_get_folio(pgoff_t index, gfp_t gfp, unsigned int ra,
			      struct folio **foliop)
{
	struct address_space *mapping = faultdemo_mapping();
	struct folio *folio;

	/*
	 * A hit needs no invalidate_lock, as in filemap_fault(): the
	 * ->mapping check under the folio lock catches a folio removed
	 * meanwhile. Every fault on a cached page would otherwise bounce the
	 * rwsem's cache line between CPUs.
	 */
	folio = faultdemo_store_lock_cached(mapping, index);
	if (!folio) {
		filemap_invalidate_lock_shared(mapping);
		if (ra)
			faultdemo_store_readahead(mapping, index + 1, ra);
		folio = faultdemo_store_find_or_create(mapping, index, gfp);
		filemap_invalidate_unlock_shared(mapping);
	}

	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*foliop = folio;
	return 0;
}

/**
 * faultdemo_store_clean() - "write back" and write-protect a range
 * @first:	first page offset
 * @last:	last page offset (inclusive), below the data area's end
 *
 * There is no backing store to write to, so writing back a folio only
 * means write-protecting it in every shared mapping with folio_mkclean():
 * the next store through any of them goes through .page_mkwrite again.
 *
 * The folio stays dirty, as in ramfs. The page cache is the only copy of
 * the data, and "unevictable" keeps only vmscan away: soft-offline
 * (mapping_evict_folio(), invalidate_inode_page()), memory-failure and
 * splice page stealing drop clean, unmapped page-cache folios without
 * asking, and a dirty folio without ->writepage cannot be dropped or
 * migrated that way. Clearing PG_dirty here would make fsync() lose data.
 *
 * folio_clear_dirty_for_io() would not do either: it write-protects only
 * for a mapping that can write back (mapping_can_writeback()), and ours,
 * on the noop backing device, cannot.
 *
 * The folio lock orders this against .page_mkwrite: a store that hits a
 * PTE just write-protected waits in .page_mkwrite for the lock.
 *
 * Context: process context, may sleep.
 * Return: the number of pages that were writable in at least one shared
 * mapping and are now write-protected in all of them.
 */
u64 faultdemo_store_clean(pgoff_t first, pgoff_t last)
{
	struct address_space *mapping = faultdemo_mapping();
	struct folio_batch fbatch;
	pgoff_t index = first;
	u64 cleaned = 0;
	unsigned int i;

	folio_batch_init(&fbatch);
	while (filemap_get_folios(mapping, &index, last, &fbatch)) {
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];

			folio_lock(folio);
			/* Truncated since the lookup: nothing to clean. */
			if (folio->mapping == mapping && folio_mkclean(folio)) {
				/* the PTEs' dirty bits, now cleared, go here */
				folio_mark_dirty(folio);
				cleaned += folio_nr_pages(folio);
			}
			folio_unlock(folio);
		}
		folio_batch_release(&fbatch);
		cond_resched();
	}

	faultdemo_stat_inc(FAULTDEMO_STAT_CLEAN);
	return cleaned;
}

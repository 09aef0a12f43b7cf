// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the RAM backend, used when no backing device is given.
 *
 * There is nothing behind the page cache: it is the only copy of the
 * data. Hence ram_aops (a folio never written reads as zeroes, dirtying
 * is noop_dirty_folio() because there is nothing to write back to), an
 * unevictable mapping (reclaim must never drop a folio, dirty or not), a
 * miss path of our own that inserts zeroed folios, with read-ahead that
 * inserts more, and a "clean" that only write-protects.
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/rmap.h>
#include <linux/sched.h>

#include "compat.h"
#include "faultdemo.h"

static void faultdemo_ram_init_inode(struct inode *inode)
{
	struct address_space *mapping = inode->i_mapping;

	/*
	 * Not __GFP_MOVABLE: ram_aops has no ->migrate_folio and a dirty folio
	 * cannot be written back, so migration would fail on it (as ramfs).
	 */
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER);
	/* The page cache is the only copy: reclaim must never drop a folio. */
	mapping_set_unevictable(mapping);
}

/*
 * Insert up to @nr zeroed, uptodate, unlocked folios after the faulting
 * page, skipping the ones already cached, so that the next fault's
 * fault-around finds them. Opportunistic: the allocation gives up early
 * (__GFP_NORETRY) and quietly, and the first failure ends it.
 *
 * Caller holds the invalidate_lock shared.
 */
static void faultdemo_ram_readahead(struct address_space *mapping,
				    pgoff_t index, unsigned int nr)
{
	pgoff_t end = faultdemo_store.pages;
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
 * The cached folio at @index, locked. Whoever inserted it (read_folio,
 * write_begin/end, us) made it uptodate before unlocking it. Should that
 * ever fail, read it the ram_aops way: as zeroes.
 */
static struct folio *faultdemo_ram_lock_cached(pgoff_t index)
{
	struct folio *folio = faultdemo_cache_lock_cached(index);

	if (folio && WARN_ON_ONCE(!folio_test_uptodate(folio))) {
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
static struct folio *faultdemo_ram_find_or_create(struct address_space *mapping,
						  pgoff_t index, gfp_t gfp)
{
	struct folio *folio;
	int err;

	for (;;) {
		folio = faultdemo_ram_lock_cached(index);
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

/*
 * .fault of the RAM store: hand the core the folio at vmf->pgoff, locked,
 * creating it on a miss. A hit needs no invalidate_lock, as in
 * filemap_fault(): every fault on a cached page would otherwise bounce the
 * rwsem's cache line between CPUs. A miss reads ahead first, so that no
 * folio lock is held while allocating, then creates the folio (or finds
 * the one a racing fault inserted), under the invalidate_lock held shared
 * as filemap_fault() does: faults, read() and write() run concurrently and
 * resolve races with -EEXIST, while anything that removes folios from the
 * cache would take it exclusive (nothing does: i_size never changes).
 * Nothing here waits for I/O, so nothing drops the fault lock: the result
 * is never VM_FAULT_RETRY or VM_FAULT_MAJOR.
 */
static vm_fault_t faultdemo_ram_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = faultdemo_mapping();
	pgoff_t index = vmf->pgoff;
	unsigned int ra;
	struct folio *folio;

	folio = faultdemo_ram_lock_cached(index);
	if (!folio) {
		ra = faultdemo_readahead_pages();
		filemap_invalidate_lock_shared(mapping);
		if (ra)
			faultdemo_ram_readahead(mapping, index + 1, ra);
		folio = faultdemo_ram_find_or_create(mapping, index,
						     vmf->gfp_mask);
		filemap_invalidate_unlock_shared(mapping);
		if (IS_ERR(folio))
			return vmf_error(PTR_ERR(folio));
	}

	vmf->page = folio_file_page(folio, index);
	return VM_FAULT_LOCKED;
}

/* write(): the page cache is written through ram_aops, as for ramfs. */
static ssize_t faultdemo_ram_write(struct kiocb *iocb, struct iov_iter *from)
{
	return faultdemo_perform_write(iocb, from);
}

/*
 * There is no backing store to write to, so cleaning a folio only means
 * write-protecting it in every shared mapping with folio_mkclean(): the
 * next store through any of them goes through .page_mkwrite again.
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
 * Returns the number of pages that were writable in at least one shared
 * mapping and are now write-protected in all of them. Never fails.
 */
static long faultdemo_ram_clean(struct file *file, pgoff_t first, pgoff_t last)
{
	struct address_space *mapping = faultdemo_mapping();
	struct folio_batch fbatch;
	pgoff_t index = first;
	long cleaned = 0;
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
	return cleaned;
}

const struct faultdemo_backend faultdemo_ram_backend = {
	.name		= "ram",
	.aops		= &ram_aops,
	.writeback	= false,
	.init_inode	= faultdemo_ram_init_inode,
	.fault		= faultdemo_ram_fault,
	.write		= faultdemo_ram_write,
	.clean		= faultdemo_ram_clean,
};

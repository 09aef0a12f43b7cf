// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the RAM backend, used when no backing device is given.
 *
 * There is nothing behind the page cache: it is the only copy of the
 * data. Hence address-space operations like ramfs's (a folio never
 * written reads as zeroes, dirtying is noop_dirty_folio() because there
 * is nothing to write back to), an unevictable mapping (reclaim must
 * never drop a folio, dirty or not) whose folios can still move
 * (filemap_migrate_folio()), a miss path of our own that inserts zeroed
 * folios of up to folio_order, with read-ahead that inserts more, and a
 * "clean" that only write-protects.
 *
 * Large folios: a PMD-sized one is mapped by one PMD, from fault-around
 * and from .fault, with no help from us (doc/design.md).
 */
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rmap.h>
#include <linux/sched.h>
#include <linux/xarray.h>

#include "compat.h"
#include "faultdemo.h"

static void faultdemo_ram_init_inode(struct inode *inode)
{
	struct address_space *mapping = inode->i_mapping;

	/*
	 * Movable: ->migrate_folio moves any folio, dirty or not, so the
	 * store's folios go in movable pageblocks, as shmem's do
	 * (doc/design.md, "Folios that move").
	 */
	mapping_set_gfp_mask(mapping, GFP_HIGHUSER_MOVABLE);
	/* The page cache is the only copy: reclaim must never drop a folio. */
	mapping_set_unevictable(mapping);
	faultdemo_mapping_set_folio_order(mapping, faultdemo_folio_order);
}

/*
 * No page of [@start, @start + @nr) is cached. A lockless look: a racing
 * insertion is caught by filemap_add_folio() (-EEXIST), this only spares
 * allocating, zeroing and charging a folio that cannot go in.
 */
static bool faultdemo_ram_range_free(struct address_space *mapping,
				     pgoff_t start, unsigned long nr)
{
	unsigned long index = start;

	return !xa_find(&mapping->i_pages, &index, start + nr - 1, XA_PRESENT);
}

/*
 * The order of a folio to create around @index: the largest that is at
 * most @max, not 1 (see faultdemo_set_folio_order()), whose aligned range
 * lies inside the data area, so that no folio ever crosses its end (6.1
 * would map such a folio by PMD past i_size), and holds no cached page.
 */
static unsigned int faultdemo_ram_fit_order(struct address_space *mapping,
					    pgoff_t index, unsigned int max)
{
	unsigned int order;
	pgoff_t start;

	for (order = max; order > 1; order--) {
		start = round_down(index, 1UL << order);
		if (start + (1UL << order) <= faultdemo_store.pages &&
		    faultdemo_ram_range_free(mapping, start, 1UL << order))
			return order;
	}
	return 0;
}

/* The next order to try after @order failed. */
static unsigned int faultdemo_ram_lower_order(unsigned int order)
{
	return order > 2 ? order - 1 : 0;
}

/*
 * A large folio is an optimisation: its allocation and its memcg charge
 * fail fast and quietly (__GFP_NORETRY: no OOM kill, in a memory cgroup
 * either), above PAGE_ALLOC_COSTLY_ORDER without any reclaim, not even
 * kswapd's (GFP_TRANSHUGE_LIGHT does the same for a THP fault), and the
 * caller falls back to a smaller one. Order 0 keeps the caller's mask.
 */
static gfp_t faultdemo_ram_gfp(gfp_t gfp, unsigned int order)
{
	if (!order)
		return gfp;
	gfp |= __GFP_NORETRY | __GFP_NOWARN;
	if (order > PAGE_ALLOC_COSTLY_ORDER)
		gfp &= ~__GFP_RECLAIM;
	return gfp;
}

/*
 * A new folio of 2^@order pages, zeroed (never anything stale) and so up
 * to date before anyone can see it.
 */
static struct folio *faultdemo_ram_alloc(gfp_t gfp, unsigned int order)
{
	struct folio *folio;

	folio = faultdemo_filemap_alloc_folio(faultdemo_ram_gfp(gfp, order) |
					      __GFP_ZERO, order);
	if (folio)
		folio_mark_uptodate(folio);
	return folio;
}

/*
 * Insert @folio at the aligned start of its range around @index, charged
 * under the same rules as its allocation: -ENOMEM then means "try
 * smaller". -EEXIST: some page of the range was cached meanwhile.
 */
static int faultdemo_ram_add(struct address_space *mapping,
			     struct folio *folio, pgoff_t index, gfp_t gfp)
{
	unsigned int order = folio_order(folio);

	return filemap_add_folio(mapping, folio,
				 round_down(index, 1UL << order),
				 faultdemo_ram_gfp(gfp, order));
}

/*
 * Insert zeroed, uptodate, unlocked folios from @index on, skipping what
 * is cached, until page @last is covered, so that the next fault's
 * fault-around finds them. Each folio is as large as folio_order and the
 * end of the data area allow. Opportunistic: the first failure ends it.
 *
 * Caller holds the invalidate_lock shared.
 */
static void faultdemo_ram_readahead(struct address_space *mapping,
				    pgoff_t index, pgoff_t last)
{
	gfp_t gfp = readahead_gfp_mask(mapping);
	unsigned long added = 0;
	struct folio *folio;
	unsigned int order;
	int err;

	last = min(last, faultdemo_store.pages - 1);
	while (index <= last) {
		folio = faultdemo_filemap_get_folio(mapping, index);
		if (folio) {
			index = folio_next_index(folio);
			folio_put(folio);
			continue;
		}

		order = faultdemo_ram_fit_order(mapping, index,
						faultdemo_folio_order);
		folio = faultdemo_ram_alloc(gfp, order);
		if (!folio)
			break;
		err = faultdemo_ram_add(mapping, folio, index, gfp);
		if (!err) {
			/* filemap_add_folio() returns it locked */
			folio_unlock(folio);
			added += folio_nr_pages(folio);
			index = folio_next_index(folio);
		}
		/* On success the page cache holds its own reference. */
		folio_put(folio);
		/* -EEXIST: someone else inserted part of it meanwhile. */
		if (err)
			break;
	}

	if (added)
		faultdemo_stat_add(FAULTDEMO_STAT_READAHEAD, added);
}

/*
 * The cached folio at @index, locked and with a reference, or NULL on a
 * miss. Needs no invalidate_lock: filemap_lock_folio() checks ->mapping
 * again under the folio lock, which makes a hit safe against the folio
 * leaving the cache meanwhile. Whoever inserted it (us, or filemap_read()
 * through ->read_folio) made it uptodate before unlocking it. Should that
 * ever fail, read it as the RAM store reads: as zeroes. Inline: it is
 * the whole of a fault on a cached page (faultdemo_ram_get_locked()).
 */
static __always_inline struct folio *faultdemo_ram_lock_cached(pgoff_t index)
{
	struct folio *folio = faultdemo_filemap_lock_folio(faultdemo_mapping(),
							   index);

	if (folio && WARN_ON_ONCE(!folio_test_uptodate(folio))) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	return folio;
}

/*
 * Look up the folio at @index, creating it on a miss: the largest that
 * fits (faultdemo_ram_fit_order()), then smaller ones while memory is
 * short or part of the range is cached already. Returns it locked and with
 * a reference, or an ERR_PTR.
 *
 * Caller holds the invalidate_lock shared.
 */
static struct folio *faultdemo_ram_find_or_create(struct address_space *mapping,
						  pgoff_t index, gfp_t gfp)
{
	unsigned int order = faultdemo_ram_fit_order(mapping, index,
						     faultdemo_folio_order);
	struct folio *folio;
	int err;

	for (;;) {
		folio = faultdemo_ram_lock_cached(index);
		if (folio)
			return folio;

		folio = faultdemo_ram_alloc(gfp, order);
		if (!folio) {
			if (!order)
				return ERR_PTR(-ENOMEM);
			order = faultdemo_ram_lower_order(order);
			order = faultdemo_ram_fit_order(mapping, index, order);
			continue;
		}

		err = faultdemo_ram_add(mapping, folio, index, gfp);
		if (!err)
			return folio;	/* locked by filemap_add_folio() */
		folio_put(folio);
		if (err != -EEXIST && (err != -ENOMEM || !order))
			return ERR_PTR(err);
		/*
		 * -EEXIST at order 0: a concurrent fault, read() or write()
		 * inserted the page first. Use theirs: a second copy in the
		 * cache would lose whatever was written to the first. For a
		 * large folio it may also be a smaller folio elsewhere in
		 * the range: look again, then try smaller.
		 */
		order = faultdemo_ram_lower_order(order);
		order = faultdemo_ram_fit_order(mapping, index, order);
	}
}

/*
 * The miss of faultdemo_ram_get_locked(): the folio at @index created
 * under the invalidate_lock held shared, as filemap_fault() does: faults,
 * read() and write() create folios concurrently and resolve races with
 * -EEXIST, while anything that removes folios from the cache would take
 * it exclusive (nothing does: i_size never changes). @readahead pages
 * after @index are inserted first, so that no folio lock is held while
 * allocating them.
 */
static noinline struct folio *faultdemo_ram_create_locked(pgoff_t index,
							  gfp_t gfp,
							  unsigned int readahead)
{
	struct address_space *mapping = faultdemo_mapping();
	struct folio *folio;
	unsigned int order;

	filemap_invalidate_lock_shared(mapping);
	if (readahead) {
		/* after the folio that will hold @index, if all goes well */
		order = faultdemo_ram_fit_order(mapping, index,
						faultdemo_folio_order);
		faultdemo_ram_readahead(mapping,
					round_down(index, 1UL << order) +
					(1UL << order), index + readahead);
	}
	folio = faultdemo_ram_find_or_create(mapping, index, gfp);
	filemap_invalidate_unlock_shared(mapping);
	return folio;
}

/*
 * The folio at @index, locked and with a reference, created on a miss
 * (faultdemo_ram_create_locked()), or an ERR_PTR. A hit takes no
 * invalidate_lock: every fault on a cached page would otherwise bounce
 * the rwsem's cache line between CPUs.
 */
static __always_inline struct folio *
faultdemo_ram_get_locked(pgoff_t index, gfp_t gfp, unsigned int readahead)
{
	struct folio *folio = faultdemo_ram_lock_cached(index);

	if (likely(folio))
		return folio;
	return faultdemo_ram_create_locked(index, gfp, readahead);
}

/*
 * .fault of the RAM store: hand the core the folio at vmf->pgoff, locked,
 * creating it on a miss (faultdemo_ram_get_locked()). Nothing here waits
 * for I/O, so nothing drops the fault lock: the result is never
 * VM_FAULT_RETRY or VM_FAULT_MAJOR. No folio is ever marked
 * PG_readahead (which fault-around skips): the kernel's read-ahead never
 * runs on the RAM store's noop bdi, whose ra_pages is 0.
 */
static vm_fault_t faultdemo_ram_fault(struct vm_fault *vmf)
{
	pgoff_t index = vmf->pgoff;
	struct folio *folio;

	folio = faultdemo_ram_get_locked(index, vmf->gfp_mask,
					 faultdemo_readahead_pages());
	if (IS_ERR(folio))
		return vmf_error(PTR_ERR(folio));

	vmf->page = folio_file_page(folio, index);
	return VM_FAULT_LOCKED;
}

/*
 * Before read() and splice() read [@pos, @pos + @count): create what is
 * missing the way a fault would, as large folios. Left to itself,
 * filemap_read() would create each missing page as a folio of its own
 * (the noop bdi has no read-ahead: filemap_create_folio()), and a page
 * cached that way keeps its 2 MiB from ever being one folio again. Only
 * with folio_order: at order 0 read() creates what a fault would. A
 * failure is left to filemap_read() to meet and report.
 */
static void faultdemo_ram_read_prepare(loff_t pos, size_t count)
{
	struct address_space *mapping = faultdemo_mapping();
	loff_t end = min_t(loff_t, pos + count, faultdemo_size);
	gfp_t gfp = mapping_gfp_mask(mapping);
	struct folio *folio;
	pgoff_t index, last;

	if (!faultdemo_folio_order || pos >= end)
		return;
	index = pos >> PAGE_SHIFT;
	last = (end - 1) >> PAGE_SHIFT;
	while (index <= last) {
		folio = faultdemo_filemap_get_folio(mapping, index);
		if (!folio) {
			folio = faultdemo_ram_get_locked(index, gfp, 0);
			if (IS_ERR(folio))
				return;
			folio_unlock(folio);
		}
		index = folio_next_index(folio);
		folio_put(folio);
		cond_resched();
	}
}

/*
 * ->read_folio, for filemap_read() on a page nobody created first: a page
 * never written reads as zeroes, as ramfs's does.
 */
static int faultdemo_ram_read_folio(struct file *file, struct folio *folio)
{
	folio_zero_range(folio, 0, folio_size(folio));
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
	folio_unlock(folio);
	return 0;
}

/*
 * ->write_begin: the same folio a fault would find or create, so write()
 * and faults build the same (large) folios. It is uptodate: a short copy
 * leaves nothing stale. Called by write(), inode lock held; may sleep.
 */
static int faultdemo_ram_write_begin(faultdemo_write_ctx_t ctx,
				     struct address_space *mapping,
				     loff_t pos, unsigned int len,
				     faultdemo_write_folio_t **foliop,
				     void **fsdata)
{
	struct folio *folio;

	folio = faultdemo_ram_get_locked(pos >> PAGE_SHIFT,
					 mapping_gfp_mask(mapping), 0);
	if (IS_ERR(folio))
		return PTR_ERR(folio);
	*foliop = faultdemo_to_write_folio(folio, pos);
	return 0;
}

/*
 * ->write_end: marks the folio dirty (noop_dirty_folio(): there is
 * nothing to write back to), unlocks and releases it, and returns
 * @copied, which may be less than asked for. i_size never changes: writes
 * are clamped to the data area.
 */
static int faultdemo_ram_write_end(faultdemo_write_ctx_t ctx,
				   struct address_space *mapping,
				   loff_t pos, unsigned int len,
				   unsigned int copied,
				   faultdemo_write_folio_t *page_or_folio,
				   void *fsdata)
{
	struct folio *folio = faultdemo_from_write_folio(page_or_folio);

	if (copied)
		folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	return copied;
}

static const struct address_space_operations faultdemo_ram_aops = {
	.read_folio	= faultdemo_ram_read_folio,
	.write_begin	= faultdemo_ram_write_begin,
	.write_end	= faultdemo_ram_write_end,
	.dirty_folio	= noop_dirty_folio,
	.migrate_folio	= filemap_migrate_folio,
};

/* write(): generic_perform_write() through faultdemo_ram_aops. */
static ssize_t faultdemo_ram_write(struct kiocb *iocb, struct iov_iter *from)
{
	return faultdemo_perform_write(iocb, from);
}

/*
 * There is no backing store to write to, so cleaning a folio only means
 * write-protecting it in every shared mapping with folio_mkclean(): the
 * next store through any of them goes through .page_mkwrite again. The
 * folio stays dirty, and folio_clear_dirty_for_io() would not
 * write-protect on the noop bdi: doc/design.md, "What dirty means".
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
	.aops		= &faultdemo_ram_aops,
	.writeback	= false,
	.init_inode	= faultdemo_ram_init_inode,
	.fault		= faultdemo_ram_fault,
	.read_prepare	= faultdemo_ram_read_prepare,
	.write		= faultdemo_ram_write,
	.clean		= faultdemo_ram_clean,
};

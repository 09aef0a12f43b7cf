// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the vm_operations of the data area.
 *
 * Which handler runs for which user action (core mm, 6.1 and 6.12):
 *   read, page not mapped       do_read_fault: .map_pages, then .fault if
 *                               the page was not in the page cache
 *   write, MAP_PRIVATE          do_cow_fault: .fault sees vmf->cow_page
 *   write, MAP_SHARED, unmapped do_shared_fault: .fault, .page_mkwrite
 *   write, MAP_SHARED, mapped   do_wp_page: .page_mkwrite (the PTE is
 *   read-only                   read-only because we have .page_mkwrite,
 *                               see vma_wants_writenotify())
 */
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/writeback.h>

#include "compat.h"
#include "faultdemo.h"
#include "faultdemo_trace.h"

static enum faultdemo_fault_kind faultdemo_fault_kind(struct vm_fault *vmf)
{
	if (vmf->cow_page)
		return FAULTDEMO_FAULT_COW;
	if ((vmf->flags & FAULT_FLAG_WRITE) &&
	    (vmf->vma->vm_flags & VM_SHARED))
		return FAULTDEMO_FAULT_SHARED;
	return FAULTDEMO_FAULT_READ;
}

static const enum faultdemo_stat_item faultdemo_fault_stat[] = {
	[FAULTDEMO_FAULT_READ]	 = FAULTDEMO_STAT_FAULT_READ,
	[FAULTDEMO_FAULT_COW]	 = FAULTDEMO_STAT_FAULT_COW,
	[FAULTDEMO_FAULT_SHARED] = FAULTDEMO_STAT_FAULT_SHARED,
};

/**
 * faultdemo_fault() - .fault: the page cache folio for a faulting address
 * @vmf: the fault; vmf->pgoff is the page offset in the device
 *
 * Hands the core the folio at vmf->pgoff, locked; the core maps it, or
 * copies it into vmf->cow_page for a private write. Past the data area the
 * fault raises SIGBUS. The backend finds the folio: the RAM store creates
 * a zeroed one on a miss; the block store is filemap_fault(), which reads
 * it from the device and may drop the fault lock while it waits.
 *
 * Context: process context. Holds mmap_lock for read (6.1), or only the
 * VMA's per-VMA lock (6.12: the core tries that first when the VMA has
 * .map_pages and retries under mmap_lock if we return VM_FAULT_RETRY), so
 * nothing here may rely on mmap_lock. Everything needed from the VMA is
 * read before the backend runs: once the lock is dropped the VMA may be
 * gone.
 * The folio may be large (folio_order=); vmf->page is then the page at
 * vmf->pgoff inside it, and if it is PMD-sized and the VMA can take it,
 * finish_fault() maps all of it with one PMD (counted as fault_pmd, see
 * faultdemo_fault_maps_pmd()). A private write copies only vmf->page.
 *
 * Return: VM_FAULT_LOCKED with vmf->page set, possibly with
 * VM_FAULT_MAJOR if the page was read from the device; VM_FAULT_RETRY
 * (with or without VM_FAULT_MAJOR) if the lock was dropped to wait for
 * I/O, the folio neither locked nor referenced; VM_FAULT_SIGBUS past the
 * data area or after a read error; VM_FAULT_OOM; VM_FAULT_NOPAGE if a PTE
 * appeared meanwhile.
 */
static vm_fault_t faultdemo_fault(struct vm_fault *vmf)
{
	enum faultdemo_fault_kind kind = faultdemo_fault_kind(vmf);
	pgoff_t index = vmf->pgoff;
	unsigned int order = 0;
	bool pmd = false;
	vm_fault_t ret;

	faultdemo_stat_inc(faultdemo_fault_stat[kind]);

	/*
	 * Mapping beyond the data area is allowed (file semantics), touching
	 * it is not. This also covers data mappings that mremap() grew into
	 * the reserved window's offsets: size <= FAULTDEMO_RESERVED_OFFSET.
	 */
	if (index >= faultdemo_store.pages) {
		faultdemo_stat_inc(FAULTDEMO_STAT_SIGBUS);
		ret = VM_FAULT_SIGBUS;
		goto out;
	}

	ret = faultdemo_backend()->fault(vmf);
	if (ret & VM_FAULT_MAJOR)
		faultdemo_stat_inc(FAULTDEMO_STAT_FAULT_MAJOR);
	if (ret & VM_FAULT_RETRY)
		faultdemo_stat_inc(FAULTDEMO_STAT_FAULT_RETRY);
	/* locked: its order cannot change under us (no split) */
	if (ret & VM_FAULT_LOCKED) {
		struct folio *folio = page_folio(vmf->page);

		order = folio_order(folio);
		pmd = faultdemo_fault_maps_pmd(vmf, folio);
		if (pmd)
			faultdemo_stat_inc(FAULTDEMO_STAT_FAULT_PMD);
	}
out:
	trace_faultdemo_fault(index, kind, order, pmd, ret);
	return ret;
}

/**
 * faultdemo_map_pages() - .map_pages: fault-around
 * @vmf:		the fault
 * @start_pgoff:	first page offset of the window
 * @end_pgoff:		last page offset of the window
 *
 * Maps whatever is already cached, uptodate and unlocked in the window
 * around the fault, without allocating or reading: filemap_map_pages()
 * does it. It skips folios marked PG_readahead, so that the fault on such
 * a page reaches .fault and starts the next read-ahead. If the first
 * folio it finds is PMD-sized, the PMD is empty and the VMA can take it,
 * it maps the whole folio with one PMD (counted as map_pages_pmd; a
 * concurrent fault that maps the same PMD first may be counted too).
 *
 * Context: mmap_lock or the per-VMA lock held, as for .fault; on 6.12
 * also rcu_read_lock(), so nothing here may sleep. Never drops a lock.
 * Return: VM_FAULT_NOPAGE if the faulting address is now mapped, else 0
 * (the core then calls .fault); may carry VM_FAULT_OOM.
 */
static vm_fault_t faultdemo_map_pages(struct vm_fault *vmf,
				      pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	vm_fault_t ret;
	bool pmd;

	faultdemo_stat_inc(FAULTDEMO_STAT_MAP_PAGES);
	ret = filemap_map_pages(vmf, start_pgoff, end_pgoff);
	/*
	 * The PMD was empty or a page table (a PMD mapping would not have
	 * come here); one that maps a folio now was made by
	 * filemap_map_pmd(). With one-page folios none is: spare the read.
	 */
	pmd = faultdemo_folio_order && pmd_trans_huge(READ_ONCE(*vmf->pmd));
	if (pmd)
		faultdemo_stat_inc(FAULTDEMO_STAT_MAP_PAGES_PMD);
	trace_faultdemo_map_pages(start_pgoff, end_pgoff, pmd, ret);
	return ret;
}

/**
 * faultdemo_page_mkwrite() - .page_mkwrite: first store to a clean page
 * @vmf: the fault; vmf->page is the page cache page being written
 *
 * Runs for the first store through a shared mapping to a page since it
 * was mapped or last cleaned or written back. Returns the folio locked;
 * the core then makes the PTE writable and dirty and marks the folio
 * dirty (fault_dirty_shared_page() in do_shared_fault() and
 * wp_page_shared()). In RAM mode that is all: there is no block to
 * reserve, no quota to charge and no filesystem freeze to race with, the
 * reasons filemap_page_mkwrite() dirties the folio early. A disk's folio
 * may be dirtied here first all the same, as on xfs: the backend's
 * mkwrite (faultdemo_bdev_mkwrite()).
 * The folio lock orders this against cleaning and writeback, which
 * write-protect under it.
 *
 * If the folio is under writeback and the device needs stable pages
 * (AS_STABLE_WRITES, from the device's stable_writes), the store waits
 * here until the write has finished; otherwise folio_wait_stable() returns
 * at once, and a store during writeback redirties the folio.
 *
 * A folio that left the page cache meanwhile makes the core retry the
 * whole fault: returning it would loop forever in do_page_mkwrite()
 * because its ->mapping is NULL.
 *
 * Context: mmap_lock or the per-VMA lock held, as for .fault; may sleep
 * (folio lock, writeback). Never drops the fault lock.
 * Return: VM_FAULT_LOCKED, or VM_FAULT_NOPAGE if the folio was removed
 * from the page cache.
 */
static vm_fault_t faultdemo_page_mkwrite(struct vm_fault *vmf)
{
	struct folio *folio = page_folio(vmf->page);
	vm_fault_t ret;

	folio_lock(folio);
	if (folio->mapping != faultdemo_mapping()) {
		folio_unlock(folio);
		ret = VM_FAULT_NOPAGE;
		goto out;
	}

	folio_wait_stable(folio);
	if (faultdemo_backend()->mkwrite)
		faultdemo_backend()->mkwrite(folio);
	faultdemo_stat_inc(FAULTDEMO_STAT_PAGE_MKWRITE);
	ret = VM_FAULT_LOCKED;
out:
	trace_faultdemo_page_mkwrite(vmf->pgoff, ret);
	return ret;
}

/*
 * Two sets of operations: with and without fault-around. Which one a VMA
 * gets is decided once, at mmap time, from the fault_around parameter.
 */
static const struct vm_operations_struct faultdemo_vm_ops = {
	.fault		= faultdemo_fault,
	.map_pages	= faultdemo_map_pages,
	.page_mkwrite	= faultdemo_page_mkwrite,
};

static const struct vm_operations_struct faultdemo_vm_ops_no_around = {
	.fault		= faultdemo_fault,
	.page_mkwrite	= faultdemo_page_mkwrite,
};

/**
 * faultdemo_vm_mmap() - set up a mapping of the data area
 * @vma: the new VMA, vm_pgoff below FAULTDEMO_RESERVED_PGOFF
 *
 * Nothing is mapped now: every page arrives through the fault handlers.
 * The mapping may extend past the data area (those pages SIGBUS) but not
 * into the reserved window, whose offsets mean something else.
 *
 * Context: ->mmap, mmap_lock held for write.
 * Return: 0, or -EINVAL if the mapping straddles the reserved offset.
 */
int faultdemo_vm_mmap(struct vm_area_struct *vma)
{
	/* vm_pgoff < 2^28 here, vma_pages() < 2^45: no overflow */
	if (vma->vm_pgoff + vma_pages(vma) > FAULTDEMO_RESERVED_PGOFF)
		return -EINVAL;

	if (faultdemo_fault_around_enabled())
		vma->vm_ops = &faultdemo_vm_ops;
	else
		vma->vm_ops = &faultdemo_vm_ops_no_around;
	return 0;
}

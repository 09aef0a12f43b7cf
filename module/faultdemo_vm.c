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

/*
 * Hand the core the page cache folio at vmf->pgoff, locked
 * (VM_FAULT_LOCKED), creating it on a miss; the core maps it, or copies
 * it into vmf->cow_page for a private write.
 *
 * Must not rely on mmap_lock: with .map_pages present, 6.12 calls this
 * under the per-VMA lock only. It uses nothing of the VMA but vm_flags.
 */
static vm_fault_t faultdemo_fault(struct vm_fault *vmf)
{
	enum faultdemo_fault_kind kind = faultdemo_fault_kind(vmf);
	pgoff_t index = vmf->pgoff;
	struct folio *folio;
	vm_fault_t ret;
	int err;

	faultdemo_stat_inc(faultdemo_fault_stat[kind]);

	/*
	 * Mapping beyond the data area is allowed (file semantics), touching
	 * it is not. This also covers data mappings that mremap() grew into
	 * the reserved window's offsets: size <= FAULTDEMO_RESERVED_OFFSET.
	 */
	if (index >= faultdemo_size >> PAGE_SHIFT) {
		faultdemo_stat_inc(FAULTDEMO_STAT_SIGBUS);
		ret = VM_FAULT_SIGBUS;
		goto out;
	}

	err = faultdemo_store_get_folio(index, vmf->gfp_mask,
					faultdemo_readahead_pages(), &folio);
	if (err) {
		ret = vmf_error(err);
		goto out;
	}

	vmf->page = folio_file_page(folio, index);
	ret = VM_FAULT_LOCKED;
out:
	trace_faultdemo_fault(index, kind, ret);
	return ret;
}

/*
 * Fault-around: map whatever is already cached, uptodate and unlocked
 * around the fault, without allocating. filemap_map_pages() does it: on
 * 6.12 under rcu_read_lock(), so nothing here may sleep.
 */
static vm_fault_t faultdemo_map_pages(struct vm_fault *vmf,
				      pgoff_t start_pgoff, pgoff_t end_pgoff)
{
	vm_fault_t ret;

	faultdemo_stat_inc(FAULTDEMO_STAT_MAP_PAGES);
	ret = filemap_map_pages(vmf, start_pgoff, end_pgoff);
	trace_faultdemo_map_pages(start_pgoff, end_pgoff, ret);
	return ret;
}

/*
 * First store to a page through a shared mapping since it was mapped or
 * cleaned. Return the folio locked; the core then makes the PTE writable
 * and dirty and, still under the folio lock, marks the folio dirty
 * (fault_dirty_shared_page() in do_shared_fault() and wp_page_shared()),
 * so doing it here too would only cost time: there is no block to
 * reserve, no quota to charge and no filesystem freeze to race with, the
 * reasons filemap_page_mkwrite() dirties the folio early. The folio lock
 * is what orders this against faultdemo_store_clean().
 *
 * A folio that left the page cache meanwhile (it cannot today, but that
 * is the contract) makes the core retry the whole fault: returning it
 * would loop forever in do_page_mkwrite() because its ->mapping is NULL.
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

	/*
	 * No folio_wait_stable(): a device whose folios go under writeback
	 * to hardware that needs them stable (checksums, RAID parity) must
	 * wait for it here, but ours never go under writeback at all.
	 */
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

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: the reserved window.
 *
 * reserved_size bytes of physically contiguous, zeroed kernel memory,
 * allocated at load and mapped at mmap offset FAULTDEMO_RESERVED_OFFSET
 * with remap_pfn_range(): the whole VMA is populated at mmap time, the VMA
 * is VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_DONTDUMP, and no fault handler
 * ever runs for it.
 *
 * MAP_PRIVATE is allowed, with the usual private-file semantics: loads see
 * the window, without faulting; the first store to a page faults once
 * (do_wp_page() -> wp_page_copy(): vm_normal_page() is NULL for the pfn,
 * so the core copies the data into a new anonymous page) and from then on
 * the process sees its private copy. The window itself never changes
 * through a private mapping, so other mappings do not see such stores.
 * remap_pfn_range() requires a private mapping to be mapped whole in one
 * call, and rewrites its vm_pgoff to the first pfn (see is_cow_mapping()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "compat.h"
#include "faultdemo.h"

/*
 * The window: allocated in faultdemo_reserved_init(), freed in
 * faultdemo_reserved_exit(). Its pages are mapped (VM_PFNMAP, no page
 * references), so they must outlive every mapping: they do, because a
 * mapping pins the module through vm_file. Split pages, not compound:
 * alloc_pages_exact() gives each page its own reference count.
 */
static void *faultdemo_reserved_buf;
static unsigned long faultdemo_reserved_pfn;
static unsigned long faultdemo_reserved_pages;

/**
 * faultdemo_reserved_init() - allocate the reserved window
 *
 * Does nothing when reserved_size is 0.
 *
 * Context: process context, module init.
 * Return: 0, or -ENOMEM if the contiguous allocation failed.
 */
int faultdemo_reserved_init(void)
{
	if (!faultdemo_reserved_size)
		return 0;

	/* Quiet: a failed high-order allocation is reported below. */
	faultdemo_reserved_buf = alloc_pages_exact(faultdemo_reserved_size,
						   GFP_KERNEL | __GFP_ZERO |
						   __GFP_NOWARN);
	if (!faultdemo_reserved_buf) {
		pr_err("cannot allocate %llu contiguous bytes for the reserved window (reserved_size)\n",
		       faultdemo_reserved_size);
		return -ENOMEM;
	}
	faultdemo_reserved_pfn = PHYS_PFN(virt_to_phys(faultdemo_reserved_buf));
	faultdemo_reserved_pages = faultdemo_reserved_size >> PAGE_SHIFT;
	return 0;
}

/**
 * faultdemo_reserved_exit() - free the reserved window
 *
 * Context: module exit; no mapping of the window can exist.
 */
void faultdemo_reserved_exit(void)
{
	if (!faultdemo_reserved_buf)
		return;
	free_pages_exact(faultdemo_reserved_buf, faultdemo_reserved_size);
	faultdemo_reserved_buf = NULL;
	faultdemo_reserved_pages = 0;
}

/*
 * ptrace(PEEK/POKE), /proc/pid/mem and gdb reach a VM_PFNMAP mapping only
 * through .access (GUP refuses VM_PFNMAP). generic_access_phys() would do,
 * but it ioremap()s the pfn, and on x86 ioremap() of RAM warns and fails.
 * We hold kernel addresses of the window instead.
 *
 * The PTE, not vm_pgoff, says what is at @addr: vm_pgoff is a file offset
 * in a shared mapping but a pfn in a private one, and in a private mapping
 * a page may have been replaced by an anonymous copy. The pfn in the PTE
 * covers all cases, split VMAs included. The page table lock, held until
 * faultdemo_pfnmap_end(), keeps the PTE and the page it maps in place
 * while we copy. Like generic_access_phys(), a write needs a writable PTE,
 * so nothing writes to the window through a private mapping.
 *
 * Called with mmap_lock held for read; copies at most to the end of the
 * page and returns the number of bytes copied, or -EINVAL.
 */
static int faultdemo_reserved_access(struct vm_area_struct *vma,
				     unsigned long addr, void *buf, int len,
				     int write)
{
	struct faultdemo_pfnmap pm = { .vma = vma, .address = addr };
	unsigned int offset = offset_in_page(addr);
	unsigned long index;
	struct folio *folio;
	void *kaddr;
	int ret;

	len = min_t(int, len, PAGE_SIZE - offset);
	if (len <= 0)
		return -EINVAL;

	if (!faultdemo_pfnmap_start(&pm))
		return -EINVAL;

	if (write && !pm.writable) {
		ret = -EINVAL;
		goto out;
	}

	/* Unsigned: a pfn below the window wraps to a huge index. */
	index = pm.pfn - faultdemo_reserved_pfn;
	if (index < faultdemo_reserved_pages) {
		kaddr = faultdemo_reserved_buf + (index << PAGE_SHIFT) + offset;
		if (write)
			memcpy(kaddr, buf, len);
		else
			memcpy(buf, kaddr, len);
		ret = len;
		goto out;
	}

	/* Not the window: the private copy of a page of a private mapping. */
	if (!is_cow_mapping(vma->vm_flags) || !pfn_valid(pm.pfn)) {
		ret = -EINVAL;
		goto out;
	}
	folio = page_folio(pfn_to_page(pm.pfn));
	if (!folio_test_anon(folio)) {
		ret = -EINVAL;
		goto out;
	}
	kaddr = kmap_local_page(pfn_to_page(pm.pfn));
	if (write) {
		memcpy(kaddr + offset, buf, len);
		flush_dcache_page(pfn_to_page(pm.pfn));
		/*
		 * We wrote through the kernel mapping, not the PTE, so its
		 * dirty bit is not set: dirty the folio so that reclaim does
		 * not drop a clean swap-cache copy. Allowed under the page
		 * table lock, as in try_to_unmap_one().
		 */
		folio_mark_dirty(folio);
	} else {
		memcpy(buf, kaddr + offset, len);
	}
	kunmap_local(kaddr);
	ret = len;
out:
	faultdemo_pfnmap_end(&pm);
	return ret;
}

/* No .fault: every PTE is installed at mmap time. */
static const struct vm_operations_struct faultdemo_reserved_vm_ops = {
	.access = faultdemo_reserved_access,
};

/**
 * faultdemo_reserved_mmap() - map (part of) the reserved window
 * @vma: the new VMA, vm_pgoff at or above FAULTDEMO_RESERVED_PGOFF
 *
 * The mapping must lie inside the window; it is populated completely,
 * here, in one remap_pfn_range() call (required for MAP_PRIVATE). It
 * cannot grow (VM_DONTEXPAND: mremap() growth fails) and is left out of
 * core dumps (VM_DONTDUMP).
 *
 * Context: ->mmap, mmap_lock held for write.
 * Return: 0, -EINVAL if the window is disabled or the mapping does not
 * fit in it, or an error from remap_pfn_range().
 */
int faultdemo_reserved_mmap(struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);
	unsigned long off;

	if (!faultdemo_reserved_pages)
		return -EINVAL;

	/* Written so that neither side can overflow. */
	off = vma->vm_pgoff - FAULTDEMO_RESERVED_PGOFF;
	if (off >= faultdemo_reserved_pages ||
	    pages > faultdemo_reserved_pages - off)
		return -EINVAL;

	/* remap_pfn_range() sets VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP */
	vma->vm_ops = &faultdemo_reserved_vm_ops;
	return remap_pfn_range(vma, vma->vm_start, faultdemo_reserved_pfn + off,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
}

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
 * Only shared mappings: MAP_PRIVATE fails with EINVAL (doc/design.md,
 * "The reserved window", says why).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
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
 * The PTE, not vm_pgoff, says what is at @addr: it covers split and
 * mremap()ed VMAs alike. The page table lock, held until
 * faultdemo_pfnmap_end(), keeps the PTE in place while we copy; the
 * window itself outlives every mapping. Like generic_access_phys(), a
 * write needs a writable PTE.
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
	if (index >= faultdemo_reserved_pages) {
		ret = -EINVAL;
		goto out;
	}
	kaddr = faultdemo_reserved_buf + (index << PAGE_SHIFT) + offset;
	if (write)
		memcpy(kaddr, buf, len);
	else
		memcpy(buf, kaddr, len);
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
 * The mapping must be shared and lie inside the window; it is populated
 * completely, here, in one remap_pfn_range() call. It cannot grow
 * (VM_DONTEXPAND: mremap() growth fails) and is left out of core dumps
 * (VM_DONTDUMP).
 *
 * Context: ->mmap, mmap_lock held for write.
 * Return: 0, -EINVAL if the window is disabled, the mapping is private
 * (MAP_PRIVATE) or does not fit in the window, or an error from
 * remap_pfn_range().
 */
int faultdemo_reserved_mmap(struct vm_area_struct *vma)
{
	unsigned long pages = vma_pages(vma);
	unsigned long off;

	/* VM_MAYSHARE: a MAP_SHARED mapping of an O_RDONLY fd has no VM_SHARED */
	if (!faultdemo_reserved_pages || !(vma->vm_flags & VM_MAYSHARE))
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

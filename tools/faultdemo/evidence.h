/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo(1): what the kernel shows about a mapping without being
 * asked to change it: /proc/self/pagemap, /proc/self/smaps, mincore(2)
 * on the device (its page cache), and the fault-around window the core
 * will use for a given address.
 */
#ifndef FAULTDEMO_EVIDENCE_H
#define FAULTDEMO_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "common.h"

/* /proc/pid/pagemap, Documentation/admin-guide/mm/pagemap.rst */
#define PM_PFN_MASK		(BIT_ULL(55) - 1)
#define PM_EXCLUSIVE		BIT_ULL(56)
#define PM_FILE			BIT_ULL(61)
#define PM_SWAP			BIT_ULL(62)
#define PM_PRESENT		BIT_ULL(63)

int ev_pagemap(const void *addr, size_t npages, __u64 *ents);
__u64 ev_pagemap_one(const void *addr);
long ev_present(const void *addr, size_t npages);
long ev_smaps_kb(const void *addr, const char *field);
int ev_smaps_vmflag(const void *addr, const char *flag);

/*
 * Page cache residency of device pages [first, first + n) into vec (one
 * byte per page, bit 0), through a temporary read-only shared mapping:
 * mincore() of a file mapping reports the file's page cache.
 */
int ev_cached(int devfd, __u64 first, size_t n, unsigned char *vec);
/*
 * The first device page at or after @from (a multiple of @align) that
 * starts a run of @run uncached pages, or -ENOSPC.
 */
long ev_find_cold(int devfd, __u64 npages, __u64 from, size_t run, size_t align);

/*
 * The pages of a vma that do_fault_around() hands to .map_pages for a
 * fault at page @idx of a vma of @vma_pages pages starting at @vma_start,
 * with a window of @nr pages: [*first, *last] as page indexes in the vma.
 */
void ev_fault_around_window(unsigned long vma_start, size_t vma_pages,
			    size_t idx, size_t nr, size_t *first, size_t *last);

void ev_populate_text(void);

void *ev_mmap_aligned(int fd, size_t len, int prot, int flags, off_t off,
		      size_t align);

#endif /* FAULTDEMO_EVIDENCE_H */

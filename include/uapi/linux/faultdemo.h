/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * faultdemo: a character device whose mappings run the kernel's file-backed
 * page-fault paths through a driver's .fault, .map_pages and .page_mkwrite.
 *
 * File offsets of /dev/faultdemo:
 *
 *   [0, size)                      data area: page cache of the device,
 *                                  read/write/lseek/mmap, coherent
 *   [size, FAULTDEMO_RESERVED_OFFSET)
 *                                  may be mapped (file semantics); any
 *                                  access there raises SIGBUS
 *   [FAULTDEMO_RESERVED_OFFSET, FAULTDEMO_RESERVED_OFFSET + reserved_size)
 *                                  reserved window: physically contiguous,
 *                                  mapped with remap_pfn_range, never faults
 */
#ifndef _UAPI_LINUX_FAULTDEMO_H
#define _UAPI_LINUX_FAULTDEMO_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* mmap offset of the reserved window; also the upper bound of "size" */
#define FAULTDEMO_RESERVED_OFFSET	(1ULL << 40)

/**
 * struct faultdemo_geometry - layout of the device
 * @size:		bytes in the data area (module parameter "size")
 * @reserved_size:	bytes in the reserved window, 0 if disabled
 * @reserved_offset:	mmap offset of the reserved window
 * @page_size:		PAGE_SIZE of the running kernel
 * @readahead:		pages read ahead by one .fault (current value)
 * @fault_around:	1 if new mappings get .map_pages, else 0
 * @folio_order:	largest folio the store allocates, as a page order
 *			(module parameter "folio_order")
 */
struct faultdemo_geometry {
	__u64 size;
	__u64 reserved_size;
	__u64 reserved_offset;
	__u32 page_size;
	__u32 readahead;
	__u32 fault_around;
	__u32 folio_order;
};

/**
 * struct faultdemo_clean - write back and write-protect a range
 * @offset:	first byte of the range, page aligned (in)
 * @length:	bytes in the range, page aligned; 0 means "to the end of the
 *		data area" (in)
 * @cleaned:	pages that were writable in at least one shared mapping and
 *		are now write-protected in all of them (out)
 */
struct faultdemo_clean {
	__u64 offset;
	__u64 length;
	__u64 cleaned;
};

#define FAULTDEMO_IOC_MAGIC		0xBC

/* Read the device geometry. */
#define FAULTDEMO_IOC_GET_GEOMETRY	_IOR(FAULTDEMO_IOC_MAGIC, 0x01, \
					     struct faultdemo_geometry)
/*
 * Write back the dirty pages of a range of the data area and write-protect
 * them (folio_mkclean), so that the next store through a shared mapping
 * goes through .page_mkwrite again. With a backing device the pages are
 * written to it and waited for; without one the page cache is the only
 * copy and cleaning only write-protects. @cleaned counts whole folios: a
 * large folio partly inside the range counts all its pages. Errors:
 * EINVAL for an unaligned range or one that runs past the data area (or
 * overflows), EFAULT for a bad pointer, EIO for a write error.
 */
#define FAULTDEMO_IOC_CLEAN		_IOWR(FAULTDEMO_IOC_MAGIC, 0x02, \
					      struct faultdemo_clean)

#endif /* _UAPI_LINUX_FAULTDEMO_H */

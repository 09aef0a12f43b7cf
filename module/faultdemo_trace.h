/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo tracepoints: one per vm_operations handler, so that perf,
 * trace-cmd and bpftrace see which fault path ran and what it returned.
 *
 *   faultdemo:faultdemo_fault        pgoff, kind (read/cow/shared), order
 *                                    of the folio handed out (0 if none),
 *                                    pmd (the core maps it by one PMD),
 *                                    result
 *   faultdemo:faultdemo_map_pages    start_pgoff, end_pgoff, pmd (a PMD
 *                                    was mapped), result
 *   faultdemo:faultdemo_page_mkwrite pgoff, result
 *   faultdemo:faultdemo_mmap         start, end, pgoff, shared, write,
 *                                    reserved (the window), ret: where a
 *                                    process mapped the device, so that a
 *                                    fault address can be told apart
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM faultdemo

#if !defined(_FAULTDEMO_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _FAULTDEMO_TRACE_H

#include <linux/mm_types.h>
#include <linux/tracepoint.h>

#include "faultdemo.h"

/*
 * The VM_FAULT_* bits our handlers (and filemap_map_pages()) can return,
 * as plain numbers: the enum constants are sparse-restricted vm_fault_t,
 * which TRACE_DEFINE_ENUM() cannot take, and VM_FAULT_RESULT_TRACE differs
 * between 6.1 and 6.12. Numbers also reach the format file as they are,
 * so user space can decode it. The asserts keep them honest.
 */
#ifndef _FAULTDEMO_TRACE_VMF
#define _FAULTDEMO_TRACE_VMF
#define FAULTDEMO_VMF_OOM	0x0001
#define FAULTDEMO_VMF_SIGBUS	0x0002
#define FAULTDEMO_VMF_MAJOR	0x0004
#define FAULTDEMO_VMF_HWPOISON	0x0010
#define FAULTDEMO_VMF_SIGSEGV	0x0040
#define FAULTDEMO_VMF_NOPAGE	0x0100
#define FAULTDEMO_VMF_LOCKED	0x0200
#define FAULTDEMO_VMF_RETRY	0x0400
#define FAULTDEMO_VMF_FALLBACK	0x0800
#define FAULTDEMO_VMF_CHECK(x)						\
	static_assert(FAULTDEMO_VMF_##x == (__force unsigned int)VM_FAULT_##x)
FAULTDEMO_VMF_CHECK(OOM);
FAULTDEMO_VMF_CHECK(SIGBUS);
FAULTDEMO_VMF_CHECK(MAJOR);
FAULTDEMO_VMF_CHECK(HWPOISON);
FAULTDEMO_VMF_CHECK(SIGSEGV);
FAULTDEMO_VMF_CHECK(NOPAGE);
FAULTDEMO_VMF_CHECK(LOCKED);
FAULTDEMO_VMF_CHECK(RETRY);
FAULTDEMO_VMF_CHECK(FALLBACK);
#endif

/* For TP_printk() only: decodes __entry->result, "0" when empty. */
#define faultdemo_show_result						\
	(__entry->result ? __print_flags(__entry->result, "|",		\
		{ FAULTDEMO_VMF_OOM,		"OOM" },		\
		{ FAULTDEMO_VMF_SIGBUS,		"SIGBUS" },		\
		{ FAULTDEMO_VMF_MAJOR,		"MAJOR" },		\
		{ FAULTDEMO_VMF_HWPOISON,	"HWPOISON" },		\
		{ FAULTDEMO_VMF_SIGSEGV,	"SIGSEGV" },		\
		{ FAULTDEMO_VMF_NOPAGE,		"NOPAGE" },		\
		{ FAULTDEMO_VMF_LOCKED,		"LOCKED" },		\
		{ FAULTDEMO_VMF_RETRY,		"RETRY" },		\
		{ FAULTDEMO_VMF_FALLBACK,	"FALLBACK" }) : "0")

TRACE_DEFINE_ENUM(FAULTDEMO_FAULT_READ);
TRACE_DEFINE_ENUM(FAULTDEMO_FAULT_COW);
TRACE_DEFINE_ENUM(FAULTDEMO_FAULT_SHARED);

#define faultdemo_show_kind(kind)					\
	__print_symbolic(kind,						\
		{ FAULTDEMO_FAULT_READ,		"read" },		\
		{ FAULTDEMO_FAULT_COW,		"cow" },		\
		{ FAULTDEMO_FAULT_SHARED,	"shared" })

TRACE_EVENT(faultdemo_fault,
	    TP_PROTO(pgoff_t pgoff, enum faultdemo_fault_kind kind,
		     unsigned int order, bool pmd, vm_fault_t result),
	    TP_ARGS(pgoff, kind, order, pmd, result),
	    TP_STRUCT__entry(__field(unsigned long, pgoff)
			     __field(unsigned int, kind)
			     __field(unsigned int, order)
			     __field(bool, pmd)
			     __field(unsigned int, result)),
	    TP_fast_assign(__entry->pgoff = pgoff;
			   __entry->kind = kind;
			   __entry->order = order;
			   __entry->pmd = pmd;
			   __entry->result = (__force unsigned int)result;),
	    TP_printk("pgoff=%#lx kind=%s order=%u pmd=%d result=%s",
		      __entry->pgoff, faultdemo_show_kind(__entry->kind),
		      __entry->order, __entry->pmd, faultdemo_show_result)
);

TRACE_EVENT(faultdemo_map_pages,
	    TP_PROTO(pgoff_t start_pgoff, pgoff_t end_pgoff, bool pmd,
		     vm_fault_t result),
	    TP_ARGS(start_pgoff, end_pgoff, pmd, result),
	    TP_STRUCT__entry(__field(unsigned long, start_pgoff)
			     __field(unsigned long, end_pgoff)
			     __field(bool, pmd)
			     __field(unsigned int, result)),
	    TP_fast_assign(__entry->start_pgoff = start_pgoff;
			   __entry->end_pgoff = end_pgoff;
			   __entry->pmd = pmd;
			   __entry->result = (__force unsigned int)result;),
	    TP_printk("start_pgoff=%#lx end_pgoff=%#lx pmd=%d result=%s",
		      __entry->start_pgoff, __entry->end_pgoff,
		      __entry->pmd, faultdemo_show_result)
);

TRACE_EVENT(faultdemo_page_mkwrite,
	    TP_PROTO(pgoff_t pgoff, vm_fault_t result),
	    TP_ARGS(pgoff, result),
	    TP_STRUCT__entry(__field(unsigned long, pgoff)
			     __field(unsigned int, result)),
	    TP_fast_assign(__entry->pgoff = pgoff;
			   __entry->result = (__force unsigned int)result;),
	    TP_printk("pgoff=%#lx result=%s",
		      __entry->pgoff, faultdemo_show_result)
);

TRACE_EVENT(faultdemo_readahead,
	    TP_PROTO(pgoff_t index, unsigned long nr_pages, unsigned int folios,
		     unsigned int order, unsigned int bios),
	    TP_ARGS(index, nr_pages, folios, order, bios),
	    TP_STRUCT__entry(__field(unsigned long, index)
			     __field(unsigned long, nr_pages)
			     __field(unsigned int, folios)
			     __field(unsigned int, order)
			     __field(unsigned int, bios)),
	    TP_fast_assign(__entry->index = index;
			   __entry->nr_pages = nr_pages;
			   __entry->folios = folios;
			   __entry->order = order;
			   __entry->bios = bios;),
	    TP_printk("index=%#lx nr_pages=%lu folios=%u order=%u bios=%u",
		      __entry->index, __entry->nr_pages, __entry->folios,
		      __entry->order, __entry->bios)
);

TRACE_EVENT(faultdemo_mmap,
	    TP_PROTO(const struct vm_area_struct *vma, bool reserved, int ret),
	    TP_ARGS(vma, reserved, ret),
	    TP_STRUCT__entry(__field(unsigned long, start)
			     __field(unsigned long, end)
			     __field(unsigned long, pgoff)
			     __field(bool, shared)
			     __field(bool, write)
			     __field(bool, reserved)
			     __field(int, ret)),
	    TP_fast_assign(__entry->start = vma->vm_start;
			   __entry->end = vma->vm_end;
			   __entry->pgoff = vma->vm_pgoff;
			   __entry->shared = !!(vma->vm_flags & VM_MAYSHARE);
			   __entry->write = !!(vma->vm_flags & VM_WRITE);
			   __entry->reserved = reserved;
			   __entry->ret = ret;),
	    TP_printk("start=%#lx end=%#lx pgoff=%#lx shared=%d write=%d reserved=%d ret=%d",
		      __entry->start, __entry->end, __entry->pgoff,
		      __entry->shared, __entry->write, __entry->reserved,
		      __entry->ret)
);

#endif /* _FAULTDEMO_TRACE_H */

/* Found through -I$(src)/module (Kbuild). */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE faultdemo_trace
#include <trace/define_trace.h>

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo(1): the kernel's own account of page faults, from tracefs.
 *
 * A session (ktrace.c) records, for one process and its children:
 *
 *   exceptions:page_fault_user, exceptions:page_fault_kernel
 *		every x86 page fault: address, ip, hardware error code
 *   faultdemo:*	which of the module's handlers ran, their result,
 *		and where the process mapped the device
 *   signal:signal_generate, sched:sched_process_fork/exec,
 *   raw_syscalls:sys_enter/sys_exit
 *		what a fault ended in, and what bounds it
 *   the function_graph tracer
 *		the calls under handle_mm_fault and the fault handler's
 *		error paths, limited to the functions that tell the paths
 *		apart (ktrace_functions) and the module's own
 *
 * ktrace_collect() turns the buffer into one struct kt_fault per fault.
 */
#ifndef FAULTDEMO_KTRACE_H
#define FAULTDEMO_KTRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>

#define KT_NAME_LEN	48
#define KT_MAX_SAVED	48

enum kt_call_kind { KT_ENTER, KT_LEAF, KT_EXIT };

/* One line of the function graph. */
struct kt_call {
	unsigned char depth;	/* 0: a root (handle_mm_fault, ...) */
	unsigned char kind;	/* enum kt_call_kind */
	unsigned char pass;	/* 0: first handle_mm_fault, 1: its retry... */
	unsigned short repeat;	/* a leaf called this many times in a row */
	char name[KT_NAME_LEN];
};

enum kt_fault_kind {
	KT_USER,	/* exceptions:page_fault_user: the CPU was in user mode */
	KT_KERNEL,	/* exceptions:page_fault_kernel: in kernel mode */
	KT_NO_EXCEPTION,	/* handle_mm_fault from a system call (GUP) */
};

/* The module's handlers, as seen in the faultdemo:* events. */
#define KT_H_FAULT	0x01
#define KT_H_MAP_PAGES	0x02
#define KT_H_MKWRITE	0x04

/* VM_FAULT_* bits in the events' result (faultdemo_trace.h) */
#define KT_VMF_SIGBUS	0x0002
#define KT_VMF_MAJOR	0x0004
#define KT_VMF_SIGSEGV	0x0040
#define KT_VMF_RETRY	0x0400

struct kt_fault {
	int pid;
	double ts;		/* seconds, trace clock */
	enum kt_fault_kind kind;
	unsigned long addr;	/* 0 for KT_NO_EXCEPTION */
	char ip[64];		/* user: hex; kernel: symbol */
	long err;		/* hardware error code; -1 for KT_NO_EXCEPTION */
	int passes;		/* handle_mm_fault calls: 1 + retries */
	struct kt_call *calls;
	int ncalls, cap;
	unsigned int handlers;	/* KT_H_* */
	unsigned int result;	/* the handlers' results, or-ed */
	char fault_kind[8];	/* faultdemo_fault kind: read, cow, shared */
	bool pmd;		/* faultdemo_fault or _map_pages mapped a PMD */
	char handler_text[200];	/* ".fault(read)=0 .map_pages=NOPAGE" */
	/* faultdemo_readahead events during it (backing device) */
	int ra_calls;
	unsigned long ra_pages;
	unsigned int ra_order;	/* the largest folio read ahead */
	unsigned int ra_bios;
	int signo;		/* SIGSEGV/SIGBUS sent to the task during it */
	long long dev_off;	/* offset in /dev/faultdemo; -1: not its mapping */
	int dev_shared;		/* that mapping is MAP_SHARED; -1: unknown */
	bool pre_exec;		/* the traced pid, before it called execve() */
};

struct kt_log {
	struct kt_fault *faults;
	int n, cap;
	unsigned long lost;	/* events the buffer lost */
};

struct kt_saved {
	char rel[96];		/* path under the tracefs root */
	char old[96];
	bool truncate;		/* restore by writing nothing (a list file) */
};

struct ktrace {
	char tracefs[128];
	char root[256];		/* the directory used: an instance or tracefs */
	bool instance;		/* root is our instance: removed at the end */
	bool graph;		/* the function_graph tracer is on */
	char no_graph[200];	/* why not, if not */
	struct kt_saved saved[KT_MAX_SAVED];	/* top level: what to restore */
	int nsaved;
	pid_t pid;		/* ktrace_set_pid() */
	int lock_fd;		/* KT_LOCK, held while the session lasts */
	int guard_fd;		/* write end; the guard restores on EOF */
	pid_t guard;
	char **traceable;	/* the functions of ktrace_functions found */
	int ntraceable;
};

int ktrace_open(struct ktrace *kt, const char *tag, bool graph,
		unsigned int buffer_kb, char *why, size_t len);
int ktrace_set_pid(struct ktrace *kt, pid_t pid);
int ktrace_start(struct ktrace *kt);
int ktrace_stop(struct ktrace *kt);
int ktrace_collect(struct ktrace *kt, struct kt_log *log);
void ktrace_close(struct ktrace *kt);
bool ktrace_traceable(const struct ktrace *kt, const char *func);
/* Is @func in /proc/kallsyms? 1 yes, 0 no, -1 cannot tell */
int ktrace_in_kallsyms(const char *func);
void kt_log_free(struct kt_log *log);

/* Is @c the second or later handle_mm_fault of its fault? */
static inline bool kt_call_retry(const struct kt_call *c)
{
	return c->depth == 0 && c->pass && !strcmp(c->name, "handle_mm_fault");
}

/* Did @f call @func (any pass)? */
bool kt_fault_called(const struct kt_fault *f, const char *func);
/* "not-present|write|kernel" and the like */
const char *kt_err_bits(long err, char *buf, size_t len);
/* A short name of the path the fault took, from its handlers and graph. */
const char *kt_fault_path(const struct kt_fault *f);
/* Is @name one of the module's functions? */
bool kt_module_function(const char *name);

#endif /* FAULTDEMO_KTRACE_H */

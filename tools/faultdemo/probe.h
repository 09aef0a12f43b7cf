/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo(1): run one user action and measure only it: the faults
 * getrusage() counts while it runs, and the signal it raised, if any,
 * with the x86 page-fault error code from the signal frame.
 */
#ifndef FAULTDEMO_PROBE_H
#define FAULTDEMO_PROBE_H

#include <stddef.h>

#include "common.h"

/* x86 page-fault error code (arch/x86/include/asm/trap_pf.h) */
#define X86_PF_PROT	BIT(0)	/* 0: page not present, 1: protection */
#define X86_PF_WRITE	BIT(1)	/* 0: read, 1: write */
#define X86_PF_USER	BIT(2)	/* 0: kernel mode, 1: user mode */
#define X86_PF_RSVD	BIT(3)	/* reserved bit set in a paging entry */
#define X86_PF_INSTR	BIT(4)	/* instruction fetch */
#define X86_TRAP_PF	14

struct probe_result {
	int signo;		/* 0: the action completed */
	int code;		/* si_code */
	void *addr;		/* si_addr */
	long long trapno;	/* -1: not known (not x86-64) */
	long long err;		/* page-fault error code; -1: not known */
	long minflt;		/* faults during the action, getrusage() */
	long majflt;
};

typedef void (*probe_fn)(void *arg);

int probe_init(void);
void probe_run(probe_fn fn, void *arg, struct probe_result *r);
/* "not-present|write|user" and the like; "" if @err < 0. */
const char *probe_err_bits(long long err, char *buf, size_t len);
const char *probe_sig_name(int signo);
const char *probe_code_name(int signo, int code);

#endif /* FAULTDEMO_PROBE_H */

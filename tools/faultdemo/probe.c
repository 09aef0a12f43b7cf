// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1): the measured step of a tour row.
 *
 * The fault counters are per task and count everything the task does,
 * so the window between the two getrusage() calls contains nothing but
 * the action: the buffers and the jump buffer are written before it
 * opens (after fork() that is a copy-on-write fault of its own), and a
 * signal frame goes to an alternate stack written in advance, never to
 * a stack page the kernel would have to fault in.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "probe.h"

#define ALTSTACK_SIZE	(256 * 1024)
/* Where signal frames go: the top of the stack; AMX state needs ~11 KiB. */
#define ALTSTACK_HOT	(64 * 1024)

static char *altstack;
static sigjmp_buf probe_env;
static struct probe_result probe_sig;

static void probe_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	probe_sig.signo = sig;
	probe_sig.code = si->si_code;
	probe_sig.addr = si->si_addr;
#ifdef __x86_64__
	/* The kernel copies thread.error_code and trap_nr into sigcontext. */
	probe_sig.err = uc->uc_mcontext.gregs[REG_ERR];
	probe_sig.trapno = uc->uc_mcontext.gregs[REG_TRAPNO];
#else
	(void)uc;
#endif
	siglongjmp(probe_env, 1);
}

int probe_init(void)
{
	stack_t ss = { 0 };
	void *stk;

	stk = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (stk == MAP_FAILED)
		return -errno;
	memset(stk, 0, ALTSTACK_SIZE);	/* fault it in now, not in a probe */
	altstack = stk;
	ss.ss_sp = stk;
	ss.ss_size = ALTSTACK_SIZE;
	if (sigaltstack(&ss, NULL))
		return -errno;
	return 0;
}

void probe_run(probe_fn fn, void *arg, struct probe_result *r)
{
	struct sigaction sa, old_bus, old_segv;
	struct rusage before, after;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);

	/*
	 * Write everything the window will write, so none of it faults there.
	 * Even what was written before: after a fork() it is copy-on-write.
	 */
	if (altstack)
		memset(altstack + ALTSTACK_SIZE - ALTSTACK_HOT, 0, ALTSTACK_HOT);
	memset(&probe_sig, 0, sizeof(probe_sig));
	probe_sig.err = -1;
	probe_sig.trapno = -1;
	memset(&probe_env, 0, sizeof(probe_env));
	fd_prefault_stack();
	getrusage(RUSAGE_THREAD, &after);
	getrusage(RUSAGE_THREAD, &before);

	if (!sigsetjmp(probe_env, 1))
		fn(arg);
	getrusage(RUSAGE_THREAD, &after);

	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	*r = probe_sig;
	r->minflt = after.ru_minflt - before.ru_minflt;
	r->majflt = after.ru_majflt - before.ru_majflt;
}

const char *probe_err_bits(long long err, char *buf, size_t len)
{
	if (err < 0) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	snprintf(buf, len, "%s|%s|%s%s%s",
		 err & X86_PF_PROT ? "protection" : "not-present",
		 err & X86_PF_WRITE ? "write" : "read",
		 err & X86_PF_USER ? "user" : "kernel",
		 err & X86_PF_RSVD ? "|reserved-bit" : "",
		 err & X86_PF_INSTR ? "|instruction-fetch" : "");
	return buf;
}

const char *probe_sig_name(int signo)
{
	switch (signo) {
	case 0:
		return "none";
	case SIGSEGV:
		return "SIGSEGV";
	case SIGBUS:
		return "SIGBUS";
	default:
		return "other";
	}
}

const char *probe_code_name(int signo, int code)
{
	if (signo == SIGSEGV) {
		switch (code) {
		case SEGV_MAPERR:
			return "SEGV_MAPERR";
		case SEGV_ACCERR:
			return "SEGV_ACCERR";
		default:
			break;
		}
	} else if (signo == SIGBUS) {
		switch (code) {
		case BUS_ADRALN:
			return "BUS_ADRALN";
		case BUS_ADRERR:
			return "BUS_ADRERR";
		case BUS_OBJERR:
			return "BUS_OBJERR";
		default:
			break;
		}
	}
	return signo ? "other" : "none";
}

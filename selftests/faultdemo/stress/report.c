// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo_stress: the failure lines. Every failure is counted, the first
 * MAX_LOGS printed, each thread's first one with the operations it did
 * last.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

#define MAX_LOGS		40	/* failure lines printed, in all */

/* One line on stderr, in one write(): safe in a fork child of a thread. */
void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n] = '\n';
	if (write(STDERR_FILENO, line, n + 1) < 0)
		return;
}

static const char *ename(int e)
{
	switch (e) {
	case 0: return "success";
	case EPERM: return "EPERM";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EOVERFLOW: return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: return "another errno";
	}
}

/* Tell what the thread was doing, once per thread. */
static void dump_ring(struct thr *t)
{
	unsigned int i, n = t->nring < RING ? t->nring : RING;
	struct ring_ent *e;

	for (i = 0; i < n; i++) {
		e = &t->ring[(t->nring - n + i) % RING];
		say("  p%d.t%d recent op %u: %s/%u %#llx %#llx", t->proc, t->idx,
		    i, op_table[e->op].name, e->sub, (unsigned long long)e->a,
		    (unsigned long long)e->b);
	}
}

void failure(struct thr *t, bool mismatch, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	__atomic_add_fetch(mismatch ? &tot->mismatches : &tot->unexpected, 1,
			   __ATOMIC_RELAXED);
	if (__atomic_fetch_add(&tot->logged, 1, __ATOMIC_RELAXED) >= MAX_LOGS)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say("p%d.t%d%s op %llu: %s: %s", t->proc, t->idx,
	    t->child ? " (fork child)" : "", (unsigned long long)t->ops,
	    mismatch ? "MISMATCH" : "UNEXPECTED", msg);
	if (!t->dumped) {
		t->dumped = true;
		dump_ring(t);
	}
}

/* Record the arguments of the current operation. */
void note(struct thr *t, unsigned int sub, __u64 a, __u64 b)
{
	struct ring_ent *e = &t->ring[(t->nring - 1) % RING];

	e->sub = sub;
	e->a = a;
	e->b = b;
}

static bool allowed(int e, const int *ok)
{
	for (; *ok >= 0; ok++)
		if (*ok == e)
			return true;
	return false;
}

/*
 * A syscall returned @ret (negative: failed with @err): is that in @ok, a
 * list where 0 stands for success? If not, count an unexpected error.
 */
bool expect(struct thr *t, const char *what, long ret, int err, const int *ok)
{
	char want[128] = "";
	int e = ret < 0 ? err : 0;
	const int *o;

	if (allowed(e, ok))
		return true;
	for (o = ok; *o >= 0; o++)
		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
			 o == ok ? "" : "|", ename(*o));
	failure(t, false, "%s: %s (errno %d), expected %s", what, ename(e), e,
		want);
	return false;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Seeded random stress test with a shadow model.
 *
 * Worker processes, each with threads, issue random operations on
 * /dev/faultdemo, valid and invalid: mmap (data area, past its end, the
 * reserved window, straddling, overflowing), munmap, mprotect, madvise,
 * mremap, fork, read/write and their p/v variants, sendfile, lseek,
 * fsync/msync and the ioctls. Every result is checked against the set the
 * documentation allows; anything else is an unexpected error.
 *
 * The model: the last pages of the data area (the "region") and the
 * reserved window are split among the worker threads, each of which alone
 * writes its own pages, so its shadow copy of them is exact. Every word an
 * owner writes carries its tag (owner + 1) in bits 48-63: any path that
 * reads an owned page must see the shadow, any read of another owner's page
 * must see only that owner's tag. A store through a MAP_PRIVATE mapping
 * writes words tagged PRIV_TAG into a private copy that the model keeps per
 * mapping; such a word must never show up anywhere else. Every write of
 * an owner first reads what it replaces, so a corrupted word is found even
 * if it is overwritten before anything else reads it; at the end every
 * page is compared through pread() and a fresh mapping. Touching a page
 * past the end of the data area must raise SIGBUS, nothing may raise any
 * other signal.
 *
 * Only thread 0 of each process forks.
 *
 * Environment: FAULTDEMO_STRESS_SEED (default: from the clock, always
 * printed), FAULTDEMO_STRESS_SECONDS (20, at most 300; the kselftest
 * runner's timeout in settings is 180 s), FAULTDEMO_STRESS_OPS (200000 per
 * thread), FAULTDEMO_STRESS_MIN_OPS (1: fail if the run did fewer in all),
 * FAULTDEMO_STRESS_PROCS (3), FAULTDEMO_STRESS_THREADS (2),
 * FAULTDEMO_STRESS_MB (region size, 8), FAULTDEMO_STRESS_PARAMS (1: flip
 * readahead and fault_around while running), FAULTDEMO_STRESS_NG (1: run
 * stress-ng as memory pressure, if installed), FAULTDEMO_STRESS_NG_BYTES
 * (64M: the anonymous memory it keeps touching).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK		18
#endif
#ifndef MADV_KEEPONFORK
#define MADV_KEEPONFORK		19
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC		0x0001U
#endif

#define DEF_SECONDS		20
#define MAX_SECONDS		300	/* the harness timeout is 360 s */
#define GRACE_SECONDS		40	/* then the workers count as hung */
#define DEF_OPS			200000
#define DEF_PROCS		3
#define DEF_THREADS		2
#define MAX_WORKERS		16
#define DEF_REGION_MB		8

#define MAX_MAPS		8	/* per thread */
#define MAX_MAP_PAGES		128
#define BUF_PAGES		4
#define MAX_LOGS		40	/* failure lines printed, in all */
#define RING			16	/* last operations, dumped on a failure */
#define CHILD_EXIT_SIGNAL	111

#define TAG_SHIFT		48
#define LOW_MASK		((1ULL << TAG_SHIFT) - 1)
#define PRIV_TAG		0xfadeULL

#define ERRS(...)		((const int []){ __VA_ARGS__, -1 })

enum op {
	OP_LOAD, OP_STORE, OP_PREAD, OP_PWRITE, OP_RDWR, OP_EDGE, OP_COPY,
	OP_SENDFILE, OP_MMAP, OP_MMAP_RES, OP_MMAP_BAD, OP_MUNMAP,
	OP_MPROTECT, OP_MADVISE, OP_MREMAP, OP_LSEEK, OP_SYNC, OP_IOCTL,
	OP_FORK, NR_OPS
};

/* Weights in per mille: they add up to 1000. */
static const struct {
	const char *name;
	unsigned int weight;
} op_table[NR_OPS] = {
	[OP_LOAD]	= { "load", 165 },
	[OP_STORE]	= { "store", 162 },
	[OP_PREAD]	= { "pread", 80 },
	[OP_PWRITE]	= { "pwrite", 80 },
	[OP_RDWR]	= { "read/write", 40 },
	[OP_EDGE]	= { "edge", 40 },
	[OP_COPY]	= { "copy", 30 },
	[OP_SENDFILE]	= { "sendfile", 20 },
	[OP_MMAP]	= { "mmap", 60 },
	[OP_MMAP_RES]	= { "mmap_res", 30 },
	[OP_MMAP_BAD]	= { "mmap_bad", 20 },
	[OP_MUNMAP]	= { "munmap", 50 },
	[OP_MPROTECT]	= { "mprotect", 40 },
	[OP_MADVISE]	= { "madvise", 60 },
	[OP_MREMAP]	= { "mremap", 30 },
	[OP_LSEEK]	= { "lseek", 20 },
	[OP_SYNC]	= { "sync", 30 },
	[OP_IOCTL]	= { "ioctl", 35 },
	[OP_FORK]	= { "fork", 8 },
};

/* Read-only once the workers run. */
static struct {
	__u64 seed;
	unsigned int seconds;
	__u64 max_ops;
	__u64 min_ops;			/* fewer in all: the run is too short */
	unsigned int nprocs, nthreads, nowners;
	size_t ps, wpp;			/* page size, 64-bit words per page */
	__u64 size, size_pages;		/* data area */
	__u64 region_first, region_pages, chunk;
	__u64 region_off;		/* region_first * ps */
	bool zero_ok;			/* region was cold: unwritten words are 0 */
	__u64 res_size, res_pages, rchunk;
	struct faultdemo_geometry g;
	struct timespec deadline;
} cfg;

/* Shared by every process. */
struct totals {
	__u64 ops;
	__u64 by_op[NR_OPS];
	__u64 mismatches;
	__u64 unexpected;
	__u64 sigbus;
	__u64 cows;
	__u64 forks;
	__u64 logged;
	int stop;
};

static struct totals *tot;
static __u64 *dshadow;	/* region_pages pages */
static __u64 *rshadow;	/* res_pages pages */

struct smap {
	char *addr;		/* NULL: free slot */
	size_t npages;
	__u64 off;		/* file offset of the first page */
	bool res;		/* reserved window */
	bool shared;
	bool rofd;		/* mapped from an O_RDONLY file */
	bool split;		/* may be more than one vma */
	unsigned char *prot;	/* per page */
	unsigned char *vstart;	/* per page: a vma may start here */
	__u64 **priv;		/* MAP_PRIVATE: private copy once COWed */
};

struct ring_ent {
	unsigned short op, sub;
	__u64 a, b;
};

struct thr {
	int proc, idx, owner;
	bool child;		/* a fork child running a few operations */
	__u64 seed;		/* of this thread (or fork child) */
	__u64 rng, ctr, ops;
	__u64 by_op[NR_OPS];
	int fd, fd_ro, fd_app, fd_sync, memfd;
	__u64 pos;		/* file position of fd, if pos_known */
	bool pos_known;
	struct smap maps[MAX_MAPS];
	char *guard;		/* PROT_NONE page, then a PROT_READ page */
	char *rdonly;
	__u64 *buf, *exp, *snap;
	unsigned int *widx;
	__u64 *wval;
	unsigned char *mark;
	sigjmp_buf jb;
	bool armed;
	int sig;
	void *sig_addr;
	struct ring_ent ring[RING];
	unsigned int nring;
	bool dumped;
	pthread_t tid;
};

static __thread struct thr *cur_thr;

/* --- randomness ------------------------------------------------------- */

static __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static __u64 rnd(struct thr *t)
{
	return splitmix64(&t->rng);
}

static __u64 below(struct thr *t, __u64 n)
{
	return n ? rnd(t) % n : 0;
}

static bool chance(struct thr *t, unsigned int pct)
{
	return below(t, 100) < pct;
}

static size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* --- reporting -------------------------------------------------------- */

/* One line on stderr, in one write(): safe in a fork child of a thread. */
static __printf(1, 2) void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line + 2, sizeof(line) - 3, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(line) - 4)
		n = sizeof(line) - 4;
	line[0] = '#';
	line[1] = ' ';
	line[n + 2] = '\n';
	if (write(STDERR_FILENO, line, n + 3) < 0)
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

static __printf(3, 4) void failure(struct thr *t, bool mismatch,
				   const char *fmt, ...)
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
static void note(struct thr *t, unsigned int sub, __u64 a, __u64 b)
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
static bool expect(struct thr *t, const char *what, long ret, int err,
		   const int *ok)
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

/* --- the model -------------------------------------------------------- */

enum { PK_BEYOND, PK_OWN, PK_FOREIGN, PK_FIXED };

struct pinfo {
	int kind;
	int owner;		/* -1: nobody */
	__u64 *shadow;		/* the model's copy of the page */
};

/* What the device page at file offset @off must hold for thread @t. */
static struct pinfo classify(const struct thr *t, bool res, __u64 off)
{
	struct pinfo pi = { PK_BEYOND, -1, NULL };
	__u64 pg;

	if (res) {
		pg = (off - FAULTDEMO_RESERVED_OFFSET) / cfg.ps;
		pi.shadow = rshadow + pg * cfg.wpp;
		pi.owner = cfg.rchunk ? pg / cfg.rchunk : cfg.nowners;
		if (pi.owner >= (int)cfg.nowners) {
			pi.owner = -1;
			pi.kind = PK_FIXED;	/* nobody writes it */
		} else {
			pi.kind = pi.owner == t->owner ? PK_OWN : PK_FOREIGN;
		}
		return pi;
	}
	if (off >= cfg.size)
		return pi;
	pg = off / cfg.ps - cfg.region_first;
	pi.owner = pg / cfg.chunk;
	pi.shadow = dshadow + pg * cfg.wpp;
	pi.kind = pi.owner == t->owner ? PK_OWN : PK_FOREIGN;
	return pi;
}

static bool exact(const struct pinfo *pi)
{
	return pi->kind == PK_OWN || pi->kind == PK_FIXED;
}

static bool tag_ok(__u64 w, int owner, bool res)
{
	__u64 tag = w >> TAG_SHIFT;

	/* a word copied byte by byte over a zero word may show either half */
	return tag == (__u64)owner + 1 || (!res && cfg.zero_ok && tag == 0);
}

static __u64 own_word(struct thr *t)
{
	return ((__u64)(t->owner + 1) << TAG_SHIFT) | (++t->ctr & LOW_MASK);
}

static __u64 priv_word(struct thr *t)
{
	return (PRIV_TAG << TAG_SHIFT) | (++t->ctr & LOW_MASK);
}

static __u64 word_at(const unsigned char *p)
{
	__u64 w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Bytes [in, in + n) of the device page at @pgoff, read by @how. */
static bool check_part(struct thr *t, const char *how, bool res, __u64 pgoff,
		       const unsigned char *d, size_t in, size_t n)
{
	struct pinfo pi = classify(t, res, pgoff);
	const unsigned char *s;
	size_t i, w;

	if (pi.kind == PK_BEYOND) {
		failure(t, true, "%s: got data past the end, at %#llx", how,
			(unsigned long long)(pgoff + in));
		return false;
	}
	if (exact(&pi)) {
		s = (const unsigned char *)pi.shadow + in;
		if (!memcmp(d, s, n))
			return true;
		for (i = 0; i < n && d[i] == s[i]; i++)
			;
		w = (in + i) / 8;
		failure(t, true,
			"%s: %s page %#llx (owner %d) byte %zu: got %#02x, want %#02x (word %#llx)",
			how, res ? "window" : "data", (unsigned long long)pgoff,
			pi.owner, in + i, d[i], s[i],
			(unsigned long long)pi.shadow[w]);
		return false;
	}
	for (w = (in + 7) & ~7UL; w + 8 <= in + n; w += 8) {
		__u64 v = word_at(d + (w - in));

		if (!tag_ok(v, pi.owner, res)) {
			failure(t, true,
				"%s: %s page %#llx byte %zu: %#llx is not owner %d's",
				how, res ? "window" : "data",
				(unsigned long long)pgoff, w,
				(unsigned long long)v, pi.owner);
			return false;
		}
	}
	return true;
}

/* @len bytes of the device at file offset @off, as read by @how. */
static bool check_dev(struct thr *t, const char *how, bool res, __u64 off,
		      const void *data, size_t len)
{
	const unsigned char *d = data;
	bool good = true;
	size_t in, n;

	while (len) {
		in = off % cfg.ps;
		n = min_sz(len, cfg.ps - in);
		if (!check_part(t, how, res, off - in, d, in, n))
			good = false;
		off += n;
		d += n;
		len -= n;
	}
	return good;
}

/* Copy what the model says the device holds at @off (exact pages only). */
static void model_read(struct thr *t, bool res, __u64 off, void *dst,
		       size_t len)
{
	unsigned char *d = dst;
	struct pinfo pi;
	size_t in, n;

	while (len) {
		in = off % cfg.ps;
		n = min_sz(len, cfg.ps - in);
		pi = classify(t, res, off - in);
		memcpy(d, (unsigned char *)pi.shadow + in, n);
		off += n;
		d += n;
		len -= n;
	}
}

static void model_write(struct thr *t, bool res, __u64 off, const void *src,
			size_t len)
{
	const unsigned char *s = src;
	struct pinfo pi;
	size_t in, n;

	while (len) {
		in = off % cfg.ps;
		n = min_sz(len, cfg.ps - in);
		pi = classify(t, res, off - in);
		memcpy((unsigned char *)pi.shadow + in, s, n);
		off += n;
		s += n;
		len -= n;
	}
}

/* A random 8-byte aligned range of @t's own data pages. */
static void own_range(struct thr *t, size_t maxlen, __u64 *off, size_t *len)
{
	__u64 start = cfg.region_off + (__u64)t->owner * cfg.chunk * cfg.ps;
	__u64 span = cfg.chunk * cfg.ps;
	__u64 o = 8 * below(t, span / 8);

	*len = 8 * (1 + below(t, min_sz(maxlen, span - o) / 8));
	*off = start + o;
}

static void fill_own(struct thr *t, void *buf, size_t len)
{
	__u64 w;
	size_t i;

	for (i = 0; i < len; i += 8) {
		w = own_word(t);
		memcpy((char *)buf + i, &w, min_sz(8, len - i));
	}
}

/* --- guarded accesses --------------------------------------------------- */

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	struct thr *t = cur_thr;

	(void)uc;
	if (t && t->armed) {
		t->armed = false;
		t->sig = sig;
		t->sig_addr = si->si_addr;
		siglongjmp(t->jb, 1);
	}
	say("unexpected signal %d at %p outside any access", sig, si->si_addr);
	_exit(CHILD_EXIT_SIGNAL);
}

/* Copy @n words from a mapping; the signal raised, or 0. */
static int load_words(struct thr *t, __u64 *dst, const __u64 *src, size_t n)
{
	size_t i;

	t->sig = 0;
	if (sigsetjmp(t->jb, 0))
		return t->sig;
	t->armed = true;
	for (i = 0; i < n; i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	t->armed = false;
	return 0;
}

/* Store the @n (widx, wval) pairs at @p, each also into @mirror if set. */
static int store_pairs(struct thr *t, __u64 *p, size_t n, __u64 *mirror)
{
	size_t k;

	t->sig = 0;
	if (sigsetjmp(t->jb, 0))
		return t->sig;
	t->armed = true;
	for (k = 0; k < n; k++) {
		__atomic_store_n(&p[t->widx[k]], t->wval[k], __ATOMIC_RELAXED);
		if (mirror)
			mirror[t->widx[k]] = t->wval[k];
	}
	t->armed = false;
	return 0;
}

static void expect_sigbus(struct thr *t, int sig, const char *p,
			  const char *what)
{
	if (sig == SIGBUS && (char *)t->sig_addr >= p &&
	    (char *)t->sig_addr < p + cfg.ps) {
		__atomic_add_fetch(&tot->sigbus, 1, __ATOMIC_RELAXED);
		return;
	}
	failure(t, false,
		"%s past the end of the data area at %p: signal %d at %p, expected SIGBUS",
		what, p, sig, sig ? t->sig_addr : NULL);
}

/* --- mappings --------------------------------------------------------- */

static bool beyond(const struct smap *m, size_t i)
{
	return !m->res && m->off + i * cfg.ps >= cfg.size;
}

static struct smap *pick_map(struct thr *t)
{
	unsigned int i, start = below(t, MAX_MAPS);

	for (i = 0; i < MAX_MAPS; i++)
		if (t->maps[(start + i) % MAX_MAPS].addr)
			return &t->maps[(start + i) % MAX_MAPS];
	return NULL;
}

static struct smap *free_slot(struct thr *t)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!t->maps[i].addr)
			return &t->maps[i];
	return NULL;
}

static void free_priv(struct smap *m, size_t a, size_t b)
{
	size_t i;

	if (!m->priv)
		return;
	for (i = a; i < b; i++) {
		free(m->priv[i]);
		m->priv[i] = NULL;
	}
}

static void map_forget(struct smap *m)
{
	free_priv(m, 0, m->npages);
	free(m->prot);
	free(m->vstart);
	free(m->priv);
	memset(m, 0, sizeof(*m));
}

static bool map_resize(struct smap *m, size_t n)
{
	unsigned char *prot;
	__u64 **priv;
	size_t i;

	prot = realloc(m->prot, n);
	if (!prot)
		return false;
	m->prot = prot;
	prot = realloc(m->vstart, n);
	if (!prot)
		return false;
	m->vstart = prot;
	if (!m->shared) {
		priv = realloc(m->priv, n * sizeof(*priv));
		if (!priv)
			return false;
		m->priv = priv;
		for (i = m->npages; i < n; i++)
			m->priv[i] = NULL;
	}
	for (i = m->npages; i < n; i++) {
		m->prot[i] = m->npages ? m->prot[m->npages - 1] : 0;
		m->vstart[i] = 0;
	}
	m->npages = n;
	return true;
}

static void map_set(struct smap *m, char *addr, size_t n, __u64 off, bool res,
		    bool shared, bool rofd, int prot)
{
	memset(m, 0, sizeof(*m));
	m->res = res;
	m->shared = shared;
	m->rofd = rofd;
	m->off = off;
	if (!map_resize(m, n)) {
		say("out of memory");
		_exit(1);
	}
	memset(m->prot, prot, n);
	m->vstart[0] = 1;
	m->addr = addr;
}

/* Pages [a, b) of @m were unmapped. */
static void map_cut(struct thr *t, struct smap *m, size_t a, size_t b)
{
	struct smap *o;
	size_t n = m->npages;

	if (a == 0 && b == n) {
		map_forget(m);
		return;
	}
	free_priv(m, a, b);
	if (b < n && a > 0) {
		o = free_slot(t);	/* checked by the caller */
		map_set(o, m->addr + b * cfg.ps, n - b, m->off + b * cfg.ps,
			m->res, m->shared, m->rofd, 0);
		memcpy(o->prot, m->prot + b, n - b);
		memcpy(o->vstart, m->vstart + b, n - b);
		o->vstart[0] = 1;
		if (m->priv)
			memcpy(o->priv, m->priv + b, (n - b) * sizeof(*o->priv));
		o->split = m->split;
		m->npages = a;
		return;
	}
	if (a == 0) {
		memmove(m->prot, m->prot + b, n - b);
		memmove(m->vstart, m->vstart + b, n - b);
		m->vstart[0] = 1;
		if (m->priv)
			memmove(m->priv, m->priv + b, (n - b) * sizeof(*m->priv));
		m->addr += b * cfg.ps;
		m->off += b * cfg.ps;
		m->npages = n - b;
		return;
	}
	m->npages = a;
}

/* Random sub-range [*a, *b) of @m, the whole of it with @whole_pct. */
static void pick_range(struct thr *t, struct smap *m, unsigned int whole_pct,
		       size_t *a, size_t *b)
{
	if (chance(t, whole_pct) || m->npages == 1) {
		*a = 0;
		*b = m->npages;
		return;
	}
	*a = below(t, m->npages);
	*b = *a + 1 + below(t, m->npages - *a);
}

/* Check page @i of @m through the mapping. */
static void load_page(struct thr *t, struct smap *m, size_t i)
{
	__u64 *p = (__u64 *)(m->addr + i * cfg.ps);
	int sig;

	sig = load_words(t, t->buf, p, cfg.wpp);
	if (beyond(m, i)) {
		expect_sigbus(t, sig, (char *)p, "load");
		return;
	}
	if (sig) {
		failure(t, false, "load of %s page %zu (offset %#llx): signal %d at %p",
			m->shared ? "shared" : "private", i,
			(unsigned long long)(m->off + i * cfg.ps), sig,
			t->sig_addr);
		return;
	}
	if (m->priv && m->priv[i]) {
		if (memcmp(t->buf, m->priv[i], cfg.ps))
			failure(t, true, "private copy of offset %#llx changed",
				(unsigned long long)(m->off + i * cfg.ps));
		return;
	}
	check_dev(t, m->shared ? "load through a shared mapping" :
		  "load through a private mapping", m->res,
		  m->off + i * cfg.ps, t->buf, cfg.ps);
}

/*
 * Page @i of private mapping @m was just copied on write (by a store or by
 * populating it): record the copy after checking it against the device
 * page it came from, with the words in t->mark stored since.
 */
static void cow_snapshot(struct thr *t, struct smap *m, size_t i, bool stored)
{
	__u64 *p = (__u64 *)(m->addr + i * cfg.ps);
	struct pinfo pi = classify(t, m->res, m->off + i * cfg.ps);
	size_t w;
	int sig;

	sig = load_words(t, t->snap, p, cfg.wpp);
	if (sig) {
		failure(t, false, "reading a private copy: signal %d", sig);
		return;
	}
	for (w = 0; w < cfg.wpp; w++) {
		bool good;

		if (stored && t->mark[w])
			good = t->snap[w] == t->exp[w];
		else if (exact(&pi))
			good = t->snap[w] == pi.shadow[w];
		else
			good = tag_ok(t->snap[w], pi.owner, m->res);
		if (!good) {
			failure(t, true,
				"private copy of %s offset %#llx word %zu: %#llx%s",
				m->res ? "window" : "data",
				(unsigned long long)(m->off + i * cfg.ps), w,
				(unsigned long long)t->snap[w],
				stored && t->mark[w] ? ", not what was stored" :
				", not the device's");
			break;
		}
	}
	m->priv[i] = malloc(cfg.ps);
	if (!m->priv[i]) {
		say("out of memory");
		_exit(1);
	}
	memcpy(m->priv[i], t->snap, cfg.ps);
	__atomic_add_fetch(&tot->cows, 1, __ATOMIC_RELAXED);
}

/*
 * After MAP_POPULATE or MADV_POPULATE_WRITE on a private data mapping, ask
 * /proc/self/pagemap which pages of [a, b) are anonymous copies now.
 */
static void sync_cow(struct thr *t, struct smap *m, size_t a, size_t b)
{
	__u64 ents[MAX_MAP_PAGES];
	size_t i;
	bool anon;
	int ret;

	if (m->shared || m->res)
		return;
	ret = fdemo_pagemap(m->addr + a * cfg.ps, b - a, ents);
	if (ret) {
		failure(t, false, "pagemap: %s", strerror(-ret));
		return;
	}
	for (i = a; i < b; i++) {
		__u64 e = ents[i - a];

		anon = (e & PM_SWAP) || ((e & PM_PRESENT) && !(e & PM_FILE));
		if (anon && !m->priv[i] && !beyond(m, i))
			cow_snapshot(t, m, i, false);
		else if (!anon && m->priv[i])
			failure(t, true, "private copy at offset %#llx is gone (pagemap %#llx)",
				(unsigned long long)(m->off + i * cfg.ps),
				(unsigned long long)e);
	}
}

/* --- operations: memory ----------------------------------------------- */

static void op_load(struct thr *t)
{
	struct smap *m = pick_map(t);
	size_t a, n, i;

	if (!m)
		return;
	a = below(t, m->npages);
	n = 1 + below(t, min_sz(4, m->npages - a));
	note(t, 0, (unsigned long)m->addr, m->off + a * cfg.ps);
	for (i = a; i < a + n; i++)
		if (m->prot[i] & PROT_READ)
			load_page(t, m, i);
}

/* Fill widx/wval with stores for one page; returns their number. */
static size_t gen_stores(struct thr *t, bool priv)
{
	size_t n, k, start;

	switch (below(t, 3)) {
	case 0:
		n = 1 + below(t, 16);
		for (k = 0; k < n; k++)
			t->widx[k] = below(t, cfg.wpp);
		break;
	case 1:
		n = cfg.wpp;
		for (k = 0; k < n; k++)
			t->widx[k] = k;
		break;
	default:
		start = below(t, cfg.wpp);
		n = 1 + below(t, cfg.wpp - start);
		for (k = 0; k < n; k++)
			t->widx[k] = start + k;
		break;
	}
	for (k = 0; k < n; k++)
		t->wval[k] = priv ? priv_word(t) : own_word(t);
	return n;
}

static void store_page(struct thr *t, struct smap *m, size_t i)
{
	__u64 *p = (__u64 *)(m->addr + i * cfg.ps);
	struct pinfo pi = classify(t, m->res, m->off + i * cfg.ps);
	bool fresh = !m->shared && !m->priv[i];
	__u64 *mirror = NULL;
	size_t n, k;
	int sig;

	n = gen_stores(t, !m->shared);
	if (m->shared)
		mirror = pi.shadow;
	else if (!fresh)
		mirror = m->priv[i];
	sig = store_pairs(t, p, n, mirror);
	if (sig) {
		failure(t, false, "store to %s page at offset %#llx: signal %d at %p",
			m->shared ? "shared" : "private",
			(unsigned long long)(m->off + i * cfg.ps), sig,
			t->sig_addr);
		return;
	}
	if (!fresh)
		return;
	memset(t->mark, 0, cfg.wpp);
	for (k = 0; k < n; k++) {
		t->exp[t->widx[k]] = t->wval[k];
		t->mark[t->widx[k]] = 1;
	}
	cow_snapshot(t, m, i, true);
}

/* A page of @m that can be stored to: its owner's, or any if private. */
static bool storable(struct thr *t, struct smap *m, size_t i)
{
	if (!(m->prot[i] & PROT_WRITE) || beyond(m, i))
		return false;
	if (!m->shared)
		return true;
	return classify(t, m->res, m->off + i * cfg.ps).kind == PK_OWN;
}

static void op_store(struct thr *t)
{
	struct smap *m = pick_map(t);
	size_t i, j, start, done = 0;
	char *p;
	int sig;

	if (!m)
		return;
	start = below(t, m->npages);
	/* sometimes a store past the end: SIGBUS, nothing stored */
	if (chance(t, 10)) {
		for (j = 0; j < m->npages; j++) {
			i = (start + j) % m->npages;
			if (!(m->prot[i] & PROT_WRITE) || !beyond(m, i))
				continue;
			p = m->addr + i * cfg.ps;
			t->widx[0] = below(t, cfg.wpp);
			t->wval[0] = own_word(t);
			note(t, 1, (unsigned long)p, m->off + i * cfg.ps);
			sig = store_pairs(t, (__u64 *)p, 1, NULL);
			expect_sigbus(t, sig, p, "store");
			return;
		}
	}
	for (j = 0; j < m->npages && done < 2; j++) {
		i = (start + j) % m->npages;
		if (!storable(t, m, i))
			continue;
		note(t, m->shared ? 2 : 3, (unsigned long)m->addr,
		     m->off + i * cfg.ps);
		load_page(t, m, i);	/* what the stores replace */
		store_page(t, m, i);
		done++;
		if (chance(t, 50))
			break;
	}
}

static int pick_prot(struct thr *t)
{
	unsigned int r = below(t, 10);

	if (r == 0)
		return PROT_NONE;
	return r < 4 ? PROT_READ : PROT_READ | PROT_WRITE;
}

static void op_mmap(struct thr *t)
{
	struct smap *m = free_slot(t);
	bool shared, rofd, populate;
	__u64 first, n, k;
	int prot, flags;
	unsigned int v;
	char *p;

	if (!m)
		return;
	v = below(t, 100);
	if (v < 70) {
		if (chance(t, 60))
			first = cfg.region_first + t->owner * cfg.chunk +
				below(t, cfg.chunk);
		else
			first = cfg.region_first + below(t, cfg.region_pages);
		n = 1 + below(t, chance(t, 10) ? MAX_MAP_PAGES : 32);
	} else if (v < 85) {
		/* straddling the end of the data area */
		k = 1 + below(t, cfg.region_pages < 8 ? cfg.region_pages : 8);
		first = cfg.size_pages - k;
		n = k + 1 + below(t, 8);
	} else if (v < 93) {
		first = cfg.size_pages + below(t, 64);
		n = 1 + below(t, 8);
	} else {
		/* the last pages before the reserved window: still "past the end" */
		k = 1 + below(t, 8);
		first = FAULTDEMO_RESERVED_OFFSET / cfg.ps - k;
		n = 1 + below(t, k);
	}
	shared = chance(t, 60);
	rofd = chance(t, 15);
	populate = chance(t, 10);
	prot = pick_prot(t);
	flags = (shared ? MAP_SHARED : MAP_PRIVATE) | (populate ? MAP_POPULATE : 0);
	note(t, flags, first * cfg.ps, n << 8 | prot | rofd << 4);
	p = mmap(NULL, n * cfg.ps, prot, flags, rofd ? t->fd_ro : t->fd,
		 first * cfg.ps);
	if (!expect(t, "mmap of the data area", (long)p, errno,
		    shared && rofd && (prot & PROT_WRITE) ? ERRS(EACCES) : ERRS(0))) {
		if (p != MAP_FAILED)
			munmap(p, n * cfg.ps);
		return;
	}
	if (p == MAP_FAILED)
		return;
	map_set(m, p, n, first * cfg.ps, false, shared, rofd, prot);
	if (populate && !shared && (prot & PROT_WRITE))
		sync_cow(t, m, 0, n);
}

static void op_mmap_res(struct thr *t)
{
	struct smap *m = free_slot(t);
	bool shared, rofd;
	int prot, flags;
	__u64 rp, n;
	char *p;

	if (!m || !cfg.res_pages)
		return;
	rp = below(t, cfg.res_pages);
	n = 1 + below(t, min_sz(32, cfg.res_pages - rp));
	shared = chance(t, 85);
	rofd = chance(t, 15);
	prot = pick_prot(t);
	flags = (shared ? MAP_SHARED : MAP_PRIVATE) |
		(chance(t, 10) ? MAP_POPULATE : 0);
	note(t, flags, rp, n << 8 | prot | rofd << 4);
	p = mmap(NULL, n * cfg.ps, prot, flags, rofd ? t->fd_ro : t->fd,
		 FAULTDEMO_RESERVED_OFFSET + rp * cfg.ps);
	/* shared only (faultdemo(4)) */
	if (!expect(t, "mmap of the reserved window", (long)p, errno,
		    !shared ? ERRS(EINVAL) :
		    rofd && (prot & PROT_WRITE) ? ERRS(EACCES) : ERRS(0))) {
		if (p != MAP_FAILED)
			munmap(p, n * cfg.ps);
		return;
	}
	if (p != MAP_FAILED)
		map_set(m, p, n, FAULTDEMO_RESERVED_OFFSET + rp * cfg.ps, true,
			shared, rofd, prot);
}

/*
 * Did the mapping at [p, p + len) join a neighbouring vma? The kernel
 * merges a new file mapping into an adjacent one with contiguous offsets
 * and the same flags before the driver's ->mmap runs (faultdemo(4),
 * NOTES), so a data-area mapping that ends just below 1 TiB can grow past
 * it; the part past the data area is SIGBUS, never the window.
 */
static bool vma_merged(const char *p, size_t len)
{
	unsigned long a = (unsigned long)p, start, end;
	bool merged = false;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/maps", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &start, &end) != 2 ||
		    a < start || a >= end)
			continue;
		merged = start < a || end > a + len;
		break;
	}
	fclose(f);
	return merged;
}

/* Mappings that must fail. */
static void op_mmap_bad(struct thr *t)
{
	const __u64 res = FAULTDEMO_RESERVED_OFFSET;
	unsigned int v = below(t, 8);
	int e1 = EINVAL, e2 = -1;
	__u64 off, len, k;
	char *p;

	k = 1 + below(t, 4);
	switch (v) {
	case 0:		/* straddling the reserved offset */
		off = res - k * cfg.ps;
		len = (k + 1 + below(t, 4)) * cfg.ps;
		break;
	case 1:		/* running past the reserved window */
		if (cfg.res_pages > k)
			off = res + (cfg.res_pages - k) * cfg.ps;
		else
			off = res;
		len = (k + cfg.res_pages + below(t, 4)) * cfg.ps;
		break;
	case 2:		/* after the reserved window */
		off = res + cfg.res_size + below(t, 1 << 20) * cfg.ps;
		len = k * cfg.ps;
		break;
	case 3:		/* huge offsets */
		off = chance(t, 50) ? 1ULL << 62 : 0x7fffffffffffffffULL & ~(cfg.ps - 1);
		len = k * cfg.ps;
		e2 = EOVERFLOW;
		break;
	case 4:		/* negative offsets: pgoff + pages overflows */
		off = -(k * cfg.ps);
		len = (k + 1) * cfg.ps;
		e2 = EOVERFLOW;
		break;
	case 5:		/* unaligned */
		off = cfg.region_off + 1 + below(t, cfg.ps - 1);
		len = k * cfg.ps;
		break;
	case 6:
		off = cfg.region_off;
		len = 0;
		break;
	default:	/* longer than the address space */
		off = cfg.region_off;
		len = 1ULL << (48 + below(t, 14));
		e1 = ENOMEM;
		break;
	}
	note(t, v, off, len);
	p = mmap(NULL, len, PROT_READ, chance(t, 50) ? MAP_SHARED : MAP_PRIVATE,
		 t->fd, off);
	if (p != MAP_FAILED && v == 0 && vma_merged(p, len)) {
		munmap(p, len);
		return;
	}
	if (!expect(t, "invalid mmap", (long)p, errno, ERRS(e1, e2)) &&
	    p != MAP_FAILED)
		munmap(p, len);
}

static void op_munmap(struct thr *t)
{
	struct smap *m = pick_map(t);
	size_t a, b, n;
	unsigned int v;
	int ret;

	if (!m)
		return;
	n = m->npages;
	v = below(t, 10);
	if (v < 5 || n == 1) {
		a = 0;
		b = n;
	} else if (v < 7) {
		a = 0;
		b = 1 + below(t, n - 1);
	} else if (v < 9 || n < 3 || !free_slot(t)) {
		a = 1 + below(t, n - 1);
		b = n;
	} else {
		a = 1 + below(t, n - 2);
		b = a + 1 + below(t, n - 1 - a);
	}
	note(t, v, (unsigned long)m->addr + a * cfg.ps, (b - a) * cfg.ps);
	ret = munmap(m->addr + a * cfg.ps, (b - a) * cfg.ps);
	if (expect(t, "munmap", ret, errno, ERRS(0)) && !ret)
		map_cut(t, m, a, b);
}

static void op_mprotect(struct thr *t)
{
	struct smap *m = pick_map(t);
	size_t a, b;
	int prot, ret;

	if (!m)
		return;
	pick_range(t, m, 50, &a, &b);
	prot = pick_prot(t);
	note(t, prot, (unsigned long)m->addr + a * cfg.ps, (b - a) * cfg.ps);
	ret = mprotect(m->addr + a * cfg.ps, (b - a) * cfg.ps, prot);
	if (!expect(t, "mprotect", ret, errno,
		    m->shared && m->rofd && (prot & PROT_WRITE) ?
		    ERRS(EACCES) : ERRS(0)) || ret)
		return;
	memset(m->prot + a, prot, b - a);
	if (a != 0 || b != m->npages)
		m->split = true;
	/* vm_flags changed: vmas split at a and b (and merge back, unless VM_PFNMAP) */
	m->vstart[a] = 1;
	if (b < m->npages)
		m->vstart[b] = 1;
}

/* What MADV_POPULATE_(READ|WRITE) of pages [a, b) must return: 0 or -errno. */
static int populate_result(struct smap *m, size_t a, size_t b, bool write)
{
	size_t i;

	if (m->res)
		return -EINVAL;
	for (i = a; i < b; i++) {
		if (!(m->prot[i] & PROT_READ) ||
		    (write && !(m->prot[i] & PROT_WRITE)))
			return -EINVAL;
		if (beyond(m, i))
			return -EFAULT;
	}
	return 0;
}

static void op_madvise(struct thr *t)
{
	static const int advs[] = {
		MADV_DONTNEED, MADV_DONTNEED, MADV_WILLNEED, MADV_POPULATE_READ,
		MADV_POPULATE_WRITE, MADV_POPULATE_WRITE, MADV_COLD,
		MADV_PAGEOUT, MADV_FREE, MADV_REMOVE, MADV_WIPEONFORK,
		MADV_KEEPONFORK, MADV_RANDOM, MADV_SEQUENTIAL, MADV_NORMAL,
	};
	struct smap *m = pick_map(t);
	int adv, e, ret;
	size_t a, b;

	if (!m)
		return;
	adv = advs[below(t, ARRAY_SIZE(advs))];
	pick_range(t, m, adv == MADV_RANDOM || adv == MADV_SEQUENTIAL ||
		   adv == MADV_NORMAL ? 100 : 40, &a, &b);
	switch (adv) {
	case MADV_DONTNEED:
	case MADV_COLD:
	case MADV_PAGEOUT:
		e = m->res ? EINVAL : 0;	/* VM_PFNMAP */
		break;
	case MADV_FREE:
	case MADV_WIPEONFORK:
		e = EINVAL;
		break;
	case MADV_REMOVE:
		/* no fallocate on a character device */
		e = m->shared && !m->rofd ? ENODEV : EACCES;
		break;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		e = -populate_result(m, a, b, adv == MADV_POPULATE_WRITE);
		break;
	default:
		e = 0;
		break;
	}
	note(t, adv, (unsigned long)m->addr + a * cfg.ps, (b - a) * cfg.ps);
	ret = madvise(m->addr + a * cfg.ps, (b - a) * cfg.ps, adv);
	if (!expect(t, "madvise", ret, errno, ERRS(e)))
		return;
	if (adv == MADV_DONTNEED && !ret)
		free_priv(m, a, b);
	if (adv == MADV_POPULATE_WRITE)
		sync_cow(t, m, a, b);
}

static void op_mremap(struct thr *t)
{
	struct smap *m = pick_map(t);
	size_t n, nn, i;
	char *tgt = NULL, *p;
	unsigned int v;
	int flags = MREMAP_MAYMOVE, e1 = 0, e2 = -1, e3 = -1, err;

	if (!m)
		return;
	n = m->npages;
	v = below(t, 100);
	if (v < 25 && n > 1) {
		nn = 1 + below(t, n - 1);
		flags = chance(t, 50) ? MREMAP_MAYMOVE : 0;
	} else if (v < 45) {
		nn = n;
	} else {
		nn = n + 1 + below(t, 16);
		if (nn > MAX_MAP_PAGES)
			nn = n;
		if (chance(t, 25))
			flags = 0;
	}
	/*
	 * MREMAP_FIXED unmaps the target (and a shrunk tail) before it looks
	 * at the old vma: only for a mapping that is surely one vma, and a
	 * target that failed with EFAULT is gone, maybe reused by another
	 * thread already.
	 */
	if (nn == n && m->split)
		return;
	if (flags && !m->split && (nn == n || chance(t, 30))) {
		tgt = mmap(NULL, nn * cfg.ps, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (tgt == MAP_FAILED) {
			failure(t, false, "anonymous mmap: %s", strerror(errno));
			return;
		}
		flags |= MREMAP_FIXED;
	}
	/*
	 * Growing a reserved mapping: EFAULT (VM_DONTEXPAND). Moving or
	 * growing needs the old range in one vma, else EFAULT too.
	 */
	if (m->res && nn > n) {
		e1 = EFAULT;
	} else if (nn >= n || (flags & MREMAP_FIXED)) {
		if (!(flags & MREMAP_MAYMOVE))
			e2 = ENOMEM;
		if (m->split)
			*(e2 < 0 ? &e2 : &e3) = EFAULT;
	}
	note(t, flags, (unsigned long)m->addr, n << 16 | nn);
	p = mremap(m->addr, n * cfg.ps, nn * cfg.ps, flags, tgt);
	err = errno;
	if (!expect(t, "mremap", (long)p, err, ERRS(e1, e2, e3)) ||
	    p == MAP_FAILED) {
		if (tgt && p == MAP_FAILED && err != EFAULT)
			munmap(tgt, nn * cfg.ps);
		return;
	}
	if (nn < n) {
		free_priv(m, nn, n);
		m->npages = nn;
	} else if (!map_resize(m, nn)) {
		say("out of memory");
		_exit(1);
	}
	for (i = n; i < nn; i++)
		m->prot[i] = m->prot[0];
	m->addr = p;
}

/* --- operations: files ------------------------------------------------ */

/* A random byte range of the region, or of @t's own pages. */
static void region_range(struct thr *t, size_t maxlen, __u64 *off, size_t *len)
{
	__u64 span = cfg.region_pages * cfg.ps;

	if (chance(t, 30)) {
		*off = cfg.region_off +
		       ((__u64)t->owner * cfg.chunk * cfg.ps) +
		       below(t, cfg.chunk * cfg.ps);
	} else {
		*off = cfg.region_off + below(t, span);
	}
	*len = 1 + below(t, maxlen);
}

static void check_buf(struct thr *t, const char *how, const void *buf,
		      __u64 off, size_t len, long ret, int err)
{
	size_t want = off >= cfg.size ? 0 : min_sz(len, cfg.size - off);

	if (!expect(t, how, ret, err, ERRS(0)))
		return;
	if ((size_t)ret != want) {
		failure(t, true, "%s of %zu bytes at %#llx returned %ld, want %zu",
			how, len, (unsigned long long)off, ret, want);
		return;
	}
	check_dev(t, how, false, off, buf, ret);
}

static void check_read(struct thr *t, const char *how, __u64 off, size_t len,
		       long ret, int err)
{
	check_buf(t, how, t->buf, off, len, ret, err);
}

/*
 * Read what a write of the owner is about to replace: a corrupted word is
 * found even if nothing else reads it before it is overwritten.
 */
static void pre_check(struct thr *t, __u64 off, size_t len)
{
	long ret;

	if (off >= cfg.size)
		return;
	ret = pread(t->fd_ro, t->exp, len, off);
	check_buf(t, "pread before overwriting", t->exp, off, len, ret, errno);
}

static void op_pread(struct thr *t)
{
	struct iovec iov[3];
	size_t len, cut1, cut2;
	__u64 off;
	long ret;

	region_range(t, BUF_PAGES * cfg.ps, &off, &len);
	switch (below(t, 3)) {
	case 0:
		note(t, 0, off, len);
		ret = pread(t->fd, t->buf, len, off);
		check_read(t, "pread", off, len, ret, errno);
		break;
	case 1:
		note(t, 1, off, len);
		ret = pread(t->fd_ro, t->buf, len, off);
		check_read(t, "pread (O_RDONLY)", off, len, ret, errno);
		break;
	default:
		cut1 = below(t, len + 1);
		cut2 = cut1 + below(t, len - cut1 + 1);
		iov[0].iov_base = t->buf;
		iov[0].iov_len = cut1;
		iov[1].iov_base = (char *)t->buf + cut1;
		iov[1].iov_len = cut2 - cut1;
		iov[2].iov_base = (char *)t->buf + cut2;
		iov[2].iov_len = len - cut2;
		note(t, 2, off, len);
		ret = preadv(t->fd, iov, 3, off);
		check_read(t, "preadv", off, len, ret, errno);
		break;
	}
}

static void op_pwrite(struct thr *t)
{
	struct iovec iov[2];
	size_t len, cut, want;
	unsigned int v;
	__u64 off, last;
	long ret;

	own_range(t, BUF_PAGES * cfg.ps, &off, &len);
	last = cfg.region_off + (__u64)(t->owner + 1) * cfg.chunk * cfg.ps;
	/* the last owner's pages end the data area: a write across its end */
	if (last == cfg.size && chance(t, 10)) {
		off = cfg.size - 8 * (1 + below(t, min_sz(64, cfg.chunk * cfg.wpp)));
		len = cfg.size - off + 8 * (1 + below(t, 64));
	}
	want = min_sz(len, cfg.size - off);
	pre_check(t, off, len);
	fill_own(t, t->buf, len);
	v = below(t, 3);
	note(t, v, off, len);
	switch (v) {
	case 0:
		ret = pwrite(t->fd, t->buf, len, off);
		break;
	case 1:
		ret = pwrite(t->fd_sync, t->buf, len, off);
		break;
	default:
		cut = below(t, len + 1);
		iov[0].iov_base = t->buf;
		iov[0].iov_len = cut;
		iov[1].iov_base = (char *)t->buf + cut;
		iov[1].iov_len = len - cut;
		ret = pwritev(t->fd, iov, 2, off);
		break;
	}
	if (!expect(t, "pwrite", ret, errno, ERRS(0)))
		return;
	if ((size_t)ret != want) {
		failure(t, true, "pwrite of %zu bytes at %#llx returned %ld, want %zu",
			len, (unsigned long long)off, ret, want);
		if ((size_t)ret > want)
			return;
		want = ret;
	}
	model_write(t, false, off, t->buf, want);
}

/* read() and write() at the file position. */
static void op_rdwr(struct thr *t)
{
	size_t len;
	__u64 off;
	long ret;

	if (chance(t, 50)) {
		if (!t->pos_known || t->pos < cfg.region_off || chance(t, 20)) {
			region_range(t, 1, &off, &len);
			ret = lseek(t->fd, off, SEEK_SET);
			if (!expect(t, "lseek", ret, errno, ERRS(0)))
				return;
			t->pos = off;
			t->pos_known = true;
		}
		off = t->pos;
		len = 1 + below(t, 2 * cfg.ps);
		note(t, 0, off, len);
		ret = read(t->fd, t->buf, len);
		check_read(t, "read", off, len, ret, errno);
		if (ret > 0)
			t->pos += ret;
	} else {
		own_range(t, 2 * cfg.ps, &off, &len);
		pre_check(t, off, len);
		fill_own(t, t->buf, len);
		ret = lseek(t->fd, off, SEEK_SET);
		if (!expect(t, "lseek", ret, errno, ERRS(0)))
			return;
		note(t, 1, off, len);
		ret = write(t->fd, t->buf, len);
		if (!expect(t, "write", ret, errno, ERRS(0)))
			return;
		if ((size_t)ret != len)
			failure(t, true, "write of %zu bytes returned %ld", len, ret);
		if ((size_t)ret <= len)
			model_write(t, false, off, t->buf, ret);
		t->pos = off + ret;
		t->pos_known = true;
	}
	if (chance(t, 20)) {
		ret = lseek(t->fd, 0, SEEK_CUR);
		if (expect(t, "lseek", ret, errno, ERRS(0)) &&
		    (__u64)ret != t->pos)
			failure(t, true, "file position %ld, want %llu", ret,
				(unsigned long long)t->pos);
	}
}

/* An offset at or past the end of the data area. */
static __u64 past_end(struct thr *t)
{
	switch (below(t, 5)) {
	case 0:
		return cfg.size;
	case 1:
		return cfg.size + below(t, 1 << 20);
	case 2:
		return FAULTDEMO_RESERVED_OFFSET + below(t, cfg.res_size + 1);
	case 3:
		return FAULTDEMO_RESERVED_OFFSET - 1 - below(t, 1 << 20);
	default:
		return 1ULL << (41 + below(t, 20));
	}
}

/* Reads and writes at the edges, and with bad arguments. */
static void op_edge(struct thr *t)
{
	unsigned int v = below(t, 13);
	size_t len = 1 + below(t, 2 * cfg.ps);
	void *bad;
	__u64 off;
	long ret;
	int fd;

	bad = chance(t, 50) ? t->guard : NULL;
	note(t, v, 0, len);
	switch (v) {
	case 0:
		off = past_end(t);
		note(t, v, off, len);
		ret = pread(t->fd, t->buf, len, off);
		if (expect(t, "pread past the end", ret, errno, ERRS(0)) && ret)
			failure(t, true, "pread at %#llx returned %ld, want 0",
				(unsigned long long)off, ret);
		break;
	case 1:
		off = past_end(t);
		note(t, v, off, len);
		ret = pwrite(t->fd, t->buf, len, off);
		expect(t, "pwrite past the end", ret, errno, ERRS(ENOSPC));
		break;
	case 2:		/* reads across the end, any owner */
		off = cfg.size - 1 - below(t, min_sz(cfg.region_pages * cfg.ps, 3 * cfg.ps));
		note(t, v, off, len);
		ret = pread(t->fd, t->buf, len, off);
		check_read(t, "pread across the end", off, len, ret, errno);
		break;
	case 3:		/* negative offsets */
		off = -(1 + below(t, 1 << 20));
		ret = chance(t, 50) ? pread(t->fd, t->buf, len, off) :
		      pwrite(t->fd, t->buf, len, off);
		expect(t, "pread/pwrite at a negative offset", ret, errno,
		       ERRS(EINVAL));
		break;
	case 4:		/* offset + count overflows loff_t */
		off = 0x7fffffffffffffffULL - below(t, len);
		ret = chance(t, 50) ? pread(t->fd, t->buf, len, off) :
		      pwrite(t->fd, t->buf, len, off);
		expect(t, "pread/pwrite overflowing", ret, errno, ERRS(EINVAL));
		break;
	case 5:		/* O_APPEND: always at the end */
		ret = write(t->fd_app, t->buf, len);
		expect(t, "O_APPEND write", ret, errno, ERRS(ENOSPC));
		break;
	case 6:
		own_range(t, cfg.ps, &off, &len);
		ret = pwrite(t->fd_ro, t->buf, len, off);
		expect(t, "pwrite to an O_RDONLY file", ret, errno, ERRS(EBADF));
		break;
	case 7:		/* bad buffers: nothing is written */
		own_range(t, cfg.ps, &off, &len);
		ret = pwrite(t->fd, bad, len, off);
		expect(t, "pwrite from a bad buffer", ret, errno, ERRS(EFAULT));
		break;
	case 8:
		region_range(t, cfg.ps, &off, &len);
		ret = pread(t->fd, chance(t, 50) ? bad : t->rdonly, len, off);
		expect(t, "pread to a bad buffer", ret, errno, ERRS(EFAULT));
		break;
	case 9:
		fd = open(FDEMO_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
		if (!expect(t, "open O_DIRECT", fd, errno, ERRS(EINVAL)) && fd >= 0)
			close(fd);
		break;
	case 10:
		own_range(t, cfg.ps, &off, &len);
		ret = chance(t, 50) ? pwrite(t->fd, t->buf, 0, off) :
		      pread(t->fd, t->buf, 0, off);
		if (expect(t, "zero-length pread/pwrite", ret, errno, ERRS(0)) && ret)
			failure(t, true, "zero-length I/O returned %ld", ret);
		break;
	case 11:
		ret = munmap(t->guard + 1 + below(t, cfg.ps - 1), cfg.ps);
		expect(t, "unaligned munmap", ret, errno, ERRS(EINVAL));
		break;
	default:
		ret = munmap(t->maps[0].addr, 0);
		expect(t, "zero-length munmap", ret, errno, ERRS(EINVAL));
		break;
	}
}

/*
 * A page that write() may copy from: its content is known and is the
 * owner's words (a private copy may hold PRIV_TAG words, an unowned window
 * page zeroes: neither may reach the owner's pages).
 */
static bool copy_src(struct thr *t, struct smap *m, size_t i)
{
	if (!(m->prot[i] & PROT_READ) || beyond(m, i) || (m->priv && m->priv[i]))
		return false;
	return classify(t, m->res, m->off + i * cfg.ps).kind == PK_OWN;
}

/* Up to @max pages from @i that satisfy @ok; returns how many. */
static size_t run_of(struct thr *t, struct smap *m, size_t i, size_t max,
		     bool (*ok)(struct thr *, struct smap *, size_t))
{
	size_t n = 0;

	while (i + n < m->npages && n < max && ok(t, m, i + n))
		n++;
	return n;
}

/* A page that pread() may copy into: known content, writable. */
static bool copy_dst(struct thr *t, struct smap *m, size_t i)
{
	struct pinfo pi;

	if (!(m->prot[i] & PROT_WRITE) || beyond(m, i))
		return false;
	pi = classify(t, m->res, m->off + i * cfg.ps);
	if (m->shared)
		return pi.kind == PK_OWN;
	return m->priv[i] || exact(&pi);
}

static bool overlaps(__u64 a, size_t alen, __u64 b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The user copy of read() and write() faulting on the device's own pages. */
static void op_copy(struct thr *t)
{
	struct smap *m = pick_map(t);
	size_t i, n, in, len, k, pg, part;
	__u64 src, dst, fo;
	struct pinfo pi;
	char *p;
	long ret;

	if (!m)
		return;
	i = below(t, m->npages);
	if (chance(t, 50)) {
		/* pread() into the mapping */
		n = run_of(t, m, i, 3, copy_dst);
		if (!n)
			return;
		in = 8 * below(t, cfg.wpp);
		own_range(t, n * cfg.ps - in, &src, &len);
		fo = m->off + i * cfg.ps + in;
		if (m->shared && !m->res && overlaps(src, len, fo, len))
			return;
		p = m->addr + i * cfg.ps + in;
		model_read(t, false, src, t->exp, len);
		/* never-written (zero) words belong in the data area only */
		for (k = 0; k < len / 8 && m->res; k++)
			if (!(t->exp[k] >> TAG_SHIFT))
				return;
		note(t, 0, (unsigned long)p, src);
		for (k = i; k < i + n; k++)
			load_page(t, m, k);	/* what the copy replaces */
		ret = pread(t->fd, p, len, src);
		if (!expect(t, "pread into a mapping of the device", ret, errno,
			    ERRS(0)))
			return;
		if ((size_t)ret != len) {
			failure(t, true, "pread into a mapping: %ld of %zu bytes",
				ret, len);
			return;
		}
		/* the model: what the copy wrote, page by page */
		for (k = 0; k < len; k += part) {
			pg = i + (in + k) / cfg.ps;
			part = min_sz(len - k, cfg.ps - (in + k) % cfg.ps);
			if (m->shared) {
				model_write(t, m->res, m->off + pg * cfg.ps +
					    (in + k) % cfg.ps,
					    (char *)t->exp + k, part);
				continue;
			}
			if (!m->priv[pg]) {
				pi = classify(t, m->res, m->off + pg * cfg.ps);
				m->priv[pg] = malloc(cfg.ps);
				if (!m->priv[pg]) {
					say("out of memory");
					_exit(1);
				}
				memcpy(m->priv[pg], pi.shadow, cfg.ps);
				__atomic_add_fetch(&tot->cows, 1, __ATOMIC_RELAXED);
			}
			memcpy((char *)m->priv[pg] + (in + k) % cfg.ps,
			       (char *)t->exp + k, part);
		}
		return;
	}
	/* pwrite() from the mapping */
	n = run_of(t, m, i, 3, copy_src);
	if (!n)
		return;
	in = 8 * below(t, cfg.wpp);
	own_range(t, n * cfg.ps - in, &dst, &len);
	fo = m->off + i * cfg.ps + in;
	if (!m->res && overlaps(dst, len, fo, len))
		return;
	pre_check(t, dst, len);
	p = m->addr + i * cfg.ps + in;
	for (k = 0; k < len; k += part) {
		pg = i + (in + k) / cfg.ps;
		part = min_sz(len - k, cfg.ps - (in + k) % cfg.ps);
		model_read(t, m->res, m->off + pg * cfg.ps + (in + k) % cfg.ps,
			   (char *)t->exp + k, part);
	}
	note(t, 1, (unsigned long)p, dst);
	ret = pwrite(t->fd, p, len, dst);
	if (!expect(t, "pwrite from a mapping of the device", ret, errno,
		    ERRS(0)))
		return;
	if ((size_t)ret != len)
		failure(t, true, "pwrite from a mapping: %ld of %zu bytes", ret,
			len);
	if ((size_t)ret <= len)
		model_write(t, false, dst, t->exp, ret);
}

/* splice_read and splice_write, through a memfd. */
static void op_sendfile(struct thr *t)
{
	size_t len, want;
	off_t o;
	__u64 off;
	long ret;

	if (lseek(t->memfd, 0, SEEK_SET)) {
		failure(t, false, "lseek on a memfd: %s", strerror(errno));
		return;
	}
	if (chance(t, 50)) {
		if (chance(t, 10)) {
			off = past_end(t);
			len = 1 + below(t, cfg.ps);
		} else {
			region_range(t, BUF_PAGES * cfg.ps, &off, &len);
		}
		want = off >= cfg.size ? 0 : min_sz(len, cfg.size - off);
		o = off;
		note(t, 0, off, len);
		ret = sendfile(t->memfd, t->fd, &o, len);
		if (!expect(t, "sendfile from the device", ret, errno, ERRS(0)))
			return;
		if ((size_t)ret != want || (__u64)o != off + ret) {
			failure(t, true,
				"sendfile of %zu bytes at %#llx: %ld, offset %lld, want %zu",
				len, (unsigned long long)off, ret, (long long)o,
				want);
			return;
		}
		if (pread(t->memfd, t->buf, ret, 0) != ret) {
			failure(t, false, "pread of a memfd: %s", strerror(errno));
			return;
		}
		check_dev(t, "sendfile", false, off, t->buf, ret);
		return;
	}
	if (chance(t, 10)) {
		off = past_end(t);
		len = 1 + below(t, cfg.ps);
	} else {
		own_range(t, BUF_PAGES * cfg.ps, &off, &len);
		pre_check(t, off, len);
	}
	fill_own(t, t->buf, len);
	if (pwrite(t->memfd, t->buf, len, 0) != (ssize_t)len ||
	    lseek(t->fd, off, SEEK_SET) != (off_t)off) {
		failure(t, false, "preparing sendfile: %s", strerror(errno));
		return;
	}
	t->pos = off;
	t->pos_known = true;
	o = 0;
	note(t, 1, off, len);
	ret = sendfile(t->fd, t->memfd, &o, len);
	if (!expect(t, "sendfile to the device", ret, errno,
		    off >= cfg.size ? ERRS(ENOSPC) : ERRS(0)) || ret < 0)
		return;
	if (ret == 0 || (size_t)ret > len) {
		failure(t, true, "sendfile of %zu bytes to %#llx returned %ld",
			len, (unsigned long long)off, ret);
		return;
	}
	model_write(t, false, off, t->buf, ret);
	t->pos = off + ret;
}

static void op_lseek(struct thr *t)
{
	unsigned int v = below(t, 7);
	__s64 off = 0, want = 0;
	int whence = SEEK_SET, e = 0;
	long ret;

	switch (v) {
	case 0:
		off = chance(t, 50) ? (__s64)past_end(t) :
		      (__s64)(cfg.region_off + below(t, cfg.region_pages * cfg.ps));
		want = off;
		break;
	case 1:
		off = -(__s64)(1 + below(t, 1 << 20));
		e = EINVAL;
		break;
	case 2:
		whence = SEEK_END;
		off = (__s64)below(t, 2 * cfg.size) - (__s64)cfg.size - 1;
		want = cfg.size + off;
		if (want < 0)
			e = EINVAL;
		break;
	case 3:
		if (!t->pos_known)
			return;
		whence = SEEK_CUR;
		off = (__s64)below(t, 2 * cfg.ps) - (__s64)cfg.ps;
		want = t->pos + off;
		if (want < 0)
			e = EINVAL;
		break;
	case 4:
		whence = SEEK_DATA;
		off = chance(t, 70) ? (__s64)below(t, cfg.size) : (__s64)past_end(t);
		want = off;
		if ((__u64)off >= cfg.size)
			e = ENXIO;
		break;
	case 5:
		whence = SEEK_HOLE;
		off = chance(t, 70) ? (__s64)below(t, cfg.size) : (__s64)past_end(t);
		want = cfg.size;
		if ((__u64)off >= cfg.size)
			e = ENXIO;
		break;
	default:
		whence = 5 + below(t, 100);
		e = EINVAL;
		break;
	}
	note(t, whence, off, want);
	ret = lseek(t->fd, off, whence);
	if (!expect(t, "lseek", ret, errno, ERRS(e)) || ret < 0)
		return;
	if (ret != want)
		failure(t, true, "lseek(%lld, %d) returned %ld, want %lld",
			(long long)off, whence, ret, (long long)want);
	t->pos = ret;
	t->pos_known = true;
}

static void op_sync(struct thr *t)
{
	static const int flags[] = {
		MS_SYNC, MS_ASYNC, MS_SYNC | MS_INVALIDATE,
		MS_ASYNC | MS_INVALIDATE,
	};
	unsigned int v = below(t, 5);
	struct smap *m = pick_map(t);
	size_t a, b;
	int ret;

	note(t, v, 0, 0);
	switch (v) {
	case 0:
		ret = fsync(t->fd);
		expect(t, "fsync", ret, errno, ERRS(0));
		break;
	case 1:
		ret = fdatasync(t->fd_ro);
		expect(t, "fdatasync", ret, errno, ERRS(0));
		break;
	case 2:
	case 3:
		if (!m)
			return;
		pick_range(t, m, 50, &a, &b);
		note(t, v, (unsigned long)m->addr + a * cfg.ps, (b - a) * cfg.ps);
		ret = msync(m->addr + a * cfg.ps, (b - a) * cfg.ps,
			    flags[below(t, ARRAY_SIZE(flags))]);
		expect(t, "msync", ret, errno, ERRS(0));
		break;
	default:
		if (!m)
			return;
		if (chance(t, 50))
			ret = msync(m->addr, cfg.ps, MS_SYNC | MS_ASYNC);
		else
			ret = msync(m->addr + 1 + below(t, cfg.ps - 1), cfg.ps,
				    MS_SYNC);
		expect(t, "invalid msync", ret, errno, ERRS(EINVAL));
		break;
	}
}

/*
 * Most pages a CLEAN of [offset, offset + length) may report: it counts
 * every page of each folio it cleans (faultdemo(4)), so the range is
 * rounded out to the largest folio the store may hold.
 */
static __u64 clean_bound(__u64 offset, __u64 length)
{
	__u64 span = 1ULL << cfg.g.folio_order;
	__u64 first = offset / cfg.ps;
	__u64 end = length ? (offset + length) / cfg.ps : cfg.size_pages;

	first -= first % span;
	end = (end + span - 1) / span * span;
	return (end < cfg.size_pages ? end : cfg.size_pages) - first;
}

static void op_ioctl(struct thr *t)
{
	static const unsigned long unknown[] = {
		_IO(FAULTDEMO_IOC_MAGIC, 0),
		_IO(FAULTDEMO_IOC_MAGIC, 1),
		_IOR(FAULTDEMO_IOC_MAGIC, 0x01, __u32),
		_IOW(FAULTDEMO_IOC_MAGIC, 0x01, struct faultdemo_geometry),
		_IOR(FAULTDEMO_IOC_MAGIC, 0x02, struct faultdemo_clean),
		_IOWR(FAULTDEMO_IOC_MAGIC, 0x03, struct faultdemo_clean),
		_IOR('x', 1, int),
	};
	unsigned int v = below(t, 8);
	struct faultdemo_geometry g;
	struct faultdemo_clean c;
	unsigned long cmd;
	__u64 pages;
	void *arg;
	int ret;

	note(t, v, 0, 0);
	switch (v) {
	case 0:
		memset(&g, 0xa5, sizeof(g));
		ret = ioctl(chance(t, 50) ? t->fd : t->fd_ro,
			    FAULTDEMO_IOC_GET_GEOMETRY, &g);
		if (!expect(t, "GET_GEOMETRY", ret, errno, ERRS(0)))
			break;
		/* readahead and fault_around may be changing meanwhile */
		if (g.size != cfg.g.size || g.reserved_size != cfg.g.reserved_size ||
		    g.reserved_offset != cfg.g.reserved_offset ||
		    g.page_size != cfg.g.page_size || g.readahead > 1024 ||
		    g.fault_around > 1 || g.folio_order != cfg.g.folio_order)
			failure(t, true,
				"geometry: size %llu reserved %llu at %#llx page %u ra %u fa %u order %u",
				(unsigned long long)g.size,
				(unsigned long long)g.reserved_size,
				(unsigned long long)g.reserved_offset,
				g.page_size, g.readahead, g.fault_around,
				g.folio_order);
		break;
	case 1:
		arg = chance(t, 33) ? NULL : chance(t, 50) ? t->guard : t->rdonly;
		ret = ioctl(t->fd, FAULTDEMO_IOC_GET_GEOMETRY, arg);
		expect(t, "GET_GEOMETRY to a bad pointer", ret, errno,
		       ERRS(EFAULT));
		break;
	case 2:
	case 3:
		/* anywhere in the data area, the others' pages too */
		c.offset = below(t, cfg.size_pages) * cfg.ps;
		c.length = chance(t, 10) ? 0 :
			   (1 + below(t, min_sz(256, cfg.size_pages - c.offset / cfg.ps))) *
			   cfg.ps;
		c.cleaned = ~0ULL;
		pages = clean_bound(c.offset, c.length);
		note(t, v, c.offset, c.length);
		if (chance(t, 10)) {
			/* a reader may not write-protect the writers' mappings */
			ret = ioctl(t->fd_ro, FAULTDEMO_IOC_CLEAN, &c);
			expect(t, "CLEAN through O_RDONLY", ret, errno, ERRS(EBADF));
			break;
		}
		ret = ioctl(t->fd, FAULTDEMO_IOC_CLEAN, &c);
		if (expect(t, "CLEAN", ret, errno, ERRS(0)) && c.cleaned > pages)
			failure(t, true, "CLEAN of %llu pages cleaned %llu",
				(unsigned long long)pages,
				(unsigned long long)c.cleaned);
		break;
	case 4:
		switch (below(t, 5)) {
		case 0:
			c.offset = 1 + below(t, cfg.ps - 1);
			c.length = cfg.ps;
			break;
		case 1:
			c.offset = 0;
			c.length = 1 + below(t, cfg.ps - 1);
			break;
		case 2:
			c.offset = cfg.size + below(t, 1024) * cfg.ps;
			c.length = chance(t, 50) ? 0 : cfg.ps;
			break;
		case 3:
			c.offset = cfg.size - cfg.ps;
			c.length = (2 + below(t, 16)) * cfg.ps;
			break;
		default:
			c.offset = cfg.ps * below(t, cfg.size_pages);
			c.length = -(__u64)cfg.ps * (1 + below(t, 4));
			break;
		}
		note(t, v, c.offset, c.length);
		ret = ioctl(t->fd, FAULTDEMO_IOC_CLEAN, &c);
		expect(t, "invalid CLEAN", ret, errno, ERRS(EINVAL));
		break;
	case 5:
		/* a read-only argument: the range is cleaned, then EFAULT */
		arg = chance(t, 33) ? NULL : chance(t, 50) ? t->guard : t->rdonly;
		ret = ioctl(t->fd, FAULTDEMO_IOC_CLEAN, arg);
		expect(t, "CLEAN with a bad pointer", ret, errno, ERRS(EFAULT));
		break;
	default:
		if (chance(t, 50))
			cmd = unknown[below(t, ARRAY_SIZE(unknown))];
		else
			cmd = _IOC(below(t, 4), FAULTDEMO_IOC_MAGIC,
				   3 + below(t, 253), below(t, 64));
		note(t, v, cmd, 0);
		ret = ioctl(t->fd, cmd, t->buf);
		expect(t, "unknown ioctl", ret, errno, ERRS(ENOTTY));
		break;
	}
}

static void run_ops(struct thr *t, __u64 n);

/* Check up to @k pages of every mapping. */
static void verify_maps(struct thr *t, unsigned int k)
{
	unsigned int i, j;
	struct smap *m;
	size_t pg;

	for (i = 0; i < MAX_MAPS; i++) {
		m = &t->maps[i];
		for (j = 0; m->addr && j < k; j++) {
			pg = below(t, m->npages);
			if (m->prot[pg] & PROT_READ)
				load_page(t, m, pg);
		}
	}
}

/*
 * A child: sees the same pages (the private copies are its own now), runs
 * a few operations of its own, exits. Its shared stores land in the shared
 * shadow while this thread waits for it.
 */
static void op_fork(struct thr *t)
{
	__u64 seed = rnd(t), ops0;
	int status, ret;
	pid_t pid;

	if (t->child || t->idx)
		return;
	note(t, 0, 0, 0);
	pid = fork();
	if (!expect(t, "fork", pid, errno, ERRS(0)) || pid < 0)
		return;
	if (!pid) {
		t->child = true;
		t->seed = seed;
		ops0 = t->ops;
		alarm(60);
		verify_maps(t, 3);
		run_ops(t, 4 + below(t, 20));
		verify_maps(t, 3);
		__atomic_add_fetch(&tot->ops, t->ops - ops0, __ATOMIC_RELAXED);
		_exit(0);
	}
	note(t, 0, pid, 0);
	do {
		ret = waitpid(pid, &status, 0);
	} while (ret < 0 && errno == EINTR);
	if (ret != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		failure(t, false, "fork child %d: status %#x", pid, status);
	__atomic_add_fetch(&tot->forks, 1, __ATOMIC_RELAXED);
	t->pos_known = false;
	t->ctr += 1ULL << 32;
}

static bool time_up(void)
{
	struct timespec now;

	if (__atomic_load_n(&tot->stop, __ATOMIC_RELAXED))
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > cfg.deadline.tv_sec ||
	       (now.tv_sec == cfg.deadline.tv_sec &&
		now.tv_nsec >= cfg.deadline.tv_nsec);
}

static enum op pick_op(struct thr *t)
{
	unsigned int r = below(t, 1000), i;

	for (i = 0; i < NR_OPS - 1; i++) {
		if (r < op_table[i].weight)
			return i;
		r -= op_table[i].weight;
	}
	return NR_OPS - 1;
}

static void (*const op_fn[NR_OPS])(struct thr *t) = {
	[OP_LOAD]	= op_load,
	[OP_STORE]	= op_store,
	[OP_PREAD]	= op_pread,
	[OP_PWRITE]	= op_pwrite,
	[OP_RDWR]	= op_rdwr,
	[OP_EDGE]	= op_edge,
	[OP_COPY]	= op_copy,
	[OP_SENDFILE]	= op_sendfile,
	[OP_MMAP]	= op_mmap,
	[OP_MMAP_RES]	= op_mmap_res,
	[OP_MMAP_BAD]	= op_mmap_bad,
	[OP_MUNMAP]	= op_munmap,
	[OP_MPROTECT]	= op_mprotect,
	[OP_MADVISE]	= op_madvise,
	[OP_MREMAP]	= op_mremap,
	[OP_LSEEK]	= op_lseek,
	[OP_SYNC]	= op_sync,
	[OP_IOCTL]	= op_ioctl,
	[OP_FORK]	= op_fork,
};

static void run_ops(struct thr *t, __u64 n)
{
	enum op op;
	__u64 k;

	for (k = 0; k < n; k++) {
		if (!(k & 7) && time_up())
			break;
		/*
		 * Each operation draws from its own stream: the sequence of
		 * operations and their arguments depends on the seed only,
		 * not on what earlier ones returned.
		 */
		t->rng = t->seed ^ (t->ops * 0xd1b54a32d192ed03ULL);
		splitmix64(&t->rng);
		op = pick_op(t);
		t->ops++;
		t->by_op[op]++;
		t->ring[t->nring++ % RING] = (struct ring_ent){ .op = op };
		op_fn[op](t);
	}
}

/* --- workers ---------------------------------------------------------- */

static void *thread_main(void *arg)
{
	struct thr *t = arg;
	size_t bufsz = BUF_PAGES * cfg.ps;
	unsigned int i;
	int ret;

	cur_thr = t;
	t->fd = fdemo_open(O_RDWR);
	t->fd_ro = fdemo_open(O_RDONLY);
	t->fd_app = fdemo_open(O_RDWR | O_APPEND);
	t->fd_sync = fdemo_open(O_RDWR | O_SYNC);
	t->memfd = memfd_create("faultdemo-stress", MFD_CLOEXEC);
	t->guard = mmap(NULL, 2 * cfg.ps, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	t->buf = malloc(bufsz);
	t->exp = malloc(bufsz);
	t->snap = malloc(cfg.ps);
	t->widx = calloc(cfg.wpp, sizeof(*t->widx));
	t->wval = calloc(cfg.wpp, sizeof(*t->wval));
	t->mark = calloc(cfg.wpp, 1);
	if (t->fd < 0 || t->fd_ro < 0 || t->fd_app < 0 || t->fd_sync < 0 ||
	    t->memfd < 0 || t->guard == MAP_FAILED || !t->buf || !t->exp ||
	    !t->snap || !t->widx || !t->wval || !t->mark) {
		failure(t, false, "thread setup failed");
		return NULL;
	}
	t->rdonly = t->guard + cfg.ps;
	if (mprotect(t->guard, cfg.ps, PROT_NONE) ||
	    mprotect(t->rdonly, cfg.ps, PROT_READ)) {
		failure(t, false, "mprotect: %s", strerror(errno));
		return NULL;
	}

	run_ops(t, cfg.max_ops);

	for (i = 0; i < MAX_MAPS; i++) {
		if (!t->maps[i].addr)
			continue;
		ret = munmap(t->maps[i].addr, t->maps[i].npages * cfg.ps);
		expect(t, "munmap", ret, errno, ERRS(0));
		map_forget(&t->maps[i]);
	}
	__atomic_add_fetch(&tot->ops, t->ops, __ATOMIC_RELAXED);
	for (i = 0; i < NR_OPS; i++)
		__atomic_add_fetch(&tot->by_op[i], t->by_op[i], __ATOMIC_RELAXED);
	close(t->fd);
	close(t->fd_ro);
	close(t->fd_app);
	close(t->fd_sync);
	close(t->memfd);
	return NULL;
}

static void worker(unsigned int proc)
{
	struct sigaction sa;
	struct thr *thr;
	unsigned int i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) || sigaction(SIGSEGV, &sa, NULL))
		_exit(1);
	thr = calloc(cfg.nthreads, sizeof(*thr));
	if (!thr)
		_exit(1);
	for (i = 0; i < cfg.nthreads; i++) {
		thr[i].proc = proc;
		thr[i].idx = i;
		thr[i].owner = proc * cfg.nthreads + i;
		thr[i].seed = cfg.seed ^ (0x1000193ULL * (proc + 1)) ^
			      (0x9e3779b97f4a7c15ULL * (i + 1));
		thr[i].seed = splitmix64(&thr[i].seed);
		thr[i].ctr = (__u64)thr[i].owner << 40;
		if (pthread_create(&thr[i].tid, NULL, thread_main, &thr[i])) {
			say("pthread_create failed");
			_exit(1);
		}
	}
	for (i = 0; i < cfg.nthreads; i++)
		pthread_join(thr[i].tid, NULL);
	_exit(0);
}

/* --- the test --------------------------------------------------------- */

static __u64 env_u64(const char *name, __u64 def, __u64 lo, __u64 hi)
{
	const char *s = getenv(name);
	__u64 v;

	if (!s || !*s)
		return def;
	if (fdemo_parse_u64(s, &v) || v < lo || v > hi) {
		ksft_print_msg("%s=%s: not a number in [%llu, %llu], using %llu\n",
			       name, s, (unsigned long long)lo,
			       (unsigned long long)hi, (unsigned long long)def);
		return def;
	}
	return v;
}

/* Initial contents of a page owned by @owner (tag 0: unowned, zeroes). */
static void init_page(__u64 *page, __u64 pgidx, int tag)
{
	size_t w;

	for (w = 0; w < cfg.wpp; w++)
		page[w] = tag ? ((__u64)tag << TAG_SHIFT) |
			  ((pgidx * cfg.wpp + w) & LOW_MASK) : 0;
}

static void dump_stacks(pid_t pid)
{
	char path[320], buf[2048];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid,
			 de->d_name);
		if (!fdemo_read_file(path, buf, sizeof(buf)))
			ksft_print_msg("task %s of %d:\n%s\n", de->d_name, pid, buf);
	}
	closedir(d);
}

static pid_t start_stress_ng(unsigned int seconds)
{
	const char *s = getenv("FAULTDEMO_STRESS_NG");
	const char *bytes = getenv("FAULTDEMO_STRESS_NG_BYTES");
	char tmo[32];
	pid_t pid;

	if (!s || strcmp(s, "1"))
		return 0;
	if (system("command -v stress-ng >/dev/null 2>&1")) {
		ksft_print_msg("stress-ng not found: no memory pressure\n");
		return 0;
	}
	snprintf(tmo, sizeof(tmo), "%us", seconds);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		execlp("stress-ng", "stress-ng", "--vm", "1", "--vm-bytes",
		       bytes && *bytes ? bytes : "64M",
		       "--page-in", "--mmap", "1", "--mmap-bytes", "16M",
		       "--timeout", tmo, "--quiet", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		ksft_print_msg("stress-ng running as %d\n", pid);
	return pid > 0 ? pid : 0;
}

static void stop_stress_ng(pid_t pid)
{
	int i, status;

	if (!pid)
		return;
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			ksft_print_msg("stress-ng exited with %#x\n", status);
			return;
		}
		if (i == 50)
			kill(-pid, SIGTERM);
		usleep(100 * 1000);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, &status, 0);
}

FIXTURE(stress)
{
	int fd;
	size_t ps;
	struct faultdemo_geometry g;
};

FIXTURE_SETUP(stress)
{
	int ret;

	ret = fdemo_set_defaults();
	ASSERT_EQ(0, ret) TH_LOG("module not usable: %s", strerror(-ret));
	self->ps = fdemo_page_size();
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(-self->fd));
	ASSERT_EQ(0, fdemo_geometry(self->fd, &self->g));
}

FIXTURE_TEARDOWN(stress)
{
	fdemo_set_defaults();
	close(self->fd);
}

/* Set up the configuration, the shared model and the device's contents. */
static bool prepare(struct __test_metadata *_metadata, int fd,
		    const struct faultdemo_geometry *g)
{
	__u64 mb, pages, i, res;
	long cached;
	char *win;
	size_t len;
	int tag;

	cfg.g = *g;
	cfg.ps = g->page_size;
	cfg.wpp = cfg.ps / 8;
	cfg.size = g->size;
	cfg.size_pages = g->size / cfg.ps;
	cfg.seed = env_u64("FAULTDEMO_STRESS_SEED", fdemo_seed(), 0, ~0ULL);
	ksft_print_msg("seed: %llu\n", (unsigned long long)cfg.seed);
	cfg.seconds = env_u64("FAULTDEMO_STRESS_SECONDS", DEF_SECONDS, 1,
			      MAX_SECONDS);
	cfg.max_ops = env_u64("FAULTDEMO_STRESS_OPS", DEF_OPS, 1, ~0ULL);
	cfg.min_ops = env_u64("FAULTDEMO_STRESS_MIN_OPS", 1, 1, ~0ULL);
	cfg.nprocs = env_u64("FAULTDEMO_STRESS_PROCS", DEF_PROCS, 1, MAX_WORKERS);
	cfg.nthreads = env_u64("FAULTDEMO_STRESS_THREADS", DEF_THREADS, 1,
			       MAX_WORKERS);
	cfg.nowners = cfg.nprocs * cfg.nthreads;
	mb = env_u64("FAULTDEMO_STRESS_MB", DEF_REGION_MB, 1, 1024);

	pages = (mb << 20) / cfg.ps;
	if (pages > cfg.size_pages)
		pages = cfg.size_pages;
	cfg.chunk = pages / cfg.nowners;
	if (cfg.chunk < 2)
		SKIP(return false, "data area too small for %u owners", cfg.nowners);
	cfg.region_pages = cfg.chunk * cfg.nowners;
	cfg.region_first = cfg.size_pages - cfg.region_pages;
	cfg.region_off = cfg.region_first * cfg.ps;
	cfg.res_size = g->reserved_size;
	cfg.res_pages = g->reserved_size / cfg.ps;
	cfg.rchunk = cfg.res_pages / cfg.nowners;

	tot = mmap(NULL, sizeof(*tot), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, tot);
	memset(tot, 0, sizeof(*tot));
	dshadow = mmap(NULL, cfg.region_pages * cfg.ps, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dshadow);
	if (cfg.res_pages) {
		rshadow = mmap(NULL, cfg.res_size, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(MAP_FAILED, rshadow);
	}

	/*
	 * A cold region (never touched since the load) reads as zeroes and
	 * goes through .fault's allocation and read-ahead; otherwise give
	 * every page its owner's words.
	 */
	cached = fdemo_cached_in(cfg.region_first, cfg.region_pages);
	ASSERT_LE(0, cached);
	cfg.zero_ok = cached == 0;
	if (!cfg.zero_ok) {
		for (i = 0; i < cfg.region_pages; i++) {
			__u64 *page = dshadow + i * cfg.wpp;

			init_page(page, i, i / cfg.chunk + 1);
			ASSERT_EQ((ssize_t)cfg.ps,
				  pwrite(fd, page, cfg.ps, (cfg.region_first + i) * cfg.ps));
		}
	}
	if (cfg.res_pages) {
		res = FAULTDEMO_RESERVED_OFFSET;
		win = mmap(NULL, cfg.res_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			   fd, res);
		ASSERT_NE(MAP_FAILED, win);
		for (i = 0; i < cfg.res_pages; i++) {
			tag = cfg.rchunk && i / cfg.rchunk < cfg.nowners ?
			      i / cfg.rchunk + 1 : 0;
			init_page(rshadow + i * cfg.wpp, i, tag);
		}
		memcpy(win, rshadow, cfg.res_size);
		munmap(win, cfg.res_size);
	}
	len = cfg.region_pages * cfg.ps;
	ksft_print_msg("config: %u processes x %u threads, %u s, %llu ops per thread\n",
		       cfg.nprocs, cfg.nthreads, cfg.seconds,
		       (unsigned long long)cfg.max_ops);
	ksft_print_msg("region: %zu KiB at %#llx (%s), window %llu KiB\n",
		       len >> 10, (unsigned long long)cfg.region_off,
		       cfg.zero_ok ? "cold" : "initialised",
		       (unsigned long long)cfg.res_size >> 10);
	return true;
}

/*
 * After the run: every page through pread() and a fresh mapping, a page
 * at a time, so that the check needs no memory of the region's size (it
 * may run in a memory cgroup smaller than that).
 */
static void final_check(struct __test_metadata *_metadata, int fd)
{
	size_t len = cfg.region_pages * cfg.ps;
	__u64 bad = 0, i;
	char *buf, *map;

	buf = malloc(cfg.ps);
	ASSERT_NE(NULL, buf);
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, cfg.region_off);
	ASSERT_NE(MAP_FAILED, map);
	for (i = 0; i < cfg.region_pages; i++) {
		char *want = (char *)(dshadow + i * cfg.wpp);

		ASSERT_EQ((ssize_t)cfg.ps,
			  pread(fd, buf, cfg.ps, cfg.region_off + i * cfg.ps));
		if (!memcmp(buf, want, cfg.ps) &&
		    !memcmp(map + i * cfg.ps, want, cfg.ps))
			continue;
		if (bad++ < 10)
			ksft_print_msg("final: data page %#llx (owner %llu) is not the model's\n",
				       (unsigned long long)(cfg.region_first + i),
				       (unsigned long long)(i / cfg.chunk));
	}
	munmap(map, len);
	free(buf);
	if (cfg.res_pages) {
		map = mmap(NULL, cfg.res_size, PROT_READ, MAP_SHARED, fd,
			   FAULTDEMO_RESERVED_OFFSET);
		ASSERT_NE(MAP_FAILED, map);
		for (i = 0; i < cfg.res_pages; i++) {
			if (!memcmp(map + i * cfg.ps, rshadow + i * cfg.wpp, cfg.ps))
				continue;
			if (bad++ < 10)
				ksft_print_msg("final: window page %llu differs from the model\n",
					       (unsigned long long)i);
		}
		munmap(map, cfg.res_size);
	}
	tot->mismatches += bad;
}

TEST_F_TIMEOUT(stress, random_ops, 360)
{
	static const char * const ra[] = { "0", "1", "15", "64" };
	struct timespec start, now, last_param;
	pid_t pids[MAX_WORKERS], ng;
	struct fdemo_stats s0, s1, d;
	unsigned int i, alive, hung = 0;
	__u64 prng, elapsed_ms;
	char line[512];
	int status;
	bool params;

	if (!prepare(_metadata, self->fd, &self->g))
		return;
	params = env_u64("FAULTDEMO_STRESS_PARAMS", 1, 0, 1);
	prng = cfg.seed;
	ASSERT_EQ(0, fdemo_stats(&s0));
	ng = start_stress_ng(cfg.seconds);

	clock_gettime(CLOCK_MONOTONIC, &start);
	cfg.deadline = start;
	cfg.deadline.tv_sec += cfg.seconds;
	last_param = start;
	fflush(NULL);
	for (i = 0; i < cfg.nprocs; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i])
			worker(i);
	}

	/* Wait, flipping the runtime parameters under the workers' feet. */
	for (;;) {
		for (i = 0, alive = 0; i < cfg.nprocs; i++) {
			if (!pids[i])
				continue;
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (!WIFEXITED(status) || WEXITSTATUS(status)) {
					ksft_print_msg("worker %u: status %#x\n", i, status);
					__atomic_add_fetch(&tot->unexpected, 1,
							   __ATOMIC_RELAXED);
				}
				pids[i] = 0;
				continue;
			}
			alive++;
		}
		if (!alive)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > cfg.deadline.tv_sec + GRACE_SECONDS) {
			hung = alive;
			break;
		}
		if (params && now.tv_sec < cfg.deadline.tv_sec &&
		    (now.tv_sec - last_param.tv_sec) * 1000 +
		    (now.tv_nsec - last_param.tv_nsec) / 1000000 >= 500) {
			last_param = now;
			fdemo_param_set("fault_around",
					splitmix64(&prng) & 1 ? "1" : "0");
			fdemo_param_set("readahead", ra[splitmix64(&prng) % 4]);
		}
		usleep(50 * 1000);
	}
	if (hung) {
		ksft_print_msg("%u workers still running %d s after the deadline: hung?\n",
			       hung, GRACE_SECONDS);
		tot->unexpected++;
		for (i = 0; i < cfg.nprocs; i++) {
			if (!pids[i])
				continue;
			dump_stacks(pids[i]);
			kill(pids[i], SIGKILL);
		}
		for (i = 0; i < cfg.nprocs; i++)
			if (pids[i])
				waitpid(pids[i], &status, 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
		     (now.tv_nsec - start.tv_nsec) / 1000000;
	stop_stress_ng(ng);
	ASSERT_EQ(0, fdemo_set_defaults());

	final_check(_metadata, self->fd);
	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &s0, &d);
	fdemo_stats_print("delta", &d);

	line[0] = '\0';
	for (i = 0; i < NR_OPS; i++)
		snprintf(line + strlen(line), sizeof(line) - strlen(line), " %s=%llu",
			 op_table[i].name, (unsigned long long)tot->by_op[i]);
	ksft_print_msg("by operation:%s\n", line);
	ksft_print_msg("sigbus: %llu, private copies: %llu, forks: %llu\n",
		       (unsigned long long)tot->sigbus,
		       (unsigned long long)tot->cows,
		       (unsigned long long)tot->forks);
	ksft_print_msg("ops: %llu\n", (unsigned long long)tot->ops);
	ksft_print_msg("seed: %llu\n", (unsigned long long)cfg.seed);
	ksft_print_msg("mismatches: %llu\n", (unsigned long long)tot->mismatches);
	ksft_print_msg("unexpected_errors: %llu\n",
		       (unsigned long long)tot->unexpected);
	ksft_print_msg("elapsed: %llu.%llus\n",
		       (unsigned long long)elapsed_ms / 1000,
		       (unsigned long long)elapsed_ms % 1000 / 100);

	EXPECT_LE(cfg.min_ops, tot->ops)
		TH_LOG("%llu operations, fewer than FAULTDEMO_STRESS_MIN_OPS=%llu",
		       (unsigned long long)tot->ops, (unsigned long long)cfg.min_ops);
	EXPECT_EQ(0, tot->mismatches)
		TH_LOG("replay with FAULTDEMO_STRESS_SEED=%llu",
		       (unsigned long long)cfg.seed);
	EXPECT_EQ(0, tot->unexpected)
		TH_LOG("replay with FAULTDEMO_STRESS_SEED=%llu",
		       (unsigned long long)cfg.seed);
	/* every SIGBUS seen was a fault past the end, counted by the module */
	EXPECT_LE(tot->sigbus, d.sigbus);
	munmap(dshadow, cfg.region_pages * cfg.ps);
	if (rshadow)
		munmap(rshadow, cfg.res_size);
	munmap(tot, sizeof(*tot));
}

TEST_HARNESS_MAIN

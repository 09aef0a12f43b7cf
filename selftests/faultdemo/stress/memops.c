// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo_stress: the memory operations. Loads and stores through the
 * device's mappings, guarded so that a signal ends the access instead of
 * the process, the mmap variants, munmap, mprotect, madvise, mremap and
 * fork.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "stress.h"

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

#define MAX_MAP_PAGES		128
#define CHILD_EXIT_SIGNAL	111

__thread struct thr *cur_thr;

/* --- guarded accesses --------------------------------------------------- */

void on_signal(int sig, siginfo_t *si, void *uc)
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

/* --- pages of a mapping ----------------------------------------------- */

/* Random sub-range [*a, *b) of @m, the whole of it with @whole_pct. */
void pick_range(struct thr *t, struct smap *m, unsigned int whole_pct,
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
void load_page(struct thr *t, struct smap *m, size_t i)
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

void op_load(struct thr *t)
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

void op_store(struct thr *t)
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

void op_mmap(struct thr *t)
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

/*
 * Does one of this thread's data-area mappings end right below [p, p + len)
 * at offset @off, or start right above it, with contiguous offsets? Only
 * those can have taken it in: other threads map other struct files.
 */
static bool data_neighbour(struct thr *t, const char *p, size_t len, __u64 off)
{
	const struct smap *m;
	size_t i, mlen;

	for (i = 0; i < MAX_MAPS; i++) {
		m = &t->maps[i];
		if (!m->addr || m->res)
			continue;
		mlen = m->npages * cfg.ps;
		if ((m->addr + mlen == p && m->off + mlen == off) ||
		    (m->addr == p + len && m->off == off + len))
			return true;
	}
	return false;
}

void op_mmap_res(struct thr *t)
{
	struct smap *m = free_slot(t);
	bool shared, rofd;
	int prot, flags, err;
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
	err = errno;
	/*
	 * Directly after a data-area mapping that ends at 1 TiB, or grew past
	 * it by mremap, and whose offsets go on into ours: the kernel made it
	 * part of that one, never calling ->mmap. It is then the data area
	 * past its end: SIGBUS, even for a MAP_PRIVATE one.
	 */
	if (p != MAP_FAILED &&
	    data_neighbour(t, p, n * cfg.ps, FAULTDEMO_RESERVED_OFFSET + rp * cfg.ps) &&
	    vma_merged(p, n * cfg.ps)) {
		if (prot & PROT_READ)
			expect_sigbus(t, load_words(t, t->buf, (__u64 *)p, 1), p,
				      "load from a window mapping merged into the data area");
		munmap(p, n * cfg.ps);
		return;
	}
	/* shared only (faultdemo(4)) */
	if (!expect(t, "mmap of the reserved window", (long)p, err,
		    !shared ? ERRS(EINVAL) :
		    rofd && (prot & PROT_WRITE) ? ERRS(EACCES) : ERRS(0))) {
		if (p != MAP_FAILED)
			munmap(p, n * cfg.ps);
		return;
	}
	if (p == MAP_FAILED)
		return;
	map_set(m, p, n, FAULTDEMO_RESERVED_OFFSET + rp * cfg.ps, true,
		shared, rofd, prot);
}

/* Mappings that must fail. */
void op_mmap_bad(struct thr *t)
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

void op_munmap(struct thr *t)
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

void op_mprotect(struct thr *t)
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

void op_madvise(struct thr *t)
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

void op_mremap(struct thr *t)
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

/* --- fork ------------------------------------------------------------- */

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
void op_fork(struct thr *t)
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

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo_stress: the shadow model (what every page of the region and of
 * the reserved window must hold, whose tag each word carries) and the
 * model of each thread's mappings, with the private copies of their
 * MAP_PRIVATE pages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stress.h"

__u64 *dshadow;
__u64 *rshadow;

/* What the device page at file offset @off must hold for thread @t. */
struct pinfo classify(const struct thr *t, bool res, __u64 off)
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

bool exact(const struct pinfo *pi)
{
	return pi->kind == PK_OWN || pi->kind == PK_FIXED;
}

bool tag_ok(__u64 w, int owner, bool res)
{
	__u64 tag = w >> TAG_SHIFT;

	/* a word copied byte by byte over a zero word may show either half */
	return tag == (__u64)owner + 1 || (!res && cfg.zero_ok && tag == 0);
}

__u64 own_word(struct thr *t)
{
	return ((__u64)(t->owner + 1) << TAG_SHIFT) | (++t->ctr & LOW_MASK);
}

__u64 priv_word(struct thr *t)
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
bool check_dev(struct thr *t, const char *how, bool res, __u64 off,
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
void model_read(struct thr *t, bool res, __u64 off, void *dst, size_t len)
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

void model_write(struct thr *t, bool res, __u64 off, const void *src,
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
void own_range(struct thr *t, size_t maxlen, __u64 *off, size_t *len)
{
	__u64 start = cfg.region_off + (__u64)t->owner * cfg.chunk * cfg.ps;
	__u64 span = cfg.chunk * cfg.ps;
	__u64 o = 8 * below(t, span / 8);

	*len = 8 * (1 + below(t, min_sz(maxlen, span - o) / 8));
	*off = start + o;
}

void fill_own(struct thr *t, void *buf, size_t len)
{
	__u64 w;
	size_t i;

	for (i = 0; i < len; i += 8) {
		w = own_word(t);
		memcpy((char *)buf + i, &w, min_sz(8, len - i));
	}
}

/* Initial contents of a page owned by @owner (tag 0: unowned, zeroes). */
void init_page(__u64 *page, __u64 pgidx, int tag)
{
	size_t w;

	for (w = 0; w < cfg.wpp; w++)
		page[w] = tag ? ((__u64)tag << TAG_SHIFT) |
			  ((pgidx * cfg.wpp + w) & LOW_MASK) : 0;
}

/* --- mappings --------------------------------------------------------- */

bool beyond(const struct smap *m, size_t i)
{
	return !m->res && m->off + i * cfg.ps >= cfg.size;
}

struct smap *pick_map(struct thr *t)
{
	unsigned int i, start = below(t, MAX_MAPS);

	for (i = 0; i < MAX_MAPS; i++)
		if (t->maps[(start + i) % MAX_MAPS].addr)
			return &t->maps[(start + i) % MAX_MAPS];
	return NULL;
}

struct smap *free_slot(struct thr *t)
{
	unsigned int i;

	for (i = 0; i < MAX_MAPS; i++)
		if (!t->maps[i].addr)
			return &t->maps[i];
	return NULL;
}

void free_priv(struct smap *m, size_t a, size_t b)
{
	size_t i;

	if (!m->priv)
		return;
	for (i = a; i < b; i++) {
		free(m->priv[i]);
		m->priv[i] = NULL;
	}
}

void map_forget(struct smap *m)
{
	free_priv(m, 0, m->npages);
	free(m->prot);
	free(m->vstart);
	free(m->priv);
	memset(m, 0, sizeof(*m));
}

bool map_resize(struct smap *m, size_t n)
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

void map_set(struct smap *m, char *addr, size_t n, __u64 off, bool res,
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
void map_cut(struct thr *t, struct smap *m, size_t a, size_t b)
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

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo_stress: the I/O operations. pread/pwrite and their vector
 * forms, read/write at the file position, the edges of the data area and
 * bad arguments, read() and write() copying to and from the device's own
 * mappings, sendfile, lseek, fsync/msync and the ioctls.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>

#include "stress.h"

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

void op_pread(struct thr *t)
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

void op_pwrite(struct thr *t)
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
void op_rdwr(struct thr *t)
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
void op_edge(struct thr *t)
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
void op_copy(struct thr *t)
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
void op_sendfile(struct thr *t)
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

void op_lseek(struct thr *t)
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

void op_sync(struct thr *t)
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

void op_ioctl(struct thr *t)
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

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo_stress: the types and functions its files share. main.c says
 * what the program does; model.c holds the shadow model, memops.c and
 * ioops.c the operations, report.c the failure lines.
 */
#ifndef FAULTDEMO_STRESS_H
#define FAULTDEMO_STRESS_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <pthread.h>
#include <time.h>

#include "kselftest.h"
#include "faultdemo_helpers.h"

#define MAX_MAPS		8	/* per thread */
#define BUF_PAGES		4
#define RING			16	/* last operations, dumped on a failure */

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

/* Read-only once the workers run. */
struct stress_cfg {
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
};

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

struct op_desc {
	const char *name;
	unsigned int weight;	/* per mille: they add up to 1000 */
	void (*run)(struct thr *t);
};

extern struct stress_cfg cfg;
extern struct totals *tot;
extern const struct op_desc op_table[NR_OPS];
extern __u64 *dshadow;	/* region_pages pages */
extern __u64 *rshadow;	/* res_pages pages */
extern __thread struct thr *cur_thr;

/* Randomness. */
static inline __u64 splitmix64(__u64 *s)
{
	__u64 z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline __u64 rnd(struct thr *t)
{
	return splitmix64(&t->rng);
}

static inline __u64 below(struct thr *t, __u64 n)
{
	return n ? rnd(t) % n : 0;
}

static inline bool chance(struct thr *t, unsigned int pct)
{
	return below(t, 100) < pct;
}

static inline size_t min_sz(size_t a, size_t b)
{
	return a < b ? a : b;
}

/* report.c */
__printf(1, 2) void say(const char *fmt, ...);
__printf(3, 4) void failure(struct thr *t, bool mismatch, const char *fmt, ...);
void note(struct thr *t, unsigned int sub, __u64 a, __u64 b);
bool expect(struct thr *t, const char *what, long ret, int err, const int *ok);

/* model.c: what the device holds */
enum { PK_BEYOND, PK_OWN, PK_FOREIGN, PK_FIXED };

struct pinfo {
	int kind;
	int owner;		/* -1: nobody */
	__u64 *shadow;		/* the model's copy of the page */
};

struct pinfo classify(const struct thr *t, bool res, __u64 off);
bool exact(const struct pinfo *pi);
bool tag_ok(__u64 w, int owner, bool res);
__u64 own_word(struct thr *t);
__u64 priv_word(struct thr *t);
void init_page(__u64 *page, __u64 pgidx, int tag);
bool check_dev(struct thr *t, const char *how, bool res, __u64 off,
	       const void *data, size_t len);
void model_read(struct thr *t, bool res, __u64 off, void *dst, size_t len);
void model_write(struct thr *t, bool res, __u64 off, const void *src,
		 size_t len);
void own_range(struct thr *t, size_t maxlen, __u64 *off, size_t *len);
void fill_own(struct thr *t, void *buf, size_t len);

/* model.c: the mappings of a thread and their private copies */
bool beyond(const struct smap *m, size_t i);
struct smap *pick_map(struct thr *t);
struct smap *free_slot(struct thr *t);
void free_priv(struct smap *m, size_t a, size_t b);
void map_forget(struct smap *m);
bool map_resize(struct smap *m, size_t n);
void map_set(struct smap *m, char *addr, size_t n, __u64 off, bool res,
	     bool shared, bool rofd, int prot);
void map_cut(struct thr *t, struct smap *m, size_t a, size_t b);

/* memops.c */
void on_signal(int sig, siginfo_t *si, void *uc);
void pick_range(struct thr *t, struct smap *m, unsigned int whole_pct,
		size_t *a, size_t *b);
void load_page(struct thr *t, struct smap *m, size_t i);
void op_load(struct thr *t);
void op_store(struct thr *t);
void op_mmap(struct thr *t);
void op_mmap_res(struct thr *t);
void op_mmap_bad(struct thr *t);
void op_munmap(struct thr *t);
void op_mprotect(struct thr *t);
void op_madvise(struct thr *t);
void op_mremap(struct thr *t);
void op_fork(struct thr *t);

/* ioops.c */
void op_pread(struct thr *t);
void op_pwrite(struct thr *t);
void op_rdwr(struct thr *t);
void op_edge(struct thr *t);
void op_copy(struct thr *t);
void op_sendfile(struct thr *t);
void op_lseek(struct thr *t);
void op_sync(struct thr *t);
void op_ioctl(struct thr *t);

/* main.c */
void run_ops(struct thr *t, __u64 n);

#endif /* FAULTDEMO_STRESS_H */

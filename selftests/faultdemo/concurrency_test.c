// SPDX-License-Identifier: GPL-2.0
/*
 * Threads and processes fault, write, clean, zap and unmap the same device
 * pages at once for a few seconds.  Every writer owns one 64-bit word per
 * page, so a lost or stale write is visible at the end; the other words
 * must keep their pattern.  Readers check that no word ever goes back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"

#define BASE_PAGE	128	/* in the scratch area */
#define NP		32	/* pages shared by everybody */
#define NTHREADS	3	/* mapping writers, threads */
#define NPROCS		2	/* mapping writers, processes */
#define NPWRITE		1	/* write() writers, threads */
#define NW		(NTHREADS + NPROCS + NPWRITE)
#define RUN_MS		3000

struct shared {
	int stop;
	int errors;
	__u64 last[NW];		/* last iteration each writer completed */
	__u64 iters[NW];
	__u64 reader_checks;
	__u64 cleans;		/* FAULTDEMO_IOC_CLEAN calls */
	__u64 cleaned;		/* pages they reported */
	__u64 fsyncs;
};

struct worker {
	struct shared *sh;
	int fd;
	int id;
	__u64 seed;
};

static size_t ps;

static inline __u64 word_val(int w, __u64 iter)
{
	return ((__u64)(w + 1) << 56) | iter;
}

static bool stopped(struct shared *sh)
{
	return __atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE);
}

static void error(struct shared *sh, const char *fmt, int a, long long b)
{
	fprintf(stderr, "# ");
	fprintf(stderr, fmt, a, b);
	fprintf(stderr, "\n");
	__atomic_add_fetch(&sh->errors, 1, __ATOMIC_RELAXED);
}

/* Store through an own MAP_SHARED mapping that comes and goes. */
static void map_writer(struct worker *wk)
{
	struct shared *sh = wk->sh;
	char *map = NULL;
	__u64 iter;
	int pg;

	for (iter = 1; !stopped(sh); iter++) {
		if (!map) {
			map = mmap(NULL, NP * ps, PROT_READ | PROT_WRITE, MAP_SHARED,
				   wk->fd, BASE_PAGE * ps);
			if (map == MAP_FAILED) {
				error(sh, "writer %d: mmap failed %lld", wk->id, errno);
				return;
			}
		}
		for (pg = 0; pg < NP; pg++)
			fdemo_poke(map + pg * ps + wk->id * 8, word_val(wk->id, iter));
		__atomic_store_n(&sh->last[wk->id], iter, __ATOMIC_RELEASE);
		if (iter % 8 == 0) {
			munmap(map, NP * ps);
			map = NULL;
		} else if (iter % 5 == 0) {
			madvise(map, NP * ps, MADV_DONTNEED);
		}
	}
	sh->iters[wk->id] = iter - 1;
	if (map)
		munmap(map, NP * ps);
}

static void *map_writer_thread(void *arg)
{
	map_writer(arg);
	return NULL;
}

static void *pwrite_writer_thread(void *arg)
{
	struct worker *wk = arg;
	struct shared *sh = wk->sh;
	__u64 iter, v;
	int pg;

	for (iter = 1; !stopped(sh); iter++) {
		v = word_val(wk->id, iter);
		for (pg = 0; pg < NP; pg++)
			if (pwrite(wk->fd, &v, 8, (BASE_PAGE + pg) * ps + wk->id * 8) != 8) {
				error(sh, "writer %d: pwrite failed %lld", wk->id, errno);
				return NULL;
			}
		__atomic_store_n(&sh->last[wk->id], iter, __ATOMIC_RELEASE);
	}
	sh->iters[wk->id] = iter - 1;
	return NULL;
}

/*
 * Readers: no writer's word may ever go back, whether seen through a
 * mapping or read().  They also clean the pages and flip the runtime
 * parameters under the writers' feet.
 */
static void *chaos_thread(void *arg)
{
	struct worker *wk = arg;
	struct shared *sh = wk->sh;
	static __u64 seen[NP][NW];
	__u64 buf[NW], v, cleaned;
	char *map = NULL;
	int pg, w, round;

	for (round = 0; !stopped(sh); round++) {
		if (!map) {
			map = mmap(NULL, NP * ps, PROT_READ, MAP_SHARED, wk->fd,
				   BASE_PAGE * ps);
			if (map == MAP_FAILED) {
				error(sh, "reader %d: mmap failed %lld", 0, errno);
				return NULL;
			}
		}
		for (pg = 0; pg < NP; pg++) {
			if (round & 1) {
				if (pread(wk->fd, buf, sizeof(buf),
					  (BASE_PAGE + pg) * ps) != sizeof(buf)) {
					error(sh, "reader: pread failed %d %lld", pg, errno);
					return NULL;
				}
			} else {
				for (w = 0; w < NW; w++)
					buf[w] = fdemo_peek(map + pg * ps + w * 8);
			}
			/*
			 * read() may copy a word byte by byte while it
			 * changes: only the mapping's 8-byte loads of the
			 * mapping writers' words are checked for order.
			 */
			if (round & 1)
				continue;
			for (w = 0; w < NTHREADS + NPROCS; w++) {
				v = buf[w];
				if (v >> 56 == (__u64)(w + 1)) {
					if (v < seen[pg][w])
						error(sh, "page %d went back: %llx", pg,
						      (long long)v);
					seen[pg][w] = v;
				}
			}
		}
		sh->reader_checks++;
		if (fdemo_clean(wk->fd, BASE_PAGE * ps, NP * ps, &cleaned)) {
			error(sh, "clean failed %d %lld", round, errno);
		} else {
			sh->cleans++;
			sh->cleaned += cleaned;
		}
		if (round % 4 == 0) {
			if (fsync(wk->fd))
				error(sh, "fsync failed %d %lld", round, errno);
			else
				sh->fsyncs++;
		}
		if (round % 3 == 0) {
			munmap(map, NP * ps);
			map = NULL;
			fdemo_param_set("fault_around", round & 1 ? "1" : "0");
			fdemo_param_set("readahead", round & 1 ? "15" : "0");
		}
	}
	if (map)
		munmap(map, NP * ps);
	return NULL;
}

FIXTURE(concurrency)
{
	bool block;		/* backend "block": clean is writeback */
	int fd;
	__u64 seed;
	struct shared *sh;
	struct fdemo_stats s0;
};

FIXTURE_SETUP(concurrency)
{
	char backend[32];
	int ret;

	ret = fdemo_set_defaults();
	ASSERT_EQ(0, ret) TH_LOG("module not usable: %s", strerror(-ret));
	ps = fdemo_page_size();
	ASSERT_EQ(0, fdemo_read_file(FDEMO_CLASS_DIR "/backend", backend,
				     sizeof(backend)));
	self->block = !strncmp(backend, "block", 5);
	self->fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, self->fd) TH_LOG("open: %s", strerror(-self->fd));
	self->seed = fdemo_seed();
	ASSERT_EQ(0, fdemo_fill(self->fd, BASE_PAGE * ps, NP * ps, self->seed));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	memset(self->sh, 0, sizeof(*self->sh));
	ASSERT_EQ(0, fdemo_stats(&self->s0));
}

FIXTURE_TEARDOWN(concurrency)
{
	fdemo_set_defaults();
	munmap(self->sh, sizeof(*self->sh));
	close(self->fd);
}

TEST_F_TIMEOUT(concurrency, writers_keep_their_words, 90)
{
	struct worker wk[NW + 1];
	pthread_t th[NW + 1];
	pid_t pids[NPROCS];
	struct fdemo_stats s1, d;
	struct timespec ts = { RUN_MS / 1000, (RUN_MS % 1000) * 1000000L };
	int i, w, pg, status, bad = 0;
	__u64 *page;
	char *map;

	for (i = 0; i <= NW; i++) {
		wk[i].sh = self->sh;
		wk[i].fd = self->fd;
		wk[i].id = i;
		wk[i].seed = self->seed;
	}
	for (i = 0; i < NPROCS; i++) {
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (!pids[i]) {
			alarm(60);	/* never outlive a hung parent for long */
			map_writer(&wk[NTHREADS + i]);
			_exit(0);
		}
	}
	for (i = 0; i < NTHREADS; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, map_writer_thread, &wk[i]));
	for (i = NTHREADS + NPROCS; i < NW; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, pwrite_writer_thread, &wk[i]));
	ASSERT_EQ(0, pthread_create(&th[NW], NULL, chaos_thread, &wk[NW]));

	nanosleep(&ts, NULL);
	__atomic_store_n(&self->sh->stop, 1, __ATOMIC_RELEASE);

	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	for (i = NTHREADS + NPROCS; i <= NW; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < NPROCS; i++) {
		ASSERT_EQ(pids[i], waitpid(pids[i], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("writer process %d: status %x", i, status);
	}
	ASSERT_EQ(0, fdemo_set_defaults());

	for (w = 0; w < NW; w++) {
		TH_LOG("writer %d: %llu rounds", w,
		       (unsigned long long)self->sh->last[w]);
		EXPECT_LE(1, self->sh->last[w]) TH_LOG("writer %d never ran", w);
	}
	TH_LOG("reader: %llu rounds, %llu cleans of %llu pages, %llu fsyncs",
	       (unsigned long long)self->sh->reader_checks,
	       (unsigned long long)self->sh->cleans,
	       (unsigned long long)self->sh->cleaned,
	       (unsigned long long)self->sh->fsyncs);
	EXPECT_EQ(0, self->sh->errors);

	/* Final contents, through read() and through a fresh mapping. */
	page = malloc(ps);
	ASSERT_NE(NULL, page);
	map = mmap(NULL, NP * ps, PROT_READ, MAP_SHARED, self->fd, BASE_PAGE * ps);
	ASSERT_NE(MAP_FAILED, map);
	for (pg = 0; pg < NP; pg++) {
		__u64 off = (BASE_PAGE + pg) * ps;

		ASSERT_EQ((ssize_t)ps, pread(self->fd, page, ps, off));
		EXPECT_EQ(0, memcmp(page, map + pg * ps, ps));
		for (w = 0; w < NW; w++) {
			if (page[w] != word_val(w, self->sh->last[w]) && bad++ < 10)
				TH_LOG("page %d writer %d: %llx, want %llx", pg, w,
				       (unsigned long long)page[w],
				       (unsigned long long)word_val(w, self->sh->last[w]));
		}
		if (fdemo_check(page + NW, off + NW * 8, ps - NW * 8, self->seed) != -1 &&
		    bad++ < 10)
			TH_LOG("page %d: pattern damaged", pg);
	}
	EXPECT_EQ(0, bad);
	munmap(map, NP * ps);
	free(page);

	ASSERT_EQ(0, fdemo_stats(&s1));
	fdemo_stats_sub(&s1, &self->s0, &d);
	fdemo_stats_print("delta", &d);
	/* every clean and fsync is one clean operation, nothing else is */
	EXPECT_EQ(self->sh->cleans + self->sh->fsyncs, d.clean);
	EXPECT_LE(1, self->sh->cleaned) TH_LOG("no clean met a writable page");
	/*
	 * RAM mode: a page a clean write-protected had been made writable by
	 * a .page_mkwrite since the clean before (the pwrite writers never
	 * map it; block mode also counts the pages they dirtied).
	 */
	if (!self->block)
		EXPECT_LE(self->sh->cleaned, d.page_mkwrite);
	EXPECT_EQ(0, d.fault_cow);
	EXPECT_EQ(0, d.sigbus);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) stats and reset: the device's counters in
 * /sys/class/misc/faultdemo/stats, once or every few seconds.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

const char * const fd_stat_names[FD_STAT_NR] = {
	[FD_STAT_FAULT_READ]	= "fault_read",
	[FD_STAT_FAULT_COW]	= "fault_cow",
	[FD_STAT_FAULT_SHARED]	= "fault_shared",
	[FD_STAT_MAP_PAGES]	= "map_pages",
	[FD_STAT_PAGE_MKWRITE]	= "page_mkwrite",
	[FD_STAT_SIGBUS]	= "sigbus",
	[FD_STAT_READAHEAD]	= "readahead",
	[FD_STAT_CLEAN]		= "clean",
	[FD_STAT_PAGES_CACHED]	= "pages_cached",
	[FD_STAT_FAULT_MAJOR]	= "fault_major",
	[FD_STAT_FAULT_RETRY]	= "fault_retry",
	[FD_STAT_PAGES_READ]	= "pages_read",
	[FD_STAT_PAGES_WRITTEN]	= "pages_written",
	[FD_STAT_WRITEBACK_ERRORS] = "writeback_errors",
	[FD_STAT_FAULT_PMD]	= "fault_pmd",
	[FD_STAT_MAP_PAGES_PMD]	= "map_pages_pmd",
};

/*
 * Read every known counter. A missing directory means no module (error);
 * a missing file only means an older module (-1 for that counter).
 */
int fd_stats_read(struct fd_stats *s)
{
	char path[256];
	__u64 v;
	int i;

	if (access(FD_STATS_DIR, F_OK))
		return -errno;
	for (i = 0; i < FD_STAT_NR; i++) {
		snprintf(path, sizeof(path), FD_STATS_DIR "/%s", fd_stat_names[i]);
		s->v[i] = fd_read_u64(path, &v) ? -1 : (long long)v;
	}
	return 0;
}

int fd_stats_reset(void)
{
	return fd_write_file(FD_STATS_DIR "/reset", "1");
}

/* Up to this many counters the module has and we do not know by name. */
#define MAX_EXTRA	32

struct counter_set {
	int n;
	char name[FD_STAT_NR + MAX_EXTRA][64];
	long long val[FD_STAT_NR + MAX_EXTRA];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The known counters in their usual order, then whatever else the
 * directory holds (sorted), so that a newer module's counters show up.
 */
static int counters_read(struct counter_set *cs)
{
	char extra[MAX_EXTRA][64], path[512];
	int i, nextra = 0, known;
	struct dirent *de;
	__u64 v;
	DIR *d;

	d = opendir(FD_STATS_DIR);
	if (!d)
		return -errno;
	while ((de = readdir(d)) && nextra < MAX_EXTRA) {
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "reset"))
			continue;
		for (known = 0, i = 0; i < FD_STAT_NR; i++)
			if (!strcmp(de->d_name, fd_stat_names[i]))
				known = 1;
		if (!known && strlen(de->d_name) < sizeof(extra[0]))
			snprintf(extra[nextra++], sizeof(extra[0]), "%s", de->d_name);
	}
	closedir(d);
	qsort(extra, nextra, sizeof(extra[0]), cmp_str);

	cs->n = 0;
	for (i = 0; i < FD_STAT_NR + nextra; i++) {
		const char *name = i < FD_STAT_NR ? fd_stat_names[i] : extra[i - FD_STAT_NR];

		snprintf(path, sizeof(path), FD_STATS_DIR "/%s", name);
		if (i < FD_STAT_NR && access(path, F_OK))
			continue;	/* an older module without it */
		snprintf(cs->name[cs->n], sizeof(cs->name[0]), "%s", name);
		cs->val[cs->n] = fd_read_u64(path, &v) ? -1 : (long long)v;
		cs->n++;
	}
	return 0;
}

static void counters_print(const struct counter_set *cs,
			   const struct counter_set *prev)
{
	int i;

	for (i = 0; i < cs->n; i++) {
		if (cs->val[i] < 0)
			printf("%-16s %12s", cs->name[i], "?");
		else
			printf("%-16s %12lld", cs->name[i], cs->val[i]);
		/* pages_cached is a gauge: its delta may be negative. */
		if (prev && i < prev->n && !strcmp(prev->name[i], cs->name[i]) &&
		    cs->val[i] >= 0 && prev->val[i] >= 0)
			printf("  %+lld", cs->val[i] - prev->val[i]);
		putchar('\n');
	}
}

static int stop_watch;

static void on_interrupt(int sig)
{
	(void)sig;
	__atomic_store_n(&stop_watch, 1, __ATOMIC_RELAXED);
}

static int stats_usage(void)
{
	printf("usage: %s stats [--watch [SECONDS]] [--count N]\n", fd_prog);
	return FD_EXIT_OK;
}

/* SECONDS: positive, finite, at most a day; fractions allowed. */
static int parse_interval(const char *s, double *sec)
{
	char *end;

	errno = 0;
	*sec = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(*sec) || *sec <= 0 ||
	    *sec > 86400)
		return -EINVAL;
	return 0;
}

static int bad_interval(const char *s)
{
	return fd_usage_error("stats: bad interval '%s': want seconds, > 0 and <= 86400", s);
}

int cmd_stats(int argc, char **argv)
{
	struct counter_set cur, prev;
	bool watch = false;
	double interval = 1;
	long count = -1, i;
	struct sigaction sa;
	__u64 v;
	int ret;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--help") || !strcmp(a, "-h"))
			return stats_usage();
		if (!strcmp(a, "--watch") || !strcmp(a, "-w")) {
			watch = true;
			/* SECONDS is optional: take the next word if it is not an option. */
			if (i + 1 < argc && argv[i + 1][0] != '-') {
				if (parse_interval(argv[++i], &interval))
					return bad_interval(argv[i]);
			}
		} else if (!strncmp(a, "--watch=", 8)) {
			watch = true;
			if (parse_interval(a + 8, &interval))
				return bad_interval(a + 8);
		} else if (!strcmp(a, "--count") || !strcmp(a, "-n")) {
			if (i + 1 >= argc)
				return fd_usage_error("stats: %s needs a number", a);
			if (fd_parse_u64(argv[++i], &v) || v < 1 || v > 1000000)
				return fd_usage_error("stats: bad count '%s': want 1..1000000",
						      argv[i]);
			count = v;
			watch = true;
		} else {
			return fd_usage_error("stats: unknown argument '%s'", a);
		}
	}

	ret = counters_read(&cur);
	if (ret) {
		fd_errno_hint(-ret, FD_STATS_DIR);
		return FD_EXIT_FAIL;
	}
	if (!watch) {
		counters_print(&cur, NULL);
		return FD_EXIT_OK;
	}

	/* Ctrl-C ends the watch normally: exit 0, output complete. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (i = 0; count < 0 || i < count; i++) {
		struct timespec ts;
		time_t now;
		char tbuf[32];

		if (i) {
			ts.tv_sec = (time_t)interval;
			ts.tv_nsec = (long)((interval - (double)ts.tv_sec) * 1e9);
			/* The handler interrupts the sleep: no restart. */
			while (nanosleep(&ts, &ts) && errno == EINTR &&
			       !__atomic_load_n(&stop_watch, __ATOMIC_RELAXED))
				;
			if (__atomic_load_n(&stop_watch, __ATOMIC_RELAXED))
				break;
			prev = cur;
			ret = counters_read(&cur);
			if (ret) {
				fd_errno_hint(-ret, FD_STATS_DIR);
				return FD_EXIT_FAIL;
			}
		}
		now = time(NULL);
		strftime(tbuf, sizeof(tbuf), "%H:%M:%S", localtime(&now));
		if (isatty(STDOUT_FILENO))
			fputs("\033[H\033[J", stdout);
		printf("# %s  every %gs%s\n", tbuf, interval,
		       i ? ", change since the last refresh" : "");
		counters_print(&cur, i ? &prev : NULL);
		fflush(stdout);
		if (__atomic_load_n(&stop_watch, __ATOMIC_RELAXED))
			break;
	}
	return FD_EXIT_OK;
}

int cmd_reset(int argc, char **argv)
{
	int ret;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: %s reset\n", fd_prog);
			return FD_EXIT_OK;
		}
		return fd_usage_error("reset: unexpected argument '%s'", argv[1]);
	}
	ret = fd_stats_reset();
	if (ret) {
		fd_errno_hint(-ret, FD_STATS_DIR "/reset");
		return FD_EXIT_FAIL;
	}
	printf("counters reset\n");
	return FD_EXIT_OK;
}

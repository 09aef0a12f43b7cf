// SPDX-License-Identifier: GPL-2.0
/*
 * The faultdemo(1) tool: "faultdemo tour --json" must find every fault
 * path where it belongs (no row "mismatch", exit status 0), with the x86
 * page-fault error code of each signal row decoded right; bad usage must
 * exit 2 with a message on stderr.
 *
 * The tool is $FAULTDEMO_TOOL (the test is skipped without it). Its swap
 * row sets up zram swap only if FAULTDEMO_SETUP_SWAP=1 is in the
 * environment (make check sets it); otherwise it is skipped, for want of
 * swap. Every row is checked against this test's own table, and so is
 * the kernel's account of it: the exceptions:page_fault_* events and the
 * function graph, by a second table.
 *
 * "faultdemo trace" is run on the example program ($FAULTDEMO_EXAMPLE),
 * on this program re-executed as a script of known faults, and on bad
 * input; tracefs must be as it was afterwards, also when the traced
 * program or faultdemo itself is killed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"

/* ---- running the tool ---- */

struct run {
	int status;	/* exit status, or 128 + signal */
	char *out;
	char *err;
};

static char *slurp(int fd)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st))
		return NULL;
	buf = calloc(1, st.st_size + 1);
	if (!buf)
		return NULL;
	n = pread(fd, buf, st.st_size, 0);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Output goes to memfds, not pipes: nothing to drain while the child
 * runs, so a chatty stderr cannot block it.
 */
enum run_as {
	RUN_ROOT,
	RUN_NOBODY,		/* uid and gid 65534: no tracefs */
	RUN_NO_TRACEFS,		/* a mount namespace without tracefs, debugfs */
};

/* In the child: take away what @how says, before the exec. */
static void run_as(enum run_as how)
{
	static const char * const mounts[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing", "/sys/kernel/debug",
	};
	size_t i;

	if (how == RUN_NOBODY) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(126);
	} else if (how == RUN_NO_TRACEFS) {
		if (unshare(CLONE_NEWNS) || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(126);
		for (i = 0; i < ARRAY_SIZE(mounts); i++)
			umount2(mounts[i], MNT_DETACH);
	}
}

/* Start the tool with stdout and stderr to @ofd and @efd; its pid. */
static pid_t start_tool(const char *tool, const char *const args[], enum run_as how,
			int ofd, int efd)
{
	char *argv[24];
	pid_t pid;
	int i;

	argv[0] = (char *)tool;
	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	pid = fork();
	if (!pid) {
		dup2(ofd, STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		run_as(how);
		execv(tool, argv);
		_exit(127);
	}
	return pid;
}

static int finish_tool(pid_t pid, int ofd, int efd, struct run *r)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->out = slurp(ofd);
	r->err = slurp(efd);
	close(ofd);
	close(efd);
	return r->out && r->err ? 0 : -ENOMEM;
}

static int run_tool_as(const char *tool, const char *const args[], enum run_as how,
		       struct run *r)
{
	int ofd, efd;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	ofd = memfd_create("tour-out", MFD_CLOEXEC);
	efd = memfd_create("tour-err", MFD_CLOEXEC);
	if (ofd < 0 || efd < 0)
		return -errno;
	pid = start_tool(tool, args, how, ofd, efd);
	if (pid < 0)
		return -errno;
	return finish_tool(pid, ofd, efd, r);
}

static int run_tool(const char *tool, const char *const args[], struct run *r)
{
	return run_tool_as(tool, args, RUN_ROOT, r);
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- a small JSON scanner: an array of flat objects ---- */

enum jtype { J_STR, J_NUM, J_NULL, J_BOOL, J_NESTED };

#define J_MAX_KEYS	112
#define J_MAX_ROWS	64

struct jrow {
	int n;
	char key[J_MAX_KEYS][32];
	enum jtype type[J_MAX_KEYS];
	char str[J_MAX_KEYS][1024];	/* strings, truncated */
	double num[J_MAX_KEYS];
};

struct scan {
	const char *p;
	char err[160];
};

static bool fail(struct scan *s, const char *what)
{
	if (!s->err[0])
		snprintf(s->err, sizeof(s->err), "%s at \"%.20s\"", what, s->p);
	return false;
}

static void skip_ws(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		s->p++;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A JSON string; its text (escapes kept as the letter) into @out. */
static bool scan_string(struct scan *s, char *out, size_t len)
{
	size_t n = 0;
	int i;

	if (*s->p != '"')
		return fail(s, "string expected");
	s->p++;
	while (*s->p != '"') {
		char c = *s->p;

		if (!c)
			return fail(s, "unterminated string");
		if ((unsigned char)c < 0x20)
			return fail(s, "control character in string");
		if (c == '\\') {
			c = *++s->p;
			if (c == 'u') {
				for (i = 1; i <= 4; i++)
					if (!is_hex(s->p[i]))
						return fail(s, "bad \\u escape");
				s->p += 4;
				c = '?';
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return fail(s, "bad escape");
			}
		}
		if (out && n + 1 < len)
			out[n++] = c;
		s->p++;
	}
	s->p++;
	if (out)
		out[n] = '\0';
	return true;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool scan_number(struct scan *s, double *v)
{
	const char *start = s->p;

	if (*s->p == '-')
		s->p++;
	if (*s->p == '0')
		s->p++;
	else if (*s->p >= '1' && *s->p <= '9')
		while (*s->p >= '0' && *s->p <= '9')
			s->p++;
	else
		return fail(s, "bad number");
	if (*s->p == '.') {
		s->p++;
		if (*s->p < '0' || *s->p > '9')
			return fail(s, "bad fraction");
		while (*s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (*s->p == 'e' || *s->p == 'E') {
		s->p++;
		if (*s->p == '+' || *s->p == '-')
			s->p++;
		if (*s->p < '0' || *s->p > '9')
			return fail(s, "bad exponent");
		while (*s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	*v = strtod(start, NULL);
	return true;
}

static bool scan_value(struct scan *s, enum jtype *t, char *str, size_t len,
		       double *num, int depth);

/* Objects and arrays inside a row: checked for syntax, not kept. */
static bool scan_nested(struct scan *s, int depth)
{
	char close = *s->p == '{' ? '}' : ']';
	bool object = close == '}';
	enum jtype t;
	double num;

	if (depth > 16)
		return fail(s, "nested too deep");
	s->p++;
	skip_ws(s);
	if (*s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (object) {
			if (!scan_string(s, NULL, 0))
				return false;
			skip_ws(s);
			if (*s->p++ != ':')
				return fail(s, "':' expected");
			skip_ws(s);
		}
		if (!scan_value(s, &t, NULL, 0, &num, depth + 1))
			return false;
		skip_ws(s);
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p++ != close)
			return fail(s, "',' or end of container expected");
		return true;
	}
}

static bool scan_value(struct scan *s, enum jtype *t, char *str, size_t len,
		       double *num, int depth)
{
	if (*s->p == '"') {
		*t = J_STR;
		return scan_string(s, str, len);
	}
	if (*s->p == '{' || *s->p == '[') {
		*t = J_NESTED;
		return scan_nested(s, depth);
	}
	if (!strncmp(s->p, "null", 4)) {
		*t = J_NULL;
		s->p += 4;
		return true;
	}
	if (!strncmp(s->p, "true", 4) || !strncmp(s->p, "false", 5)) {
		*t = J_BOOL;
		*num = *s->p == 't';
		s->p += *s->p == 't' ? 4 : 5;
		return true;
	}
	*t = J_NUM;
	return scan_number(s, num);
}

static bool scan_row(struct scan *s, struct jrow *row)
{
	int i;

	memset(row, 0, sizeof(*row));
	if (*s->p != '{')
		return fail(s, "'{' expected");
	s->p++;
	skip_ws(s);
	if (*s->p == '}') {
		s->p++;
		return true;
	}
	for (;;) {
		i = row->n < J_MAX_KEYS ? row->n : J_MAX_KEYS - 1;
		skip_ws(s);
		if (!scan_string(s, row->key[i], sizeof(row->key[i])))
			return false;
		skip_ws(s);
		if (*s->p++ != ':')
			return fail(s, "':' expected");
		skip_ws(s);
		if (!scan_value(s, &row->type[i], row->str[i], sizeof(row->str[i]),
				&row->num[i], 1))
			return false;
		if (row->n < J_MAX_KEYS)
			row->n++;
		skip_ws(s);
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p++ != '}')
			return fail(s, "',' or '}' expected");
		return true;
	}
}

/* The whole document: one array of objects and nothing after it. */
static int scan_rows(const char *text, struct jrow *rows, int max, char *err,
		     size_t errlen)
{
	struct scan s = { .p = text };
	int n = 0;

	skip_ws(&s);
	if (*s.p != '[') {
		snprintf(err, errlen, "not a JSON array: \"%.20s\"", s.p);
		return -1;
	}
	s.p++;
	skip_ws(&s);
	if (*s.p == ']') {
		s.p++;
	} else {
		for (;;) {
			skip_ws(&s);
			if (n >= max) {
				snprintf(err, errlen, "more than %d rows", max);
				return -1;
			}
			if (!scan_row(&s, &rows[n]))
				break;
			n++;
			skip_ws(&s);
			if (*s.p == ',') {
				s.p++;
				continue;
			}
			if (*s.p++ != ']')
				fail(&s, "',' or ']' expected");
			break;
		}
	}
	skip_ws(&s);
	if (!s.err[0] && *s.p)
		fail(&s, "text after the array");
	if (s.err[0]) {
		snprintf(err, errlen, "%s", s.err);
		return -1;
	}
	return n;
}

static int key_index(const struct jrow *row, const char *key)
{
	int i;

	for (i = 0; i < row->n; i++)
		if (!strcmp(row->key[i], key))
			return i;
	return -1;
}

static const char *get_str(const struct jrow *row, const char *key)
{
	int i = key_index(row, key);

	return i >= 0 && row->type[i] == J_STR ? row->str[i] : NULL;
}

/* A number field; -1 for null, missing or not a number. */
static long long get_num(const struct jrow *row, const char *key)
{
	int i = key_index(row, key);

	return i >= 0 && row->type[i] == J_NUM ? (long long)row->num[i] : -1;
}

/* A boolean field: 1, 0, or -1 when missing or not a boolean. */
static int get_bool(const struct jrow *row, const char *key)
{
	int i = key_index(row, key);

	return i >= 0 && row->type[i] == J_BOOL ? (int)row->num[i] : -1;
}

static const struct jrow *find_row(const struct jrow *rows, int n, const char *name)
{
	const char *sc;
	int i;

	for (i = 0; i < n; i++) {
		sc = get_str(&rows[i], "scenario");
		if (sc && !strcmp(sc, name))
			return &rows[i];
	}
	return NULL;
}

/* ---- the tests ---- */

/* What each signal row's error code must say (x86 page-fault bits). */
struct sig_expect {
	const char *scenario;
	const char *signal;
	const char *code;
	int prot, write, instr;
};

static const struct sig_expect sig_rows[] = {
	{ "past_end",		"SIGBUS",  "BUS_ADRERR",  0, 0, 0 },
	{ "no_vma",		"SIGSEGV", "SEGV_MAPERR", 0, 0, 0 },
	{ "store_read_only",	"SIGSEGV", "SEGV_ACCERR", 1, 1, 0 },
	{ "exec_non_exec",	"SIGSEGV", "SEGV_ACCERR", 1, 0, 1 },
};

/*
 * What each row must show in RAM mode with the default parameters, by
 * this test's own account of the fault paths, not the tool's: "field=N"
 * or "field>=N" on the JSON numbers (deltas for counters and "present"),
 * "signal=NAME". A row may be skipped only if @skip_if is set and its
 * reason contains one of its '|'-separated words: the prerequisite that
 * is missing.
 */
struct row_expect {
	const char *scenario;
	const char *checks[16];		/* none: the row must be skipped */
	const char *skip_if;
};

static const struct row_expect row_table[] = {
	{ "malloc_heap_or_mmap",
	  { "signal=none", "small_in_heap=1", "large_mmapped=1", "mmap_threshold>=4096",
	    "minflt=1", "present=1", "exclusive=1", "file=0" },
	  NULL },
	{ "anon_read",
	  { "signal=none", "minflt=1", "majflt=0", "present=1",
	    "zero_pfn_shared=1", "exclusive=0", "file=0", "rss_kb=0" },
	  NULL },
	{ "anon_write",
	  { "signal=none", "minflt=1", "majflt=0", "present=1",
	    "zero_pfn_shared=0", "exclusive=1", "file=0", "rss_kb=4" },
	  NULL },
	{ "dev_cold_read",
	  { "signal=none", "minflt=1", "majflt=0", "fault_read=1", "fault_cow=0",
	    "fault_shared=0", "map_pages=1", "readahead=15", "pages_cached=16",
	    "present=1", "file=1", "fault_major=0" },
	  NULL },
	{ "dev_fault_around",
	  { "signal=none", "minflt=1", "majflt=0", "map_pages=1", "fault_read=0",
	    "readahead=0", "present=16" },
	  NULL },
	{ "private_write",
	  { "signal=none", "minflt=1", "majflt=0", "fault_cow=1", "fault_read=0",
	    "fault_shared=0", "page_mkwrite=0", "present=1", "file=0",
	    "exclusive=1", "data_ok=1", "device_unchanged=1" },
	  NULL },
	{ "shared_first_write",
	  { "signal=none", "minflt=1", "majflt=0", "fault_shared=1",
	    "page_mkwrite=1", "fault_read=0", "fault_cow=0", "map_pages=0",
	    "present=1", "file=1" },
	  NULL },
	{ "shared_write_after_clean",
	  { "signal=none", "minflt=1", "majflt=0", "cleaned=1",
	    "present_before=1", "page_mkwrite=1", "fault_shared=0",
	    "fault_read=0", "fault_cow=0", "present=0" },
	  NULL },
	{ "fork_cow",
	  { "signal=none", "minflt=1", "majflt=0", "present_before=1",
	    "present=0", "exclusive_before=0", "exclusive=1", "file=0",
	    "pfn_changed=1", "device_total=0", "data_ok=1" },
	  NULL },
	{ "reserved_window",
	  { "signal=none", "minflt=0", "majflt=0", "vma_pfnmap=1",
	    "private_refused=1", "device_total=0" },
	  NULL },
	{ "past_end",
	  { "signal=SIGBUS", "minflt=0", "majflt=0", "sigbus=1", "fault_read=1",
	    "present=0" },
	  NULL },
	{ "no_vma",
	  { "signal=SIGSEGV", "minflt=0", "majflt=0", "device_total=0" },
	  NULL },
	{ "store_read_only",
	  { "signal=SIGSEGV", "minflt=0", "majflt=0", "present_before=1",
	    "present=0", "device_total=0" },
	  NULL },
	{ "exec_non_exec",
	  { "signal=SIGSEGV", "minflt=0", "majflt=0" },
	  "no NX bit" },
	{ "kernel_mode_fault",
	  { "signal=none", "efault=0", "minflt=1", "majflt=0", "fault_cow=1",
	    "fault_read=0", "present=1", "exclusive=1", "file=0", "data_ok=1",
	    "device_unchanged=1" },
	  NULL },
	{ "exception_fixup",
	  { "signal=none", "efault=1", "minflt=0", "majflt=0", "device_total=0" },
	  NULL },
	{ "swap_in",
	  { "signal=none", "majflt=1", "swapped_before=1", "swapped=0",
	    "present=1", "data_ok=1", "device_total=0" },
	  "swap|zram" },
	/* block mode rows: backing_test tour_shows_the_device runs them */
	{ "major_fault", {}, "RAM mode: no device behind the page cache" },
	{ "writeback", {}, "RAM mode: no device behind the page cache" },
	{ "evict_refault", {}, "RAM mode: no device behind the page cache" },
	/* folio_order=9: pmd_row_maps_2m_with_one_fault */
	{ "pmd_fault", {}, "load the module with folio_order=9" },
};

/* Does @reason name one of the '|'-separated prerequisites of @skip_if? */
static bool skip_allowed(const char *skip_if, const char *reason)
{
	char words[128], *w, *save;

	if (!skip_if || !reason)
		return false;
	snprintf(words, sizeof(words), "%s", skip_if);
	for (w = strtok_r(words, "|", &save); w; w = strtok_r(NULL, "|", &save))
		if (strstr(reason, w))
			return true;
	return false;
}

/* Check one row against its "field=N", "field>=N", "signal=NAME" list. */
static void check_row(struct __test_metadata *_metadata, const struct jrow *row,
		      const struct row_expect *e)
{
	char field[64], *eq;
	long long want, got;
	size_t i;
	bool ge;

	for (i = 0; i < ARRAY_SIZE(e->checks) && e->checks[i]; i++) {
		snprintf(field, sizeof(field), "%s", e->checks[i]);
		eq = strchr(field, '=');
		if (!eq)
			continue;
		ge = eq > field && eq[-1] == '>';
		eq[ge ? -1 : 0] = '\0';
		if (!strcmp(field, "signal")) {
			const char *v = get_str(row, "signal");

			EXPECT_STREQ(eq + 1, v ? v : "null") TH_LOG("%s", e->scenario);
			continue;
		}
		want = strtoll(eq + 1, NULL, 10);
		got = get_num(row, field);
		if (ge) {
			EXPECT_LE(want, got) TH_LOG("%s: %s=%lld, want >= %lld",
						    e->scenario, field, got, want);
		} else {
			EXPECT_EQ(want, got) TH_LOG("%s: %s=%lld, want %lld",
						    e->scenario, field, got, want);
		}
	}
}

/* ---- the kernel's account ---- */

/*
 * Each row's page-fault exceptions by this test's own account of the x86
 * fault paths: how many on the step's addresses (-N: at least N: a copy
 * routine may retry), their hardware error code (bit 0 protection, 1
 * write, 2 user, 4 instruction fetch), and the functions the call graph
 * must (@calls, "a|b" for either) and must not (@no_calls) contain. A
 * function the running kernel cannot trace is not asked for; a function
 * of @seeds it cannot trace must be explained in the row's trace_seeds.
 */
struct trace_expect {
	const char *scenario;
	int faults;
	long err;
	const char *calls;
	const char *no_calls;
	const char *seeds;
};

static const struct trace_expect trace_table[] = {
	{ "malloc_heap_or_mmap", 1, 0x6,
	  "handle_mm_fault do_anonymous_page vma_alloc_folio|vma_alloc_folio_noprof",
	  "do_fault faultdemo_fault", "do_anonymous_page" },
	{ "anon_read", 1, 0x4, "handle_mm_fault __handle_mm_fault do_anonymous_page",
	  "do_fault do_wp_page vma_alloc_folio vma_alloc_folio_noprof", "do_anonymous_page" },
	{ "anon_write", 1, 0x6,
	  "handle_mm_fault do_anonymous_page vma_alloc_folio|vma_alloc_folio_noprof",
	  "do_fault do_wp_page", NULL },
	{ "dev_cold_read", 1, 0x4,
	  "do_fault faultdemo_map_pages filemap_map_pages __do_fault faultdemo_fault finish_fault",
	  "faultdemo_page_mkwrite do_wp_page", "do_read_fault do_fault_around" },
	{ "dev_fault_around", 1, 0x4, "do_fault faultdemo_map_pages filemap_map_pages",
	  "__do_fault faultdemo_fault", "do_fault_around" },
	{ "private_write", 1, 0x6,
	  "do_fault vma_alloc_folio|vma_alloc_folio_noprof __do_fault faultdemo_fault finish_fault",
	  "faultdemo_map_pages faultdemo_page_mkwrite do_page_mkwrite", "do_cow_fault" },
	{ "shared_first_write", 1, 0x6,
	  "do_fault __do_fault faultdemo_fault do_page_mkwrite faultdemo_page_mkwrite finish_fault",
	  "faultdemo_map_pages do_wp_page", "do_shared_fault" },
	{ "shared_write_after_clean", 1, 0x7,
	  "do_wp_page do_page_mkwrite faultdemo_page_mkwrite",
	  "do_fault faultdemo_fault", "wp_page_shared" },
	{ "fork_cow", 1, 0x7, "do_wp_page wp_page_copy vma_alloc_folio|vma_alloc_folio_noprof",
	  "faultdemo_fault faultdemo_page_mkwrite", "wp_page_copy" },
	{ "reserved_window", 0, -1, NULL, NULL, NULL },
	{ "past_end", 1, 0x4, "do_fault __do_fault faultdemo_fault", "finish_fault", NULL },
	{ "no_vma", 1, 0x4, "bad_area_nosemaphore __bad_area_nosemaphore force_sig_fault",
	  "handle_mm_fault", "do_user_addr_fault" },
	{ "store_read_only", 1, 0x7, "bad_area_access_error force_sig_fault",
	  "handle_mm_fault", NULL },
	{ "exec_non_exec", 1, 0x15, "bad_area_access_error force_sig_fault",
	  "handle_mm_fault", NULL },
	{ "kernel_mode_fault", 1, 0x2, "handle_mm_fault do_fault __do_fault faultdemo_fault",
	  "faultdemo_map_pages fixup_exception", "do_cow_fault" },
	{ "exception_fixup", -1, 0x2, "bad_area_nosemaphore fixup_exception",
	  "handle_mm_fault force_sig_fault", "vmalloc_fault" },
	{ "swap_in", 1, 0x4, "handle_mm_fault do_swap_page", "do_fault faultdemo_fault", NULL },
};

/* The kernel's available_filter_functions, read once. */
static char *filter_functions;

static const char *tracefs_dir(void)
{
	return fdemo_tracefs();
}

/* Can the running kernel trace @func? Module functions carry " [mod]". */
static bool traceable(const char *func)
{
	char needle[96];
	const char *p;
	size_t n;

	if (!filter_functions) {
		const char *dir = tracefs_dir();
		size_t len = 1, cap = 1 << 20;
		char path[256], *buf;
		ssize_t k;
		int fd;

		if (!dir)
			return false;
		snprintf(path, sizeof(path), "%s/available_filter_functions", dir);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		buf = malloc(cap);
		if (fd < 0 || !buf) {
			free(buf);
			if (fd >= 0)
				close(fd);
			return false;
		}
		buf[0] = '\n';	/* every name follows a newline */
		while ((k = read(fd, buf + len, cap - len - 1)) > 0) {
			len += k;
			if (cap - len < 4096) {
				char *more = realloc(buf, 2 * cap);

				if (!more)
					break;
				buf = more;
				cap *= 2;
			}
		}
		buf[len] = '\0';
		close(fd);
		filter_functions = buf;
	}
	n = snprintf(needle, sizeof(needle), "\n%s", func);
	for (p = filter_functions; (p = strstr(p, needle)); p += n)
		if (p[n] == '\n' || p[n] == ' ')
			return true;
	return false;
}

/* Is a traceable alternative of @alts ("a|b") among @funcs (" a b c ")? */
static int graph_has(const char *funcs, const char *alts)
{
	char copy[128], word[96], *alt, *save;
	bool any = false;

	snprintf(copy, sizeof(copy), "%s", alts);
	for (alt = strtok_r(copy, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
		if (!traceable(alt))
			continue;
		any = true;
		snprintf(word, sizeof(word), " %s ", alt);
		if (strstr(funcs, word))
			return 1;
	}
	return any ? 0 : -1;	/* -1: this kernel cannot show it */
}

static void check_trace_row(struct __test_metadata *_metadata, const struct jrow *row,
			    const struct trace_expect *e, bool graph)
{
	const char *funcs = get_str(row, "trace_functions");
	const char *seeds = get_str(row, "trace_seeds");
	char list[300], *tok, *save;
	long long n = get_num(row, "trace_faults");

	EXPECT_EQ(1, get_bool(row, "trace_recorded")) TH_LOG("%s", e->scenario);
	EXPECT_TRUE(e->faults < 0 ? n >= -e->faults : n == e->faults)
		TH_LOG("%s: %lld exceptions, want %s%d", e->scenario, n,
		       e->faults < 0 ? ">= " : "", e->faults < 0 ? -e->faults : e->faults);
	if (e->err >= 0) {
		EXPECT_EQ(e->err, get_num(row, "trace_error_code"))
			TH_LOG("%s: error code 0x%llx", e->scenario,
			       get_num(row, "trace_error_code"));
		EXPECT_EQ(!(e->err & 4), get_num(row, "trace_kernel_mode"))
			TH_LOG("%s", e->scenario);
	}
	if (!graph)
		return;
	EXPECT_EQ(1, get_bool(row, "trace_graph")) TH_LOG("%s", e->scenario);
	ASSERT_NE(NULL, funcs);
	snprintf(list, sizeof(list), "%s", e->calls ? e->calls : "");
	/* braces: TH_LOG() is a statement of its own after EXPECT_*() */
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		EXPECT_NE(0, graph_has(funcs, tok))
			TH_LOG("%s: no %s in the graph:%s", e->scenario, tok, funcs);
	}
	snprintf(list, sizeof(list), "%s", e->no_calls ? e->no_calls : "");
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		EXPECT_NE(1, graph_has(funcs, tok))
			TH_LOG("%s: %s in the graph:%s", e->scenario, tok, funcs);
	}
	snprintf(list, sizeof(list), "%s", e->seeds ? e->seeds : "");
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (traceable(tok))
			continue;
		EXPECT_NE(NULL, seeds && strstr(seeds, tok) ? seeds : NULL)
			TH_LOG("%s: %s is not traceable, and the row does not say so: %s",
			       e->scenario, tok, seeds ? seeds : "null");
	}
}

/* Are the events and the function graph there to be had? */
static void trace_prerequisites(bool *events, bool *graph)
{
	const char *dir = tracefs_dir();
	char path[256], buf[256] = "";

	*events = *graph = false;
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/events/exceptions/page_fault_user", dir);
	*events = !access(path, F_OK);
	snprintf(path, sizeof(path), "%s/available_tracers", dir);
	*graph = *events && fdemo_read_file(path, buf, sizeof(buf)) >= 0 &&
		 strstr(buf, "function_graph");
}

static void tracefs_state(char *buf, size_t len);

FIXTURE(tour)
{
	const char *tool;
};

FIXTURE_SETUP(tour)
{
	self->tool = getenv("FAULTDEMO_TOOL");
	if (!self->tool || !*self->tool)
		SKIP(return, "FAULTDEMO_TOOL is not set (path of the faultdemo program)");
	ASSERT_EQ(0, access(self->tool, X_OK))
		TH_LOG("%s: %s", self->tool, strerror(errno));
}

FIXTURE_TEARDOWN(tour)
{
}

TEST_F_TIMEOUT(tour, json, 150)
{
	static const char * const args[] = { "tour", "--json", NULL };
	static struct jrow rows[J_MAX_ROWS];
	static char before[8192], after[8192];
	bool swap_setup, events, graph;
	const struct jrow *row;
	char err[200];
	struct run r;
	size_t i;
	int n, k;

	swap_setup = getenv("FAULTDEMO_SETUP_SWAP") &&
		     !strcmp(getenv("FAULTDEMO_SETUP_SWAP"), "1");
	/* Only the tour needs the module, with its default parameters. */
	k = fdemo_set_defaults();
	ASSERT_EQ(0, k) TH_LOG("module not usable: %s", strerror(-k));
	tracefs_state(before, sizeof(before));
	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	if (r.err[0])
		TH_LOG("stderr: %s", r.err);
	EXPECT_EQ(0, r.status) TH_LOG("exit status %d", r.status);
	/* the kernel's account was taken and put away */
	tracefs_state(after, sizeof(after));
	EXPECT_STREQ(before, after);

	n = scan_rows(r.out, rows, J_MAX_ROWS, err, sizeof(err));
	ASSERT_LE(1, n) TH_LOG("bad JSON: %s", n < 0 ? err : "empty array");

	EXPECT_EQ(ARRAY_SIZE(row_table), n) TH_LOG("rows the test does not know");
	for (i = 0; i < ARRAY_SIZE(row_table); i++) {
		const struct row_expect *e = &row_table[i];
		const char *st, *why;

		row = find_row(rows, n, e->scenario);
		EXPECT_TRUE(!!row) TH_LOG("scenario %s missing", e->scenario);
		if (!row)
			continue;
		st = get_str(row, "status");
		why = get_str(row, "reason");
		ASSERT_NE(NULL, st) TH_LOG("%s has no status", e->scenario);
		if (!strcmp(st, "skip")) {
			/* with FAULTDEMO_SETUP_SWAP=1 swap_in must run */
			bool may = skip_allowed(e->skip_if, why) &&
				   !(swap_setup && !strcmp(e->scenario, "swap_in"));

			EXPECT_TRUE(may)
				TH_LOG("%s skipped: %s", e->scenario, why ? why : "?");
			continue;
		}
		EXPECT_TRUE(!!e->checks[0])
			TH_LOG("%s ran (%s), expected a skip", e->scenario, st);
		EXPECT_STREQ("ok", st) TH_LOG("%s: %s", e->scenario, why ? why : "");
		check_row(_metadata, row, e);
	}

	for (i = 0; i < ARRAY_SIZE(sig_rows); i++) {
		const struct sig_expect *e = &sig_rows[i];
		const char *st, *v;

		row = find_row(rows, n, e->scenario);
		if (!row)
			continue;	/* reported in the row table's loop */
		st = get_str(row, "status");
		if (st && !strcmp(st, "skip"))
			continue;	/* checked above */
		EXPECT_STREQ("ok", st ? st : "?") TH_LOG("%s", e->scenario);
		v = get_str(row, "signal");
		EXPECT_STREQ(e->signal, v ? v : "null") TH_LOG("%s", e->scenario);
		v = get_str(row, "si_code_name");
		EXPECT_STREQ(e->code, v ? v : "null") TH_LOG("%s", e->scenario);
		EXPECT_EQ(1, get_num(row, "si_addr_ok")) TH_LOG("%s", e->scenario);
		EXPECT_EQ(14, get_num(row, "trapno")) TH_LOG("%s", e->scenario);
		EXPECT_EQ(e->prot, get_num(row, "err_prot")) TH_LOG("%s", e->scenario);
		EXPECT_EQ(e->write, get_num(row, "err_write")) TH_LOG("%s", e->scenario);
		EXPECT_EQ(1, get_num(row, "err_user")) TH_LOG("%s", e->scenario);
		EXPECT_EQ(0, get_num(row, "err_rsvd")) TH_LOG("%s", e->scenario);
		EXPECT_EQ(e->instr, get_num(row, "err_instr")) TH_LOG("%s", e->scenario);
		/* error_code must agree with the bits decoded from it */
		EXPECT_EQ(e->prot | e->write << 1 | 1 << 2 | e->instr << 4,
			  get_num(row, "error_code")) TH_LOG("%s", e->scenario);
	}

	/* The one device counter the brief of each SIGBUS row names. */
	row = find_row(rows, n, "past_end");
	if (row)
		EXPECT_EQ(1, get_num(row, "sigbus"));

	/* The kernel's account, where the kernel can give it. */
	trace_prerequisites(&events, &graph);
	if (!events)
		TH_LOG("no exceptions:page_fault_* events: the kernel's account is not checked");
	for (i = 0; events && i < ARRAY_SIZE(trace_table); i++) {
		const struct trace_expect *e = &trace_table[i];
		const char *st;

		row = find_row(rows, n, e->scenario);
		EXPECT_TRUE(!!row) TH_LOG("scenario %s missing", e->scenario);
		if (!row)
			continue;
		st = get_str(row, "status");
		if (st && !strcmp(st, "skip"))
			continue;	/* checked above */
		check_trace_row(_metadata, row, e, graph);
	}
	run_free(&r);
}

/*
 * With folio_order=9 the pmd_fault row runs: one fault maps 2 MiB, by the
 * kernel's own account (smaps, vmstat, pagemap). An unknown row name is a
 * usage error.
 */
TEST_F_TIMEOUT(tour, pmd_row_maps_2m_with_one_fault, 60)
{
	static const char * const args[] = { "tour", "--json", "--only", "pmd_fault", NULL };
	static const char * const bad[] = { "tour", "--only", "no_such_row", NULL };
	static struct jrow rows[J_MAX_ROWS];
	const struct jrow *row;
	char err[200];
	struct run r;
	int n;

	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set: cannot reload with folio_order=9");
	if (!fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");
	ASSERT_EQ(0, fdemo_reload("folio_order=9"));
	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	EXPECT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = scan_rows(r.out, rows, J_MAX_ROWS, err, sizeof(err));
	ASSERT_EQ(1, n) TH_LOG("%s", n < 0 ? err : "not one row");
	row = find_row(rows, n, "pmd_fault");
	ASSERT_NE(NULL, row);
	EXPECT_STREQ("ok", get_str(row, "status")) TH_LOG("%s", get_str(row, "reason"));
	EXPECT_EQ(1, get_num(row, "minflt"));
	EXPECT_EQ(512, get_num(row, "present"));
	EXPECT_EQ(2048, get_num(row, "file_pmd_mapped_kb"));
	EXPECT_EQ(1, get_num(row, "thp_file_mapped"));
	EXPECT_EQ(512, get_num(row, "folio_pages"));
	EXPECT_EQ(1, get_num(row, "fault_pmd"));
	{
		static const struct trace_expect pmd = {
			"pmd_fault", 1, 0x4,
			"do_fault __do_fault faultdemo_fault finish_fault do_set_pmd",
			"do_set_pte set_pte_range", NULL,
		};
		bool events, graph;

		trace_prerequisites(&events, &graph);
		if (events)
			check_trace_row(_metadata, row, &pmd, graph);
	}
	run_free(&r);

	ASSERT_EQ(0, run_tool(self->tool, bad, &r));
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no_such_row")) TH_LOG("stderr: %s", r.err);
	run_free(&r);
	EXPECT_EQ(0, fdemo_reload(""));
}

/*
 * With large folios (folio_order=4 and 9) every row still holds: a cold
 * read's folio may hold the read-ahead window, and clean counts a folio's
 * pages. Without the kernel trace: its checks are the json test's.
 */
TEST_F_TIMEOUT(tour, every_row_holds_with_large_folios, 150)
{
	static const char * const args[] = { "tour", "--no-trace", NULL };
	static const char * const orders[] = { "folio_order=4", "folio_order=9" };
	struct run r;
	size_t i;

	if (!fdemo_ko())
		SKIP(return, "FAULTDEMO_KO not set: cannot reload with folio_order");
	if (!fdemo_have_thp())
		SKIP(return, FDEMO_NO_THP ": no large folios");
	for (i = 0; i < ARRAY_SIZE(orders); i++) {
		ASSERT_EQ(0, fdemo_reload(orders[i]));
		ASSERT_EQ(0, run_tool(self->tool, args, &r));
		EXPECT_EQ(0, r.status) TH_LOG("%s: %s", orders[i], r.out);
		EXPECT_EQ(NULL, strstr(r.out, "MISMATCH")) TH_LOG("%s", orders[i]);
		run_free(&r);
	}
	EXPECT_EQ(0, fdemo_reload(""));
}

TEST_F(tour, unknown_command)
{
	static const char * const args[] = { "no-such-command", NULL };
	struct run r;

	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	EXPECT_EQ(2, r.status);
	EXPECT_NE(0, strlen(r.err)) TH_LOG("no message on stderr");
	EXPECT_NE(NULL, strstr(r.err, "no-such-command")) TH_LOG("stderr: %s", r.err);
	EXPECT_EQ(0, strlen(r.out)) TH_LOG("stdout: %s", r.out);
	run_free(&r);
}

TEST_F(tour, bad_numbers_and_options)
{
	static const char * const cases[][4] = {
		{ "clean", "12x", NULL },
		{ "clean", "0", "-1", NULL },
		{ "stats", "--count", "zero", NULL },
		{ "stats", "--watch", "-3", NULL },
		{ "tour", "--frobnicate", NULL },
		{ "info", "extra", NULL },
	};
	struct run r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		ASSERT_EQ(0, run_tool(self->tool, cases[i], &r));
		EXPECT_EQ(2, r.status) TH_LOG("%s %s: exit %d", cases[i][0], cases[i][1],
					      r.status);
		EXPECT_NE(0, strlen(r.err)) TH_LOG("%s %s: no message", cases[i][0],
						   cases[i][1]);
		run_free(&r);
	}
}

TEST_F(tour, version_and_help)
{
	static const char * const version[] = { "--version", NULL };
	static const char * const help[] = { "help", NULL };
	struct run r;

	ASSERT_EQ(0, run_tool(self->tool, version, &r));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(0, strncmp(r.out, "faultdemo ", 10)) TH_LOG("stdout: %s", r.out);
	run_free(&r);

	ASSERT_EQ(0, run_tool(self->tool, help, &r));
	EXPECT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "tour"));
	run_free(&r);
}

TEST_F(tour, stats_count)
{
	static const char * const args[] = { "stats", "--watch", "0.1", "--count", "2", NULL };
	struct run r;
	int blocks = 0, ret;
	char *p;

	ret = fdemo_set_defaults();
	ASSERT_EQ(0, ret) TH_LOG("module not usable: %s", strerror(-ret));
	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	EXPECT_EQ(0, r.status);
	for (p = r.out; (p = strstr(p, "fault_read")); p++)
		blocks++;
	EXPECT_EQ(2, blocks) TH_LOG("stdout: %s", r.out);
	run_free(&r);
}

/* ---- faultdemo trace ---- */

/*
 * The script of known faults: this program, re-executed with
 * FAULTDEMO_TRACE_SCRIPT=1, takes these faults on the device in this
 * order (the pages are read into the page cache first, so that each takes
 * the same path whatever the tests before left there). @page -1: the
 * first page past the data area. In between it takes faults that only
 * --all shows: on an anonymous page at SCRIPT_ANON, and on anonymous
 * pages mapped where two mappings of the device were (munmap() then
 * mmap(), and mmap(MAP_FIXED) over one).
 */
static const struct {
	long page;
	const char *mode;
	long err;
	const char *path;
	const char *kind;
} script_faults[] = {
	{ 3, "user", 0x4, "fault-around", "minor" },		/* load, MAP_SHARED */
	{ 5, "user", 0x6, "COW fault", "minor" },		/* store, MAP_PRIVATE */
	{ 6, "user", 0x6, "shared write fault", "minor" },	/* store, MAP_SHARED */
	{ 6, "user", 0x7, "write to a clean shared page", "minor" },	/* after CLEAN */
	{ 9, "kernel", 0x2, "COW fault", "minor" },		/* read() into MAP_PRIVATE */
	/* no handler runs: only the faultdemo_mmap event places these */
	{ 12, "user", 0x6, "SIGSEGV", "-" },			/* store, PROT_READ */
	{ 13, "user", 0x6, "SIGSEGV", "-" },			/* ... mapped by a thread */
	{ -1, "user", 0x4, "SIGBUS", "-" },			/* load past the end */
};

#define SCRIPT_ANON	0x3f0000000000UL

/* A thread maps the device: its mapping is the whole process's. */
static void *script_thread(void *fd)
{
	void *p = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ, MAP_SHARED, *(int *)fd,
		       13 * sysconf(_SC_PAGESIZE));

	return p == MAP_FAILED ? NULL : p;
}

static sigjmp_buf script_env;

static void script_signal(int sig)
{
	siglongjmp(script_env, sig);
}

static int run_script(void)
{
	const size_t ps = sysconf(_SC_PAGESIZE);
	static const int cached[] = { 3, 5, 6, 9, 11 };
	struct faultdemo_clean c = { 0 };
	struct faultdemo_geometry g;
	unsigned char b, *p, *p3, *p5;
	pthread_t th;
	size_t i;
	int fd;

	fd = open("/dev/faultdemo", O_RDWR | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, FAULTDEMO_IOC_GET_GEOMETRY, &g))
		return 10;
	for (i = 0; i < ARRAY_SIZE(cached); i++)
		if (pread(fd, &b, 1, cached[i] * ps) != 1)
			return 11;
	p3 = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 3 * ps);
	if (p3 == MAP_FAILED)
		return 12;
	b = __atomic_load_n(p3, __ATOMIC_RELAXED);
	p5 = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 5 * ps);
	if (p5 == MAP_FAILED)
		return 13;
	__atomic_store_n(p5, b, __ATOMIC_RELAXED);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 6 * ps);
	if (p == MAP_FAILED || pread(fd, &b, 1, 6 * ps) != 1)
		return 14;
	__atomic_store_n(p, b, __ATOMIC_RELAXED);	/* the byte there: data kept */
	c.offset = 6 * ps;
	c.length = ps;
	if (ioctl(fd, FAULTDEMO_IOC_CLEAN, &c))
		return 15;
	__atomic_store_n(p, b, __ATOMIC_RELAXED);
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 9 * ps);
	if (p == MAP_FAILED || pread(fd, p, ps, 11 * ps) != (ssize_t)ps)
		return 16;
	/* anonymous memory, also where the device was mapped: not shown */
	p = mmap((void *)SCRIPT_ANON, ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)SCRIPT_ANON)
		return 17;
	__atomic_store_n(p, 1, __ATOMIC_RELAXED);
	if (munmap(p5, ps) ||
	    mmap(p5, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 -1, 0) != p5)
		return 20;
	__atomic_store_n(p5, 1, __ATOMIC_RELAXED);
	if (mmap(p3, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0) != p3)
		return 21;
	__atomic_store_n(p3, 1, __ATOMIC_RELAXED);
	signal(SIGSEGV, script_signal);
	signal(SIGBUS, script_signal);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 12 * ps);
	if (p == MAP_FAILED)
		return 18;
	if (!sigsetjmp(script_env, 1))
		__atomic_store_n(p, b, __ATOMIC_RELAXED);
	if (pthread_create(&th, NULL, script_thread, &fd) ||
	    pthread_join(th, (void **)&p) || !p)
		return 22;
	if (!sigsetjmp(script_env, 1))
		__atomic_store_n(p, b, __ATOMIC_RELAXED);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, g.size);
	if (p == MAP_FAILED)
		return 19;
	if (!sigsetjmp(script_env, 1))
		b = __atomic_load_n(p, __ATOMIC_RELAXED);
	return 0;
}

__attribute__((constructor)) static void maybe_run_script(void)
{
	const char *v = getenv("FAULTDEMO_TRACE_SCRIPT");

	if (v && !strcmp(v, "1"))
		_exit(run_script());
}

/* Copy @from to a new file @to of mode @mode; 0 or -errno. */
static int copy_file(const char *from, const char *to, mode_t mode)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out, ret = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -errno;
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			ret = -EIO;
			break;
		}
	if (n < 0)
		ret = -errno;
	close(in);
	if (close(out) && !ret)
		ret = -errno;
	return ret ?: (chmod(to, mode) ? -errno : 0);
}

/* The faults array of a trace --json report, as rows. */
static int scan_faults(const char *out, struct jrow *rows, int max, char *err, size_t len)
{
	const char *start = strstr(out, "\"faults\": [");
	const char *end = strrchr(out, ']');
	char *copy;
	int n;

	if (!start || !end || end < start) {
		snprintf(err, len, "no \"faults\" array");
		return -1;
	}
	start += strlen("\"faults\": ");
	copy = strndup(start, end - start + 1);
	if (!copy)
		return -1;
	n = scan_rows(copy, rows, max, err, len);
	free(copy);
	return n;
}

/*
 * The tracefs settings a trace may touch, and the instances: what must be
 * the same before and after. Top-level files absent here read "-".
 */
static void tracefs_state(char *buf, size_t len)
{
	static const char * const files[] = {
		"current_tracer", "tracing_on", "set_ftrace_filter", "set_graph_function",
		"set_ftrace_pid", "set_event_pid", "options/function-fork",
		"options/event-fork", "options/funcgraph-proc", "options/funcgraph-abstime",
		"options/funcgraph-tail", "options/funcgraph-irqs", "events/enable",
		"events/exceptions/enable", "events/faultdemo/enable",
		"events/raw_syscalls/enable", "events/signal/signal_generate/enable",
		"events/sched/sched_process_fork/enable",
	};
	const char *dir = tracefs_dir();
	char path[300], val[256];
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	buf[0] = '\0';
	if (!dir)
		return;
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (fdemo_read_file(path, val, sizeof(val)) < 0)
			snprintf(val, sizeof(val), "-");
		n += snprintf(buf + n, n < len ? len - n : 0, "%s=%s\n", files[i], val);
	}
	snprintf(path, sizeof(path), "%s/instances", dir);
	d = opendir(path);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n += snprintf(buf + n, n < len ? len - n : 0, "instance %s\n", de->d_name);
	if (d)
		closedir(d);
}

/* Wait up to @ms for tracefs to be (@same) or not be like @want. */
static bool wait_state(const char *want, bool same, int ms)
{
	static char now[8192];

	for (; ms > 0; ms -= 20) {
		tracefs_state(now, sizeof(now));
		if (!strcmp(now, want) == same)
			return true;
		usleep(20000);
	}
	return false;
}

FIXTURE(trace_cmd)
{
	const char *tool;
	char before[8192];
};

FIXTURE_SETUP(trace_cmd)
{
	bool events, graph;
	int ret;

	self->tool = getenv("FAULTDEMO_TOOL");
	if (!self->tool || !*self->tool)
		SKIP(return, "FAULTDEMO_TOOL is not set (path of the faultdemo program)");
	trace_prerequisites(&events, &graph);
	if (!events)
		SKIP(return, "no tracefs or no exceptions:page_fault_* events");
	ret = fdemo_set_defaults();
	ASSERT_EQ(0, ret) TH_LOG("module not usable: %s", strerror(-ret));
	tracefs_state(self->before, sizeof(self->before));
}

FIXTURE_TEARDOWN(trace_cmd)
{
}

/* Every fault of the script, in order, as the kernel reported it. */
TEST_F_TIMEOUT(trace_cmd, reports_each_known_fault, 120)
{
	static struct jrow faults[J_MAX_ROWS];
	char self_exe[256], err[200], now[8192];
	const char * const args[] = { "trace", "--json", "--", self_exe, NULL };
	const char * const all[] = { "trace", "--json", "--all", "--", self_exe, NULL };
	struct faultdemo_geometry g;
	bool anon = false, events, graph;
	const char *line;
	struct run r;
	size_t i;
	ssize_t k;
	int n, fd;

	k = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	ASSERT_LT(0, k);
	self_exe[k] = '\0';
	fd = fdemo_open(O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fdemo_geometry(fd, &g));
	close(fd);
	setenv("FAULTDEMO_TRACE_SCRIPT", "1", 1);
	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	EXPECT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = scan_faults(r.out, faults, J_MAX_ROWS, err, sizeof(err));
	ASSERT_EQ(ARRAY_SIZE(script_faults), n) TH_LOG("%s: %s", n < 0 ? err : "count", r.out);
	for (i = 0; i < ARRAY_SIZE(script_faults); i++) {
		const struct jrow *f = &faults[i];
		long long off = script_faults[i].page < 0 ? (long long)g.size :
				script_faults[i].page * (long long)fdemo_page_size();

		EXPECT_EQ(off, get_num(f, "device_offset")) TH_LOG("fault %zu", i);
		EXPECT_STREQ(script_faults[i].mode, get_str(f, "mode")) TH_LOG("fault %zu", i);
		EXPECT_EQ(script_faults[i].err, get_num(f, "error_code")) TH_LOG("fault %zu", i);
		EXPECT_STREQ(script_faults[i].path, get_str(f, "path")) TH_LOG("fault %zu", i);
		EXPECT_STREQ(script_faults[i].kind, get_str(f, "kind")) TH_LOG("fault %zu", i);
	}
	run_free(&r);

	/* --all: the script's anonymous page too (its path needs the graph) */
	trace_prerequisites(&events, &graph);
	ASSERT_EQ(0, run_tool(self->tool, all, &r));
	unsetenv("FAULTDEMO_TRACE_SCRIPT");
	EXPECT_EQ(0, r.status);
	/* one fault per line: the line of the fault at SCRIPT_ANON */
	snprintf(err, sizeof(err), "\"address\": %lu,", SCRIPT_ANON);
	line = strstr(r.out, err);
	if (line) {
		const char *start = line, *end = strchr(line, '\n');
		static char one[65536];

		while (start > r.out && start[-1] != '\n')
			start--;
		if (end && end[-1] == ',')
			end--;
		snprintf(one, sizeof(one), "[%.*s]", end ? (int)(end - start) : 0, start);
		n = scan_rows(one, faults, 1, err, sizeof(err));
		ASSERT_EQ(1, n) TH_LOG("%s: %s", err, one);
		anon = true;
		EXPECT_EQ(0x6, get_num(&faults[0], "error_code"));
		EXPECT_EQ(-1, get_num(&faults[0], "device_offset"));
		EXPECT_STREQ("user", get_str(&faults[0], "mode"));
		if (graph)
			EXPECT_STREQ("anonymous page", get_str(&faults[0], "path"));
	}
	EXPECT_TRUE(anon) TH_LOG("no fault at 0x%lx with --all", SCRIPT_ANON);
	run_free(&r);
	tracefs_state(now, sizeof(now));
	EXPECT_STREQ(self->before, now);
}

/*
 * The example program of the README. What it leaves mapped depends on
 * what was cached before it ran, but four of its faults do not: the first
 * load (page 0), the store through its private mapping (page 2), the
 * first store to page 48, and the store after FAULTDEMO_IOC_CLEAN (page 3).
 */
TEST_F_TIMEOUT(trace_cmd, example_program, 120)
{
	static const struct {
		long page;
		long err;
		const char *path;	/* NULL: either of the two read paths */
		bool last;
	} want[] = {
		{ 0, 0x4, NULL, false },
		{ 2, 0x6, "COW fault", false },
		{ 48, 0x6, "shared write fault", false },
		{ 3, 0x7, "write to a clean shared page", true },
	};
	static struct jrow faults[J_MAX_ROWS];
	const char *example = getenv("FAULTDEMO_EXAMPLE");
	const char * const args[] = { "trace", "--json", "--", example, NULL };
	const long long ps = fdemo_page_size();
	char err[200];
	struct run r;
	size_t i;
	int n, k;

	if (!example || access(example, X_OK))
		SKIP(return, "FAULTDEMO_EXAMPLE is not set (tools/example/fault_paths)");
	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	EXPECT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = scan_faults(r.out, faults, J_MAX_ROWS, err, sizeof(err));
	ASSERT_LE(4, n) TH_LOG("%s", n < 0 ? err : r.out);
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct jrow *f = NULL;
		const char *path;

		/* the first fault at that offset, or the last fault of all */
		for (k = 0; k < n && !f; k++)
			if (get_num(&faults[k], "device_offset") == want[i].page * ps)
				f = &faults[k];
		if (want[i].last)
			f = &faults[n - 1];
		ASSERT_NE(NULL, f) TH_LOG("no fault at page %ld: %s", want[i].page, r.out);
		path = get_str(f, "path");
		EXPECT_EQ(want[i].page * ps, get_num(f, "device_offset"))
			TH_LOG("page %ld", want[i].page);
		EXPECT_EQ(want[i].err, get_num(f, "error_code")) TH_LOG("page %ld", want[i].page);
		EXPECT_STREQ("user", get_str(f, "mode"));
		/* no path given: either read path */
		EXPECT_TRUE(path && (want[i].path ? !strcmp(path, want[i].path) :
				     !strcmp(path, "read fault") || !strcmp(path, "fault-around")))
			TH_LOG("page %ld: %s", want[i].page, path);
	}
	run_free(&r);
}

/* No program, one that cannot run, one that crashes, no rights, no tracefs. */
TEST_F_TIMEOUT(trace_cmd, bad_input, 120)
{
	static const struct {
		const char *args[6];
		enum run_as how;
		int status;
		const char *err;
	} cases[] = {
		{ { "trace", NULL }, RUN_ROOT, 2, "no program" },
		{ { "trace", "--", NULL }, RUN_ROOT, 2, "no program" },
		{ { "trace", "--bogus", "--", "true", NULL }, RUN_ROOT, 2, "--bogus" },
		{ { "trace", "--", "/nonexistent/program", NULL }, RUN_ROOT, 127,
		  "cannot run '/nonexistent/program'" },
		{ { "trace", "--", "sh", "-c", "kill -SEGV $$", NULL }, RUN_ROOT, 128 + SIGSEGV,
		  "killed by signal 11" },
		{ { "trace", "--", "sh", "-c", "exit 3", NULL }, RUN_ROOT, 3, NULL },
		{ { "trace", "--", "true", NULL }, RUN_NOBODY, 1, "needs root" },
		{ { "trace", "--", "true", NULL }, RUN_NO_TRACEFS, 1, "no tracefs" },
	};
	char now[8192], copy[64];
	struct run r;
	size_t i;

	/* a copy the user nobody can run (the tree may be under /root) */
	snprintf(copy, sizeof(copy), "/tmp/faultdemo_tool_%d", getpid());
	ASSERT_EQ(0, copy_file(self->tool, copy, 0755)) TH_LOG("%s", copy);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *tool = self->tool;

		if (cases[i].how == RUN_NOBODY)
			tool = copy;
		ASSERT_EQ(0, run_tool_as(tool, cases[i].args, cases[i].how, &r));
		EXPECT_EQ(cases[i].status, r.status) TH_LOG("case %zu: stderr: %s", i, r.err);
		if (cases[i].err)
			EXPECT_NE(NULL, strstr(r.err, cases[i].err))
				TH_LOG("case %zu: stderr: %s", i, r.err);
		run_free(&r);
		tracefs_state(now, sizeof(now));
		EXPECT_STREQ(self->before, now) TH_LOG("case %zu", i);
	}
	unlink(copy);
}

/*
 * The tour without tracefs: the same rows, without the kernel's account,
 * and one line that says why.
 */
TEST_F_TIMEOUT(trace_cmd, tour_without_tracefs, 60)
{
	static const char * const args[] = { "tour", "--json", "--only", "anon_write", NULL };
	static struct jrow rows[J_MAX_ROWS];
	char err[200];
	struct run r;
	int n;

	ASSERT_EQ(0, run_tool_as(self->tool, args, RUN_NO_TRACEFS, &r));
	EXPECT_EQ(0, r.status) TH_LOG("stderr: %s", r.err);
	n = scan_rows(r.out, rows, J_MAX_ROWS, err, sizeof(err));
	ASSERT_EQ(1, n) TH_LOG("%s", n < 0 ? err : r.out);
	EXPECT_STREQ("ok", get_str(&rows[0], "status"));
	EXPECT_EQ(0, get_bool(&rows[0], "trace_recorded"));
	EXPECT_EQ(-1, get_num(&rows[0], "trace_faults"));
	run_free(&r);
}

/*
 * Killing the traced program, interrupting faultdemo, killing faultdemo
 * with SIGKILL: tracefs ends up as it was every time (the last by the
 * guard process).
 */
TEST_F_TIMEOUT(trace_cmd, cleans_up_after_kills, 120)
{
	static const char * const killed[] = { "trace", "--", "sh", "-c", "kill -9 $$", NULL };
	char mark[64], script[128];
	const char * const sleeper[] = { "trace", "--", "sh", "-c", script, NULL };
	struct run r;
	int sig, ofd, efd, ms;
	pid_t pid;

	ASSERT_EQ(0, run_tool(self->tool, killed, &r));
	EXPECT_EQ(128 + SIGKILL, r.status) TH_LOG("stderr: %s", r.err);
	run_free(&r);
	EXPECT_TRUE(wait_state(self->before, true, 1000));

	/* the program says when it runs: tracing is set up by then */
	snprintf(mark, sizeof(mark), "/tmp/faultdemo_trace_test_%d", getpid());
	snprintf(script, sizeof(script), "echo $$ > %s; exec sleep 30", mark);
	for (sig = SIGINT; sig; sig = sig == SIGINT ? SIGKILL : 0) {
		memset(&r, 0, sizeof(r));
		unlink(mark);
		ofd = memfd_create("trace-out", MFD_CLOEXEC);
		efd = memfd_create("trace-err", MFD_CLOEXEC);
		ASSERT_LE(0, ofd);
		ASSERT_LE(0, efd);
		pid = start_tool(self->tool, sleeper, RUN_ROOT, ofd, efd);
		ASSERT_LT(0, pid);
		for (ms = 0; ms < 30000 && access(mark, F_OK); ms += 20)
			usleep(20000);
		EXPECT_EQ(0, access(mark, F_OK)) TH_LOG("the traced program never ran");
		EXPECT_TRUE(wait_state(self->before, false, 1000)) TH_LOG("tracefs unchanged");
		kill(pid, sig);
		ASSERT_EQ(0, finish_tool(pid, ofd, efd, &r));
		/* SIGINT: passed on to the program, which dies of it */
		EXPECT_EQ(128 + sig, r.status) TH_LOG("signal %d: stderr: %s", sig, r.err);
		if (sig == SIGINT)
			EXPECT_NE(NULL, strstr(r.out, "summary:")) TH_LOG("stdout: %s", r.out);
		EXPECT_TRUE(wait_state(self->before, true, 10000))
			TH_LOG("signal %d: tracefs not restored", sig);
		run_free(&r);
	}
	/* the sleep that faultdemo, killed, left behind: its pid is in the mark */
	if (fdemo_read_file(mark, script, sizeof(script)) >= 0 && atoi(script) > 1)
		kill(atoi(script), SIGKILL);
	unlink(mark);
}

TEST_HARNESS_MAIN

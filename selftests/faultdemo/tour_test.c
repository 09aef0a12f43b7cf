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
 * swap. Every row is checked against this test's own table.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
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
static int run_tool(const char *tool, const char *const args[], struct run *r)
{
	char *argv[16];
	int ofd, efd, status, i;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	argv[0] = (char *)tool;
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	ofd = memfd_create("tour-out", MFD_CLOEXEC);
	efd = memfd_create("tour-err", MFD_CLOEXEC);
	if (ofd < 0 || efd < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		dup2(ofd, STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		execv(tool, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	r->out = slurp(ofd);
	r->err = slurp(efd);
	close(ofd);
	close(efd);
	return r->out && r->err ? 0 : -ENOMEM;
}

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* ---- a small JSON scanner: an array of flat objects ---- */

enum jtype { J_STR, J_NUM, J_NULL, J_BOOL, J_NESTED };

#define J_MAX_KEYS	96
#define J_MAX_ROWS	64

struct jrow {
	int n;
	char key[J_MAX_KEYS][32];
	enum jtype type[J_MAX_KEYS];
	char str[J_MAX_KEYS][128];	/* strings, truncated */
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
	bool swap_setup;
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
	ASSERT_EQ(0, run_tool(self->tool, args, &r));
	if (r.err[0])
		TH_LOG("stderr: %s", r.err);
	EXPECT_EQ(0, r.status) TH_LOG("exit status %d", r.status);

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
	run_free(&r);

	ASSERT_EQ(0, run_tool(self->tool, bad, &r));
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no_such_row")) TH_LOG("stderr: %s", r.err);
	run_free(&r);
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

TEST_HARNESS_MAIN

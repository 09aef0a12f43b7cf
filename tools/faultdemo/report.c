// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) tour: judging a row against its checks, and printing the
 * rows as an aligned table or as JSON.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "probe.h"
#include "tour.h"

const struct tour_field_info tour_fields[TF_NR] = {
	[TF_MINFLT]		= { "minflt",		TK_COUNT, true },
	[TF_MAJFLT]		= { "majflt",		TK_COUNT, true },
	[TF_FAULTS]		= { "faults",		TK_COUNT, true },
	[TF_PRESENT_BEFORE]	= { "present_before",	TK_COUNT, false },
	[TF_PRESENT]		= { "present",		TK_DELTA, true },
	[TF_FAULT_READ]		= { "fault_read",	TK_DELTA, true },
	[TF_FAULT_COW]		= { "fault_cow",	TK_DELTA, true },
	[TF_FAULT_SHARED]	= { "fault_shared",	TK_DELTA, true },
	[TF_MAP_PAGES]		= { "map_pages",	TK_DELTA, true },
	[TF_PAGE_MKWRITE]	= { "page_mkwrite",	TK_DELTA, true },
	[TF_SIGBUS]		= { "sigbus",		TK_DELTA, true },
	[TF_READAHEAD]		= { "readahead",	TK_DELTA, true },
	[TF_FAULT_MAJOR]	= { "fault_major",	TK_DELTA, true },
	[TF_FAULT_RETRY]	= { "fault_retry",	TK_DELTA, true },
	[TF_PAGES_READ]		= { "pages_read",	TK_DELTA, true },
	[TF_PAGES_WRITTEN]	= { "pages_written",	TK_DELTA, true },
	[TF_PAGES_CACHED]	= { "pages_cached",	TK_DELTA, true },
	[TF_DEVICE_TOTAL]	= { "device_total",	TK_DELTA, true },
	[TF_FAULT_PMD]		= { "fault_pmd",	TK_DELTA, true },
	[TF_MAP_PAGES_PMD]	= { "map_pages_pmd",	TK_DELTA, true },
	[TF_EXCLUSIVE_BEFORE]	= { "exclusive_before",	TK_FLAG, false },
	[TF_EXCLUSIVE]		= { "exclusive",	TK_FLAG, false },
	[TF_FILE]		= { "file",		TK_FLAG, false },
	[TF_ZERO_PFN_SHARED]	= { "zero_pfn_shared",	TK_FLAG, false },
	[TF_PFN_CHANGED]	= { "pfn_changed",	TK_FLAG, false },
	[TF_RSS_KB]		= { "rss_kb",		TK_COUNT, false },
	[TF_VMA_PFNMAP]		= { "vma_pfnmap",	TK_FLAG, false },
	[TF_PRIVATE_REFUSED]	= { "private_refused",	TK_FLAG, false },
	[TF_SWAPPED_BEFORE]	= { "swapped_before",	TK_FLAG, false },
	[TF_SWAPPED]		= { "swapped",		TK_FLAG, false },
	[TF_DATA_OK]		= { "data_ok",		TK_FLAG, false },
	[TF_DEVICE_UNCHANGED]	= { "device_unchanged",	TK_FLAG, false },
	[TF_CLEANED]		= { "cleaned",		TK_COUNT, false },
	[TF_SECTORS_READ]	= { "sectors_read",	TK_DELTA, false },
	[TF_SECTORS_WRITTEN]	= { "sectors_written",	TK_DELTA, false },
	[TF_CACHED_BEFORE]	= { "cached_before",	TK_FLAG, false },
	[TF_REPROTECTED]	= { "reprotected",	TK_FLAG, false },
	[TF_FILE_PMD_MAPPED_KB]	= { "file_pmd_mapped_kb", TK_COUNT, false },
	[TF_THP_FILE_MAPPED]	= { "thp_file_mapped",	TK_DELTA, false },
	[TF_FOLIO_PAGES]	= { "folio_pages",	TK_COUNT, false },
	[TF_SIGNO]		= { "signo",		TK_SIGNO, false },
	[TF_SI_CODE]		= { "si_code",		TK_SICODE, false },
	[TF_SI_ADDR_OK]		= { "si_addr_ok",	TK_FLAG, false },
	[TF_TRAPNO]		= { "trapno",		TK_COUNT, false },
	[TF_ERROR_CODE]		= { "error_code",	TK_HEX, false },
	[TF_ERR_PROT]		= { "err_prot",		TK_FLAG, false },
	[TF_ERR_WRITE]		= { "err_write",	TK_FLAG, false },
	[TF_ERR_USER]		= { "err_user",		TK_FLAG, false },
	[TF_ERR_RSVD]		= { "err_rsvd",		TK_FLAG, false },
	[TF_ERR_INSTR]		= { "err_instr",	TK_FLAG, false },
	[TF_TRACE_FAULTS]	= { "trace_faults",	TK_COUNT, false },
	[TF_TRACE_ERROR_CODE]	= { "trace_error_code",	TK_HEX, false },
	[TF_TRACE_KERNEL_MODE]	= { "trace_kernel_mode", TK_FLAG, false },
	[TF_TRACE_MAJOR]	= { "trace_major",	TK_FLAG, false },
	[TF_TRACE_RETRY]	= { "trace_retry",	TK_FLAG, false },
	[TF_TRACE_RA_ORDER]	= { "trace_ra_order",	TK_COUNT, false },
	[TF_TRACE_RA_BIOS]	= { "trace_ra_bios",	TK_COUNT, false },
	[TF_SMALL_IN_HEAP]	= { "small_in_heap",	TK_FLAG, false },
	[TF_LARGE_MMAPPED]	= { "large_mmapped",	TK_FLAG, false },
	[TF_MMAP_THRESHOLD]	= { "mmap_threshold",	TK_COUNT, false },
	[TF_EFAULT]		= { "efault",		TK_FLAG, false },
};

void tour_row_init(struct tour_row *row, const char *scenario, const char *path)
{
	int i;

	memset(row, 0, sizeof(*row));
	row->scenario = scenario;
	row->path = path;
	for (i = 0; i < TF_NR; i++)
		row->ev[i] = EV_UNKNOWN;
	row->status = TS_OK;
}

void tour_expect(struct tour_row *row, enum tour_field f, enum tour_op op, long long v)
{
	if (row->nchecks < TOUR_MAX_CHECKS)
		row->checks[row->nchecks++] = (struct tour_check){ f, op, v };
}

static void set_reason(struct tour_row *row, const char *fmt, va_list ap)
{
	vsnprintf(row->reason, sizeof(row->reason), fmt, ap);
}

/*
 * The row cannot run here (no swap, no NX, ...): not a failure.
 * Returns 0, so that a row can end with "return tour_skip(...)".
 */
int tour_skip(struct tour_row *row, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(row, fmt, ap);
	va_end(ap);
	row->status = TS_SKIP;
	return 0;
}

/* Setting the row up failed: it proves nothing, so it cannot pass. */
int tour_fail(struct tour_row *row, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_reason(row, fmt, ap);
	va_end(ap);
	row->status = TS_MISMATCH;
	return 0;
}

static const char *fmt_value(const struct tour_row *row, enum tour_field f,
			     long long v, char *buf, size_t len)
{
	int signo;

	if (v == EV_UNKNOWN) {
		snprintf(buf, len, "?");
		return buf;
	}
	switch (tour_fields[f].kind) {
	case TK_DELTA:
		snprintf(buf, len, "%+lld", v);
		break;
	case TK_SIGNO:
		snprintf(buf, len, "%s", probe_sig_name((int)v));
		break;
	case TK_SICODE:
		/* si_code values mean something only together with a signal. */
		signo = row->ev[TF_SIGNO] != EV_UNKNOWN ? (int)row->ev[TF_SIGNO] : 0;
		for (int i = 0; !signo && i < row->nchecks; i++)
			if (row->checks[i].f == TF_SIGNO)
				signo = (int)row->checks[i].v;
		snprintf(buf, len, "%s", probe_code_name(signo, (int)v));
		break;
	case TK_HEX:
		snprintf(buf, len, "0x%llx", v);
		break;
	default:
		snprintf(buf, len, "%lld", v);
		break;
	}
	return buf;
}

static const char * const op_str[] = { [OP_EQ] = "=", [OP_GE] = ">=", [OP_LE] = "<=" };

static bool check_ok(const struct tour_check *c, long long v)
{
	if (v == EV_UNKNOWN)
		return false;
	switch (c->op) {
	case OP_EQ:
		return v == c->v;
	case OP_GE:
		return v >= c->v;
	case OP_LE:
		return v <= c->v;
	}
	return false;
}

static void append(char *buf, size_t len, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s%s", n ? " " : "", s);
}

/* Build the "expected" text and, unless already decided, the verdict. */
void tour_judge(struct tour_row *row)
{
	char val[64], item[160];
	int i;

	row->expected[0] = '\0';
	for (i = 0; i < row->nchecks; i++) {
		const struct tour_check *c = &row->checks[i];

		snprintf(item, sizeof(item), "%s%s%s", tour_fields[c->f].name,
			 op_str[c->op], fmt_value(row, c->f, c->v, val, sizeof(val)));
		append(row->expected, sizeof(row->expected), item);
	}
	if (row->status != TS_OK)
		return;
	for (i = 0; i < row->nchecks; i++) {
		const struct tour_check *c = &row->checks[i];
		long long v = row->ev[c->f];

		if (check_ok(c, v))
			continue;
		row->status = TS_MISMATCH;
		snprintf(item, sizeof(item), "%s is %s", tour_fields[c->f].name,
			 v == EV_UNKNOWN ? "not measured" :
			 fmt_value(row, c->f, v, val, sizeof(val)));
		if (row->reason[0])
			append(row->reason, sizeof(row->reason), ";");
		append(row->reason, sizeof(row->reason), item);
	}
	if (row->tr.problem[0]) {
		row->status = TS_MISMATCH;
		if (row->reason[0])
			append(row->reason, sizeof(row->reason), ";");
		append(row->reason, sizeof(row->reason), row->tr.problem);
	}
	if (row->status == TS_MISMATCH && row->reason[0]) {
		size_t n = strlen(row->reason);

		snprintf(row->reason + n, sizeof(row->reason) - n, " (expected %s)",
			 row->expected);
	}
}

static const char * const status_table[] = {
	[TS_OK] = "ok", [TS_MISMATCH] = "MISMATCH", [TS_SKIP] = "SKIP",
};

static const char * const status_json[] = {
	[TS_OK] = "ok", [TS_MISMATCH] = "mismatch", [TS_SKIP] = "skip",
};

#define COL_FMT	"%3s  %-26s %-9s %6s %6s %7s  %s\n"

void tour_print_header(FILE *f)
{
	fprintf(f, COL_FMT, "#", "SCENARIO", "STATUS", "MINFLT", "MAJFLT",
		"PRESENT", "DEVICE COUNTERS (change)");
}

static void counters_text(const struct tour_row *row, char *buf, size_t len)
{
	char item[64];
	bool known = false;
	int f;

	buf[0] = '\0';
	for (f = TF_FAULT_READ; f <= TF_PAGES_CACHED; f++) {
		if (row->ev[f] == EV_UNKNOWN)
			continue;
		known = true;
		if (!row->ev[f])
			continue;
		snprintf(item, sizeof(item), "%s%+lld", tour_fields[f].name, row->ev[f]);
		append(buf, len, item);
	}
	if (!buf[0])
		snprintf(buf, len, "%s", known ? "none" : "-");
}

/* Everything measured that has no column: pagemap bits, the signal... */
static void seen_text(const struct tour_row *row, char *buf, size_t len)
{
	char item[200], val[64], bits[96];
	int f;

	buf[0] = '\0';
	if (row->ev[TF_SIGNO] != EV_UNKNOWN && row->ev[TF_SIGNO]) {
		snprintf(item, sizeof(item), "%s/%s",
			 probe_sig_name((int)row->ev[TF_SIGNO]),
			 probe_code_name((int)row->ev[TF_SIGNO], (int)row->ev[TF_SI_CODE]));
		append(buf, len, item);
		if (row->ev[TF_SI_ADDR_OK] != EV_UNKNOWN)
			append(buf, len, row->ev[TF_SI_ADDR_OK] ?
			       "at the touched address," : "at ANOTHER address,");
		if (row->ev[TF_ERROR_CODE] != EV_UNKNOWN) {
			snprintf(item, sizeof(item), "error code 0x%llx (%s)",
				 row->ev[TF_ERROR_CODE],
				 probe_err_bits(row->ev[TF_ERROR_CODE], bits, sizeof(bits)));
			append(buf, len, item);
		}
	} else if (row->ev[TF_SIGNO] == 0) {
		append(buf, len, "no signal;");
	}
	for (f = 0; f < TF_NR; f++) {
		if (tour_fields[f].column || row->ev[f] == EV_UNKNOWN)
			continue;
		if (f == TF_SIGNO || f == TF_SI_CODE || f == TF_SI_ADDR_OK ||
		    f == TF_ERROR_CODE || (f >= TF_ERR_PROT && f <= TF_ERR_INSTR))
			continue;	/* in the decoded signal text */
		if (f >= TF_TRACE_FAULTS && f <= TF_TRACE_RETRY)
			continue;	/* in the "kernel:" line */
		snprintf(item, sizeof(item), "%s=%s", tour_fields[f].name,
			 fmt_value(row, f, row->ev[f], val, sizeof(val)));
		append(buf, len, item);
	}
	if (row->note[0])
		append(buf, len, row->note);
}

static const char *col(const struct tour_row *row, enum tour_field f, char *buf,
		       size_t len)
{
	if (row->ev[f] == EV_UNKNOWN)
		return "-";
	return fmt_value(row, f, row->ev[f], buf, len);
}

/* Two faults took the same calls. */
static bool same_graph(const struct kt_fault *a, const struct kt_fault *b)
{
	int i;

	if (a->ncalls != b->ncalls)
		return false;
	for (i = 0; i < a->ncalls; i++)
		if (strcmp(a->calls[i].name, b->calls[i].name) ||
		    a->calls[i].depth != b->calls[i].depth)
			return false;
	return true;
}

static void print_graph(FILE *f, const struct kt_fault *k, const char *label)
{
	int i, lines = 0;

	for (i = 0; i < k->ncalls; i++) {
		const struct kt_call *c = &k->calls[i];

		if (c->kind == KT_EXIT)
			continue;
		if (++lines > 40) {
			fprintf(f, "%14s...\n", "");
			break;
		}
		fprintf(f, "     %-8s%*s%s%s", lines == 1 ? label : "", 2 * c->depth, "",
			kt_call_retry(c) ? "(retry) " : "", c->name);
		if (c->repeat > 1)
			fprintf(f, " (x%u)", c->repeat);
		fputc('\n', f);
	}
}

static void print_kernel(FILE *f, const struct tour_row *row)
{
	const struct tour_trace *tr = &row->tr;
	char bits[128], label[16];
	int i, j;

	if (!tr->recorded)
		return;
	if (row->ev[TF_TRACE_FAULTS] <= 0) {
		fprintf(f, "     kernel: no page-fault exception on the step's addresses\n");
		return;
	}
	for (i = 0; i < tr->n; i++) {
		const struct kt_fault *k = &tr->faults[i];

		fprintf(f, "     kernel: %s fault%s, error code 0x%lx (%s)%s%s%s%s\n",
			k->kind == KT_KERNEL ? "kernel-mode" : "user-mode",
			tr->n > 1 ? "" : "", k->err, kt_err_bits(k->err, bits, sizeof(bits)),
			k->handler_text[0] ? ", handlers " : "", k->handler_text,
			k->passes > 1 ? ", retried" : "",
			k->signo ? ", then a signal" : "");
		for (j = 0; j < i && !same_graph(&tr->faults[j], k); j++)
			;
		if (j < i) {
			fprintf(f, "     graph:  the same as fault %d\n", j + 1);
			continue;
		}
		snprintf(label, sizeof(label), "graph:");
		print_graph(f, k, label);
	}
	if (row->ev[TF_TRACE_FAULTS] > tr->n)
		fprintf(f, "     kernel: %lld faults in all, the first %d shown\n",
			row->ev[TF_TRACE_FAULTS], tr->n);
	if (tr->checked[0])
		fprintf(f, "     graph expect: %s\n", tr->checked);
	if (tr->said[0])
		fprintf(f, "     seeds:  %s\n", tr->said);
}

void tour_print_row(FILE *f, int nr, const struct tour_row *row)
{
	char num[8], a[32], b[32], c[32], dev[256], seen[600];

	snprintf(num, sizeof(num), "%d", nr);
	counters_text(row, dev, sizeof(dev));
	fprintf(f, COL_FMT, num, row->scenario, status_table[row->status],
		col(row, TF_MINFLT, a, sizeof(a)), col(row, TF_MAJFLT, b, sizeof(b)),
		col(row, TF_PRESENT, c, sizeof(c)), dev);
	fprintf(f, "     did:    %s\n", row->action);
	fprintf(f, "     path:   %s\n", row->path);
	seen_text(row, seen, sizeof(seen));
	if (seen[0])
		fprintf(f, "     seen:   %s\n", seen);
	print_kernel(f, row);
	if (row->expected[0])
		fprintf(f, "     expect: %s\n", row->expected);
	if (row->status != TS_OK && row->reason[0])
		fprintf(f, "     %s %s\n", row->status == TS_SKIP ? "skip:  " : "WHY:   ",
			row->reason);
}

static void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
			break;
		}
	}
	fputc('"', f);
}

static void json_kv_str(FILE *f, const char *key, const char *val)
{
	fprintf(f, ", ");
	json_str(f, key);
	fprintf(f, ": ");
	if (val)
		json_str(f, val);
	else
		fputs("null", f);
}

/* Every function the row's faults called, once, in order of first call. */
static void called_functions(const struct tour_trace *tr, char *buf, size_t len)
{
	char word[KT_NAME_LEN + 2];
	size_t n;
	int i, c;

	/* " a b c ": each name between blanks, so a reader can strstr() it */
	snprintf(buf, len, " ");
	for (i = 0; i < tr->n; i++)
		for (c = 0; c < tr->faults[i].ncalls; c++) {
			const struct kt_call *k = &tr->faults[i].calls[c];

			snprintf(word, sizeof(word), " %s ", k->name);
			n = strlen(buf);
			if (k->kind != KT_EXIT && !strstr(buf, word) && n + strlen(word) < len)
				snprintf(buf + n, len - n, "%s", word + 1);
		}
}

/* The same as flat keys, for readers of flat objects (the selftests). */
static void json_flat_kernel(FILE *f, const struct tour_trace *tr)
{
	char funcs[1024];

	called_functions(tr, funcs, sizeof(funcs));
	fprintf(f, ", \"trace_recorded\": %s, \"trace_graph\": %s",
		tr->recorded ? "true" : "false", tr->graph ? "true" : "false");
	json_kv_str(f, "trace_functions", funcs);
	json_kv_str(f, "trace_seeds", tr->said);
}

static void json_kernel(FILE *f, const struct tour_trace *tr)
{
	char bits[128];
	int i, c, first;

	fprintf(f, ", \"kernel\": {\"recorded\": %s, \"graph\": %s",
		tr->recorded ? "true" : "false", tr->graph ? "true" : "false");
	json_kv_str(f, "graph_checked", tr->checked);
	json_kv_str(f, "graph_problem", tr->problem);
	json_kv_str(f, "seeds", tr->said);
	fputs(", \"faults\": [", f);
	for (i = 0; i < tr->n; i++) {
		const struct kt_fault *k = &tr->faults[i];

		fprintf(f, "%s{\"mode\": \"%s\", \"error_code\": %ld", i ? ", " : "",
			k->kind == KT_KERNEL ? "kernel" : "user", k->err);
		json_kv_str(f, "error_bits", kt_err_bits(k->err, bits, sizeof(bits)));
		json_kv_str(f, "handlers", k->handler_text);
		json_kv_str(f, "path", kt_fault_path(k));
		fprintf(f, ", \"passes\": %d, \"signal\": %d, \"calls\": [", k->passes,
			k->signo);
		for (c = 0, first = 1; c < k->ncalls; c++) {
			if (k->calls[c].kind == KT_EXIT)
				continue;
			fprintf(f, "%s{\"depth\": %d, \"pass\": %d, \"repeat\": %u, \"function\": ",
				first ? "" : ", ", k->calls[c].depth, k->calls[c].pass,
				k->calls[c].repeat);
			json_str(f, k->calls[c].name);
			fputc('}', f);
			first = 0;
		}
		fputs("]}", f);
	}
	fputs("]}", f);
}

void tour_print_json(FILE *f, const struct tour_row *rows, int n)
{
	char bits[96];
	int i, k;

	fputs("[\n", f);
	for (i = 0; i < n; i++) {
		const struct tour_row *row = &rows[i];
		long long signo = row->ev[TF_SIGNO], code = row->ev[TF_SI_CODE];
		long long err = row->ev[TF_ERROR_CODE];

		fputs("  {\"scenario\": ", f);
		json_str(f, row->scenario);
		json_kv_str(f, "action", row->action);
		json_kv_str(f, "path", row->path);
		json_kv_str(f, "status", status_json[row->status]);
		json_kv_str(f, "expected", row->expected);
		json_kv_str(f, "reason", row->reason);
		json_kv_str(f, "note", row->note);
		for (k = 0; k < TF_NR; k++) {
			fprintf(f, ", \"%s\": ", tour_fields[k].name);
			if (row->ev[k] == EV_UNKNOWN)
				fputs("null", f);
			else
				fprintf(f, "%lld", row->ev[k]);
		}
		json_kv_str(f, "signal", signo == EV_UNKNOWN ? NULL : probe_sig_name((int)signo));
		json_kv_str(f, "si_code_name", signo == EV_UNKNOWN || code == EV_UNKNOWN ?
			    NULL : probe_code_name((int)signo, (int)code));
		json_kv_str(f, "error_bits", err == EV_UNKNOWN ? NULL :
			    probe_err_bits(err, bits, sizeof(bits)));
		json_flat_kernel(f, &row->tr);
		json_kernel(f, &row->tr);
		fprintf(f, "}%s\n", i + 1 < n ? "," : "");
	}
	fputs("]\n", f);
}

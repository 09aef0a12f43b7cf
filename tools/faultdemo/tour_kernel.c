// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) tour: the kernel's account of each measured step (the
 * ktrace.c session), and the checks of it: the page-fault exceptions on
 * the step's own addresses and their error code, the functions the call
 * graph must and must not show, and what the row says about the seeds'
 * functions that this kernel inlines or no longer has.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "probe.h"
#include "tour.h"

/* One session for the whole tour, on our pid (and the fork row's child). */
void tour_kernel_open(struct tour_kernel *tk, bool want)
{
	memset(tk, 0, sizeof(*tk));
	if (!want) {
		snprintf(tk->why, sizeof(tk->why), "--no-trace");
		return;
	}
	if (ktrace_open(&tk->kt, "tour", true, 4096, tk->why, sizeof(tk->why)))
		return;
	tk->on = !ktrace_set_pid(&tk->kt, getpid());
	if (!tk->on) {
		snprintf(tk->why, sizeof(tk->why), "cannot set the pid filter");
		ktrace_close(&tk->kt);
	}
}

void tour_kernel_close(struct tour_kernel *tk)
{
	if (tk->on)
		ktrace_close(&tk->kt);
}

/* The header's line on the kernel's account. */
void tour_kernel_intro(const struct tour_kernel *tk)
{
	if (!tk->on)
		printf("kernel trace: off: %s\n", tk->why);
	else if (!tk->kt.graph)
		printf("kernel trace: %s; no call graph: %s\n",
		       "exceptions:page_fault_* and faultdemo:* events", tk->kt.no_graph);
	else
		printf("kernel trace: %s, function_graph in %s\n",
		       "exceptions:page_fault_* and faultdemo:* events",
		       tk->kt.instance ? "a tracefs instance" :
					 "the top-level tracefs (restored after)");
}

/* Clear the buffer and record: just before the step. */
void tour_kernel_begin(struct tour_kernel *tk)
{
	if (tk->on && ktrace_start(&tk->kt))
		ktrace_stop(&tk->kt);
}

/*
 * Keep the page faults of the step on [@lo, @lo + @len): the step's own
 * address range, so that nothing else the tour does in between counts.
 */
void tour_kernel_end(struct tour_kernel *tk, struct tour_row *row, const void *lo, size_t len)
{
	unsigned long start = (unsigned long)lo, end = start + (len ? len : 1);
	struct tour_trace *tr = &row->tr;
	long long count = 0, err = 0;
	bool kernel = false, major = false, retry = false;
	long long ra_order = -1, ra_bios = 0;
	struct kt_log log;
	int i;

	if (!tk->on)
		return;
	ktrace_stop(&tk->kt);
	if (ktrace_collect(&tk->kt, &log))
		return;
	tr->recorded = true;
	tr->graph = tk->kt.graph;
	for (i = 0; i < log.n; i++) {
		struct kt_fault *f = &log.faults[i];

		if (f->kind == KT_NO_EXCEPTION || f->addr < start || f->addr >= end)
			continue;
		err = !count || err == f->err ? f->err : -1;
		count++;
		kernel |= f->kind == KT_KERNEL;
		major |= !!(f->result & KT_VMF_MAJOR);
		retry |= f->passes > 1 || (f->result & KT_VMF_RETRY);
		if (f->ra_calls) {
			ra_order = f->ra_order > ra_order ? f->ra_order : ra_order;
			ra_bios += f->ra_bios;
		}
		if (tr->n < TOUR_MAX_FAULTS) {
			tr->faults[tr->n++] = *f;
			f->calls = NULL;	/* the row owns them now */
		}
	}
	kt_log_free(&log);
	row->ev[TF_TRACE_FAULTS] = count;
	if (!count)
		return;
	row->ev[TF_TRACE_ERROR_CODE] = err;
	row->ev[TF_TRACE_KERNEL_MODE] = kernel;
	row->ev[TF_TRACE_MAJOR] = major;
	row->ev[TF_TRACE_RETRY] = retry;
	if (ra_order >= 0) {
		row->ev[TF_TRACE_RA_ORDER] = ra_order;
		row->ev[TF_TRACE_RA_BIOS] = ra_bios;
	}
}

/*
 * What the kernel must report for the step: @faults page-fault exceptions
 * on its range with hardware error code @err (user mode when X86_PF_USER
 * is in it); @must and @must_not for the call graph, @seeds the functions
 * the seeds name for the path (ktrace.h, tour.h).
 */
void tour_expect_kernel(struct tour_row *row, int faults, long err, const char *must,
			const char *must_not, const char *seeds)
{
	struct tour_trace *tr = &row->tr;

	tr->must = must;
	tr->must_not = must_not;
	tr->seeds = seeds;
	if (!tr->recorded)
		return;
	/* faults < 0: at least -faults (a copy routine may try twice) */
	if (faults < 0)
		tour_expect(row, TF_TRACE_FAULTS, OP_GE, -faults);
	else
		tour_expect(row, TF_TRACE_FAULTS, OP_EQ, faults);
	if (!faults || err < 0)
		return;
	tour_expect(row, TF_TRACE_ERROR_CODE, OP_EQ, err);
	tour_expect(row, TF_TRACE_KERNEL_MODE, OP_EQ, !(err & X86_PF_USER));
}

/* ------------------------------------------------------------------ */
/* The call graph against the row's expectations */

/* The functions the seeds name, and what became of them in the kernel. */
static const struct {
	const char *name;
	const char *caller;	/* inlined into it; NULL: gone */
	const char *seen;	/* how the graph shows the path instead */
} seed_functions[] = {
	{ "do_read_fault", "do_fault",
	  "do_fault -> faultdemo_map_pages (fault-around), then __do_fault -> faultdemo_fault" },
	{ "do_fault_around", "do_fault", "do_fault -> faultdemo_map_pages -> filemap_map_pages" },
	{ "do_cow_fault", "do_fault",
	  "do_fault -> vma_alloc_folio (the copy), __do_fault -> faultdemo_fault, finish_fault" },
	{ "do_shared_fault", "do_fault",
	  "do_fault -> __do_fault -> faultdemo_fault, do_page_mkwrite, finish_fault" },
	{ "handle_pte_fault", "__handle_mm_fault", "__handle_mm_fault calling the path itself" },
	{ "do_anonymous_page", "__handle_mm_fault",
	  "__handle_mm_fault -> vma_alloc_folio for a store; nothing for a load (the zero page)" },
	{ "wp_page_copy", "do_wp_page", "do_wp_page -> vma_alloc_folio (the copy)" },
	{ "wp_page_shared", "do_wp_page",
	  "do_wp_page -> do_page_mkwrite -> faultdemo_page_mkwrite" },
	{ "do_user_addr_fault", "exc_page_fault",
	  "the graph starts at what it calls (handle_mm_fault, bad_area_*, fixup_exception)" },
	{ "vmalloc_fault", NULL,
	  "removed in 5.9: x86-64 maps vmalloc page tables up front: no such fault" },
};

static void append_text(char *buf, size_t len, const char *sep, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 < len)
		snprintf(buf + n, len - n, "%s%s", n ? sep : "", s);
}

/* ktrace_in_kallsyms(), once per name: /proc/kallsyms is long. */
static int in_kallsyms(const char *func)
{
	static struct {
		char name[KT_NAME_LEN];
		int found;
	} cache[ARRAY_SIZE(seed_functions)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cache) && cache[i].name[0]; i++)
		if (!strcmp(cache[i].name, func))
			return cache[i].found;
	if (i == ARRAY_SIZE(cache))
		return ktrace_in_kallsyms(func);
	snprintf(cache[i].name, sizeof(cache[i].name), "%s", func);
	cache[i].found = ktrace_in_kallsyms(func);
	return cache[i].found;
}

/* What the row says about each function of @seeds the graph cannot show. */
static void say_seeds(struct tour_kernel *tk, struct tour_row *row)
{
	char list[200], *tok, *save = NULL, item[300];
	size_t i;

	if (!row->tr.seeds)
		return;
	snprintf(list, sizeof(list), "%s", row->tr.seeds);
	for (tok = strtok_r(list, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (ktrace_traceable(&tk->kt, tok))
			continue;
		for (i = 0; i < ARRAY_SIZE(seed_functions); i++)
			if (!strcmp(seed_functions[i].name, tok))
				break;
		if (i == ARRAY_SIZE(seed_functions))
			continue;
		if (!strcmp(tok, "do_user_addr_fault"))
			snprintf(item, sizeof(item), "%s is not traceable (entry code): %s", tok,
				 seed_functions[i].seen);
		else if (in_kallsyms(tok) == 1)
			snprintf(item, sizeof(item),
				 "%s exists but is not traceable here: seen as %s", tok,
				 seed_functions[i].seen);
		else if (seed_functions[i].caller)
			snprintf(item, sizeof(item), "%s is inlined into %s here: seen as %s", tok,
				 seed_functions[i].caller, seed_functions[i].seen);
		else
			snprintf(item, sizeof(item), "%s does not exist in this kernel: %s", tok,
				 seed_functions[i].seen);
		append_text(row->tr.said, sizeof(row->tr.said), "; ", item);
	}
}

static bool row_called(const struct tour_row *row, const char *func)
{
	int i;

	for (i = 0; i < row->tr.n; i++)
		if (kt_fault_called(&row->tr.faults[i], func))
			return true;
	return false;
}

/*
 * Each item of @list ("a b|c"): is some traceable alternative called?
 * Items this kernel cannot show at all are left out (say_seeds()).
 */
static void graph_check(struct tour_kernel *tk, struct tour_row *row, const char *list, bool want)
{
	char copy[300], *tok, *save = NULL, item[120];

	if (!list)
		return;
	snprintf(copy, sizeof(copy), "%s", list);
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char alts[120], *alt, *asave = NULL;
		bool traceable = false, called = false;

		snprintf(alts, sizeof(alts), "%s", tok);
		for (alt = strtok_r(alts, "|", &asave); alt; alt = strtok_r(NULL, "|", &asave)) {
			if (!ktrace_traceable(&tk->kt, alt) && !kt_module_function(alt))
				continue;
			traceable = true;
			called |= row_called(row, alt);
		}
		if (!traceable)
			continue;
		snprintf(item, sizeof(item), "%s%s", want ? "" : "!", tok);
		append_text(row->tr.checked, sizeof(row->tr.checked), " ", item);
		if (called != want) {
			snprintf(item, sizeof(item), "the graph %s %s",
				 want ? "lacks" : "has", tok);
			append_text(row->tr.problem, sizeof(row->tr.problem), "; ", item);
		}
	}
}

void tour_kernel_judge(struct tour_kernel *tk, struct tour_row *row)
{
	if (!row->tr.recorded || row->status == TS_SKIP)
		return;
	say_seeds(tk, row);
	if (!row->tr.graph || !row->tr.n)
		return;
	graph_check(tk, row, row->tr.must, true);
	graph_check(tk, row, row->tr.must_not, false);
}

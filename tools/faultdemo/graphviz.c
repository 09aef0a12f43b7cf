// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) tour --graph DIR: each row's recorded call graph as a
 * Graphviz file, NN-scenario.dot, and, when dot(1) is installed, as SVG
 * and PNG. The module's functions are filled in another colour than the
 * kernel's, so the hand-over to the driver stands out.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common.h"
#include "tour.h"

extern char **environ;

#define COLOR_KERNEL	"#dce6f2"
#define COLOR_MODULE	"#f4a261"
#define COLOR_ROOT	"#b7d7a8"

static void write_fault(FILE *f, int nr, const struct kt_fault *k)
{
	int parent[64] = { 0 }, i, id = 0, root = -1;
	char bits[128];

	fprintf(f, "  subgraph cluster_%d {\n", nr);
	fprintf(f, "    label=\"fault %d: %s mode, error code 0x%lx (%s)%s%s\";\n",
		nr + 1, k->kind == KT_KERNEL ? "kernel" : "user", k->err,
		kt_err_bits(k->err, bits, sizeof(bits)), k->handler_text[0] ? "\\n" : "",
		k->handler_text);
	for (i = 0; i < k->ncalls; i++) {
		const struct kt_call *c = &k->calls[i];
		const char *color;

		if (c->kind == KT_EXIT)
			continue;
		color = kt_module_function(c->name) ? COLOR_MODULE :
			c->depth == 0 ? COLOR_ROOT : COLOR_KERNEL;
		fprintf(f, "    f%d_%d [label=\"%s%s", nr, id,
			kt_call_retry(c) ? "(retry) " : "", c->name);
		if (c->repeat > 1)
			fprintf(f, " (x%u)", c->repeat);
		fprintf(f, "\", fillcolor=\"%s\"];\n", color);
		if (c->depth > 0 && c->depth < 64)
			fprintf(f, "    f%d_%d -> f%d_%d;\n", nr, parent[c->depth - 1], nr, id);
		/* handle_mm_fault again: the first pass returned VM_FAULT_RETRY */
		if (kt_call_retry(c) && root >= 0)
			fprintf(f, "    f%d_%d -> f%d_%d [style=dashed, label=\"retried\"];\n",
				nr, root, nr, id);
		if (c->depth == 0)
			root = id;
		if (c->depth < 64)
			parent[c->depth] = id;
		id++;
	}
	fputs("  }\n", f);
}

static int run_dot(const char *format, const char *in, const char *out)
{
	char *const argv[] = { "dot", (char *)format, "-o", (char *)out, (char *)in, NULL };
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, "dot", NULL, NULL, argv, environ))
		return -ENOENT;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return 0;
}

/* Returns 0, or -errno when DIR cannot be written (no more graphs then). */
int tour_write_graph(const char *dir, int nr, const struct tour_row *row)
{
	static bool dot_missing;
	const struct tour_trace *tr = &row->tr;
	char path[512], out[512];
	int i, ret;
	FILE *f;

	if (!tr->graph || !tr->n)
		return 0;
	snprintf(path, sizeof(path), "%s/%02d-%s.dot", dir, nr, row->scenario);
	f = fopen(path, "we");
	if (!f) {
		ret = -errno;
		fd_err("tour: --graph: %s: %s", path, strerror(errno));
		return ret;
	}
	fprintf(f, "// faultdemo tour --graph: row %d, %s\n", nr, row->scenario);
	fprintf(f, "digraph \"%s\" {\n  labelloc=t;\n  label=\"%d %s\\n%s\";\n",
		row->scenario, nr, row->scenario, row->path);
	fputs("  node [shape=box, style=\"rounded,filled\", fontname=\"monospace\"];\n", f);
	for (i = 0; i < tr->n; i++)
		write_fault(f, i, &tr->faults[i]);
	fputs("}\n", f);
	if (fclose(f)) {
		ret = -errno;
		fd_err("tour: --graph: %s: %s", path, strerror(errno));
		return ret;
	}
	if (dot_missing)
		return 0;
	snprintf(out, sizeof(out), "%s/%02d-%s.svg", dir, nr, row->scenario);
	ret = run_dot("-Tsvg", path, out);
	if (!ret) {
		snprintf(out, sizeof(out), "%s/%02d-%s.png", dir, nr, row->scenario);
		ret = run_dot("-Tpng", path, out);
	}
	if (ret) {
		dot_missing = true;
		fprintf(stderr, "%s: tour: --graph: %s; only the .dot files are written\n",
			fd_prog, ret == -ENOENT ? "dot(1) is not installed (graphviz)" :
			"dot(1) failed");
	}
	return 0;
}

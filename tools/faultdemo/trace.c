// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) trace: run a program and show every page fault it takes
 * on /dev/faultdemo mappings (--all: on any mapping) the way the kernel
 * saw it: address, offset in the device, hardware error code, the
 * module's handlers and their results, minor or major; then a summary
 * per path. The recording is ktrace.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "ktrace.h"

/* Per CPU: room for about 100,000 graph lines before anything is lost. */
#define TRACE_BUFFER_KB	16384

/* Shared with the signal handler: atomic loads and stores only. */
static int stop_signal;
static int traced_pid;

static void on_stop_signal(int sig)
{
	int pid = __atomic_load_n(&traced_pid, __ATOMIC_SEQ_CST), err = errno;

	__atomic_store_n(&stop_signal, sig, __ATOMIC_SEQ_CST);
	if (pid > 0)
		kill(pid, sig);
	errno = err;
}

static int stopped_by(void)
{
	return __atomic_load_n(&stop_signal, __ATOMIC_SEQ_CST);
}

static int trace_usage(FILE *f, int status)
{
	fprintf(f,
		"usage: %s trace [--json] [--all] [--no-graph] [-o FILE] -- PROGRAM [ARGS...]\n"
		"  runs PROGRAM and prints one line per page fault it takes on\n"
		"  /dev/faultdemo mappings (--all: on any mapping), then a summary per path\n",
		fd_prog);
	return status;
}

static const char *mode_name(const struct kt_fault *f)
{
	switch (f->kind) {
	case KT_USER:
		return "user";
	case KT_KERNEL:
		return "kernel";
	default:
		return "gup";
	}
}

static const char *weight(const struct kt_fault *f)
{
	if (f->signo)
		return "-";
	if (f->result & KT_VMF_MAJOR)
		return "major";
	return "minor";
}

static bool shown(const struct kt_fault *f, bool all)
{
	if (f->pre_exec)
		return false;	/* faultdemo's own child before execve() */
	return all || f->dev_off >= 0 || f->handlers;
}

struct path_count {
	const char *path;
	int n, user, kernel, gup, major;
};

static void count_path(struct path_count *pc, int *npc, const struct kt_fault *f)
{
	const char *path = kt_fault_path(f);
	int i;

	for (i = 0; i < *npc && strcmp(pc[i].path, path); i++)
		;
	if (i == *npc) {
		if (*npc == 32)
			return;
		memset(&pc[i], 0, sizeof(pc[i]));
		pc[i].path = path;
		(*npc)++;
	}
	pc[i].n++;
	pc[i].user += f->kind == KT_USER;
	pc[i].kernel += f->kind == KT_KERNEL;
	pc[i].gup += f->kind == KT_NO_EXCEPTION;
	pc[i].major += !strcmp(weight(f), "major");
}

static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(out, "\\u%04x", *s);
		else
			fputc(*s, out);
	}
	fputc('"', out);
}

static void print_json(FILE *out, const struct kt_log *log, bool all, double t0,
		       const struct ktrace *kt)
{
	char bits[128];
	bool first = true;
	int i, k;

	fprintf(out, "{\"graph\": %s, \"no_graph_reason\": ", kt->graph ? "true" : "false");
	json_string(out, kt->no_graph);
	fprintf(out, ", \"lost_events\": %lu, \"faults\": [", log->lost);
	for (i = 0; i < log->n; i++) {
		const struct kt_fault *f = &log->faults[i];

		if (!shown(f, all))
			continue;
		fprintf(out, "%s\n  {\"time\": %.6f, \"pid\": %d, \"mode\": \"%s\", ",
			first ? "" : ",", f->ts - t0, f->pid, mode_name(f));
		first = false;
		fprintf(out, "\"address\": %lu, \"ip\": ", f->addr);
		json_string(out, f->ip);
		fprintf(out, ", \"error_code\": %ld, \"error_bits\": ", f->err);
		json_string(out, f->err >= 0 ? kt_err_bits(f->err, bits, sizeof(bits)) : "");
		fprintf(out, ", \"device_offset\": %lld, \"handlers\": ", f->dev_off);
		json_string(out, f->handler_text);
		fprintf(out, ", \"result\": %u, \"kind\": \"%s\", \"signal\": %d, \"path\": ",
			f->result, weight(f), f->signo);
		json_string(out, kt_fault_path(f));
		fprintf(out, ", \"passes\": %d, \"graph\": [", f->passes);
		for (k = 0; k < f->ncalls; k++) {
			if (f->calls[k].kind == KT_EXIT)
				continue;
			fprintf(out, "%s{\"depth\": %d, \"pass\": %d, \"repeat\": %u, ",
				k ? ", " : "", f->calls[k].depth, f->calls[k].pass,
				f->calls[k].repeat);
			fputs("\"function\": ", out);
			json_string(out, f->calls[k].name);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs("\n]}\n", out);
}

static void print_text(FILE *out, const struct kt_log *log, bool all, double t0,
		       const char *prog, pid_t pid, const struct ktrace *kt)
{
	struct path_count pc[32];
	int i, npc = 0, nshown = 0, hidden = 0;
	char bits[128], decoded[96], off[32];

	fprintf(out, "faultdemo trace: %s (pid %d): faults on %s; call graph: %s%s\n", prog,
		(int)pid, all ? "every mapping" : "/dev/faultdemo mappings",
		kt->graph ? "recorded" : "off: ", kt->graph ? "" : kt->no_graph);
	fprintf(out, "%10s %7s %-6s %-18s %-10s %-34s %-8s %s\n", "TIME", "PID", "MODE",
		"ADDRESS", "DEV OFFSET", "ERROR CODE", "KIND", "HANDLERS (result) -> PATH");
	for (i = 0; i < log->n; i++) {
		const struct kt_fault *f = &log->faults[i];

		if (f->pre_exec)
			continue;
		if (!shown(f, all)) {
			hidden++;
			continue;
		}
		nshown++;
		count_path(pc, &npc, f);
		if (f->dev_off >= 0)
			snprintf(off, sizeof(off), "0x%llx", f->dev_off);
		else
			snprintf(off, sizeof(off), "-");
		snprintf(bits, sizeof(bits), "0x%lx %s", f->err < 0 ? 0 : f->err,
			 f->err < 0 ? "(none: a system call)" :
			 kt_err_bits(f->err, decoded, sizeof(decoded)));
		fprintf(out, "%10.6f %7d %-6s 0x%-16lx %-10s %-34s %-8s %s -> %s\n",
			f->ts - t0, f->pid, mode_name(f), f->addr, off, bits, weight(f),
			f->handler_text[0] ? f->handler_text : "(none)", kt_fault_path(f));
	}
	fprintf(out, "\nsummary: %d fault%s shown", nshown, nshown == 1 ? "" : "s");
	if (!all)
		fprintf(out, ", %d on other mappings not shown (--all shows them)", hidden);
	fputc('\n', out);
	for (i = 0; i < npc; i++)
		fprintf(out, "  %-32s %6d  (user %d, kernel %d, system call %d; major %d)\n",
			pc[i].path, pc[i].n, pc[i].user, pc[i].kernel, pc[i].gup, pc[i].major);
	if (log->lost)
		fprintf(out, "warning: the trace buffer lost %lu events: %s\n", log->lost,
			"faults are missing (try --no-graph)");
}

static double first_ts(const struct kt_log *log)
{
	int i;

	for (i = 0; i < log->n; i++)
		if (!log->faults[i].pre_exec)
			return log->faults[i].ts;
	return 0;
}

/*
 * The child: the exit signals as the program expects them, then wait for
 * the go (EOF: the parent closed its end) and exec; errno goes to @efd.
 */
static void run_child(int gofd, int efd, char **argv, const sigset_t *mask)
{
	char c;
	int err;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	while (read(gofd, &c, 1) < 0 && errno == EINTR)
		;
	close(gofd);
	execvp(argv[0], argv);
	err = errno;
	if (write(efd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

int cmd_trace(int argc, char **argv)
{
	bool json = false, all = false, graph = true;
	const char *outpath = NULL;
	int go[2], ep[2], status = 0, err = 0, i, ret, exit_status;
	sigset_t block, old;
	struct sigaction sa;
	struct kt_log log;
	struct ktrace kt;
	char why[300];
	FILE *out;
	pid_t pid;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--all")) {
			all = true;
		} else if (!strcmp(argv[i], "--no-graph")) {
			graph = false;
		} else if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			outpath = argv[++i];
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			return trace_usage(stdout, FD_EXIT_OK);
		} else {
			return fd_usage_error("trace: unknown option '%s'", argv[i]);
		}
	}
	if (i >= argc)
		return fd_usage_error("trace: no program given (%s trace -- PROGRAM [ARGS...])",
				      fd_prog);

	out = stdout;
	if (outpath) {
		out = fopen(outpath, "we");
		if (!out) {
			fd_err("trace: %s: %s", outpath, strerror(errno));
			return FD_EXIT_FAIL;
		}
	}
	/* from here a signal that ends us ends the program: we report */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	ret = ktrace_open(&kt, "trace", graph, TRACE_BUFFER_KB, why, sizeof(why));
	if (ret) {
		fd_err("trace: %s", why);
		if (outpath)
			fclose(out);
		return FD_EXIT_FAIL;
	}
	if (stopped_by()) {
		ktrace_close(&kt);
		fd_err("trace: interrupted by signal %d before %s ran; tracing settings restored",
		       stopped_by(), argv[i]);
		return 128 + stopped_by();
	}
	if (pipe2(go, O_CLOEXEC) || pipe2(ep, O_CLOEXEC)) {
		fd_err("trace: pipe: %s", strerror(errno));
		ktrace_close(&kt);
		return FD_EXIT_FAIL;
	}

	/* a signal now waits until the child is known, then goes to it too */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fd_err("trace: fork: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		ktrace_close(&kt);
		return FD_EXIT_FAIL;
	}
	if (!pid) {
		close(go[1]);
		close(ep[0]);
		run_child(go[0], ep[1], argv + i, &old);
	}
	__atomic_store_n(&traced_pid, pid, __ATOMIC_SEQ_CST);
	sigprocmask(SIG_SETMASK, &old, NULL);
	/* the child has the default handlers by then: it dies of it unstarted */
	if (stopped_by())
		kill(pid, stopped_by());
	close(go[0]);
	close(ep[1]);
	ret = ktrace_set_pid(&kt, pid);
	ret = ret ?: ktrace_start(&kt);
	if (ret) {
		fd_err("trace: cannot start tracing: %s", strerror(-ret));
		kill(pid, SIGKILL);
	}
	/* the go: closing the pipe */
	close(go[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	__atomic_store_n(&traced_pid, 0, __ATOMIC_SEQ_CST);
	ktrace_stop(&kt);
	if (read(ep[0], &err, sizeof(err)) != sizeof(err))
		err = 0;
	close(ep[0]);

	if (!ret && !err) {
		ret = ktrace_collect(&kt, &log);
		if (ret)
			fd_err("trace: cannot read the trace: %s", strerror(-ret));
	}
	ktrace_close(&kt);
	if (err) {
		fd_err("trace: cannot run '%s': %s", argv[i], strerror(err));
		if (outpath)
			fclose(out);
		return 127;
	}
	if (ret) {
		if (outpath)
			fclose(out);
		return FD_EXIT_FAIL;
	}

	if (json)
		print_json(out, &log, all, first_ts(&log), &kt);
	else
		print_text(out, &log, all, first_ts(&log), argv[i], pid, &kt);
	kt_log_free(&log);
	if (fflush(out) || ferror(out) || (outpath && fclose(out))) {
		fd_err("trace: writing the output: %s", strerror(errno));
		return FD_EXIT_FAIL;
	}

	if (WIFSIGNALED(status)) {
		fd_err("trace: %s was killed by signal %d (%s)", argv[i], WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		exit_status = 128 + WTERMSIG(status);
	} else {
		exit_status = WEXITSTATUS(status);
	}
	if (stopped_by())
		fd_err("trace: interrupted by signal %d; tracing settings restored",
		       stopped_by());
	return exit_status;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1): a tracefs session that records page faults (ktrace.h).
 *
 * Where the kernel lets the function_graph tracer run in an instance
 * (6.12), everything happens in an instance of our own, removed at the
 * end. Where it does not (6.1), the graph needs the top level: it is used
 * only if nothing else is set there, every file changed is recorded with
 * its old value first, and the values are written back at the end. A
 * guard process, forked once the settings are made, restores them if
 * faultdemo dies without doing so (kill -9 included).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "ktrace.h"

/* Where the graph starts: the fault handler's calls into the mm. */
static const char * const graph_roots[] = {
	"handle_mm_fault",		/* every fault that finds its VMA */
	"do_kern_addr_fault",		/* a fault on a kernel address */
	"bad_area_nosemaphore",		/* no VMA */
	"bad_area_access_error",	/* the VMA forbids the access */
	"fixup_exception",		/* a kernel access that may fail */
};

/*
 * The functions shown below the roots: those that tell the fault paths
 * apart. Names missing on a kernel (inlined, renamed) are left out.
 */
static const char * const graph_functions[] = {
	"__handle_mm_fault", "do_anonymous_page", "do_huge_pmd_anonymous_page",
	"do_fault", "__do_fault", "finish_fault", "do_set_pmd", "do_set_pte",
	"set_pte_range", "filemap_fault", "filemap_map_pages",
	"do_page_mkwrite", "fault_dirty_shared_page", "do_wp_page",
	"wp_page_copy", "do_swap_page", "swapin_readahead", "swap_readpage",
	"swap_read_folio", "vma_alloc_folio", "vma_alloc_folio_noprof",
	"page_cache_sync_ra", "page_cache_async_ra", "page_cache_ra_order",
	"__folio_lock_or_retry", "folio_wait_bit_common", "submit_bio",
	"__bad_area_nosemaphore", "force_sig_fault", "spurious_kernel_fault",
	"handle_userfault",
};

/* Events: the first two are required. */
static const char * const events[] = {
	"exceptions/page_fault_user",
	"exceptions/page_fault_kernel",
	"faultdemo",
	"signal/signal_generate",
	"task/task_newtask",
	"sched/sched_process_exec",
	"raw_syscalls/sys_enter",
	"raw_syscalls/sys_exit",
};

/* What the parser reads: the columns of a graph line, and who ran it. */
static const char * const graph_options[][2] = {
	{ "options/funcgraph-proc", "1" },
	{ "options/funcgraph-abstime", "1" },
	{ "options/funcgraph-cpu", "1" },
	{ "options/funcgraph-duration", "1" },
	{ "options/funcgraph-tail", "1" },
	{ "options/funcgraph-irqs", "0" },
	{ "options/function-fork", "1" },
};

/* ... and of an event line; one clock for every CPU's buffer. */
static const char * const event_options[][2] = {
	{ "options/context-info", "1" },
	{ "options/irq-info", "1" },
	{ "options/record-tgid", "0" },
	{ "trace_clock", "global" },
};

/*
 * One session at a time: the function_graph options are global (6.12)
 * and the top level is shared (6.1). The guard inherits the lock and
 * keeps it until it is done.
 */
#define KT_LOCK		"/run/faultdemo-trace.lock"

static void path_of(const struct ktrace *kt, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", kt->root, rel);
}

static int kt_read(const struct ktrace *kt, const char *rel, char *buf, size_t len)
{
	char path[512];

	path_of(kt, rel, path, sizeof(path));
	return fd_read_file(path, buf, len);
}

/* Write, truncating the file (a list file then becomes empty). */
static int kt_write(const struct ktrace *kt, const char *rel, const char *val)
{
	char path[512];
	size_t len = strlen(val);
	ssize_t n;
	int fd, err = 0;

	path_of(kt, rel, path, sizeof(path));
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = len ? write(fd, val, len) : 0;
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Append one line to a list file (set_ftrace_filter and the like). */
static int kt_append(const struct ktrace *kt, const char *rel, const char *val)
{
	char path[512];
	ssize_t n;
	int fd, err = 0;

	path_of(kt, rel, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * The function_graph tracer's options are the tracer's, not the
 * instance's: setting one in an instance sets it everywhere (6.12).
 */
static bool global_option(const char *rel)
{
	return !strncmp(rel, "options/funcgraph-", 18);
}

/* Set a file, first recording its old value when it is not ours to drop. */
static int kt_set(struct ktrace *kt, const char *rel, const char *val, bool list)
{
	struct kt_saved *s;

	if (!kt->instance || global_option(rel)) {
		if (kt->nsaved == KT_MAX_SAVED)
			return -ENOSPC;
		s = &kt->saved[kt->nsaved];
		snprintf(s->rel, sizeof(s->rel), "%s", rel);
		s->truncate = list;
		if (!list) {
			int ret = kt_read(kt, rel, s->old, sizeof(s->old));
			char *sel = strchr(s->old, '[');

			if (ret)
				return ret;
			/* a choice file ("[local] global ..."): the chosen one */
			if (sel && strchr(sel, ']')) {
				*strchr(sel, ']') = '\0';
				memmove(s->old, sel + 1, strlen(sel + 1) + 1);
			}
		}
		kt->nsaved++;
	}
	return list ? 0 : kt_write(kt, rel, val);
}

static void kt_restore(struct ktrace *kt)
{
	int i;

	kt_write(kt, "tracing_on", "0");
	for (i = kt->nsaved - 1; i >= 0; i--) {
		const struct kt_saved *s = &kt->saved[i];

		kt_write(kt, s->rel, s->truncate ? "" : s->old);
	}
	kt->nsaved = 0;
	if (kt->instance && kt->root[0])
		rmdir(kt->root);
}

/*
 * The top level is free when no tracer, filter, pid list or event is set:
 * then nothing of anybody else's is lost by using it.
 */
static bool top_level_free(const struct ktrace *kt, char *why, size_t len)
{
	static const char * const idle[][2] = {
		{ "current_tracer", "nop" },
		{ "set_ftrace_filter", "#### all functions enabled ####" },
		{ "set_graph_function", "#### all functions enabled ####" },
		{ "set_ftrace_notrace", "#### no functions disabled ####" },
		{ "set_graph_notrace", "#### no functions disabled ####" },
		{ "set_ftrace_pid", "no pid" },
		{ "set_event_pid", "" },
		{ "events/enable", "0" },
	};
	char val[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(idle); i++) {
		if (kt_read(kt, idle[i][0], val, sizeof(val))) {
			snprintf(why, len, "cannot read the top-level %s", idle[i][0]);
			return false;
		}
		if (strcmp(val, idle[i][1])) {
			snprintf(why, len,
				 "the top-level tracer is in use (%s is '%.40s'), and this kernel runs function_graph only there",
				 idle[i][0], val);
			return false;
		}
	}
	return true;
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p = list;

	while ((p = strstr(p, word))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static int add_traceable(struct ktrace *kt, const char *name)
{
	char **t = realloc(kt->traceable, (kt->ntraceable + 1) * sizeof(*t));

	if (!t)
		return -ENOMEM;
	kt->traceable = t;
	t[kt->ntraceable] = strdup(name);
	if (!t[kt->ntraceable])
		return -ENOMEM;
	kt->ntraceable++;
	return 0;
}

/* Which of our functions the kernel can trace: available_filter_functions. */
static int find_traceable(struct ktrace *kt)
{
	char line[256], path[512];
	size_t i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/available_filter_functions", kt->tracefs);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\t\n ")] = '\0';
		for (i = 0; i < ARRAY_SIZE(graph_roots); i++)
			if (!strcmp(line, graph_roots[i]) && !ktrace_traceable(kt, line))
				add_traceable(kt, line);
		for (i = 0; i < ARRAY_SIZE(graph_functions); i++)
			if (!strcmp(line, graph_functions[i]) && !ktrace_traceable(kt, line))
				add_traceable(kt, line);
	}
	fclose(f);
	return 0;
}

bool ktrace_traceable(const struct ktrace *kt, const char *func)
{
	int i;

	for (i = 0; i < kt->ntraceable; i++)
		if (!strcmp(kt->traceable[i], func))
			return true;
	return false;
}

int ktrace_in_kallsyms(const char *func)
{
	char line[512], *name;
	int found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		name = strchr(line, ' ');
		name = name ? strchr(name + 1, ' ') : NULL;
		if (!name)
			continue;
		name++;
		name[strcspn(name, " \t\n")] = '\0';
		found = !strcmp(name, func);
	}
	fclose(f);
	return found;
}

/*
 * Only the listed functions are traced: a call of one outside a fault
 * (vma_alloc_folio() from a system call, say) comes out as a root of its
 * own, and the parser keeps only the roots' graphs. set_graph_function
 * would do that in the kernel, but it is global, even for an instance.
 */
static int setup_graph(struct ktrace *kt)
{
	size_t i;
	int ret;

	ret = find_traceable(kt);
	if (ret)
		return ret;
	ret = kt_set(kt, "set_ftrace_filter", "", true);
	for (i = 0; !ret && i < (size_t)kt->ntraceable; i++)
		ret = kt_append(kt, "set_ftrace_filter", kt->traceable[i]);
	if (ret)
		return ret;
	/* The module's functions, all of them: absent module, no error. */
	kt_append(kt, "set_ftrace_filter", ":mod:faultdemo");
	ret = kt_set(kt, "current_tracer", "function_graph", false);
	for (i = 0; !ret && i < ARRAY_SIZE(graph_options); i++)
		ret = kt_set(kt, graph_options[i][0], graph_options[i][1], false);
	return ret;
}

static int setup_events(struct ktrace *kt, char *why, size_t len)
{
	char rel[160];
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(rel, sizeof(rel), "events/%s/enable", events[i]);
		ret = kt_set(kt, rel, "1", false);
		if (ret && i < 2) {
			snprintf(why, len, "cannot enable %s: %s", events[i], strerror(-ret));
			return ret;
		}
	}
	ret = kt_set(kt, "options/event-fork", "1", false);
	if (ret) {
		snprintf(why, len, "cannot set options/event-fork: %s", strerror(-ret));
		return ret;
	}
	/* where a kernel lacks one, the parser copes */
	for (i = 0; i < ARRAY_SIZE(event_options); i++)
		kt_set(kt, event_options[i][0], event_options[i][1], false);
	return 0;
}

static void guard_run(struct ktrace *kt, int rfd)
{
	char c = 0;
	int fd;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	for (fd = 3; fd < 1024; fd++)
		if (fd != rfd && fd != kt->lock_fd)
			close(fd);
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	if (c != 'D')
		kt_restore(kt);
	_exit(0);
}

static int start_guard(struct ktrace *kt)
{
	int pfd[2];

	/* a socket: send(MSG_NOSIGNAL) to a dead guard is EPIPE, not SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pfd))
		return -errno;
	fflush(NULL);
	kt->guard = fork();
	if (kt->guard < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (!kt->guard) {
		close(pfd[1]);
		guard_run(kt, pfd[0]);
	}
	close(pfd[0]);
	kt->guard_fd = pfd[1];
	return 0;
}

static const char *find_tracefs(void)
{
	static const char * const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/instances", dirs[i]);
		if (!access(path, F_OK))
			return dirs[i];
	}
	return NULL;
}

/* Our instance, instances/faultdemo_TAG_PID, becomes the root. */
static int make_instance(struct ktrace *kt, const char *tag, char *why, size_t len)
{
	int ret;

	snprintf(kt->root, sizeof(kt->root), "%s/instances/faultdemo_%s_%d",
		 kt->tracefs, tag, (int)getpid());
	if (mkdir(kt->root, 0700)) {
		ret = -errno;
		snprintf(why, len, "cannot create a tracefs instance %s: %s", kt->root,
			 strerror(errno));
		kt->root[0] = '\0';
		return ret;
	}
	kt->instance = true;
	return 0;
}

static int do_open(struct ktrace *kt, const char *tag, bool graph,
		   unsigned int buffer_kb, char *why, size_t len)
{
	const char *tracefs;
	char tracers[256], kb[32];
	long ncpu;
	int ret;

	memset(kt, 0, sizeof(*kt));
	kt->guard_fd = -1;
	kt->lock_fd = -1;
	if (geteuid()) {
		snprintf(why, len, "tracefs needs root");
		return -EPERM;
	}
	tracefs = find_tracefs();
	if (!tracefs) {
		snprintf(why, len, "no tracefs (mount -t tracefs nodev /sys/kernel/tracing)");
		return -ENOENT;
	}
	snprintf(kt->tracefs, sizeof(kt->tracefs), "%s", tracefs);
	kt->lock_fd = open(KT_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (graph && kt->lock_fd >= 0 && flock(kt->lock_fd, LOCK_EX | LOCK_NB)) {
		snprintf(kt->no_graph, sizeof(kt->no_graph),
			 "another faultdemo tour or trace has the function-graph tracer");
		graph = false;
	}
	ret = make_instance(kt, tag, why, len);
	if (ret)
		return ret;

	if (graph) {
		if (kt_read(kt, "available_tracers", tracers, sizeof(tracers)))
			tracers[0] = '\0';
		if (word_in(tracers, "function_graph")) {
			char path[300], val[64];

			/* global: it would filter our instance's graph too */
			snprintf(path, sizeof(path), "%s/set_graph_function", tracefs);
			if (!fd_read_file(path, val, sizeof(val)) &&
			    strcmp(val, "#### all functions enabled ####"))
				snprintf(kt->no_graph, sizeof(kt->no_graph),
					 "set_graph_function is set: it would filter our graph");
		} else {
			/* 6.1: only the top level runs function_graph */
			rmdir(kt->root);
			snprintf(kt->root, sizeof(kt->root), "%s", tracefs);
			kt->instance = false;
			if (kt_read(kt, "available_tracers", tracers, sizeof(tracers)) ||
			    !word_in(tracers, "function_graph"))
				snprintf(kt->no_graph, sizeof(kt->no_graph),
					 "this kernel has no function_graph tracer");
			else
				top_level_free(kt, kt->no_graph, sizeof(kt->no_graph));
			if (kt->no_graph[0]) {
				ret = make_instance(kt, tag, why, len);
				if (ret)
					return ret;
			}
		}
	} else if (!kt->no_graph[0]) {
		snprintf(kt->no_graph, sizeof(kt->no_graph), "not asked for");
	}

	ret = kt_set(kt, "tracing_on", "0", false);
	/*
	 * The top level's buffer keeps its size: it may not be expanded yet.
	 * Ours: at most 256 MiB in all, smaller if that much is not there.
	 */
	ncpu = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpu > 0 && buffer_kb > 262144 / ncpu)
		buffer_kb = 262144 / ncpu;
	for (; kt->instance && !ret; buffer_kb /= 2) {
		if (buffer_kb < 1024)
			buffer_kb = 1024;
		snprintf(kb, sizeof(kb), "%u", buffer_kb);
		if (!kt_set(kt, "buffer_size_kb", kb, false) || buffer_kb == 1024)
			break;
	}
	ret = ret ?: kt_set(kt, "set_event_pid", "", true);
	ret = ret ?: kt_set(kt, "set_ftrace_pid", "", true);
	if (ret) {
		snprintf(why, len, "cannot set up %s: %s", kt->root, strerror(-ret));
		kt_restore(kt);
		return ret;
	}
	ret = setup_events(kt, why, len);
	if (ret) {
		kt_restore(kt);
		return ret;
	}
	if (graph && !kt->no_graph[0]) {
		ret = setup_graph(kt);
		if (ret) {
			snprintf(kt->no_graph, sizeof(kt->no_graph),
				 "function_graph could not be set up: %s", strerror(-ret));
			kt_write(kt, "current_tracer", "nop");
		} else {
			kt->graph = true;
		}
	}
	ret = start_guard(kt);
	if (ret) {
		snprintf(why, len, "fork: %s", strerror(-ret));
		kt_restore(kt);
		return ret;
	}
	return 0;
}

/*
 * Until the guard runs, nothing would put the settings back if a signal
 * killed us: the signals that end a program wait until then.
 */
int ktrace_open(struct ktrace *kt, const char *tag, bool graph,
		unsigned int buffer_kb, char *why, size_t len)
{
	sigset_t block, old;
	int ret;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	ret = do_open(kt, tag, graph, buffer_kb, why, len);
	if (ret && kt->lock_fd >= 0) {
		close(kt->lock_fd);
		kt->lock_fd = -1;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return ret;
}

int ktrace_set_pid(struct ktrace *kt, pid_t pid)
{
	char buf[32];
	int ret;

	kt->pid = pid;
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	ret = kt_write(kt, "set_event_pid", buf);
	if (!ret && kt->graph)
		ret = kt_write(kt, "set_ftrace_pid", buf);
	return ret;
}

int ktrace_start(struct ktrace *kt)
{
	int ret = kt_write(kt, "trace", "");

	return ret ?: kt_write(kt, "tracing_on", "1");
}

int ktrace_stop(struct ktrace *kt)
{
	return kt_write(kt, "tracing_on", "0");
}

void ktrace_close(struct ktrace *kt)
{
	int i, status;

	kt_restore(kt);
	if (kt->guard_fd >= 0) {
		if (send(kt->guard_fd, "D", 1, MSG_NOSIGNAL) != 1)
			kt_restore(kt);
		close(kt->guard_fd);
		kt->guard_fd = -1;
	}
	if (kt->lock_fd >= 0) {
		close(kt->lock_fd);
		kt->lock_fd = -1;
	}
	if (kt->guard > 0) {
		while (waitpid(kt->guard, &status, 0) < 0 && errno == EINTR)
			;
		kt->guard = 0;
	}
	for (i = 0; i < kt->ntraceable; i++)
		free(kt->traceable[i]);
	free(kt->traceable);
	kt->traceable = NULL;
	kt->ntraceable = 0;
}

/* ------------------------------------------------------------------ */
/* Reading the buffer back */

/* A mapping of the device, from its faultdemo_mmap event. */
struct kt_map {
	unsigned long start, end, pgoff;
	bool shared;
	unsigned long seq;	/* the system call of the task that made it */
};

/* An address space: what the threads sharing it have mapped. */
struct kt_space {
	struct kt_map *maps;
	int nmaps;
};

struct kt_task {
	int pid;
	int space;		/* index in kt_parse.spaces */
	int cur;		/* the fault under way, or -1 */
	bool root_open;		/* a handle_mm_fault of it has not returned */
	bool execed;		/* sched_process_exec seen */
	int root_depth;		/* of the open root in the graph output */
	int mod_depth;		/* of the first module function under it; -1 */
	unsigned long seq;	/* kt_parse.seq of its last system call */
	long nr;		/* the one under way, or -1 */
	unsigned long arg[3];	/* its first arguments */
};

struct kt_parse {
	struct kt_log *log;
	struct kt_task *tasks;
	int ntasks;
	struct kt_space *spaces;
	int nspaces;
	int first_pid;		/* the pid ktrace_set_pid() was given */
	size_t ps;
	unsigned long seq;	/* system calls entered, by all tasks */
};

#define KT_NR_MMAP	9
#define KT_NR_MUNMAP	11
#define KT_NR_MREMAP	25
#define KT_NR_EXECVE	59
#define KT_NR_EXECVEAT	322
#define KT_CLONE_VM	0x100

static int new_space(struct kt_parse *p)
{
	struct kt_space *s = realloc(p->spaces, (p->nspaces + 1) * sizeof(*s));

	if (!s)
		return -1;
	p->spaces = s;
	memset(&s[p->nspaces], 0, sizeof(*s));
	return p->nspaces++;
}

static struct kt_space *space_of(struct kt_parse *p, const struct kt_task *t)
{
	return t->space >= 0 ? &p->spaces[t->space] : NULL;
}

static struct kt_task *task_of(struct kt_parse *p, int pid)
{
	struct kt_task *t;
	int i;

	for (i = 0; i < p->ntasks; i++)
		if (p->tasks[i].pid == pid)
			return &p->tasks[i];
	t = realloc(p->tasks, (p->ntasks + 1) * sizeof(*t));
	if (!t)
		return NULL;
	p->tasks = t;
	t = &p->tasks[p->ntasks++];
	memset(t, 0, sizeof(*t));
	t->pid = pid;
	t->cur = -1;
	t->nr = -1;
	t->space = new_space(p);
	return t;
}

static int add_map(struct kt_space *s, const struct kt_map *m)
{
	struct kt_map *n;

	if (!s)
		return -ENOMEM;
	n = realloc(s->maps, (s->nmaps + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->maps = n;
	s->maps[s->nmaps++] = *m;
	return 0;
}

/*
 * [@start, @end) is unmapped, or mapped anew by a system call other than
 * @keep_seq: cut it out of the device's mappings. With @moved_to, what
 * was there moves by that much (mremap) instead.
 */
static void unmap_range(struct kt_space *s, size_t ps, unsigned long start,
			unsigned long end, unsigned long keep_seq, long moved_to)
{
	int i;

	for (i = 0; s && i < s->nmaps; i++) {
		struct kt_map m = s->maps[i];

		if (m.end <= start || m.start >= end || m.seq == keep_seq)
			continue;
		if (moved_to) {
			unsigned long lo = m.start > start ? m.start : start;
			unsigned long hi = m.end < end ? m.end : end;
			struct kt_map mv = m;

			mv.pgoff += (lo - m.start) / ps;
			mv.start = lo + moved_to;
			mv.end = hi + moved_to;
			mv.seq = keep_seq;
			add_map(s, &mv);
		}
		/* what is left on either side stays */
		if (m.start < start) {
			struct kt_map left = m;

			left.end = start;
			add_map(s, &left);
		}
		if (m.end > end) {
			struct kt_map right = m;

			right.pgoff += (end - m.start) / ps;
			right.start = end;
			add_map(s, &right);
		}
		s->maps[i] = s->maps[--s->nmaps];
		i--;
	}
}

static struct kt_fault *new_fault(struct kt_parse *p, struct kt_task *t,
				  enum kt_fault_kind kind, double ts)
{
	struct kt_log *log = p->log;
	struct kt_fault *f;

	if (log->n == log->cap) {
		int cap = log->cap ? 2 * log->cap : 64;

		f = realloc(log->faults, cap * sizeof(*f));
		if (!f)
			return NULL;
		log->faults = f;
		log->cap = cap;
	}
	f = &log->faults[log->n];
	memset(f, 0, sizeof(*f));
	f->pid = t->pid;
	f->ts = ts;
	f->kind = kind;
	f->err = -1;
	f->dev_off = -1;
	f->dev_shared = -1;
	f->pre_exec = !t->execed && t->pid == p->first_pid;
	t->cur = log->n++;
	t->root_open = false;
	return f;
}

static void add_call(struct kt_fault *f, int depth, enum kt_call_kind kind,
		     int pass, const char *name, size_t len)
{
	struct kt_call *c;

	/* a run of the same call: one line with a count */
	if (kind == KT_LEAF && f->ncalls) {
		c = &f->calls[f->ncalls - 1];
		if (c->kind == KT_LEAF && c->depth == depth && c->pass == pass &&
		    strlen(c->name) == len && !strncmp(c->name, name, len)) {
			c->repeat++;
			return;
		}
	}
	if (f->ncalls == f->cap) {
		int cap = f->cap ? 2 * f->cap : 16;

		c = realloc(f->calls, cap * sizeof(*c));
		if (!c)
			return;
		f->calls = c;
		f->cap = cap;
	}
	c = &f->calls[f->ncalls++];
	c->depth = depth > 255 ? 255 : depth;
	c->kind = kind;
	c->pass = pass > 255 ? 255 : pass;
	c->repeat = 1;
	if (len >= sizeof(c->name))
		len = sizeof(c->name) - 1;
	memcpy(c->name, name, len);
	c->name[len] = '\0';
}

/* The value after "key=" in an event's text, or NULL. */
static const char *field(const char *args, const char *key)
{
	size_t n = strlen(key);
	const char *p = args;

	while ((p = strstr(p, key))) {
		if ((p == args || p[-1] == ' ') && p[n] == '=')
			return p + n + 1;
		p += n;
	}
	return NULL;
}

static unsigned long ufield(const char *args, const char *key)
{
	const char *v = field(args, key);

	return v ? strtoul(v, NULL, 0) : 0;
}

/* VM_FAULT_* names of the module's events back into bits. */
static unsigned int result_bits(const char *v)
{
	static const struct { const char *name; unsigned int bit; } names[] = {
		{ "OOM", 0x0001 }, { "SIGBUS", 0x0002 }, { "MAJOR", 0x0004 },
		{ "HWPOISON", 0x0010 }, { "SIGSEGV", 0x0040 }, { "NOPAGE", 0x0100 },
		{ "LOCKED", 0x0200 }, { "RETRY", 0x0400 }, { "FALLBACK", 0x0800 },
	};
	unsigned int bits = 0;
	size_t i, n;

	if (!v)
		return 0;
	while (*v && *v != ' ') {
		n = strcspn(v, "| ");
		for (i = 0; i < ARRAY_SIZE(names); i++)
			if (strlen(names[i].name) == n && !strncmp(v, names[i].name, n))
				bits |= names[i].bit;
		v += n;
		if (*v == '|')
			v++;
	}
	return bits;
}

static void handler_event(struct kt_parse *p, struct kt_task *t, double ts,
			  const char *name, const char *args)
{
	struct kt_fault *f;
	const char *res = field(args, "result");
	char item[64], kind[8] = "";
	unsigned int bit;
	size_t n;

	if (t->cur < 0 && !new_fault(p, t, KT_NO_EXCEPTION, ts))
		return;
	f = &p->log->faults[t->cur];
	if (!strcmp(name, "faultdemo_fault")) {
		const char *k = field(args, "kind");

		bit = KT_H_FAULT;
		if (k) {
			n = strcspn(k, " ");
			snprintf(kind, sizeof(kind), "%.*s", (int)(n < 7 ? n : 7), k);
			snprintf(f->fault_kind, sizeof(f->fault_kind), "%s", kind);
		}
		f->pmd |= ufield(args, "pmd") != 0;
		if (f->dev_off < 0)
			f->dev_off = (long long)ufield(args, "pgoff") * (long long)p->ps;
	} else if (!strcmp(name, "faultdemo_map_pages")) {
		bit = KT_H_MAP_PAGES;
		f->pmd |= ufield(args, "pmd") != 0;
	} else {
		bit = KT_H_MKWRITE;
		if (f->dev_off < 0)
			f->dev_off = (long long)ufield(args, "pgoff") * (long long)p->ps;
	}
	f->handlers |= bit;
	f->result |= result_bits(res);
	n = res ? strcspn(res, " ") : 1;
	snprintf(item, sizeof(item), "%s%s%s%s=%.*s", f->handler_text[0] ? " " : "",
		 bit == KT_H_FAULT ? ".fault" : bit == KT_H_MAP_PAGES ? ".map_pages" :
		 ".page_mkwrite", kind[0] ? "/" : "", kind, (int)n, res ? res : "?");
	n = strlen(f->handler_text);
	snprintf(f->handler_text + n, sizeof(f->handler_text) - n, "%s", item);
}

/*
 * Read-ahead of the block store during the task's fault (sync, or async
 * from a PG_readahead folio): pages, folios of up to which order, bios.
 */
static void readahead_event(struct kt_parse *p, struct kt_task *t, const char *args)
{
	struct kt_fault *f;
	unsigned int order = (unsigned int)ufield(args, "order");
	size_t n;

	if (t->cur < 0)
		return;
	f = &p->log->faults[t->cur];
	f->ra_calls++;
	f->ra_pages += ufield(args, "nr_pages");
	f->ra_bios += (unsigned int)ufield(args, "bios");
	if (order > f->ra_order)
		f->ra_order = order;
	n = strlen(f->handler_text);
	snprintf(f->handler_text + n, sizeof(f->handler_text) - n,
		 "%sread-ahead=%lu pages/%lu folios/order %u/%lu bios",
		 n ? " " : "", ufield(args, "nr_pages"), ufield(args, "folios"),
		 order, ufield(args, "bios"));
}

static void locate(struct kt_parse *p, struct kt_task *t, struct kt_fault *f)
{
	struct kt_space *s = space_of(p, t);
	int i;

	for (i = s ? s->nmaps - 1 : -1; i >= 0; i--) {
		const struct kt_map *m = &s->maps[i];

		if (f->addr >= m->start && f->addr < m->end) {
			f->dev_off = (long long)(f->addr - m->start + m->pgoff * p->ps);
			f->dev_shared = m->shared;
			return;
		}
	}
}

/*
 * A task is born (task:task_newtask, in its parent): a thread
 * (CLONE_VM) shares the parent's address space, a process gets a copy.
 */
static void new_task(struct kt_parse *p, int ppid, int pid, unsigned long flags)
{
	struct kt_space *from, *to;
	struct kt_task *c, *t;
	int i;

	/* task_of() may move the array: the parent's pointer comes last */
	if (!task_of(p, pid))
		return;
	t = task_of(p, ppid);
	c = task_of(p, pid);
	if (!c || !t)
		return;
	c->cur = -1;			/* a reused pid starts afresh */
	c->execed = true;		/* not the traced pid's own set-up */
	if (flags & KT_CLONE_VM) {
		c->space = t->space;
		return;
	}
	c->space = new_space(p);
	from = space_of(p, t);
	to = space_of(p, c);
	for (i = 0; from && to && i < from->nmaps; i++)
		add_map(to, &from->maps[i]);
}

/* "NR 11 (7f0012340000, 1000, ...)": the number and the first arguments. */
static void on_sys_enter(struct kt_parse *p, struct kt_task *t, const char *args)
{
	const char *a = strchr(args, '(');
	int i;

	t->cur = -1;	/* a fault after this is a new one */
	t->root_open = false;
	t->seq = ++p->seq;
	t->nr = strncmp(args, "NR ", 3) ? -1 : strtol(args + 3, NULL, 10);
	for (i = 0; i < 3; i++) {
		t->arg[i] = a ? strtoul(a + 1, (char **)&a, 16) : 0;
		a = a ? strchr(a, ',') : NULL;
	}
	/* execve, execveat: what the traced pid does from here is its own */
	if (t->nr == KT_NR_EXECVE || t->nr == KT_NR_EXECVEAT)
		t->execed = true;
}

/* "NR 9 = 140012345" : mmap, munmap and mremap change the mappings. */
static void on_sys_exit(struct kt_parse *p, struct kt_task *t, const char *args)
{
	const char *eq = strstr(args, " = ");
	long ret = eq ? strtol(eq + 3, NULL, 10) : -1;
	struct kt_space *s = space_of(p, t);
	unsigned long len = (t->arg[1] + p->ps - 1) & ~(p->ps - 1);

	t->cur = -1;
	t->root_open = false;
	if (ret < 0 && ret > -4096)
		ret = -1;			/* the call failed */
	if (t->nr == KT_NR_MUNMAP && !ret)
		unmap_range(s, p->ps, t->arg[0], t->arg[0] + len, ULONG_MAX, 0);
	else if (t->nr == KT_NR_MMAP && ret != -1)
		unmap_range(s, p->ps, ret, ret + len, t->seq, 0);
	else if (t->nr == KT_NR_MREMAP && ret != -1)
		unmap_range(s, p->ps, t->arg[0], t->arg[0] + len, t->seq,
			    ret - (long)t->arg[0]);
	t->nr = -1;
}

static void on_event(struct kt_parse *p, int pid, double ts, const char *name,
		     size_t nlen, const char *args)
{
	struct kt_task *t = task_of(p, pid);
	char ev[KT_NAME_LEN];
	struct kt_fault *f;

	if (!t)
		return;
	snprintf(ev, sizeof(ev), "%.*s", (int)(nlen < sizeof(ev) - 1 ? nlen : sizeof(ev) - 1),
		 name);
	if (!strcmp(ev, "page_fault_user") || !strcmp(ev, "page_fault_kernel")) {
		const char *ip = field(args, "ip");

		f = new_fault(p, t, ev[11] == 'u' ? KT_USER : KT_KERNEL, ts);
		if (!f)
			return;
		f->addr = ufield(args, "address");
		f->err = (long)ufield(args, "error_code");
		if (ip)
			snprintf(f->ip, sizeof(f->ip), "%.*s", (int)strcspn(ip, " "), ip);
		locate(p, t, f);
	} else if (!strcmp(ev, "faultdemo_fault") || !strcmp(ev, "faultdemo_map_pages") ||
		   !strcmp(ev, "faultdemo_page_mkwrite")) {
		handler_event(p, t, ts, ev, args);
	} else if (!strcmp(ev, "faultdemo_readahead")) {
		readahead_event(p, t, args);
	} else if (!strcmp(ev, "faultdemo_mmap")) {
		const char *ret = field(args, "ret");
		struct kt_map m = {
			.start = ufield(args, "start"), .end = ufield(args, "end"),
			.pgoff = ufield(args, "pgoff"), .shared = ufield(args, "shared"),
			.seq = t->seq,
		};

		if (ret && !strtol(ret, NULL, 0))
			add_map(space_of(p, t), &m);
	} else if (!strcmp(ev, "signal_generate")) {
		int sig = (int)ufield(args, "sig");

		if (t->cur >= 0 && (sig == SIGSEGV || sig == SIGBUS))
			p->log->faults[t->cur].signo = sig;
	} else if (!strcmp(ev, "task_newtask")) {
		const char *flags = field(args, "clone_flags");

		/* "clone_flags=3d0f00": hexadecimal without 0x */
		new_task(p, pid, (int)ufield(args, "pid"), flags ? strtoul(flags, NULL, 16) : 0);
	} else if (!strcmp(ev, "sched_process_exec")) {
		t->space = new_space(p);	/* the old threads are gone */
		t->cur = -1;
		t->execed = true;
	} else if (!strcmp(ev, "sys_enter")) {
		on_sys_enter(p, t, args);
	} else if (!strcmp(ev, "sys_exit")) {
		on_sys_exit(p, t, args);
	}
}

static bool is_root(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(graph_roots); i++)
		if (strlen(graph_roots[i]) == len && !strncmp(name, graph_roots[i], len))
			return true;
	return false;
}

static void on_call(struct kt_parse *p, int pid, double ts, int depth,
		    const char *text)
{
	struct kt_task *t = task_of(p, pid);
	enum kt_call_kind kind;
	struct kt_fault *f;
	const char *name;
	size_t len;
	int pass;

	if (!t)
		return;
	if (text[0] == '}') {
		name = strstr(text, "/* ");
		if (!name)
			return;
		name += 3;
		kind = KT_EXIT;
	} else {
		name = text;
		kind = strstr(text, "() {") ? KT_ENTER : KT_LEAF;
	}
	len = strcspn(name, "( *");
	if (!t->root_open) {
		/* a root at any depth: a module function of a system call may be above it */
		if (kind == KT_EXIT || !is_root(name, len))
			return;	/* a listed function called outside a fault */
		if (len == 15 && !strncmp(name, "handle_mm_fault", len)) {
			/*
			 * Again in one exception: a retry. In a system call
			 * it is another page unless VM_FAULT_RETRY was seen
			 * (get_user_pages() faults in page after page).
			 */
			f = t->cur >= 0 ? &p->log->faults[t->cur] : NULL;
			if (f && f->passes && f->kind != KT_USER && !(f->result & KT_VMF_RETRY))
				t->cur = -1;
			if (t->cur < 0 && !new_fault(p, t, KT_NO_EXCEPTION, ts))
				return;
			p->log->faults[t->cur].passes++;
		} else if (t->cur < 0) {
			return;	/* an error path outside a page fault */
		}
		t->root_open = kind == KT_ENTER;
		t->root_depth = depth;
		t->mod_depth = -1;
		depth = 0;
	} else {
		if (depth <= t->root_depth) {
			if (kind == KT_EXIT)
				t->root_open = false;
			return;
		}
		depth -= t->root_depth;
		/* the module's own calls: two levels below its first one */
		if (t->mod_depth >= 0 && depth > t->mod_depth + 2)
			return;
		if (kind == KT_EXIT && depth == t->mod_depth)
			t->mod_depth = -1;
		else if (kind == KT_ENTER && t->mod_depth < 0 && !strncmp(name, "faultdemo_", 10))
			t->mod_depth = depth;
	}
	f = &p->log->faults[t->cur];
	pass = f->passes ? f->passes - 1 : 0;
	add_call(f, depth, kind, pass, name, len);
}

static bool parse_pid(const char *s, size_t n, int *pid)
{
	while (n && s[n - 1] == ' ')
		n--;
	while (n && s[n - 1] >= '0' && s[n - 1] <= '9')
		n--;
	if (!n || s[n - 1] != '-')
		return false;
	*pid = atoi(s + n);
	return true;
}

/*
 * function_graph (funcgraph-abstime, -proc):
 *   "  10.730078 |   0)     dd-130     |   8.1 us  |      do_fault() {"
 *   "  10.737391 |   0)     dd-130     |           |  / * ev: args * /"
 * nop:
 *   "   dd-130     [001] d....    11.224023: page_fault_user: address=..."
 */
static void parse_line(struct kt_parse *p, char *line)
{
	char *bar1, *bar2, *bar3, *text, *end;
	int pid, depth;
	double ts;

	if (line[0] == '#' || !line[0])
		return;
	/* "CPU:0 [LOST EVENTS]": counted from per_cpu/cpuN/stats */
	if (strstr(line, "[LOST") && strstr(line, "EVENTS]"))
		return;
	bar1 = strchr(line, '|');
	bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
	bar3 = bar2 ? strchr(bar2 + 1, '|') : NULL;
	if (bar3) {
		const char *task = strchr(bar1 + 1, ')');

		ts = strtod(line, NULL);
		if (!task || task > bar2 || !parse_pid(task + 1, bar2 - task - 1, &pid))
			return;
		text = bar3 + 1;
		/* two blanks, then two per level */
		for (depth = 0; text[depth] == ' '; depth++)
			;
		depth = depth >= 2 ? (depth - 2) / 2 : 0;
		text += strspn(text, " ");
		if (!strncmp(text, "/* ", 3)) {
			char *colon = strchr(text + 3, ':');

			end = strstr(text, " */");
			if (end)
				*end = '\0';
			if (colon)
				on_event(p, pid, ts, text + 3, colon - text - 3, colon + 2);
			return;
		}
		on_call(p, pid, ts, depth, text);
		return;
	}
	/* nop tracer; "comm-pid (tgid) [cpu]" where record-tgid is on */
	text = strstr(line, "] ");
	bar1 = strchr(line, '[');
	if (!text || !bar1)
		return;
	end = memrchr(line, '(', bar1 - line);
	if (!parse_pid(line, (end ? end : bar1) - line, &pid))
		return;
	text += 2;
	text += strcspn(text, " ");	/* the flags */
	ts = strtod(text, &end);
	if (end == text || *end != ':')
		return;
	text = end + 2;
	end = strchr(text, ':');
	if (!end)
		return;
	on_event(p, pid, ts, text, end - text, end[1] ? end + 2 : end + 1);
}

/* Events the buffer overwrote or dropped: per_cpu/cpuN/stats. */
static unsigned long buffer_losses(const struct ktrace *kt)
{
	unsigned long lost = 0;
	char path[600], line[128];
	int cpu;

	for (cpu = 0; cpu < 4096; cpu++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/stats", kt->root, cpu);
		f = fopen(path, "re");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (!strncmp(line, "overrun:", 8) || !strncmp(line, "dropped events:", 15))
				lost += strtoul(strchr(line, ':') + 1, NULL, 10);
		fclose(f);
	}
	return lost;
}

int ktrace_collect(struct ktrace *kt, struct kt_log *log)
{
	struct kt_parse p = { .log = log, .ps = fd_page_size(), .first_pid = kt->pid };
	char path[512], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int i;

	memset(log, 0, sizeof(*log));
	path_of(kt, "trace", path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		parse_line(&p, line);
	}
	free(line);
	fclose(f);
	for (i = 0; i < p.nspaces; i++)
		free(p.spaces[i].maps);
	free(p.spaces);
	free(p.tasks);
	log->lost += buffer_losses(kt);
	return 0;
}

void kt_log_free(struct kt_log *log)
{
	int i;

	for (i = 0; i < log->n; i++)
		free(log->faults[i].calls);
	free(log->faults);
	memset(log, 0, sizeof(*log));
}

bool kt_fault_called(const struct kt_fault *f, const char *func)
{
	int i;

	for (i = 0; i < f->ncalls; i++)
		if (f->calls[i].kind != KT_EXIT && !strcmp(f->calls[i].name, func))
			return true;
	return false;
}

bool kt_module_function(const char *name)
{
	return !strncmp(name, "faultdemo_", 10);
}

const char *kt_err_bits(long err, char *buf, size_t len)
{
	if (err < 0) {
		snprintf(buf, len, "no exception");
		return buf;
	}
	snprintf(buf, len, "%s|%s|%s%s%s%s%s%s",
		 err & 0x1 ? "protection" : "not-present",
		 err & 0x2 ? "write" : "read",
		 err & 0x4 ? "user" : "kernel",
		 err & 0x8 ? "|reserved-bit" : "",
		 err & 0x10 ? "|instruction-fetch" : "",
		 err & 0x20 ? "|protection-key" : "",
		 err & 0x40 ? "|shadow-stack" : "",
		 err & 0x8000 ? "|sgx" : "");
	return buf;
}

const char *kt_fault_path(const struct kt_fault *f)
{
	if (f->signo == SIGSEGV)
		return "SIGSEGV";
	if (f->signo == SIGBUS)
		return "SIGBUS";
	/* a kernel access that failed: the exception table takes it (EFAULT) */
	if (f->kind == KT_KERNEL && (kt_fault_called(f, "fixup_exception") ||
				     (f->result & (KT_VMF_SIGBUS | KT_VMF_SIGSEGV))))
		return "exception-table fixup";
	if (f->handlers & KT_H_FAULT) {
		if (f->pmd)
			return "read fault, PMD";
		if (!strcmp(f->fault_kind, "cow"))
			return "COW fault";
		if (!strcmp(f->fault_kind, "shared"))
			return "shared write fault";
		return f->result & KT_VMF_MAJOR ? "read fault, major" : "read fault";
	}
	if (f->handlers & KT_H_MKWRITE)
		return "write to a clean shared page";
	if (f->handlers & KT_H_MAP_PAGES)
		return f->pmd ? "fault-around, PMD" : "fault-around";
	if (kt_fault_called(f, "do_wp_page"))
		return "COW of an anonymous page";
	if (kt_fault_called(f, "do_swap_page"))
		return "swap-in";
	if (kt_fault_called(f, "filemap_fault") || kt_fault_called(f, "filemap_map_pages"))
		return "file page (not the device)";
	if (f->kind == KT_NO_EXCEPTION)
		return "no exception (get_user_pages)";
	if (!f->ncalls)
		return "-";
	/* 6.1 inlines do_anonymous_page: what is left of a missing page */
	if (kt_fault_called(f, "do_anonymous_page") ||
	    (!(f->err & 0x1) && !kt_fault_called(f, "do_fault") &&
	     kt_fault_called(f, "__handle_mm_fault")))
		return "anonymous page";
	return "other";
}

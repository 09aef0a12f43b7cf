// SPDX-License-Identifier: GPL-2.0
/*
 * The seeded random stress test with a shadow model, as a kselftest: runs
 * faultdemo_stress (stress/, installed next to this program) with this
 * process's environment, passes its lines on as KTAP diagnostics and
 * checks the summary it ends with. stress/main.c describes the test and
 * its FAULTDEMO_STRESS_* variables.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "stress/summary.h"

struct stress_summary {
	unsigned long long seed, ops, min_ops, mismatches, errors;
	unsigned long long sigbus, module_sigbus;
	unsigned int dead_workers, hung_workers;
};

FIXTURE(stress)
{
	char prog[PATH_MAX];
};

/* faultdemo_stress is built and installed with this program. */
FIXTURE_SETUP(stress)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_LT(0, n) TH_LOG("/proc/self/exe: %s", strerror(errno));
	exe[n] = '\0';
	snprintf(self->prog, sizeof(self->prog), "%s/%s", dirname(exe),
		 STRESS_PROG);
	ASSERT_EQ(0, access(self->prog, X_OK))
		TH_LOG("%s: %s", self->prog, strerror(errno));
}

/* The run changes the module's parameters: leave them as the next test expects. */
FIXTURE_TEARDOWN(stress)
{
	fdemo_set_defaults();
}

/* Start @prog, its stdout and stderr on one pipe whose read end goes to @out. */
static pid_t spawn(const char *prog, int *out)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(127);
		close(fds[1]);
		execl(prog, prog, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	if (pid < 0)
		close(fds[0]);
	else
		*out = fds[0];
	return pid;
}

TEST_F_TIMEOUT(stress, random_ops, 360)
{
	struct stress_summary s;
	bool summary = false;
	char skip[256] = "";
	size_t cap = 0;
	char *line = NULL;
	int fd, status, err = 0;
	ssize_t len;
	FILE *f;
	pid_t pid;

	pid = spawn(self->prog, &fd);
	ASSERT_LT(0, pid) TH_LOG("running %s: %s", self->prog, strerror(errno));
	f = fdopen(fd, "r");
	if (!f) {
		err = errno;
		close(fd);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	ASSERT_NE(NULL, f) TH_LOG("fdopen: %s", strerror(err));
	/* as it comes: a hung run still shows how far it got */
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		printf("%s%s\n", line[0] == '#' ? "" : "# ", line);
		fflush(stdout);
		if (sscanf(line, STRESS_SUMMARY, &s.seed, &s.ops, &s.min_ops,
			   &s.mismatches, &s.errors, &s.sigbus, &s.module_sigbus,
			   &s.dead_workers, &s.hung_workers) == STRESS_SUMMARY_FIELDS)
			summary = true;
		else if (!strncmp(line, STRESS_SKIP, strlen(STRESS_SKIP)))
			snprintf(skip, sizeof(skip), "%s", line + strlen(STRESS_SKIP));
	}
	free(line);
	fclose(f);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));

	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP && skip[0])
		SKIP(return, "%s", skip);
	ASSERT_TRUE(summary)
		TH_LOG("%s ended (status %#x) without its summary line", STRESS_PROG,
		       status);
	TH_LOG("seed %llu: %llu operations, %llu mismatches, %llu unexpected errors",
	       s.seed, s.ops, s.mismatches, s.errors);
	if (s.dead_workers || s.hung_workers)
		TH_LOG("%u workers died, %u hung", s.dead_workers, s.hung_workers);
	EXPECT_LE(s.min_ops, s.ops)
		TH_LOG("%llu operations, fewer than FAULTDEMO_STRESS_MIN_OPS=%llu",
		       s.ops, s.min_ops);
	EXPECT_EQ(0, s.mismatches)
		TH_LOG("replay with FAULTDEMO_STRESS_SEED=%llu", s.seed);
	EXPECT_EQ(0, s.errors)
		TH_LOG("replay with FAULTDEMO_STRESS_SEED=%llu", s.seed);
	/* every SIGBUS seen was a fault past the end, counted by the module */
	EXPECT_LE(s.sigbus, s.module_sigbus);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("%s: status %#x", STRESS_PROG, status);
}

TEST_HARNESS_MAIN

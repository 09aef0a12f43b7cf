// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1): the command-line face of /dev/faultdemo (faultdemo(4)).
 *
 *   info     geometry, module parameters, the kernel's fault-around window
 *   stats    the per-path counters, once or --watch
 *   reset    zero the counters
 *   clean    FAULTDEMO_IOC_CLEAN: write back and write-protect a range
 *   tour     run every fault path once and show the evidence (tour.c)
 *   trace    run a program and show each page fault it takes (trace.c)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "common.h"

static void show_commands(FILE *f)
{
	fprintf(f,
		"usage: %s COMMAND [ARGS]\n"
		"\n"
		"Commands:\n"
		"  info                        device geometry, module parameters, fault_around_bytes\n"
		"  stats [--watch [SECONDS]] [--count N]\n"
		"                              the device's counters, once or every SECONDS (default 1)\n"
		"  reset                       zero the counters\n"
		"  clean [OFFSET [LENGTH]]     write back and write-protect a range (default: all)\n"
		"  tour [--json] [--setup-swap] [--no-trace] [--graph DIR] [--only ROW,...]\n"
		"                              run each page-fault path once; one row of evidence each\n"
		"  trace [--json] [--all] [--no-graph] [-o FILE] -- PROGRAM [ARGS...]\n"
		"                              run PROGRAM; one line per page fault it takes\n"
		"  help, --help                this text\n"
		"  --version                   the version\n"
		"\n"
		"Numbers take 0x for hex and K, M, G, T suffixes. See faultdemo(1), faultdemo(4).\n"
		"Exit status: 0 success, 1 failure (or a tour MISMATCH), 2 bad usage.\n",
		fd_prog);
}

static void print_size(const char *label, __u64 bytes)
{
	printf("%-20s %llu bytes", label, (unsigned long long)bytes);
	if (bytes >= (1ULL << 30) && !(bytes & ((1ULL << 30) - 1)))
		printf(" (%llu GiB)", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ULL << 20) && !(bytes & ((1ULL << 20) - 1)))
		printf(" (%llu MiB)", (unsigned long long)(bytes >> 20));
	else if (bytes >= (1ULL << 10) && !(bytes & ((1ULL << 10) - 1)))
		printf(" (%llu KiB)", (unsigned long long)(bytes >> 10));
	putchar('\n');
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Every file of /sys/module/faultdemo/parameters, sorted, name=value. */
static void print_params(void)
{
	char *names[64], path[512], val[128];
	struct dirent *de;
	int i, n = 0, ret;
	DIR *d;

	d = opendir(FD_PARAM_DIR);
	if (!d) {
		printf("%-20s unreadable (%s: %s)\n", "parameters:", FD_PARAM_DIR,
		       strerror(errno));
		return;
	}
	while ((de = readdir(d)) && n < (int)ARRAY_SIZE(names)) {
		if (de->d_name[0] == '.')
			continue;
		names[n] = strdup(de->d_name);
		if (names[n])
			n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	printf("parameters (%s):\n", FD_PARAM_DIR);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), FD_PARAM_DIR "/%s", names[i]);
		ret = fd_read_file(path, val, sizeof(val));
		if (ret)
			snprintf(val, sizeof(val), "? (%s)", strerror(-ret));
		printf("  %-18s %s\n", names[i], val);
		free(names[i]);
	}
}

static int cmd_info(int argc, char **argv)
{
	struct faultdemo_geometry g;
	char ver[64], path[256], bdi[64];
	struct utsname u;
	__u64 fab;
	int fd, ret;

	if (argc > 1) {
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			printf("usage: %s info\n", fd_prog);
			return FD_EXIT_OK;
		}
		return fd_usage_error("info: unexpected argument '%s'", argv[1]);
	}
	/* Read-only is enough for the ioctl; root is still needed (0600). */
	fd = fd_open_dev(O_RDONLY);
	if (fd < 0)
		return FD_EXIT_FAIL;
	ret = fd_geometry(fd, &g);
	close(fd);
	if (ret) {
		fd_errno_hint(-ret, "FAULTDEMO_IOC_GET_GEOMETRY");
		return FD_EXIT_FAIL;
	}

	printf("%-20s %s\n", "device:", FD_DEV);
	if (!uname(&u))
		printf("%-20s %s\n", "kernel:", u.release);
	if (!fd_read_file(FD_MODULE_DIR "/version", ver, sizeof(ver)))
		printf("%-20s %s\n", "module version:", ver);
	print_size("size:", g.size);
	printf("%-20s %llu\n", "pages:", (unsigned long long)(g.size / g.page_size));
	if (g.reserved_size) {
		print_size("reserved_size:", g.reserved_size);
		printf("%-20s 0x%llx\n", "reserved_offset:",
		       (unsigned long long)g.reserved_offset);
	} else {
		printf("%-20s 0 (no reserved window)\n", "reserved_size:");
	}
	printf("%-20s %u\n", "page_size:", g.page_size);
	if (!fd_backing(path, sizeof(path), bdi, sizeof(bdi)) && path[0]) {
		printf("%-20s block device %s (bdi %s)\n", "backing:", path, bdi);
		printf("%-20s the kernel's: /sys/class/bdi/%s/read_ahead_kb\n",
		       "readahead:", bdi);
	} else {
		printf("%-20s none: RAM, the page cache is the only copy\n", "backing:");
		printf("%-20s %u pages after a missed .fault\n", "readahead:",
		       g.readahead);
	}
	printf("%-20s %u (folios of up to %llu KiB%s)\n", "folio_order:",
	       g.folio_order, (unsigned long long)g.page_size << g.folio_order >> 10,
	       g.folio_order == 9 ? ", mapped by one PMD" : "");
	printf("%-20s %u (%s)\n", "fault_around:", g.fault_around,
	       g.fault_around ? "new mappings get .map_pages" :
				"new mappings get no .map_pages");
	ret = fd_fault_around_bytes(&fab);
	if (!ret)
		printf("%-20s %llu (%llu pages; %s)\n", "fault_around_bytes:",
		       (unsigned long long)fab,
		       (unsigned long long)(fab / g.page_size), FD_FAB_PATH);
	else
		printf("%-20s unknown (%s: %s; mount debugfs, as root)\n",
		       "fault_around_bytes:", FD_FAB_PATH, strerror(-ret));
	print_params();
	return FD_EXIT_OK;
}

static int parse_arg(const char *what, const char *s, __u64 *v)
{
	int ret = fd_parse_u64(s, v);

	if (ret == -ERANGE)
		return fd_usage_error("clean: %s '%s' is too large", what, s);
	if (ret)
		return fd_usage_error("clean: bad %s '%s': want bytes (0x.., K, M, G, T)",
				      what, s);
	return 0;
}

static int cmd_clean(int argc, char **argv)
{
	struct faultdemo_clean c = { 0 };
	struct faultdemo_geometry g;
	int fd, ret;

	if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		printf("usage: %s clean [OFFSET [LENGTH]]\n", fd_prog);
		return FD_EXIT_OK;
	}
	if (argc > 3)
		return fd_usage_error("clean: unexpected argument '%s'", argv[3]);
	if (argc > 1 && parse_arg("offset", argv[1], &c.offset))
		return FD_EXIT_USAGE;
	if (argc > 2 && parse_arg("length", argv[2], &c.length))
		return FD_EXIT_USAGE;

	fd = fd_open_dev(O_RDWR);
	if (fd < 0)
		return FD_EXIT_FAIL;
	ret = fd_geometry(fd, &g);
	if (ret) {
		fd_errno_hint(-ret, "FAULTDEMO_IOC_GET_GEOMETRY");
		close(fd);
		return FD_EXIT_FAIL;
	}
	/* Say which rule was broken instead of the ioctl's bare EINVAL. */
	if (c.offset % g.page_size || c.length % g.page_size) {
		close(fd);
		return fd_usage_error("clean: offset and length must be multiples of %u",
				      g.page_size);
	}
	if (c.offset >= g.size || c.length > g.size - c.offset) {
		close(fd);
		return fd_usage_error("clean: 0x%llx+0x%llx is past the data area (size 0x%llx)",
				      (unsigned long long)c.offset,
				      (unsigned long long)c.length,
				      (unsigned long long)g.size);
	}
	if (ioctl(fd, FAULTDEMO_IOC_CLEAN, &c)) {
		fd_errno_hint(errno, "FAULTDEMO_IOC_CLEAN");
		close(fd);
		return FD_EXIT_FAIL;
	}
	close(fd);
	printf("cleaned %llu page%s in [0x%llx, 0x%llx)\n",
	       (unsigned long long)c.cleaned, c.cleaned == 1 ? "" : "s",
	       (unsigned long long)c.offset,
	       (unsigned long long)(c.length ? c.offset + c.length : g.size));
	return FD_EXIT_OK;
}

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
	{ "info",	cmd_info },
	{ "stats",	cmd_stats },
	{ "reset",	cmd_reset },
	{ "clean",	cmd_clean },
	{ "tour",	cmd_tour },
	{ "trace",	cmd_trace },
};

int main(int argc, char **argv)
{
	const char *cmd;
	size_t i;

	if (argc < 2) {
		show_commands(stderr);
		return FD_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		show_commands(stdout);
		return FD_EXIT_OK;
	}
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
		printf("faultdemo %s\n", FAULTDEMO_VERSION);
		return FD_EXIT_OK;
	}
	for (i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return fd_usage_error("unknown option '%s'", cmd);
	return fd_usage_error("unknown command '%s'", cmd);
}

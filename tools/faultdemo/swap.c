// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1) tour: find swap, or make some with zram.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/swap.h>
#include <sys/wait.h>
#include <linux/types.h>

#include "common.h"
#include "swap.h"

/* Enough for a few test pages; zram allocates only what is written. */
#define ZRAM_DISKSIZE	"32M"
#define ZRAM_BYTES	(32ULL << 20)

/* Active swap areas, and the free swap in KiB. */
static int swap_active(long *free_kb)
{
	char line[512];
	int n = -1;
	FILE *f;

	*free_kb = 0;
	f = fopen("/proc/swaps", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;	/* the first line is the header */
	fclose(f);
	f = fopen("/proc/meminfo", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "SwapFree: %ld kB", free_kb) == 1)
				break;
		fclose(f);
	}
	return n < 0 ? 0 : n;
}

static int run_quiet(const char *prog, const char *arg)
{
	int status, fd;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp(prog, prog, arg, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * What mkswap(8) writes, and all that sys_swapon() reads: the version-1
 * header in the first page and the SWAPSPACE2 magic at its end.
 */
static int write_swap_header(const char *dev, __u64 bytes)
{
	size_t ps = fd_page_size();
	unsigned char *page;
	__u32 *info;
	ssize_t n;
	int fd, ret = 0;

	page = calloc(1, ps);
	if (!page)
		return -ENOMEM;
	info = (__u32 *)(page + 1024);
	info[0] = 1;				/* version */
	info[1] = (__u32)(bytes / ps - 1);	/* last_page */
	info[2] = 0;				/* nr_badpages */
	memcpy(page + ps - 10, "SWAPSPACE2", 10);
	fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		free(page);
		return -errno;
	}
	n = pwrite(fd, page, ps, 0);
	if (n != (ssize_t)ps)
		ret = n < 0 ? -errno : -EIO;
	if (!ret && fsync(fd))
		ret = -errno;
	close(fd);
	free(page);
	return ret;
}

static int zram_pick(struct swap_state *s)
{
	__u64 size = 1;
	char buf[32];
	int ret;

	if (!fd_read_u64("/sys/block/zram0/disksize", &size) && !size) {
		s->zram_id = 0;
		return 0;
	}
	/* zram0 is someone's disk: add a device of our own. */
	ret = fd_read_file("/sys/class/zram-control/hot_add", buf, sizeof(buf));
	if (ret)
		return ret;
	s->zram_id = atoi(buf);
	s->hot_added = true;
	return 0;
}

static int zram_setup(struct swap_state *s)
{
	char path[96];
	int ret, i;

	if (geteuid()) {
		snprintf(s->how, sizeof(s->how), "--setup-swap needs root");
		return -EPERM;
	}
	if (access("/sys/class/zram-control", F_OK) &&
	    run_quiet("modprobe", "zram")) {
		snprintf(s->how, sizeof(s->how), "modprobe zram failed");
		return -ENODEV;
	}
	ret = zram_pick(s);
	if (ret) {
		snprintf(s->how, sizeof(s->how), "no free zram device: %s", strerror(-ret));
		return ret;
	}
	s->ours = true;	/* from here on, swap_teardown() has work to do */
	snprintf(s->dev, sizeof(s->dev), "/dev/zram%d", s->zram_id);
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", s->zram_id);
	ret = fd_write_file(path, ZRAM_DISKSIZE);
	if (ret) {
		snprintf(s->how, sizeof(s->how), "%s: %s", path, strerror(-ret));
		goto undo;
	}
	/* devtmpfs creates the node asynchronously. */
	for (i = 0; i < 100 && access(s->dev, F_OK); i++)
		sleep_ms(20);
	ret = write_swap_header(s->dev, ZRAM_BYTES);
	if (ret) {
		snprintf(s->how, sizeof(s->how), "mkswap %s: %s", s->dev, strerror(-ret));
		goto undo;
	}
	if (swapon(s->dev, 0)) {
		ret = -errno;
		snprintf(s->how, sizeof(s->how), "swapon %s: %s", s->dev, strerror(errno));
		goto undo;
	}
	return 0;
undo:
	swap_teardown(s);	/* leaves s->how, the reason, alone */
	return ret;
}

void swap_prepare(struct swap_state *s, bool setup)
{
	long free_kb;
	int n;

	memset(s, 0, sizeof(*s));
	s->zram_id = -1;
	n = swap_active(&free_kb);
	if (n > 0 && free_kb > 0) {
		s->usable = true;
		snprintf(s->how, sizeof(s->how), "%d swap area%s active, %ld kB free",
			 n, n == 1 ? "" : "s", free_kb);
		return;
	}
	if (!setup) {
		snprintf(s->how, sizeof(s->how), "%s",
			 n > 0 ? "swap is full" :
			 "no swap active (as root, --setup-swap sets up zram swap)");
		return;
	}
	if (!zram_setup(s)) {
		s->usable = true;
		snprintf(s->how, sizeof(s->how), "zram swap set up on %s for the tour", s->dev);
	}
}

void swap_teardown(struct swap_state *s)
{
	char path[96], id[16];

	if (!s->ours)
		return;
	swapoff(s->dev);	/* fails harmlessly if swapon never happened */
	snprintf(path, sizeof(path), "/sys/block/zram%d/reset", s->zram_id);
	fd_write_file(path, "1");
	if (s->hot_added) {
		snprintf(id, sizeof(id), "%d", s->zram_id);
		fd_write_file("/sys/class/zram-control/hot_remove", id);
	}
	s->ours = false;
	s->usable = false;
}

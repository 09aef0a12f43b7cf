// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo(1): error messages, small sysfs files, numbers, the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "common.h"

const char *fd_prog = "faultdemo";

static void vmsg(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", fd_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void fd_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* The second line of an error: what to do about it. */
void fd_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
}

/* A usage error: the reason, where to read more, exit status 2. */
int fd_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap);
	va_end(ap);
	fd_hint("try '%s --help'", fd_prog);
	return FD_EXIT_USAGE;
}

/*
 * Every way of failing to reach the device or its sysfs files boils
 * down to two causes a user can fix; name them.
 */
void fd_errno_hint(int err, const char *what)
{
	fd_err("%s: %s", what, strerror(err));
	switch (err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fd_hint("module not loaded? try: insmod faultdemo.ko");
		break;
	case EACCES:
	case EPERM:
		fd_hint("permission denied: run as root");
		break;
	default:
		break;
	}
}

int fd_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	err = errno;
	close(fd);
	if (n < 0)
		return -err;
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int fd_write_file(const char *path, const char *val)
{
	size_t len = strlen(val);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, len);
	err = errno;
	if (close(fd) && n >= 0)
		return -errno;
	if (n < 0)
		return -err;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * Decimal, 0x hex or 0 octal, with an optional K/M/G/T suffix (powers of
 * 1024, as the module parameters take them). Y/N read as 1/0 because
 * boolean module parameters print that way. Overflow is an error, not a
 * silent wrap.
 */
int fd_parse_u64(const char *s, __u64 *val)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!strcmp(s, "Y") || !strcmp(s, "y")) {
		*val = 1;
		return 0;
	}
	if (!strcmp(s, "N") || !strcmp(s, "n")) {
		*val = 0;
		return 0;
	}
	if (!*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return errno == ERANGE ? -ERANGE : -EINVAL;
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case 'T': case 't':
		shift = 40;
		break;
	default:
		break;
	}
	if (shift)
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (~0ULL >> shift))
		return -ERANGE;
	*val = v << shift;
	return 0;
}

int fd_read_u64(const char *path, __u64 *val)
{
	char buf[64];
	int ret;

	ret = fd_read_file(path, buf, sizeof(buf));
	if (ret)
		return ret;
	return fd_parse_u64(buf, val);
}

/* Open the device; on failure say why and what to do, return -errno. */
int fd_open_dev(int flags)
{
	int fd, err;

	fd = open(FD_DEV, flags | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	err = errno;
	fd_errno_hint(err, FD_DEV);
	return -err;
}

int fd_geometry(int fd, struct faultdemo_geometry *g)
{
	memset(g, 0, sizeof(*g));
	if (ioctl(fd, FAULTDEMO_IOC_GET_GEOMETRY, g))
		return -errno;
	return 0;
}

/*
 * The kernel's fault-around window. Only in debugfs, which may be
 * unmounted or root-only: callers treat an error as "unknown".
 */
int fd_fault_around_bytes(__u64 *val)
{
	return fd_read_u64(FD_FAB_PATH, val);
}

int fd_backing(char *path, size_t len, char *bdi, size_t bdilen)
{
	int ret;

	path[0] = '\0';
	bdi[0] = '\0';
	ret = fd_read_file(FD_PARAM_DIR "/backing", path, len);
	if (ret)
		return ret;
	return path[0] ? fd_read_file(FD_CLASS_DIR "/bdi", bdi, bdilen) : 0;
}

size_t fd_page_size(void)
{
	static size_t ps;

	if (!ps)
		ps = sysconf(_SC_PAGESIZE);
	return ps;
}

/*
 * Write the next 32 KiB of stack below the caller's frame. After fork()
 * every stack page is copy-on-write, and a measured step whose frame
 * lands on one would count that fault too. This lives in a file of its
 * own callers do not see into, so it is never inlined: its frame is
 * really below theirs.
 */
void fd_prefault_stack(void)
{
	char buf[32 * 1024];
	size_t i;

	for (i = 0; i < sizeof(buf); i += 64)
		__atomic_store_n(&buf[i], 0, __ATOMIC_RELAXED);
}

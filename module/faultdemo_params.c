// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: module parameters.
 *
 * Every parameter is checked by its own ->set(), both at load time (a bad
 * value fails the load with -EINVAL) and, for the runtime-writable ones, on
 * every write to /sys/module/faultdemo/parameters/<name>.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>

#include "compat.h"
#include "faultdemo.h"

u64 faultdemo_size = SZ_64M;
u64 faultdemo_reserved_size = SZ_1M;
unsigned int faultdemo_readahead = 15;
bool faultdemo_fault_around = true;
char faultdemo_backing[FAULTDEMO_BACKING_MAX];
unsigned int faultdemo_folio_order;

/* size= was given: with backing=, it then need not be the device's size. */
static bool faultdemo_size_given;

/* The reserved window is one alloc_pages_exact() call. */
static_assert(FAULTDEMO_RESERVED_SIZE_MAX <=
	      (PAGE_SIZE << FAULTDEMO_MAX_PAGE_ORDER));
/* The data area ends at or before the reserved window. */
static_assert(FAULTDEMO_SIZE_MAX <= FAULTDEMO_RESERVED_OFFSET);

/* Length of @val without a trailing newline, for error messages. */
static int faultdemo_val_len(const char *val)
{
	return val ? (int)strcspn(val, "\n") : 0;
}

/*
 * Numbers are decimal, or hexadecimal with 0x. kstrto*() with base 0 would
 * read "010" as octal 8: a leading zero followed by a digit is refused
 * instead of silently meaning something else.
 */
static bool faultdemo_octal_looking(const char *s)
{
	if (*s == '+')		/* kstrto*() take a sign */
		s++;
	return s[0] == '0' && isdigit(s[1]);
}

/*
 * Parse "<number>[KMGT]" like memparse(), but reject trailing garbage,
 * overflow (both of which memparse() silently accepts) and octal.
 */
static int faultdemo_parse_bytes(const char *val, u64 *bytes)
{
	unsigned long long num;
	unsigned int shift = 0;
	char buf[32];
	size_t len;
	char *s;

	if (!val || strscpy(buf, val, sizeof(buf)) < 0)
		return -EINVAL;
	s = strim(buf);
	len = strlen(s);
	if (!len)
		return -EINVAL;

	switch (s[len - 1]) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	}
	if (shift)
		s[len - 1] = '\0';

	if (faultdemo_octal_looking(s) || kstrtoull(s, 0, &num) ||
	    num > (U64_MAX >> shift))
		return -EINVAL;
	*bytes = num << shift;
	return 0;
}

static int faultdemo_set_size(const char *val, const struct kernel_param *kp)
{
	u64 bytes;

	if (faultdemo_parse_bytes(val, &bytes) ||
	    bytes < FAULTDEMO_SIZE_MIN || bytes > FAULTDEMO_SIZE_MAX ||
	    !IS_ALIGNED(bytes, PAGE_SIZE)) {
		pr_err("size=%.*s: must be a multiple of %lu in [%lu, %llu] bytes (K/M/G/T suffixes allowed)\n",
		       faultdemo_val_len(val), val ?: "", PAGE_SIZE,
		       FAULTDEMO_SIZE_MIN, FAULTDEMO_SIZE_MAX);
		return -EINVAL;
	}
	*(u64 *)kp->arg = bytes;
	faultdemo_size_given = true;
	return 0;
}

static int faultdemo_set_reserved_size(const char *val,
				       const struct kernel_param *kp)
{
	u64 bytes;

	if (faultdemo_parse_bytes(val, &bytes) ||
	    bytes > FAULTDEMO_RESERVED_SIZE_MAX ||
	    !IS_ALIGNED(bytes, PAGE_SIZE)) {
		pr_err("reserved_size=%.*s: must be 0 or a multiple of %lu in [%lu, %lu] bytes (K/M suffixes allowed)\n",
		       faultdemo_val_len(val), val ?: "", PAGE_SIZE,
		       PAGE_SIZE, (unsigned long)FAULTDEMO_RESERVED_SIZE_MAX);
		return -EINVAL;
	}
	*(u64 *)kp->arg = bytes;
	return 0;
}

static int faultdemo_set_readahead(const char *val,
				   const struct kernel_param *kp)
{
	unsigned int pages;

	if (!val || faultdemo_octal_looking(val) || kstrtouint(val, 0, &pages) ||
	    pages > FAULTDEMO_READAHEAD_MAX) {
		pr_err("readahead=%.*s: must be an integer in [0, %u] (pages)\n",
		       faultdemo_val_len(val), val ?: "",
		       FAULTDEMO_READAHEAD_MAX);
		return -EINVAL;
	}
	/* Read locklessly by .fault: see faultdemo_readahead_pages(). */
	WRITE_ONCE(*(unsigned int *)kp->arg, pages);
	return 0;
}

static int faultdemo_set_fault_around(const char *val,
				      const struct kernel_param *kp)
{
	bool on;

	/* A bare "fault_around" means Y, as for any bool parameter. */
	if (!val) {
		on = true;
	} else if (kstrtobool(val, &on)) {
		pr_err("fault_around=%.*s: must be a boolean (Y/N, 1/0)\n",
		       faultdemo_val_len(val), val);
		return -EINVAL;
	}
	/* Read locklessly by mmap: see faultdemo_fault_around_enabled(). */
	WRITE_ONCE(*(bool *)kp->arg, on);
	return 0;
}

/**
 * faultdemo_params_settle() - decide the size of the data area
 * @device_bytes: size of the backing device, 0 without one
 *
 * With a backing device the data area is the device, so size defaults to
 * its size (in whole pages, at most FAULTDEMO_SIZE_MAX) and may not be
 * larger. Without one, the data area's pages live in RAM until unload and
 * can never be evicted, so size may be at most half of RAM, the default
 * size of tmpfs. The parameter then shows the size in effect. With a
 * backing device and a kernel before 6.12, folio_order is 0 or the
 * largest (compat.h, FAULTDEMO_HAVE_FOLIO_ORDER_RANGE).
 *
 * Context: module init, before the store exists.
 * Return: 0, or -EINVAL with a message naming both sizes.
 */
int faultdemo_params_settle(u64 device_bytes)
{
	u64 usable, ram;

	if (faultdemo_backing[0]) {
		if (!FAULTDEMO_HAVE_FOLIO_ORDER_RANGE && faultdemo_folio_order &&
		    faultdemo_folio_order != FAULTDEMO_FOLIO_ORDER_MAX) {
			pr_err("folio_order=%u: with backing= this kernel's read-ahead takes folios up to order %u or none: 0 or %u\n",
			       faultdemo_folio_order, FAULTDEMO_FOLIO_ORDER_MAX,
			       FAULTDEMO_FOLIO_ORDER_MAX);
			return -EINVAL;
		}
		usable = min_t(u64, round_down(device_bytes, PAGE_SIZE),
			       FAULTDEMO_SIZE_MAX);
		if (usable < FAULTDEMO_SIZE_MIN) {
			pr_err("backing=%s: %llu bytes, less than one page\n",
			       faultdemo_backing, device_bytes);
			return -EINVAL;
		}
		if (!faultdemo_size_given) {
			faultdemo_size = usable;
		} else if (faultdemo_size > usable) {
			pr_err("size=%llu is larger than backing=%s (%llu bytes, %llu usable)\n",
			       faultdemo_size, faultdemo_backing, device_bytes,
			       usable);
			return -EINVAL;
		}
		if (device_bytes > faultdemo_size)
			pr_info("backing=%s: using the first %llu of its %llu bytes\n",
				faultdemo_backing, faultdemo_size, device_bytes);
		return 0;
	}

	ram = round_down(((u64)totalram_pages() << PAGE_SHIFT) / 2, PAGE_SIZE);
	if (faultdemo_size > ram) {
		pr_err("size=%llu is more than half of RAM (%llu bytes): without backing= the data area can never be evicted\n",
		       faultdemo_size, ram);
		return -EINVAL;
	}
	return 0;
}

/*
 * 0, or 2..FAULTDEMO_FOLIO_ORDER_MAX. Order 1 is refused: 6.1 cannot
 * allocate an order-1 page-cache folio (no room for the large-folio
 * metadata), and on x86-64 it would gain nothing over order 2.
 */
static int faultdemo_set_folio_order(const char *val,
				     const struct kernel_param *kp)
{
	unsigned int order;

	if (!val || faultdemo_octal_looking(val) || kstrtouint(val, 0, &order) ||
	    order == 1 || order > FAULTDEMO_FOLIO_ORDER_MAX) {
		if (FAULTDEMO_FOLIO_ORDER_MAX)
			pr_err("folio_order=%.*s: must be 0 or in [2, %u]\n",
			       faultdemo_val_len(val), val ?: "",
			       FAULTDEMO_FOLIO_ORDER_MAX);
		else
			pr_err("folio_order=%.*s: must be 0: this kernel has no CONFIG_TRANSPARENT_HUGEPAGE\n",
			       faultdemo_val_len(val), val ?: "");
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = order;
	return 0;
}

static const struct kernel_param_ops faultdemo_size_ops = {
	.set = faultdemo_set_size,
	.get = param_get_ullong,
};

static const struct kernel_param_ops faultdemo_reserved_size_ops = {
	.set = faultdemo_set_reserved_size,
	.get = param_get_ullong,
};

static const struct kernel_param_ops faultdemo_readahead_ops = {
	.set = faultdemo_set_readahead,
	.get = param_get_uint,
};

static const struct kernel_param_ops faultdemo_folio_order_ops = {
	.set = faultdemo_set_folio_order,
	.get = param_get_uint,
};

static const struct kernel_param_ops faultdemo_fault_around_ops = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = faultdemo_set_fault_around,
	.get = param_get_bool,
};

module_param_cb(size, &faultdemo_size_ops, &faultdemo_size, 0444);
__MODULE_PARM_TYPE(size, "ullong");
MODULE_PARM_DESC(size,
		 "Bytes in the data area at mmap offset 0: a multiple of PAGE_SIZE in [PAGE_SIZE, 1T], K/M/G/T suffixes accepted. Without backing=: default 64M, at most half of RAM, since those pages are never evicted; memory is spent only on pages touched. With backing=: default and maximum the device's size. Read-only after load.");

module_param_cb(reserved_size, &faultdemo_reserved_size_ops,
		&faultdemo_reserved_size, 0444);
__MODULE_PARM_TYPE(reserved_size, "ullong");
MODULE_PARM_DESC(reserved_size,
		 "Bytes in the physically contiguous reserved window at mmap offset 1T (FAULTDEMO_RESERVED_OFFSET): 0 disables it, else a multiple of PAGE_SIZE up to 4M, K/M suffixes accepted (default 1M). Allocated at load. Read-only after load.");

module_param_string(backing, faultdemo_backing, sizeof(faultdemo_backing),
		    0444);
MODULE_PARM_DESC(backing,
		 "Path of a block device to put behind the page cache (e.g. /dev/vda), opened exclusively until unload: the data area is its contents, faults read it (major faults, read-ahead sized by /sys/class/bdi/<bdi>/read_ahead_kb), dirty pages are written back to it, clean pages can be evicted. Empty (default): the page cache is the only copy, in RAM. Read-only after load.");

module_param_cb(readahead, &faultdemo_readahead_ops, &faultdemo_readahead,
		0644);
__MODULE_PARM_TYPE(readahead, "uint");
MODULE_PARM_DESC(readahead,
		 "Without backing=: pages one .fault inserts into the page cache after the faulting page, so that the next fault's fault-around maps them: 0..1024 (default 15). Writable at runtime. With backing= not used: the kernel's read-ahead applies, sized by the bdi's read_ahead_kb and posix_fadvise().");

module_param_cb(fault_around, &faultdemo_fault_around_ops,
		&faultdemo_fault_around, 0644);
__MODULE_PARM_TYPE(fault_around, "bool");
MODULE_PARM_DESC(fault_around,
		 "Give new mappings of the data area a .map_pages handler (fault-around) (default Y). Writable at runtime; affects mappings created afterwards.");

module_param_cb(folio_order, &faultdemo_folio_order_ops,
		&faultdemo_folio_order, 0444);
__MODULE_PARM_TYPE(folio_order, "uint");
MODULE_PARM_DESC(folio_order,
		 "Largest folio in the page cache, as a page order: 0 (default, one page per folio) or 2..9 (9 = 2 MiB on x86-64, mapped by one PMD: one fault per 2 MiB, one .page_mkwrite per folio). Without backing= the store allocates folios of this order, smaller when memory is short and at the end of the data area; with backing= read-ahead picks each folio's size up to it, as for a file on xfs (before 6.12: 0 or 9 only). 0 only without CONFIG_TRANSPARENT_HUGEPAGE. Read-only after load.");

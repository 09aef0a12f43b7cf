// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: per-cpu counters and the device's sysfs attributes.
 *
 * /sys/class/misc/faultdemo/{size,backend,bdi,folio_order,reserved_size,
 *                            reserved_offset}
 * /sys/class/misc/faultdemo/stats/<counter>, stats/pages_cached,
 * stats/folios_cached, stats/reset
 */
#include <linux/cpumask.h>
#include <linux/device.h>
#include <linux/kernel.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/sysfs.h>

#include "compat.h"
#include "faultdemo.h"

DEFINE_PER_CPU(struct faultdemo_pcpu_stats, faultdemo_pcpu_stats);

/**
 * faultdemo_stat_read() - sum of one counter over all CPUs
 * @item: the counter
 *
 * Counters of CPUs that went offline are kept and included.
 *
 * Return: the current sum (not an atomic snapshot).
 */
unsigned long faultdemo_stat_read(enum faultdemo_stat_item item)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += READ_ONCE(per_cpu(faultdemo_pcpu_stats, cpu).count[item]);
	return sum;
}

/**
 * faultdemo_stat_reset() - zero every counter on every CPU
 *
 * An increment racing with the reset on another CPU may survive it or be
 * lost; taking a lock in the fault path to prevent that is not worth it.
 */
void faultdemo_stat_reset(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu)
		for (i = 0; i < FAULTDEMO_STAT_NR; i++)
			WRITE_ONCE(per_cpu(faultdemo_pcpu_stats, cpu).count[i], 0);
}

/* Geometry: fixed at load, so plain reads. */

static ssize_t size_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%llu\n", faultdemo_size);
}
static DEVICE_ATTR_RO(size);

static ssize_t reserved_size_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", faultdemo_reserved_size);
}
static DEVICE_ATTR_RO(reserved_size);

static ssize_t reserved_offset_show(struct device *dev,
				    struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", FAULTDEMO_RESERVED_OFFSET);
}
static DEVICE_ATTR_RO(reserved_offset);

/* "ram" or "block": what lies behind the page cache. */
static ssize_t backend_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", faultdemo_backend()->name);
}
static DEVICE_ATTR_RO(backend);

/* The store's bdi under /sys/class/bdi/, empty in RAM mode. */
static ssize_t bdi_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return sysfs_emit(buf, "%s\n", faultdemo_cache_bdi_name());
}
static DEVICE_ATTR_RO(bdi);

/* Largest folio order the store allocates (module parameter folio_order). */
static ssize_t folio_order_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", faultdemo_folio_order);
}
static DEVICE_ATTR_RO(folio_order);

static struct attribute *faultdemo_dev_attrs[] = {
	&dev_attr_size.attr,
	&dev_attr_backend.attr,
	&dev_attr_bdi.attr,
	&dev_attr_folio_order.attr,
	&dev_attr_reserved_size.attr,
	&dev_attr_reserved_offset.attr,
	NULL,
};

static const struct attribute_group faultdemo_dev_group = {
	.attrs = faultdemo_dev_attrs,
};

/* Counters: one attribute per item, sharing one show routine. */

struct faultdemo_stat_attr {
	struct device_attribute attr;
	enum faultdemo_stat_item item;
};

static ssize_t faultdemo_stat_show(struct device *dev,
				   struct device_attribute *attr, char *buf)
{
	struct faultdemo_stat_attr *sa =
		container_of(attr, struct faultdemo_stat_attr, attr);

	return sysfs_emit(buf, "%lu\n", faultdemo_stat_read(sa->item));
}

#define FAULTDEMO_STAT_ATTR(_name, _item)				\
	static struct faultdemo_stat_attr faultdemo_stat_attr_##_name = {	\
		.attr = __ATTR(_name, 0444, faultdemo_stat_show, NULL),	\
		.item = _item,						\
	}

FAULTDEMO_STAT_ATTR(fault_read, FAULTDEMO_STAT_FAULT_READ);
FAULTDEMO_STAT_ATTR(fault_cow, FAULTDEMO_STAT_FAULT_COW);
FAULTDEMO_STAT_ATTR(fault_shared, FAULTDEMO_STAT_FAULT_SHARED);
FAULTDEMO_STAT_ATTR(map_pages, FAULTDEMO_STAT_MAP_PAGES);
FAULTDEMO_STAT_ATTR(page_mkwrite, FAULTDEMO_STAT_PAGE_MKWRITE);
FAULTDEMO_STAT_ATTR(sigbus, FAULTDEMO_STAT_SIGBUS);
FAULTDEMO_STAT_ATTR(readahead, FAULTDEMO_STAT_READAHEAD);
FAULTDEMO_STAT_ATTR(clean, FAULTDEMO_STAT_CLEAN);
FAULTDEMO_STAT_ATTR(fault_major, FAULTDEMO_STAT_FAULT_MAJOR);
FAULTDEMO_STAT_ATTR(fault_retry, FAULTDEMO_STAT_FAULT_RETRY);
FAULTDEMO_STAT_ATTR(pages_read, FAULTDEMO_STAT_PAGES_READ);
FAULTDEMO_STAT_ATTR(pages_written, FAULTDEMO_STAT_PAGES_WRITTEN);
FAULTDEMO_STAT_ATTR(writeback_errors, FAULTDEMO_STAT_WRITEBACK_ERRORS);
FAULTDEMO_STAT_ATTR(fault_pmd, FAULTDEMO_STAT_FAULT_PMD);
FAULTDEMO_STAT_ATTR(map_pages_pmd, FAULTDEMO_STAT_MAP_PAGES_PMD);

/* Not a counter: pages in the page cache right now. */
static ssize_t pages_cached_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%lu\n", READ_ONCE(faultdemo_mapping()->nrpages));
}
static DEVICE_ATTR_RO(pages_cached);

/*
 * Not a counter: folios in the page cache right now by order, "N0 N1 ...
 * N9", one number per order from 0 to MAX_PAGECACHE_ORDER (9 on x86-64;
 * just "N0" without CONFIG_TRANSPARENT_HUGEPAGE): an array of one type,
 * as sysfs allows. Walks the cache: a read costs one visit
 * per cached folio.
 */
static ssize_t folios_cached_show(struct device *dev,
				  struct device_attribute *attr, char *buf)
{
	unsigned long count[FAULTDEMO_MAX_PAGE_ORDER + 1] = { 0 };
	unsigned int nr = FAULTDEMO_FOLIO_ORDER_MAX + 1, order;
	int len = 0;

	BUILD_BUG_ON(ARRAY_SIZE(count) <= FAULTDEMO_FOLIO_ORDER_MAX);
	faultdemo_cache_count_folios(count, nr);
	for (order = 0; order < nr; order++)
		len += sysfs_emit_at(buf, len, "%s%lu", order ? " " : "",
				     count[order]);
	return len + sysfs_emit_at(buf, len, "\n");
}
static DEVICE_ATTR_RO(folios_cached);

/* Any write zeroes all counters. */
static ssize_t reset_store(struct device *dev, struct device_attribute *attr,
			   const char *buf, size_t count)
{
	faultdemo_stat_reset();
	return count;
}
static DEVICE_ATTR_WO(reset);

static struct attribute *faultdemo_stats_attrs[] = {
	&faultdemo_stat_attr_fault_read.attr.attr,
	&faultdemo_stat_attr_fault_cow.attr.attr,
	&faultdemo_stat_attr_fault_shared.attr.attr,
	&faultdemo_stat_attr_map_pages.attr.attr,
	&faultdemo_stat_attr_page_mkwrite.attr.attr,
	&faultdemo_stat_attr_sigbus.attr.attr,
	&faultdemo_stat_attr_readahead.attr.attr,
	&faultdemo_stat_attr_clean.attr.attr,
	&faultdemo_stat_attr_fault_major.attr.attr,
	&faultdemo_stat_attr_fault_retry.attr.attr,
	&faultdemo_stat_attr_pages_read.attr.attr,
	&faultdemo_stat_attr_pages_written.attr.attr,
	&faultdemo_stat_attr_writeback_errors.attr.attr,
	&faultdemo_stat_attr_fault_pmd.attr.attr,
	&faultdemo_stat_attr_map_pages_pmd.attr.attr,
	&dev_attr_pages_cached.attr,
	&dev_attr_folios_cached.attr,
	&dev_attr_reset.attr,
	NULL,
};

static const struct attribute_group faultdemo_stats_group = {
	.name = "stats",
	.attrs = faultdemo_stats_attrs,
};

/*
 * Attached through miscdevice.groups, so that they exist exactly as long
 * as the device and udev sees them at KOBJ_ADD.
 */
const struct attribute_group *faultdemo_sysfs_groups[] = {
	&faultdemo_dev_group,
	&faultdemo_stats_group,
	NULL,
};

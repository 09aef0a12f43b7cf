/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Set-up steps shared by the kselftest_harness.h fixtures. An ASSERT in
 * here fails the calling test: the harness longjmps out of it.
 */
#ifndef FAULTDEMO_FIXTURE_H
#define FAULTDEMO_FIXTURE_H

#include <fcntl.h>
#include <string.h>

#include "kselftest_harness.h"
#include "faultdemo_helpers.h"
#include "faultdemo_blk.h"

/*
 * The module loaded with its parameters at their defaults, and the device
 * open for reading and writing: its descriptor. The page size goes to @ps.
 */
static inline int fdemo_fixture_open(struct __test_metadata *_metadata,
				     size_t *ps)
{
	int ret = fdemo_set_defaults(), fd;

	ASSERT_EQ(0, ret) TH_LOG("module not usable: %s", strerror(-ret));
	*ps = fdemo_page_size();
	fd = fdemo_open(O_RDWR);
	ASSERT_LE(0, fd) TH_LOG("open: %s", strerror(-fd));
	return fd;
}

/*
 * The kernel-wide fault_around_bytes set to its default: the value it had,
 * for the teardown to restore, or 0 if there was nothing to restore.
 */
static inline __u64 fdemo_fixture_default_fab(struct __test_metadata *_metadata)
{
	__u64 fab = 0;

	if (fdemo_fab_get(&fab) || fab == FDEMO_DEF_FAB)
		return 0;
	ASSERT_EQ(0, fdemo_fab_set(FDEMO_DEF_FAB));
	return fab;
}

/*
 * Periodic writeback off (vm.dirty_writeback_centisecs 0): the value it
 * had, for the teardown to restore, or -1 if there was nothing to restore.
 * The flusher writes back every page of an inode dirtied long enough ago,
 * so a page dirtied by a case could be clean before the case looks at it.
 */
static inline long long
fdemo_fixture_no_periodic_writeback(struct __test_metadata *_metadata)
{
	long long cs = -1;

	ASSERT_EQ(0, fdemo_sysctl_get("vm/dirty_writeback_centisecs", &cs));
	if (!cs)
		return -1;
	ASSERT_EQ(0, fdemo_sysctl_set("vm/dirty_writeback_centisecs", 0));
	return cs;
}

#endif /* FAULTDEMO_FIXTURE_H */

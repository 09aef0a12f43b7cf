/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Set-up steps shared by the kselftest_harness.h fixtures. An ASSERT in
 * here fails the calling test: the harness longjmps out of it.
 */
#ifndef FAULTDEMO_FIXTURE_H
#define FAULTDEMO_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
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

/*
 * The module unloaded and FDEMO_DM_NAME made again, linear over @disk,
 * for the module to be loaded on. True: the teardown removes it with
 * fdemo_fixture_dm_remove().
 */
static inline bool fdemo_fixture_dm_linear(struct __test_metadata *_metadata,
					   const char *disk)
{
	char table[256];

	if (fdemo_loaded())
		ASSERT_EQ(0, fdemo_unload_retry());
	ASSERT_EQ(0, fdemo_dm_remove(FDEMO_DM_NAME));
	ASSERT_EQ(0, fdemo_dm_table_linear(disk, table, sizeof(table)));
	ASSERT_EQ(0, fdemo_dm_create(FDEMO_DM_NAME, table, false));
	return true;
}

/*
 * Teardown: FDEMO_DM_NAME linear again (a suspended or failing device
 * would hang or fail the unload), the module unloaded, the device gone.
 */
static inline void fdemo_fixture_dm_remove(const char *disk)
{
	char table[256];

	if (!fdemo_dm_table_linear(disk, table, sizeof(table)))
		fdemo_dm_swap(FDEMO_DM_NAME, table);
	if (fdemo_loaded() && fdemo_unload_retry())
		fprintf(stderr, "# could not unload faultdemo\n");
	fdemo_dm_remove(FDEMO_DM_NAME);
}

#endif /* FAULTDEMO_FIXTURE_H */

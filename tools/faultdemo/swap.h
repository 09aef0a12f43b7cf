/* SPDX-License-Identifier: GPL-2.0 */
/*
 * faultdemo(1) tour: a swap device for the swap-in row. Existing swap is
 * used as it is; only when asked (--setup-swap, as root) does the tour
 * set up a zram swap device, and it removes it again afterwards.
 */
#ifndef FAULTDEMO_SWAP_H
#define FAULTDEMO_SWAP_H

#include <stdbool.h>

struct swap_state {
	bool usable;		/* some swap is on and has room */
	bool ours;		/* we set up @dev; swap_teardown() undoes it */
	bool hot_added;		/* @zram_id came from zram-control/hot_add */
	int zram_id;
	char dev[32];
	char how[160];		/* which swap, or why there is none */
};

void swap_prepare(struct swap_state *s, bool setup);
void swap_teardown(struct swap_state *s);

#endif /* FAULTDEMO_SWAP_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * A module whose load hits WARN_ON(): scripts/vm-run must fail the run
 * (the guest boots with panic_on_warn=1 and the log is scanned).
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>

static int __init warn_on_load_init(void)
{
	WARN_ON(1);
	return 0;
}

static void __exit warn_on_load_exit(void)
{
}

module_init(warn_on_load_init);
module_exit(warn_on_load_exit);
MODULE_DESCRIPTION("Test module for the faultdemo VM runner: warns on load");
MODULE_LICENSE("GPL");

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What faultdemo_stress tells the stress_test kselftest that runs it: the
 * program's last line, written and parsed with the same format, and the
 * line of a run it skipped.
 */
#ifndef FAULTDEMO_STRESS_SUMMARY_H
#define FAULTDEMO_STRESS_SUMMARY_H

#define STRESS_PROG		"faultdemo_stress"

/*
 * errors counts every unexpected error, the workers that died or hung
 * included; sigbus is what the workers saw, module_sigbus what the module
 * counted meanwhile (it must be at least that).
 */
#define STRESS_SUMMARY							\
	STRESS_PROG ": seed %llu ops %llu min_ops %llu mismatches %llu"	\
	" errors %llu sigbus %llu module_sigbus %llu"			\
	" dead_workers %u hung_workers %u"
#define STRESS_SUMMARY_FIELDS	9

/* A skipped run: this line, then exit status KSFT_SKIP. */
#define STRESS_SKIP		STRESS_PROG ": skip: "

#endif /* FAULTDEMO_STRESS_SUMMARY_H */

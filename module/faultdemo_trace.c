// SPDX-License-Identifier: GPL-2.0
/*
 * faultdemo: instantiates the tracepoints declared in faultdemo_trace.h.
 * Every other file includes the header without CREATE_TRACE_POINTS.
 */
#define CREATE_TRACE_POINTS
#include "faultdemo_trace.h"

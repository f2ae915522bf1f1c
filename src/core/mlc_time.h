/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Broken-down UTC time, computed by the core itself so that the kernel
 * build and every user-space build print the same calendar for the same
 * CLOCK_REALTIME seconds (the kernel's time64_to_tm(secs, 0, &tm)).
 */
#ifndef MLC_TIME_H
#define MLC_TIME_H

#include "mlc_platform.h"

struct mlc_tm {
	long year;	/* full year, e.g. 2026 (the kernel's tm_year + 1900) */
	int mon;	/* 1..12 */
	int mday;	/* 1..31 */
	int hour;
	int min;
	int sec;
};

void mlc_time_to_tm(int64_t secs, struct mlc_tm *tm);

/* "YYYY-MM-DD HH:MM:SS" as the driver prints it ("%04ld-%02d-%02d ..."). */
#define MLC_TM_FMT	"%04ld-%02d-%02d %02d:%02d:%02d"
#define MLC_TM_ARGS(tm)	(tm)->year, (tm)->mon, (tm)->mday, \
			(tm)->hour, (tm)->min, (tm)->sec

#endif /* MLC_TIME_H */

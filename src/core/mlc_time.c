// SPDX-License-Identifier: GPL-2.0
/*
 * UTC calendar arithmetic for any int64 seconds value, in integers only.
 * Days-to-civil conversion in the proleptic Gregorian calendar (the
 * era-based method also used by time64_to_tm()).
 */
#include "mlc_time.h"

#define SECS_PER_DAY	86400
#define DAYS_PER_ERA	146097	/* 400 Gregorian years */

/* Floor division and modulo, so that times before 1970 work too. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

void mlc_time_to_tm(int64_t secs, struct mlc_tm *tm)
{
	int64_t days = floor_div(secs, SECS_PER_DAY);
	int64_t rem = secs - days * SECS_PER_DAY;
	int64_t z, era, doe, yoe, doy, mp, year;

	tm->hour = (int)(rem / 3600);
	tm->min = (int)(rem % 3600 / 60);
	tm->sec = (int)(rem % 60);

	/* Shift the epoch to 0000-03-01 so leap days end a year. */
	z = days + 719468;
	era = floor_div(z, DAYS_PER_ERA);
	doe = z - era * DAYS_PER_ERA;				/* [0, 146096] */
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;	/* [0, 399] */
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		/* [0, 365] */
	mp = (5 * doy + 2) / 153;				/* [0, 11] */
	year = yoe + era * 400;

	tm->mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	tm->mon = (int)(mp < 10 ? mp + 3 : mp - 9);
	tm->year = (long)(year + (tm->mon <= 2));
}

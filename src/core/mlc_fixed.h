/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mlcore driver's fixed-point printing: value / 100, then
 * abs(value % 100) with two digits.  Bug-compatible on purpose: a value in
 * (-100, 0) loses its sign (-5 prints "0.05"), because the integer part is
 * 0 and the fraction is printed without one.  INT_MIN prints
 * "-21474836.48" (the % keeps the remainder in range, so abs() is safe).
 */
#ifndef MLC_FIXED_H
#define MLC_FIXED_H

#include "mlc_platform.h"

#define MLC_FIXED_FMT		"%d.%02d"
#define MLC_FIXED_ARGS(v)	mlc_fixed_int(v), mlc_fixed_frac(v)

static inline int mlc_fixed_int(int32_t v)
{
	return v / 100;
}

static inline int mlc_fixed_frac(int32_t v)
{
	int r = v % 100;

	return r < 0 ? -r : r;
}

#endif /* MLC_FIXED_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How many bytes of the caller's memory a driver's ioctl reads (in) and
 * writes (out) at its argument, which is not always _IOC_SIZE (mlcore's
 * GET_RESULT encodes 8 and copies 4).  A transport that must fetch the
 * caller's bytes before the driver runs (CUSE's unrestricted ioctls) asks
 * the device, so no door keeps a list of commands of its own.
 */
#ifndef MLC_IOCTL_COPY_H
#define MLC_IOCTL_COPY_H

#include "mlc_platform.h"

struct mlc_ioctl_copy {
	uint32_t in;
	uint32_t out;
};

#define MLC_IOCTL_COPY(i, o)	((struct mlc_ioctl_copy){ .in = (i), .out = (o) })

#endif /* MLC_IOCTL_COPY_H */

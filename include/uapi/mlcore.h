/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mlcore user ABI: the ioctl numbers and record layouts of the mlcore
 * character device (/dev/mlcore, major 104), as posted to LKML in June 2025
 * (drivers/misc/mlcore).  One definition, shared by user programs, the
 * emulator core, the doors and the kernel module build.
 *
 * Usable from the kernel, from C (gnu11 or later) and from C++.
 * Every number below is checked at compile time against the value the
 * original driver produces on x86_64, so a typo fails the build.
 */
#ifndef _UAPI_MLCORE_H
#define _UAPI_MLCORE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#include "abi_assert.h"

#define MLCORE_DEVICE_NAME	"mlcore"
#define MLCORE_MAJOR		104
#define MLCORE_PROC_RESULT	"mlcore_result"
#define MLCORE_PROC_TRAIN	"mlcore_train"
#define MLCORE_LOG_FILE_PATH	"/var/log/mlcore.log"

#define MLCORE_HISTORY_SIZE		10
#define MLCORE_MAX_TRAINING_ENTRIES	50
#define MLCORE_NUM_FEATURES		3

/* Features are fixed point: the real value times 100. */
struct train_entry {
	__s32 features[MLCORE_NUM_FEATURES];
	__s32 label;
};

/*
 * The driver's own definitions.  Note IOCTL_GET_RESULT: its size field
 * encodes sizeof(int *) == 8, yet the driver copies sizeof(int) == 4 bytes.
 * Anything that transports this ioctl must copy exactly 4.
 */
#define IOCTL_SEND_INTS		_IOW(MLCORE_MAJOR, 0, int[3])
#define IOCTL_SET_RESULT	_IOW(MLCORE_MAJOR, 1, int)
#define IOCTL_GET_RESULT	_IOR(MLCORE_MAJOR, 2, int *)
#define IOCTL_ADD_TRAINING	_IOW(MLCORE_MAJOR, 3, struct train_entry)
#define IOCTL_CLEAR_TRAINING	_IO(MLCORE_MAJOR, 4)

/* Bytes each command really copies (not always _IOC_SIZE). */
#define MLCORE_SEND_INTS_LEN	12
#define MLCORE_SET_RESULT_LEN	4
#define MLCORE_GET_RESULT_LEN	4
#define MLCORE_ADD_TRAINING_LEN	16

MLC_ABI_ASSERT(sizeof(struct train_entry) == 16, "train_entry is 16 bytes");
MLC_ABI_ASSERT(IOCTL_SEND_INTS == 0x400C6800u, "IOCTL_SEND_INTS");
MLC_ABI_ASSERT(IOCTL_SET_RESULT == 0x40046801u, "IOCTL_SET_RESULT");
MLC_ABI_ASSERT(IOCTL_GET_RESULT == 0x80086802u, "IOCTL_GET_RESULT");
MLC_ABI_ASSERT(IOCTL_ADD_TRAINING == 0x40106803u, "IOCTL_ADD_TRAINING");
MLC_ABI_ASSERT(IOCTL_CLEAR_TRAINING == 0x00006804u, "IOCTL_CLEAR_TRAINING");
MLC_ABI_ASSERT(MLCORE_MAJOR == 104, "major 104");
MLC_ABI_ASSERT(MLCORE_HISTORY_SIZE == 10, "history ring of 10");
MLC_ABI_ASSERT(MLCORE_MAX_TRAINING_ENTRIES == 50, "training store of 50");
MLC_ABI_ASSERT(MLCORE_SEND_INTS_LEN == 3 * sizeof(__s32), "SEND_INTS length");
MLC_ABI_ASSERT(MLCORE_SET_RESULT_LEN == sizeof(__s32), "SET_RESULT length");
/* The bug-compatible one: 4 bytes copied, 8 encoded in the number. */
MLC_ABI_ASSERT(MLCORE_GET_RESULT_LEN == sizeof(__s32) &&
	       _IOC_SIZE(IOCTL_GET_RESULT) == 8, "GET_RESULT copies 4 of 8");
MLC_ABI_ASSERT(MLCORE_ADD_TRAINING_LEN == sizeof(struct train_entry),
	       "ADD_TRAINING length");

#endif /* _UAPI_MLCORE_H */

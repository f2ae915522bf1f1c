/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The mlcore device (drivers/misc/mlcore) as plain state and pure
 * operations on it.
 *
 * The state is one flat struct with no pointers, so it can live in a
 * kernel module's static storage or in a shared-memory segment mapped at
 * different addresses by different processes.
 *
 * Locking: the original driver has none.  The core does not lock either;
 * every caller (the kernel glue, the emulator instance) serialises all
 * operations on one device under one mutex, which is stronger than the
 * original and documented as such.
 */
#ifndef MLCORE_DEV_H
#define MLCORE_DEV_H

#include "mlc_platform.h"
#include "mlc_ioctl_copy.h"
#include "../../include/uapi/mlcore.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mlcore_prediction {
	int32_t result;
	int32_t reserved;	/* keeps the layout explicit for shared memory */
	struct mlc_timespec stamp;	/* CLOCK_REALTIME at SET_RESULT */
};

struct mlcore_dev {
	int32_t features[MLCORE_NUM_FEATURES];	/* last SEND_INTS */
	int32_t latest_result;			/* -1 until SET_RESULT */
	int32_t hist_index;			/* next slot of the ring */
	int32_t hist_count;			/* 0..MLCORE_HISTORY_SIZE */
	int32_t train_count;			/* 0..MLCORE_MAX_TRAINING_ENTRIES */
	int32_t reserved;
	struct mlcore_prediction history[MLCORE_HISTORY_SIZE];
	struct train_entry training[MLCORE_MAX_TRAINING_ENTRIES];
};

/*
 * A rendering of either proc file always fits here: the training file is
 * at most 50 lines of at most 63 bytes.
 */
#define MLCORE_RENDER_MAX	4096

/* Module load: the state a freshly loaded driver has, plus its log line. */
void mlcore_dev_load(struct mlcore_dev *dev, struct mlc_host *host);
/* Module unload: its log line. */
void mlcore_dev_unload(struct mlcore_dev *dev, struct mlc_host *host);

/*
 * unlocked_ioctl.  Returns 0 or -errno exactly as the driver does; reads and
 * writes the caller's memory only through mlc_copy_{from,to}_user, with the
 * driver's lengths (GET_RESULT writes 4 bytes, not _IOC_SIZE's 8).
 */
long mlcore_dev_ioctl(struct mlcore_dev *dev, struct mlc_host *host,
		      unsigned int cmd, mlc_uptr arg);

/*
 * The text of /proc/mlcore_result and /proc/mlcore_train, written into
 * buf (NUL-terminated when size > 0).  Returns the full length of the text,
 * which fits whenever size >= MLCORE_RENDER_MAX.
 */
size_t mlcore_render_result(const struct mlcore_dev *dev, char *buf,
			    size_t size);
size_t mlcore_render_train(const struct mlcore_dev *dev, char *buf,
			   size_t size);

/*
 * Copies into dst every field the two renderings read (the rest of dst is
 * left as it is), so a caller can render from a copy taken without the
 * device's lock.  src may be changing while it is read: the copy then may
 * be inconsistent but never reads outside src (the caller retries; see
 * DeviceState in src/emulator/).
 */
void mlcore_dev_copy_shown(struct mlcore_dev *dst,
			   const struct mlcore_dev *src);

/*
 * Whether the ioctl cmd may change a field mlcore_dev_copy_shown() copies
 * (SET_RESULT, ADD_TRAINING, CLEAR_TRAINING); the others (SEND_INTS,
 * GET_RESULT, anything unknown) never do, so a caller keeping a shown copy
 * need not refresh it after them.
 */
bool mlcore_dev_ioctl_changes_shown(unsigned int cmd);

/*
 * The bytes the driver copies for cmd (see mlc_ioctl_copy.h): 0, or
 * -EINVAL for a command it does not know (which touches no memory).
 */
int mlcore_ioctl_copy(unsigned int cmd, struct mlc_ioctl_copy *copy);

/* A readable name for an mlcore command, or NULL (for traces). */
const char *mlcore_cmd_name(unsigned int cmd);
/*
 * For an unknown command, the driver command the caller most likely meant
 * (same type and nr, e.g. the documentation's 0x6800 for SEND_INTS), or 0.
 */
unsigned int mlcore_cmd_likely_intended(unsigned int cmd);

#ifdef __cplusplus
}
#endif

#endif /* MLCORE_DEV_H */

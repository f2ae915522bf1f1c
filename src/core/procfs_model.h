/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What procfs answers for a proc_ops that has only open/read/lseek/release
 * (single_open seq files such as /proc/mlcore_result), Linux 6.1
 * fs/proc/inode.c.  The open and write checks are in vfs_model.h.
 */
#ifndef PROCFS_MODEL_H
#define PROCFS_MODEL_H

#include "mlc_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* read(2) on a proc file opened without read access: EBADF, else 0. */
long mlc_proc_read_check(unsigned int f_mode);
/* No proc_ioctl: ENOTTY. */
long mlc_proc_ioctl(void);
/* proc_reg_mmap() without proc_mmap: EIO. */
long mlc_proc_mmap(void);
/* proc_reg_poll() without proc_poll: DEFAULT_POLLMASK. */
unsigned int mlc_proc_poll(void);

#ifdef __cplusplus
}
#endif

#endif /* PROCFS_MODEL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel's VFS answers on its own, before or instead of a driver,
 * for the files this project serves (Linux 6.1).  The kernel build never
 * calls these: the real VFS does the same.  Every user-space door does, so
 * that no door decides an errno by itself.
 */
#ifndef VFS_MODEL_H
#define VFS_MODEL_H

#include "mlc_platform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The access mode of an open file (the kernel's FMODE_READ/FMODE_WRITE). */
#define MLC_FMODE_READ	0x1u
#define MLC_FMODE_WRITE	0x2u

/* O_ACCMODE of open(2) flags to the access mode above. */
unsigned int mlc_fmode_from_flags(int open_flags);

/*
 * A character device whose driver has no read, write, llseek or mmap
 * handler (the mlcore device): read(2) and write(2) check the access mode
 * first (EBADF), then the missing handler (EINVAL), even for 0 bytes;
 * lseek(2) fails with ESPIPE and mmap(2) with ENODEV.
 */
long mlc_vfs_read_no_handler(unsigned int f_mode);
long mlc_vfs_write_no_handler(unsigned int f_mode);
int64_t mlc_vfs_llseek_no_handler(void);
long mlc_vfs_mmap_no_handler(void);

/* The poll mask of a file without a poll handler (DEFAULT_POLLMASK). */
unsigned int mlc_vfs_default_poll_mask(void);

/*
 * A procfs file without a write handler (mode 0444): opening it for
 * writing fails with EACCES unless the opener may override permissions
 * (root); write(2) on such an open file gives EIO even for 0 bytes, and
 * EBADF on a file opened read-only.
 */
int mlc_vfs_proc_open_check(int open_flags, bool may_override_perm);
long mlc_vfs_proc_write(unsigned int f_mode);

#ifdef __cplusplus
}
#endif

#endif /* VFS_MODEL_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * The VFS's own answers; see vfs_model.h.  References are to Linux 6.1:
 * vfs_read()/vfs_write() in fs/read_write.c, vfs_llseek(), vfs_mmap() via
 * do_mmap(), DEFAULT_POLLMASK in include/linux/poll.h, and proc_reg_write()
 * in fs/proc/inode.c.
 */
#include "vfs_model.h"

#define MLC_O_ACCMODE	3
#define MLC_O_RDONLY	0
#define MLC_O_WRONLY	1
#define MLC_O_RDWR	2

unsigned int mlc_fmode_from_flags(int open_flags)
{
	switch (open_flags & MLC_O_ACCMODE) {
	case MLC_O_RDONLY:
		return MLC_FMODE_READ;
	case MLC_O_WRONLY:
		return MLC_FMODE_WRITE;
	case MLC_O_RDWR:
		return MLC_FMODE_READ | MLC_FMODE_WRITE;
	default:
		return 0;	/* O_ACCMODE itself: neither, as in the kernel */
	}
}

long mlc_vfs_read_no_handler(unsigned int f_mode)
{
	if (!(f_mode & MLC_FMODE_READ))
		return -EBADF;
	return -EINVAL;		/* no FMODE_CAN_READ */
}

long mlc_vfs_write_no_handler(unsigned int f_mode)
{
	if (!(f_mode & MLC_FMODE_WRITE))
		return -EBADF;
	return -EINVAL;		/* no FMODE_CAN_WRITE */
}

int64_t mlc_vfs_llseek_no_handler(void)
{
	return -ESPIPE;
}

long mlc_vfs_mmap_no_handler(void)
{
	return -ENODEV;
}

unsigned int mlc_vfs_default_poll_mask(void)
{
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

int mlc_vfs_proc_open_check(int open_flags, bool may_override_perm)
{
	if ((mlc_fmode_from_flags(open_flags) & MLC_FMODE_WRITE) &&
	    !may_override_perm)
		return -EACCES;
	return 0;
}

long mlc_vfs_proc_write(unsigned int f_mode)
{
	if (!(f_mode & MLC_FMODE_WRITE))
		return -EBADF;
	return -EIO;		/* proc_reg_write() without proc_write */
}

// SPDX-License-Identifier: GPL-2.0
/* procfs's own answers; see procfs_model.h. */
#include "procfs_model.h"
#include "vfs_model.h"

long mlc_proc_read_check(unsigned int f_mode)
{
	return (f_mode & MLC_FMODE_READ) ? 0 : -EBADF;
}

long mlc_proc_ioctl(void)
{
	return -ENOTTY;
}

long mlc_proc_mmap(void)
{
	return -EIO;
}

unsigned int mlc_proc_poll(void)
{
	return mlc_vfs_default_poll_mask();
}

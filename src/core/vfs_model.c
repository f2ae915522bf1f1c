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

unsigned int mlc_vfs_sysfs_poll_mask(void)
{
	return mlc_vfs_default_poll_mask() | POLLERR | POLLPRI;
}

long mlc_vfs_compat_ioctl_no_handler(void)
{
	return -ENOTTY;
}

long mlc_vfs_dir_ioctl_no_handler(void)
{
	return -ENOTTY;
}

/*
 * The permission an open asks for (ACC_MODE() in fs/namei.c): O_ACCMODE
 * itself (3) opens for neither reading nor writing yet needs both.
 */
static bool open_asks_write(int open_flags)
{
	return (open_flags & MLC_O_ACCMODE) != MLC_O_RDONLY;
}

int mlc_vfs_proc_open_check(int open_flags, bool may_override_perm)
{
	if (open_asks_write(open_flags) && !may_override_perm)
		return -EACCES;
	return 0;
}

long mlc_vfs_proc_write(unsigned int f_mode)
{
	if (!(f_mode & MLC_FMODE_WRITE))
		return -EBADF;
	return -EIO;		/* proc_reg_write() without proc_write */
}

/* --- read/write/lseek: fs/read_write.c ------------------------------- */

/* MAX_RW_COUNT with 4 KiB pages. */
#define MLC_MAX_RW_COUNT	((size_t)(INT_MAX & ~4095))
/* The largest loff_t (the kernel's S64_MAX; no libc name in the kernel). */
#define MLC_LOFF_MAX		((int64_t)(~0ULL >> 1))

long mlc_vfs_rw_check(unsigned int f_mode, unsigned int need, bool positional,
		      int64_t pos, size_t count)
{
	/* ksys_pread64()/ksys_pwrite64(), before even looking at the fd. */
	if (positional && pos < 0)
		return -EINVAL;
	/* vfs_read()/vfs_write(). */
	if (!(f_mode & need))
		return -EBADF;
	/* rw_verify_area(), for a file without FMODE_UNSIGNED_OFFSET. */
	if (count > (size_t)MLC_LOFF_MAX)
		return -EINVAL;
	if (pos < 0)
		return -EINVAL;
	if ((uint64_t)pos + (uint64_t)count > (uint64_t)MLC_LOFF_MAX)
		return -EINVAL;
	return 0;
}

size_t mlc_vfs_rw_count(size_t count)
{
	return count > MLC_MAX_RW_COUNT ? MLC_MAX_RW_COUNT : count;
}

int64_t mlc_vfs_default_llseek(int64_t *f_pos, int64_t i_size, int64_t offset,
			       int whence)
{
	/* ksys_lseek(): whence is unsigned there, and at most SEEK_MAX. */
	if (whence < MLC_SEEK_SET || whence > MLC_SEEK_HOLE)
		return -EINVAL;

	switch (whence) {
	case MLC_SEEK_END:
		/* loff_t arithmetic wraps in the kernel (-fno-strict-overflow) */
		offset = (int64_t)((uint64_t)offset + (uint64_t)i_size);
		break;
	case MLC_SEEK_CUR:
		if (offset == 0)
			return *f_pos;
		offset = (int64_t)((uint64_t)offset + (uint64_t)*f_pos);
		break;
	case MLC_SEEK_DATA:
		if (offset >= i_size)
			return -ENXIO;
		break;
	case MLC_SEEK_HOLE:
		if (offset >= i_size)
			return -ENXIO;
		offset = i_size;
		break;
	default:
		break;
	}

	if (offset < 0)
		return -EINVAL;
	*f_pos = offset;
	return offset;
}

/* --- sysfs attributes: fs/kernfs/file.c, fs/sysfs/file.c -------------- */

/* ACC_MODE(): what inode_permission() is asked for, O_ACCMODE(3) = both. */
static unsigned int mlc_sysfs_may_mask(int open_flags)
{
	static const unsigned char acc[4] = {
		MLC_FMODE_READ, MLC_FMODE_WRITE,
		MLC_FMODE_READ | MLC_FMODE_WRITE,
		MLC_FMODE_READ | MLC_FMODE_WRITE,
	};

	return acc[open_flags & MLC_O_ACCMODE];
}

int mlc_vfs_sysfs_open_check(int open_flags, unsigned int mode,
			     bool may_override_perm)
{
	unsigned int want = mlc_sysfs_may_mask(open_flags);
	unsigned int f_mode = mlc_fmode_from_flags(open_flags);

	/* generic_permission(): root:root owns it; others get the o bits. */
	if (!may_override_perm) {
		if ((want & MLC_FMODE_READ) && !(mode & 0004))
			return -EACCES;
		if ((want & MLC_FMODE_WRITE) && !(mode & 0002))
			return -EACCES;
	}

	/* kernfs_fop_open(): the attribute's own permission, for everyone. */
	if ((f_mode & MLC_FMODE_WRITE) && !(mode & 0222))
		return -EACCES;
	if ((f_mode & MLC_FMODE_READ) && !(mode & 0444))
		return -EACCES;
	return 0;
}

long mlc_vfs_sysfs_write(struct mlc_host *host, mlc_uptr src, size_t count,
			 char *page, mlc_sysfs_store_fn store, void *priv)
{
	/* kernfs_fop_write_iter(): sysfs has no atomic_write_len. */
	size_t len = count < MLC_SYSFS_PAGE_SIZE ? count : MLC_SYSFS_PAGE_SIZE;

	if (mlc_copy_from_user(host, page, src, len))
		return -EFAULT;
	page[len] = '\0';

	/* sysfs_kf_write(). */
	if (!len)
		return 0;
	return store(priv, host, page, len);
}

long mlc_vfs_sysfs_bin_write(struct mlc_host *host, mlc_uptr src, size_t count,
			     int64_t pos, char *buf, mlc_sysfs_bin_store_fn store,
			     void *priv)
{
	/* kernfs_fop_write_iter(): one page at most, returned as taken. */
	size_t len = count < MLC_SYSFS_PAGE_SIZE ? count : MLC_SYSFS_PAGE_SIZE;

	if (mlc_copy_from_user(host, buf, src, len))
		return -EFAULT;
	/* sysfs_kf_bin_write(): size 0 sets no limit; nothing for 0 bytes. */
	if (!len)
		return 0;
	return store(priv, host, buf, len, pos);
}

/* --- the preload door's VFS answers: fs/ioctl.c, fs/namei.c, fs/open.c -- */

/* asm-generic/ioctls.h (x86_64 uses it); FIOQSIZE is x86's 0x5460. */
#define MLC_FIONREAD	0x541B
#define MLC_FIONBIO	0x5421
#define MLC_FIONCLEX	0x5450
#define MLC_FIOCLEX	0x5451
#define MLC_FIOASYNC	0x5452
#define MLC_FIOQSIZE	0x5460

bool mlc_vfs_ioctl_is_vfs(unsigned int cmd, bool regular)
{
	switch (cmd) {
	case MLC_FIOCLEX:
	case MLC_FIONCLEX:
	case MLC_FIONBIO:
	case MLC_FIOASYNC:
		return true;
	case MLC_FIONREAD:
	case MLC_FIOQSIZE:
		return regular;
	default:
		return false;
	}
}

/* get_user() of an int argument. */
static long mlc_get_user_int(struct mlc_host *host, mlc_uptr arg, int *v)
{
	return mlc_copy_from_user(host, v, arg, sizeof(*v)) ? -EFAULT : 0;
}

long mlc_vfs_ioctl(struct mlc_host *host, unsigned int cmd, mlc_uptr arg,
		   bool regular, int64_t f_pos, unsigned int *flags)
{
	int on;
	long err;

	switch (cmd) {
	case MLC_FIOCLEX:
		*flags |= MLC_VFS_FD_CLOEXEC;
		return 0;
	case MLC_FIONCLEX:
		*flags &= ~MLC_VFS_FD_CLOEXEC;
		return 0;
	case MLC_FIONBIO:		/* ioctl_fionbio() */
		if ((err = mlc_get_user_int(host, arg, &on)))
			return err;
		if (on)
			*flags |= MLC_VFS_O_NONBLOCK;
		else
			*flags &= ~MLC_VFS_O_NONBLOCK;
		return 0;
	case MLC_FIOASYNC:		/* ioctl_fioasync(), no ->fasync */
		if ((err = mlc_get_user_int(host, arg, &on)))
			return err;
		if (!on != !(*flags & MLC_VFS_O_ASYNC))
			return -ENOTTY;
		return 0;
	case MLC_FIONREAD:		/* i_size_read(inode) - filp->f_pos */
		if (regular) {
			int left = (int)(0 - f_pos);

			return mlc_copy_to_user(host, arg, &left, sizeof(left))
				       ? -EFAULT : 0;
		}
		break;
	case MLC_FIOQSIZE:		/* inode_get_bytes(inode) */
		if (regular) {
			int64_t bytes = 0;

			return mlc_copy_to_user(host, arg, &bytes, sizeof(bytes))
				       ? -EFAULT : 0;
		}
		break;
	}
	return -ENOTTY;	/* not the VFS's: the caller should not have asked */
}

long mlc_vfs_positional_check(int64_t pos)
{
	return pos < 0 ? -EINVAL : 0;
}

long mlc_vfs_lseek_whence_check(int whence)
{
	return whence < MLC_SEEK_SET || whence > MLC_SEEK_HOLE ? -EINVAL : 0;
}

long mlc_vfs_mmap_check(unsigned int f_mode, bool shared, bool prot_write,
			size_t len)
{
	if (!len)
		return -EINVAL;
	if (shared && prot_write && !(f_mode & MLC_FMODE_WRITE))
		return -EACCES;
	if (!(f_mode & MLC_FMODE_READ))
		return -EACCES;
	return 0;
}

#define MLC_O_CREAT	0100
#define MLC_O_EXCL	0200
#define MLC_O_TRUNC	01000
#define MLC_O_DIRECTORY	0200000
#define MLC_O_DIRECT	040000

#define MLC_O_NOCTTY	0400
#define MLC_O_APPEND	02000
#define MLC_O_NONBLOCK	04000
#define MLC_O_ASYNC	020000
#define MLC_O_LARGEFILE	0100000
#define MLC_O_NOFOLLOW	0400000
#define MLC_O_NOATIME	01000000
#define MLC_O_CLOEXEC	02000000
#define MLC_O_PATH	010000000
#define MLC_SETFL_MASK	(MLC_O_APPEND | MLC_O_NONBLOCK | MLC_O_ASYNC | \
			 MLC_O_DIRECT | MLC_O_NOATIME)

int mlc_vfs_getfl(int open_flags, int setfl_now)
{
	if (open_flags & MLC_O_PATH)
		return open_flags & (MLC_O_PATH | MLC_O_DIRECTORY | MLC_O_NOFOLLOW);
	return MLC_O_LARGEFILE | (setfl_now & MLC_SETFL_MASK) |
	       (open_flags & ~(MLC_O_CREAT | MLC_O_EXCL | MLC_O_NOCTTY | MLC_O_TRUNC |
			       MLC_O_CLOEXEC | MLC_SETFL_MASK));
}

int mlc_vfs_open_existing_check(int open_flags, unsigned int i_mode)
{
	bool dir = (i_mode & MLC_S_IFMT) == MLC_S_IFDIR;

	/* do_open(): an existing name under O_CREAT|O_EXCL. */
	if ((open_flags & (MLC_O_CREAT | MLC_O_EXCL)) ==
	    (MLC_O_CREAT | MLC_O_EXCL))
		return -EEXIST;
	if (dir && (open_flags & MLC_O_CREAT))
		return -EISDIR;
	if ((open_flags & MLC_O_DIRECTORY) && !dir)
		return -ENOTDIR;
	/* may_open(): a directory is never opened for writing. */
	if (dir && ((open_flags & MLC_O_ACCMODE) != MLC_O_RDONLY ||
		    (open_flags & MLC_O_TRUNC)))
		return -EISDIR;
	/* do_dentry_open(): no direct_IO in the mapping (device, proc, sysfs). */
	if (!dir && (open_flags & MLC_O_DIRECT))
		return -EINVAL;
	return 0;
}

int mlc_vfs_access(unsigned int i_mode, int want, bool may_override_perm,
		   bool in_root_group)
{
	unsigned int bits;

	want &= MLC_R_OK | MLC_W_OK | MLC_X_OK;
	if (may_override_perm) {
		/* capable_wrt_inode_uidgid(CAP_DAC_OVERRIDE) */
		if (!(want & MLC_X_OK) || (i_mode & MLC_S_IFMT) == MLC_S_IFDIR ||
		    (i_mode & 0111))
			return 0;
		return -EACCES;
	}
	bits = in_root_group ? (i_mode >> 3) & 7 : i_mode & 7;
	return (want & ~bits) ? -EACCES : 0;
}

/* --- directories and O_PATH descriptors -------------------------------- */

bool mlc_vfs_fd_has_file(int open_flags)
{
	return !(open_flags & MLC_O_PATH);
}

long mlc_vfs_path_fd_op(void)
{
	return -EBADF;
}

unsigned int mlc_vfs_path_fd_poll_mask(void)
{
	return POLLNVAL;
}

long mlc_vfs_dir_read(void)
{
	return -EISDIR;
}

long mlc_vfs_dir_write(void)
{
	return -EBADF; /* vfs_write(): a directory is never FMODE_WRITE */
}

long mlc_vfs_dir_readv(uint64_t total)
{
	/* vfs_readv(): an empty vector returns before ->read */
	return total ? -EISDIR : 0;
}

/* MAX_NON_LFS: sysfs and proc keep the superblock's default s_maxbytes */
#define MLC_DIR_MAXBYTES 0x7fffffffLL

int64_t mlc_vfs_dir_llseek(int64_t *pos, int64_t offset, int whence)
{
	int64_t to;

	/* generic_file_llseek_size() over i_size 0 */
	switch (whence) {
	case MLC_SEEK_SET:
		to = offset;
		break;
	case MLC_SEEK_CUR:
		if (offset == 0) /* the position itself, unchecked */
			return *pos;
		to = *pos + offset;
		break;
	case MLC_SEEK_END:
		to = offset;
		break;
	case MLC_SEEK_DATA:
	case MLC_SEEK_HOLE:
		return -ENXIO; /* every offset is at or past i_size 0 */
	default:
		return -EINVAL;
	}
	if (to < 0 || to > MLC_DIR_MAXBYTES)
		return -EINVAL;
	*pos = to;
	return to;
}

bool mlc_vfs_dir_ioctl_is_vfs(unsigned int cmd)
{
	/* do_vfs_ioctl(): FIONREAD only for S_ISREG, FIOQSIZE for S_ISDIR too */
	return cmd != MLC_FIONREAD && mlc_vfs_ioctl_is_vfs(cmd, true);
}

/* --- copy_file_range, splice ------------------------------------------ */

static bool mlc_is_type(unsigned int mode, unsigned int type)
{
	return (mode & MLC_S_IFMT) == type;
}

long mlc_vfs_copy_file_range_served(const struct mlc_cfr_side *in,
				    const struct mlc_cfr_side *out,
				    unsigned int flags)
{
	/* copy_file_range(): fdget() of each side, in first */
	if (!mlc_vfs_fd_has_file(in->open_flags) ||
	    !mlc_vfs_fd_has_file(out->open_flags))
		return -EBADF;
	if (flags)
		return -EINVAL;
	/* generic_copy_file_checks(): directories, then other non-regular */
	if (mlc_is_type(in->i_mode, MLC_S_IFDIR) ||
	    mlc_is_type(out->i_mode, MLC_S_IFDIR))
		return -EISDIR;
	if (!mlc_is_type(in->i_mode, MLC_S_IFREG) ||
	    !mlc_is_type(out->i_mode, MLC_S_IFREG))
		return -EINVAL;
	if (!(mlc_fmode_from_flags(in->open_flags) & MLC_FMODE_READ) ||
	    !(mlc_fmode_from_flags(out->open_flags) & MLC_FMODE_WRITE) ||
	    (out->open_flags & MLC_O_APPEND))
		return -EBADF;
	return -EXDEV; /* never the same filesystem as the other side */
}

long mlc_vfs_splice_no_handler(void)
{
	return -EINVAL;
}

/* --- record locks, flock: fs/locks.c ------------------------------------- */

/* include/uapi/asm-generic/fcntl.h (x86_64 uses it). */
#define MLC_F_GETLK 5
#define MLC_F_SETLK 6
#define MLC_F_SETLKW 7
#define MLC_F_OFD_GETLK 36
#define MLC_F_OFD_SETLK 37
#define MLC_F_OFD_SETLKW 38
#define MLC_F_RDLCK 0
#define MLC_F_WRLCK 1
#define MLC_F_UNLCK 2

bool mlc_vfs_is_lock_cmd(int cmd)
{
	switch (cmd) {
	case MLC_F_GETLK:
	case MLC_F_SETLK:
	case MLC_F_SETLKW:
	case MLC_F_OFD_GETLK:
	case MLC_F_OFD_SETLK:
	case MLC_F_OFD_SETLKW:
		return true;
	default:
		return false;
	}
}

/* check_fmode_for_setlk(): a read lock needs FMODE_READ, a write lock
 * FMODE_WRITE; an unknown type is EINVAL (flock_to_posix_lock()). */
static long mlc_setlk_check(int open_flags, int type)
{
	unsigned int f_mode = mlc_fmode_from_flags(open_flags);

	switch (type) {
	case MLC_F_RDLCK:
		return f_mode & MLC_FMODE_READ ? 0 : -EBADF;
	case MLC_F_WRLCK:
		return f_mode & MLC_FMODE_WRITE ? 0 : -EBADF;
	case MLC_F_UNLCK:
		return 0;
	default:
		return -EINVAL;
	}
}

long mlc_vfs_lock(struct mlc_host *host, int open_flags, int cmd, mlc_uptr arg)
{
	struct mlc_flock fl;

	/* do_fcntl()'s lock commands need a file: O_PATH is EBADF */
	if (!mlc_vfs_fd_has_file(open_flags))
		return -EBADF;
	if (mlc_copy_from_user(host, &fl, arg, sizeof(fl)))
		return -EFAULT;
	if (cmd == MLC_F_GETLK || cmd == MLC_F_OFD_GETLK) {
		/* fcntl_getlk(): only a read or write lock can be asked for */
		if (fl.l_type != MLC_F_RDLCK && fl.l_type != MLC_F_WRLCK)
			return -EINVAL;
		/* no lock conflicts: the range is reported free */
		fl.l_type = MLC_F_UNLCK;
		if (mlc_copy_to_user(host, arg, &fl, sizeof(fl)))
			return -EFAULT;
		return 0;
	}
	return mlc_setlk_check(open_flags, fl.l_type); /* never contended */
}

/* include/uapi/asm-generic/fcntl.h */
#define MLC_LOCK_SH 1
#define MLC_LOCK_EX 2
#define MLC_LOCK_NB 4
#define MLC_LOCK_UN 8

long mlc_vfs_flock(int open_flags, int op)
{
	int type = op & ~MLC_LOCK_NB;

	/* flock_translate_cmd() comes before fdget() */
	if (type != MLC_LOCK_SH && type != MLC_LOCK_EX && type != MLC_LOCK_UN)
		return -EINVAL;
	if (!mlc_vfs_fd_has_file(open_flags))
		return -EBADF;
	return 0; /* granted, never contended; no access mode needed */
}

int mlc_vfs_faccessat(unsigned int i_mode, int mode, bool may_override_perm,
		      bool in_root_group)
{
	if (mode & ~(MLC_R_OK | MLC_W_OK | MLC_X_OK))
		return -EINVAL;
	if (!mode) /* F_OK: the walk found it */
		return 0;
	return mlc_vfs_access(i_mode, mode, may_override_perm, in_root_group);
}

long mlc_vfs_readlink_not_symlink(void)
{
	return -EINVAL; /* vfs_readlink() without ->get_link */
}

long mlc_vfs_at_dirfd_not_dir(void)
{
	return -ENOTDIR; /* path_init(): the start is not a directory */
}

/* --- extended attributes ------------------------------------------------ */

long mlc_vfs_getxattr_none(void)
{
	return -ENODATA;
}

long mlc_vfs_listxattr_none(void)
{
	return 0;
}

long mlc_vfs_setxattr_none(void)
{
	return -EOPNOTSUPP;
}

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
 * The poll mask of a sysfs attribute (kernfs_generic_poll()): the default
 * mask plus POLLERR|POLLPRI, as measured on the kernel (0x14f), since an
 * open file's event count starts behind the node's.
 */
unsigned int mlc_vfs_sysfs_poll_mask(void);

/*
 * A 32-bit caller's ioctl on a file whose driver has no compat_ioctl
 * (neither mlcore nor the ml_lib test driver has one): ENOTTY.
 */
long mlc_vfs_compat_ioctl_no_handler(void);

/*
 * An ioctl on a directory of the served trees (procfs, sysfs and the
 * device directory have no directory ioctl handler) that the VFS itself
 * did not answer: ENOTTY, whatever the command (`lsattr -d` asks
 * FS_IOC_GETFLAGS).
 */
long mlc_vfs_dir_ioctl_no_handler(void);

/*
 * A procfs file without a write handler (mode 0444): opening it for
 * writing fails with EACCES unless the opener may override permissions
 * (root); write(2) on such an open file gives EIO even for 0 bytes, and
 * EBADF on a file opened read-only.
 */
int mlc_vfs_proc_open_check(int open_flags, bool may_override_perm);
long mlc_vfs_proc_write(unsigned int f_mode);

/* lseek(2) whence values, as the kernel numbers them. */
#define MLC_SEEK_SET	0
#define MLC_SEEK_CUR	1
#define MLC_SEEK_END	2
#define MLC_SEEK_DATA	3
#define MLC_SEEK_HOLE	4

/*
 * read(2), write(2), pread64(2) and pwrite64(2) on a file whose driver has
 * the handler: what the VFS checks before calling it (ksys_pread64() and
 * ksys_pwrite64(), vfs_read()/vfs_write(), rw_verify_area()).  need is
 * MLC_FMODE_READ or MLC_FMODE_WRITE; positional is true for pread/pwrite,
 * where a negative pos is EINVAL before anything else.  Then EBADF without
 * the access mode, EINVAL for a negative pos or one that pos + count would
 * overflow.  Returns 0 when the driver is to be called.  Not modelled:
 * access_ok() (EFAULT for an address outside user space).
 */
long mlc_vfs_rw_check(unsigned int f_mode, unsigned int need, bool positional,
		      int64_t pos, size_t count);
/* The count a driver sees: at most MAX_RW_COUNT (INT_MAX & PAGE_MASK). */
size_t mlc_vfs_rw_count(size_t count);

/*
 * default_llseek() over a file whose inode has size i_size, from *f_pos,
 * which it updates on success.  Whence beyond SEEK_HOLE: EINVAL (the
 * syscall's check).  SEEK_END: i_size + offset; SEEK_DATA: ENXIO at or
 * past i_size; SEEK_HOLE: ENXIO at or past i_size, else i_size; a negative
 * result: EINVAL.  Returns the new position or -errno.
 */
int64_t mlc_vfs_default_llseek(int64_t *f_pos, int64_t i_size, int64_t offset,
			       int whence);

/* --- sysfs (kernfs) attributes, Linux 6.1 fs/kernfs/file.c, fs/sysfs/ --- */

/* A sysfs write is cut to one page; the store sees at most this much. */
#define MLC_SYSFS_PAGE_SIZE	4096

/*
 * Opening a sysfs attribute: inode_permission() on the attribute's mode
 * (owned by root:root, so an unprivileged opener gets the "other" bits),
 * then kernfs_fop_open(), which refuses read access to an attribute
 * without a read bit and write access to one without a write bit even when
 * may_override_perm (root).  Every attribute served here has a show
 * handler exactly when its mode has a read bit and a store handler exactly
 * when it has a write bit.  Returns 0 or -EACCES.
 */
int mlc_vfs_sysfs_open_check(int open_flags, unsigned int mode,
			     bool may_override_perm);

/* An attribute's store: returns the bytes consumed or -errno. */
typedef long (*mlc_sysfs_store_fn)(void *priv, struct mlc_host *host,
				   const char *buf, size_t count);

/*
 * write(2) of count bytes from src on a sysfs attribute opened for writing
 * (kernfs_fop_write_iter() and sysfs_kf_write()): the write is cut to
 * MLC_SYSFS_PAGE_SIZE bytes, copied into page (which must hold
 * MLC_SYSFS_PAGE_SIZE + 1 bytes) and NUL-terminated there; -EFAULT when
 * the copy faults; an empty write returns 0 without calling store;
 * otherwise whatever store returns.  sysfs ignores the file position; the
 * caller advances it by a positive result, as kernfs does.
 */
long mlc_vfs_sysfs_write(struct mlc_host *host, mlc_uptr src, size_t count,
			 char *page, mlc_sysfs_store_fn store, void *priv);

/* A binary attribute's write (bin_attribute.write): the bytes at off. */
typedef long (*mlc_sysfs_bin_store_fn)(void *priv, struct mlc_host *host,
				       const char *buf, size_t count,
				       int64_t off);

/*
 * write(2) of count bytes from src at file position pos on a sysfs binary
 * attribute of size 0 (kernfs_fop_write_iter() and sysfs_kf_bin_write()):
 * cut to MLC_SYSFS_PAGE_SIZE bytes (no atomic_write_len), copied into buf
 * (MLC_SYSFS_PAGE_SIZE bytes, no NUL added); -EFAULT when the copy faults;
 * an empty write returns 0 without calling store; otherwise whatever
 * store(buf, len, pos) returns.  The caller advances the position by a
 * positive result, as kernfs does.
 */
long mlc_vfs_sysfs_bin_write(struct mlc_host *host, mlc_uptr src, size_t count,
			     int64_t pos, char *buf, mlc_sysfs_bin_store_fn store,
			     void *priv);


/* --- what the preload door must answer itself (Linux 6.1, fs/ioctl.c,
 * fs/namei.c, fs/open.c, fs/read_write.c): a door that is not the kernel
 * serves a real path with these answers, so no door decides them. --- */

/* The flags the VFS's own ioctls read and change. */
#define MLC_VFS_FD_CLOEXEC	0x1u	/* the descriptor's FD_CLOEXEC */
#define MLC_VFS_O_NONBLOCK	0x2u	/* the description's O_NONBLOCK */
#define MLC_VFS_O_ASYNC		0x4u	/* the description's O_ASYNC (FASYNC) */

/*
 * Whether do_vfs_ioctl() answers cmd itself, before any driver, on a file
 * of this kind (regular: a proc or sysfs file; else a character device):
 * FIOCLEX, FIONCLEX, FIONBIO and FIOASYNC for every file, FIONREAD and
 * FIOQSIZE for a regular file.  (FIONREAD on a character device goes to
 * the driver; FIOQSIZE there is ENOTTY, which drivers also answer.)
 */
bool mlc_vfs_ioctl_is_vfs(unsigned int cmd, bool regular);

/*
 * Answers an ioctl mlc_vfs_ioctl_is_vfs() claimed, for a file without a
 * fasync handler (none of the files served here has one).  *flags holds
 * the MLC_VFS_* state on entry and the new state on return:
 *   FIOCLEX, FIONCLEX: set / clear MLC_VFS_FD_CLOEXEC; the argument is not
 *     read; 0.
 *   FIONBIO: reads an int (EFAULT if it cannot), sets O_NONBLOCK when it is
 *     non-zero, else clears it; 0.
 *   FIOASYNC: reads an int (EFAULT); a request that would change O_ASYNC
 *     fails with ENOTTY (no fasync handler) and changes nothing, one that
 *     would not returns 0.  So FIOASYNC(1) is ENOTTY with O_ASYNC clear and
 *     FIOASYNC(0) is 0.
 *   FIONREAD (regular): writes the int i_size - f_pos (i_size is 0 here).
 *   FIOQSIZE (regular): writes the loff_t inode_get_bytes(), 0 here.
 */
long mlc_vfs_ioctl(struct mlc_host *host, unsigned int cmd, mlc_uptr arg,
		   bool regular, int64_t f_pos, unsigned int *flags);

/*
 * pread64(2)/pwrite64(2)/preadv(2)/pwritev(2): a negative position is
 * EINVAL before the file is even looked at (ksys_pread64()).  Every file
 * served here keeps FMODE_PREAD/FMODE_PWRITE (none uses nonseekable_open),
 * so otherwise the read or write goes on at that position.  0 or -EINVAL.
 */
long mlc_vfs_positional_check(int64_t pos);

/* lseek(2) with a whence beyond SEEK_MAX (SEEK_HOLE): EINVAL before the
 * file's llseek (ksys_lseek()).  0 or -EINVAL. */
long mlc_vfs_lseek_whence_check(int whence);

/*
 * mmap(2) of a file, what do_mmap() checks before the file's mmap handler:
 * a zero length is EINVAL; a shared writable mapping of a file not open
 * for writing, or any mapping of a file not open for reading, is EACCES.
 * 0 when the handler is to be asked (mlc_vfs_mmap_no_handler(),
 * mlc_proc_mmap()).
 */
long mlc_vfs_mmap_check(unsigned int f_mode, bool shared, bool prot_write,
			size_t len);

/*
 * What fcntl(F_GETFL) reports for a file opened with open_flags whose
 * F_SETFL-changeable bits (O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT,
 * O_NOATIME) are now setfl_now (build_open_flags(), do_dentry_open(), x86_64
 * numbers): O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC and O_CLOEXEC are not kept,
 * O_LARGEFILE is forced; an O_PATH file shows O_PATH, O_DIRECTORY and
 * O_NOFOLLOW only.
 */
int mlc_vfs_getfl(int open_flags, int setfl_now);

/* Inode type bits, as the kernel numbers them. */
#define MLC_S_IFMT	0170000
#define MLC_S_IFDIR	0040000
#define MLC_S_IFCHR	0020000
#define MLC_S_IFREG	0100000

/*
 * open(2) of a path that exists, with inode mode i_mode, before the
 * file's own open (do_open(), may_open(), do_dentry_open()): O_CREAT|O_EXCL
 * is EEXIST; O_DIRECTORY on a non-directory is ENOTDIR; a directory opened
 * for writing (or with O_CREAT or O_TRUNC) is EISDIR; O_DIRECT on a file
 * whose mapping has no direct_IO (a device node, proc, sysfs: every file
 * served here) is EINVAL.  0 or -errno.
 */
int mlc_vfs_open_existing_check(int open_flags, unsigned int i_mode);

/* access(2) mode bits. */
#define MLC_R_OK	4
#define MLC_W_OK	2
#define MLC_X_OK	1

/*
 * access(2)/faccessat(2) of an inode owned by root:root (every file served
 * here), mode i_mode, asking for want (MLC_R_OK|MLC_W_OK|MLC_X_OK):
 * generic_permission().  root (may_override_perm) may read and write
 * anything and execute a directory or a file with an x bit; anyone else
 * gets the group bits when in_root_group, else the other bits.  0 or
 * -EACCES.  (kernfs refusing read/write at open time despite this is
 * mlc_vfs_sysfs_open_check()'s business, as in the kernel.)
 */
int mlc_vfs_access(unsigned int i_mode, int want, bool may_override_perm,
		   bool in_root_group);

/* --- descriptors without a driver file: directories and O_PATH (Linux 6.1,
 * fs/file.c, fs/read_write.c, fs/libfs.c, fs/select.c).  Each answer below
 * is one operation of a directory or O_PATH description, as a door serves
 * it; the preload door's file objects call nothing else. --- */

/*
 * Whether fdget() hands a system call the file of a descriptor opened with
 * open_flags: not for O_PATH, which only fdget_raw() users (close, dup,
 * fcntl's descriptor commands, fstat) see; every other call is EBADF.
 */
bool mlc_vfs_fd_has_file(int open_flags);

/* read, write, lseek, ioctl, mmap ... of an O_PATH descriptor: EBADF. */
long mlc_vfs_path_fd_op(void);

/* poll(2) of an O_PATH descriptor: POLLNVAL (do_pollfd()'s fdget fails). */
unsigned int mlc_vfs_path_fd_poll_mask(void);

/* read(2) of a directory: EISDIR (generic_read_dir()). */
long mlc_vfs_dir_read(void);

/* write(2), pwrite(2), writev(2) of a directory: EBADF (vfs_write()'s
 * FMODE_WRITE check; a directory is never open for writing). */
long mlc_vfs_dir_write(void);

/* readv(2) of a directory whose vector holds total bytes: 0 when empty
 * (vfs_readv() returns before the file is asked), else EISDIR. */
long mlc_vfs_dir_readv(uint64_t total);

/*
 * lseek(2) of a served directory at *pos (sysfs's kernfs and proc's
 * directories use generic_file_llseek()): i_size 0, s_maxbytes
 * MAX_NON_LFS; SEEK_SET/SEEK_CUR/SEEK_END move *pos, SEEK_DATA/SEEK_HOLE
 * are ENXIO, a result past 2^31-1 or negative and a bad whence EINVAL.
 * The position is the description's, not the readdir cursor.
 */
int64_t mlc_vfs_dir_llseek(int64_t *pos, int64_t offset, int whence);

/* Whether the VFS answers ioctl cmd on a directory (FIOCLEX ..., FIOQSIZE;
 * not FIONREAD, which do_vfs_ioctl() answers only for a regular file). */
bool mlc_vfs_dir_ioctl_is_vfs(unsigned int cmd);

/* --- copies between files: fs/read_write.c, fs/splice.c --- */

/* One side of a copy_file_range(2): i_mode and the open flags of its
 * description (a side on another filesystem: the host's fstat/F_GETFL). */
struct mlc_cfr_side {
	unsigned int i_mode;
	int open_flags;
};

/*
 * copy_file_range(2) with a served file on at least one side: an O_PATH
 * side is EBADF (fdget()), flags EINVAL, then generic_copy_file_checks():
 * a directory EISDIR, another non-regular file EINVAL, in not readable or
 * out not writable (or O_APPEND) EBADF; else the copy crosses filesystems,
 * EXDEV, and callers fall back to read and write.
 */
long mlc_vfs_copy_file_range_served(const struct mlc_cfr_side *in,
				    const struct mlc_cfr_side *out,
				    unsigned int flags);

/* splice(2) to or from a served file: no splice_read/splice_write, EINVAL. */
long mlc_vfs_splice_no_handler(void);

/* --- locks: fs/locks.c --- */

/* struct flock as x86_64 user space passes it (fcntl F_GETLK ...). */
struct mlc_flock {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_pid;
};

/* Whether cmd is one of fcntl(2)'s record-lock commands (F_GETLK,
 * F_SETLK, F_SETLKW and their F_OFD_ forms). */
bool mlc_vfs_is_lock_cmd(int cmd);

/*
 * A record-lock command on a served file's description opened with
 * open_flags (a door without the kernel's lock table): O_PATH is EBADF;
 * the struct flock at arg is read (EFAULT if it cannot be); F_GETLK asks
 * for F_RDLCK or F_WRLCK (else EINVAL) and is written back F_UNLCK; a set
 * needs FMODE_READ for F_RDLCK, FMODE_WRITE for F_WRLCK (EBADF), any other
 * type is EINVAL; every lock is granted and never contended: 0.
 */
long mlc_vfs_lock(struct mlc_host *host, int open_flags, int cmd, mlc_uptr arg);

/* flock(2) with op on a served description: a bad op EINVAL (before the
 * descriptor is looked at), O_PATH EBADF, else granted, never contended. */
long mlc_vfs_flock(int open_flags, int op);

/*
 * faccessat(2) of a served inode with mode as user space passes it (F_OK
 * 0, or R_OK|W_OK|X_OK): other bits are EINVAL (do_faccessat()), F_OK
 * succeeds (the name exists), the rest is mlc_vfs_access().
 */
int mlc_vfs_faccessat(unsigned int i_mode, int mode, bool may_override_perm,
		      bool in_root_group);

/* readlink(2) of a served node, which is never a symlink: EINVAL. */
long mlc_vfs_readlink_not_symlink(void);

/*
 * An *at() call's relative path from a dirfd that is not a directory
 * (path_init() starting from a file): ENOTDIR.
 */
long mlc_vfs_at_dirfd_not_dir(void);

/* --- extended attributes: fs/xattr.c; the served nodes keep none --- */

/* getxattr(2) of a served node: ENODATA. */
long mlc_vfs_getxattr_none(void);
/* listxattr(2) of a served node: an empty list, 0 bytes. */
long mlc_vfs_listxattr_none(void);
/* setxattr(2)/removexattr(2) of a served node: EOPNOTSUPP. */
long mlc_vfs_setxattr_none(void);

#ifdef __cplusplus
}
#endif

#endif /* VFS_MODEL_H */

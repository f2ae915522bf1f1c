// SPDX-License-Identifier: GPL-2.0
//
// The C API of door_api.h, which interpose.c calls: each function calls
// the door's C++ side (door.hpp) and returns its result.

extern "C" {
#include "core/vfs_model.h"
}
#include "preload/door.hpp"

using namespace mlc::preload;

extern "C" {

void mlcpl_init(void)
{
	door_init();
}
void mlcpl_exit(void)
{
	door_exit();
}

struct mlcpl_lookup mlcpl_lookup_path(int dirfd, const char *path, int how)
{
	if (!mlcpl_fds)
		door_init();
	return lookup(dirfd, path, how);
}

bool mlcpl_is_placeholder(const struct stat *st)
{
	return mlcpl_fds && is_placeholder(*st);
}

int mlcpl_open(int dirfd, const char *path, const struct mlcpl_lookup *l,
	       int flags)
{
	(void)dirfd;
	(void)path;
	return open_at(*l, flags);
}

struct mlcpl_handle *mlcpl_fd_link(const char *path)
{
	return fd_link_path(path);
}

long mlcpl_close(int fd)
{
	return close_fd(fd);
}
void mlcpl_dup_done(int oldfd, int newfd)
{
	dup_done(oldfd, newfd);
}
void mlcpl_forget_range(unsigned int lo, unsigned int hi)
{
	forget_range(lo, hi);
}

long mlcpl_read(struct mlcpl_handle *h, void *buf, size_t count)
{
	return read_fd(h, buf, count);
}

long mlcpl_write(struct mlcpl_handle *h, const void *buf, size_t count)
{
	return write_fd(h, buf, count);
}

long mlcpl_pread(struct mlcpl_handle *h, void *buf, size_t count, int64_t pos)
{
	return pread_fd(h, buf, count, pos);
}

long mlcpl_pwrite(struct mlcpl_handle *h, const void *buf, size_t count,
		  int64_t pos)
{
	return pwrite_fd(h, buf, count, pos);
}

long mlcpl_readv(struct mlcpl_handle *h, const struct iovec *iov, int iovcnt,
		 bool positional, int64_t pos)
{
	return readv_fd(h, iov, iovcnt, positional, pos);
}

long mlcpl_writev(struct mlcpl_handle *h, const struct iovec *iov, int iovcnt,
		  bool positional, int64_t pos)
{
	return writev_fd(h, iov, iovcnt, positional, pos);
}

int64_t mlcpl_lseek(struct mlcpl_handle *h, int64_t off, int whence)
{
	return lseek_fd(h, off, whence);
}

long mlcpl_ioctl(int fd, struct mlcpl_handle *h, unsigned long cmd,
		 unsigned long arg)
{
	return ioctl_fd(fd, h, cmd, arg);
}

long mlcpl_mmap(struct mlcpl_handle *h, bool shared, bool prot_write,
		size_t len)
{
	return mmap_fd(h, shared, prot_write, len);
}

long mlcpl_getfl(int fd, struct mlcpl_handle *h)
{
	return getfl_fd(fd, h);
}
unsigned int mlcpl_poll(struct mlcpl_handle *h)
{
	return poll_fd(h);
}

long mlcpl_copy_file_range(int in_fd, struct mlcpl_handle *in, int out_fd,
			   struct mlcpl_handle *out, unsigned int flags)
{
	return copy_file_range_fd(in_fd, in, out_fd, out, flags);
}

long mlcpl_splice(struct mlcpl_handle *in, struct mlcpl_handle *out)
{
	(void)in;
	(void)out;
	return mlc_vfs_splice_no_handler();
}

bool mlcpl_is_lock_cmd(int cmd)
{
	return mlc_vfs_is_lock_cmd(cmd);
}

long mlcpl_lock(struct mlcpl_handle *h, int cmd, unsigned long arg)
{
	return lock_fd(h, cmd, arg);
}

long mlcpl_flock(struct mlcpl_handle *h, int op)
{
	return flock_fd(h, op);
}

long mlcpl_readlink_node(uint64_t ino)
{
	(void)ino;
	return mlc_vfs_readlink_not_symlink();
}

long mlcpl_xattr(int op)
{
	switch (op) {
	case MLCPL_XATTR_GET:
		return mlc_vfs_getxattr_none();
	case MLCPL_XATTR_LIST:
		return mlc_vfs_listxattr_none();
	default:
		return mlc_vfs_setxattr_none();
	}
}

bool mlcpl_is_dir(struct mlcpl_handle *h)
{
	return h->node->type() == mlc::NodeType::Directory;
}

void mlcpl_stat_handle(struct mlcpl_handle *h, struct stat *st)
{
	stat_handle(h, st);
}
void mlcpl_stat_node(uint64_t ino, struct stat *st)
{
	stat_node(ino, st);
}

void mlcpl_stat_to_statx(const struct stat *st, struct statx *stx)
{
	stat_to_statx(*st, stx);
}

int mlcpl_access(uint64_t ino, int mode, bool effective)
{
	return access_node(ino, mode, effective);
}

const char *mlcpl_path_of(struct mlcpl_handle *h)
{
	return path_of(h);
}

size_t mlcpl_copy(void *dst, const void *src, size_t len)
{
	return guarded_copy(dst, src, len);
}

struct mlcpl_vdir *mlcpl_vdir_from_fd(int fd, struct mlcpl_handle *h)
{
	return vdir_from_fd(fd, h);
}

bool mlcpl_is_vdir(const void *dir)
{
	return is_vdir(dir);
}
struct dirent *mlcpl_vdir_read(struct mlcpl_vdir *d)
{
	return vdir_read(d);
}
struct dirent64 *mlcpl_vdir_read64(struct mlcpl_vdir *d)
{
	return vdir_read64(d);
}
void mlcpl_vdir_rewind(struct mlcpl_vdir *d)
{
	vdir_rewind(d);
}
int mlcpl_vdir_close(struct mlcpl_vdir *d)
{
	return vdir_close(d);
}
int mlcpl_vdir_fd(struct mlcpl_vdir *d)
{
	return vdir_fd(d);
}

void mlcpl_merge_open(const void *dir, uint64_t ino)
{
	merge_open(dir, ino);
}
bool mlcpl_merging(const void *dir)
{
	return merging(dir);
}
struct dirent *mlcpl_merge_next(const void *dir)
{
	return merge_next(dir);
}
struct dirent64 *mlcpl_merge_next64(const void *dir)
{
	return merge_next64(dir);
}
void mlcpl_merge_rewind(const void *dir)
{
	merge_rewind(dir);
}
void mlcpl_merge_close(const void *dir)
{
	merge_close(dir);
}

char *const *mlcpl_child_env(char *const envp[])
{
	return child_env(envp);
}
bool mlcpl_borrowed_memory(void)
{
	return borrowed_memory();
}

bool mlcpl_guards_signal(int sig)
{
	return guards_signal(sig);
}

int mlcpl_guarded_sigaction(int sig, const struct sigaction *act,
			    struct sigaction *old)
{
	return guarded_sigaction(sig, act, old);
}

} // extern "C"

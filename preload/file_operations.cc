// SPDX-License-Identifier: GPL-2.0
//
// The operations on a served descriptor's data and flags: read, write and
// their positional and vector forms, lseek, ioctl, mmap, poll, F_GETFL,
// copies and locks.  Each calls the handle's OpenFile (a driver file, or a
// directory's or O_PATH's object) under the description's lock, or the
// core's VFS model, and returns what it says.
#include <fcntl.h>
#include <limits.h>

#include <cerrno>
#include <vector>

extern "C" {
#include "core/vfs_model.h"
}
#include "preload/door.hpp"
#include "preload/real.hpp"

namespace mlc::preload {

namespace {

// A directory's or O_PATH descriptor's read or write: its object's answer.
template <bool kWrite> long fileless_rw(Handle *h, mlc_uptr buf, size_t count)
{
	SafeMemory mem;
	int64_t pos = 0;
	return kWrite ? h->file->write(buf, count, &pos, mem) :
			h->file->read(buf, count, &pos, mem);
}

// The driver's read or write of segs at the description's position (or,
// positional, at pos), as the VFS calls a file with ->read/->write but no
// ->read_iter: once per segment until one comes back short
// (do_loop_readv_writev()); the first error when nothing moved.
template <bool kWrite>
long transfer(Handle *h, const struct iovec *segs, size_t n, bool positional,
	      int64_t pos)
{
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	int64_t p = positional ? pos : op.rec().pos;
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		auto buf = reinterpret_cast<mlc_uptr>(segs[i].iov_base);
		SafeMemory mem;
		long r = kWrite ?
				 h->file->write(buf, segs[i].iov_len, &p, mem) :
				 h->file->read(buf, segs[i].iov_len, &p, mem);
		if (r < 0) {
			if (!total)
				total = r;
			break;
		}
		total += r;
		if (static_cast<size_t>(r) != segs[i].iov_len)
			break;
	}
	if (!positional)
		op.rec().pos = p;
	op.save();
	return total;
}

// read(2), write(2), pread64(2), pwrite64(2): one segment.
template <bool kWrite>
long rw_one(Handle *h, mlc_uptr buf, size_t count, bool positional, int64_t pos)
{
	if (positional)
		if (long err = mlc_vfs_positional_check(pos))
			return err;
	if (h->path_only)
		return fileless_rw<kWrite>(h, buf, count);
	struct iovec seg = { reinterpret_cast<void *>(buf), count };
	return transfer<kWrite>(h, &seg, 1, positional, pos);
}

// readv(2) and its kin: the iovec array is the caller's memory.
template <bool kWrite>
long rw_vector(Handle *h, const struct iovec *uiov, int iovcnt, bool positional,
	       int64_t pos)
{
	if (positional)
		if (long err = mlc_vfs_positional_check(pos))
			return err;
	// O_PATH (fdget) and a directory's writev (FMODE_WRITE) fail before
	// the vector is looked at.
	if (h->path_only &&
	    (kWrite || !mlc_vfs_fd_has_file(h->rec->open_flags)))
		return fileless_rw<kWrite>(h, 0, 0);
	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	std::vector<struct iovec> iov(static_cast<size_t>(iovcnt));
	if (iovcnt &&
	    guarded_copy(iov.data(), uiov, iov.size() * sizeof(struct iovec)))
		return -EFAULT;
	if (h->path_only) { // a directory's readv: its length decides
		uint64_t total = 0;
		for (const auto &seg : iov)
			total += seg.iov_len;
		return mlc_vfs_dir_readv(total);
	}
	if (iov.empty())
		iov.push_back(
			{ nullptr, 0 }); // the handler still checks the mode
	return transfer<kWrite>(h, iov.data(), iov.size(), positional, pos);
}

mlc_uptr uptr(const void *p)
{
	return reinterpret_cast<mlc_uptr>(p);
}

} // namespace

long read_fd(Handle *h, void *buf, size_t count)
{
	return rw_one<false>(h, uptr(buf), count, false, 0);
}

long write_fd(Handle *h, const void *buf, size_t count)
{
	return rw_one<true>(h, uptr(buf), count, false, 0);
}

long pread_fd(Handle *h, void *buf, size_t count, int64_t pos)
{
	return rw_one<false>(h, uptr(buf), count, true, pos);
}

long pwrite_fd(Handle *h, const void *buf, size_t count, int64_t pos)
{
	return rw_one<true>(h, uptr(buf), count, true, pos);
}

long readv_fd(Handle *h, const struct iovec *iov, int iovcnt, bool positional,
	      int64_t pos)
{
	return rw_vector<false>(h, iov, iovcnt, positional, pos);
}

long writev_fd(Handle *h, const struct iovec *iov, int iovcnt, bool positional,
	       int64_t pos)
{
	return rw_vector<true>(h, iov, iovcnt, positional, pos);
}

int64_t lseek_fd(Handle *h, int64_t off, int whence)
{
	// O_PATH: EBADF before the whence; a directory checks its own.
	if (h->path_only) {
		int64_t pos = 0;
		return h->file->lseek(&pos, off, whence);
	}
	if (long err = mlc_vfs_lseek_whence_check(whence))
		return err;
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	OpScope op(h);
	int64_t pos = op.rec().pos;
	int64_t r = h->file->lseek(&pos, off, whence);
	if (r >= 0)
		op.rec().pos = pos;
	op.save();
	return r;
}

namespace {

// An ioctl the VFS answers: the descriptor's flags are the kernel's (on
// the placeholder), the decision is the core's.
long vfs_ioctl(int fd, Handle *h, unsigned int cmd, unsigned long arg,
	       bool regular)
{
	const Real &r = real();
	int fdflags = r.fcntl(fd, F_GETFD);
	int flflags = r.fcntl(fd, F_GETFL);
	if (fdflags < 0 || flflags < 0)
		return -EBADF;
	unsigned int before = (fdflags & FD_CLOEXEC ? MLC_VFS_FD_CLOEXEC : 0) |
			      (flflags & O_NONBLOCK ? MLC_VFS_O_NONBLOCK : 0) |
			      (flflags & O_ASYNC ? MLC_VFS_O_ASYNC : 0);
	unsigned int flags = before;
	int64_t pos = regular ? h->rec->pos : 0;
	SafeMemory mem;
	mlc_host host;
	host.user = &mem;
	long ret = mlc_vfs_ioctl(&host, cmd, arg, regular, pos, &flags);
	if (ret == 0 && ((flags ^ before) & MLC_VFS_FD_CLOEXEC))
		r.fcntl(fd, F_SETFD,
			flags & MLC_VFS_FD_CLOEXEC ? fdflags | FD_CLOEXEC :
						     fdflags & ~FD_CLOEXEC);
	if (ret == 0 && ((flags ^ before) & MLC_VFS_O_NONBLOCK))
		r.fcntl(fd, F_SETFL,
			flags & MLC_VFS_O_NONBLOCK ? flflags | O_NONBLOCK :
						     flflags & ~O_NONBLOCK);
	return ret;
}

} // namespace

long ioctl_fd(int fd, Handle *h, unsigned long cmd_arg, unsigned long arg)
{
	// The kernel's cmd is an unsigned int: the upper bits are dropped.
	auto cmd = static_cast<unsigned int>(cmd_arg);
	SafeMemory mem;
	// O_PATH: no file for the VFS either, its object answers everything.
	if (!mlc_vfs_fd_has_file(h->rec->open_flags))
		return h->file->ioctl(cmd, arg, mem);
	if (h->path_only) { // a directory: no FIONREAD (not S_ISREG)
		if (mlc_vfs_dir_ioctl_is_vfs(cmd))
			return vfs_ioctl(fd, h, cmd, arg, true);
		return h->file->ioctl(cmd, arg, mem);
	}
	bool regular = h->node->type() != NodeType::CharDevice;
	if (mlc_vfs_ioctl_is_vfs(cmd, regular))
		return vfs_ioctl(fd, h, cmd, arg, regular);
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	if (!h->has_state) // the common case: no lock but the device's
		return h->file->ioctl(cmd, arg, mem);
	OpScope op(h);
	long r = h->file->ioctl(cmd, arg, mem);
	op.save();
	return r;
}

long mmap_fd(Handle *h, bool shared, bool prot_write, size_t len)
{
	if (!mlc_vfs_fd_has_file(h->rec->open_flags)) // fget() fails first
		return h->file->mmap();
	if (long err =
		    mlc_vfs_mmap_check(mlc_fmode_from_flags(h->rec->open_flags),
				       shared, prot_write, len))
		return err;
	if (h->path_only) // a directory
		return h->file->mmap();
	InDoor in;
	if (int err = ensure_file(h))
		return err;
	return h->file->mmap();
}

long getfl_fd(int fd, Handle *h)
{
	int fl = real().fcntl(fd, F_GETFL);
	if (fl < 0)
		return -errno;
	// The placeholder's SETFL bits are the description's; the rest is
	// what the program opened with, as the VFS keeps it.
	return mlc_vfs_getfl(h->rec->open_flags, fl);
}

unsigned int poll_fd(Handle *h)
{
	if (h->path_only)
		return h->file->poll();
	InDoor in;
	if (ensure_file(h))
		return POLLERR;
	return h->file->poll();
}

namespace {

// A copy's side: the served description's, or the host descriptor's own
// (its fstat and F_GETFL); EBADF when fd is not open at all.
long cfr_side(int fd, Handle *h, mlc_cfr_side *side)
{
	if (h) {
		*side = { h->node->mode(), h->rec->open_flags };
		return 0;
	}
	struct stat st;
	int fl = real().fcntl(fd, F_GETFL);
	if (fl < 0 || real().fstat(fd, &st) < 0)
		return -EBADF;
	*side = { st.st_mode, fl };
	return 0;
}

} // namespace

long copy_file_range_fd(int in_fd, Handle *in, int out_fd, Handle *out,
			unsigned int flags)
{
	mlc_cfr_side a, b;
	if (long err = cfr_side(in_fd, in, &a))
		return err;
	if (long err = cfr_side(out_fd, out, &b))
		return err;
	return mlc_vfs_copy_file_range_served(&a, &b, flags);
}

long lock_fd(Handle *h, int cmd, unsigned long arg)
{
	static_assert(sizeof(struct mlc_flock) == sizeof(struct flock));
	SafeMemory mem;
	mlc_host host;
	host.user = &mem;
	return mlc_vfs_lock(&host, h->rec->open_flags, cmd, arg);
}

long flock_fd(Handle *h, int op)
{
	return mlc_vfs_flock(h->rec->open_flags, op);
}

const char *path_of(Handle *h)
{
	return h->rec->real_path;
}

} // namespace mlc::preload

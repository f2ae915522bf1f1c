// SPDX-License-Identifier: GPL-2.0
//
// What the VFS answers by itself for /dev/mlcore (no read, write, llseek
// or mmap handler) and for the 0444 proc files (src/core/vfs_model.h).
// The model's functions take no size: read/write answer the same for 0
// bytes and for more, which their signatures make structural.
#include <fcntl.h>

#include <cerrno>

#include <gtest/gtest.h>

extern "C" {
#include "core/vfs_model.h"
}

namespace {

struct OpenMode {
	const char *name;
	int flags;
	bool readable;		// FMODE_READ of the open file
	bool writable;		// FMODE_WRITE of the open file
	bool asks_write;	// open(2) checks MAY_WRITE (ACC_MODE)
};

// Access modes, with flags that must not matter.  O_ACCMODE (3) opens
// with neither FMODE_READ nor FMODE_WRITE, yet the kernel's ACC_MODE()
// asks for read and write permission ("\004\002\006\006"[3]): an
// unprivileged open(O_ACCMODE) of a 0444 proc file is EACCES (checked on
// /proc/version as uid 65534).
constexpr OpenMode kModes[] = {
	{"O_RDONLY", O_RDONLY, true, false, false},
	{"O_WRONLY", O_WRONLY, false, true, true},
	{"O_RDWR", O_RDWR, true, true, true},
	{"O_RDONLY|O_NONBLOCK|O_CLOEXEC", O_RDONLY | O_NONBLOCK | O_CLOEXEC,
	 true, false, false},
	{"O_WRONLY|O_APPEND|O_TRUNC", O_WRONLY | O_APPEND | O_TRUNC, false,
	 true, true},
	{"O_RDWR|O_SYNC", O_RDWR | O_SYNC, true, true, true},
	{"O_ACCMODE", O_ACCMODE, false, false, true},
};

TEST(VfsModel, FmodeFromOpenFlags)
{
	for (const OpenMode &m : kModes) {
		SCOPED_TRACE(m.name);
		const unsigned int fmode = mlc_fmode_from_flags(m.flags);
		EXPECT_EQ(fmode, (m.readable ? MLC_FMODE_READ : 0u) |
					 (m.writable ? MLC_FMODE_WRITE : 0u));
	}
}

TEST(VfsModel, DeviceReadIsEbadfWithoutReadAccessElseEinval)
{
	for (const OpenMode &m : kModes) {
		SCOPED_TRACE(m.name);
		EXPECT_EQ(mlc_vfs_read_no_handler(mlc_fmode_from_flags(m.flags)),
			  m.readable ? -EINVAL : -EBADF);
	}
}

TEST(VfsModel, DeviceWriteIsEbadfWithoutWriteAccessElseEinval)
{
	for (const OpenMode &m : kModes) {
		SCOPED_TRACE(m.name);
		EXPECT_EQ(mlc_vfs_write_no_handler(mlc_fmode_from_flags(m.flags)),
			  m.writable ? -EINVAL : -EBADF);
	}
}

TEST(VfsModel, DeviceLseekIsEspipe)
{
	EXPECT_EQ(mlc_vfs_llseek_no_handler(), -ESPIPE);
}

TEST(VfsModel, DeviceMmapIsEnodev)
{
	EXPECT_EQ(mlc_vfs_mmap_no_handler(), -ENODEV);
}

TEST(VfsModel, DefaultPollMaskIsReadableAndWritable)
{
	EXPECT_EQ(mlc_vfs_default_poll_mask(),
		  static_cast<unsigned int>(POLLIN | POLLOUT | POLLRDNORM |
					    POLLWRNORM));
	EXPECT_EQ(mlc_vfs_default_poll_mask(), 0x145u);	// x86_64 numbers
}

TEST(VfsModel, ProcWriteIsEioEvenForZeroBytesAndEbadfWhenReadOnly)
{
	for (const OpenMode &m : kModes) {
		SCOPED_TRACE(m.name);
		EXPECT_EQ(mlc_vfs_proc_write(mlc_fmode_from_flags(m.flags)),
			  m.writable ? -EIO : -EBADF);
	}
}

TEST(VfsModel, ProcOpenForWritingNeedsPermissionOverride)
{
	for (const OpenMode &m : kModes) {
		if (m.flags == O_ACCMODE)
			continue;	// its own test below
		SCOPED_TRACE(m.name);
		EXPECT_EQ(mlc_vfs_proc_open_check(m.flags, false),
			  m.asks_write ? -EACCES : 0);
		EXPECT_EQ(mlc_vfs_proc_open_check(m.flags, true), 0);
	}
}

TEST(VfsModel, ProcOpenWithAccmodeAsksWritePermissionToo)
{
	EXPECT_EQ(mlc_vfs_proc_open_check(O_ACCMODE, false), -EACCES);
	EXPECT_EQ(mlc_vfs_proc_open_check(O_ACCMODE | O_NONBLOCK, false),
		  -EACCES);
	EXPECT_EQ(mlc_vfs_proc_open_check(O_ACCMODE, true), 0);
	// Opened (as root), the file has neither mode: write is EBADF.
	EXPECT_EQ(mlc_vfs_proc_write(mlc_fmode_from_flags(O_ACCMODE)), -EBADF);
}

}  // namespace

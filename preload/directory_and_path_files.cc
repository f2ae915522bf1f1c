// SPDX-License-Identifier: GPL-2.0
#include "preload/directory_and_path_files.hpp"

extern "C" {
#include "core/vfs_model.h"
}

namespace mlc::preload {

namespace {

// A served directory, open for reading (the only way a directory opens).
class DirectoryFile final : public OpenFile {
public:
	long read(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_dir_read();
	}
	long write(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_dir_write();
	}
	long ioctl(unsigned int, mlc_uptr, UserMemory &) override
	{
		return mlc_vfs_dir_ioctl_no_handler();
	}
	// The description's position (kept here: the door's readdir has its
	// own cursor, as the kernel's moves with it only for some filesystems).
	int64_t lseek(int64_t *, int64_t offset, int whence) override
	{
		return mlc_vfs_dir_llseek(&pos_, offset, whence);
	}
	long mmap() override
	{
		return mlc_vfs_mmap_no_handler();
	}
	unsigned int poll() override
	{
		return mlc_vfs_default_poll_mask();
	}
	bool nonseekable() const override
	{
		return false;
	}

private:
	int64_t pos_ = 0;
};

// An O_PATH description: the VFS finds no file behind it (fdget()).
class PathFile final : public OpenFile {
public:
	long read(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_path_fd_op();
	}
	long write(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_path_fd_op();
	}
	long ioctl(unsigned int, mlc_uptr, UserMemory &) override
	{
		return mlc_vfs_path_fd_op();
	}
	int64_t lseek(int64_t *, int64_t, int) override
	{
		return mlc_vfs_path_fd_op();
	}
	long mmap() override
	{
		return mlc_vfs_path_fd_op();
	}
	unsigned int poll() override
	{
		return mlc_vfs_path_fd_poll_mask();
	}
	bool nonseekable() const override
	{
		return false;
	}
};

} // namespace

std::unique_ptr<OpenFile> open_fileless(const Node &node, int open_flags)
{
	if (!mlc_vfs_fd_has_file(open_flags))
		return std::make_unique<PathFile>();
	if (node.type() == NodeType::Directory)
		return std::make_unique<DirectoryFile>();
	return nullptr;
}

} // namespace mlc::preload

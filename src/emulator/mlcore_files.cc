// SPDX-License-Identifier: GPL-2.0
//
// The mlcore driver's files: /dev/mlcore (ioctl only) and its two proc
// files.  Every answer comes from the core (the device or the VFS model).
#include <sys/sysmacros.h>

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"
#include "emulator/proc_seq_file.hpp"
#include "emulator/served_files.hpp"

namespace mlc {

namespace {

// register_chrdev() gives no read/write/llseek/mmap handler: the VFS
// answers those; ioctl goes to the driver.
class MlcoreDevFile final : public OpenFile {
public:
	MlcoreDevFile(Device &dev, unsigned int f_mode) : dev_(dev), f_mode_(f_mode) {}

	long read(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_read_no_handler(f_mode_);
	}
	long write(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_write_no_handler(f_mode_);
	}
	long ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem) override
	{
		return dev_.mlcore_ioctl(cmd, arg, mem);
	}
	bool ioctl_copy(unsigned int cmd, mlc_ioctl_copy *copy) const override
	{
		return mlcore_ioctl_copy(cmd, copy) == 0;
	}
	int64_t lseek(int64_t *, int64_t, int) override
	{
		return mlc_vfs_llseek_no_handler();
	}
	long mmap() override { return mlc_vfs_mmap_no_handler(); }
	unsigned int poll() override { return mlc_vfs_default_poll_mask(); }
	bool nonseekable() const override { return true; }

private:
	Device &dev_;
	unsigned int f_mode_;
};

class MlcoreDevNode final : public Node {
public:
	explicit MlcoreDevNode(std::string path)
		: Node(std::move(path), NodeType::CharDevice, 0666,
		       makedev(MLCORE_MAJOR, 0))
	{
	}

	// The driver's open always succeeds, for any access mode.
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &,
				       int *err) const override
	{
		*err = 0;
		return std::make_unique<MlcoreDevFile>(inst.device(),
						       mlc_fmode_from_flags(flags));
	}
};

size_t render_result(Device &dev, char *buf, size_t size)
{
	return dev.render_mlcore_result(buf, size);
}

size_t render_train(Device &dev, char *buf, size_t size)
{
	return dev.render_mlcore_train(buf, size);
}

}  // namespace

std::unique_ptr<Node> make_mlcore_device_node(std::string path)
{
	return std::make_unique<MlcoreDevNode>(std::move(path));
}

std::unique_ptr<Node> make_mlcore_result_node(std::string path)
{
	return std::make_unique<ProcSeqNode>(std::move(path), render_result);
}

std::unique_ptr<Node> make_mlcore_train_node(std::string path)
{
	return std::make_unique<ProcSeqNode>(std::move(path), render_train);
}

}  // namespace mlc

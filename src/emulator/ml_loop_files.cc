// SPDX-License-Identifier: GPL-2.0
//
// The closed loop's files (docs/closed-loop.md): the record stream
// /dev/mlloop and the class device ml_lib_loop/mlloop with its model
// ml_readahead (control, workload, mode, state, efficiency, stats).  Every answer
// comes from the core (ml_loop_dev.h or the VFS model).
#include <sys/sysmacros.h>

extern "C" {
#include "core/ml_loop_dev.h"
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"
#include "emulator/served_files.hpp"
#include "emulator/sysfs_attr_file.hpp"

namespace mlc {

namespace {

// A dynamic major in the kernel; the emulator reports this one (the next
// the kernel hands out after the ml_lib test driver's 254).
constexpr unsigned kMlloopMajor = 253;

// One open file description of /dev/mlloop.  The device is a stream: no
// position, open and release do nothing, so there is no state to share.
class MlloopDevFile final : public OpenFile {
public:
	MlloopDevFile(Device &dev, unsigned int f_mode) : dev_(dev), f_mode_(f_mode) {}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_READ, false, *pos, size))
			return err;
		return dev_.mlloop_read(dst, mlc_vfs_rw_count(size), mem);
	}
	long write(mlc_uptr src, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_WRITE, false, *pos, size))
			return err;
		return dev_.mlloop_write(src, mlc_vfs_rw_count(size), mem);
	}
	long ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem) override
	{
		return dev_.mlloop_ioctl(cmd, arg, mem);
	}
	bool ioctl_copy(unsigned int cmd, mlc_ioctl_copy *copy) const override
	{
		return ml_loop_dev_ioctl_copy(cmd, copy) == 0;
	}
	int64_t lseek(int64_t *, int64_t, int) override { return ml_loop_dev_llseek(); }
	long mmap() override { return ml_loop_dev_mmap(); }
	unsigned int poll() override { return mlc_vfs_default_poll_mask(); }
	bool nonseekable() const override { return true; }

private:
	Device &dev_;
	unsigned int f_mode_;
};

class MlloopDevNode final : public Node {
public:
	explicit MlloopDevNode(std::string path)
		: Node(std::move(path), NodeType::CharDevice, 0600,
		       makedev(kMlloopMajor, ML_LOOP_DEV_MINOR))
	{
	}
	// Never cache: what a read returns depends on the queue.
	bool generated() const override { return true; }
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &,
				       int *err) const override
	{
		*err = 0;
		return std::make_unique<MlloopDevFile>(inst.device(),
						       mlc_fmode_from_flags(flags));
	}
};

size_t show_dev(const ml_loop_dev *, char *buf, size_t size)
{
	return ml_loop_dev_show_dev(kMlloopMajor, buf, size);
}

// `control` is write-only: kernfs never calls its show.
size_t show_nothing(const ml_loop_dev *, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return 0;
}

std::unique_ptr<Node> attr(std::string path, Device::MlloopRenderFn show)
{
	return std::make_unique<SysfsAttrNode>(std::move(path), ML_LOOP_DEV_ATTR_MODE,
					       show, nullptr);
}

std::unique_ptr<Node> dir(std::string path)
{
	return std::make_unique<Node>(std::move(path), NodeType::Directory, 0755);
}

}  // namespace

void add_ml_loop_nodes(FileTable &t)
{
	const std::string cls = "sys/class/" ML_LOOP_CLASS_NAME;
	const std::string devdir = cls + "/" ML_LOOP_DEVICE_NAME;
	const std::string model = devdir + "/" ML_LOOP_MODEL_NAME;

	t.add(std::make_unique<MlloopDevNode>("dev/" ML_LOOP_DEVICE_NAME));
	t.add(dir(cls));
	t.add(dir(devdir));
	t.add(attr(devdir + "/dev", show_dev));
	t.add(dir(model));
	t.add(std::make_unique<SysfsAttrNode>(model + "/control",
					      ML_LIB_MODEL_CONTROL_MODE, show_nothing,
					      &Device::mlloop_control_write));
	t.add(attr(model + "/mode", ml_loop_dev_show_mode));
	t.add(attr(model + "/state", ml_loop_dev_show_state));
	t.add(attr(model + "/efficiency", ml_loop_dev_show_efficiency));
	t.add(attr(model + "/stats", ml_loop_dev_show_stats));
	// The group's binary attributes come after its attributes.
	t.add(std::make_unique<SysfsBinAttrNode>(model + "/workload",
						 ML_LOOP_WORKLOAD_ATTR_MODE,
						 &Device::mlloop_workload_write));
}

}  // namespace mlc

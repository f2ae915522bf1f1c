// SPDX-License-Identifier: GPL-2.0
//
// The ml_lib test driver's files: /dev/mllibdev, /proc/mllibdev and the
// class device's sysfs attributes with ml_model1's `control`.  Every answer
// comes from the core (the device, its model or the VFS model).
#include <sys/sysmacros.h>

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"
#include "emulator/proc_seq_file.hpp"
#include "emulator/served_files.hpp"
#include "emulator/sysfs_attr_file.hpp"

namespace mlc {

namespace {

// The kernel gives the test driver a dynamic major; the emulator reports
// this one (the first the kernel hands out when nothing else took it).
constexpr unsigned kMllibMajor = 254;

class MllibDevFile final : public OpenFile {
public:
	// opened: the driver's open ran (false: Node::attach(), no open and,
	// unless a door hands it the release, no release).
	MllibDevFile(Device &dev, unsigned int f_mode, bool opened = true)
		: dev_(dev), f_mode_(f_mode)
	{
		if (opened)
			dev_.mllib_open();
		else
			set_releases(false);
	}
	~MllibDevFile() override
	{
		if (releases())
			dev_.mllib_release();
	}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_READ, false, *pos, size))
			return err;
		return dev_.mllib_read(dst, mlc_vfs_rw_count(size), pos, mem);
	}
	long write(mlc_uptr src, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_WRITE, false, *pos, size))
			return err;
		return dev_.mllib_write(src, mlc_vfs_rw_count(size), pos, mem);
	}
	long ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem) override
	{
		return dev_.mllib_ioctl(cmd, arg, mem);
	}
	bool ioctl_copy(unsigned int cmd, mlc_ioctl_copy *copy) const override
	{
		return ml_lib_test_dev_ioctl_copy(cmd, copy) == 0;
	}
	int64_t lseek(int64_t *pos, int64_t offset, int whence) override
	{
		return ml_lib_test_dev_llseek(pos, offset, whence);
	}
	long mmap() override { return ml_lib_test_dev_mmap(); }
	unsigned int poll() override { return mlc_vfs_default_poll_mask(); }
	bool nonseekable() const override { return false; }

private:
	Device &dev_;
	unsigned int f_mode_;
};

class MllibDevNode final : public Node {
public:
	explicit MllibDevNode(std::string path)
		: Node(std::move(path), NodeType::CharDevice, 0600,
		       makedev(kMllibMajor, ML_LIB_TEST_DEV_MINOR))
	{
	}
	// Never cache: its size is the inode's 0 whatever was written.
	bool generated() const override { return true; }
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &,
				       int *err) const override
	{
		*err = 0;
		return std::make_unique<MllibDevFile>(inst.device(),
						      mlc_fmode_from_flags(flags));
	}
	std::unique_ptr<OpenFile> attach(Instance &inst, int flags,
					 const Cred &) const override
	{
		return std::make_unique<MllibDevFile>(
			inst.device(), mlc_fmode_from_flags(flags), false);
	}
};

size_t render_proc(Device &dev, char *buf, size_t size)
{
	return dev.render_mllib(ml_lib_test_dev_render_proc, buf, size);
}

size_t show_dev(const ml_lib_test_dev *, char *buf, size_t size)
{
	return ml_lib_test_dev_show_dev(kMllibMajor, buf, size);
}

size_t show_nothing(const ml_lib_test_dev *, char *buf, size_t size)
{
	if (size)
		buf[0] = '\0';
	return 0;
}

std::unique_ptr<Node> attr(std::string path, Device::MllibRenderFn show)
{
	return std::make_unique<SysfsAttrNode>(std::move(path), ML_LIB_TEST_DEV_ATTR_MODE,
					       show, nullptr);
}

}  // namespace

void add_ml_lib_nodes(FileTable &t, const std::string &device_dir)
{
	t.add(std::make_unique<MllibDevNode>("dev/mllibdev"));
	t.add(std::make_unique<ProcSeqNode>("proc/mllibdev", render_proc));
	t.add(attr(device_dir + "/buffer_size", ml_lib_test_dev_show_buffer_size));
	t.add(attr(device_dir + "/data_size", ml_lib_test_dev_show_data_size));
	t.add(attr(device_dir + "/access_count", ml_lib_test_dev_show_access_count));
	t.add(attr(device_dir + "/stats", ml_lib_test_dev_show_stats));
	t.add(attr(device_dir + "/dev", show_dev));
	t.add(std::make_unique<Node>(device_dir + "/" ML_LIB_TEST_MODEL_NAME,
				     NodeType::Directory, 0755));
	t.add(std::make_unique<SysfsAttrNode>(
		device_dir + "/" ML_LIB_TEST_MODEL_NAME "/control",
		ML_LIB_MODEL_CONTROL_MODE, show_nothing, &Device::mllib_control_write));
}

}  // namespace mlc

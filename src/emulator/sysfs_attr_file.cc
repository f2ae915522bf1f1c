// SPDX-License-Identifier: GPL-2.0
#include "emulator/sysfs_attr_file.hpp"

extern "C" {
#include "core/seq_file_model.h"
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"
#include "emulator/seq_backed_file.hpp"

namespace mlc {

namespace {

class SysfsAttrFile final : public SeqBackedFile {
public:
	SysfsAttrFile(Device &dev, SysfsShow show,
		      SysfsAttrNode::StoreFn store, unsigned int f_mode)
		: dev_(dev), show_(show), store_(store), f_mode_(f_mode)
	{
	}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_READ, false, *pos, size))
			return err;
		return seq_read(dst, mlc_vfs_rw_count(size), pos, mem);
	}

	long write(mlc_uptr src, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_WRITE, false, *pos, size))
			return err;
		long r = (dev_.*store_)(src, mlc_vfs_rw_count(size), mem);
		if (r > 0)
			*pos += r;
		return r;
	}

	long ioctl(unsigned int, mlc_uptr, UserMemory &) override { return -ENOTTY; }
	int64_t lseek(int64_t *pos, int64_t offset, int whence) override
	{
		return mlc_vfs_default_llseek(pos, MLC_SYSFS_PAGE_SIZE, offset, whence);
	}
	long mmap() override { return mlc_vfs_mmap_no_handler(); }
	unsigned int poll() override { return mlc_vfs_sysfs_poll_mask(); }
	bool nonseekable() const override { return false; }

private:
	size_t render(char *buf, size_t size) override
	{
		return show_(dev_, buf, size);
	}

	Device &dev_;
	SysfsShow show_;
	SysfsAttrNode::StoreFn store_;
	unsigned int f_mode_;
};

// An open binary attribute: no show, so the seq_file machinery is not
// needed; the file position is the bin attribute's offset.
class SysfsBinAttrFile final : public OpenFile {
public:
	SysfsBinAttrFile(Device &dev, SysfsBinAttrNode::StoreFn store,
			 unsigned int f_mode)
		: dev_(dev), store_(store), f_mode_(f_mode)
	{
	}

	// Never reached with the write-only mode (the open refuses reading).
	long read(mlc_uptr, size_t size, int64_t *pos, UserMemory &) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_READ, false, *pos, size))
			return err;
		return -EIO;
	}

	long write(mlc_uptr src, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_WRITE, false, *pos, size))
			return err;
		long r = (dev_.*store_)(src, mlc_vfs_rw_count(size), *pos, mem);
		if (r > 0)
			*pos += r;
		return r;
	}

	long ioctl(unsigned int, mlc_uptr, UserMemory &) override { return -ENOTTY; }
	int64_t lseek(int64_t *pos, int64_t offset, int whence) override
	{
		return mlc_vfs_default_llseek(pos, 0, offset, whence);
	}
	long mmap() override { return mlc_vfs_mmap_no_handler(); }
	unsigned int poll() override { return mlc_vfs_sysfs_poll_mask(); }
	bool nonseekable() const override { return false; }

private:
	Device &dev_;
	SysfsBinAttrNode::StoreFn store_;
	unsigned int f_mode_;
};

}  // namespace

std::unique_ptr<OpenFile> SysfsBinAttrNode::open(Instance &inst, int flags,
						 const Cred &cred, int *err) const
{
	if ((*err = mlc_vfs_sysfs_open_check(flags, perm(), cred.may_override_perm())))
		return nullptr;
	return std::make_unique<SysfsBinAttrFile>(inst.device(), store_,
						  mlc_fmode_from_flags(flags));
}

int64_t SysfsAttrNode::size() const
{
	return MLC_SYSFS_PAGE_SIZE;
}

std::unique_ptr<OpenFile> SysfsAttrNode::open(Instance &inst, int flags,
					      const Cred &cred, int *err) const
{
	if ((*err = mlc_vfs_sysfs_open_check(flags, perm(), cred.may_override_perm())))
		return nullptr;
	return std::make_unique<SysfsAttrFile>(inst.device(), show_, store_,
					       mlc_fmode_from_flags(flags));
}

}  // namespace mlc

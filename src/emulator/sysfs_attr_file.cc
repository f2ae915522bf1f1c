// SPDX-License-Identifier: GPL-2.0
#include "emulator/sysfs_attr_file.hpp"

#include <cstring>

extern "C" {
#include "core/seq_file_model.h"
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"

namespace mlc {

namespace {

class SysfsAttrFile final : public OpenFile {
public:
	SysfsAttrFile(Device &dev, SysfsShow show,
		      SysfsAttrNode::StoreFn store, unsigned int f_mode)
		: dev_(dev), show_(show), store_(store), f_mode_(f_mode)
	{
		mlc_seq_open(&seq_, &SysfsAttrFile::render, this);
	}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_vfs_rw_check(f_mode_, MLC_FMODE_READ, false, *pos, size))
			return err;
		mlc_host host;
		host.user = &mem;
		return mlc_seq_read(&seq_, &host, dst, mlc_vfs_rw_count(size), pos);
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

	// The seq_file is the description's state (see OpenFile); its
	// show/priv pointers belong to this process's object.
	size_t state_size() const override { return sizeof(seq_); }
	void save_state(void *dst) const override
	{
		std::memcpy(dst, &seq_, sizeof(seq_));
	}
	void load_state(const void *src) override
	{
		std::memcpy(&seq_, src, sizeof(seq_));
		seq_.show = &SysfsAttrFile::render;
		seq_.priv = this;
	}

private:
	static size_t render(void *priv, char *buf, size_t size)
	{
		auto *self = static_cast<SysfsAttrFile *>(priv);
		return self->show_(self->dev_, buf, size);
	}

	Device &dev_;
	SysfsShow show_;
	SysfsAttrNode::StoreFn store_;
	unsigned int f_mode_;
	mlc_seq_file seq_;
};

}  // namespace

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

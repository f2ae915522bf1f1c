// SPDX-License-Identifier: GPL-2.0
#include "emulator/proc_seq_file.hpp"

#include <cstring>

extern "C" {
#include "core/procfs_model.h"
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"

namespace mlc {

namespace {

class ProcSeqFile final : public OpenFile {
public:
	ProcSeqFile(Device &dev, RenderFn render, unsigned int f_mode)
		: dev_(dev), render_(render), f_mode_(f_mode)
	{
		mlc_seq_open(&seq_, &ProcSeqFile::show, this);
	}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_proc_read_check(f_mode_))
			return err;
		mlc_host host;
		host.user = &mem;
		return mlc_seq_read(&seq_, &host, dst, size, pos);
	}

	long write(mlc_uptr, size_t, int64_t *, UserMemory &) override
	{
		return mlc_vfs_proc_write(f_mode_);
	}

	long ioctl(unsigned int, mlc_uptr, UserMemory &) override
	{
		return mlc_proc_ioctl();
	}

	int64_t lseek(int64_t *pos, int64_t offset, int whence) override
	{
		seq_.f_pos = *pos;
		int64_t r = mlc_seq_lseek(&seq_, offset, whence);
		if (r >= 0)
			*pos = r;
		return r;
	}

	long mmap() override { return mlc_proc_mmap(); }
	unsigned int poll() override { return mlc_proc_poll(); }
	bool nonseekable() const override { return false; }

	// The seq_file is the description's state; its show/priv pointers
	// belong to this process's object and are kept.
	size_t state_size() const override { return sizeof(seq_); }
	void save_state(void *dst) const override
	{
		std::memcpy(dst, &seq_, sizeof(seq_));
	}
	void load_state(const void *src) override
	{
		std::memcpy(&seq_, src, sizeof(seq_));
		seq_.show = &ProcSeqFile::show;
		seq_.priv = this;
	}

private:
	static size_t show(void *priv, char *buf, size_t size)
	{
		auto *self = static_cast<ProcSeqFile *>(priv);
		return self->render_(self->dev_, buf, size);
	}

	Device &dev_;
	RenderFn render_;
	unsigned int f_mode_;
	mlc_seq_file seq_;
};

}  // namespace

std::unique_ptr<OpenFile> ProcSeqNode::open(Instance &inst, int flags,
					    const Cred &cred, int *err) const
{
	if ((*err = mlc_vfs_proc_open_check(flags, cred.may_override_perm())))
		return nullptr;
	return std::make_unique<ProcSeqFile>(inst.device(), render_,
					     mlc_fmode_from_flags(flags));
}

}  // namespace mlc

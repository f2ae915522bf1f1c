// SPDX-License-Identifier: GPL-2.0
#include "emulator/proc_seq_file.hpp"

extern "C" {
#include "core/procfs_model.h"
#include "core/vfs_model.h"
}
#include "emulator/instance.hpp"
#include "emulator/seq_backed_file.hpp"

namespace mlc {

namespace {

class ProcSeqFile final : public SeqBackedFile {
public:
	ProcSeqFile(Device &dev, RenderFn render, unsigned int f_mode)
		: dev_(dev), render_(render), f_mode_(f_mode)
	{
	}

	long read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem) override
	{
		if (long err = mlc_proc_read_check(f_mode_))
			return err;
		return seq_read(dst, size, pos, mem);
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

private:
	size_t render(char *buf, size_t size) override
	{
		return render_(dev_, buf, size);
	}

	Device &dev_;
	RenderFn render_;
	unsigned int f_mode_;
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

// SPDX-License-Identifier: GPL-2.0
//
// An open file whose reads go through the core's seq_file model (proc files
// and sysfs attributes).  The seq_file is the open file description's
// state, which the preload door shares between processes
// (OpenFile::save_state/load_state); its show/priv pointers belong to this
// process's object and are re-aimed after every load.
#pragma once

#include <cstring>

extern "C" {
#include "core/seq_file_model.h"
}
#include "emulator/file_table.hpp"

namespace mlc {

class SeqBackedFile : public OpenFile {
public:
	size_t state_size() const override { return sizeof(seq_); }
	void save_state(void *dst) const override
	{
		std::memcpy(dst, &seq_, sizeof(seq_));
	}
	void load_state(const void *src) override
	{
		std::memcpy(&seq_, src, sizeof(seq_));
		aim();
	}

protected:
	SeqBackedFile()
	{
		mlc_seq_open(&seq_, &SeqBackedFile::show, this);
	}

	// The file's whole text, rendered under the instance lock.
	virtual size_t render(char *buf, size_t size) = 0;

	// read(2) through the model, count already checked by the caller.
	long seq_read(mlc_uptr dst, size_t size, int64_t *pos, UserMemory &mem)
	{
		mlc_host host;
		host.user = &mem;
		return mlc_seq_read(&seq_, &host, dst, size, pos);
	}

	mlc_seq_file seq_;

private:
	void aim()
	{
		seq_.show = &SeqBackedFile::show;
		seq_.priv = this;
	}
	static size_t show(void *priv, char *buf, size_t size)
	{
		return static_cast<SeqBackedFile *>(priv)->render(buf, size);
	}
};

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
//
// A procfs single_open() file: its text comes from a render function of the
// instance's devices, served through the core's seq_file model so reads,
// re-renders and lseek behave as on the kernel.  Used by every proc file.
#pragma once

#include <functional>
#include <memory>
#include <string>

extern "C" {
#include "core/seq_file_model.h"
}
#include "emulator/file_table.hpp"

namespace mlc {

class Device;

// Renders the file's whole text into buf; returns its length.
using RenderFn = size_t (*)(Device &dev, char *buf, size_t size);

class ProcSeqNode final : public Node {
public:
	ProcSeqNode(std::string path, RenderFn render)
		: Node(std::move(path), NodeType::Regular, 0444), render_(render)
	{
	}
	bool generated() const override { return true; }
	bool seq_file() const override { return true; }
	std::unique_ptr<OpenFile> open(Instance &inst, int flags, const Cred &cred,
				       int *err) const override;

private:
	RenderFn render_;
};

}  // namespace mlc

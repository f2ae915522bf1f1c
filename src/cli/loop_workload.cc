// SPDX-License-Identifier: GPL-2.0
#include "cli/loop_workload.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>

#include "emulator/instance.hpp"

namespace mlc::cli {

void load_loop_workload(Instance &inst, const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	if (!f)
		throw InstanceError(fmt::format("--loop-workload {}: {}", path,
						strerror(errno)));
	std::vector<char> bytes((std::istreambuf_iterator<char>(f)),
				std::istreambuf_iterator<char>());
	Device &dev = inst.device();
	auto log = dev.kernel_log();
	uint64_t from = log.empty() ? 0 : log.back().seq + 1;
	LocalMemory mem;
	size_t off = 0;
	long r = 0;
	do {
		r = dev.mlloop_workload_write(
			reinterpret_cast<mlc_uptr>(bytes.data() + off),
			bytes.size() - off, static_cast<int64_t>(off), mem);
		if (r > 0)
			off += static_cast<size_t>(r);
	} while (r > 0 && off < bytes.size());
	std::string why =
		bytes.empty() ?
			"an empty file" :
			fmt::format("refused: {}",
				    strerror(r < 0 ? static_cast<int>(-r) :
						     EIO));
	for (const auto &rec : dev.kernel_log(from)) {
		const std::string &text = rec.text;
		if (r >= 0 && rec.level == MLC_KERN_INFO &&
		    text.starts_with("ml_loop: workload "))
			return; // in force
		if (rec.level == MLC_KERN_WARNING)
			why = text;
	}
	if (r >= 0 && !bytes.empty())
		why = "refused: it ends at a 4096-byte boundary before its total_bytes (a "
		      "truncated trace); nothing changed";
	while (!why.empty() && why.back() == '\n')
		why.pop_back();
	throw InstanceError(fmt::format("--loop-workload {}: {}", path, why));
}

} // namespace mlc::cli

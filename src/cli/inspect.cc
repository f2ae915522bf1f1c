// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu status` and `dmesg`: look at an instance without mounting
// anything.
#include <unistd.h>

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/server_registry.hpp"
#include "emulator/instance.hpp"

namespace mlc::cli {

int status(const std::string &name)
{
	auto inst = Instance::open_existing(name);
	const InstanceHeader &h = inst->header();
	mlcore_dev dev = inst->device().mlcore_shown();	// never waits for a writer

	fmt::print("instance:       {}\n", name);
	fmt::print("segment:        /dev/shm/{} (layout {}, {} bytes)\n",
		   Instance::segment_name(name), h.layout_version, h.segment_size);
	fmt::print("state dir:      {}\n", inst->state_dir().string());
	fmt::print("log file:       {}\n", inst->log_path().string());
	fmt::print("clock:          {}\n", inst->clock_spec().to_string());
	fmt::print("seed:           {}\n", inst->seed() ? std::to_string(*inst->seed())
							 : std::string("none (system randomness)"));
	fmt::print("mlcore:         latest result {}, history {}/{}, training {}/{}\n",
		   dev.latest_result, dev.hist_count, MLCORE_HISTORY_SIZE,
		   dev.train_count, MLCORE_MAX_TRAINING_ENTRIES);
	auto servers = live_servers(name);
	if (servers.empty())
		fmt::print("served at:      (not mounted)\n");
	for (const auto &s : servers)
		fmt::print("served at:      {}\n", s.describe());
	return 0;
}

int dmesg(const std::string &name, bool follow, bool raw)
{
	auto inst = Instance::open_existing(name);
	uint64_t next = 0;
	for (;;) {
		for (const auto &rec : inst->device().kernel_log(next)) {
			fmt::print("{}\n", raw ? format_raw(rec) : format_dmesg(rec));
			next = rec.seq + 1;
		}
		if (!follow)
			return 0;
		std::fflush(stdout);
		std::this_thread::sleep_for(std::chrono::milliseconds(100));
	}
}

}  // namespace mlc::cli

// SPDX-License-Identifier: GPL-2.0
//
// mlcore-cuse: serve one of an instance's devices as a real character
// device with CUSE (/dev/mlcore on major 104 where free, /dev/mllibdev,
// /dev/mlloop), or, with --fuse-root, mount the instance's file table with
// the FUSE door.  `mlcore-emu serve --cuse` launches one per device with
// --ready-fd and records it; it can also be run by hand.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cuse_dev/cuse_door.hpp"
#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "emulator/log_file.hpp"
#include "fuse_proc/fuse_door.hpp"

int main(int argc, char **argv)
{
	using namespace mlc;
	CLI::App app{"mlcore-cuse - serve an mlcore-emu instance's devices as real "
		     "character devices with CUSE (root, /dev/cuse), in the "
		     "foreground, one thread", "mlcore-cuse"};
	std::string instance = "default", device = MLCORE_DEVICE_NAME, fuse_root;
	std::string clock_text;
	uint64_t seed = 0;
	bool debug = false, foreground = true;
	int ready_fd = -1;
	app.add_option("--instance", instance, "Instance name (created if missing)")
		->capture_default_str();
	app.add_option("--device", device, "Device to create: " +
		       CuseDevice::known_names())->capture_default_str();
	app.add_option("--fuse-root", fuse_root, "Instead of a device, mount the "
		       "instance's whole file table here with the FUSE door");
	app.add_option("--clock", clock_text, "real, or fixed:EPOCH (when the "
		       "instance is created)");
	app.add_option("--seed", seed, "Seed for the core's random bytes");
	app.add_flag("--debug,-d", debug, "Trace every request on stderr");
	app.add_flag("-f,--foreground", foreground, "Accepted for compatibility: "
		     "mlcore-cuse always stays in the foreground");
	app.add_option("--ready-fd", ready_fd, "Write \"ok\" (or the error) to this "
		       "file descriptor once the device exists, then close it and "
		       "stderr (how mlcore-emu serve --cuse waits for it)");
	CLI11_PARSE(app, argc, argv);

	// With --ready-fd the launcher prints the error; without, stderr.
	auto report = [&](const std::string &msg) {
		if (ready_fd < 0)
			return;
		(void)!write(ready_fd, msg.data(), msg.size());
		close(ready_fd);
		ready_fd = -1;
	};

	try {
		InstanceOptions opts;
		if (!clock_text.empty()) {
			opts.clock = ClockSpec::parse(clock_text);
			if (!opts.clock)
				throw std::runtime_error(fmt::format(
					"bad --clock '{}': use real or fixed:EPOCH",
					clock_text));
		}
		if (app.count("--seed"))
			opts.seed = seed;
		// Refused before the instance is made: nothing half-changed.
		if (fuse_root.empty() && access("/dev/cuse", R_OK | W_OK) != 0)
			throw CuseError(cuse_unusable_reason(errno));
		auto inst = Instance::open_or_create(instance, opts);
		// A daemon owns its descriptor table: SET_RESULT's log file line
		// is checked by inotify instead of a path walk (log_file.hpp).
		LogFile::watch_paths_in_this_process();

		if (!fuse_root.empty()) {
			FuseDoor door(*inst, FileTable::standard(), {false, debug});
			door.mount(fuse_root);
			fmt::print(stderr, "mlcore-cuse: serving instance '{}' at {} "
				   "with FUSE\n", instance, fuse_root);
			return door.serve();
		}

		const CuseDevice *dev = CuseDevice::find(device);
		if (!dev)
			throw std::runtime_error(fmt::format(
				"unknown --device '{}' (known: {})", device,
				CuseDevice::known_names()));
		CuseDoorOptions door_opts{debug, nullptr};
		if (ready_fd >= 0)
			door_opts.on_ready = [&] {
				report("ok");
				if (debug)
					return;
				// A daemon now: nothing more for the launcher's stderr.
				int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
				if (null >= 0) {
					dup2(null, 2);
					close(null);
				}
			};
		CuseDoor door(*inst, FileTable::standard(), *dev, door_opts);
		door.create();
		return door.serve();
	} catch (const std::exception &e) {
		if (ready_fd >= 0)
			report(e.what());
		else
			fmt::print(stderr, "mlcore-cuse: {}\n", e.what());
		return 1;
	}
}

// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu run [--instance NAME] [--clock ...] -- CMD [ARGS...]`: runs CMD
// with the preload door (preload/), so CMD and every child of it see the
// real paths (/dev/mlcore, /proc/mlcore_result, ...) served in-process from
// the instance's shared memory: no daemon, no /dev/fuse, no privileges.
//
// It creates the instance (so its clock is the one asked for), puts the
// library in LD_PRELOAD and the instance in the environment, and execs CMD:
// the exit status and signals are CMD's own.
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/helper_library.hpp"
#include "cli/loop_workload.hpp"
#include "emulator/instance.hpp"

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

constexpr const char *kLibName = "libmlcore-preload.so";

#ifndef MLC_PRELOAD_BUILD_PATH
#define MLC_PRELOAD_BUILD_PATH ""
#endif

// $MLCORE_EMU_PRELOAD, else next to this binary (build tree or install
// tree), else where the build put it.
std::string find_preload_library()
{
	return find_helper_library(kLibName, "MLCORE_EMU_PRELOAD", "preload",
				   MLC_PRELOAD_BUILD_PATH);
}

[[noreturn]] void fail(const std::string &msg)
{
	throw InstanceError(msg);
}

}  // namespace

int run(const RunArgs &args)
{
	if (args.command.empty())
		fail("run needs a command: mlcore-emu run [--instance NAME] -- CMD [ARGS...]");
	const std::optional<ClockSpec> &clock = args.clock;
	std::string lib = find_preload_library();
	if (lib.empty())
		fail(fmt::format("cannot find {} (looked next to this binary and at "
				 "its build path); set MLCORE_EMU_PRELOAD to its path",
				 kLibName));

	// The instance exists before CMD starts: with the clock asked for, and
	// its state directory made (the door keeps its open files there).
	fs::path state_dir;
	{
		auto inst = Instance::open_or_create(args.instance,
						 {clock, args.seed, args.log_buf_size});
		if (!args.loop_workload.empty())
			load_loop_workload(*inst, args.loop_workload);
		state_dir = inst->state_dir().parent_path();
	}

	std::string preload = lib;
	if (const char *old = getenv("LD_PRELOAD"); old && *old) {
		if (std::strstr(old, lib.c_str()))
			preload = old;
		else
			preload += std::string(":") + old;
	}
#ifdef MLC_PRELOAD_SANITIZER_RUNTIME
	// A sanitizer build of the door: its runtime must be the first library
	// of every (uninstrumented) program it is preloaded into, and those
	// programs' own leaks are not ours to report.
	if (preload.find(MLC_PRELOAD_SANITIZER_RUNTIME) == std::string::npos)
		preload = std::string(MLC_PRELOAD_SANITIZER_RUNTIME) + ":" + preload;
	setenv("ASAN_OPTIONS", "detect_leaks=0", 0);
#endif
	setenv("LD_PRELOAD", preload.c_str(), 1);
	setenv("MLCORE_EMU_INSTANCE", args.instance.c_str(), 1);
	setenv("MLCORE_EMU_STATE_DIR", state_dir.c_str(), 1);
	if (args.seed)
		setenv("MLCORE_EMU_SEED", std::to_string(*args.seed).c_str(), 1);

	std::vector<char *> argv;
	for (const auto &a : args.command)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	if (args.rm)	// a child, then the removal (lifecycle.cc)
		return run_then_remove(args.instance, argv.data());
	execvp(argv[0], argv.data());
	int err = errno;
	fmt::print(stderr, "mlcore-emu: cannot run {}: {}\n", args.command[0],
		   strerror(err));
	return err == ENOENT ? 127 : 126;	// as a shell reports it
}

}  // namespace mlc::cli

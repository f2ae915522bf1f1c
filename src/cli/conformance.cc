// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu conformance`: run the conformance suite against someone's own
// build of the driver in QEMU and print the first difference from the
// emulator as a diff.  The work is done by test/qemu/run-conformance.sh
// (which boots the VM, runs the scenarios against the given modules, the
// CUSE door and the FUSE door, and compares the traces); this command finds
// it and the static binaries of this build and runs it.
#include <limits.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "fuse_proc/fuse_door.hpp"

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

[[noreturn]] void fail(const std::string &msg)
{
	throw DoorError(msg);
}

fs::path self_dir()
{
	std::error_code ec;
	fs::path exe = fs::read_symlink("/proc/self/exe", ec);
	return ec ? fs::current_path() : exe.parent_path();
}

// The source tree of this build: --source-dir, else the build tree's
// CMakeCache.txt next to the executable.
fs::path source_dir(const std::string &given, const fs::path &build)
{
	if (!given.empty())
		return given;
	std::ifstream cache(build / "CMakeCache.txt");
	std::string line;
	const std::string key = "mlcore_emu_SOURCE_DIR:STATIC=";
	while (std::getline(cache, line))
		if (line.rfind(key, 0) == 0)
			return line.substr(key.size());
	fail(fmt::format("cannot find the source tree ({} has no CMakeCache.txt "
			 "naming it); pass --source-dir", build.string()));
}

}  // namespace

int conformance(const ConformanceArgs &args)
{
	fs::path build = args.bin_dir.empty() ? self_dir() : fs::path(args.bin_dir);
	fs::path script = source_dir(args.source_dir, build) / "test/qemu/run-conformance.sh";
	if (!fs::exists(script))
		fail(fmt::format("no {} (is --source-dir right?)", script.string()));
	for (const auto &m : args.modules) {
		if (!fs::is_regular_file(m))
			fail(fmt::format("no module {}", m));
		if (fs::path(m).extension() != ".ko")
			fail(fmt::format("{} is not a kernel module (.ko)", m));
	}

	std::string work = args.work;
	if (work.empty()) {
		char tmpl[] = "/tmp/mlcore-conformance.XXXXXX";
		if (!mkdtemp(tmpl))
			fail(fmt::format("mkdtemp: {}", strerror(errno)));
		work = tmpl;
	}

	std::vector<std::string> argv{"bash", script.string(), "--bin-dir", build.string(),
				      "--work", work, "--seeds", args.seeds, "--ops",
				      std::to_string(args.ops)};
	if (!args.profile.empty())
		argv.insert(argv.end(), {"--profile", args.profile});
	for (const auto &m : args.modules)
		argv.insert(argv.end(), {"--module", fs::absolute(m).string()});
	if (!args.modules.empty())
		argv.insert(argv.end(), {"--label-kernel", "your-modules"});

	fmt::print(stderr, "mlcore-emu: conformance of {} against the emulator, "
		   "in QEMU (about a minute)\n",
		   args.modules.empty() ? std::string("the modules built from src/core")
					: fmt::format("{} module(s)", args.modules.size()));
	std::fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		fail(fmt::format("fork: {}", strerror(errno)));
	if (pid == 0) {
		std::vector<char *> cargv;
		for (auto &a : argv)
			cargv.push_back(a.data());
		cargv.push_back(nullptr);
		execvp("bash", cargv.data());
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	if (rc == 0)
		fmt::print("mlcore-emu: conformant; traces in {}/traces\n", work);
	else if (rc == 77)
		fmt::print(stderr, "mlcore-emu: the suite cannot run on this machine "
			   "(see above)\n");
	else
		fmt::print(stderr, "mlcore-emu: NOT conformant (or the suite could "
			   "not run); traces in {}/traces\n", work);
	return rc == 0 ? 0 : 1;
}

}  // namespace mlc::cli

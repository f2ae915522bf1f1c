// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu serve --cuse`: launch one CUSE daemon per device, wait for
// each to report through a pipe that its device exists, record it.
#include "cli/cuse_serve.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "cli/server_registry.hpp"
#include "cuse_dev/cuse_door.hpp"
#include "fuse_proc/fuse_door.hpp"
#include "uapi/ml_lib.h"
#include "uapi/ml_loop.h"
#include "uapi/mlcore.h"

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

constexpr const char *kDaemonName = "mlcore-cuse";
// The devices serve --cuse creates, in this order.
const char *const kCuseDevices[] = {MLCORE_DEVICE_NAME, ML_LIB_TEST_DEVICE_NAME,
				    ML_LOOP_DEVICE_NAME};
// How long a daemon may take to get its device from the kernel.
constexpr int kReadyTimeoutMs = 20000;

[[noreturn]] void fail(const std::string &msg)
{
	throw DoorError(msg);
}

bool executable(const fs::path &p)
{
	return !p.empty() && access(p.c_str(), X_OK) == 0;
}

// Reads the daemon's report: "ok", its error, or "" if it exited first.
std::string read_report(int fd, pid_t pid, const std::string &device)
{
	std::string report;
	auto deadline = std::chrono::steady_clock::now() +
			std::chrono::milliseconds(kReadyTimeoutMs);
	for (;;) {
		auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
			deadline - std::chrono::steady_clock::now()).count();
		if (left <= 0) {
			kill(pid, SIGKILL);
			return fmt::format("the CUSE daemon for /dev/{} did not get its "
					   "device within {} s", device,
					   kReadyTimeoutMs / 1000);
		}
		pollfd p{fd, POLLIN, 0};
		int r = poll(&p, 1, static_cast<int>(left));
		if (r < 0 && errno == EINTR)
			continue;
		char buf[512];
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return report;
		report.append(buf, static_cast<size_t>(n));
	}
}

// The kernel has the device once the daemon reports; its /dev node comes
// from devtmpfs (at once) or udev (soon after).  Said, not fatal, if none.
void wait_for_node(const std::string &path)
{
	struct stat st;
	for (int i = 0; i < 100; i++) {
		if (stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode))
			return;
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
	fmt::print(stderr, "mlcore-emu: the kernel made the device but no {} node "
		   "appeared (no devtmpfs or udev?); see /sys/class/cuse\n", path);
}

}  // namespace

void check_cuse_usable()
{
	if (access("/dev/cuse", R_OK | W_OK) != 0)
		fail(cuse_unusable_reason(errno));
}

std::string find_cuse_daemon()
{
	if (const char *env = getenv("MLCORE_EMU_CUSE"); env && *env) {
		if (!executable(env))
			fail(fmt::format("MLCORE_EMU_CUSE={} is not an executable", env));
		return fs::absolute(env).string();
	}
	std::error_code ec;
	fs::path exe = fs::read_symlink("/proc/self/exe", ec);
	std::vector<fs::path> candidates;
	if (!ec) {
		fs::path dir = exe.parent_path();
		candidates = {dir / "cuse_dev" / kDaemonName, dir / kDaemonName,
			      dir / ".." / "libexec" / "mlcore-emu" / kDaemonName};
	}
#ifdef MLC_CUSE_BUILD_PATH
	candidates.emplace_back(MLC_CUSE_BUILD_PATH);
#endif
	for (const auto &c : candidates)
		if (executable(c))
			return fs::weakly_canonical(c, ec).string();
	fail(fmt::format("cannot find the CUSE daemon {} (looked next to this "
			 "binary and in ../libexec/mlcore-emu); set MLCORE_EMU_CUSE "
			 "to its path", kDaemonName));
}

void end_server(pid_t pid)
{
	kill(pid, SIGTERM);
	for (int i = 0; i < 500 && server_alive(pid); i++) {
		waitpid(pid, nullptr, WNOHANG);	// ours: reap it
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	}
	if (server_alive(pid)) {
		kill(pid, SIGKILL);
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	}
	waitpid(pid, nullptr, WNOHANG);
}

CuseDevices::~CuseDevices()
{
	stop();
}

void CuseDevices::start(const std::string &daemon, const std::string &instance,
			const std::string &with_root, bool debug)
{
	for (const char *device : kCuseDevices) {
		int pipefd[2];
		if (pipe2(pipefd, O_CLOEXEC) != 0)
			fail(fmt::format("pipe: {}", strerror(errno)));
		std::vector<std::string> args{daemon, "--instance", instance,
					      "--device", device, "--ready-fd", "3"};
		if (debug)
			args.push_back("--debug");
		pid_t pid = fork();
		if (pid < 0)
			fail(fmt::format("fork: {}", strerror(errno)));
		if (pid == 0) {
			// The daemon: its own session, stdin/stdout on /dev/null,
			// stderr kept until its device exists, the report on fd 3.
			setsid();
			int null = open("/dev/null", O_RDWR);
			dup2(null, 0), dup2(null, 1);
			dup2(pipefd[1], 3);
			std::vector<char *> argv;
			for (auto &a : args)
				argv.push_back(a.data());
			argv.push_back(nullptr);
			execv(argv[0], argv.data());
			std::string msg = fmt::format("cannot run {}: {}", daemon,
						      strerror(errno));
			(void)!write(3, msg.data(), msg.size());
			_exit(127);
		}
		close(pipefd[1]);
		std::string report = read_report(pipefd[0], pid, device);
		close(pipefd[0]);
		if (report != "ok") {
			end_server(pid);
			fail(report.empty()
				     ? fmt::format("the CUSE daemon for /dev/{} exited "
						   "before its device was created", device)
				     : report);
		}
		pids_.push_back(pid);
		devices_.push_back(fmt::format("/dev/{}", device));
		register_cuse_server(instance, pid, devices_.back(), with_root);
		wait_for_node(devices_.back());
	}
}

void CuseDevices::stop()
{
	for (pid_t pid : pids_)
		end_server(pid);
	pids_.clear();
}

}  // namespace mlc::cli

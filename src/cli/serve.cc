// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu serve` and `mlcore-emu stop`: mount an instance's file table
// with the FUSE door, in the background by default, returning only once the
// mount answers (or with the reason it cannot).  With --cuse, CUSE daemons
// serve the devices as real character devices too (cuse_serve.cc).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/cuse_serve.hpp"
#include "cli/loop_workload.hpp"
#include "cli/server_registry.hpp"
#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "emulator/log_file.hpp"
#include "fuse_proc/fuse_door.hpp"
#include "fuse_proc/mount_point.hpp"

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

[[noreturn]] void fail(const std::string &msg)
{
	throw DoorError(msg);
}

// Makes root ready to mount on, or says why it cannot be.
void prepare_root(const std::string &root)
{
	switch (inspect_mount_point(root)) {
	case MountPointState::Missing: {
		std::error_code ec;
		fs::create_directories(root, ec);
		if (ec)
			fail(fmt::format("cannot create {}: {}", root, ec.message()));
		return;
	}
	case MountPointState::EmptyDir:
		return;
	case MountPointState::StaleMount:
		if (int err = lazy_unmount(root))
			fail(fmt::format("{} is a stale mount left by a killed server "
					 "and cannot be detached: {}; run "
					 "`fusermount3 -u -z {}`", root, strerror(err), root));
		fmt::print(stderr, "mlcore-emu: cleaned up a stale mount at {} left "
			   "by a killed server\n", root);
		if (inspect_mount_point(root) != MountPointState::EmptyDir)
			fail(fmt::format("{} is still not an empty directory after "
					 "detaching the stale mount", root));
		return;
	case MountPointState::LiveMount:
		fail(fmt::format("{} is already served by mlcore-emu; run "
				 "`mlcore-emu stop --root {}` first", root, root));
	case MountPointState::NotEmpty:
		fail(fmt::format("{} is not empty (something may be mounted there); "
				 "serve needs an empty directory", root));
	case MountPointState::NotDir:
		fail(fmt::format("{} is not a directory", root));
	}
}

std::string absolute_root(const std::string &root)
{
	std::error_code ec;
	fs::path p = fs::weakly_canonical(fs::absolute(root), ec);
	return ec ? fs::absolute(root).lexically_normal().string() : p.string();
}

// The server is registered before serve reports success, so a `status` or
// `stop` right after `serve` returns always finds it.
int run_server(FuseDoor &door, const std::string &instance)
{
	int r = door.serve();
	unregister_server(instance);
	return r;
}

// serve --cuse without --root: the devices alone.
int serve_devices_only(const ServeArgs &args, CuseDevices &devices)
{
	std::string list;
	for (const auto &d : devices.devices())
		list += (list.empty() ? "" : ", ") + d;
	if (!args.foreground) {
		devices.release();
		fmt::print("mlcore-emu: serving instance '{}' at {} (CUSE); stop "
			   "with `mlcore-emu stop --instance {}`\n", args.instance,
			   list, args.instance);
		return 0;
	}
	fmt::print(stderr, "mlcore-emu: serving instance '{}' at {} (CUSE; "
		   "Ctrl-C to stop)\n", args.instance, list);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT), sigaddset(&set, SIGTERM), sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, nullptr);
	int sig = 0;
	sigwait(&set, &sig);	// a signal, or a daemon ended
	devices.stop();
	return sig == SIGCHLD ? 1 : 0;
}

}  // namespace

int serve(const ServeArgs &args)
{
	const std::optional<ClockSpec> &clock = args.clock;
	if (args.root.empty() && !args.cuse)
		fail("serve needs --root DIR (or --cuse for real character devices)");
	// Everything that can be refused is checked before anything changes.
	std::string daemon;
	if (args.cuse) {
		check_cuse_usable();
		daemon = find_cuse_daemon();
	}
	std::string root;
	if (!args.root.empty()) {
		prepare_root(args.root);
		root = absolute_root(args.root);
	}

	auto inst = Instance::open_or_create(args.instance,
						 {clock, args.seed, args.log_buf_size});
	if (!args.loop_workload.empty())
		load_loop_workload(*inst, args.loop_workload);
	CuseDevices devices;	// stopped again if anything below fails
	if (args.cuse)
		devices.start(daemon, args.instance, root, args.debug);
	if (root.empty())
		return serve_devices_only(args, devices);
	// The server owns its descriptor table: SET_RESULT's log file line is
	// checked by inotify instead of a path walk (log_file.hpp).
	LogFile::watch_paths_in_this_process();
	FuseDoor door(*inst, FileTable::standard(),
		      {args.allow_other, args.debug});

	if (args.foreground) {
		door.mount(root);
		register_server(args.instance, root);
		fmt::print(stderr, "mlcore-emu: serving instance '{}' at {} "
			   "(Ctrl-C to stop)\n", args.instance, root);
		int r = run_server(door, args.instance);
		devices.stop();
		return r;
	}

	// Background: the child mounts and reports through a pipe, so serve
	// returns only when the mount answers, or fails with the child's reason.
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		fail(fmt::format("pipe: {}", strerror(errno)));
	pid_t pid = fork();
	if (pid < 0)
		fail(fmt::format("fork: {}", strerror(errno)));
	if (pid == 0) {
		close(pipefd[0]);
		setsid();
		std::string report = "ok";
		try {
			door.mount(root);
			register_server(args.instance, root);
		} catch (const std::exception &e) {
			report = e.what();
		}
		(void)!write(pipefd[1], report.data(), report.size());
		close(pipefd[1]);
		if (report != "ok")
			_exit(1);
		int null = open("/dev/null", O_RDWR);
		dup2(null, 0), dup2(null, 1), dup2(null, 2);
		if (null > 2)
			close(null);
		_exit(run_server(door, args.instance));
	}
	close(pipefd[1]);
	std::string report;
	char buf[512];
	ssize_t n;
	while ((n = read(pipefd[0], buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		if (n > 0)
			report.append(buf, static_cast<size_t>(n));
	close(pipefd[0]);
	if (report != "ok")
		fail(report.empty() ? "the server died while mounting" : report);
	std::string also;
	for (const auto &d : devices.devices())
		also += (also.empty() ? " and " : ", ") + d;
	devices.release();
	fmt::print("mlcore-emu: serving instance '{}' at {}{} (pid {}); stop with "
		   "`mlcore-emu stop --root {}`\n", args.instance, root, also, pid,
		   root);
	return 0;
}

int stop(const std::string &root_arg, const std::string &instance)
{
	if (root_arg.empty()) {
		auto servers = live_servers(instance);
		if (servers.empty())
			fail(fmt::format("nothing serves instance '{}' (see `mlcore-emu "
					 "list`)", instance));
		for (const auto &s : servers)
			end_server(s.pid);
		for (const auto &s : servers) {
			MountPointState st = s.cuse ? MountPointState::Missing
						    : inspect_mount_point(s.root);
			if (st == MountPointState::StaleMount ||
			    st == MountPointState::LiveMount)
				if (int err = lazy_unmount(s.root))
					fail(fmt::format("cannot unmount {}: {}", s.root,
							 strerror(err)));
			fmt::print("mlcore-emu: stopped serving {}\n", s.root);
		}
		return 0;
	}
	const std::string root = absolute_root(root_arg);
	bool found = false;
	for (const auto &s : all_live_servers()) {
		// The root's FUSE server and the CUSE daemons served with it.
		if (s.root != root && !(s.cuse && s.with_root == root))
			continue;
		found = true;
		end_server(s.pid);
		if (s.cuse)
			fmt::print("mlcore-emu: stopped serving {}\n", s.root);
	}
	MountPointState st = inspect_mount_point(root);
	if (st == MountPointState::StaleMount || st == MountPointState::LiveMount) {
		if (!found && st == MountPointState::LiveMount && !is_mlcore_mount(root))
			fail(fmt::format("{} is not an mlcore-emu mount", root));
		found = true;
		if (int err = lazy_unmount(root))
			fail(fmt::format("cannot unmount {}: {}", root, strerror(err)));
	}
	if (!found)
		fail(fmt::format("nothing is served at {} (see `mlcore-emu list`)", root));
	fmt::print("mlcore-emu: stopped serving {}\n", root);
	return 0;
}

}  // namespace mlc::cli

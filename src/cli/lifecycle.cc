// SPDX-License-Identifier: GPL-2.0
//
// Instance lifecycle: `mlcore-emu list` (size, age, what is attached),
// `rm NAME...`, `rm --stale`, `run --rm`, and `reset` (the devices
// reloaded in place).
//
// Attached means a live server in the registry (a FUSE mount or a CUSE
// daemon) or a live process of this user with the segment mapped (the
// preload door maps it in every process of `mlcore-emu run`): found in
// /proc/PID/maps.  Only this user's segments (/dev/shm/mlcore-emu.UID.*,
// owned by UID, a regular file, never through a symlink) are ever removed.
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/server_registry.hpp"
#include "emulator/instance.hpp"

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

[[noreturn]] void fail(const std::string &msg)
{
	throw InstanceError(msg);
}

fs::path segment_path(const std::string &name)
{
	return fs::path("/dev/shm") / Instance::segment_name(name);
}

struct Mapper {
	pid_t pid;
	std::string comm;
};

// Every live process of this user (but this one) that maps one of this
// user's segments, by segment file name.
std::map<std::string, std::vector<Mapper>> segment_mappers()
{
	std::map<std::string, std::vector<Mapper>> out;
	const std::string shm = "/dev/shm/";
	const pid_t self = getpid();
	std::error_code ec;
	for (const auto &e : fs::directory_iterator("/proc", ec)) {
		const std::string pid_s = e.path().filename().string();
		if (pid_s.empty() || pid_s.find_first_not_of("0123456789") != std::string::npos)
			continue;
		pid_t pid = std::stoi(pid_s);
		struct stat st;
		if (pid == self || stat(e.path().c_str(), &st) != 0 || st.st_uid != getuid())
			continue;
		std::ifstream maps(e.path() / "maps");
		std::string line, seen;
		while (std::getline(maps, line)) {
			size_t at = line.find(shm);
			if (at == std::string::npos)
				continue;
			std::string file = line.substr(at + shm.size());
			if (file.ends_with(" (deleted)"))
				continue;	// already removed: not an instance
			if (file == seen)
				continue;
			seen = file;
			std::string comm;
			std::getline(std::ifstream(e.path() / "comm"), comm);
			auto &v = out[file];
			if (v.empty() || v.back().pid != pid)
				v.push_back({pid, comm});
		}
	}
	return out;
}

struct Attachment {
	std::vector<ServerEntry> servers;
	std::vector<Mapper> processes;	// not servers

	bool empty() const { return servers.empty() && processes.empty(); }
	std::string describe() const
	{
		std::string s;
		for (const auto &srv : servers)
			s += (s.empty() ? "served at " : ", ") + srv.describe();
		for (const auto &p : processes)
			s += (s.empty() ? "" : ", ") +
			     fmt::format("pid {} ({})", p.pid, p.comm);
		return s;
	}
};

Attachment attachment(const std::string &name,
		      const std::map<std::string, std::vector<Mapper>> &mappers)
{
	Attachment a;
	a.servers = live_servers(name);
	auto it = mappers.find(Instance::segment_name(name));
	if (it != mappers.end())
		for (const auto &m : it->second) {
			bool server = false;
			for (const auto &s : a.servers)
				server = server || s.pid == m.pid;
			if (!server)
				a.processes.push_back(m);
		}
	return a;
}

// The segment is this user's own regular file; InstanceError otherwise.
struct stat check_own_segment(const std::string &name)
{
	check_instance_name(name);
	struct stat st;
	fs::path seg = segment_path(name);
	if (lstat(seg.c_str(), &st) != 0) {
		if (errno == ENOENT)
			fail(fmt::format("no instance named '{}' (see `mlcore-emu list`)",
					 name));
		fail(fmt::format("cannot look at {}: {}", seg.string(), strerror(errno)));
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != getuid())
		fail(fmt::format("{} is not a segment of yours (not a regular file "
				 "owned by uid {}); not touching it", seg.string(),
				 getuid()));
	return st;
}

// Removes the segment and the state directory (log, registry, the preload
// door's files): the state directory only if it is our own directory.
void remove_instance(const std::string &name)
{
	check_own_segment(name);
	Instance::remove(name);
	fs::path dir = Instance::state_dir_of(name);
	struct stat st;
	if (lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == getuid()) {
		std::error_code ec;
		fs::remove_all(dir, ec);	// never follows a symlink inside
		if (ec)
			fail(fmt::format("removed instance '{}' but not its state "
					 "directory {}: {}", name, dir.string(),
					 ec.message()));
	}
}

// The header's creation time, read without mapping the segment (a mapping
// would make list itself "attached"); 0 when it is not our layout.
int64_t created_at(const std::string &name)
{
	int fd = open(segment_path(name).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	InstanceHeader h{};
	ssize_t n = pread(fd, &h, sizeof(h), 0);
	close(fd);
	if (n != static_cast<ssize_t>(sizeof(h)) || h.magic != kSegmentMagic)
		return 0;
	return h.created_realtime_sec;
}

std::string age_text(int64_t since)
{
	if (since <= 0)
		return "?";
	int64_t s = std::max<int64_t>(0, static_cast<int64_t>(time(nullptr)) - since);
	if (s < 60)
		return fmt::format("{}s", s);
	if (s < 3600)
		return fmt::format("{}m{:02}s", s / 60, s % 60);
	if (s < 86400)
		return fmt::format("{}h{:02}m", s / 3600, s / 60 % 60);
	return fmt::format("{}d{:02}h", s / 86400, s / 3600 % 24);
}

}  // namespace

int list()
{
	auto names = Instance::list();
	if (names.empty()) {
		fmt::print("no instances (`mlcore-emu serve --root DIR` or `mlcore-emu "
			   "run` creates one)\n");
		return 0;
	}
	auto mappers = segment_mappers();
	size_t width = 4;
	for (const auto &n : names)
		width = std::max(width, n.size());
	fmt::print("{:<{}}  {:>8}  {:>6}  {}\n", "NAME", width, "SIZE", "AGE", "ATTACHED");
	for (const auto &name : names) {
		struct stat st;
		std::string size = "?";
		if (lstat(segment_path(name).c_str(), &st) == 0)
			size = fmt::format("{} KiB", (st.st_size + 1023) / 1024);
		Attachment a = attachment(name, mappers);
		fmt::print("{:<{}}  {:>8}  {:>6}  {}\n", name, width, size,
			   age_text(created_at(name)), a.empty() ? "-" : a.describe());
	}
	return 0;
}

int rm(const std::vector<std::string> &names, bool force, bool stale)
{
	auto mappers = segment_mappers();
	if (stale) {
		unsigned removed = 0, kept = 0;
		for (const auto &name : Instance::list()) {
			bool match = names.empty();
			for (const auto &pat : names)
				match = match || fnmatch(pat.c_str(), name.c_str(), 0) == 0;
			if (!match)
				continue;
			if (!attachment(name, mappers).empty()) {
				kept++;
				continue;
			}
			try {
				remove_instance(name);
			} catch (const InstanceError &e) {
				fmt::print(stderr, "mlcore-emu: {}\n", e.what());
				continue;
			}
			fmt::print("mlcore-emu: removed stale instance '{}'\n", name);
			removed++;
		}
		if (!removed)
			fmt::print("mlcore-emu: no stale instances ({} in use)\n", kept);
		return 0;
	}

	// Every name is checked before any is removed.
	for (const auto &name : names) {
		check_own_segment(name);
		Attachment a = attachment(name, mappers);
		if (!a.empty() && !force)
			fail(fmt::format("instance '{}' is in use: {}; stop it first, or "
					 "`mlcore-emu rm --force {}`", name, a.describe(),
					 name));
	}
	for (const auto &name : names) {
		Attachment a = attachment(name, mappers);
		if (!a.servers.empty())
			stop("", name);
		for (const auto &p : a.processes)
			fmt::print(stderr, "mlcore-emu: pid {} ({}) still maps instance "
				   "'{}': it keeps its copy until it exits\n", p.pid,
				   p.comm, name);
		remove_instance(name);
		fmt::print("mlcore-emu: removed instance '{}'\n", name);
	}
	return 0;
}

namespace {

volatile sig_atomic_t g_child = 0;

void forward_signal(int sig)
{
	if (g_child > 0)
		kill(g_child, sig);
}

}  // namespace

int run_then_remove(const std::string &instance, char *const argv[])
{
	pid_t pid = fork();
	if (pid < 0)
		fail(fmt::format("fork: {}", strerror(errno)));
	if (pid == 0) {
		execvp(argv[0], argv);
		int err = errno;
		fmt::print(stderr, "mlcore-emu: cannot run {}: {}\n", argv[0],
			   strerror(err));
		_exit(err == ENOENT ? 127 : 126);	// as a shell reports it
	}
	// As system(3): the terminal's SIGINT and SIGQUIT reach CMD itself; a
	// SIGTERM or SIGHUP sent to us is passed on, so the removal still runs.
	g_child = pid;
	struct sigaction ign{}, fwd{}, old_int{}, old_quit{};
	ign.sa_handler = SIG_IGN;
	fwd.sa_handler = forward_signal;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &fwd, nullptr);
	sigaction(SIGHUP, &fwd, nullptr);
	int wstatus = 0;
	while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, nullptr);
	sigaction(SIGQUIT, &old_quit, nullptr);

	Attachment a = attachment(instance, segment_mappers());
	if (!a.empty())
		fmt::print(stderr, "mlcore-emu: kept instance '{}' (--rm): still in "
			   "use: {}\n", instance, a.describe());
	else
		try {
			remove_instance(instance);
		} catch (const InstanceError &e) {
			fmt::print(stderr, "mlcore-emu: --rm: {}\n", e.what());
		}

	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	int sig = WTERMSIG(wstatus);
	// Die of the same signal, so our caller sees CMD's status.
	signal(sig, SIG_DFL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, nullptr);
	raise(sig);
	return 128 + sig;
}

int reset(const std::string &name, const std::optional<ClockSpec> &clock)
{
	std::unique_ptr<Instance> inst;
	try {
		inst = Instance::open_existing(name);
	} catch (const ForeignSegmentError &) {
		throw;		// not ours to remove
	} catch (const InstanceError &e) {
		// Another layout, damaged, or never initialised: recreate.
		if (std::string(e.what()).find("no instance named") != std::string::npos)
			throw;
		Instance::remove(name);
		Instance::open_or_create(name, {clock, std::nullopt});
		fmt::print("mlcore-emu: recreated instance '{}'\n", name);
		return 0;
	}
	inst->reset(clock);
	fmt::print("mlcore-emu: reset instance '{}' (devices reloaded)\n", name);
	return 0;
}

}  // namespace mlc::cli

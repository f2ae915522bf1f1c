// SPDX-License-Identifier: GPL-2.0
#include "cli/server_registry.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "emulator/instance.hpp"

namespace fs = std::filesystem;

namespace mlc {

namespace {

fs::path servers_dir(const std::string &instance)
{
	return Instance::state_dir_of(instance) / "servers";
}

// A zombie (exited, not yet reaped by init) counts as gone.
bool alive(pid_t pid)
{
	if (kill(pid, 0) != 0 && errno != EPERM)
		return false;
	std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
	std::string line;
	if (!std::getline(stat, line))
		return false;
	size_t paren = line.rfind(')');
	return paren == std::string::npos || paren + 2 >= line.size() ||
	       line[paren + 2] != 'Z';
}

}  // namespace

void register_server(const std::string &instance, const std::string &root)
{
	fs::path dir = servers_dir(instance);
	std::error_code ec;
	fs::create_directory(dir, ec);
	std::ofstream(dir / std::to_string(getpid())) << root << "\n";
}

void register_cuse_server(const std::string &instance, pid_t pid,
			  const std::string &device_path, const std::string &with_root)
{
	fs::path dir = servers_dir(instance);
	std::error_code ec;
	fs::create_directory(dir, ec);
	std::ofstream(dir / std::to_string(pid))
		<< device_path << "\ncuse\n" << with_root << "\n";
}

std::string ServerEntry::describe() const
{
	return cuse ? fmt::format("{} (CUSE, pid {})", root, pid)
		    : fmt::format("{} (pid {})", root, pid);
}

void unregister_server(const std::string &instance)
{
	std::error_code ec;
	fs::remove(servers_dir(instance) / std::to_string(getpid()), ec);
}

std::vector<ServerEntry> live_servers(const std::string &instance)
{
	std::vector<ServerEntry> out;
	std::error_code ec;
	for (const auto &e : fs::directory_iterator(servers_dir(instance), ec)) {
		pid_t pid = 0;
		try {
			pid = std::stoi(e.path().filename().string());
		} catch (...) {
			continue;
		}
		if (!alive(pid)) {
			fs::remove(e.path(), ec);
			continue;
		}
		std::ifstream in(e.path());
		ServerEntry s{pid, instance, "", false, ""};
		std::string kind;
		std::getline(in, s.root);
		if (std::getline(in, kind) && kind == "cuse") {
			s.cuse = true;
			std::getline(in, s.with_root);
		}
		out.push_back(std::move(s));
	}
	return out;
}

bool server_alive(pid_t pid)
{
	return alive(pid);
}

std::vector<ServerEntry> all_live_servers()
{
	std::vector<ServerEntry> out;
	for (const auto &name : Instance::list())
		for (auto &s : live_servers(name))
			out.push_back(std::move(s));
	return out;
}

}  // namespace mlc

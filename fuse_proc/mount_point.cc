// SPDX-License-Identifier: GPL-2.0
#include "fuse_proc/mount_point.hpp"

#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <vector>

namespace mlc {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_mountinfo(const std::string &s)
{
	std::string out;
	for (size_t i = 0; i < s.size(); i++) {
		if (s[i] == '\\' && i + 3 < s.size()) {
			int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
			out += static_cast<char>(v);
			i += 3;
		} else {
			out += s[i];
		}
	}
	return out;
}

std::string absolute(const std::string &root)
{
	// realpath() would stat a stale mount and fail: normalise lexically.
	char cwd[4096];
	std::string p = root;
	if (p.empty() || p[0] != '/')
		p = std::string(getcwd(cwd, sizeof(cwd)) ? cwd : "") + "/" + p;
	std::string out;
	std::stringstream ss(p);
	std::string part;
	std::vector<std::string> parts;
	while (std::getline(ss, part, '/')) {
		if (part.empty() || part == ".")
			continue;
		if (part == "..") {
			if (!parts.empty())
				parts.pop_back();
			continue;
		}
		parts.push_back(part);
	}
	for (const auto &x : parts)
		out += "/" + x;
	return out.empty() ? "/" : out;
}

}  // namespace

bool is_mlcore_mount(const std::string &root)
{
	std::ifstream in("/proc/self/mountinfo");
	std::string line, want = absolute(root);
	while (std::getline(in, line)) {
		// id parent major:minor root mountpoint opts ... - fstype source
		std::istringstream ls(line);
		std::string id, parent, devno, mroot, point;
		ls >> id >> parent >> devno >> mroot >> point;
		size_t dash = line.find(" - ");
		if (dash == std::string::npos)
			continue;
		std::istringstream rest(line.substr(dash + 3));
		std::string fstype;
		rest >> fstype;
		if (unescape_mountinfo(point) == want && fstype == "fuse.mlcore-emu")
			return true;
	}
	return false;
}

MountPointState inspect_mount_point(const std::string &root)
{
	struct stat st;
	if (stat(root.c_str(), &st) != 0) {
		if (errno == ENOTCONN)
			return MountPointState::StaleMount;
		if (errno == ENOENT)
			return MountPointState::Missing;
		return MountPointState::NotDir;
	}
	if (is_mlcore_mount(root)) {
		// stat() may answer from the attribute cache of a dead mount;
		// statfs always reaches the server.
		struct statvfs sv;
		if (statvfs(root.c_str(), &sv) != 0 && errno == ENOTCONN)
			return MountPointState::StaleMount;
		return MountPointState::LiveMount;
	}
	if (!S_ISDIR(st.st_mode))
		return MountPointState::NotDir;
	DIR *d = opendir(root.c_str());
	if (!d)
		return MountPointState::NotDir;
	bool empty = true;
	while (dirent *e = readdir(d)) {
		std::string n = e->d_name;
		if (n != "." && n != "..") {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty ? MountPointState::EmptyDir : MountPointState::NotEmpty;
}

int lazy_unmount(const std::string &root)
{
	std::string path = absolute(root);
	if (geteuid() == 0)
		return umount2(path.c_str(), MNT_DETACH) == 0 ? 0 : errno;

	pid_t pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "-q", path.c_str(),
		       static_cast<char *>(nullptr));
		_exit(127);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : EPERM;
}

}  // namespace mlc

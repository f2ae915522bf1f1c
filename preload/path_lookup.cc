// SPDX-License-Identifier: GPL-2.0
//
// What dirfd + path names, for every path call of the C library: the
// kernel's walk (src/emulator/path_walk.hpp) over the table and the host,
// asked only when the path may reach the table, with /proc/self/fd/N of a
// served descriptor jumping to its node.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <unordered_set>
#include <vector>

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/path_walk.hpp"
#include "preload/door.hpp"
#include "preload/real.hpp"

namespace mlc::preload {

namespace {

// Names of every table entry: a path whose last component is none of
// these is not ours, decided without a system call.
const std::unordered_set<std::string_view> &table_names()
{
	static const auto *names = [] {
		auto *s = new std::unordered_set<std::string_view>;
		for (size_t i = 1; i <= table().size(); i++)
			if (const Node *n = table().node(i);
			    n && !n->path().empty())
				s->insert(n->name());
		return s;
	}();
	return *names;
}

// "/proc/self/fd/N", "/proc/<our pid>/fd/N", "/dev/fd/N" naming a served
// descriptor: its handle.
Handle *fd_link(const std::vector<std::string_view> &comps)
{
	std::string_view num;
	if (comps.size() == 4 && comps[0] == "proc" && comps[2] == "fd" &&
	    (comps[1] == "self" || comps[1] == std::to_string(getpid())))
		num = comps[3];
	else if (comps.size() == 3 && comps[0] == "dev" && comps[1] == "fd")
		num = comps[2];
	else
		return nullptr;
	if (num.empty() || num.size() > 9)
		return nullptr;
	int fd = 0;
	for (char ch : num) {
		if (ch < '0' || ch > '9')
			return nullptr;
		fd = fd * 10 + (ch - '0');
	}
	return served(fd);
}

// The absolute path of a directory descriptor, if it has one.
bool dir_path(int dirfd, std::string *out, int *err)
{
	if (dirfd == AT_FDCWD) {
		char buf[4096];
		if (!getcwd(buf, sizeof(buf)))
			return false;
		*out = buf;
		return true;
	}
	if (Handle *h = served(dirfd)) {
		if (h->node->type() != NodeType::Directory) {
			*err = static_cast<int>(-mlc_vfs_at_dirfd_not_dir());
			return false;
		}
		*out = "/" + h->node->path();
		return true;
	}
	struct stat st;
	if (real().fstat(dirfd, &st) != 0) {
		*err = errno;
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		*err = static_cast<int>(-mlc_vfs_at_dirfd_not_dir());
		return false;
	}
	char link[64], buf[4096];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
	ssize_t n = real().readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0 || buf[0] != '/')
		return false;
	out->assign(buf, static_cast<size_t>(n));
	return true;
}

// The walk's questions, answered by the real C library (never ours).
class RealHost : public HostFs {
public:
	int lstat_mode(const std::string &abs, mode_t *mode) override
	{
		struct stat st;
		if (real().fstatat(AT_FDCWD, abs.c_str(), &st,
				   AT_SYMLINK_NOFOLLOW) != 0)
			return -errno;
		*mode = st.st_mode;
		return 0;
	}
	int readlink(const std::string &abs, std::string *target) override
	{
		char buf[4096];
		ssize_t n = real().readlink(abs.c_str(), buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (static_cast<size_t>(n) >= sizeof(buf))
			return -ENAMETOOLONG;
		target->assign(buf, static_cast<size_t>(n));
		return 0;
	}
	// /proc/<our pid>/fd/N and /proc/<our pid>/task/<tid>/fd/N of a
	// served descriptor (the kernel's proc_fd_link jumps to its file).
	std::optional<FileTable::Ino>
	magic_link(const std::string &abs) override
	{
		std::vector<std::string_view> c;
		std::string_view rest(abs);
		while (!rest.empty()) {
			size_t s = rest.find('/');
			if (s != 0)
				c.push_back(rest.substr(0, s));
			rest = s == std::string_view::npos ?
				       std::string_view{} :
				       rest.substr(s + 1);
		}
		std::string pid = std::to_string(getpid());
		std::string_view num;
		if (c.size() == 4 && c[0] == "proc" && c[1] == pid &&
		    c[2] == "fd")
			num = c[3];
		else if (c.size() == 6 && c[0] == "proc" && c[1] == pid &&
			 c[2] == "task" && all_digits(c[3]) && c[4] == "fd")
			num = c[5];
		if (num.empty() || num.size() > 9)
			return std::nullopt;
		int fd = 0;
		for (char ch : num)
			fd = fd * 10 + (ch - '0');
		Handle *h = served(fd);
		if (!h)
			return std::nullopt;
		return h->ino;
	}
};

// Whether the door must walk a path before the host sees it: its last
// name is one of the table's, a fd number, "." or "..".  Any other path
// reaches a served node only through a symlink the host cannot follow
// (it leads into a served tree), which the host reports as ENOENT or
// ENOTDIR: only then does the door walk it.
bool table_candidate(std::string_view p)
{
	while (p.size() > 1 && p.back() == '/')
		p.remove_suffix(1);
	size_t slash = p.rfind('/');
	std::string_view last =
		slash == std::string_view::npos ? p : p.substr(slash + 1);
	return last == "." || last == ".." || table_names().count(last) ||
	       all_digits(last);
}

// Whether the host itself answers ENOENT for path: its directory is the
// host's and its last name is missing there (and, not being a table name,
// is missing on the kernel too).
bool host_lacks_name(int dirfd, std::string_view p)
{
	while (p.size() > 1 && p.back() == '/')
		p.remove_suffix(1);
	size_t slash = p.rfind('/');
	std::string parent = slash == std::string_view::npos ?
				     std::string(".") :
			     slash == 0 ? std::string("/") :
					  std::string(p.substr(0, slash));
	struct stat st;
	if (real().fstatat(dirfd, parent.c_str(), &st, 0) != 0 ||
	    !S_ISDIR(st.st_mode))
		return false;
	return real().fstatat(dirfd, std::string(p).c_str(), &st,
			      AT_SYMLINK_NOFOLLOW) != 0 &&
	       errno == ENOENT;
}

// The path the host must be given instead of the one written (the walk
// went through the table: "/sys/class/ml_lib_test/.." is "/sys/class").
__thread char t_host_path[4096];

} // namespace

void load_table_names()
{
	(void)table_names();
}

// "/proc/self/fd/N" and friends, as written (no folding): readlink's case.
Handle *fd_link_path(const char *path)
{
	if (!path || path[0] != '/' || !mlcpl_fds)
		return nullptr;
	std::vector<std::string_view> comps;
	std::string_view rest(path + 1);
	while (!rest.empty()) {
		size_t s = rest.find('/');
		if (s != 0)
			comps.push_back(rest.substr(0, s));
		rest = s == std::string_view::npos ? std::string_view{} :
						     rest.substr(s + 1);
	}
	return fd_link(comps);
}

mlcpl_lookup lookup(int dirfd, const char *path, int how)
{
	mlcpl_lookup pass{ MLCPL_PASS, 0, 0, path };
	if (!path || !*path || !mlcpl_fds)
		return pass;
	bool nofollow = how & MLCPL_NOFOLLOW;
	bool candidate = table_candidate(path);
	if (!candidate && (how & MLCPL_HOST_FIRST))
		return pass;
	if (candidate && (how & MLCPL_HOST_FAILED))
		return pass; // walked before the host was asked
	if (!candidate && (how & MLCPL_HOST_FAILED)) {
		InDoor in;
		if (errno == ENOENT && host_lacks_name(dirfd, path))
			return pass;
	} else if (!candidate) {
		// The host's answer stands unless it cannot find the path.
		InDoor in;
		struct stat st;
		if (real().fstatat(dirfd, path, &st,
				   nofollow ? AT_SYMLINK_NOFOLLOW : 0) == 0) {
			if (!is_placeholder(st))
				return pass;
			// Through /proc/self/fd/N of a served descriptor: ours.
		} else if (errno != ENOENT && errno != ENOTDIR)
			return pass;
		else if (errno == ENOENT && host_lacks_name(dirfd, path))
			return pass;
	}

	InDoor in;
	std::string start;
	if (path[0] != '/') {
		int err = 0;
		if (!dir_path(dirfd, &start, &err)) {
			if (err)
				return mlcpl_lookup{ MLCPL_ERROR, err, 0,
						     path };
			return pass;
		}
	}
	RealHost host;
	WalkOptions opts;
	opts.follow_last = !nofollow;
	WalkResult w = walk_path(table(), host, start, path, opts);
	switch (w.kind) {
	case WalkResult::Error:
		return mlcpl_lookup{ MLCPL_ERROR, -w.err, 0, path };
	case WalkResult::Host:
		if (!w.crossed)
			return pass;
		break;
	case WalkResult::Served: {
		const Node *n = table().node(w.ino);
		if (n->type() != NodeType::Directory)
			return mlcpl_lookup{ MLCPL_FILE, 0, w.ino, path };
		// A directory the host has (/dev, /proc, /sys/kernel) is the host's.
		struct stat st;
		if (real().fstatat(AT_FDCWD, w.host_path.c_str(), &st,
				   AT_SYMLINK_NOFOLLOW) != 0)
			return mlcpl_lookup{ MLCPL_DIR, 0, w.ino, path };
		pass.ino = w.ino;
		if (!w.crossed)
			return pass;
		break;
	}
	}
	if (w.host_path.size() >= sizeof(t_host_path))
		return mlcpl_lookup{ MLCPL_ERROR, ENAMETOOLONG, 0, path };
	memcpy(t_host_path, w.host_path.c_str(), w.host_path.size() + 1);
	pass.path = t_host_path;
	return pass;
}

} // namespace mlc::preload

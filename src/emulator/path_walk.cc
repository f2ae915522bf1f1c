// SPDX-License-Identifier: GPL-2.0
//
// The kernel's path walk over the table and the host (path_walk.hpp).
#include "emulator/path_walk.hpp"

#include <sys/stat.h>

#include <cerrno>

namespace mlc {

bool all_digits(std::string_view s)
{
	if (s.empty())
		return false;
	for (char ch : s)
		if (ch < '0' || ch > '9')
			return false;
	return true;
}

namespace {

constexpr size_t kPathMax = 4096;	// PATH_MAX, with its NUL
constexpr int kMaxSymlinks = 40;	// MAXSYMLINKS
// The table's top-level entries that are real paths ("/X/..." is the
// table's "X/..."); its others (dmesg) are the emulator's own.
constexpr std::string_view kRealRoots[] = {"dev", "proc", "sys", "var"};

// Where the walk is: a canonical absolute path, the table node there (0
// when the table has none) and whether it is a directory.
struct Position {
	std::string path = "/";
	FileTable::Ino ino = FileTable::kRootIno;
	bool dir = true;
};

std::string child_path(const std::string &dir, std::string_view name)
{
	std::string p = dir == "/" ? std::string("/") : dir + "/";
	p += name;
	return p;
}

// The table node at a canonical absolute path, if any.
FileTable::Ino table_ino_of(const FileTable &table, std::string_view abs)
{
	if (abs == "/")
		return FileTable::kRootIno;
	std::string_view rel = abs.substr(1);
	std::string_view top = rel.substr(0, rel.find('/'));
	for (auto r : kRealRoots)
		if (top == r)
			return table.resolve(rel).value_or(0);
	return 0;
}

// The table's child of a table directory (at / only the real roots).
std::optional<FileTable::Ino> table_child(const FileTable &table, const Position &at,
					  std::string_view name)
{
	if (!at.ino)
		return std::nullopt;
	if (at.ino == FileTable::kRootIno) {
		bool real = false;
		for (auto r : kRealRoots)
			real = real || name == r;
		if (!real)
			return std::nullopt;
	}
	return table.lookup(at.ino, name);
}

void go_up(const FileTable &table, Position *at)
{
	if (at->path != "/") {
		size_t slash = at->path.rfind('/');
		at->path.resize(slash == 0 ? 1 : slash);
	}
	at->ino = table_ino_of(table, at->path);
	at->dir = true;
}

WalkResult error(int err)
{
	WalkResult r;
	r.kind = WalkResult::Error;
	r.err = err;
	return r;
}

}  // namespace

WalkResult walk_path(const FileTable &table, HostFs &host, std::string_view start_dir,
		     std::string_view path, const WalkOptions &opts)
{
	if (path.empty())
		return error(-ENOENT);
	if (path.size() >= kPathMax)
		return error(-ENAMETOOLONG);

	Position at;
	if (path[0] != '/') {
		at.path = std::string(start_dir);
		at.ino = table_ino_of(table, at.path);
	}
	bool crossed = false;
	int links = 0;
	std::string rest(path);
	// A host answer: what the host itself would say for the path as
	// written, or, once the walk went through the table, the error.
	auto host_result = [&](std::string p, int err) {
		if (crossed && err)
			return error(err);
		WalkResult r;
		r.kind = WalkResult::Host;
		r.host_path = std::move(p);
		r.crossed = crossed;
		return r;
	};

	for (;;) {
		size_t b = rest.find_first_not_of('/');
		if (b == std::string::npos) {
			// The end: a trailing slash wants a directory.
			bool slash = !rest.empty();
			if (slash && !at.dir)
				return error(-ENOTDIR);
			if (at.ino) {
				WalkResult r;
				r.kind = WalkResult::Served;
				r.ino = at.ino;
				r.host_path = at.path;
				r.crossed = crossed;
				return r;
			}
			return host_result(slash && at.path != "/" ? at.path + "/" : at.path, 0);
		}
		rest.erase(0, b);
		size_t e = rest.find('/');
		std::string name = rest.substr(0, e);
		rest.erase(0, e == std::string::npos ? rest.size() : e);
		size_t more = rest.find_first_not_of('/');
		bool last = more == std::string::npos;
		bool trailing = last && !rest.empty();

		if (!at.dir)
			return error(-ENOTDIR);	// a component after a non-directory
		if (name == ".")
			continue;
		if (name == "..") {
			if (at.ino && at.ino != FileTable::kRootIno)
				crossed = true;	// out of the table: the host cannot
			go_up(table, &at);
			continue;
		}
		if (auto child = table_child(table, at, name)) {
			at.path = child_path(at.path, name);
			at.ino = *child;
			at.dir = table.node(*child)->type() == NodeType::Directory;
			continue;
		}
		std::string abs = child_path(at.path, name);
		bool follow = !last || trailing || opts.follow_last;
		if (all_digits(name) && abs.compare(0, 6, "/proc/") == 0) {
			if (auto ino = host.magic_link(abs)) {
				if (!follow)
					return host_result(abs, 0);
				if (++links > kMaxSymlinks)
					return error(-ELOOP);
				const Node *n = table.node(*ino);
				at.path = "/" + n->path();
				at.ino = *ino;
				at.dir = n->type() == NodeType::Directory;
				crossed = true;
				continue;
			}
		}
		mode_t mode = 0;
		if (int err = host.lstat_mode(abs, &mode)) {
			if (last && !crossed)
				return host_result(std::string(path), 0);
			if (last && err == -ENOENT)	// a new name: the host creates it
				return host_result(trailing ? abs + "/" : abs, 0);
			return host_result(std::string(path), err);
		}
		if (S_ISLNK(mode) && follow) {
			if (++links > kMaxSymlinks)
				return error(-ELOOP);
			std::string target;
			if (int err = host.readlink(abs, &target))
				return host_result(std::string(path), err);
			if (target.empty())
				return host_result(std::string(path), -ENOENT);
			if (target[0] == '/')
				at = Position{};	// absolute: from the root again
			// The link's body, then what followed it.
			rest = target + rest;
			continue;
		}
		at.path = abs;
		at.ino = 0;
		at.dir = S_ISDIR(mode);
	}
}

}  // namespace mlc

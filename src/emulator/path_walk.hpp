// SPDX-License-Identifier: GPL-2.0
//
// The kernel's path walk (fs/namei.c link_path_walk + the last component)
// over a host whose tree the file table overlays: the one place that says
// where a path leads for a door serving the table at the real paths (the
// preload door).
//
// Component by component, as the kernel does:
//   - a name a table directory has is the table's node (served nodes are
//     never symlinks and are not on the host);
//   - any other name is the host's: lstat through the host, a symlink is
//     followed (relative to its directory, absolute from /), at most 40 in
//     all (ELOOP), the last one only if the call follows (not lstat,
//     O_NOFOLLOW, AT_SYMLINK_NOFOLLOW);
//   - /proc/<pid>/fd/N of a served descriptor is a magic link: it jumps to
//     the served node itself, as nd_jump_link() does;
//   - "." stays, ".." goes to the parent of where the walk is (which, the
//     walk's position being canonical, is the kernel's parent);
//   - any component after a non-directory, and a trailing slash after one,
//     is ENOTDIR; a path of PATH_MAX bytes or more is ENAMETOOLONG.
// The host is asked only for the names the table lacks, through HostFs
// (the door passes the real C library's lstat/readlink, never its own).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "emulator/file_table.hpp"

namespace mlc {

// A non-empty run of decimal digits: a pid or a descriptor number.
bool all_digits(std::string_view s);

// What the walk asks of the host (every answer 0 or -errno).
class HostFs {
public:
	virtual ~HostFs() = default;
	// lstat(2)'s st_mode of an absolute path.
	virtual int lstat_mode(const std::string &abs, mode_t *mode) = 0;
	// readlink(2) of an absolute path.
	virtual int readlink(const std::string &abs, std::string *target) = 0;
	// The table node a magic link (/proc/<pid>/fd/N of a served
	// descriptor) leads to; nullopt when abs is no such link.
	virtual std::optional<FileTable::Ino> magic_link(const std::string &abs) = 0;
};

struct WalkResult {
	enum Kind {
		Host,	// the host's object (or the host's missing last name)
		Served,	// a table node
		Error,	// the walk's own -errno
	};
	Kind kind = Host;
	int err = 0;			// Error: -errno
	FileTable::Ino ino = 0;		// Served
	// Host: the canonical absolute path of what the walk reached (its
	// last component as named: not followed when the call does not
	// follow, or missing).  crossed: the walk went through the table
	// (out of a served directory by "..", or through a magic link), so
	// the host cannot resolve the path as written and must be given
	// host_path instead.
	std::string host_path;
	bool crossed = false;
};

struct WalkOptions {
	bool follow_last = true;	// false: lstat, O_NOFOLLOW, ...
};

// Walks path from start_dir (the canonical absolute path of the directory
// a relative path starts at; ignored for an absolute path).
WalkResult walk_path(const FileTable &table, HostFs &host, std::string_view start_dir,
		     std::string_view path, const WalkOptions &opts);

}  // namespace mlc

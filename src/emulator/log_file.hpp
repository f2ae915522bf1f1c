// SPDX-License-Identifier: GPL-2.0
//
// The device's log file (/var/log/mlcore.log on the real driver), at a path
// of the instance's choosing since an unprivileged user cannot write
// /var/log.  Appended with O_APPEND, created 0644, never through a symlink
// planted at the path.
//
// The driver opens the file for every line.  Opening and closing costs
// about 2 us per SET_RESULT, so the descriptor is kept, and before each
// line the path is checked (one lstat, the write permission computed from
// its mode) to still name the same file and to still be writable: a file that was removed, renamed, replaced (by
// a symlink too) or made read-only is opened anew exactly as the driver
// would, so what lands where, and what fails, is the same.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "platform/user/host.hpp"

namespace mlc {

// The log file as one operation found it before it appended its line, so a
// process killed after the line but before the operation's end can be
// undone: the file is cut back to size (docs/reliability.md).  Flat, in
// the instance segment; only under the instance lock.
struct LogFileUndo {
	uint32_t saved;		// 1: an append was begun; the fields below hold
	uint32_t reserved;	//    the file it went to and its size before
	uint64_t dev;
	uint64_t ino;
	int64_t size;
};

class LogFile final : public LogFileSink {
public:
	explicit LogFile(std::string path);
	~LogFile() override;
	LogFile(const LogFile &) = delete;
	LogFile &operator=(const LogFile &) = delete;

	int append(std::string_view text) override;
	const std::string &path() const { return path_; }

	// While set, append() records the file and its size in *undo before
	// the first line it writes (Device::Call sets it for one operation).
	void set_undo(LogFileUndo *undo) { undo_ = undo; }
	// Cuts the file at path() back to undo.size when it is still the file
	// undo names and has grown; anything else is left alone.
	void undo(const LogFileUndo &undo) const;

private:
	bool still_current(struct stat *st) const;
	bool writable(const struct stat &st) const;
	void close_fd();

	std::string path_;
	int fd_ = -1;
	dev_t dev_ = 0;
	ino_t ino_ = 0;
	uid_t euid_;		// who opens it, for the write-permission check
	gid_t egid_;
	std::vector<gid_t> groups_;
	LogFileUndo *undo_ = nullptr;
};

}  // namespace mlc

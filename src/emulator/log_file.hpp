// SPDX-License-Identifier: GPL-2.0
//
// The device's log file (/var/log/mlcore.log on the real driver), at a path
// of the instance's choosing since an unprivileged user cannot write
// /var/log.  Appended with O_APPEND, created 0644, never through a symlink
// planted at the path.
//
// The driver opens the file for every line.  Opening and closing costs
// about 2 us per SET_RESULT, so the descriptor is kept, and before each
// line we make sure the path still names the same file and that it is
// still writable: a file that was removed, renamed, replaced (by a symlink
// too) or made read-only is opened anew exactly as the driver would, so
// what lands where, and what fails, is the same.  How that is made sure:
//
//   path check  (default) one statx of the path per line, without the
//               timestamps, so the kernel's fine-grained timestamps do not
//               make the write that follows dirty the inode every time
//   watch       (watch_paths_in_this_process(): the servers the emulator
//               runs, serve's FUSE server and the CUSE daemon) inotify on the file and every
//               directory above it plus /proc/self/mountinfo, both in an
//               epoll set (three descriptors).  Anything that could change
//               what the path names or whether it can be opened for
//               writing (unlink, rename, chmod/chown, a mount) wakes one of
//               them (one epoll_wait per line), and that line takes the
//               path check and re-arms.
//               Never under the preload door: that process's descriptor
//               table belongs to the program, which may close or reuse
//               ours.  A relative path, a symlink among the directories or
//               a failing inotify (limits) falls back to the path check.
//               Not seen by the watch: a chroot or an unshare of the mount
//               namespace by the process itself after arming.
//
// Either way the line is in the file (one write(2)) before append()
// returns.
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

// Descriptors that tell in one epoll_wait(2) whether something happened to the
// path since arm(): see above ("watch").
class PathWatch {
public:
	PathWatch() = default;
	~PathWatch() { disarm(); }
	PathWatch(const PathWatch &) = delete;
	PathWatch &operator=(const PathWatch &) = delete;

	// Watches every directory of path (absolute, no "." or "..", no
	// symlink among the directories); false when that cannot be done.
	bool arm_dirs(const std::string &path);
	// Then the file itself (never through a symlink).
	bool arm_file(const std::string &path);
	// True while nothing happened since both arms.  Any event, a watch
	// gone or a poll error answers false.
	bool quiet() const;
	void disarm();
	bool armed() const { return inotify_ >= 0; }
	bool file_armed() const { return file_; }

private:
	int inotify_ = -1;
	int mountinfo_ = -1;
	int epoll_ = -1;	// both of the above
	bool file_ = false;	// the file itself is watched
	unsigned long fork_gen_ = 0;
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

	// From the next line on, every log file of this process keeps watch
	// descriptors instead of checking the path per line.  Only for a
	// process that owns its descriptor table (a door's server).
	static void watch_paths_in_this_process(bool on = true);
	// Whether the last append() found the file through the watch alone.
	bool watched() const { return watched_; }

private:
	struct Found {
		bool current;	// the kept descriptor is what an open would give
		int64_t size;	// its size then (-1: unknown)
	};
	Found check_path() const;
	bool writable(uint32_t mode, uid_t uid, gid_t gid) const;
	bool reopen(int64_t *size);
	void close_fd();

	std::string path_;
	int fd_ = -1;
	dev_t dev_ = 0;
	ino_t ino_ = 0;
	uid_t euid_;		// who opens it, for the write-permission check
	gid_t egid_;
	std::vector<gid_t> groups_;
	LogFileUndo *undo_ = nullptr;
	bool watched_ = false;
	unsigned arm_skip_ = 0;	// lines until a failed arm is tried again
	PathWatch pw_;
};

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
#include "emulator/log_file.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <mutex>

namespace mlc {

namespace {

// What the path check asks for: no timestamps.  Asking for ctime or mtime
// marks them queried, and the next write then updates them at full
// resolution, dirtying the inode (and the journal) on every line.
constexpr unsigned kStatxMask = STATX_TYPE | STATX_MODE | STATX_UID |
				STATX_GID | STATX_INO | STATX_SIZE;

// The events that can change what the path names or whether it opens for
// writing: a rename (MOVE_SELF), an unlink or a rename over it (ATTRIB: the
// link count), chmod, chown, ACLs (ATTRIB).  IN_IGNORED and IN_Q_OVERFLOW
// come anyway.
constexpr uint32_t kFileEvents = IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF;

std::atomic<bool> g_watch{false};

// Lines checked by path before a watch that could not be made is tried
// again.
constexpr unsigned kArmRetry = 255;

// Bumped in every fork child: a watch made before the fork shares its
// inotify queue with the other process, which may eat its events.
std::atomic<unsigned long> g_fork_gen{0};

void count_forks()
{
	static std::once_flag once;
	std::call_once(once, [] {
		pthread_atfork(nullptr, nullptr, [] {
			g_fork_gen.fetch_add(1, std::memory_order_relaxed);
		});
	});
}

}  // namespace

// --- PathWatch ----------------------------------------------------------------

bool PathWatch::arm_dirs(const std::string &path)
{
	disarm();
	if (path.empty() || path[0] != '/' || path.back() == '/')
		return false;
	count_forks();
	fork_gen_ = g_fork_gen.load(std::memory_order_relaxed);
	inotify_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	mountinfo_ = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	epoll_ = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event in{}, mnt{};
	in.events = EPOLLIN;
	mnt.events = EPOLLPRI;
	if (inotify_ < 0 || mountinfo_ < 0 || epoll_ < 0 ||
	    epoll_ctl(epoll_, EPOLL_CTL_ADD, inotify_, &in) != 0 ||
	    epoll_ctl(epoll_, EPOLL_CTL_ADD, mountinfo_, &mnt) != 0) {
		disarm();
		return false;
	}
	// "/", then each directory down to the file's, never a symlink
	// (IN_ONLYDIR | IN_DONT_FOLLOW fail with ENOTDIR on one).
	std::string dir = "/";
	size_t at = 1;
	for (;;) {
		if (inotify_add_watch(inotify_, dir.c_str(),
				      kFileEvents | IN_ONLYDIR | IN_DONT_FOLLOW) < 0) {
			disarm();
			return false;
		}
		size_t slash = path.find('/', at);
		if (slash == std::string::npos)
			return true;
		std::string_view part(path.data() + at, slash - at);
		at = slash + 1;
		if (part.empty())
			continue;
		if (part == "." || part == "..") {
			disarm();
			return false;
		}
		if (dir.size() > 1)
			dir += '/';
		dir += part;
	}
}

bool PathWatch::arm_file(const std::string &path)
{
	if (inotify_ < 0)
		return false;
	file_ = inotify_add_watch(inotify_, path.c_str(),
				  kFileEvents | IN_DONT_FOLLOW) >= 0;
	return file_;
}

bool PathWatch::quiet() const
{
	if (inotify_ < 0 || fork_gen_ != g_fork_gen.load(std::memory_order_relaxed))
		return false;
	// inotify is ready while an event is queued; mountinfo reports
	// EPOLLPRI once per change of the mount table.  With nothing ready,
	// epoll_wait does not poll either file: cheaper than poll(2) of both.
	struct epoll_event ev;
	return ::epoll_wait(epoll_, &ev, 1, 0) == 0;
}

void PathWatch::disarm()
{
	if (inotify_ >= 0)
		::close(inotify_);
	if (mountinfo_ >= 0)
		::close(mountinfo_);
	if (epoll_ >= 0)
		::close(epoll_);
	inotify_ = mountinfo_ = epoll_ = -1;
	file_ = false;
}

// --- LogFile ----------------------------------------------------------------

void LogFile::watch_paths_in_this_process(bool on)
{
	g_watch.store(on, std::memory_order_relaxed);
}

LogFile::~LogFile()
{
	close_fd();
}

void LogFile::close_fd()
{
	if (fd_ >= 0)
		::close(fd_);
	fd_ = -1;
}

LogFile::LogFile(std::string path)
	: path_(std::move(path)), euid_(geteuid()), egid_(getegid())
{
	int n = getgroups(0, nullptr);
	if (n > 0) {
		groups_.resize(static_cast<size_t>(n));
		n = getgroups(n, groups_.data());
		groups_.resize(n > 0 ? static_cast<size_t>(n) : 0);
	}
}

// generic_permission() for MAY_WRITE from the file's own bits, so the
// check costs no system call beyond the statx.
bool LogFile::writable(uint32_t mode, uid_t uid, gid_t gid) const
{
	if (euid_ == 0)
		return true;	// CAP_DAC_OVERRIDE
	if (uid == euid_)
		return mode & S_IWUSR;
	bool in_group = gid == egid_ ||
			std::find(groups_.begin(), groups_.end(), gid) != groups_.end();
	return mode & (in_group ? S_IWGRP : S_IWOTH);
}

// Whether opening the path now would give the kept descriptor's file: the
// same regular file (not removed, renamed, replaced or a symlink), still
// writable by us (a chmod would make the driver's open fail).
LogFile::Found LogFile::check_path() const
{
	struct statx stx;
	if (fd_ < 0 ||
	    statx(AT_FDCWD, path_.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT,
		  kStatxMask, &stx) != 0)
		return {false, -1};
	bool same = S_ISREG(stx.stx_mode) &&
		    makedev(stx.stx_dev_major, stx.stx_dev_minor) == dev_ &&
		    stx.stx_ino == ino_ && writable(stx.stx_mode, stx.stx_uid, stx.stx_gid);
	return {same, static_cast<int64_t>(stx.stx_size)};
}

// O_NOFOLLOW: a symlink at the path makes the open fail (ELOOP), which the
// driver reports as "Failed to open log file." and goes on.
bool LogFile::reopen(int64_t *size)
{
	close_fd();
	fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
		     0644);
	if (fd_ < 0)
		return false;
	struct statx stx;
	if (statx(fd_, "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, kStatxMask, &stx) == 0) {
		dev_ = makedev(stx.stx_dev_major, stx.stx_dev_minor);
		ino_ = stx.stx_ino;
		*size = static_cast<int64_t>(stx.stx_size);
	} else {
		*size = -1;	// unknown: never cut
	}
	return true;
}

int LogFile::append(std::string_view text)
{
	if (path_.empty())
		return MLC_LOGFILE_OPEN_FAILED;

	int64_t size = -1;
	const bool watch = g_watch.load(std::memory_order_relaxed);
	if (!watch && pw_.armed())
		pw_.disarm();
	// One look at the watch per line: a look consumes mountinfo's event.
	const bool quiet = watch && pw_.armed() && pw_.quiet();
	watched_ = quiet && fd_ >= 0;
	if (watched_) {
		// Nothing happened to the path since the last check: the kept
		// file is still the one an open would give.  Its size, for the
		// undo, without stat (which would mark the timestamps queried).
		if (undo_ && !undo_->saved)
			size = ::lseek(fd_, 0, SEEK_END);
	} else {
		// The watch first, then the check: whatever happens after the
		// check wakes the watch.  A quiet watch is kept (the last open
		// failed, nothing changed since).  One that cannot be made
		// (symlinked directory, limits) is tried again kArmRetry lines
		// later, so such a path costs about the path check alone.
		if (watch && !quiet) {
			pw_.disarm();
			if (arm_skip_ > 0)
				arm_skip_--;
			else if (pw_.arm_dirs(path_))
				pw_.arm_file(path_);
			else
				arm_skip_ = kArmRetry;
		}
		Found f = check_path();
		size = f.size;
		if (!f.current && !reopen(&size))
			return MLC_LOGFILE_OPEN_FAILED;
		// A file watch made before the file existed is made now, and the
		// path checked again after it.
		if (pw_.armed() && !pw_.file_armed() &&
		    !(pw_.arm_file(path_) && check_path().current))
			pw_.disarm();
	}

	// The size the line lands at (O_APPEND, and every writer of ours
	// holds the instance lock).
	if (undo_ && !undo_->saved) {
		undo_->dev = static_cast<uint64_t>(dev_);
		undo_->ino = static_cast<uint64_t>(ino_);
		undo_->size = size;
		std::atomic_signal_fence(std::memory_order_release);
		undo_->saved = 1;
		std::atomic_signal_fence(std::memory_order_release);
	}

	ssize_t n;
	do {
		n = ::write(fd_, text.data(), text.size());
	} while (n < 0 && errno == EINTR);
	return n < 0 ? MLC_LOGFILE_WRITE_FAILED : MLC_LOGFILE_OK;
}

void LogFile::undo(const LogFileUndo &undo) const
{
	if (!undo.saved || undo.size < 0 || path_.empty())
		return;
	int fd = ::open(path_.c_str(), O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	struct stat st;
	if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    static_cast<uint64_t>(st.st_dev) == undo.dev &&
	    static_cast<uint64_t>(st.st_ino) == undo.ino && st.st_size > undo.size)
		(void)!::ftruncate(fd, undo.size);
	::close(fd);
}

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
#include "emulator/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

namespace mlc {

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
// check costs no system call beyond the lstat.
bool LogFile::writable(const struct stat &st) const
{
	if (euid_ == 0)
		return true;	// CAP_DAC_OVERRIDE
	if (st.st_uid == euid_)
		return st.st_mode & S_IWUSR;
	bool in_group = st.st_gid == egid_ ||
			std::find(groups_.begin(), groups_.end(), st.st_gid) != groups_.end();
	return st.st_mode & (in_group ? S_IWGRP : S_IWOTH);
}

// Whether opening the path now would give the kept descriptor's file: the
// same regular file (not removed, renamed, replaced or a symlink), still
// writable by us (a chmod would make the driver's open fail).
bool LogFile::still_current(struct stat *st) const
{
	if (fd_ < 0 || ::lstat(path_.c_str(), st) != 0)
		return false;
	if (!S_ISREG(st->st_mode) || st->st_dev != dev_ || st->st_ino != ino_)
		return false;
	return writable(*st);
}

int LogFile::append(std::string_view text)
{
	if (path_.empty())
		return MLC_LOGFILE_OPEN_FAILED;

	struct stat st;
	if (!still_current(&st)) {
		close_fd();
		// O_NOFOLLOW: a symlink at the path makes the open fail (ELOOP),
		// which the driver reports as "Failed to open log file." and
		// goes on.
		fd_ = ::open(path_.c_str(),
			     O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			     0644);
		if (fd_ < 0)
			return MLC_LOGFILE_OPEN_FAILED;
		if (::fstat(fd_, &st) == 0) {
			dev_ = st.st_dev;
			ino_ = st.st_ino;
		} else {
			st.st_size = -1;	// unknown: never cut
		}
	}

	// The size the line lands at (O_APPEND, and every writer of ours
	// holds the instance lock), from the stat just made: no extra call.
	if (undo_ && !undo_->saved) {
		undo_->dev = static_cast<uint64_t>(dev_);
		undo_->ino = static_cast<uint64_t>(ino_);
		undo_->size = static_cast<int64_t>(st.st_size);
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

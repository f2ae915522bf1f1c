// SPDX-License-Identifier: GPL-2.0
#include "emulator/log_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// Whether opening the path now would give the kept descriptor's file: the
// same regular file (not removed, renamed, replaced or a symlink), still
// writable by us (a chmod would make the driver's open fail).
bool LogFile::still_current() const
{
	struct stat st;
	if (fd_ < 0 || ::lstat(path_.c_str(), &st) != 0)
		return false;
	if (!S_ISREG(st.st_mode) || st.st_dev != dev_ || st.st_ino != ino_)
		return false;
	return ::faccessat(AT_FDCWD, path_.c_str(), W_OK, AT_EACCESS) == 0;
}

int LogFile::append(std::string_view text)
{
	if (path_.empty())
		return MLC_LOGFILE_OPEN_FAILED;

	if (!still_current()) {
		close_fd();
		// O_NOFOLLOW: a symlink at the path makes the open fail (ELOOP),
		// which the driver reports as "Failed to open log file." and
		// goes on.
		fd_ = ::open(path_.c_str(),
			     O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			     0644);
		if (fd_ < 0)
			return MLC_LOGFILE_OPEN_FAILED;
		struct stat st;
		if (::fstat(fd_, &st) == 0) {
			dev_ = st.st_dev;
			ino_ = st.st_ino;
		}
	}

	ssize_t n;
	do {
		n = ::write(fd_, text.data(), text.size());
	} while (n < 0 && errno == EINTR);
	return n < 0 ? MLC_LOGFILE_WRITE_FAILED : MLC_LOGFILE_OK;
}

}  // namespace mlc

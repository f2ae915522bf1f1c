// SPDX-License-Identifier: GPL-2.0
#include "emulator/log_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace mlc {

int LogFile::append(std::string_view text)
{
	if (path_.empty())
		return MLC_LOGFILE_OPEN_FAILED;

	// O_NOFOLLOW: a symlink at the path makes the open fail (ELOOP), which
	// the driver reports as "Failed to open log file." and goes on.
	int fd = ::open(path_.c_str(),
			O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC,
			0644);
	if (fd < 0)
		return MLC_LOGFILE_OPEN_FAILED;

	int result = MLC_LOGFILE_OK;
	ssize_t n;
	do {
		n = ::write(fd, text.data(), text.size());
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		result = MLC_LOGFILE_WRITE_FAILED;
	::close(fd);
	return result;
}

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
//
// The device's log file (/var/log/mlcore.log on the real driver), at a path
// of the instance's choosing since an unprivileged user cannot write
// /var/log.  Opened per append, as the driver does, with O_APPEND|O_CREAT
// and mode 0644, and never through a symlink planted at the path.
#pragma once

#include <string>

#include "platform/user/host.hpp"

namespace mlc {

class LogFile final : public LogFileSink {
public:
	explicit LogFile(std::string path) : path_(std::move(path)) {}
	int append(std::string_view text) override;
	const std::string &path() const { return path_; }

private:
	std::string path_;
};

}  // namespace mlc

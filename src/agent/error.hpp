// SPDX-License-Identifier: GPL-2.0
//
// How the agent SDK reports failures.
//
// Every system call that fails becomes a SysError: a std::system_error whose
// code() is the errno in std::generic_category() (so `e.code() ==
// std::errc::invalid_argument` works) and whose what() names the operation
// and the path.  Text or records that break the documented format become a
// ProtocolError (the kernel, or whatever serves the path, is not speaking
// the ABI).  Functions that take a `std::error_code &` never throw a
// SysError; they store the errno there instead.
#pragma once

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mlc::agent {

class SysError : public std::system_error {
public:
	SysError(int err, const std::string &what)
		: std::system_error(err, std::generic_category(), what)
	{
	}
	int err() const noexcept { return code().value(); }
};

class ProtocolError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

inline std::error_code errno_code(int err) noexcept
{
	return {err, std::generic_category()};
}

[[noreturn]] inline void throw_errno(int err, const std::string &what)
{
	throw SysError(err, what);
}

// Throws a SysError for ec (which must be set).
[[noreturn]] inline void throw_code(const std::error_code &ec, const std::string &what)
{
	throw SysError(ec.value(), what);
}

}  // namespace mlc::agent

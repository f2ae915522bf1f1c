// SPDX-License-Identifier: GPL-2.0
//
// A file descriptor and the only system calls the SDK makes on it: open,
// read, write, ioctl, lseek, close.  Nothing else is used, so a client built
// on it runs unchanged against the real kernel module (ROOT "/"), a FUSE
// mount of mlcore-emu (ROOT = the mount) or the preload door.
//
// Each call is one system call (EINTR retried), reported as the kernel gave
// it: short reads and writes are returned, never hidden, and a failure is a
// SysError (or an error_code in the overloads that take one).
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "agent/error.hpp"

namespace mlc::agent {

// ROOT-relative paths: Root("/").path("dev/mlcore") == "/dev/mlcore",
// Root("/tmp/ml").path("dev/mlcore") == "/tmp/ml/dev/mlcore".
class Root {
public:
	explicit Root(std::string root = "/");
	const std::string &str() const noexcept { return root_; }
	std::string path(std::string_view rel) const;

private:
	std::string root_;
};

class Fd {
public:
	Fd() noexcept = default;
	explicit Fd(int fd) noexcept : fd_(fd) {}
	Fd(Fd &&o) noexcept : fd_(o.release()), path_(std::move(o.path_)) {}
	Fd &operator=(Fd &&o) noexcept;
	Fd(const Fd &) = delete;
	Fd &operator=(const Fd &) = delete;
	~Fd() { close_quietly(); }

	// open(path, flags | O_CLOEXEC).
	static Fd open(const std::string &path, int flags);
	static Fd open(const std::string &path, int flags, std::error_code &ec) noexcept;

	int get() const noexcept { return fd_; }
	bool valid() const noexcept { return fd_ >= 0; }
	explicit operator bool() const noexcept { return valid(); }
	const std::string &path() const noexcept { return path_; }
	int release() noexcept;
	void close();
	void close_quietly() noexcept;

	// One read(2)/write(2): the byte count the kernel returned.
	size_t read(std::span<std::byte> buf);
	size_t read(std::span<std::byte> buf, std::error_code &ec) noexcept;
	size_t write(std::span<const std::byte> buf);
	size_t write(std::span<const std::byte> buf, std::error_code &ec) noexcept;
	// Reads until end of file (0), in chunks of `chunk` bytes, at most
	// `limit` bytes in all (ProtocolError past it: a file that never ends).
	std::string read_to_end(size_t chunk = 4096, size_t limit = 1 << 20);
	// ioctl(2) with a pointer argument (nullptr for _IO commands).
	int ioctl(unsigned long cmd, void *arg);
	int ioctl(unsigned long cmd, void *arg, std::error_code &ec) noexcept;
	off_t lseek(off_t off, int whence);
	off_t lseek(off_t off, int whence, std::error_code &ec) noexcept;

private:
	[[noreturn]] void fail(int err, const char *op) const;
	int fd_ = -1;
	std::string path_;
};

// Whole-file helpers on paths (each opens, does one thing, closes).
// read_file: open O_RDONLY and read to end of file.
std::string read_file(const std::string &path);
// write_file_once: open O_WRONLY and make ONE write(2) of data (sysfs
// attributes take a command in one write); returns what write returned.
size_t write_file_once(const std::string &path, std::string_view data);
size_t write_file_once(const std::string &path, std::string_view data,
		       std::error_code &ec) noexcept;

inline std::span<const std::byte> bytes_of(std::string_view s) noexcept
{
	return {reinterpret_cast<const std::byte *>(s.data()), s.size()};
}

}  // namespace mlc::agent

// SPDX-License-Identifier: GPL-2.0
#include "agent/fd.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>

namespace mlc::agent {

Root::Root(std::string root) : root_(std::move(root))
{
	if (root_.empty())
		root_ = "/";
}

std::string Root::path(std::string_view rel) const
{
	while (!rel.empty() && rel.front() == '/')
		rel.remove_prefix(1);
	std::string p = root_;
	if (p.back() != '/')
		p += '/';
	p += rel;
	return p;
}

Fd &Fd::operator=(Fd &&o) noexcept
{
	if (this != &o) {
		close_quietly();
		fd_ = o.release();
		path_ = std::move(o.path_);
	}
	return *this;
}

Fd Fd::open(const std::string &path, int flags)
{
	std::error_code ec;
	Fd f = open(path, flags, ec);
	if (ec)
		throw_code(ec, "open " + path);
	return f;
}

Fd Fd::open(const std::string &path, int flags, std::error_code &ec) noexcept
{
	ec.clear();
	int fd;
	do
		fd = ::open(path.c_str(), flags | O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		ec = errno_code(errno);
		return Fd();
	}
	Fd f(fd);
	try {
		f.path_ = path;
	} catch (...) {	// out of memory for the name: keep the fd anyway
	}
	return f;
}

int Fd::release() noexcept
{
	int fd = fd_;
	fd_ = -1;
	return fd;
}

void Fd::close()
{
	if (fd_ < 0)
		return;
	int fd = release();
	// close(2) is never retried: the descriptor is gone either way.
	if (::close(fd) != 0 && errno != EINTR)
		fail(errno, "close");
}

void Fd::close_quietly() noexcept
{
	if (fd_ >= 0)
		::close(release());
}

void Fd::fail(int err, const char *op) const
{
	throw_errno(err, std::string(op) + " " + (path_.empty() ? "fd" : path_));
}

size_t Fd::read(std::span<std::byte> buf, std::error_code &ec) noexcept
{
	ec.clear();
	ssize_t n;
	do
		n = ::read(fd_, buf.data(), buf.size());
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ec = errno_code(errno);
		return 0;
	}
	return static_cast<size_t>(n);
}

size_t Fd::read(std::span<std::byte> buf)
{
	std::error_code ec;
	size_t n = read(buf, ec);
	if (ec)
		fail(ec.value(), "read");
	return n;
}

size_t Fd::write(std::span<const std::byte> buf, std::error_code &ec) noexcept
{
	ec.clear();
	ssize_t n;
	do
		n = ::write(fd_, buf.data(), buf.size());
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ec = errno_code(errno);
		return 0;
	}
	return static_cast<size_t>(n);
}

size_t Fd::write(std::span<const std::byte> buf)
{
	std::error_code ec;
	size_t n = write(buf, ec);
	if (ec)
		fail(ec.value(), "write");
	return n;
}

std::string Fd::read_to_end(size_t chunk, size_t limit)
{
	std::string out;
	std::vector<std::byte> buf(chunk ? chunk : 1);
	for (;;) {
		size_t n = read(buf);
		if (n == 0)
			return out;
		if (n > buf.size())	// a broken read(2) shim; never trust it
			throw ProtocolError("read " + path_ + " returned more than asked");
		out.append(reinterpret_cast<const char *>(buf.data()), n);
		if (out.size() > limit)
			throw ProtocolError("read " + path_ + ": no end of file after " +
					    std::to_string(limit) + " bytes");
	}
}

int Fd::ioctl(unsigned long cmd, void *arg, std::error_code &ec) noexcept
{
	ec.clear();
	int r;
	do
		r = ::ioctl(fd_, cmd, arg);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		ec = errno_code(errno);
	return r;
}

int Fd::ioctl(unsigned long cmd, void *arg)
{
	std::error_code ec;
	int r = ioctl(cmd, arg, ec);
	if (ec)
		fail(ec.value(), "ioctl");
	return r;
}

off_t Fd::lseek(off_t off, int whence, std::error_code &ec) noexcept
{
	ec.clear();
	off_t r = ::lseek(fd_, off, whence);
	if (r < 0)
		ec = errno_code(errno);
	return r;
}

off_t Fd::lseek(off_t off, int whence)
{
	std::error_code ec;
	off_t r = lseek(off, whence, ec);
	if (ec)
		fail(ec.value(), "lseek");
	return r;
}

std::string read_file(const std::string &path)
{
	Fd f = Fd::open(path, O_RDONLY);
	return f.read_to_end();
}

size_t write_file_once(const std::string &path, std::string_view data,
		       std::error_code &ec) noexcept
{
	Fd f = Fd::open(path, O_WRONLY, ec);
	if (ec)
		return 0;
	size_t n = f.write(bytes_of(data), ec);
	f.close_quietly();
	return n;
}

size_t write_file_once(const std::string &path, std::string_view data)
{
	std::error_code ec;
	size_t n = write_file_once(path, data, ec);
	if (ec)
		throw_code(ec, "write " + path);
	return n;
}

}  // namespace mlc::agent

// SPDX-License-Identifier: GPL-2.0
// The SDK's file descriptor on real kernel objects (a pipe, a file): short
// reads are returned as they come, errors carry the errno, nothing is read
// past the buffer.  (The device clients are tested on a FUSE mount.)
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "agent/fd.hpp"

using namespace mlc::agent;

TEST(AgentRoot, Paths)
{
	EXPECT_EQ(Root("/").path("dev/mlcore"), "/dev/mlcore");
	EXPECT_EQ(Root("").path("dev/mlcore"), "/dev/mlcore");
	EXPECT_EQ(Root("/tmp/ml").path("dev/mlcore"), "/tmp/ml/dev/mlcore");
	EXPECT_EQ(Root("/tmp/ml/").path("/proc/mlcore_train"), "/tmp/ml/proc/mlcore_train");
}

TEST(AgentFd, ShortReadsFromAPipe)
{
	int p[2];
	ASSERT_EQ(pipe(p), 0);
	Fd r(p[0]), w(p[1]);
	ASSERT_EQ(w.write(bytes_of("abc")), 3u);
	std::byte buf[8];
	EXPECT_EQ(r.read(buf), 3u);	// short: what the pipe had
	EXPECT_EQ(w.write(bytes_of("0123456789")), 10u);
	EXPECT_EQ(r.read(std::span(buf, 4)), 4u);	// never past the span
	EXPECT_EQ(r.read(buf), 6u);
	w.close();
	EXPECT_EQ(r.read(buf), 0u);
}

TEST(AgentFd, ReadToEndInSmallChunks)
{
	int p[2];
	ASSERT_EQ(pipe(p), 0);
	Fd r(p[0]), w(p[1]);
	w.write(bytes_of("line one\nline two\n"));
	w.close();
	EXPECT_EQ(r.read_to_end(5), "line one\nline two\n");
}

TEST(AgentFd, ReadToEndHasALimit)
{
	Fd z = Fd::open("/dev/zero", O_RDONLY);
	EXPECT_THROW(z.read_to_end(4096, 1 << 16), ProtocolError);
}

TEST(AgentFd, ErrorsCarryTheErrno)
{
	try {
		Fd::open("/nonexistent/mlcore", O_RDWR);
		FAIL() << "opened";
	} catch (const SysError &e) {
		EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
		EXPECT_NE(std::string(e.what()).find("/nonexistent/mlcore"), std::string::npos);
	}
	std::error_code ec;
	Fd f = Fd::open("/nonexistent/mlcore", O_RDWR, ec);
	EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
	EXPECT_FALSE(f);

	int p[2];
	ASSERT_EQ(pipe(p), 0);
	Fd r(p[0]), w(p[1]);
	std::byte b[1];
	EXPECT_EQ(r.lseek(0, SEEK_SET, ec), -1);
	EXPECT_EQ(ec, std::errc::invalid_seek);
	EXPECT_THROW(r.write(bytes_of("x")), SysError);	// EBADF: read end
	w.write(bytes_of("x"), ec);
	EXPECT_FALSE(ec);
	int n = 0;
	EXPECT_EQ(r.ioctl(0x5401 /* TCGETS */, &n, ec), -1);
	EXPECT_EQ(ec, std::errc::inappropriate_io_control_operation);
	EXPECT_EQ(r.read(b), 1u);
}

TEST(AgentFd, FilesOnce)
{
	char tmpl[] = "/tmp/mlc-agent-fd.XXXXXX";
	int fd = mkstemp(tmpl);
	ASSERT_GE(fd, 0);
	close(fd);
	EXPECT_EQ(write_file_once(tmpl, "start"), 5u);
	EXPECT_EQ(read_file(tmpl), "start");
	std::error_code ec;
	write_file_once("/nonexistent/x", "start", ec);
	EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
	unlink(tmpl);
}

TEST(AgentFd, MovesAndCloses)
{
	Fd a = Fd::open("/dev/null", O_RDONLY);
	int raw = a.get();
	Fd b = std::move(a);
	EXPECT_FALSE(a.valid());
	EXPECT_EQ(b.get(), raw);
	EXPECT_EQ(b.path(), "/dev/null");
	b.close();
	EXPECT_FALSE(b.valid());
	EXPECT_EQ(fcntl(raw, F_GETFD), -1);
}

// SPDX-License-Identifier: GPL-2.0
//
// Unit tests of the preload door's parts: the core's VFS answers it relies
// on (src/core/vfs_model.h: the VFS's own ioctls, open/access/mmap/lseek
// checks), the fault-guarded copies (safe_memory.hpp) and the registry of
// open file descriptions (registry.hpp), and the kernel's path walk the
// door resolves paths by (src/emulator/path_walk.hpp).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

extern "C" {
#include "core/vfs_model.h"
}
#include "emulator/path_walk.hpp"
#include "preload/registry.hpp"
#include "preload/safe_memory.hpp"

namespace {

using mlc::preload::Registry;
using mlc::preload::SafeMemory;

constexpr unsigned kFIONREAD = 0x541B, kFIONBIO = 0x5421, kFIONCLEX = 0x5450,
		   kFIOCLEX = 0x5451, kFIOASYNC = 0x5452, kFIOQSIZE = 0x5460;

long vfs_ioctl(unsigned cmd, const void *arg, bool regular, int64_t pos,
	       unsigned *flags)
{
	SafeMemory mem;
	mlc_host host;
	host.user = &mem;
	return mlc_vfs_ioctl(&host, cmd, reinterpret_cast<mlc_uptr>(arg), regular, pos,
			     flags);
}

TEST(PreloadVfs, WhichIoctlsTheVfsAnswers)
{
	for (bool regular : {false, true}) {
		EXPECT_TRUE(mlc_vfs_ioctl_is_vfs(kFIOCLEX, regular));
		EXPECT_TRUE(mlc_vfs_ioctl_is_vfs(kFIONCLEX, regular));
		EXPECT_TRUE(mlc_vfs_ioctl_is_vfs(kFIONBIO, regular));
		EXPECT_TRUE(mlc_vfs_ioctl_is_vfs(kFIOASYNC, regular));
		EXPECT_EQ(mlc_vfs_ioctl_is_vfs(kFIONREAD, regular), regular);
		EXPECT_EQ(mlc_vfs_ioctl_is_vfs(kFIOQSIZE, regular), regular);
		EXPECT_FALSE(mlc_vfs_ioctl_is_vfs(0x80086802, regular));	// GET_RESULT
		EXPECT_FALSE(mlc_vfs_ioctl_is_vfs(0x6800, regular));
	}
}

TEST(PreloadVfs, CloexecAndNonblock)
{
	unsigned flags = 0;
	EXPECT_EQ(vfs_ioctl(kFIOCLEX, nullptr, false, 0, &flags), 0);	// arg unread
	EXPECT_EQ(flags, MLC_VFS_FD_CLOEXEC);
	EXPECT_EQ(vfs_ioctl(kFIONCLEX, nullptr, false, 0, &flags), 0);
	EXPECT_EQ(flags, 0u);
	int on = 7, off = 0;
	EXPECT_EQ(vfs_ioctl(kFIONBIO, &on, false, 0, &flags), 0);
	EXPECT_EQ(flags, MLC_VFS_O_NONBLOCK);
	EXPECT_EQ(vfs_ioctl(kFIONBIO, &off, false, 0, &flags), 0);
	EXPECT_EQ(flags, 0u);
	EXPECT_EQ(vfs_ioctl(kFIONBIO, nullptr, false, 0, &flags), -EFAULT);
	EXPECT_EQ(vfs_ioctl(kFIONBIO, reinterpret_cast<void *>(16), false, 0, &flags),
		  -EFAULT);
}

TEST(PreloadVfs, FioasyncWithoutAFasyncHandler)
{
	unsigned flags = 0;
	int on = 1, off = 0;
	EXPECT_EQ(vfs_ioctl(kFIOASYNC, &on, false, 0, &flags), -ENOTTY);
	EXPECT_EQ(flags, 0u);		// O_ASYNC stays clear
	EXPECT_EQ(vfs_ioctl(kFIOASYNC, &off, false, 0, &flags), 0);
	// Set by F_SETFL (no fasync to refuse it), it cannot be cleared here.
	flags = MLC_VFS_O_ASYNC;
	EXPECT_EQ(vfs_ioctl(kFIOASYNC, &off, false, 0, &flags), -ENOTTY);
	EXPECT_EQ(vfs_ioctl(kFIOASYNC, &on, false, 0, &flags), 0);
	EXPECT_EQ(flags, MLC_VFS_O_ASYNC);
	EXPECT_EQ(vfs_ioctl(kFIOASYNC, nullptr, false, 0, &flags), -EFAULT);
}

TEST(PreloadVfs, FionreadAndFioqsizeOnARegularFile)
{
	unsigned flags = 0;
	int n = 99;
	EXPECT_EQ(vfs_ioctl(kFIONREAD, &n, true, 7, &flags), 0);
	EXPECT_EQ(n, -7);		// i_size 0 - f_pos
	int64_t q = -1;
	EXPECT_EQ(vfs_ioctl(kFIOQSIZE, &q, true, 0, &flags), 0);
	EXPECT_EQ(q, 0);
	EXPECT_EQ(vfs_ioctl(kFIONREAD, nullptr, true, 0, &flags), -EFAULT);
}

TEST(PreloadVfs, OpenOfAnExistingNode)
{
	const unsigned chr = MLC_S_IFCHR | 0666, reg = MLC_S_IFREG | 0444,
		       dir = MLC_S_IFDIR | 0755;
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDWR, chr), 0);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDWR | O_CREAT, chr), 0);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDWR | O_CREAT | O_EXCL, chr), -EEXIST);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDONLY | O_DIRECTORY, reg), -ENOTDIR);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDONLY | O_DIRECTORY, dir), 0);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDONLY, dir), 0);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_WRONLY, dir), -EISDIR);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDWR, dir), -EISDIR);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDONLY | O_CREAT, dir), -EISDIR);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDWR | O_DIRECT, chr), -EINVAL);
	EXPECT_EQ(mlc_vfs_open_existing_check(O_RDONLY | O_DIRECT, reg), -EINVAL);
}

TEST(PreloadVfs, AccessOfARootOwnedNode)
{
	const unsigned chr = MLC_S_IFCHR | 0666, reg = MLC_S_IFREG | 0444,
		       ctl = MLC_S_IFREG | 0220, dir = MLC_S_IFDIR | 0755;
	// root: read and write anything, execute only with an x bit (or a dir).
	EXPECT_EQ(mlc_vfs_access(reg, MLC_R_OK | MLC_W_OK, true, true), 0);
	EXPECT_EQ(mlc_vfs_access(ctl, MLC_R_OK, true, true), 0);
	EXPECT_EQ(mlc_vfs_access(chr, MLC_X_OK, true, true), -EACCES);
	EXPECT_EQ(mlc_vfs_access(dir, MLC_X_OK, true, true), 0);
	// others: the other bits; the root group: the group bits.
	EXPECT_EQ(mlc_vfs_access(chr, MLC_R_OK | MLC_W_OK, false, false), 0);
	EXPECT_EQ(mlc_vfs_access(reg, MLC_W_OK, false, false), -EACCES);
	EXPECT_EQ(mlc_vfs_access(ctl, MLC_W_OK, false, false), -EACCES);
	EXPECT_EQ(mlc_vfs_access(ctl, MLC_W_OK, false, true), 0);
	EXPECT_EQ(mlc_vfs_access(dir, MLC_R_OK | MLC_X_OK, false, false), 0);
}

TEST(PreloadVfs, PositionalLseekMmapChecks)
{
	EXPECT_EQ(mlc_vfs_positional_check(-1), -EINVAL);
	EXPECT_EQ(mlc_vfs_positional_check(0), 0);
	for (int w = 0; w <= 4; w++)
		EXPECT_EQ(mlc_vfs_lseek_whence_check(w), 0);
	EXPECT_EQ(mlc_vfs_lseek_whence_check(5), -EINVAL);
	EXPECT_EQ(mlc_vfs_lseek_whence_check(-1), -EINVAL);
	const unsigned rw = MLC_FMODE_READ | MLC_FMODE_WRITE;
	EXPECT_EQ(mlc_vfs_mmap_check(rw, true, true, 4096), 0);
	EXPECT_EQ(mlc_vfs_mmap_check(rw, true, true, 0), -EINVAL);
	EXPECT_EQ(mlc_vfs_mmap_check(MLC_FMODE_READ, true, true, 4096), -EACCES);
	EXPECT_EQ(mlc_vfs_mmap_check(MLC_FMODE_READ, false, true, 4096), 0);
	EXPECT_EQ(mlc_vfs_mmap_check(MLC_FMODE_WRITE, false, false, 4096), -EACCES);
}

TEST(PreloadVfs, GetflKeepsWhatTheVfsKeeps)
{
	// Checked against /dev/null on Linux 6.x, x86_64.  (glibc's
	// O_LARGEFILE is 0 on 64-bit; the kernel's bit is 0100000.)
	constexpr int kLargefile = 0100000;
	EXPECT_EQ(mlc_vfs_getfl(O_RDONLY | O_CLOEXEC, 0), kLargefile);
	EXPECT_EQ(mlc_vfs_getfl(O_WRONLY | O_TRUNC | O_CREAT | O_EXCL | O_NOCTTY, 0),
		  kLargefile | O_WRONLY);
	EXPECT_EQ(mlc_vfs_getfl(O_RDONLY | O_NOFOLLOW | O_SYNC, 0),
		  kLargefile | O_NOFOLLOW | O_SYNC);
	EXPECT_EQ(mlc_vfs_getfl(O_RDWR | O_NONBLOCK, O_APPEND),	// F_SETFL since
		  kLargefile | O_RDWR | O_APPEND);
	EXPECT_EQ(mlc_vfs_getfl(O_PATH | O_CLOEXEC | O_NOFOLLOW, kLargefile),
		  O_PATH | O_NOFOLLOW);
	EXPECT_EQ(mlc_vfs_getfl(O_RDONLY | O_DIRECTORY, 0), kLargefile | O_DIRECTORY);
}

// --- fault-guarded copies ------------------------------------------------------

struct EdgePages {
	unsigned char *p;
	EdgePages()
	{
		p = static_cast<unsigned char *>(mmap(nullptr, 8192, PROT_READ | PROT_WRITE,
						      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
		mprotect(p + 4096, 4096, PROT_NONE);
	}
	~EdgePages() { munmap(p, 8192); }
	mlc_uptr at(size_t off) const { return reinterpret_cast<mlc_uptr>(p + off); }
};

TEST(PreloadVfs, DirectoryAndOPathDescriptions)
{
	EXPECT_TRUE(mlc_vfs_fd_has_file(O_RDONLY | O_DIRECTORY));
	EXPECT_FALSE(mlc_vfs_fd_has_file(O_PATH));
	EXPECT_FALSE(mlc_vfs_fd_has_file(O_PATH | O_DIRECTORY | O_NOFOLLOW));
	EXPECT_EQ(mlc_vfs_path_fd_op(), -EBADF);
	EXPECT_EQ(mlc_vfs_path_fd_poll_mask(), 0x20u); // POLLNVAL
	EXPECT_EQ(mlc_vfs_dir_read(), -EISDIR);
	// Measured on the host's /sys/class, /sys/kernel, /proc/self (6.18).
	EXPECT_EQ(mlc_vfs_dir_write(), -EBADF);
	EXPECT_EQ(mlc_vfs_dir_readv(0), 0);
	EXPECT_EQ(mlc_vfs_dir_readv(4), -EISDIR);
	int64_t pos = 0;
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 0, SEEK_SET), 0);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 1, SEEK_SET), 1);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 0, SEEK_CUR), 1);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 5, SEEK_CUR), 6);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, -100, SEEK_CUR), -EINVAL);
	EXPECT_EQ(pos, 6);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, -1, SEEK_SET), -EINVAL);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 0x7fffffff, SEEK_SET), 0x7fffffff);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 0x80000000LL, SEEK_SET), -EINVAL);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 5, SEEK_END), 5);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, -1, SEEK_END), -EINVAL);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 0, SEEK_DATA), -ENXIO);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, -1, SEEK_HOLE), -ENXIO);
	EXPECT_EQ(mlc_vfs_dir_llseek(&pos, 0, 7), -EINVAL);
	EXPECT_EQ(pos, 5);
	EXPECT_FALSE(mlc_vfs_dir_ioctl_is_vfs(0x541B)); // FIONREAD
	EXPECT_TRUE(mlc_vfs_dir_ioctl_is_vfs(0x5460)); // FIOQSIZE
	EXPECT_TRUE(mlc_vfs_dir_ioctl_is_vfs(0x5451)); // FIOCLEX
}

TEST(PreloadVfs, CopiesLocksXattrsReadlink)
{
	const unsigned chr = MLC_S_IFCHR | 0666, reg = MLC_S_IFREG | 0444,
		       dir = MLC_S_IFDIR | 0755;
	auto cfr = [](unsigned in_mode, int in_fl, unsigned out_mode,
		      int out_fl, unsigned flags = 0) {
		mlc_cfr_side a = { in_mode, in_fl }, b = { out_mode, out_fl };
		return mlc_vfs_copy_file_range_served(&a, &b, flags);
	};
	EXPECT_EQ(cfr(reg, O_RDONLY, reg, O_WRONLY), -EXDEV);
	EXPECT_EQ(cfr(reg, O_RDWR, reg, O_RDWR), -EXDEV);
	EXPECT_EQ(cfr(reg, O_RDONLY, reg, O_WRONLY, 1), -EINVAL);
	EXPECT_EQ(cfr(reg, O_WRONLY, reg, O_RDONLY), -EBADF);
	EXPECT_EQ(cfr(reg, O_RDONLY, reg, O_WRONLY | O_APPEND), -EBADF);
	EXPECT_EQ(cfr(chr, O_RDWR, reg, O_WRONLY), -EINVAL);
	EXPECT_EQ(cfr(reg, O_RDONLY, dir, O_RDONLY), -EISDIR);
	EXPECT_EQ(cfr(dir, O_RDONLY, chr, O_RDWR), -EISDIR);
	EXPECT_EQ(cfr(reg, O_PATH, reg, O_WRONLY), -EBADF);
	EXPECT_EQ(cfr(dir, O_RDONLY, reg, O_PATH, 1), -EBADF);
	EXPECT_EQ(mlc_vfs_splice_no_handler(), -EINVAL);
	for (int cmd : { F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK,
			 F_OFD_SETLKW })
		EXPECT_TRUE(mlc_vfs_is_lock_cmd(cmd)) << cmd;
	for (int cmd : { F_GETFL, F_SETFL, F_GETFD, F_DUPFD, F_SETOWN })
		EXPECT_FALSE(mlc_vfs_is_lock_cmd(cmd)) << cmd;
	SafeMemory mem;
	mlc_host host{};
	host.user = &mem;
	struct flock fl = {};
	fl.l_type = F_WRLCK;
	fl.l_start = 7;
	auto arg = reinterpret_cast<mlc_uptr>(&fl);
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDWR, F_SETLK, arg), 0);
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDONLY, F_SETLK, arg), -EBADF);
	EXPECT_EQ(mlc_vfs_lock(&host, O_PATH, F_SETLK, arg), -EBADF);
	EXPECT_EQ(mlc_vfs_lock(&host, O_PATH, F_GETLK, 8), -EBADF);
	EXPECT_EQ(fl.l_type, F_WRLCK);
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDONLY, F_GETLK, arg), 0);
	EXPECT_EQ(fl.l_type, F_UNLCK);
	EXPECT_EQ(fl.l_start, 7);
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDONLY, F_GETLK, arg), -EINVAL);
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDONLY, F_SETLK, arg), 0); // F_UNLCK
	fl.l_type = F_RDLCK;
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDONLY, F_SETLK, arg), 0);
	EXPECT_EQ(mlc_vfs_lock(&host, O_WRONLY, F_SETLK, arg), -EBADF);
	fl.l_type = 7;
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDWR, F_SETLK, arg), -EINVAL);
	EXPECT_EQ(mlc_vfs_lock(&host, O_RDONLY, F_GETLK, 8), -EFAULT);
	EXPECT_EQ(mlc_vfs_flock(O_RDONLY, LOCK_EX | LOCK_NB), 0);
	EXPECT_EQ(mlc_vfs_flock(O_PATH, LOCK_EX), -EBADF);
	EXPECT_EQ(mlc_vfs_flock(O_PATH, 0), -EINVAL);
	EXPECT_EQ(mlc_vfs_getxattr_none(), -ENODATA);
	EXPECT_EQ(mlc_vfs_listxattr_none(), 0);
	EXPECT_EQ(mlc_vfs_setxattr_none(), -ENOTSUP);
	EXPECT_EQ(mlc_vfs_readlink_not_symlink(), -EINVAL);
	EXPECT_EQ(mlc_vfs_faccessat(reg, 8, true, true), -EINVAL);
	EXPECT_EQ(mlc_vfs_faccessat(reg, F_OK, false, false), 0);
	EXPECT_EQ(mlc_vfs_faccessat(reg, W_OK, false, false), -EACCES);
	EXPECT_EQ(mlc_vfs_faccessat(reg, R_OK, false, false), 0);
}

TEST(PreloadSafeMemory, CopiesAndFaults)
{
	SafeMemory mem;
	EdgePages e;
	int v = 0x11223344, out = 0;
	EXPECT_EQ(mem.copy_to(e.at(100), &v, 4), 0u);
	EXPECT_EQ(mem.copy_from(&out, e.at(100), 4), 0u);
	EXPECT_EQ(out, v);
	EXPECT_EQ(mem.copy_to(0, &v, 4), 4u);		// NULL
	EXPECT_EQ(mem.copy_to(16, &v, 4), 4u);		// (void *)16
	EXPECT_EQ(mem.copy_to(e.at(4096), &v, 4), 4u);	// PROT_NONE
	EXPECT_EQ(mem.copy_to(0xffff800000000000ULL, &v, 4), 4u);
	// A partial copy at the edge: the accessible prefix is written.
	std::memset(e.p + 4090, 0, 6);
	unsigned char src[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	EXPECT_EQ(mem.copy_to(e.at(4090), src, 10), 4u);
	EXPECT_EQ(std::memcmp(e.p + 4090, src, 6), 0);
	// copy_from zero-fills what it could not read.
	unsigned char dst[10];
	std::memset(dst, 0xAA, sizeof(dst));
	EXPECT_EQ(mem.copy_from(dst, e.at(4090), 10), 4u);
	EXPECT_EQ(std::memcmp(dst, src, 6), 0);
	for (int i = 6; i < 10; i++)
		EXPECT_EQ(dst[i], 0);
	// The guard stays armed for the next copy and off afterwards.
	EXPECT_EQ(mem.copy_from(&out, e.at(4096), 4), 4u);
	EXPECT_EQ(mem.copy_from(&out, e.at(0), 4), 0u);
}

// --- the registry of open file descriptions -------------------------------------

class PreloadRegistry : public ::testing::Test {
protected:
	void SetUp() override
	{
		char tmpl[] = "/tmp/mlc-preload-unit-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir_ = tmpl;
		reg_ = Registry::open(dir_ / "open-files.v1");
		ASSERT_NE(reg_, nullptr) << strerror(errno);
	}
	void TearDown() override
	{
		reg_.reset();
		std::filesystem::remove_all(dir_);
	}
	std::filesystem::path dir_;
	std::unique_ptr<Registry> reg_;
};

TEST_F(PreloadRegistry, APlaceholderNamesItsSlotAndHoldsIt)
{
	int slot = reg_->allocate();
	ASSERT_GE(slot, 0);
	int fd = reg_->open_placeholder(slot, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(fd, 0) << strerror(-fd);
	reg_->publish(slot);
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_TRUE(fcntl(fd, F_GETFL) & O_NONBLOCK);
	struct stat st;
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_TRUE(reg_->is_placeholder(st.st_dev, st.st_ino));
	uint32_t s;
	uint64_t gen;
	ASSERT_TRUE(Registry::decode(lseek(fd, 0, SEEK_CUR), &s, &gen));
	EXPECT_EQ(s, static_cast<uint32_t>(slot));
	EXPECT_EQ(gen, reg_->slot(slot).gen);

	// Held while any descriptor of the description exists, dup included.
	int copy = dup(fd);
	close(fd);
	EXPECT_FALSE(reg_->claim_if_gone(slot, gen));
	close(copy);
	EXPECT_FALSE(reg_->claim_if_gone(slot, gen + 1));	// another generation
	EXPECT_TRUE(reg_->claim_if_gone(slot, gen));
	EXPECT_FALSE(reg_->claim_if_gone(slot, gen));		// claimed once
	reg_->free_slot(slot);
	EXPECT_EQ(reg_->allocate(), slot);			// reused
	EXPECT_EQ(reg_->slot(slot).gen, gen + 1);
}

TEST_F(PreloadRegistry, ClaimAllGoneFindsDescriptionsWhoseHoldersDied)
{
	int a = reg_->allocate(), b = reg_->allocate();
	int fa = reg_->open_placeholder(a, 0), fb = reg_->open_placeholder(b, 0);
	reg_->publish(a);
	reg_->publish(b);
	pid_t pid = fork();
	if (pid == 0) {	// the child inherits both, then dies holding them
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	close(fa);
	auto gone = reg_->claim_all_gone();
	ASSERT_EQ(gone.size(), 1u);
	EXPECT_EQ(gone[0], static_cast<uint32_t>(a));
	EXPECT_EQ(reg_->slot(a).state, mlc::preload::kSlotReleasing);
	EXPECT_EQ(reg_->slot(b).state, mlc::preload::kSlotLive);
	close(fb);
}

TEST_F(PreloadRegistry, ASecondOpenSharesTheFile)
{
	auto other = Registry::open(dir_ / "open-files.v1");
	ASSERT_NE(other, nullptr);
	int slot = reg_->allocate();
	int fd = reg_->open_placeholder(slot, 0);
	reg_->publish(slot);
	EXPECT_EQ(other->slot(slot).state, mlc::preload::kSlotLive);
	EXPECT_FALSE(other->claim_if_gone(slot, reg_->slot(slot).gen));
	close(fd);
	EXPECT_TRUE(other->claim_if_gone(slot, reg_->slot(slot).gen));
}

}  // namespace

// --- the kernel's path walk over the table and a host (path_walk.hpp) ------

namespace {

using mlc::FileTable;
using mlc::WalkResult;

// A host of a few directories, files and symlinks, counting its lstats.
class FakeHost : public mlc::HostFs {
public:
	std::map<std::string, mode_t> modes{
		{"/", S_IFDIR}, {"/dev", S_IFDIR}, {"/proc", S_IFDIR},
		{"/proc/version", S_IFREG}, {"/proc/42", S_IFDIR},
		{"/proc/42/fd", S_IFDIR}, {"/sys", S_IFDIR}, {"/sys/class", S_IFDIR},
		{"/sys/kernel", S_IFDIR}, {"/tmp", S_IFDIR}, {"/tmp/f", S_IFREG}};
	std::map<std::string, std::string> links{
		{"/proc/self", "42"}, {"/proc/42/root", "/"}, {"/tmp/r", "/proc/mlcore_result"},
		{"/tmp/rel", "../proc/mlcore_result"}, {"/tmp/two", "r"},
		{"/tmp/sys", "/sys/class/ml_lib_test/mllibdev"}, {"/tmp/a", "b"}, {"/tmp/b", "a"},
		{"/tmp/fd", "/proc/self/fd/7"}};
	int lstats = 0;

	int lstat_mode(const std::string &abs, mode_t *mode) override
	{
		lstats++;
		if (links.count(abs)) {
			*mode = S_IFLNK | 0777;
			return 0;
		}
		auto it = modes.find(abs);
		if (it == modes.end())
			return -ENOENT;
		*mode = it->second;
		return 0;
	}
	int readlink(const std::string &abs, std::string *target) override
	{
		auto it = links.find(abs);
		if (it == links.end())
			return -EINVAL;
		*target = it->second;
		return 0;
	}
	std::optional<FileTable::Ino> magic_link(const std::string &abs) override
	{
		if (abs == "/proc/42/fd/7")	// a served /dev/mlcore
			return FileTable::standard().resolve("dev/mlcore");
		return std::nullopt;
	}
};

WalkResult walk(FakeHost &host, std::string_view path, bool follow = true,
		std::string_view cwd = "/")
{
	mlc::WalkOptions o;
	o.follow_last = follow;
	return mlc::walk_path(FileTable::standard(), host, cwd, path, o);
}

FileTable::Ino ino_of(const char *rel)
{
	return FileTable::standard().resolve(rel).value();
}

}  // namespace

TEST(PreloadPathWalk, ServedPathsNeedNoHostCall)
{
	FakeHost host;
	WalkResult r = walk(host, "//proc///mlcore_result");
	EXPECT_EQ(r.kind, WalkResult::Served);
	EXPECT_EQ(r.ino, ino_of("proc/mlcore_result"));
	EXPECT_EQ(walk(host, "/../dev/./mlcore").ino, ino_of("dev/mlcore"));
	EXPECT_EQ(walk(host, "mlcore_train", true, "/proc").ino, ino_of("proc/mlcore_train"));
	EXPECT_EQ(host.lstats, 0);
}

TEST(PreloadPathWalk, AfterANonDirectoryIsEnotdir)
{
	FakeHost host;
	for (const char *p : {"/proc/mlcore_result/../mlcore_train", "/dev/mlcore/x",
			      "/proc/mlcore_result/", "/proc/mlcore_result/.",
			      "/sys/class/ml_lib_test/mllibdev/ml_model1/control/..",
			      "/proc/version/..", "/tmp/r/x"}) {
		WalkResult r = walk(host, p);
		EXPECT_EQ(r.kind, WalkResult::Error) << p;
		EXPECT_EQ(r.err, -ENOTDIR) << p;
	}
}

TEST(PreloadPathWalk, DotDotFromAServedDirectory)
{
	FakeHost host;
	WalkResult r = walk(host, "/sys/class/ml_lib_test/mllibdev/..");
	EXPECT_EQ(r.kind, WalkResult::Served);
	EXPECT_EQ(r.ino, ino_of("sys/class/ml_lib_test"));
	EXPECT_TRUE(r.crossed);
	r = walk(host, "/sys/class/ml_lib_test/../../../proc/version");
	EXPECT_EQ(r.kind, WalkResult::Host);
	EXPECT_TRUE(r.crossed);	// the host cannot walk it as written
	EXPECT_EQ(r.host_path, "/proc/version");
	r = walk(host, "/sys/class/ml_lib_test/../../../tmp/new");
	EXPECT_EQ(r.host_path, "/tmp/new");	// a missing last name: the host's
	r = walk(host, "/sys/class/ml_lib_test/../../../nope/new");
	EXPECT_EQ(r.kind, WalkResult::Error);
	EXPECT_EQ(r.err, -ENOENT);
	r = walk(host, "/proc/version");
	EXPECT_EQ(r.kind, WalkResult::Host);
	EXPECT_FALSE(r.crossed);
}

TEST(PreloadPathWalk, SymlinksAreFollowedAsTheKernelDoes)
{
	FakeHost host;
	for (const char *p : {"/tmp/r", "/tmp/rel", "/tmp/two", "/proc/self/root/proc/mlcore_result",
			      "/tmp/sys/../../../../proc/mlcore_result"})
		EXPECT_EQ(walk(host, p).ino, ino_of("proc/mlcore_result")) << p;
	WalkResult r = walk(host, "/tmp/r", false);	// lstat: the link itself
	EXPECT_EQ(r.kind, WalkResult::Host);
	EXPECT_EQ(r.host_path, "/tmp/r");
	r = walk(host, "/tmp/r/", false);	// a trailing slash follows
	EXPECT_EQ(r.kind, WalkResult::Error);
	EXPECT_EQ(r.err, -ENOTDIR);
	EXPECT_EQ(walk(host, "/tmp/sys/ml_model1/control").ino,
		  ino_of("sys/class/ml_lib_test/mllibdev/ml_model1/control"));
	EXPECT_EQ(walk(host, "/tmp/a").err, -ELOOP);
	EXPECT_EQ(walk(host, "/tmp/a/mlcore_result").err, -ELOOP);
}

TEST(PreloadPathWalk, FortyLinksAndNotFortyOne)
{
	for (int n : {40, 41}) {
		FakeHost host;
		std::string target = "/proc/mlcore_result";
		for (int i = 0; i < n; i++) {
			std::string name = "/tmp/c" + std::to_string(i);
			host.links[name] = target;
			target = name;
		}
		WalkResult r = walk(host, target);
		if (n == 40)
			EXPECT_EQ(r.ino, ino_of("proc/mlcore_result"));
		else
			EXPECT_EQ(r.err, -ELOOP);
	}
}

TEST(PreloadPathWalk, MagicFdLinksJumpToTheServedNode)
{
	FakeHost host;
	EXPECT_EQ(walk(host, "/proc/self/fd/7").ino, ino_of("dev/mlcore"));
	EXPECT_EQ(walk(host, "/tmp/fd").ino, ino_of("dev/mlcore"));
	EXPECT_EQ(walk(host, "/proc/self/fd/7/..").err, -ENOTDIR);
	WalkResult r = walk(host, "/proc/self/fd/7", false);
	EXPECT_EQ(r.kind, WalkResult::Host);	// readlink/lstat: the link
}

TEST(PreloadPathWalk, PathMaxAndEmpty)
{
	FakeHost host;
	std::string p = "/proc";
	while (p.size() < 4100)
		p += "/.";
	EXPECT_EQ(walk(host, p + "/mlcore_result").err, -ENAMETOOLONG);
	EXPECT_EQ(walk(host, std::string(4095, '/')).kind, WalkResult::Served);
	EXPECT_EQ(walk(host, "").err, -ENOENT);
}

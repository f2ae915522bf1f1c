// SPDX-License-Identifier: GPL-2.0
//
// What each device declares it copies for an ioctl (what the CUSE door asks
// the kernel to fetch) is exactly what its ioctl really copies: with a
// region of exactly that size the call succeeds and writes `out` bytes, one
// byte fewer faults.  A drift between the two would make CUSE differ.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/instance.hpp"
#include "platform/user/region_memory.hpp"

extern "C" {
#include "core/mlc_ioctl_copy.h"
}

namespace {

constexpr mlc_uptr kArg = 0x20000;

struct Case {
	const char *name;
	unsigned int cmd;
	int (*copy)(unsigned int, mlc_ioctl_copy *);
	long (*call)(mlc::Device &, unsigned int, mlc_uptr, mlc::UserMemory &);
};

long mlcore(mlc::Device &d, unsigned c, mlc_uptr a, mlc::UserMemory &m) { return d.mlcore_ioctl(c, a, m); }
long mllib(mlc::Device &d, unsigned c, mlc_uptr a, mlc::UserMemory &m) { return d.mllib_ioctl(c, a, m); }
long mlloop(mlc::Device &d, unsigned c, mlc_uptr a, mlc::UserMemory &m) { return d.mlloop_ioctl(c, a, m); }

const Case kCases[] = {
	{"SEND_INTS", IOCTL_SEND_INTS, mlcore_ioctl_copy, mlcore},
	{"SET_RESULT", IOCTL_SET_RESULT, mlcore_ioctl_copy, mlcore},
	{"GET_RESULT", IOCTL_GET_RESULT, mlcore_ioctl_copy, mlcore},
	{"ADD_TRAINING", IOCTL_ADD_TRAINING, mlcore_ioctl_copy, mlcore},
	{"CLEAR_TRAINING", IOCTL_CLEAR_TRAINING, mlcore_ioctl_copy, mlcore},
	{"IOCRESET", ML_LIB_TEST_IOCRESET, ml_lib_test_dev_ioctl_copy, mllib},
	{"IOCGETSIZE", ML_LIB_TEST_IOCGETSIZE, ml_lib_test_dev_ioctl_copy, mllib},
	{"IOCSETSIZE", ML_LIB_TEST_IOCSETSIZE, ml_lib_test_dev_ioctl_copy, mllib},
	{"IOCPENDING", ML_LOOP_IOCPENDING, ml_loop_dev_ioctl_copy, mlloop},
};

class IoctlCopy : public ::testing::Test {
protected:
	void SetUp() override
	{
		state_ = std::filesystem::temp_directory_path() /
			 ("mlc-ioctl-copy-" + std::to_string(getpid()));
		std::filesystem::create_directories(state_);
		setenv("MLCORE_EMU_STATE_DIR", state_.c_str(), 1);
		name_ = "ioctl-copy-" + std::to_string(getpid());
		mlc::Instance::remove(name_);
		inst_ = mlc::Instance::open_or_create(name_, {mlc::ClockSpec{true, 0}, 1});
	}
	void TearDown() override
	{
		inst_.reset();
		mlc::Instance::remove(name_);
		std::filesystem::remove_all(state_);
	}

	std::filesystem::path state_;
	std::string name_;
	std::unique_ptr<mlc::Instance> inst_;
};

TEST_F(IoctlCopy, DeclaredLengthsAreWhatTheDevicesCopy)
{
	for (const Case &c : kCases) {
		mlc_ioctl_copy copy{};
		ASSERT_EQ(c.copy(c.cmd, &copy), 0) << c.name;
		size_t span = std::max(copy.in, copy.out);
		// A SET_SIZE of 0 and zeroed features are valid inputs everywhere.
		std::vector<std::byte> buf(span, std::byte{0});
		mlc::RegionMemory exact(kArg, buf);
		EXPECT_EQ(c.call(inst_->device(), c.cmd, kArg, exact), 0) << c.name;
		EXPECT_EQ(exact.written_end(), copy.out) << c.name;
		if (span == 0)
			continue;
		std::vector<std::byte> shorter(span - 1, std::byte{0});
		mlc::RegionMemory short_by_one(kArg, shorter);
		EXPECT_EQ(c.call(inst_->device(), c.cmd, kArg, short_by_one), -EFAULT) << c.name;
	}
}

TEST_F(IoctlCopy, UnknownCommandsDeclareNothing)
{
	mlc_ioctl_copy copy{};
	EXPECT_EQ(mlcore_ioctl_copy(0x6800, &copy), -EINVAL);
	EXPECT_EQ(ml_lib_test_dev_ioctl_copy(0x4D03, &copy), -ENOTTY);
	EXPECT_EQ(ml_loop_dev_ioctl_copy(0x4C02, &copy), -ENOTTY);
}

}  // namespace

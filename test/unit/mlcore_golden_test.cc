// SPDX-License-Identifier: GPL-2.0
//
// Golden renderings of /proc/mlcore_result, /proc/mlcore_train, the kernel
// log and the log file for fixed scenarios under a frozen clock, compared
// byte for byte with test/golden/mlcore/.  MLC_UPDATE_GOLDEN=1 rewrites
// them.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <gtest/gtest.h>

#include "golden.hpp"
#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

// Values around every fixed-point edge, sign loss included.
constexpr int32_t kEdgeValues[] = {
	0,    5,     -5,    32,    -32,   99,     -99,    100,     -100,
	101,  -101,  199,   -199,  1000,  -1000,  999,    -999,    12345,
	-12345, 1,   -1,    50,    -50,   INT_MAX, INT_MIN, INT_MAX - 1,
	INT_MIN + 1,
};
constexpr size_t kEdgeCount = sizeof(kEdgeValues) / sizeof(kEdgeValues[0]);

train_entry edge_entry(size_t i)
{
	return entry(kEdgeValues[i % kEdgeCount],
		     kEdgeValues[(i * 7 + 3) % kEdgeCount],
		     kEdgeValues[(i * 11 + 5) % kEdgeCount],
		     static_cast<int32_t>(i) - 25);
}

std::string joined(const std::vector<std::string> &lines)
{
	std::string s;
	for (const auto &l : lines)
		s += l + "\n";
	return s;
}

TEST(MlcoreGolden, Initial)
{
	DeviceHarness h;
	EXPECT_TRUE(MatchesGolden("mlcore/result_initial.txt",
				  h.dev().render_mlcore_result()));
	EXPECT_TRUE(MatchesGolden("mlcore/train_initial.txt",
				  h.dev().render_mlcore_train()));
}

TEST(MlcoreGolden, ThreeSetsUnderFixedClock)
{
	TempDir dir;
	LocalDevice dev(DeviceServices::make(ClockSpec{true, kTestEpoch},
					     dir.file("mlcore.log"), 1));
	for (int32_t v : {3, -7, 250}) {
		int32_t value = v;
		ASSERT_EQ(dev->mlcore_ioctl(IOCTL_SET_RESULT, &value), 0);
	}
	EXPECT_TRUE(MatchesGolden("mlcore/result_three_sets.txt",
				  dev->render_mlcore_result()));
	EXPECT_TRUE(MatchesGolden("mlcore/logfile_three_sets.txt",
				  read_file(dir.file("mlcore.log")).value_or("")));
}

TEST(MlcoreGolden, HistoryAfterWrapAcrossNewYear)
{
	DeviceHarness h(std::nullopt, 1735689480);	// 2024-12-31 23:58:00
	for (int i = 0; i < 13; i++) {
		ASSERT_EQ(h.set_result(i % 2 ? -i * 11 : i * 1000), 0);
		h.clock().advance(17);
	}
	EXPECT_TRUE(MatchesGolden("mlcore/result_wrapped.txt",
				  h.dev().render_mlcore_result()));
}

TEST(MlcoreGolden, ExtremeValues)
{
	DeviceHarness h;
	for (int32_t v : {INT_MAX, INT_MIN, 0, -1}) {
		ASSERT_EQ(h.set_result(v), 0);
		h.clock().advance(1);
	}
	ASSERT_EQ(h.add_training(entry(INT_MIN, INT_MAX, INT_MIN, INT_MIN)), 0);
	ASSERT_EQ(h.add_training(entry(INT_MAX, INT_MIN, INT_MAX, INT_MAX)), 0);
	ASSERT_EQ(h.add_training(entry(INT_MIN + 1, INT_MAX - 1, -1, 0)), 0);
	EXPECT_TRUE(MatchesGolden("mlcore/result_extremes.txt",
				  h.dev().render_mlcore_result()));
	EXPECT_TRUE(MatchesGolden("mlcore/train_extremes.txt",
				  h.dev().render_mlcore_train()));
}

TEST(MlcoreGolden, FullTrainingStoreWithSignLoss)
{
	DeviceHarness h;
	for (size_t i = 0; i < 51; i++)	// the 51st is dropped
		ASSERT_EQ(h.add_training(edge_entry(i)), 0);
	EXPECT_TRUE(MatchesGolden("mlcore/train_full.txt",
				  h.dev().render_mlcore_train()));
}

// Every kernel-log path once (the lines after load), and the log file it
// leaves behind.
TEST(MlcoreGolden, KernelLogAndLogFileSession)
{
	DeviceHarness h;
	ASSERT_EQ(h.send_ints(-5, -32, 12345), 0);

	// Open failure: a directory at the log path.
	ASSERT_EQ(::mkdir(h.log_path().c_str(), 0755), 0);
	ASSERT_EQ(h.set_result(7), 0);
	ASSERT_EQ(::rmdir(h.log_path().c_str()), 0);

	h.clock().advance(3600);
	ASSERT_EQ(h.set_result(INT_MIN), 0);
	h.clock().advance(86400);
	ASSERT_EQ(h.set_result(INT_MAX), 0);

	for (size_t i = 0; i < 51; i++)
		ASSERT_EQ(h.add_training(edge_entry(i)), 0);
	ASSERT_EQ(h.clear_training(), 0);
	ASSERT_EQ(h.add_training(entry(-100, -101, 0, -1)), 0);

	// Nothing of these shows in the log.
	EXPECT_EQ(h.get_result(), INT_MAX);
	EXPECT_EQ(h.ioctl(0x6800, nullptr), -EINVAL);
	EXPECT_EQ(h.ioctl(IOCTL_SET_RESULT, nullptr), -EFAULT);

	EXPECT_TRUE(MatchesGolden("mlcore/klog_session.txt",
				  joined(h.klog_lines())));
	EXPECT_TRUE(MatchesGolden("mlcore/logfile_session.txt",
				  h.logfile().value_or("")));
	EXPECT_TRUE(MatchesGolden("mlcore/result_session.txt",
				  h.dev().render_mlcore_result()));
	EXPECT_TRUE(MatchesGolden("mlcore/train_session.txt",
				  h.dev().render_mlcore_train()));
}

// The render API: full length returned, text cut and NUL-terminated like
// snprintf when the buffer is short, nothing written past the buffer.
TEST(MlcoreRender, ShortBufferGetsAPrefixAndTheFullLength)
{
	DeviceHarness h;
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	EXPECT_EQ(h.dev().render_mlcore_result(nullptr, 0), 54u);
	EXPECT_EQ(h.dev().render_mlcore_train(nullptr, 0), 25u);

	char buf[16];
	std::memset(buf, '#', sizeof(buf));
	EXPECT_EQ(h.dev().render_mlcore_result(buf, 10), 54u);
	EXPECT_EQ(std::string(buf, 16), std::string("Current P\0######", 16));

	std::memset(buf, '#', sizeof(buf));
	EXPECT_EQ(h.dev().render_mlcore_train(buf, 1), 25u);
	EXPECT_EQ(std::string(buf, 2), std::string("\0#", 2));
}

}  // namespace
}  // namespace mlc::test

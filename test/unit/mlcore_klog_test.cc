// SPDX-License-Identifier: GPL-2.0
//
// Kernel log lines of the mlcore device: text, level and order for every
// code path, at the Device level (format_raw of kernel_log()) and at the
// core level (recording sinks, to see the order against the log file).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char *kLoaded = "<6>[mlcore] Loaded with fixed-point logging.";
constexpr const char *kOpenFailed = "<3>[mlcore] Failed to open log file.";
constexpr const char *kWriteFailed = "<3>[mlcore] Failed to write to log file.";

// The mlcore lines among a run of kernel log lines (the instance hosts
// other devices, whose load and unload lines are not this test's subject).
std::vector<std::string> mlcore_only(const std::vector<std::string> &lines)
{
	std::vector<std::string> out;
	for (const auto &l : lines)
		if (l.find("[mlcore]") != std::string::npos)
			out.push_back(l);
	return out;
}

TEST(MlcoreKlog, LoadLogsOneMlcoreLineFirst)
{
	DeviceHarness h;
	ASSERT_FALSE(h.load_lines().empty());
	EXPECT_EQ(h.load_lines().front(), kLoaded);
	EXPECT_THAT(mlcore_only(h.load_lines()), ElementsAre(kLoaded));
	EXPECT_THAT(h.klog_lines(), IsEmpty());
}

TEST(MlcoreKlog, CoreLoadLogsExactlyTheLoadLine)
{
	CoreHarness core;
	EXPECT_THAT(core.events, ElementsAre(kLoaded));
}

TEST(MlcoreKlog, UnloadLine)
{
	CoreHarness core;
	mlc_host host = core.host();
	mlcore_dev_unload(&core.dev, &host);
	EXPECT_THAT(core.events, ElementsAre(kLoaded, "<6>[mlcore] Unloaded."));
}

TEST(MlcoreKlog, ReloadLogsUnloadThenLoadAndResetsTheState)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(5), 0);
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	ASSERT_EQ(h.send_ints(1, 2, 3), 0);
	h.take_klog();
	h.dev().reload();
	EXPECT_THAT(mlcore_only(h.take_klog()),
		    ElementsAre("<6>[mlcore] Unloaded.", kLoaded));
	mlcore_dev expected;
	std::memset(&expected, 0, sizeof(expected));
	expected.latest_result = -1;
	const mlcore_dev s = h.dev().mlcore_snapshot();
	EXPECT_EQ(std::memcmp(&s, &expected, sizeof(s)), 0);
	EXPECT_EQ(h.get_result(), -1);
}

TEST(MlcoreKlog, EveryPathLogsItsLineAndLevelInOrder)
{
	DeviceHarness h;
	ASSERT_EQ(h.send_ints(150, -5, -250), 0);
	ASSERT_EQ(h.set_result(-3), 0);
	ASSERT_EQ(h.add_training(entry(100, -100, -32, 8)), 0);
	for (int i = 1; i < 50; i++)
		ASSERT_EQ(h.add_training(entry(0, 0, 0, i)), 0);
	ASSERT_EQ(h.add_training(entry(1, 1, 1, 1)), 0);	// full
	ASSERT_EQ(h.clear_training(), 0);

	const std::vector<std::string> lines = h.klog_lines();
	ASSERT_EQ(lines.size(), 1u + 1 + 50 + 1 + 1);
	EXPECT_EQ(lines[0], "<6>[mlcore] Received features: 1.50 0.05 -2.50");
	EXPECT_EQ(lines[1], "<6>[mlcore] Prediction set: -3");
	EXPECT_EQ(lines[2],
		  "<6>[mlcore] Training data added: 1.00 -1.00 0.32 => 8");
	EXPECT_EQ(lines[51],
		  "<6>[mlcore] Training data added: 0.00 0.00 0.00 => 49");
	EXPECT_EQ(lines[52], "<4>[mlcore] Training buffer full!");
	EXPECT_EQ(lines[53], "<6>[mlcore] Training buffer cleared");
}

TEST(MlcoreKlog, GetResultFaultsAndUnknownCommandsLogNothing)
{
	DeviceHarness h;
	h.take_klog();
	int32_t out;
	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, &out), 0);
	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(IOCTL_SEND_INTS, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(IOCTL_SET_RESULT, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(IOCTL_ADD_TRAINING, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(0x6800, &out), -EINVAL);
	ASSERT_EQ(h.ioctl(_IOR(104, 2, int), &out), -EINVAL);
	EXPECT_THAT(h.take_klog(), IsEmpty());
}

TEST(MlcoreKlog, PredictionSetIsLoggedAfterTheLogFileWrite)
{
	CoreHarness core;
	GuardedRegion region(4);
	region.put(0, int32_t{7});
	ASSERT_EQ(core.ioctl(IOCTL_SET_RESULT, region.at(0), region.mem()), 0);
	EXPECT_THAT(core.events,
		    ElementsAre(kLoaded,
				"file:2026-03-14 15:09:26 - Prediction: 7\n",
				"<6>[mlcore] Prediction set: 7"));
}

TEST(MlcoreKlog, LogFileFailuresComeBeforePredictionSet)
{
	struct Case {
		int result;
		const char *line;
	};
	for (const Case &c : {Case{MLC_LOGFILE_OPEN_FAILED, kOpenFailed},
			      Case{MLC_LOGFILE_WRITE_FAILED, kWriteFailed}}) {
		SCOPED_TRACE(c.line);
		CoreHarness core;
		core.logfile_result = c.result;
		GuardedRegion region(4);
		region.put(0, int32_t{-9});
		ASSERT_EQ(core.ioctl(IOCTL_SET_RESULT, region.at(0), region.mem()),
			  0);
		EXPECT_THAT(core.events,
			    ElementsAre(kLoaded,
					"file:2026-03-14 15:09:26 - Prediction: -9\n",
					c.line, "<6>[mlcore] Prediction set: -9"));
		EXPECT_EQ(core.dev.latest_result, -9);
		EXPECT_EQ(core.dev.hist_count, 1);
	}
}

// A SET_RESULT whose log file cannot be opened still succeeds and logs the
// error before the prediction line.
void expect_open_failure(DeviceHarness &h)
{
	h.take_klog();
	ASSERT_EQ(h.set_result(INT_MIN), 0);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre(kOpenFailed,
				"<6>[mlcore] Prediction set: -2147483648"));
	EXPECT_EQ(h.get_result(), INT_MIN);
	EXPECT_EQ(h.dev().mlcore_snapshot().hist_count, 1);
}

TEST(MlcoreKlog, OpenFailureWhenLogPathIsADirectory)
{
	DeviceHarness h;
	ASSERT_EQ(::mkdir(h.log_path().c_str(), 0755), 0);
	expect_open_failure(h);
}

TEST(MlcoreKlog, OpenFailureWhenLogPathIsASymlink)
{
	DeviceHarness h;
	const std::string target = h.dir().file("target");
	write_file(target, "");
	ASSERT_EQ(::symlink(target.c_str(), h.log_path().c_str()), 0);
	expect_open_failure(h);
}

TEST(MlcoreKlog, OpenFailureWhenNoLogPathIsConfigured)
{
	DeviceHarness h(std::string{});
	expect_open_failure(h);
}

TEST(MlcoreKlog, OpenFailureWhenLogDirectoryIsMissing)
{
	DeviceHarness h;
	DeviceHarness missing(h.dir().file("no/such/dir/mlcore.log"));
	expect_open_failure(missing);
}

TEST(MlcoreKlog, WriteFailureOnAFullDevice)
{
	if (!lstat_of("/dev/full"))
		GTEST_SKIP() << "no /dev/full";
	DeviceHarness h(std::string("/dev/full"));
	h.take_klog();
	ASSERT_EQ(h.set_result(1), 0);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre(kWriteFailed, "<6>[mlcore] Prediction set: 1"));
}

TEST(MlcoreKlog, RecordsCarryTheTimeSinceBootForDmesg)
{
	DeviceHarness h;
	const auto recs = h.dev().kernel_log(0);
	ASSERT_FALSE(recs.empty());
	EXPECT_EQ(recs[0].seq, 0u);
	EXPECT_EQ(recs[0].level, 6);
	EXPECT_EQ(format_dmesg(recs[0]),
		  "[    1.234567] [mlcore] Loaded with fixed-point logging.");
}

}  // namespace
}  // namespace mlc::test

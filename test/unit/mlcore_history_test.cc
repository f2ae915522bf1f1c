// SPDX-License-Identifier: GPL-2.0
//
// The 10-entry prediction history behind /proc/mlcore_result: ring order,
// wrap, the count in the header, the timestamps and when the clock is read.
#include <climits>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcore_reference.hpp"
#include "mlcore_test_support.hpp"

extern "C" {
#include "core/mlc_time.h"
}

namespace mlc::test {
namespace {

// Value of the i-th SET_RESULT (0-based) in the tests below.
int32_t value_of(int i) { return 1000 + 7 * i; }

// n SET_RESULTs one minute apart, mirrored into a reference.
ReferenceMlcore set_n(DeviceHarness &h, int n)
{
	ReferenceMlcore ref;
	for (int i = 0; i < n; i++) {
		const int64_t t = h.clock().now();
		EXPECT_EQ(h.set_result(value_of(i)), 0);
		ref.set_result(value_of(i), t, t);
		h.clock().advance(60);
	}
	return ref;
}

TEST(MlcoreHistory, EmptyHistoryShowsTheTwoHeaderLines)
{
	DeviceHarness h;
	EXPECT_EQ(h.dev().render_mlcore_result(),
		  "Current Prediction: -1\nPrediction History (latest 0):\n");
}

TEST(MlcoreHistory, OldestFirstWithIndexFromZero)
{
	DeviceHarness h;
	set_n(h, 3);
	EXPECT_EQ(h.dev().render_mlcore_result(),
		  "Current Prediction: 1014\n"
		  "Prediction History (latest 3):\n"
		  " [0]: 1000 at 2026-03-14 15:09:26\n"
		  " [1]: 1007 at 2026-03-14 15:10:26\n"
		  " [2]: 1014 at 2026-03-14 15:11:26\n");
}

TEST(MlcoreHistory, ElevenSetsDropTheOldestAndRestartIndexAtZero)
{
	DeviceHarness h;
	set_n(h, 11);
	const std::vector<std::string> lines =
		split_lines(h.dev().render_mlcore_result());
	ASSERT_EQ(lines.size(), 12u);
	EXPECT_EQ(lines[0], "Current Prediction: 1070");
	EXPECT_EQ(lines[1], "Prediction History (latest 10):");
	EXPECT_EQ(lines[2], " [0]: 1007 at 2026-03-14 15:10:26");
	EXPECT_EQ(lines[11], " [9]: 1070 at 2026-03-14 15:19:26");
}

TEST(MlcoreHistory, WrapAfterTenElevenAndTwentyFiveSets)
{
	for (int n : {10, 11, 25}) {
		SCOPED_TRACE(n);
		DeviceHarness h;
		ReferenceMlcore ref = set_n(h, n);
		EXPECT_EQ(h.dev().render_mlcore_result(), ref.result_text());
		const mlcore_dev s = h.dev().mlcore_snapshot();
		EXPECT_EQ(s.hist_count, 10);
		EXPECT_EQ(s.hist_index, n % 10);
		EXPECT_EQ(s.latest_result, value_of(n - 1));
	}
}

TEST(MlcoreHistory, EveryCountFromOneToTwentyFiveMatchesReference)
{
	DeviceHarness h;
	ReferenceMlcore ref;
	for (int i = 0; i < 25; i++) {
		const int64_t t = h.clock().now();
		ASSERT_EQ(h.set_result(value_of(i)), 0);
		ref.set_result(value_of(i), t, t);
		h.clock().advance(3601);
		ASSERT_EQ(h.dev().render_mlcore_result(), ref.result_text())
			<< "after " << i + 1 << " sets";
		ASSERT_EQ(h.dev().mlcore_snapshot().hist_count,
			  std::min(i + 1, 10));
	}
}

TEST(MlcoreHistory, TimestampsAreUtcSecondsOfTheClock)
{
	struct Case {
		int64_t sec;
		const char *text;
	};
	const Case cases[] = {
		{0, "1970-01-01 00:00:00"},
		{951825599, "2000-02-29 11:59:59"},
		{1735689599, "2024-12-31 23:59:59"},
		{1767225600, "2026-01-01 00:00:00"},
		{4102444800, "2100-01-01 00:00:00"},
	};
	DeviceHarness h;
	std::string expected = "Current Prediction: 4\n"
			       "Prediction History (latest 5):\n";
	int i = 0;
	for (const Case &c : cases) {
		h.clock().set(c.sec);	// nanoseconds 999999999: never rounded
		ASSERT_EQ(h.set_result(i), 0);
		expected += " [" + std::to_string(i) + "]: " + std::to_string(i) +
			    " at " + c.text + "\n";
		i++;
	}
	EXPECT_EQ(h.dev().render_mlcore_result(), expected);
}

TEST(MlcoreHistory, ClockIsReadTwicePerSetResultHistoryFirst)
{
	// Every read moves the clock on by one second.
	DeviceHarness h(std::nullopt, kTestEpoch, 1);
	for (int32_t v : {5, 6, 7})
		ASSERT_EQ(h.set_result(v), 0);
	EXPECT_EQ(h.clock().reads(), 6u);
	EXPECT_EQ(h.dev().render_mlcore_result(),
		  "Current Prediction: 7\n"
		  "Prediction History (latest 3):\n"
		  " [0]: 5 at 2026-03-14 15:09:26\n"
		  " [1]: 6 at 2026-03-14 15:09:28\n"
		  " [2]: 7 at 2026-03-14 15:09:30\n");
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:27 - Prediction: 5\n"
			       "2026-03-14 15:09:29 - Prediction: 6\n"
			       "2026-03-14 15:09:31 - Prediction: 7\n");
}

TEST(MlcoreHistory, ClockIsReadTwiceEvenWhenTheLogFileFails)
{
	TempDir dir;	// the log path is a directory: open fails
	DeviceHarness h(dir.path(), kTestEpoch, 1);
	ASSERT_EQ(h.set_result(5), 0);
	EXPECT_EQ(h.clock().reads(), 2u);
	ASSERT_EQ(h.set_result(6), 0);
	EXPECT_EQ(h.dev().mlcore_snapshot().history[1].stamp.tv_sec,
		  kTestEpoch + 2);
}

TEST(MlcoreHistory, NoOtherOperationReadsTheClock)
{
	DeviceHarness h;
	int32_t features[3] = {1, 2, 3};
	train_entry e = entry(1, 2, 3, 4);
	int32_t out = 0;
	ASSERT_EQ(h.ioctl(IOCTL_SEND_INTS, features), 0);
	ASSERT_EQ(h.ioctl(IOCTL_ADD_TRAINING, &e), 0);
	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, &out), 0);
	ASSERT_EQ(h.ioctl(IOCTL_CLEAR_TRAINING, nullptr), 0);
	ASSERT_EQ(h.ioctl(0x6800, features), -EINVAL);
	ASSERT_EQ(h.ioctl(IOCTL_SET_RESULT, nullptr), -EFAULT);
	h.dev().render_mlcore_result();
	h.dev().render_mlcore_train();
	EXPECT_EQ(h.clock().reads(), 0u);
}

// The calendar the core computes for itself, against glibc's gmtime_r,
// over every day of four centuries and random seconds far around them.
TEST(MlcoreTime, MatchesGmtimeOverWideRange)
{
	auto check = [](int64_t sec) {
		mlc_tm mine{};
		mlc_time_to_tm(sec, &mine);
		time_t t = static_cast<time_t>(sec);
		struct tm ref {};
		ASSERT_NE(gmtime_r(&t, &ref), nullptr);
		ASSERT_EQ(mine.year, ref.tm_year + 1900L) << sec;
		ASSERT_EQ(mine.mon, ref.tm_mon + 1) << sec;
		ASSERT_EQ(mine.mday, ref.tm_mday) << sec;
		ASSERT_EQ(mine.hour, ref.tm_hour) << sec;
		ASSERT_EQ(mine.min, ref.tm_min) << sec;
		ASSERT_EQ(mine.sec, ref.tm_sec) << sec;
	};
	constexpr int64_t kDay = 86400;
	const int64_t from = -25567 * kDay;	// 1900-01-01
	const int64_t to = 157054 * kDay;	// 2400-01-01
	for (int64_t d = from; d <= to; d += kDay) {
		check(d);
		check(d + kDay - 1);
	}
	std::mt19937_64 rng(7);
	std::uniform_int_distribution<int64_t> any(-100'000'000'000,
						   100'000'000'000);
	for (int i = 0; i < 200000; i++)
		check(any(rng));
}

}  // namespace
}  // namespace mlc::test

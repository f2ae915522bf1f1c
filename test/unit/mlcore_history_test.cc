// SPDX-License-Identifier: GPL-2.0
//
// The 10-entry prediction history behind /proc/mlcore_result: ring order,
// wrap, the count in the header, the timestamps and when the clock is read.
#include <climits>
#include <cstdio>
#include <cstring>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcore_reference.hpp"
#include "mlcore_test_support.hpp"

extern "C" {
#include "core/mlc_text.h"
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


// The format-free appends of the hot paths (mlc_text_put*) against the
// mlc_text_printf() each stands for: the same bytes, the same truncation
// at every buffer size (the NUL where snprintf puts it, nothing after it
// touched) and the same count.
template <typename Put, typename Printf>
void expect_same_appends(const char *what, Put put, Printf printf_like)
{
	for (size_t size = 0; size <= 40; size++) {
		char a[48], b[48];
		std::memset(a, 'Z', sizeof(a));
		std::memset(b, 'Z', sizeof(b));
		mlc_text ta, tb;
		mlc_text_init(&ta, a, size);
		mlc_text_init(&tb, b, size);
		// Something before, so the append starts part-way.
		mlc_text_printf(&ta, "ab");
		mlc_text_printf(&tb, "ab");
		put(&ta);
		printf_like(&tb);
		put(&ta);	// and once more past where it may have stopped
		printf_like(&tb);
		ASSERT_EQ(ta.len, tb.len) << what << " size " << size;
		ASSERT_EQ(std::string(a, sizeof(a)), std::string(b, sizeof(b)))
			<< what << " size " << size;
	}
}

TEST(MlcText, PutDecIsPrintfOfZeroPaddedWidth)
{
	const int64_t values[] = {0, 1, -1, 5, -5, 9, 10, -10, 99, 100, 999, -999,
				  1000, 2026, -2026, 9999, 10000, 12345, INT_MAX,
				  INT_MIN, INT64_MAX, INT64_MIN, INT64_MIN + 1};
	for (int64_t v : values)
		for (unsigned width : {0u, 1u, 2u, 4u, 5u, 20u}) {
			std::string what = std::to_string(v) + " width " +
					   std::to_string(width);
			expect_same_appends(
				what.c_str(),
				[&](mlc_text *t) { mlc_text_put_dec(t, v, width); },
				[&](mlc_text *t) {
					mlc_text_printf(t, "%0*lld", static_cast<int>(width),
							static_cast<long long>(v));
				});
		}
}

TEST(MlcText, PutTmIsTheDriversDateFormatForAnyYear)
{
	std::mt19937_64 rng(11);
	std::uniform_int_distribution<int64_t> any(-100'000'000'000'000,
						   100'000'000'000'000);
	std::vector<int64_t> secs = {0, -1, 1749988800, 253402300799,
				     253402300800, -62135596800, -62135596801,
				     -62167219200, -62167219201};
	for (int i = 0; i < 2000; i++)
		secs.push_back(any(rng));
	for (int64_t sec : secs) {
		mlc_tm tm;
		mlc_time_to_tm(sec, &tm);
		std::string what = std::to_string(sec);
		expect_same_appends(
			what.c_str(), [&](mlc_text *t) { mlc_text_put_tm(t, &tm); },
			[&](mlc_text *t) { mlc_text_printf(t, MLC_TM_FMT, MLC_TM_ARGS(&tm)); });
	}
}

TEST(MlcText, PutsAndPutAreStrings)
{
	expect_same_appends("puts", [](mlc_text *t) { mlc_text_puts(t, " - Prediction: "); },
			    [](mlc_text *t) { mlc_text_printf(t, "%s", " - Prediction: "); });
	expect_same_appends("empty", [](mlc_text *t) { mlc_text_puts(t, ""); },
			    [](mlc_text *t) { mlc_text_printf(t, "%s", ""); });
}

// /proc/mlcore_result at every buffer size, against the driver's
// seq_printf formats run through snprintf, for a full history with
// extreme values and years.
TEST(MlcText, ResultRenderingIsTheDriversAtEveryBufferSize)
{
	mlcore_dev dev{};
	dev.latest_result = INT_MIN;
	dev.hist_count = MLCORE_HISTORY_SIZE;
	dev.hist_index = 3;
	const int64_t stamps[] = {0, -1, 1749988800, 253402300800, -62167219201,
				  4102444800, 1, 59, 3599, 86399};
	for (int i = 0; i < MLCORE_HISTORY_SIZE; i++) {
		dev.history[i].result = i % 2 ? INT_MAX - i : INT_MIN + i;
		dev.history[i].stamp.tv_sec = stamps[i];
	}
	std::string want;
	{
		char line[256];
		std::snprintf(line, sizeof(line), "Current Prediction: %d\n"
			      "Prediction History (latest %d):\n",
			      dev.latest_result, dev.hist_count);
		want = line;
		for (int i = 0; i < dev.hist_count; i++) {
			const auto &p = dev.history[(dev.hist_index + i) % MLCORE_HISTORY_SIZE];
			mlc_tm tm;
			mlc_time_to_tm(p.stamp.tv_sec, &tm);
			std::snprintf(line, sizeof(line), " [%d]: %d at " MLC_TM_FMT "\n", i,
				      p.result, MLC_TM_ARGS(&tm));
			want += line;
		}
	}
	for (size_t size = 0; size <= want.size() + 2; size++) {
		std::vector<char> buf(size + 8, 'Z');
		ASSERT_EQ(mlcore_render_result(&dev, buf.data(), size), want.size());
		size_t kept = size ? std::min(size - 1, want.size()) : 0;
		ASSERT_EQ(std::string(buf.data(), kept), want.substr(0, kept)) << size;
		if (size)
			ASSERT_EQ(buf[kept], '\0') << size;
		for (size_t i = size ? kept + 1 : 0; i < buf.size(); i++)
			ASSERT_EQ(buf[i], 'Z') << size << " byte " << i;
	}
}

}  // namespace
}  // namespace mlc::test

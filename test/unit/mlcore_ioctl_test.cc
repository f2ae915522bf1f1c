// SPDX-License-Identifier: GPL-2.0
//
// ioctl dispatch of the mlcore device: each command's return value and
// effect, and the exact bytes each one copies from or to the caller.
#include <cerrno>
#include <climits>
#include <cstring>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

using ::testing::ElementsAre;

// A command that reads `len` bytes from the caller, with a payload whose
// effect can be checked.
struct ReadCase {
	const char *name;
	unsigned int cmd;
	size_t len;
	std::vector<std::byte> payload;
	// Checks that the payload took effect.
	void (*check)(DeviceHarness &h);
};

std::vector<std::byte> as_bytes(const void *p, size_t len)
{
	const auto *b = static_cast<const std::byte *>(p);
	return {b, b + len};
}

std::vector<ReadCase> read_cases()
{
	static const int32_t features[3] = {123, -456, 789};
	static const int32_t result = 0x01020304;
	static const train_entry e = entry(-5, 1000, INT_MIN, 77);
	return {
		{"SEND_INTS", IOCTL_SEND_INTS, 12,
		 as_bytes(features, sizeof(features)),
		 [](DeviceHarness &h) {
			 mlcore_dev s = h.dev().mlcore_snapshot();
			 EXPECT_EQ(s.features[0], 123);
			 EXPECT_EQ(s.features[1], -456);
			 EXPECT_EQ(s.features[2], 789);
		 }},
		{"SET_RESULT", IOCTL_SET_RESULT, 4,
		 as_bytes(&result, sizeof(result)),
		 [](DeviceHarness &h) { EXPECT_EQ(h.get_result(), 0x01020304); }},
		{"ADD_TRAINING", IOCTL_ADD_TRAINING, 16, as_bytes(&e, sizeof(e)),
		 [](DeviceHarness &h) {
			 EXPECT_EQ(h.dev().render_mlcore_train(),
				   "[0]: 0.05 10.00 -21474836.48 => 77\n");
		 }},
	};
}

// Some state, so that "unchanged" means something.
void populate(DeviceHarness &h)
{
	ASSERT_EQ(h.send_ints(1, 2, 3), 0);
	ASSERT_EQ(h.set_result(11), 0);
	ASSERT_EQ(h.set_result(22), 0);
	ASSERT_EQ(h.add_training(entry(100, 200, 300, 1)), 0);
}

TEST(MlcoreIoctl, CommandNumbersAndNamesMatchAbi)
{
	EXPECT_EQ(IOCTL_SEND_INTS, 0x400C6800u);
	EXPECT_EQ(IOCTL_SET_RESULT, 0x40046801u);
	EXPECT_EQ(IOCTL_GET_RESULT, 0x80086802u);
	EXPECT_EQ(IOCTL_ADD_TRAINING, 0x40106803u);
	EXPECT_EQ(IOCTL_CLEAR_TRAINING, 0x00006804u);
	EXPECT_EQ(sizeof(train_entry), 16u);
	EXPECT_STREQ(mlcore_cmd_name(IOCTL_SEND_INTS), "IOCTL_SEND_INTS");
	EXPECT_STREQ(mlcore_cmd_name(IOCTL_SET_RESULT), "IOCTL_SET_RESULT");
	EXPECT_STREQ(mlcore_cmd_name(IOCTL_GET_RESULT), "IOCTL_GET_RESULT");
	EXPECT_STREQ(mlcore_cmd_name(IOCTL_ADD_TRAINING), "IOCTL_ADD_TRAINING");
	EXPECT_STREQ(mlcore_cmd_name(IOCTL_CLEAR_TRAINING),
		     "IOCTL_CLEAR_TRAINING");
	EXPECT_EQ(mlcore_cmd_name(0x6800), nullptr);
}

TEST(MlcoreIoctl, LoadStateIsZeroWithLatestMinusOne)
{
	CoreHarness core;	// fills the state with garbage before load
	mlcore_dev expected;
	std::memset(&expected, 0, sizeof(expected));
	expected.latest_result = -1;
	EXPECT_EQ(std::memcmp(&core.dev, &expected, sizeof(expected)), 0);
}

TEST(MlcoreIoctl, GetResultInitiallyMinusOne)
{
	DeviceHarness h;
	EXPECT_EQ(h.get_result(), -1);
}

TEST(MlcoreIoctl, SendIntsStoresFeaturesAndLogs)
{
	DeviceHarness h;
	Observation before = h.observe();
	ASSERT_EQ(h.send_ints(-5, 12345, INT_MAX), 0);
	mlcore_dev s = h.dev().mlcore_snapshot();
	EXPECT_EQ(s.features[0], -5);
	EXPECT_EQ(s.features[1], 12345);
	EXPECT_EQ(s.features[2], INT_MAX);
	// Nothing else: the features appear in no file.
	s.features[0] = s.features[1] = s.features[2] = 0;
	EXPECT_EQ(std::memcmp(&s, &before.state, sizeof(s)), 0);
	EXPECT_EQ(h.dev().render_mlcore_result(), before.result);
	EXPECT_EQ(h.dev().render_mlcore_train(), before.train);
	EXPECT_EQ(h.logfile(), std::nullopt);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre("<6>[mlcore] Received features: 0.05 123.45 "
				"21474836.47"));
}

TEST(MlcoreIoctl, SetResultUpdatesLatestHistoryLogFileAndKlog)
{
	DeviceHarness h;
	h.take_klog();
	ASSERT_EQ(h.set_result(42), 0);
	EXPECT_EQ(h.get_result(), 42);
	mlcore_dev s = h.dev().mlcore_snapshot();
	EXPECT_EQ(s.latest_result, 42);
	EXPECT_EQ(s.hist_count, 1);
	EXPECT_EQ(s.hist_index, 1);
	EXPECT_EQ(s.history[0].result, 42);
	EXPECT_EQ(s.history[0].stamp.tv_sec, kTestEpoch);
	EXPECT_EQ(h.dev().render_mlcore_result(),
		  "Current Prediction: 42\n"
		  "Prediction History (latest 1):\n"
		  " [0]: 42 at 2026-03-14 15:09:26\n");
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 42\n");
	EXPECT_THAT(h.take_klog(), ElementsAre("<6>[mlcore] Prediction set: 42"));
}

TEST(MlcoreIoctl, GetResultCopiesLatestAndChangesNothing)
{
	DeviceHarness h;
	populate(h);
	ASSERT_EQ(h.set_result(-123456), 0);
	Observation before = h.observe();
	EXPECT_EQ(h.get_result(), -123456);
	EXPECT_EQ(h.get_result(), -123456);
	EXPECT_TRUE(Unchanged(before, h.observe()));
}

TEST(MlcoreIoctl, AddTrainingAppendsEntryAndLogs)
{
	DeviceHarness h;
	h.take_klog();
	ASSERT_EQ(h.add_training(entry(150, -250, 0, 3)), 0);
	mlcore_dev s = h.dev().mlcore_snapshot();
	EXPECT_EQ(s.train_count, 1);
	EXPECT_EQ(h.dev().render_mlcore_train(), "[0]: 1.50 -2.50 0.00 => 3\n");
	EXPECT_THAT(h.take_klog(),
		    ElementsAre("<6>[mlcore] Training data added: 1.50 -2.50 "
				"0.00 => 3"));
	EXPECT_EQ(h.get_result(), -1);
	EXPECT_EQ(h.logfile(), std::nullopt);
}

TEST(MlcoreIoctl, ClearTrainingResetsCountAndNeverTouchesArg)
{
	DeviceHarness h;
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	ASSERT_EQ(h.add_training(entry(5, 6, 7, 8)), 0);
	h.take_klog();

	// CLEAR_TRAINING has no argument: any arg, even a bad one, is fine.
	GuardedRegion region(32);
	RecordingMemory rec(region.mem());
	EXPECT_EQ(h.ioctl(IOCTL_CLEAR_TRAINING, 16, rec), 0);
	EXPECT_TRUE(rec.accesses.empty());
	EXPECT_TRUE(region.guards_intact(0, 0));
	EXPECT_EQ(h.dev().mlcore_snapshot().train_count, 0);
	EXPECT_EQ(h.dev().render_mlcore_train(), "");
	EXPECT_THAT(h.take_klog(),
		    ElementsAre("<6>[mlcore] Training buffer cleared"));
}

TEST(MlcoreIoctl, GetResultWritesExactlyFourBytesBetweenGuards)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(0x11223344), 0);
	GuardedRegion region(32);
	RecordingMemory rec(region.mem());
	Observation before = h.observe();

	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, region.at(8), rec), 0);
	EXPECT_THAT(rec.accesses,
		    ElementsAre(Access{Access::kTo, region.at(8), 4}));
	EXPECT_EQ(region.written_end(), 12u);
	EXPECT_EQ(region.get<int32_t>(8), 0x11223344);
	EXPECT_TRUE(region.guards_intact(8, 4));
	EXPECT_TRUE(Unchanged(before, h.observe()));
}

TEST(MlcoreIoctl, GetResultThroughLocalMemoryWritesFourBytes)
{
	DeviceHarness h;
	unsigned char buf[8];
	std::memset(buf, 0xAA, sizeof(buf));
	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, buf), 0);
	const unsigned char expected[8] = {0xff, 0xff, 0xff, 0xff,
					   0xAA, 0xAA, 0xAA, 0xAA};
	EXPECT_EQ(std::memcmp(buf, expected, sizeof(buf)), 0);
}

TEST(MlcoreIoctl, GetResultPartialCopyAtRegionEnd)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(0x11223344), 0);
	Observation before = h.observe();

	GuardedRegion region(2);	// the page ends two bytes in
	EXPECT_EQ(h.ioctl(IOCTL_GET_RESULT, region.at(0), region.mem()),
		  -EFAULT);
	EXPECT_EQ(region.written_end(), 2u);
	EXPECT_EQ(region.bytes()[0], std::byte{0x44});	// little endian
	EXPECT_EQ(region.bytes()[1], std::byte{0x33});
	EXPECT_TRUE(Unchanged(before, h.observe()));
}

TEST(MlcoreIoctl, GetResultOutsideRegionWritesNothing)
{
	DeviceHarness h;
	GuardedRegion region(4);
	for (mlc_uptr arg : {region.at(4), region.at(100), region.at(0) - 4}) {
		SCOPED_TRACE(arg);
		EXPECT_EQ(h.ioctl(IOCTL_GET_RESULT, arg, region.mem()), -EFAULT);
		EXPECT_EQ(region.written_end(), 0u);
		EXPECT_TRUE(region.guards_intact(0, 0));
	}
}

TEST(MlcoreIoctl, ReadsCopyExactLengthBetweenGuards)
{
	for (const ReadCase &c : read_cases()) {
		SCOPED_TRACE(c.name);
		DeviceHarness h;
		GuardedRegion region(32);
		region.put(8, c.payload.data(), c.len);
		const std::vector<std::byte> original = region.bytes();
		RecordingMemory rec(region.mem());

		ASSERT_EQ(h.ioctl(c.cmd, region.at(8), rec), 0);
		EXPECT_THAT(rec.accesses,
			    ElementsAre(Access{Access::kFrom, region.at(8), c.len}));
		EXPECT_EQ(region.written_end(), 0u);
		EXPECT_EQ(region.bytes(), original);
		c.check(h);
	}
}

TEST(MlcoreIoctl, ReadsSucceedWhenRegionEndsExactlyAtLength)
{
	for (const ReadCase &c : read_cases()) {
		SCOPED_TRACE(c.name);
		DeviceHarness h;
		GuardedRegion region(c.len);
		region.put(0, c.payload.data(), c.len);
		ASSERT_EQ(h.ioctl(c.cmd, region.at(0), region.mem()), 0);
		c.check(h);
	}
}

TEST(MlcoreIoctl, ReadsOneByteShortFaultWithoutStateChange)
{
	for (const ReadCase &c : read_cases()) {
		SCOPED_TRACE(c.name);
		DeviceHarness h;
		populate(h);
		const Observation before = h.observe();

		// The region ends one byte before the argument does: at its
		// start, and at the end of a larger region.
		GuardedRegion small(c.len - 1);
		small.put(0, c.payload.data(), c.len - 1);
		EXPECT_EQ(h.ioctl(c.cmd, small.at(0), small.mem()), -EFAULT);
		EXPECT_TRUE(Unchanged(before, h.observe()));

		GuardedRegion large(32);
		const size_t off = 32 - (c.len - 1);
		large.put(off, c.payload.data(), c.len - 1);
		EXPECT_EQ(h.ioctl(c.cmd, large.at(off), large.mem()), -EFAULT);
		EXPECT_TRUE(Unchanged(before, h.observe()));
		EXPECT_EQ(large.written_end(), 0u);
	}
}

TEST(MlcoreIoctl, BadPointersFaultWithoutStateChange)
{
	DeviceHarness h;
	populate(h);
	const Observation before = h.observe();
	for (unsigned int cmd : {IOCTL_SEND_INTS, IOCTL_SET_RESULT,
				 IOCTL_GET_RESULT, IOCTL_ADD_TRAINING}) {
		for (void *arg : {static_cast<void *>(nullptr),
				  reinterpret_cast<void *>(16),
				  reinterpret_cast<void *>(4095)}) {
			SCOPED_TRACE(::testing::Message()
				     << mlcore_cmd_name(cmd) << " arg " << arg);
			EXPECT_EQ(h.ioctl(cmd, arg), -EFAULT);
			EXPECT_TRUE(Unchanged(before, h.observe()));
		}
	}
}

// ---------------------------------------------------------------------------
// Unknown commands

// Issues cmd with a valid, plausible argument and expects EINVAL with no
// access to the argument and nothing changed.
void expect_einval_without_effect(DeviceHarness &h, unsigned int cmd)
{
	SCOPED_TRACE(::testing::Message() << "cmd 0x" << std::hex << cmd);
	GuardedRegion region(32);
	region.put(0, entry(100, 200, 300, 4));
	RecordingMemory rec(region.mem());
	const Observation before = h.observe();

	EXPECT_EQ(h.ioctl(cmd, region.at(0), rec), -EINVAL);
	EXPECT_TRUE(rec.accesses.empty());
	EXPECT_TRUE(Unchanged(before, h.observe()));
}

bool is_driver_cmd(unsigned int cmd)
{
	return cmd == IOCTL_SEND_INTS || cmd == IOCTL_SET_RESULT ||
	       cmd == IOCTL_GET_RESULT || cmd == IOCTL_ADD_TRAINING ||
	       cmd == IOCTL_CLEAR_TRAINING;
}

TEST(MlcoreUnknownCmd, Documented0x6800IsEinvalAndNamesSendInts)
{
	DeviceHarness h;
	populate(h);
	expect_einval_without_effect(h, 0x6800);
	EXPECT_EQ(mlcore_cmd_likely_intended(0x6800), IOCTL_SEND_INTS);
}

TEST(MlcoreUnknownCmd, NumbersFiveToNineAreEinval)
{
	DeviceHarness h;
	populate(h);
	for (unsigned int nr = 5; nr <= 9; nr++) {
		const unsigned int cmds[] = {
			_IO(104, nr), _IOR(104, nr, int), _IOW(104, nr, int),
			_IOWR(104, nr, int), _IOW(104, nr, struct train_entry)};
		for (unsigned int cmd : cmds) {
			expect_einval_without_effect(h, cmd);
			EXPECT_EQ(mlcore_cmd_likely_intended(cmd), 0u);
		}
	}
}

TEST(MlcoreUnknownCmd, RightNrWithOtherSizeOrDirectionIsEinval)
{
	struct Case {
		unsigned int cmd;
		unsigned int intended;
	};
	const Case cases[] = {
		{_IOW(104, 0, int), IOCTL_SEND_INTS},
		{_IOR(104, 0, int[3]), IOCTL_SEND_INTS},
		{_IOWR(104, 0, int[3]), IOCTL_SEND_INTS},
		{_IOW(104, 0, int[4]), IOCTL_SEND_INTS},
		{_IO(104, 1), IOCTL_SET_RESULT},
		{_IOW(104, 1, long), IOCTL_SET_RESULT},
		{_IOR(104, 1, int), IOCTL_SET_RESULT},
		{_IOR(104, 2, int), IOCTL_GET_RESULT},	// 0x80046802
		{_IOW(104, 2, int *), IOCTL_GET_RESULT},
		{_IOWR(104, 2, int *), IOCTL_GET_RESULT},
		{_IO(104, 2), IOCTL_GET_RESULT},
		{_IOW(104, 3, int), IOCTL_ADD_TRAINING},
		{_IOR(104, 3, struct train_entry), IOCTL_ADD_TRAINING},
		{_IO(104, 3), IOCTL_ADD_TRAINING},
		{_IOW(104, 4, int), IOCTL_CLEAR_TRAINING},
		{_IOR(104, 4, int), IOCTL_CLEAR_TRAINING},
	};
	DeviceHarness h;
	populate(h);
	for (const Case &c : cases) {
		expect_einval_without_effect(h, c.cmd);
		EXPECT_EQ(mlcore_cmd_likely_intended(c.cmd), c.intended)
			<< std::hex << c.cmd;
	}
	EXPECT_EQ(_IOR(104, 2, int), 0x80046802u);
	// Known commands and other types suggest nothing.
	const unsigned int no_suggestion[] = {
		IOCTL_SEND_INTS,      IOCTL_SET_RESULT,	    IOCTL_GET_RESULT,
		IOCTL_ADD_TRAINING,   IOCTL_CLEAR_TRAINING, _IOW(105, 0, int[3]),
		_IO('M', 0),	      0u};
	for (unsigned int cmd : no_suggestion)
		EXPECT_EQ(mlcore_cmd_likely_intended(cmd), 0u) << std::hex << cmd;
}

TEST(MlcoreUnknownCmd, ThousandRandomNumbersAreEinval)
{
	DeviceHarness h;
	populate(h);
	std::mt19937 rng(0x6d6c636f);
	int tried = 0;
	while (tried < 1000) {
		const unsigned int cmd = static_cast<unsigned int>(rng());
		if (is_driver_cmd(cmd))
			continue;
		expect_einval_without_effect(h, cmd);
		tried++;
	}
}

}  // namespace
}  // namespace mlc::test

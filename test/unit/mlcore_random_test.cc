// SPDX-License-Identifier: GPL-2.0
//
// Randomized operations on a Device against the independent reference
// (ReferenceMlcore): after every operation the two must agree on
// GET_RESULT, both proc texts and the new kernel log lines; at the end on
// the log file and the clock.
#include <cerrno>
#include <climits>
#include <cstring>
#include <iterator>
#include <random>

#include <gtest/gtest.h>

#include "mlcore_reference.hpp"
#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

constexpr int kOpsPerSeed = 10000;

class RandomRun {
public:
	explicit RandomRun(uint64_t seed)
		: rng_(seed), h_(std::nullopt, kTestEpoch, 1), now_(kTestEpoch)
	{
		h_.take_klog();
	}

	void run(int ops)
	{
		for (int i = 0; i < ops; i++) {
			SCOPED_TRACE(::testing::Message() << "op " << i);
			const char *what = step();
			SCOPED_TRACE(what);
			check();
			if (::testing::Test::HasFailure())
				return;
		}
		EXPECT_EQ(h_.logfile().value_or(""), ref_.logfile);
		// Exactly two clock reads per successful SET_RESULT.
		EXPECT_EQ(h_.clock().now(), now_);
	}

private:
	uint32_t pick(uint32_t n) { return static_cast<uint32_t>(rng_() % n); }

	int32_t value()
	{
		static constexpr int32_t kEdges[] = {INT_MIN, INT_MIN + 1, -101,
						     -100, -99, -1, 0, 1, 99,
						     100, INT_MAX};
		switch (pick(4)) {
		case 0:
			return static_cast<int32_t>(pick(501)) - 250;
		case 1:
			return static_cast<int32_t>(static_cast<uint32_t>(rng_()));
		case 2:
			return kEdges[pick(std::size(kEdges))];
		default:
			return static_cast<int32_t>(pick(2'000'001)) - 1'000'000;
		}
	}

	train_entry random_entry()
	{
		return entry(value(), value(), value(), value());
	}

	// One random operation; returns its name.
	const char *step()
	{
		const uint32_t r = pick(100);
		if (r < 20)
			return set_result();
		if (r < 30)
			return get_result();
		if (r < 52)
			return add_training();
		if (r < 55)
			return clear_training();
		if (r < 67)
			return send_ints();
		if (r < 77)
			return unknown_cmd();
		if (r < 87)
			return faulting_read();
		if (r < 90)
			return partial_get_result();
		if (r < 95)
			return proc_read();
		return advance_clock();
	}

	const char *set_result()
	{
		const int32_t v = value();
		EXPECT_EQ(h_.set_result(v), 0);
		ref_.set_result(v, now_, now_ + 1);
		now_ += 2;
		return "SET_RESULT";
	}

	const char *get_result()
	{
		EXPECT_EQ(h_.get_result(), ref_.latest);
		return "GET_RESULT";
	}

	const char *add_training()
	{
		const train_entry e = random_entry();
		EXPECT_EQ(h_.add_training(e), 0);
		ref_.add_training(e);
		return "ADD_TRAINING";
	}

	const char *clear_training()
	{
		EXPECT_EQ(h_.clear_training(), 0);
		ref_.clear_training();
		return "CLEAR_TRAINING";
	}

	const char *send_ints()
	{
		const int32_t f[3] = {value(), value(), value()};
		EXPECT_EQ(h_.send_ints(f[0], f[1], f[2]), 0);
		ref_.send_ints(f);
		return "SEND_INTS";
	}

	const char *unknown_cmd()
	{
		unsigned int cmd;
		do {
			cmd = pick(2) ? static_cast<unsigned int>(rng_())
				      : _IOC(pick(4), 104, pick(12), pick(32));
		} while (mlcore_cmd_name(cmd));
		int32_t arg[4] = {value(), value(), value(), value()};
		EXPECT_EQ(h_.ioctl(cmd, arg), -EINVAL);
		return "unknown";
	}

	// A reading command whose argument ends one byte short, or NULL.
	const char *faulting_read()
	{
		static constexpr struct {
			unsigned int cmd;
			size_t len;
		} kReads[] = {{IOCTL_SEND_INTS, 12},
			      {IOCTL_SET_RESULT, 4},
			      {IOCTL_ADD_TRAINING, 16}};
		const auto &c = kReads[pick(3)];
		if (pick(4) == 0) {
			EXPECT_EQ(h_.ioctl(c.cmd, nullptr), -EFAULT);
			return "faulting NULL";
		}
		const size_t short_by = 1 + pick(static_cast<uint32_t>(c.len));
		GuardedRegion region(c.len - short_by);
		EXPECT_EQ(h_.ioctl(c.cmd, region.at(0), region.mem()), -EFAULT);
		return "faulting short";
	}

	// GET_RESULT into 0..3 accessible bytes: those are written, EFAULT.
	const char *partial_get_result()
	{
		const size_t room = pick(4);
		GuardedRegion region(room);
		EXPECT_EQ(h_.ioctl(IOCTL_GET_RESULT, region.at(0), region.mem()),
			  -EFAULT);
		EXPECT_EQ(region.written_end(), room);
		if (room > 0) {	// an empty region's data() may be NULL
			EXPECT_EQ(std::memcmp(region.bytes().data(), &ref_.latest, room), 0);
		}
		return "partial GET_RESULT";
	}

	// Reads one of the proc files through the seq_file model in random
	// chunks.
	const char *proc_read()
	{
		const bool result = pick(2);
		SeqReader reader(result ? show_mlcore_result : show_mlcore_train,
				 &h_.dev());
		const size_t chunk = 1 + pick(pick(2) ? 16 : 4096);
		EXPECT_EQ(reader.read_to_end(chunk),
			  result ? ref_.result_text() : ref_.train_text());
		return "proc read";
	}

	const char *advance_clock()
	{
		const int64_t d = pick(10) ? pick(100000) : pick(50'000'000);
		h_.clock().advance(d);
		now_ += d;
		return "advance clock";
	}

	void check()
	{
		GuardedRegion region(12);
		ASSERT_EQ(h_.ioctl(IOCTL_GET_RESULT, region.at(4), region.mem()), 0);
		ASSERT_EQ(region.get<int32_t>(4), ref_.latest);
		ASSERT_EQ(region.written_end(), 8u);
		ASSERT_TRUE(region.guards_intact(4, 4));

		ASSERT_EQ(h_.dev().render_mlcore_result(), ref_.result_text());
		ASSERT_EQ(h_.dev().render_mlcore_train(), ref_.train_text());
		ASSERT_EQ(h_.take_klog(), ref_.take_klog());

		const mlcore_dev s = h_.dev().mlcore_snapshot();
		ASSERT_EQ(s.features[0], ref_.features[0]);
		ASSERT_EQ(s.features[1], ref_.features[1]);
		ASSERT_EQ(s.features[2], ref_.features[2]);
		ASSERT_EQ(static_cast<size_t>(s.train_count), ref_.training.size());
		ASSERT_EQ(static_cast<size_t>(s.hist_count), ref_.history.size());
	}

	std::mt19937_64 rng_;
	DeviceHarness h_;
	ReferenceMlcore ref_;
	int64_t now_;	// the reference's idea of the clock
};

class MlcoreRandomized : public ::testing::TestWithParam<uint64_t> {};

TEST_P(MlcoreRandomized, DeviceMatchesReferenceAfterEveryOperation)
{
	RandomRun(GetParam()).run(kOpsPerSeed);
}

INSTANTIATE_TEST_SUITE_P(Seeds, MlcoreRandomized,
			 ::testing::Values(1u, 2u, 3u, 42u, 20260314u,
					   0x9e3779b97f4a7c15u));

}  // namespace
}  // namespace mlc::test

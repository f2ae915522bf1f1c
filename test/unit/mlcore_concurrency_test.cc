// SPDX-License-Identifier: GPL-2.0
//
// The emulator serialises every operation on an instance (stronger than
// the lock-free original): two threads hammering one device lose nothing
// and never interleave inside an operation.
#include <latch>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

constexpr int kPerThread = 5000;

// The sequence number the next kernel log record gets.
uint64_t klog_next_seq(Device &dev)
{
	const auto recs = dev.kernel_log(0);
	return recs.empty() ? 0 : recs.back().seq + 1;
}

// Thread t (0 or 1) alternates SET_RESULT and ADD_TRAINING through its
// own Device; values are +i for thread 0 and -i for thread 1.
void hammer(Device &dev, int t, std::latch &start)
{
	start.arrive_and_wait();
	for (int i = 1; i <= kPerThread; i++) {
		int32_t v = t == 0 ? i : -i;
		ASSERT_EQ(dev.mlcore_ioctl(IOCTL_SET_RESULT, &v), 0);
		train_entry e = entry(v, v, v, t);
		ASSERT_EQ(dev.mlcore_ioctl(IOCTL_ADD_TRAINING, &e), 0);
	}
}

// Checks everything two hammering threads leave behind.  The clock moves
// one second per read, so the stamps show whether the two reads of one
// SET_RESULT were ever split by another thread.
void expect_consistent(Device &dev, const std::string &log_path,
		       uint64_t klog_seq_before)
{
	constexpr int kSets = 2 * kPerThread;
	const mlcore_dev s = dev.mlcore_snapshot();
	EXPECT_EQ(s.hist_count, 10);
	EXPECT_EQ(s.hist_index, kSets % 10);
	EXPECT_EQ(s.train_count, 50);

	// Kernel log: one line per SET_RESULT, one per ADD_TRAINING.
	const auto recs = dev.kernel_log(0);
	ASSERT_FALSE(recs.empty());
	EXPECT_EQ(recs.back().seq + 1 - klog_seq_before, 2u * kSets);
	for (size_t i = 1; i < recs.size(); i++)
		ASSERT_EQ(recs[i].seq, recs[i - 1].seq + 1);

	// The log file: one whole line per SET_RESULT, each thread's values in
	// its own order, stamps one second after the matching history stamp.
	const std::string file = read_file(log_path).value_or("");
	const std::vector<std::string> lines = split_lines(file);
	ASSERT_EQ(lines.size(), static_cast<size_t>(kSets));
	const std::regex line_re(
		R"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - Prediction: (-?\d+))");
	int next[2] = {1, 1};
	std::vector<int32_t> order;
	for (const std::string &line : lines) {
		std::smatch m;
		ASSERT_TRUE(std::regex_match(line, m, line_re)) << line;
		const int32_t v = std::stoi(m[1]);
		const int t = v > 0 ? 0 : 1;
		ASSERT_EQ(v, t == 0 ? next[0] : -next[1]);
		next[t]++;
		order.push_back(v);
	}
	EXPECT_EQ(next[0], kPerThread + 1);
	EXPECT_EQ(next[1], kPerThread + 1);

	// History: the last ten SET_RESULTs in log-file order; each stamp two
	// seconds after the previous one (two reads per SET_RESULT, unsplit).
	EXPECT_EQ(s.latest_result, order.back());
	for (int i = 0; i < 10; i++) {
		const auto &p = s.history[(s.hist_index + i) % 10];
		EXPECT_EQ(p.result, order[kSets - 10 + i]);
		EXPECT_EQ(p.stamp.tv_sec,
			  kTestEpoch + 2 * (kSets - 10 + i));
	}
}

TEST(MlcoreConcurrency, TwoThreadsOnOneDeviceLoseNoUpdates)
{
	DeviceHarness h(std::nullopt, kTestEpoch, 1);
	h.clock().set_yield(true);
	const uint64_t before = klog_next_seq(h.dev());
	std::latch start(2);
	std::thread a(hammer, std::ref(h.dev()), 0, std::ref(start));
	std::thread b(hammer, std::ref(h.dev()), 1, std::ref(start));
	a.join();
	b.join();
	expect_consistent(h.dev(), h.log_path(), before);
}

TEST(MlcoreConcurrency, TwoDevicesOverOneStateSerialise)
{
	// As two processes mapping one instance: one DeviceState, two Devices
	// with their own services, sharing only the state's lock.
	TempDir dir;
	const std::string log_path = dir.file("mlcore.log");
	auto state = std::make_unique<DeviceState>();
	std::vector<std::byte> klog(kernel_log_storage_bytes(kLogBufShiftDefault));
	init_device_state(*state, klog);

	// Both read one shared clock, so stamps stay one sequence.
	auto clock = std::make_shared<TestClock>(kTestEpoch, 1);
	clock->set_yield(true);
	struct SharedClock final : Clock {
		std::shared_ptr<TestClock> c;
		mlc_timespec realtime() const override { return c->realtime(); }
		int64_t since_boot_ns() const override { return 0; }
	};
	auto services = [&] {
		DeviceServices s;
		auto sc = std::make_unique<SharedClock>();
		sc->c = clock;
		s.clock = std::move(sc);
		s.logfile = std::make_unique<LogFile>(log_path);
		s.random = std::make_unique<SeededRandom>(1);
		return s;
	};
	Device one(*state, klog, services());
	Device two(*state, klog, services());
	one.load();
	const uint64_t before = klog_next_seq(one);

	std::latch start(2);
	std::thread a(hammer, std::ref(one), 0, std::ref(start));
	std::thread b(hammer, std::ref(two), 1, std::ref(start));
	a.join();
	b.join();
	expect_consistent(two, log_path, before);
}

}  // namespace
}  // namespace mlc::test

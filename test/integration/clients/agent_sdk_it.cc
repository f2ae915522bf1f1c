// SPDX-License-Identifier: GPL-2.0
//
// The agent SDK's clients (src/agent/clients.hpp) against a real mount:
// test_15_agents.py serves an instance with the FUSE door and runs this
// program with MLC_AGENT_ROOT set to the mount (it is not run on its own).
// Every call goes through the kernel to the door and back, exactly as an
// agent's would; nothing is mocked.
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#include "agent/clients.hpp"

using namespace mlc::agent;

namespace {

Root root()
{
	const char *r = getenv("MLC_AGENT_ROOT");
	return Root(r ? r : "");
}

// The errno of a SysError thrown by fn, or 0.
template <typename Fn>
int errno_of(Fn fn)
{
	try {
		fn();
	} catch (const SysError &e) {
		return e.err();
	}
	return 0;
}

}  // namespace

class AgentSdk : public ::testing::Test {
protected:
	void SetUp() override
	{
		if (!getenv("MLC_AGENT_ROOT"))
			GTEST_SKIP() << "MLC_AGENT_ROOT is not set (run by test_15_agents.py)";
	}
};

// --- mlcore ------------------------------------------------------------------------

TEST_F(AgentSdk, MlcoreResultRoundTrip)
{
	MlcoreClient c(root());
	c.send_features({510, 140, 20});
	for (int32_t v : {42, -1, INT32_MIN, INT32_MAX, 0}) {
		c.set_result(v);
		EXPECT_EQ(c.get_result(), v);	// and the guard after the int is intact
	}
}

TEST_F(AgentSdk, MlcoreTrainingReadBackAndTheSignQuirk)
{
	MlcoreClient c(root());
	c.clear_training();
	EXPECT_TRUE(c.read_training().empty());
	c.add_training({-5, 250, -150}, 1);
	c.add_training({INT32_MIN, INT32_MAX, 0}, -3);
	for (int i = 2; i < 55; i++)	// the driver keeps 50, drops the rest silently
		c.add_training({i * 100, 0, 0}, i % 3);
	auto rows = c.read_training();
	ASSERT_EQ(rows.size(), size_t(MLCORE_MAX_TRAINING_ENTRIES));
	// -5 prints "0.05": read back as 5, flagged inexact.
	EXPECT_EQ(rows[0].features, (Features{5, 250, -150}));
	EXPECT_EQ(rows[0].exact, (std::array<bool, 3>{false, true, true}));
	EXPECT_EQ(rows[0].label, 1);
	EXPECT_EQ(rows[1].features, (Features{INT32_MIN, INT32_MAX, 0}));
	EXPECT_TRUE(rows[1].all_exact());
	EXPECT_EQ(rows[1].label, -3);
	EXPECT_EQ(rows[49].features, (Features{4900, 0, 0}));
	c.clear_training();
	EXPECT_TRUE(c.read_training().empty());
}

TEST_F(AgentSdk, MlcoreHistory)
{
	MlcoreClient c(root());
	for (int i = 0; i < 12; i++)
		c.set_result(100 + i);
	ResultReport r = c.read_result_history();
	EXPECT_EQ(r.current, 111);
	ASSERT_EQ(r.history.size(), size_t(MLCORE_HISTORY_SIZE));
	EXPECT_EQ(r.history.front().value, 102);
	EXPECT_EQ(r.history.back().value, 111);
	for (size_t i = 0; i < r.history.size(); i++)
		EXPECT_EQ(r.history[i].index, int(i));
	EXPECT_GT(r.history.back().time, 1700000000);
}

TEST_F(AgentSdk, MlcoreErrorsCarryTheErrno)
{
	EXPECT_EQ(errno_of([] { MlcoreClient c(Root("/nonexistent-root")); }), ENOENT);
	MlcoreClient c(root());
	// An unknown command is EINVAL on mlcore (ABI.md).
	EXPECT_EQ(errno_of([&] { c.fd().ioctl(_IO(MLCORE_MAJOR, 9), nullptr); }), EINVAL);
	std::error_code ec;
	c.fd().ioctl(0x6800, nullptr, ec);
	EXPECT_EQ(ec, std::errc::invalid_argument);
}

// --- ml_lib ------------------------------------------------------------------------

TEST_F(AgentSdk, MlLibDatasetAndRecommendations)
{
	MlLibClient c(root());
	EXPECT_EQ(c.buffer_size(), uint64_t(ML_LIB_TEST_BUFFER_SIZE));
	c.reset();
	EXPECT_EQ(c.get_size(), 0);
	EXPECT_EQ(c.control("start"), 5u);
	c.discard_dataset();
	c.prepare_dataset();
	EXPECT_EQ(c.data_size(), uint64_t(ML_LIB_TEST_BUFFER_SIZE));
	EXPECT_EQ(c.get_size(), ML_LIB_TEST_BUFFER_SIZE);
	auto data = c.read_dataset();
	ASSERT_EQ(data.size(), size_t(ML_LIB_TEST_BUFFER_SIZE));
	for (auto b : data)
		ASSERT_EQ(b, data[0]);	// one random byte fills the buffer

	std::vector<std::byte> rec(100, std::byte{7});
	EXPECT_EQ(c.write_recommendations(rec), 100u);
	EXPECT_EQ(c.write_recommendations(rec, 1000), 24u);	// short at the end
	EXPECT_EQ(errno_of([&] { c.write_recommendations(rec, 1024); }), ENOSPC);
	c.set_size(512);
	EXPECT_EQ(errno_of([&] { c.set_size(-1); }), EINVAL);
	EXPECT_EQ(errno_of([&] { c.set_size(1025); }), EINVAL);
	c.stop();
}

TEST_F(AgentSdk, MlLibControlAndAttributes)
{
	MlLibClient c(root());
	EXPECT_EQ(c.control("s"), 1u);	// the prefix quirk: start
	EXPECT_EQ(errno_of([&] { c.control("xyz\n"); }), EOPNOTSUPP);
	MlLibStats before = c.stats();
	c.reset();	// opens the device
	(void)c.read_dataset();
	MlLibStats after = c.stats();
	EXPECT_EQ(after.opens, before.opens + 1);
	EXPECT_GE(after.reads, before.reads);
	EXPECT_GE(c.access_count(), after.opens);
	std::string dev = c.dev_numbers();
	EXPECT_NE(dev.find(':'), std::string::npos);
	KeyValues info = c.proc_info();
	EXPECT_EQ(find_value(info, "Device name"), "mllibdev");
	EXPECT_EQ(find_value(info, "Buffer size"), "1024 bytes");
	EXPECT_EQ(find_value(info, "Access count"), std::to_string(c.access_count()));
}

// --- the closed loop -------------------------------------------------------------------

TEST_F(AgentSdk, LoopStepsAndRecords)
{
	MlLoopClient c(root());
	c.reset();
	c.stop();
	EXPECT_EQ(c.state(), ML_LIB_MODEL_STOPPED);
	EXPECT_EQ(errno_of([&] { c.step(1); }), EAGAIN);
	c.start();
	EXPECT_EQ(c.state(), ML_LIB_MODEL_STARTED);
	EXPECT_EQ(c.mode(), ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(c.efficiency_milli(), 1000u);
	EXPECT_EQ(c.pending(), 0u);
	EXPECT_TRUE(c.read_records().empty());

	c.step(3);
	EXPECT_EQ(c.pending(), 6u);
	auto first = c.read_records(1);
	ASSERT_EQ(first.size(), 1u);
	auto *d = std::get_if<DatasetRecord>(&first[0]);
	ASSERT_TRUE(d);
	EXPECT_EQ(d->epoch, 1u);
	EXPECT_EQ(d->accesses, 512u);
	auto rest = c.drain();
	ASSERT_EQ(rest.size(), 5u);
	for (size_t i = 0; i < rest.size(); i++) {
		// FEEDBACK 1, DATASET 2, FEEDBACK 2, DATASET 3, FEEDBACK 3
		EXPECT_EQ(rest[i].index(), i % 2 == 0 ? 1u : 0u) << i;
		EXPECT_EQ(record_epoch(rest[i]), 1 + (i + 1) / 2) << i;
	}
	auto &fb = std::get<FeedbackRecord>(rest[0]);
	EXPECT_EQ(fb.mode, ML_LIB_EMERGENCY_MODE);
	EXPECT_FALSE(fb.recommended_window);
	EXPECT_EQ(fb.cost_actual, fb.cost_default);	// EMERGENCY: the default only
	EXPECT_EQ(c.pending(), 0u);

	LoopStats st = c.stats();
	EXPECT_EQ(st.get("epochs"), 3u);
	EXPECT_EQ(st.get("records_pending"), 0u);
}

TEST_F(AgentSdk, LoopRecommendations)
{
	MlLoopClient c(root());
	c.reset();
	c.start();
	c.write_recommendation(32, 900);
	EXPECT_EQ(c.stats().get("recommendations_accepted"), 1u);
	c.step(1);
	auto recs = c.drain();
	ASSERT_EQ(recs.size(), 2u);
	auto &fb = std::get<FeedbackRecord>(recs[1]);
	EXPECT_EQ(fb.recommended_window, 32u);
	EXPECT_EQ(fb.error, 32 - int32_t(fb.best_window));
	EXPECT_GT(fb.cost_recommended, 0u);

	// Refused before any write: nothing reaches the kernel.
	EXPECT_THROW(c.write_recommendation(ML_LOOP_MAX_WINDOW + 1), std::invalid_argument);
	EXPECT_EQ(c.stats().get("recommendations_refused"), 0u);
	// Refused by the kernel: EINVAL, counted.
	RecordBytes bad = encode_record(RecommendationRecord{0, 8, 0});
	bad[0] = std::byte{0};
	std::error_code ec;
	c.write_raw(bad, ec);
	EXPECT_EQ(ec, std::errc::invalid_argument);
	c.write_raw(std::span<const std::byte>(bad.data(), 63), ec);
	EXPECT_EQ(ec, std::errc::invalid_argument);
	EXPECT_EQ(c.stats().get("recommendations_refused"), 2u);
	// The last valid one is still in force.
	c.step(1);
	recs = c.drain();
	ASSERT_EQ(recs.size(), 2u);
	EXPECT_EQ(std::get<FeedbackRecord>(recs[1]).recommended_window, 32u);
}

TEST_F(AgentSdk, LoopControlErrors)
{
	MlLoopClient c(root());
	c.reset();
	c.start();
	EXPECT_EQ(errno_of([&] { c.step(0); }), EINVAL);
	EXPECT_EQ(errno_of([&] { c.step(10001); }), EINVAL);
	EXPECT_EQ(errno_of([&] { c.control("bogus"); }), EOPNOTSUPP);
	EXPECT_EQ(errno_of([&] { MlLoopClient(Root("/nonexistent-root")).pending(); }),
		  ENOENT);
}

TEST_F(AgentSdk, LoopQueueDropsTheOldest)
{
	MlLoopClient c(root());
	c.reset();
	c.start();
	c.step(200);	// 400 records into a queue of 256
	EXPECT_EQ(c.pending(), 256u);
	auto all = c.drain();
	ASSERT_EQ(all.size(), 256u);
	EXPECT_EQ(record_epoch(all.front()), 73u);	// epochs 1..72 dropped
	EXPECT_EQ(record_epoch(all.back()), 200u);
	EXPECT_EQ(c.stats().get("records_dropped"), 144u);
	c.reset();
	EXPECT_EQ(c.pending(), 0u);
	EXPECT_EQ(c.stats().get("epochs"), 0u);
}

TEST_F(AgentSdk, TheSameSeedGivesTheSameRecords)
{
	MlLoopClient c(root());
	auto run = [&] {
		c.reset();
		c.start();
		c.write_recommendation(16);
		c.step(20);
		return c.drain();
	};
	auto a = run(), b = run();
	ASSERT_EQ(a.size(), 40u);
	EXPECT_EQ(a, b);
}

// SPDX-License-Identifier: GPL-2.0
//
// /dev/mlloop and ml_readahead's `control` (docs/closed-loop.md, "Data
// channel" and "Control"): load, the record queue and its overflow, read
// and write validation, the ioctl, the control commands with the extended
// parser (and ml_lib v1's parser untouched), reset, seeded determinism and
// the records' contents.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "emulator/random.hpp"
#include "loop_test_util.hpp"

using namespace std::string_literals;

namespace mlc_test {
namespace {

LogLine warn(std::string t) { return {MLC_KERN_WARNING, std::move(t)}; }

class Loop : public ::testing::Test {
protected:
	void SetUp() override
	{
		rig = std::make_unique<LoopRig>();
		ASSERT_EQ(rig->load_rc, 0);
	}
	ml_loop_dev &dev() { return rig->dev(); }
	std::vector<LogLine> &log() { return rig->h.log.lines; }
	std::unique_ptr<LoopRig> rig;
};

// --- load -----------------------------------------------------------------

TEST_F(Loop, LoadState)
{
	EXPECT_STREQ(dev().model.name, ML_LOOP_MODEL_NAME);
	EXPECT_EQ(dev().model.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(dev().model.state, (uint32_t)ML_LIB_MODEL_INITIALIZED);
	EXPECT_EQ(dev().rec_window, ML_LOOP_NO_WINDOW);
	EXPECT_EQ(dev().quality_milli, 1000u);
	EXPECT_EQ(dev().efficiency_milli, 1000u);
	EXPECT_EQ(dev().q_count, 0u);
	EXPECT_EQ(dev().epochs, 0u);
	EXPECT_EQ(dev().sim.epoch, 0u);
	// The seed is 8 bytes of the platform's randomness (all 0x5A here).
	EXPECT_EQ(dev().sim.seed, 0x5a5a5a5a5a5a5a5aull);
	EXPECT_TRUE(log().empty());
}

TEST(LoopLoad, SeedComesFromTheSeededRandomSource)
{
	LoopRig a(std::make_unique<mlc::SeededRandom>(11));
	mlc::SeededRandom ref(11);
	EXPECT_EQ(a.dev().sim.seed, ref.next());
}

// --- read ------------------------------------------------------------------

TEST_F(Loop, ReadBelowOneRecordIsEinval)
{
	EXPECT_EQ(rig->read(0), -EINVAL);
	EXPECT_EQ(rig->read(63), -EINVAL);
	rig->start();
	ASSERT_EQ(rig->control("step 1"), 6);
	EXPECT_EQ(rig->read(1), -EINVAL);
	EXPECT_EQ(rig->read(63), -EINVAL);
	EXPECT_EQ(rig->pending(), 2u) << "a refused read takes nothing";
}

TEST_F(Loop, ReadWholeRecordsOldestFirst)
{
	EXPECT_EQ(rig->read(64), 0) << "nothing waiting: 0";
	rig->start();
	ASSERT_EQ(rig->control("step 3"), 6);
	ASSERT_EQ(rig->pending(), 6u);
	std::vector<uint8_t> b;
	EXPECT_EQ(rig->read(100, &b), 64) << "as many whole records as fit";
	EXPECT_EQ(dataset_at(b, 0).hdr.type, ML_LOOP_REC_DATASET);
	EXPECT_EQ(dataset_at(b, 0).hdr.epoch, 1u);
	EXPECT_EQ(rig->read(64 * 2 + 63, &b), 128);
	EXPECT_EQ(feedback_at(b, 0).hdr.type, ML_LOOP_REC_FEEDBACK);
	EXPECT_EQ(feedback_at(b, 0).hdr.epoch, 1u);
	EXPECT_EQ(dataset_at(b, 1).hdr.epoch, 2u);
	EXPECT_EQ(rig->read(64 * 10, &b), 192) << "no more than wait";
	EXPECT_EQ(dataset_at(b, 1).hdr.epoch, 3u);
	EXPECT_EQ(rig->read(64), 0);
	EXPECT_TRUE(log().empty());
}

TEST_F(Loop, ReadFaults)
{
	rig->start();
	ASSERT_EQ(rig->control("step 1"), 6);
	EXPECT_EQ(ml_loop_dev_read(&dev(), rig->host(), TestHost::kUnmapped, 128),
		  -EFAULT);
	EXPECT_EQ(rig->pending(), 2u) << "a fault takes nothing";
	// The second record does not fit in the caller's region: only the
	// first is copied and taken.
	rig->h.set_user_size(100);
	EXPECT_EQ(ml_loop_dev_read(&dev(), rig->host(), rig->h.addr(0), 128), 64);
	EXPECT_EQ(rig->pending(), 1u);
}

TEST_F(Loop, QueueOverflowDropsOldestAndCountsIt)
{
	rig->start();
	ASSERT_EQ(rig->control("step 130"), 8);	// 260 records
	EXPECT_EQ(rig->pending(), (uint32_t)ML_LOOP_QUEUE_LEN);
	EXPECT_EQ(dev().records_dropped, 4u);
	std::vector<uint8_t> b = rig->drain();
	ASSERT_EQ(b.size(), 256u * 64);
	EXPECT_EQ(dataset_at(b, 0).hdr.epoch, 3u) << "epochs 1 and 2 dropped";
	EXPECT_EQ(dataset_at(b, 0).hdr.type, ML_LOOP_REC_DATASET);
	EXPECT_EQ(feedback_at(b, 255).hdr.epoch, 130u);
	auto stats = render_loop([&](char *p, size_t s) {
		return ml_loop_dev_show_stats(&dev(), p, s);
	});
	EXPECT_NE(stats.find("records_dropped: 4\n"), std::string::npos) << stats;
}

// --- ioctl -----------------------------------------------------------------

TEST_F(Loop, IocPending)
{
	rig->h.set_user_size(8);
	rig->start();
	ASSERT_EQ(rig->control("step 2"), 6);
	EXPECT_EQ(ml_loop_dev_ioctl(&dev(), rig->host(), ML_LOOP_IOCPENDING,
				    rig->h.addr(0)), 0);
	uint32_t n;
	std::memcpy(&n, rig->h.bytes(), 4);
	EXPECT_EQ(n, 4u);
	EXPECT_EQ(rig->h.written_end(), 4u) << "exactly 4 bytes";
	EXPECT_EQ(ml_loop_dev_ioctl(&dev(), rig->host(), ML_LOOP_IOCPENDING,
				    TestHost::kUnmapped), -EFAULT);
	EXPECT_EQ(ml_loop_dev_ioctl(&dev(), rig->host(), ML_LIB_TEST_IOCRESET, 0),
		  -ENOTTY);
	EXPECT_EQ(ml_loop_dev_ioctl(&dev(), rig->host(), ML_LOOP_IOCPENDING + 1,
				    rig->h.addr(0)), -ENOTTY);
}

TEST(LoopVfs, StreamAnswers)
{
	EXPECT_EQ(ml_loop_dev_llseek(), -ESPIPE);
	EXPECT_EQ(ml_loop_dev_mmap(), -ENODEV);
}

// --- write -----------------------------------------------------------------

TEST_F(Loop, ValidRecommendationIsInForceAndLastWins)
{
	EXPECT_EQ(rig->write_window(32), 64);
	EXPECT_EQ(dev().rec_window, 32u);
	EXPECT_EQ(rig->write_recs({make_rec(8), make_rec(256), make_rec(0, 999)}), 192);
	EXPECT_EQ(dev().rec_window, 0u);
	EXPECT_EQ(dev().rec_confidence, 999u);
	EXPECT_EQ(dev().rec_accepted, 4u);
	EXPECT_EQ(dev().rec_refused, 0u);
	EXPECT_EQ(rig->write_recs({}), 0);
	EXPECT_TRUE(log().empty());
	// hdr.epoch is informative: any value is accepted.
	auto r = make_rec(4);
	r.hdr.epoch = 12345;
	EXPECT_EQ(rig->write_recs({r}), 64);
	EXPECT_EQ(dev().rec_window, 4u);
}

TEST_F(Loop, BadRecordsAreEinvalAndChangeNothing)
{
	ASSERT_EQ(rig->write_window(16), 64);
	struct Case {
		const char *what;
		void (*spoil)(ml_loop_recommendation &);
		std::string line;
	} cases[] = {
		{"magic", [](ml_loop_recommendation &r) { r.hdr.magic = 0x12345678; },
		 "ml_loop: recommendation refused: bad magic 0x12345678 (record 0)"},
		{"type dataset", [](ml_loop_recommendation &r) { r.hdr.type = ML_LOOP_REC_DATASET; },
		 "ml_loop: recommendation refused: bad type 1 (record 0)"},
		{"type feedback", [](ml_loop_recommendation &r) { r.hdr.type = ML_LOOP_REC_FEEDBACK; },
		 "ml_loop: recommendation refused: bad type 2 (record 0)"},
		{"size", [](ml_loop_recommendation &r) { r.hdr.size = 60; },
		 "ml_loop: recommendation refused: bad size 60 (record 0)"},
		{"window", [](ml_loop_recommendation &r) { r.window = 257; },
		 "ml_loop: recommendation refused: window 257 above 256 (record 0)"},
		{"window none", [](ml_loop_recommendation &r) { r.window = ML_LOOP_NO_WINDOW; },
		 "ml_loop: recommendation refused: window 4294967295 above 256 (record 0)"},
	};
	uint64_t refused = 0;
	for (const auto &c : cases) {
		SCOPED_TRACE(c.what);
		auto bad = make_rec(64);
		c.spoil(bad);
		log().clear();
		EXPECT_EQ(rig->write_recs({bad}), -EINVAL);
		EXPECT_EQ(dev().rec_window, 16u);
		EXPECT_EQ(dev().rec_accepted, 1u);
		EXPECT_EQ(dev().rec_refused, ++refused);
		EXPECT_EQ(log(), std::vector<LogLine>{warn(c.line)});
		// A bad record anywhere refuses the whole write, good ones too.
		log().clear();
		EXPECT_EQ(rig->write_recs({make_rec(128), bad, make_rec(2)}), -EINVAL);
		EXPECT_EQ(dev().rec_window, 16u);
		EXPECT_EQ(dev().rec_refused, ++refused);
		ASSERT_EQ(log().size(), 1u);
		EXPECT_NE(log()[0].text.find("(record 1)"), std::string::npos);
	}
}

TEST_F(Loop, WriteLengthAndFaults)
{
	ASSERT_EQ(rig->write_window(16), 64);
	auto r = make_rec(8);
	rig->h.poke(0, &r, sizeof(r));
	for (size_t n : {1, 63, 65, 127}) {
		log().clear();
		EXPECT_EQ(ml_loop_dev_write(&dev(), rig->host(), rig->h.addr(0), n), -EINVAL);
		EXPECT_EQ(log(), std::vector<LogLine>{warn(
			"ml_loop: recommendation refused: length " + std::to_string(n) +
			" is not a multiple of 64")});
	}
	log().clear();
	EXPECT_EQ(ml_loop_dev_write(&dev(), rig->host(), TestHost::kUnmapped, 64), -EFAULT);
	// The second record faults: nothing changes, not even the first.
	rig->h.set_user_size(100);
	rig->h.poke(0, &r, sizeof(r));
	EXPECT_EQ(ml_loop_dev_write(&dev(), rig->host(), rig->h.addr(0), 128), -EFAULT);
	EXPECT_EQ(dev().rec_window, 16u);
	EXPECT_EQ(dev().rec_refused, 4u);
	EXPECT_EQ(dev().rec_accepted, 1u);
	EXPECT_TRUE(log().empty());
}

TEST_F(Loop, RecommendationAppliesFromTheNextEpoch)
{
	rig->start();
	ASSERT_EQ(rig->control("step 1"), 6);
	ASSERT_EQ(rig->write_window(64), 64);
	ASSERT_EQ(rig->control("step 2"), 6);
	auto b = rig->drain();
	ASSERT_EQ(b.size(), 6u * 64);
	EXPECT_EQ(feedback_at(b, 1).recommended_window, ML_LOOP_NO_WINDOW);
	EXPECT_EQ(feedback_at(b, 1).cost_recommended, 0u);
	EXPECT_EQ(feedback_at(b, 1).error, 0);
	EXPECT_EQ(feedback_at(b, 3).recommended_window, 64u);
	EXPECT_EQ(feedback_at(b, 5).recommended_window, 64u) << "stays in force";
}

// --- control ---------------------------------------------------------------

TEST_F(Loop, StartStopAndStateGateStep)
{
	EXPECT_EQ(rig->control("step 1"), -EAGAIN) << "initialized: not started";
	EXPECT_EQ(rig->control("start\n"), 6);
	EXPECT_EQ(dev().model.state, (uint32_t)ML_LIB_MODEL_STARTED);
	EXPECT_EQ(rig->control("step 1\n"), 7);
	EXPECT_EQ(rig->control("stop"), 4);
	EXPECT_EQ(dev().model.state, (uint32_t)ML_LIB_MODEL_STOPPED);
	EXPECT_EQ(rig->control("step 1"), -EAGAIN) << "stop freezes the loop";
	EXPECT_EQ(dev().epochs, 1u);
	// prepare_dataset moves the model to RUNNING (as in v1); step runs.
	EXPECT_EQ(rig->control("start"), 5);
	EXPECT_EQ(rig->control("prepare_dataset"), 15);
	EXPECT_EQ(dev().model.state, (uint32_t)ML_LIB_MODEL_RUNNING);
	EXPECT_EQ(rig->control("step 1"), 6);
	EXPECT_EQ(dev().epochs, 2u);
	// No v1 "TODO" lines: the loop implements start and stop.
	EXPECT_TRUE(log().empty());
}

TEST_F(Loop, DatasetDescriptorKeepsItsRfcMeaning)
{
	rig->start();
	ASSERT_EQ(rig->control("step 3"), 6);
	ASSERT_EQ(rig->control("prepare_dataset"), 15);
	EXPECT_EQ(dev().model.dataset.state, (uint32_t)ML_LIB_DATASET_CLEAN);
	EXPECT_EQ(dev().model.dataset.type, (uint32_t)ML_LIB_MEMORY_STREAM_DATASET);
	EXPECT_EQ(dev().model.dataset.portion_size, 6u * 64);
	EXPECT_EQ(dev().model.dataset.allocated_size, 256u * 64);
	// CLEAN is kept by another prepare; discard makes the next extract.
	ASSERT_EQ(rig->control("step 1"), 6);
	ASSERT_EQ(rig->control("prepare_dataset"), 15);
	EXPECT_EQ(dev().model.dataset.portion_size, 6u * 64);
	ASSERT_EQ(rig->control("discard_dataset"), 15);
	EXPECT_EQ(dev().model.dataset.state, (uint32_t)ML_LIB_DATASET_OBSOLETE);
	ASSERT_EQ(rig->control("prepare_dataset"), 15);
	EXPECT_EQ(dev().model.dataset.portion_size, 8u * 64);
}

TEST_F(Loop, StepArguments)
{
	rig->start();
	struct {
		std::string in;
		long ret;
		uint64_t epochs;	// added
	} cases[] = {
		{"step 1", 6, 1},
		{"step 2\n", 7, 2},
		{"step\t3", 6, 3},
		{"step   4  \n", 11, 4},
		{"step 5\0junk"s, 11, 5},
		{"step 0", -EINVAL, 0},
		{"step 10001", -EINVAL, 0},
		{"step 99999999999999999999", -EINVAL, 0},
		{"step", -EINVAL, 0},
		{"ste", -EINVAL, 0},
		{"step ", -EINVAL, 0},
		{"step5", -EINVAL, 0},
		{"step 5x", -EINVAL, 0},
		{"step -1", -EINVAL, 0},
		{"step 5 6", -EINVAL, 0},
		{"step\n5", -EINVAL, 0},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::PrintToString(c.in));
		uint64_t before = dev().epochs;
		EXPECT_EQ(rig->control(c.in), c.ret);
		EXPECT_EQ(dev().epochs - before, c.epochs);
	}
}

TEST_F(Loop, StepMaxIsTenThousand)
{
	rig->start();
	EXPECT_EQ(rig->control("step 10000"), 10);
	EXPECT_EQ(dev().epochs, 10000u);
	EXPECT_EQ(dev().records_dropped, 20000u - 256);
}

// The loop's parser: v1's commands first with v1's prefix rule, then
// step and reset; v1's own parser and the test driver never see them.
TEST(LoopParser, ExtendedParserKeepsV1Precedence)
{
	EXPECT_EQ(ml_lib_model_parse_control_ext("s", 1), ML_LIB_CONTROL_START);
	EXPECT_EQ(ml_lib_model_parse_control_ext("st", 2), ML_LIB_CONTROL_START);
	EXPECT_EQ(ml_lib_model_parse_control_ext("sto", 3), ML_LIB_CONTROL_STOP);
	EXPECT_EQ(ml_lib_model_parse_control_ext("ste", 3), ML_LIB_CONTROL_STEP);
	EXPECT_EQ(ml_lib_model_parse_control_ext("step 5\n", 7), ML_LIB_CONTROL_STEP);
	EXPECT_EQ(ml_lib_model_parse_control_ext("r", 1), ML_LIB_CONTROL_RESET);
	EXPECT_EQ(ml_lib_model_parse_control_ext("reset\n", 6), ML_LIB_CONTROL_RESET);
	EXPECT_EQ(ml_lib_model_parse_control_ext("p", 1), ML_LIB_CONTROL_PREPARE_DATASET);
	EXPECT_EQ(ml_lib_model_parse_control_ext("d", 1), ML_LIB_CONTROL_DISCARD_DATASET);
	EXPECT_EQ(ml_lib_model_parse_control_ext("x", 1), -EOPNOTSUPP);
	EXPECT_EQ(ml_lib_model_parse_control_ext("STEP 1", 6), -EOPNOTSUPP);

	EXPECT_EQ(ml_lib_model_parse_control("step 5", 6), -EOPNOTSUPP);
	EXPECT_EQ(ml_lib_model_parse_control("ste", 3), -EOPNOTSUPP);
	EXPECT_EQ(ml_lib_model_parse_control("reset", 5), -EOPNOTSUPP);
	EXPECT_EQ(ml_lib_model_parse_control("r", 1), -EOPNOTSUPP);

	TestHost h;
	ml_lib_test_dev tdev;
	ASSERT_EQ(ml_lib_test_dev_load(&tdev, h.get()), 0);
	EXPECT_EQ(ml_lib_test_dev_control_store(&tdev, h.get(), "step 1", 6), -EOPNOTSUPP);
	EXPECT_EQ(ml_lib_test_dev_control_store(&tdev, h.get(), "reset", 5), -EOPNOTSUPP);
}

TEST_F(Loop, UnknownCommands)
{
	for (const char *c : {"xyz", "START", " start", "\n", "dp"})
		EXPECT_EQ(rig->control(c), -EOPNOTSUPP) << c;
}

// --- reset -----------------------------------------------------------------

TEST_F(Loop, ResetRestartsTheSameTrace)
{
	rig->start();
	ASSERT_EQ(rig->write_window(0), 64);
	auto first = run_agent(*rig, 40, oracle_agent);
	ASSERT_GT(dev().mode_changes, 0u);
	ASSERT_EQ(rig->control("prepare_dataset"), 15);
	ASSERT_EQ(rig->control("step 2"), 6);	// left waiting
	uint64_t seed = dev().sim.seed;
	uint32_t state = dev().model.state;

	log().clear();
	EXPECT_EQ(rig->control("reset\n"), 6);
	EXPECT_TRUE(log().empty());
	EXPECT_EQ(dev().sim.seed, seed);
	EXPECT_EQ(dev().model.state, state) << "the model's state is kept";
	EXPECT_EQ(dev().model.dataset.state, (uint32_t)ML_LIB_DATASET_CLEAN);
	EXPECT_EQ(dev().model.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(dev().rec_window, ML_LOOP_NO_WINDOW);
	EXPECT_EQ(rig->pending(), 0u);
	EXPECT_EQ(dev().epochs, 0u);
	EXPECT_EQ(dev().mode_changes, 0u);
	EXPECT_EQ(dev().quality_milli, 1000u);
	EXPECT_EQ(dev().efficiency_milli, 1000u);

	ASSERT_EQ(rig->write_window(0), 64);
	auto again = run_agent(*rig, 40, oracle_agent);
	EXPECT_EQ(first.records, again.records);
}

// --- determinism -----------------------------------------------------------

RunResult seeded_run(uint64_t seed, unsigned epochs)
{
	LoopRig rig(std::make_unique<mlc::SeededRandom>(seed));
	rig.start();
	return run_agent(rig, epochs, oracle_agent);
}

TEST(LoopDeterminism, SameSeedSameRecordStream)
{
	auto a = seeded_run(2026, 200);
	auto b = seeded_run(2026, 200);
	ASSERT_EQ(a.records.size(), 400u * 64);
	EXPECT_EQ(a.records, b.records);
	auto c = seeded_run(2027, 200);
	EXPECT_NE(a.records, c.records);
}

// --- the records -------------------------------------------------------------

TEST_F(Loop, RecordsAreConsistent)
{
	rig->start();
	uint64_t cd = 0, ca = 0, cr = 0, misses = 0;
	auto res = run_agent(*rig, 120, [](const AgentView &v) -> std::optional<uint32_t> {
		if (!v.last)
			return 16;
		return v.last->best_window;
	});
	for (size_t i = 0; i < 240; i += 2) {
		auto d = dataset_at(res.records, i);
		auto f = feedback_at(res.records, i + 1);
		SCOPED_TRACE(d.hdr.epoch);
		ASSERT_EQ(d.hdr.magic, ML_LOOP_RECORD_MAGIC);
		ASSERT_EQ(d.hdr.type, ML_LOOP_REC_DATASET);
		ASSERT_EQ(d.hdr.size, 64);
		ASSERT_EQ(d.hdr.epoch, i / 2 + 1);
		ASSERT_EQ(f.hdr.magic, ML_LOOP_RECORD_MAGIC);
		ASSERT_EQ(f.hdr.type, ML_LOOP_REC_FEEDBACK);
		ASSERT_EQ(f.hdr.size, 64);
		ASSERT_EQ(f.hdr.epoch, d.hdr.epoch);
		EXPECT_EQ(d.accesses, 512u);
		EXPECT_LE(d.seq_permille, 1000u);
		EXPECT_LE(d.distinct_permille, 1000u);
		EXPECT_GE(d.mean_run_x100, 100u);
		EXPECT_EQ(d.phase_hint, 0u);
		for (uint32_t r : d.reserved)
			EXPECT_EQ(r, 0u);
		EXPECT_GE(d.default_window, 4u);
		EXPECT_LE(d.default_window, 128u);
		EXPECT_EQ(f.best_window, d.best_window);
		EXPECT_GE(f.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
		EXPECT_LE(f.mode, (uint32_t)ML_LIB_RECOMMENDATION_MODE);
		EXPECT_EQ(f.error, (int32_t)f.recommended_window - (int32_t)f.best_window);
		EXPECT_EQ(f.efficiency_milli, f.cost_default * 1000 / f.cost_actual);
		if (f.mode == ML_LIB_EMERGENCY_MODE) {
			EXPECT_EQ(f.applied_permille, 0u);
			EXPECT_EQ(f.cost_actual, f.cost_default);
		}
		EXPECT_LE(f.applied_permille, 1000u);
		cd += f.cost_default;
		ca += f.cost_actual;
		cr += f.cost_recommended;
	}
	misses = dev().misses;
	EXPECT_EQ(dev().cost_default, cd);
	EXPECT_EQ(dev().cost_actual, ca);
	EXPECT_EQ(dev().cost_recommended, cr);
	EXPECT_GT(misses, 0u);
	EXPECT_EQ(dev().epochs, 120u);
}

}  // namespace
}  // namespace mlc_test

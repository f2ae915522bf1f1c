// SPDX-License-Identifier: GPL-2.0
//
// The sysfs attributes of ml_readahead (docs/closed-loop.md, "Control"):
// mode, state, efficiency, stats and the class device's dev, byte for
// byte against golden files (test/golden/ml_loop/).
#include <gtest/gtest.h>

#include <cstring>

#include "loop_test_util.hpp"

namespace mlc_test {
namespace {

class LoopRender : public ::testing::Test {
protected:
	void SetUp() override { ASSERT_EQ(rig.load_rc, 0); }
	ml_loop_dev &dev() { return rig.dev(); }
	std::string mode()
	{
		return render_loop([&](char *b, size_t s) { return ml_loop_dev_show_mode(&dev(), b, s); });
	}
	std::string state()
	{
		return render_loop([&](char *b, size_t s) { return ml_loop_dev_show_state(&dev(), b, s); });
	}
	std::string efficiency()
	{
		return render_loop([&](char *b, size_t s) {
			return ml_loop_dev_show_efficiency(&dev(), b, s);
		});
	}
	std::string stats()
	{
		return render_loop([&](char *b, size_t s) { return ml_loop_dev_show_stats(&dev(), b, s); });
	}

	// On the fixed seed 0x5a5a5a5a5a5a5a5a: 60 epochs with the oracle
	// agent (it climbs and falls back), a refused write, then 140 epochs
	// nobody reads (a dead agent's fallback, 24 records dropped).
	void activity()
	{
		rig.start();
		run_agent(rig, 60, oracle_agent);
		ASSERT_EQ(rig.write_window(300), -EINVAL);
		ASSERT_EQ(rig.control("step 140"), 8);
	}

	LoopRig rig;
};

TEST_F(LoopRender, AtLoad)
{
	EXPECT_EQ(mode(), read_golden("mode_load.txt"));
	EXPECT_EQ(state(), read_golden("state_load.txt"));
	EXPECT_EQ(efficiency(), read_golden("efficiency_load.txt"));
	EXPECT_EQ(stats(), read_golden("stats_load.txt"));
	EXPECT_EQ(render_loop([](char *b, size_t s) { return ml_loop_dev_show_dev(253, b, s); }),
		  read_golden("dev_253.txt"));
}

TEST_F(LoopRender, AfterActivity)
{
	activity();
	EXPECT_EQ(mode(), read_golden("mode_active.txt"));
	EXPECT_EQ(state(), "started\n");
	EXPECT_EQ(efficiency(), read_golden("efficiency_active.txt"));
	EXPECT_EQ(stats(), read_golden("stats_active.txt"));
}

// The stats are the records' sums: checked here, not only by the golden.
TEST_F(LoopRender, StatsAreTheRecordsSums)
{
	rig.start();
	ASSERT_EQ(rig.write_window(16), 64);
	ASSERT_EQ(rig.control("step 40"), 7);
	auto b = rig.drain();
	uint64_t cd = 0, cr = 0, ca = 0;
	for (size_t i = 1; i < b.size() / 64; i += 2) {
		auto f = feedback_at(b, i);
		cd += f.cost_default;
		cr += f.cost_recommended;
		ca += f.cost_actual;
	}
	auto s = stats();
	auto has = [&](const std::string &line) {
		return s.find(line + "\n") != std::string::npos;
	};
	EXPECT_TRUE(has("epochs: 40")) << s;
	EXPECT_TRUE(has("cost_default: " + std::to_string(cd))) << s;
	EXPECT_TRUE(has("cost_recommended: " + std::to_string(cr))) << s;
	EXPECT_TRUE(has("cost_actual: " + std::to_string(ca))) << s;
	EXPECT_TRUE(has("efficiency_total_milli: " + std::to_string(cd * 1000 / ca))) << s;
	EXPECT_TRUE(has("quality_milli: " + std::to_string(dev().quality_milli))) << s;
	EXPECT_TRUE(has("recommendations_accepted: 1")) << s;
	EXPECT_TRUE(has("records_pending: 0")) << s;
}

TEST_F(LoopRender, EveryModeAndStateName)
{
	const char *modes[] = {"unknown\n", "emergency\n", "learning\n", "collaboration\n",
			       "recommendation\n"};
	for (uint32_t m = 0; m < ML_LIB_MODE_MAX; m++) {
		dev().model.mode = m;
		EXPECT_EQ(mode(), modes[m]);
	}
	const char *states[] = {"unknown\n", "created\n", "initialized\n", "started\n",
				"running\n", "stopped\n", "shutting_down\n"};
	for (uint32_t st = 0; st < ML_LIB_MODEL_STATE_MAX; st++) {
		dev().model.state = st;
		EXPECT_EQ(state(), states[st]);
	}
	dev().model.state = 99;
	EXPECT_EQ(state(), "unknown\n");
}

TEST_F(LoopRender, EfficiencyIsThreeDecimals)
{
	struct {
		uint32_t milli;
		const char *text;
	} cases[] = {{1000, "1.000\n"}, {1034, "1.034\n"}, {999, "0.999\n"},
		     {5, "0.005\n"}, {0, "0.000\n"}, {12345, "12.345\n"}};
	for (const auto &c : cases) {
		dev().efficiency_milli = c.milli;
		EXPECT_EQ(efficiency(), c.text);
	}
}

}  // namespace
}  // namespace mlc_test

// SPDX-License-Identifier: GPL-2.0
//
// The mode policy (docs/closed-loop.md, "Mode policy") with synthetic
// recommendation qualities: every promotion, demotion and fallback rule,
// the hysteresis, the EWMA, and the kernel-log lines of mode changes.
#include <gtest/gtest.h>

#include <vector>

#include "loop_test_util.hpp"

namespace mlc_test {
namespace {

constexpr uint32_t E = ML_LIB_EMERGENCY_MODE;
constexpr uint32_t L = ML_LIB_LEARNING_MODE;
constexpr uint32_t C = ML_LIB_COLLABORATION_MODE;
constexpr uint32_t R = ML_LIB_RECOMMENDATION_MODE;

LogLine warn(std::string t) { return {MLC_KERN_WARNING, std::move(t)}; }

// The policy's EWMA, alpha 1/4, rounded.
uint32_t ewma(uint32_t e, uint32_t q) { return (3 * e + q + 2) / 4; }

class LoopPolicy : public ::testing::Test {
protected:
	void SetUp() override
	{
		rig = std::make_unique<LoopRig>();
		ASSERT_EQ(rig->write_window(8), 64);	// a live agent
		rig->h.log.lines.clear();
	}
	ml_loop_dev &dev() { return rig->dev(); }
	// The model in mode with e, counters restarted, the agent just wrote.
	void at(uint32_t mode, uint32_t e)
	{
		dev().model.mode = mode;
		dev().quality_milli = e;
		dev().high_epochs = 0;
		dev().low_epochs = 0;
		dev().epochs_since_rec = 0;
	}
	// One epoch's end with quality q; a live agent wrote during it.
	int epoch(uint32_t q, bool has_rec = true)
	{
		dev().epochs_since_rec = 0;
		return ml_loop_dev_policy(&dev(), rig->host(), has_rec, q);
	}
	// The same with an agent that wrote nothing during it.
	int dead_epoch(uint32_t q)
	{
		return ml_loop_dev_policy(&dev(), rig->host(), true, q);
	}
	// Runs qs; the actions, one per epoch.
	std::vector<int> epochs(const std::vector<uint32_t> &qs, bool alive = true)
	{
		std::vector<int> out;
		for (uint32_t q : qs)
			out.push_back(alive ? epoch(q) : dead_epoch(q));
		return out;
	}
	std::vector<LogLine> &log() { return rig->h.log.lines; }
	std::unique_ptr<LoopRig> rig;
};

constexpr int H = ML_LOOP_HOLD;
constexpr int P = ML_LOOP_PROMOTED;
constexpr int D = ML_LOOP_DEMOTED;
constexpr int FQ = ML_LOOP_FALLBACK_QUALITY;
constexpr int FD = ML_LOOP_FALLBACK_DEAD_AGENT;

TEST_F(LoopPolicy, EwmaOfQuality)
{
	at(E, 1000);
	epoch(1100);
	EXPECT_EQ(dev().quality_milli, 1025u);	// (3000 + 1100 + 2) / 4
	epoch(1100);
	EXPECT_EQ(dev().quality_milli, 1044u);
	epoch(5000, false);
	EXPECT_EQ(dev().quality_milli, 1044u) << "no recommendation: e unchanged";
	EXPECT_EQ(ml_loop_ratio_milli(1500, 1000), 1500u);
	EXPECT_EQ(ml_loop_ratio_milli(2, 3), 666u);
	EXPECT_EQ(ml_loop_ratio_milli(1000, 1), (uint32_t)ML_LOOP_Q_MAX_MILLI);
	EXPECT_EQ(ml_loop_ratio_milli(5, 0), (uint32_t)ML_LOOP_Q_MAX_MILLI);
	EXPECT_EQ(ml_loop_ratio_milli(0, 0), 1000u);
}

// EMERGENCY -> LEARNING: a recommendation in force and e >= 1.020 for 3
// consecutive epochs.
TEST_F(LoopPolicy, EmergencyToLearning)
{
	at(E, 1000);
	EXPECT_EQ(epochs({1100, 1100, 1100}), (std::vector<int>{H, H, P}));
	EXPECT_EQ(dev().model.mode, L);
	EXPECT_EQ(dev().quality_milli, 1058u);
	EXPECT_EQ(log(), std::vector<LogLine>{
		info("ml_loop: mode emergency -> learning (efficiency 1.058)")});
	EXPECT_EQ(dev().mode_changes, 1u);
	EXPECT_EQ(dev().fallbacks, 0u);
}

TEST_F(LoopPolicy, PromotionNeedsConsecutiveEpochs)
{
	at(E, 1000);
	// 1025, 1044, then q 0.940 brings e to 1018 < 1.020: the count restarts.
	EXPECT_EQ(epochs({1100, 1100, 940}), (std::vector<int>{H, H, H}));
	EXPECT_EQ(dev().quality_milli, 1018u);
	EXPECT_EQ(epochs({1100, 1100, 1100}), (std::vector<int>{H, H, P}));
	// A q below e that keeps e above the threshold still counts.
	at(E, 1200);
	EXPECT_EQ(epochs({1000, 1000, 1000}), (std::vector<int>{H, H, P}));
}

TEST_F(LoopPolicy, ThresholdsAreInclusive)
{
	at(E, 1020);
	EXPECT_EQ(epochs({1020, 1020, 1020}), (std::vector<int>{H, H, P}));
	at(E, 1019);
	EXPECT_EQ(epochs({1019, 1019, 1019, 1019}), (std::vector<int>{H, H, H, H}));
}

TEST_F(LoopPolicy, NoPromotionWithoutARecommendation)
{
	at(E, 2000);
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(epoch(0, false), H);
	EXPECT_EQ(dev().model.mode, E);
}

TEST_F(LoopPolicy, NoPromotionFromADeadAgent)
{
	at(E, 1500);
	dev().epochs_since_rec = ML_LOOP_DEAD_AGENT_EPOCHS - 1;
	for (int i = 0; i < 6; i++)
		EXPECT_EQ(dead_epoch(1500), H) << i;
	EXPECT_EQ(dev().model.mode, E);
	EXPECT_TRUE(log().empty()) << "already in EMERGENCY: no fallback line";
	ASSERT_EQ(rig->write_window(8), 64);	// alive again
	EXPECT_EQ(epochs({1500, 1500, 1500}), (std::vector<int>{H, H, P}));
}

// LEARNING -> COLLABORATION: e >= 1.050 for 3; COLLABORATION ->
// RECOMMENDATION: e >= 1.080 for 4; nothing above RECOMMENDATION.
TEST_F(LoopPolicy, LearningToCollaborationToRecommendation)
{
	at(L, 1000);
	// e: 1050, 1088, 1116
	EXPECT_EQ(epochs({1200, 1200, 1200}), (std::vector<int>{H, H, P}));
	EXPECT_EQ(dev().model.mode, C);
	// e: 1137, 1153, 1165, 1174: already above 1.080, still 4 epochs.
	EXPECT_EQ(epochs({1200, 1200, 1200, 1200}), (std::vector<int>{H, H, H, P}));
	EXPECT_EQ(dev().model.mode, R);
	EXPECT_EQ(epochs({1200, 1200, 1200, 1200, 1200}), std::vector<int>(5, H));
	EXPECT_EQ(dev().model.mode, R);
	EXPECT_EQ(log(), (std::vector<LogLine>{
		info("ml_loop: mode learning -> collaboration (efficiency 1.116)"),
		info("ml_loop: mode collaboration -> recommendation (efficiency 1.174)"),
	}));
}

TEST_F(LoopPolicy, CollaborationNeedsItsOwnThreshold)
{
	at(C, 1070);
	EXPECT_EQ(epochs({1070, 1070, 1070, 1070, 1070}), std::vector<int>(5, H))
		<< "1.070 is enough for LEARNING, not for COLLABORATION";
	at(L, 1049);
	EXPECT_EQ(epochs({1049, 1049, 1049, 1049}), std::vector<int>(4, H));
}

// After a mode change the counters restart: e far above every threshold
// still climbs one level at a time, 3 + 3 + 4 epochs.
TEST_F(LoopPolicy, OneLevelAtATimeWithHysteresis)
{
	at(E, 3000);
	std::vector<int> want = {H, H, P, H, H, P, H, H, H, P, H};
	EXPECT_EQ(epochs(std::vector<uint32_t>(11, 3000)), want);
	EXPECT_EQ(dev().model.mode, R);
}

// Demotion: one level down when e < 1.000 for 2 consecutive epochs.
TEST_F(LoopPolicy, DemotionOneLevel)
{
	at(C, 1000);
	// q 0.950 (no fallback): e 988, 979 -> LEARNING.
	EXPECT_EQ(epochs({950, 950}), (std::vector<int>{H, D}));
	EXPECT_EQ(dev().model.mode, L);
	// Counters restart: 2 more epochs below 1.000 for the next level.
	EXPECT_EQ(epochs({950, 950}), (std::vector<int>{H, D}));
	EXPECT_EQ(dev().model.mode, E);
	EXPECT_EQ(epochs({950, 950, 950}), std::vector<int>(3, H)) << "no lower";
	EXPECT_EQ(log(), (std::vector<LogLine>{
		info("ml_loop: mode collaboration -> learning (efficiency 0.979)"),
		info("ml_loop: mode learning -> emergency (efficiency 0.967)"),
	}));
	EXPECT_EQ(dev().fallbacks, 0u);
	EXPECT_EQ(dev().mode_changes, 2u);
}

TEST_F(LoopPolicy, DemotionNeedsConsecutiveEpochs)
{
	at(R, 1000);
	// 988 (<1), 1016 (>=1: restart), 1000 (not below), 975 (<1), 956 (<1).
	EXPECT_EQ(epochs({950, 1100, 952, 900, 900}), (std::vector<int>{H, H, H, H, D}));
	EXPECT_EQ(dev().quality_milli, 956u);
	EXPECT_EQ(dev().model.mode, C);
}

// The fallback: one epoch's q below 0.900 sends any mode to EMERGENCY.
TEST_F(LoopPolicy, FallbackOnOneBadEpoch)
{
	at(R, 1200);
	EXPECT_EQ(epoch(900), H) << "0.900 is not below 0.900";
	EXPECT_EQ(dev().model.mode, R);
	uint32_t e = ewma(ewma(1200, 900), 899);
	EXPECT_EQ(epoch(899), FQ);
	EXPECT_EQ(dev().model.mode, E);
	char buf[80];
	snprintf(buf, sizeof(buf),
		 "ml_loop: mode recommendation -> emergency (efficiency %u.%03u)",
		 e / 1000, e % 1000);
	EXPECT_EQ(log(), (std::vector<LogLine>{
		warn("ml_loop: fallback to emergency: recommendation quality 0.899 below 0.900"),
		info(buf),
	}));
	EXPECT_EQ(dev().fallbacks, 1u);
	EXPECT_EQ(dev().mode_changes, 1u);
	for (uint32_t mode : {L, C}) {
		at(mode, 1500);
		EXPECT_EQ(epoch(100), FQ);
		EXPECT_EQ(dev().model.mode, E);
	}
	EXPECT_EQ(dev().fallbacks, 3u);
}

// A bad epoch in EMERGENCY changes no mode but restarts the counts.
TEST_F(LoopPolicy, FallbackInEmergencyRestartsCounters)
{
	at(E, 1500);
	EXPECT_EQ(epochs({1100, 1100}), (std::vector<int>{H, H}));
	EXPECT_EQ(dev().high_epochs, 2u);
	EXPECT_EQ(epoch(899), FQ);
	EXPECT_GE(dev().quality_milli, 1020u) << "e alone would have promoted";
	EXPECT_EQ(dev().model.mode, E);
	EXPECT_EQ(dev().high_epochs, 0u);
	EXPECT_TRUE(log().empty());
	EXPECT_EQ(dev().fallbacks, 0u);
	EXPECT_EQ(epochs({1100, 1100, 1100}), (std::vector<int>{H, H, P}));
}

// The dead agent: no recommendation written for 8 epochs.
TEST_F(LoopPolicy, FallbackOnADeadAgent)
{
	at(L, 1000);
	EXPECT_EQ(epochs(std::vector<uint32_t>(7, 1000), false), std::vector<int>(7, H));
	EXPECT_EQ(dev().model.mode, L);
	EXPECT_EQ(dead_epoch(1000), FD);
	EXPECT_EQ(dev().model.mode, E);
	EXPECT_EQ(log(), (std::vector<LogLine>{
		warn("ml_loop: fallback to emergency: no recommendation for 8 epochs"),
		info("ml_loop: mode learning -> emergency (efficiency 1.000)"),
	}));
	// Still dead in EMERGENCY: nothing more happens, nothing is logged.
	log().clear();
	EXPECT_EQ(epochs({1000, 1000}, false), (std::vector<int>{H, H}));
	EXPECT_TRUE(log().empty());
}

TEST_F(LoopPolicy, AWriteKeepsTheAgentAlive)
{
	at(C, 1000);
	for (int round = 0; round < 3; round++) {
		EXPECT_EQ(epochs(std::vector<uint32_t>(7, 1000), false),
			  std::vector<int>(7, H));
		ASSERT_EQ(rig->write_window(8), 64);
	}
	EXPECT_EQ(dev().model.mode, C);
}

// Through the loop itself: every mode change is one info line, every
// fallback a warning before it, and FEEDBACK's mode follows.
TEST(LoopPolicyInTheLoop, LogLinesMatchTheModeChanges)
{
	LoopRig rig;
	rig.start();
	auto res = run_agent(rig, 300, oracle_agent);
	uint64_t infos = 0, warns = 0;
	const auto &lines = rig.h.log.lines;
	for (size_t i = 0; i < lines.size(); i++) {
		const auto &l = lines[i];
		if (l.level == MLC_KERN_INFO) {
			EXPECT_EQ(l.text.rfind("ml_loop: mode ", 0), 0u) << l.text;
			infos++;
		} else {
			ASSERT_EQ(l.level, MLC_KERN_WARNING);
			EXPECT_EQ(l.text.rfind("ml_loop: fallback to emergency: ", 0), 0u) << l.text;
			ASSERT_LT(i + 1, lines.size());
			EXPECT_NE(lines[i + 1].text.find(" -> emergency "), std::string::npos);
			warns++;
		}
	}
	EXPECT_EQ(infos, rig.dev().mode_changes);
	EXPECT_EQ(warns, rig.dev().fallbacks);
	EXPECT_GT(warns, 0u);
	// FEEDBACK's mode changes exactly as often as the mode did.
	uint64_t changes = 0;
	uint32_t mode = ML_LIB_EMERGENCY_MODE;
	for (size_t i = 1; i < res.records.size() / 64; i += 2) {
		auto f = feedback_at(res.records, i);
		changes += f.mode != mode;
		mode = f.mode;
	}
	changes += rig.dev().model.mode != mode;
	EXPECT_EQ(changes, rig.dev().mode_changes);
}

}  // namespace
}  // namespace mlc_test

// SPDX-License-Identifier: GPL-2.0
//
// The loop end to end with scripted agents (docs/closed-loop.md, "Mode
// policy", the bound): a good agent earns its way from EMERGENCY to
// RECOMMENDATION and beats the default; deliberately bad agents, however
// they play, cannot push the cumulative efficiency below 0.95.
#include <gtest/gtest.h>

#include <cstdio>

#include "emulator/random.hpp"
#include "loop_test_util.hpp"

namespace mlc_test {
namespace {

constexpr unsigned kEpochs = 300;
const uint64_t kSeeds[] = {1, 2, 3, 4, 5, 20260101};

RunResult run(uint64_t seed, const Agent &agent, unsigned epochs = kEpochs)
{
	LoopRig rig(std::make_unique<mlc::SeededRandom>(seed));
	rig.start();
	return run_agent(rig, epochs, agent);
}

void report(const char *name, uint64_t seed, const RunResult &r)
{
	std::printf("[ ml_loop  ] %-9s seed %-8llu cumulative %.3f max mode %u "
		    "first RECOMMENDATION epoch %llu (E %u L %u C %u R %u)\n",
		    name, (unsigned long long)seed, r.cumulative, r.max_mode,
		    (unsigned long long)r.first_recommendation_epoch,
		    r.epochs_in_mode[1], r.epochs_in_mode[2], r.epochs_in_mode[3],
		    r.epochs_in_mode[4]);
}

// The good agent: the previous epoch's hindsight-best window.
TEST(LoopAgents, OracleClimbsToRecommendationAndBeatsTheDefault)
{
	for (uint64_t seed : kSeeds) {
		SCOPED_TRACE(seed);
		auto r = run(seed, oracle_agent);
		report("oracle", seed, r);
		EXPECT_EQ(r.max_mode, (uint32_t)ML_LIB_RECOMMENDATION_MODE);
		EXPECT_GT(r.first_recommendation_epoch, 0u);
		EXPECT_LE(r.first_recommendation_epoch, 100u);
		EXPECT_GT(r.cumulative, 1.0);
		// It starts in EMERGENCY and climbs one level at a time: at
		// least 3 + 3 + 4 epochs before RECOMMENDATION.
		EXPECT_GE(r.first_recommendation_epoch, 10u);
	}
}

// No agent at all: the default alone, exactly.
TEST(LoopAgents, NoAgentIsTheDefault)
{
	auto r = run(1, [](const AgentView &) { return std::nullopt; });
	EXPECT_EQ(r.cumulative, 1.0);
	EXPECT_EQ(r.max_mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
}

struct BadAgent {
	const char *name;
	Agent agent;
};

std::vector<BadAgent> bad_agents()
{
	return {
		// Always the largest window: right in sequential phases, the
		// worst in random ones.
		{"always256", [](const AgentView &) { return 256u; }},
		// Always none: the worst in sequential phases.
		{"always0", [](const AgentView &) { return 0u; }},
		// Always the opposite of what fitted the epoch just finished.
		{"opposite", [](const AgentView &v) -> std::optional<uint32_t> {
			 return v.last ? opposite(v.last->best_window) : 256u;
		 }},
		// Plays the oracle until trusted with LEARNING, then the opposite.
		{"traitorL", [](const AgentView &v) -> std::optional<uint32_t> {
			 if (!v.last)
				 return std::nullopt;
			 return v.mode >= ML_LIB_LEARNING_MODE ? opposite(v.last->best_window)
							       : v.last->best_window;
		 }},
		// ... until trusted with COLLABORATION.
		{"traitorC", [](const AgentView &v) -> std::optional<uint32_t> {
			 if (!v.last)
				 return std::nullopt;
			 return v.mode >= ML_LIB_COLLABORATION_MODE ? opposite(v.last->best_window)
								    : v.last->best_window;
		 }},
		// ... until trusted with RECOMMENDATION.
		{"traitorR", [](const AgentView &v) -> std::optional<uint32_t> {
			 if (!v.last)
				 return std::nullopt;
			 return v.mode >= ML_LIB_RECOMMENDATION_MODE ? opposite(v.last->best_window)
								     : v.last->best_window;
		 }},
	};
}

// The bound: whatever a bad agent does, the subsystem's cumulative
// efficiency over 300 epochs stays at or above 0.95.
TEST(LoopAgents, BadAgentsAreBounded)
{
	for (const auto &b : bad_agents()) {
		for (uint64_t seed : kSeeds) {
			SCOPED_TRACE(std::string(b.name) + " seed " + std::to_string(seed));
			auto r = run(seed, b.agent);
			report(b.name, seed, r);
			EXPECT_GE(r.cumulative, 0.95);
		}
	}
}

// A bad recommendation in a trusted mode costs one epoch: the fallback
// sends the model to EMERGENCY at the end of that very epoch.
TEST(LoopAgents, ABetrayalEndsInEmergencyAtTheEndOfTheEpoch)
{
	LoopRig rig(std::make_unique<mlc::SeededRandom>(3));
	rig.start();
	bool betrayed = false;
	auto traitor = [&](const AgentView &v) -> std::optional<uint32_t> {
		if (!v.last)
			return std::nullopt;
		if (v.mode >= ML_LIB_COLLABORATION_MODE) {
			betrayed = true;
			return opposite(v.last->best_window);
		}
		return v.last->best_window;
	};
	auto r = run_agent(rig, kEpochs, traitor);
	ASSERT_TRUE(betrayed);
	// Every epoch run in COLLABORATION or above with a betraying window
	// whose shadow quality fell below 0.900 is followed by EMERGENCY.
	size_t checked = 0;
	for (size_t i = 1; i + 2 < r.records.size() / 64; i += 2) {
		auto f = feedback_at(r.records, i);
		auto next = feedback_at(r.records, i + 2);
		if (f.mode < ML_LIB_COLLABORATION_MODE || f.cost_recommended == 0)
			continue;
		if (f.cost_default * 1000 / f.cost_recommended < 900) {
			EXPECT_EQ(next.mode, (uint32_t)ML_LIB_EMERGENCY_MODE) << f.hdr.epoch;
			checked++;
		}
	}
	EXPECT_GT(checked, 0u);
}

}  // namespace
}  // namespace mlc_test

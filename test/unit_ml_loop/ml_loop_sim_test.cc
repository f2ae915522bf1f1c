// SPDX-License-Identifier: GPL-2.0
//
// The closed loop's simulated subsystem (docs/closed-loop.md, "The
// subsystem: readahead sizing"): the seeded generator, the page cache and
// its cost model on hand-computed traces, the default algorithm's windows,
// the hindsight best, which misses each mode applies, the bound's test,
// and the workload's phases.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <vector>

#include "emulator/random.hpp"
#include "loop_test_util.hpp"

namespace mlc_test {
namespace {

constexpr uint64_t M = ML_LOOP_COST_MISS;	// 20
constexpr uint32_t NONE = ML_LOOP_NO_WINDOW;
constexpr uint32_t DEF = ML_LOOP_WINDOW_DEFAULT;

std::vector<uint32_t> seq(uint32_t from, uint32_t n)
{
	std::vector<uint32_t> t(n);
	std::iota(t.begin(), t.end(), from);
	return t;
}

std::vector<uint32_t> cat(std::vector<uint32_t> a, const std::vector<uint32_t> &b)
{
	a.insert(a.end(), b.begin(), b.end());
	return a;
}

// Each access's result: the window of a miss, NONE for a hit.
std::vector<uint32_t> windows_of(const std::vector<uint32_t> &trace, uint32_t window,
				 uint64_t *cost = nullptr)
{
	ml_loop_ra ra;
	std::vector<uint32_t> w(trace.size());
	uint64_t c = ml_loop_trace_cost(&ra, trace.data(), trace.size(), window, w.data());
	if (cost)
		*cost = c;
	return w;
}

// Only the misses' windows.
std::vector<uint32_t> miss_windows(const std::vector<uint32_t> &trace, uint32_t window,
				   uint64_t *cost = nullptr)
{
	std::vector<uint32_t> out;
	for (uint32_t w : windows_of(trace, window, cost))
		if (w != NONE)
			out.push_back(w);
	return out;
}

uint64_t trace_cost(const std::vector<uint32_t> &trace, uint32_t window)
{
	ml_loop_ra ra;
	return ml_loop_trace_cost(&ra, trace.data(), trace.size(), window, nullptr);
}

// --- randomness -------------------------------------------------------------

// The core's generator is the emulator's SeededRandom (splitmix64), bit for bit.
TEST(LoopRandom, SplitmixIsTheSeededRandomStream)
{
	for (uint64_t seed : {0ull, 1ull, 0x5a5a5a5a5a5a5a5aull, ~0ull}) {
		mlc::SeededRandom ref(seed);
		uint64_t s = seed;
		for (int i = 0; i < 100; i++)
			ASSERT_EQ(ml_loop_splitmix64(&s), ref.next()) << seed << " " << i;
	}
}

TEST(LoopRandom, RandBelowStaysInRangeAndCoversIt)
{
	uint64_t s = 99;
	std::set<uint32_t> seen;
	for (int i = 0; i < 10000; i++) {
		uint32_t v = ml_loop_rand_below(&s, 9);
		ASSERT_LT(v, 9u);
		seen.insert(v);
	}
	EXPECT_EQ(seen.size(), 9u);
	EXPECT_EQ(ml_loop_rand_below(&s, 1), 0u);
}

// --- cost model on hand-computed traces -------------------------------------

TEST(LoopCost, MissCostIsSeekPlusPages)
{
	EXPECT_EQ(ml_loop_miss_cost(1), M + 1);
	EXPECT_EQ(ml_loop_miss_cost(257), M + 257);
}

TEST(LoopCost, FixedWindowsOnTinyTraces)
{
	const auto t4 = seq(100, 4);	// 100 101 102 103
	// Window 0: every access a miss reading one page: 4 * 21.
	EXPECT_EQ(trace_cost(t4, 0), 4 * (M + 1));
	// Window 1: misses at 100 (100-101) and 102 (102-103): 2 * 22.
	EXPECT_EQ(trace_cost(t4, 1), 2 * (M + 2));
	EXPECT_EQ(miss_windows(t4, 1), (std::vector<uint32_t>{1, 1}));
	// Window 2: 100-102, then 103-105: 2 * 23.
	EXPECT_EQ(trace_cost(t4, 2), 2 * (M + 3));
	// Window 3: one miss reads all four: 24.
	EXPECT_EQ(trace_cost(t4, 3), M + 4);
	// Window 256 on one access: 277, however little of it is used.
	EXPECT_EQ(trace_cost({5}, 256), M + 257);
	// The same page twice: one miss, one hit.
	EXPECT_EQ(windows_of({7, 7}, 0), (std::vector<uint32_t>{0, NONE}));
	EXPECT_EQ(trace_cost({7, 7}, 0), M + 1);
	// Readahead stops at the end of the file.
	EXPECT_EQ(trace_cost({ML_LOOP_FILE_PAGES - 1}, 10), M + 1);
	EXPECT_EQ(trace_cost({ML_LOOP_FILE_PAGES - 3}, 256), M + 3);
}

TEST(LoopCost, CacheRemembersTheLastEightRanges)
{
	// Nine ranges far apart, window 0; then the first again (evicted: a
	// miss) and the ninth again (still there: a hit).
	std::vector<uint32_t> t;
	for (uint32_t i = 0; i < 9; i++)
		t.push_back(1000 * (i + 1));
	t.push_back(1000);
	t.push_back(9000);
	auto w = windows_of(t, 0);
	EXPECT_EQ(std::count(w.begin(), w.end(), NONE), 1);
	EXPECT_EQ(w[9], 0u);	// 1000 again: missed
	EXPECT_EQ(w[10], NONE);	// 9000 again: hit
	EXPECT_EQ(trace_cost(t, 0), 10 * (M + 1));
}

// --- the default algorithm ---------------------------------------------------

TEST(LoopDefault, NextWindowRule)
{
	EXPECT_EQ(ml_loop_default_next_window(4, false), 4u);
	EXPECT_EQ(ml_loop_default_next_window(128, false), 4u);
	EXPECT_EQ(ml_loop_default_next_window(4, true), 8u);
	EXPECT_EQ(ml_loop_default_next_window(32, true), 64u);
	EXPECT_EQ(ml_loop_default_next_window(64, true), 128u);
	EXPECT_EQ(ml_loop_default_next_window(128, true), 128u);
}

// 0..99 read forward: misses at 0, 5, 14, 31, 64 with windows 4, 8, 16,
// 32, 64 (129 pages in 5 misses): 5 * 20 + 129.
TEST(LoopDefault, RampsUpOnASequentialRun)
{
	uint64_t cost = 0;
	auto w = windows_of(seq(0, 100), DEF, &cost);
	std::vector<uint32_t> misses;
	for (uint32_t i = 0; i < w.size(); i++)
		if (w[i] != NONE)
			misses.push_back(i);
	EXPECT_EQ(misses, (std::vector<uint32_t>{0, 5, 14, 31, 64}));
	EXPECT_EQ(miss_windows(seq(0, 100), DEF), (std::vector<uint32_t>{4, 8, 16, 32, 64}));
	EXPECT_EQ(cost, 5 * M + 129);
}

TEST(LoopDefault, CapsAt128)
{
	auto w = miss_windows(seq(0, 1000), DEF);
	ASSERT_GE(w.size(), 8u);
	EXPECT_EQ(std::vector<uint32_t>(w.begin(), w.begin() + 8),
		  (std::vector<uint32_t>{4, 8, 16, 32, 64, 128, 128, 128}));
}

// A miss that does not continue the previous access goes back to 4.
TEST(LoopDefault, BackToFourOnAJump)
{
	auto t = cat(seq(0, 10), seq(5000, 10));	// 0..9, 5000..5009
	EXPECT_EQ(miss_windows(t, DEF), (std::vector<uint32_t>{4, 8, 4, 8}));
	// 0-4, 5-13 (hits to 9), 5000-5004, 5005-5013: 4 misses, 5+9+5+9 pages.
	EXPECT_EQ(trace_cost(t, DEF), 4 * M + 28);

	// Far-apart pages: every miss reads 4 pages after it.
	std::vector<uint32_t> rnd = {10, 9000, 333, 70000, 123456};
	EXPECT_EQ(miss_windows(rnd, DEF), std::vector<uint32_t>(5, 4));
	EXPECT_EQ(trace_cost(rnd, DEF), 5 * (M + 5));
}

// A hit in between keeps the ramp: "continues" is about the previous
// access, whether it hit or missed.
TEST(LoopDefault, ContinuesIsAboutThePreviousAccess)
{
	// 0 (miss, 0-4), 1..4 hits, 5 continues 4: doubles to 8.
	EXPECT_EQ(miss_windows(seq(0, 6), DEF), (std::vector<uint32_t>{4, 8}));
	// 0 (miss), 2 (hit, not continuing), 5 does not continue 2: back to 4.
	EXPECT_EQ(miss_windows({0, 2, 5}, DEF), (std::vector<uint32_t>{4, 4}));
}

// --- the hindsight best ------------------------------------------------------

TEST(LoopHindsight, CandidateWindows)
{
	std::vector<uint32_t> w;
	for (unsigned i = 0; i < ML_LOOP_NR_CANDIDATES; i++)
		w.push_back(ml_loop_candidate_window(i));
	EXPECT_EQ(w, (std::vector<uint32_t>{0, 1, 2, 4, 8, 16, 32, 64, 128, 256}));
}

TEST(LoopHindsight, LowestCostSmallerWindowOnATie)
{
	uint64_t c[ML_LOOP_NR_CANDIDATES] = {50, 40, 30, 30, 60, 70, 80, 90, 100, 110};
	EXPECT_EQ(ml_loop_hindsight_best(c), 2u);
	uint64_t flat[ML_LOOP_NR_CANDIDATES] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7};
	EXPECT_EQ(ml_loop_hindsight_best(flat), 0u);
	uint64_t last[ML_LOOP_NR_CANDIDATES] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 1};
	EXPECT_EQ(ml_loop_hindsight_best(last), 256u);
}

uint32_t best_for(const std::vector<uint32_t> &trace)
{
	uint64_t c[ML_LOOP_NR_CANDIDATES];
	for (unsigned i = 0; i < ML_LOOP_NR_CANDIDATES; i++)
		c[i] = trace_cost(trace, ml_loop_candidate_window(i));
	return ml_loop_hindsight_best(c);
}

TEST(LoopHindsight, FitsTheAccessPattern)
{
	// Scattered pages: no readahead.
	std::vector<uint32_t> rnd;
	for (uint32_t i = 0; i < 50; i++)
		rnd.push_back((i * 7919u * 131u) % ML_LOOP_FILE_PAGES);
	EXPECT_EQ(best_for(rnd), 0u);
	// One long forward run: the largest window.
	EXPECT_EQ(best_for(seq(0, 2000)), 256u);
	// Runs of exactly 33 pages far apart: window 32 reads each in one miss
	// (53) where 16 needs two (74) and 64 one larger (85).
	std::vector<uint32_t> runs;
	for (uint32_t r = 0; r < 10; r++)
		runs = cat(runs, seq(10000 * (r + 1), 33));
	EXPECT_EQ(trace_cost(runs, 32), 10 * (M + 33));
	EXPECT_EQ(trace_cost(runs, 16), 10 * (2 * M + 34));
	EXPECT_EQ(trace_cost(runs, 64), 10 * (M + 65));
	EXPECT_EQ(best_for(runs), 32u);
}

// --- which misses use the recommendation -------------------------------------

TEST(LoopApplied, EachModesFraction)
{
	const uint64_t n = 100000;
	for (uint64_t seed : {1ull, 42ull, 0x5a5a5a5a5a5a5a5aull}) {
		std::map<uint32_t, uint64_t> used;
		for (uint32_t mode = ML_LIB_UNKNOWN_MODE; mode < ML_LIB_MODE_MAX; mode++)
			for (uint64_t i = 0; i < n; i++)
				used[mode] += ml_loop_miss_applies(seed, i, mode);
		EXPECT_EQ(used[ML_LIB_UNKNOWN_MODE], 0u);
		EXPECT_EQ(used[ML_LIB_EMERGENCY_MODE], 0u);
		EXPECT_NEAR(static_cast<double>(used[ML_LIB_LEARNING_MODE]) / n, 0.25, 0.01);
		EXPECT_NEAR(static_cast<double>(used[ML_LIB_COLLABORATION_MODE]) / n, 0.5, 0.01);
		EXPECT_EQ(used[ML_LIB_RECOMMENDATION_MODE], n);
	}
}

TEST(LoopApplied, ChoiceIsAFunctionOfSeedAndMissNumber)
{
	std::vector<bool> a, b, c;
	for (uint64_t i = 0; i < 256; i++) {
		a.push_back(ml_loop_miss_applies(7, i, ML_LIB_COLLABORATION_MODE));
		b.push_back(ml_loop_miss_applies(7, i, ML_LIB_COLLABORATION_MODE));
		c.push_back(ml_loop_miss_applies(8, i, ML_LIB_COLLABORATION_MODE));
	}
	EXPECT_EQ(a, b);
	EXPECT_NE(a, c);
	// LEARNING's misses are a subset of COLLABORATION's (both test low bits).
	for (uint64_t i = 0; i < 1000; i++) {
		if (ml_loop_miss_applies(7, i, ML_LIB_LEARNING_MODE)) {
			ASSERT_TRUE(ml_loop_miss_applies(7, i, ML_LIB_COLLABORATION_MODE));
		}
	}
}

// --- the bound inside an epoch -------------------------------------------------

TEST(LoopGuard, TenPercentPlusSlack)
{
	// rec * 1000 > def * 1100 + 1024 * 1000
	EXPECT_FALSE(ml_loop_guard_exceeded(1024, 0));
	EXPECT_TRUE(ml_loop_guard_exceeded(1025, 0));
	EXPECT_FALSE(ml_loop_guard_exceeded(1100 + 1024, 1000));
	EXPECT_TRUE(ml_loop_guard_exceeded(1100 + 1025, 1000));
}

// --- the simulation ---------------------------------------------------------

class LoopSim : public ::testing::Test {
protected:
	void SetUp() override
	{
		sim = std::make_unique<ml_loop_sim>();
		ml_loop_sim_init(sim.get(), 1234);
	}
	ml_loop_epoch epoch(uint32_t mode = ML_LIB_EMERGENCY_MODE, uint32_t rec = NONE)
	{
		ml_loop_epoch e;
		ml_loop_sim_epoch(sim.get(), mode, rec, &e);
		return e;
	}
	std::unique_ptr<ml_loop_sim> sim;
};

TEST_F(LoopSim, PhasesLastFourToTwelveEpochsAndLookTheirPart)
{
	std::vector<std::pair<uint32_t, uint32_t>> phases;	// (phase, epochs)
	std::vector<ml_loop_epoch> eps;
	uint32_t last_left = 0;
	for (int i = 0; i < 400; i++) {
		bool fresh = sim->wl.phase_left == 0;
		auto e = epoch();
		if (fresh || phases.empty())
			phases.push_back({e.phase, 0});
		phases.back().second++;
		eps.push_back(e);
		last_left = sim->wl.phase_left;
	}
	(void)last_left;
	std::set<uint32_t> kinds;
	for (size_t i = 0; i + 1 < phases.size(); i++) {	// the last may be cut
		EXPECT_GE(phases[i].second, ML_LOOP_PHASE_MIN_EPOCHS);
		EXPECT_LE(phases[i].second, ML_LOOP_PHASE_MAX_EPOCHS);
		kinds.insert(phases[i].first);
	}
	EXPECT_EQ(kinds.size(), 3u);
	for (const auto &e : eps) {
		SCOPED_TRACE(e.epoch);
		ASSERT_EQ(e.accesses, 512u);
		switch (e.phase) {
		case ML_LOOP_PHASE_RANDOM:
			EXPECT_LE(e.continued, 2u);
			EXPECT_GE(e.distinct, 500u);
			EXPECT_EQ(e.best_window, 0u);
			break;
		case ML_LOOP_PHASE_SEQUENTIAL:
			EXPECT_GE(e.continued, 400u);
			EXPECT_GE(e.best_window, 32u);
			break;
		case ML_LOOP_PHASE_MIXED:
			EXPECT_GE(e.continued, 400u);
			// Runs of 8..64: at most 512/8 + 1 of them.
			EXPECT_LE(e.runs, 512u / 8 + 2);
			EXPECT_GE(e.best_window, 8u);
			EXPECT_LE(e.best_window, 64u);
			break;
		}
	}
}

// The candidates' costs are what a fixed-window policy pays over the same
// accesses from where the subsystem is at the start of the epoch (in
// EMERGENCY: where the default left it); the best is their min.
TEST_F(LoopSim, CandidateCostsAreFixedWindowPoliciesOverTheSameTrace)
{
	std::vector<ml_loop_ra> mine(ML_LOOP_NR_CANDIDATES);
	ml_loop_ra def;
	ml_loop_ra_init(&def);
	uint32_t last = 0;
	bool has_last = false;
	for (int i = 0; i < 60; i++) {
		auto e = epoch();
		ml_loop_ra_new_epoch(&def);
		for (auto &ra : mine)
			ra = def;
		for (uint32_t p : sim->trace) {
			bool cont = has_last && p == last + 1;
			last = p;
			has_last = true;
			for (unsigned c = 0; c < ML_LOOP_NR_CANDIDATES; c++)
				ml_loop_ra_access(&mine[c], p, cont, ml_loop_candidate_window(c));
			ml_loop_ra_access(&def, p, cont, DEF);
		}
		uint64_t best = ~0ull;
		for (unsigned c = 0; c < ML_LOOP_NR_CANDIDATES; c++) {
			ASSERT_EQ(e.cand_cost[c], mine[c].cost) << i << " " << c;
			best = std::min(best, e.cand_cost[c]);
		}
		ASSERT_EQ(e.cost_default, def.cost) << i;
		ASSERT_EQ(e.cost_actual, def.cost) << i;
		ASSERT_EQ(e.default_window, def.window) << i;
		ASSERT_EQ(e.best_window, ml_loop_hindsight_best(e.cand_cost));
		uint64_t at_best = e.cand_cost[0];
		for (unsigned c = 0; c < ML_LOOP_NR_CANDIDATES; c++)
			if (ml_loop_candidate_window(c) == e.best_window)
				at_best = e.cand_cost[c];
		ASSERT_EQ(at_best, best);
	}
}

// Every shadow starts from the subsystem's own state: with the
// recommendation applied to every miss (and not stopped), the subsystem
// pays exactly the recommendation's shadow cost.
TEST_F(LoopSim, ShadowsStartWhereTheSubsystemIs)
{
	int checked = 0;
	for (int i = 0; i < 80; i++) {
		auto e = epoch(ML_LIB_RECOMMENDATION_MODE, 32);
		if (e.guard_tripped)
			continue;
		ASSERT_EQ(e.applied, e.misses) << i;
		ASSERT_EQ(e.cost_actual, e.cost_recommended) << i;
		ASSERT_EQ(e.cand_cost[6], e.cost_recommended) << "window 32 is candidate 6";
		checked++;
	}
	EXPECT_GT(checked, 20);
}

TEST_F(LoopSim, EmergencyPaysExactlyTheDefault)
{
	for (int i = 0; i < 50; i++) {
		auto e = epoch(ML_LIB_EMERGENCY_MODE, 256);
		ASSERT_EQ(e.applied, 0u);
		ASSERT_EQ(e.cost_actual, e.cost_default);
		ASSERT_GT(e.cost_recommended, 0u);	// evaluated in shadow
	}
	auto e = epoch(ML_LIB_EMERGENCY_MODE, NONE);
	EXPECT_EQ(e.cost_recommended, 0u);
	EXPECT_EQ(e.rec_window, NONE);
}

// Over epochs where the bound did not stop it, each mode applies its share
// of the misses.
TEST_F(LoopSim, AppliedShareByMode)
{
	struct {
		uint32_t mode;
		double share;
	} cases[] = {{ML_LIB_LEARNING_MODE, 0.25},
		     {ML_LIB_COLLABORATION_MODE, 0.5},
		     {ML_LIB_RECOMMENDATION_MODE, 1.0}};
	for (const auto &c : cases) {
		uint64_t misses = 0, applied = 0;
		for (int i = 0; i < 300; i++) {
			// The default's own ramp's favourite: never much worse.
			auto e = epoch(c.mode, 8);
			if (e.guard_tripped)
				continue;
			misses += e.misses;
			applied += e.applied;
		}
		ASSERT_GT(misses, 10000u);
		EXPECT_NEAR(static_cast<double>(applied) / misses, c.share, 0.02) << c.mode;
	}
}

// The bound: a catastrophic recommendation is cut off within the epoch,
// so what the subsystem pays stays near the default's.
TEST_F(LoopSim, GuardCutsABadRecommendationShort)
{
	// Find a random-phase epoch, then apply window 256 in RECOMMENDATION.
	for (int i = 0; i < 100 && sim->wl.phase != ML_LOOP_PHASE_RANDOM; i++)
		epoch();
	ASSERT_EQ(sim->wl.phase, ML_LOOP_PHASE_RANDOM);
	ASSERT_GT(sim->wl.phase_left, 0u);
	auto e = epoch(ML_LIB_RECOMMENDATION_MODE, 256);
	EXPECT_EQ(e.guard_tripped, 1u);
	EXPECT_GT(e.cost_recommended, 10 * e.cost_default);	// ~11x in shadow
	EXPECT_LE(e.cost_actual * 1000,
		  e.cost_default * ML_LOOP_GUARD_PERMILLE +
			  (ML_LOOP_GUARD_SLACK + ml_loop_miss_cost(257)) * 1000);
	EXPECT_LT(e.applied, 10u);
}

TEST(LoopSimSeed, SameSeedSameTraceOtherSeedOtherTrace)
{
	auto a = std::make_unique<ml_loop_sim>();
	auto b = std::make_unique<ml_loop_sim>();
	auto c = std::make_unique<ml_loop_sim>();
	ml_loop_sim_init(a.get(), 5);
	ml_loop_sim_init(b.get(), 5);
	ml_loop_sim_init(c.get(), 6);
	bool differ = false;
	for (int i = 0; i < 20; i++) {
		ml_loop_epoch ea, eb, ec;
		ml_loop_sim_epoch(a.get(), ML_LIB_COLLABORATION_MODE, 16, &ea);
		ml_loop_sim_epoch(b.get(), ML_LIB_COLLABORATION_MODE, 16, &eb);
		ml_loop_sim_epoch(c.get(), ML_LIB_COLLABORATION_MODE, 16, &ec);
		ASSERT_EQ(std::memcmp(a->trace, b->trace, sizeof(a->trace)), 0);
		ASSERT_EQ(std::memcmp(&ea, &eb, sizeof(ea)), 0);
		differ |= std::memcmp(a->trace, c->trace, sizeof(a->trace)) != 0;
	}
	EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace mlc_test

// SPDX-License-Identifier: GPL-2.0
//
// Closed loop v2 (docs/closed-loop.md, "Policies", "The ceiling"): the
// sliding-window features against a brute-force recount, the tree's
// evaluation, POLICY writes (valid, and every rule broken: EINVAL, the
// exact log line, nothing changed), a policy in force through the mode
// policy and FEEDBACK, cost_best, and the saboteur bounds of the real
// agent (mlc-agent-loop's run_loop_agent, window and policy) in process.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>

#include "emulator/random.hpp"
#include "loop_targets.hpp"
#include "loop_test_util.hpp"

namespace mlc_test {
namespace {

// --- the features --------------------------------------------------------

// The features of the last <= 512 accesses of trace[0..end), recounted.
std::array<uint32_t, ML_LOOP_F_COUNT> brute(const std::vector<uint32_t> &pages,
					    const std::vector<bool> &cont, size_t end)
{
	size_t begin = end > ML_LOOP_EPOCH_ACCESSES ? end - ML_LOOP_EPOCH_ACCESSES : 0;
	uint32_t n = uint32_t(end - begin), c = 0;
	std::set<uint32_t> distinct;
	for (size_t i = begin; i < end; i++) {
		c += cont[i];
		distinct.insert(pages[i]);
	}
	uint32_t run = 0;
	for (size_t i = end; i-- > 0;) {
		run++;
		if (!cont[i])
			break;
	}
	uint32_t runs = n - c;
	return {c * 1000 / n, n * 100 / (runs ? runs : 1), uint32_t(distinct.size()) * 1000 / n,
		7u, std::min<uint32_t>(run, 65535)};
}

TEST(LoopFeatures, SlidingWindowMatchesARecount)
{
	// Runs, repeats and random pages, long enough to wrap the ring many
	// times and exercise deletions from the page-count table.
	static ml_loop_feat f;
	ml_loop_feat_init(&f);
	uint64_t rng = 42;
	std::vector<uint32_t> pages;
	std::vector<bool> cont;
	uint32_t p = 0;
	for (int i = 0; i < 6000; i++) {
		uint32_t r = ml_loop_rand_below(&rng, 10);
		if (r < 6 && i)
			p = p + 1;				// continue
		else if (r < 8)
			p = ml_loop_rand_below(&rng, 300);	// repeats: few pages
		else
			p = ml_loop_rand_below(&rng, 1u << 20);
		bool c = i && p == pages.back() + 1;
		pages.push_back(p);
		cont.push_back(c);
		ml_loop_feat_push(&f, p, c);
		uint32_t v[ML_LOOP_F_COUNT];
		ml_loop_feat_values(&f, 7, v);
		auto want = brute(pages, cont, pages.size());
		for (int k = 0; k < ML_LOOP_F_COUNT; k++)
			ASSERT_EQ(v[k], want[k]) << "access " << i << " feature " << k;
	}
}

TEST(LoopFeatures, RunLengthIsCappedAndAnEmptyWindowReadsZero)
{
	static ml_loop_feat f;
	ml_loop_feat_init(&f);
	uint32_t v[ML_LOOP_F_COUNT];
	ml_loop_feat_values(&f, 4, v);
	EXPECT_EQ(v[0], 0u);
	EXPECT_EQ(v[1], 0u);
	EXPECT_EQ(v[2], 0u);
	EXPECT_EQ(v[3], 4u);
	EXPECT_EQ(v[4], 0u);
	for (uint32_t i = 0; i < 70000; i++)
		ml_loop_feat_push(&f, i, i > 0);
	ml_loop_feat_values(&f, 4, v);
	EXPECT_EQ(v[ML_LOOP_F_RUN_LENGTH], 65535u);
	EXPECT_EQ(v[ML_LOOP_F_SEQ_PERMILLE], 1000u);
	EXPECT_EQ(v[ML_LOOP_F_MEAN_RUN_X100], 51200u);
	EXPECT_EQ(v[ML_LOOP_F_DISTINCT_PERMILLE], 1000u);
}

// --- trees ---------------------------------------------------------------

ml_loop_policy_node leaf(uint16_t w) { return {ML_LOOP_POLICY_LEAF, 0, w, 0, 0}; }
ml_loop_policy_node inner(uint8_t f, uint16_t thr, uint16_t l, uint16_t r)
{
	return {f, 0, thr, l, r};
}

TEST(LoopTree, EvaluatesLeftOnLessOrEqual)
{
	static ml_loop_tree t;
	std::memset(&t, 0, sizeof(t));
	t.node_count = 5;
	t.nodes[0] = inner(ML_LOOP_F_RUN_LENGTH, 1, 1, 2);
	t.nodes[1] = leaf(0);
	t.nodes[2] = inner(ML_LOOP_F_SEQ_PERMILLE, 900, 3, 4);
	t.nodes[3] = leaf(32);
	t.nodes[4] = leaf(256);
	uint32_t v[ML_LOOP_F_COUNT] = {950, 0, 0, 4, 1};
	EXPECT_EQ(ml_loop_tree_eval(&t, v), 0u);
	v[4] = 2;
	EXPECT_EQ(ml_loop_tree_eval(&t, v), 256u);
	v[0] = 900;
	EXPECT_EQ(ml_loop_tree_eval(&t, v), 32u);
}

// --- POLICY writes -------------------------------------------------------

// The records of a tree, as the format says (record i: first_node 5 i).
std::vector<ml_loop_policy> records_of(const std::vector<ml_loop_policy_node> &nodes)
{
	std::vector<ml_loop_policy> recs;
	for (size_t first = 0; first < nodes.size(); first += 5) {
		ml_loop_policy r;
		std::memset(&r, 0, sizeof(r));
		r.hdr.magic = ML_LOOP_RECORD_MAGIC;
		r.hdr.type = ML_LOOP_REC_POLICY;
		r.hdr.size = ML_LOOP_RECORD_SIZE;
		r.node_count = uint16_t(nodes.size());
		r.first_node = uint16_t(first);
		r.nodes_here = uint16_t(std::min<size_t>(5, nodes.size() - first));
		for (unsigned j = 0; j < r.nodes_here; j++)
			r.nodes[j] = nodes[first + j];
		recs.push_back(r);
	}
	return recs;
}

// A valid 7-node tree (two records).
std::vector<ml_loop_policy_node> good_nodes()
{
	return {inner(ML_LOOP_F_RUN_LENGTH, 1, 1, 4),
		inner(ML_LOOP_F_SEQ_PERMILLE, 500, 2, 3),
		leaf(0),
		leaf(32),
		inner(ML_LOOP_F_MEAN_RUN_X100, 5000, 5, 6),
		leaf(64),
		leaf(256)};
}

template <typename Rec>
long write_any(LoopRig &rig, const std::vector<Rec> &recs, size_t bytes = SIZE_MAX)
{
	rig.h.set_user_size(1 << 16);
	for (size_t i = 0; i < recs.size(); i++)
		rig.h.poke(i * sizeof(Rec), &recs[i], sizeof(Rec));
	return ml_loop_dev_write(&rig.dev(), rig.host(), rig.h.addr(0),
				 bytes == SIZE_MAX ? recs.size() * ML_LOOP_RECORD_SIZE : bytes);
}

class LoopPolicyRecord : public ::testing::Test {
protected:
	void SetUp() override
	{
		rig = std::make_unique<LoopRig>(std::make_unique<mlc::SeededRandom>(5));
		ASSERT_EQ(rig->load_rc, 0);
		rig->start();
	}
	std::vector<LogLine> &log() { return rig->h.log.lines; }
	std::unique_ptr<LoopRig> rig;
};

TEST_F(LoopPolicyRecord, AValidPolicyIsInForceFromTheNextEpoch)
{
	auto recs = records_of(good_nodes());
	ASSERT_EQ(recs.size(), 2u);
	EXPECT_EQ(write_any(*rig, recs), 128);
	EXPECT_TRUE(log().empty()) << "an accepted policy logs nothing";
	EXPECT_EQ(rig->dev().rec_window, ML_LOOP_POLICY_WINDOW);
	EXPECT_EQ(rig->dev().rec_accepted, 2u);
	EXPECT_EQ(rig->dev().sim.policy.node_count, 7u);
	ASSERT_EQ(rig->control("step 1"), 6);
	std::vector<uint8_t> b;
	ASSERT_EQ(rig->read(128, &b), 128);
	auto fb = feedback_at(b, 1);
	EXPECT_EQ(fb.recommended_window, ML_LOOP_POLICY_WINDOW);
	EXPECT_EQ(fb.error, 0);
	EXPECT_GT(fb.cost_recommended, 0u);
	EXPECT_EQ(fb.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(fb.cost_actual, fb.cost_default) << "EMERGENCY pays the default";

	// A window written later replaces the policy, as any recommendation.
	EXPECT_EQ(rig->write_window(16), 64);
	EXPECT_EQ(rig->dev().rec_window, 16u);
}

TEST_F(LoopPolicyRecord, ThePolicysShadowIsTheTreeOverTheTrace)
{
	// A one-leaf policy is exactly the fixed window.
	LoopRig other(std::make_unique<mlc::SeededRandom>(5));
	other.start();
	ASSERT_EQ(write_any(*rig, records_of({leaf(32)})), 64);
	ASSERT_EQ(other.write_window(32), 64);
	for (int i = 0; i < 30; i++) {
		ASSERT_EQ(rig->control("step 1"), 6);
		ASSERT_EQ(other.control("step 1"), 6);
		std::vector<uint8_t> a, o;
		rig->read(128, &a);
		other.read(128, &o);
		auto fa = feedback_at(a, 1), fo = feedback_at(o, 1);
		EXPECT_EQ(fa.cost_recommended, fo.cost_recommended);
		EXPECT_EQ(fa.cost_actual, fo.cost_actual);
		EXPECT_EQ(fa.mode, fo.mode);
	}
}

struct BadCase {
	const char *what;
	std::function<void(std::vector<ml_loop_policy> &)> spoil;
	const char *line;
};

TEST_F(LoopPolicyRecord, EveryBrokenRuleIsEinvalAndChangesNothing)
{
	// A window in force first: a refused policy must leave it.
	ASSERT_EQ(rig->write_window(8), 64);
	const BadCase cases[] = {
		{"bad magic", [](auto &r) { r[1].hdr.magic = 0x12345678; },
		 "ml_loop: policy refused: bad magic 0x12345678 (record 1)"},
		{"a recommendation inside", [](auto &r) { r[1].hdr.type = ML_LOOP_REC_RECOMMENDATION; },
		 "ml_loop: policy refused: bad type 3 (record 1)"},
		{"bad size", [](auto &r) { r[0].hdr.size = 32; },
		 "ml_loop: policy refused: bad size 32 (record 0)"},
		{"node_count 0", [](auto &r) { r[0].node_count = 0; },
		 "ml_loop: policy refused: node_count 0 outside 1..255 (record 0)"},
		{"node_count 256", [](auto &r) { r[0].node_count = 256; },
		 "ml_loop: policy refused: node_count 256 outside 1..255 (record 0)"},
		{"too few records", [](auto &r) { r.pop_back(); },
		 "ml_loop: policy refused: 1 records for 7 nodes (2 needed)"},
		{"node_count differs", [](auto &r) { r[1].node_count = 8; },
		 "ml_loop: policy refused: node_count 8 differs from 7 (record 1)"},
		{"first_node", [](auto &r) { r[1].first_node = 4; },
		 "ml_loop: policy refused: first_node 4 should be 5 (record 1)"},
		{"nodes_here", [](auto &r) { r[0].nodes_here = 4; },
		 "ml_loop: policy refused: nodes_here 4 should be 5 (record 0)"},
		{"record reserved", [](auto &r) { r[0].reserved = 1; },
		 "ml_loop: policy refused: reserved 0x0001 not 0 (record 0)"},
		{"node reserved", [](auto &r) { r[0].nodes[2].reserved = 9; },
		 "ml_loop: policy refused: node 2 reserved byte 9 not 0 (record 0)"},
		{"leaf above 256", [](auto &r) { r[1].nodes[1].value = 257; },
		 "ml_loop: policy refused: node 6 window 257 above 256 (record 1)"},
		{"leaf with children", [](auto &r) { r[0].nodes[3].right = 4; },
		 "ml_loop: policy refused: leaf 3 has children 0, 4 (record 0)"},
		{"unknown feature", [](auto &r) { r[0].nodes[1].feature = 5; },
		 "ml_loop: policy refused: node 1 feature 5 unknown (record 0)"},
		{"a cycle", [](auto &r) { r[0].nodes[4].left = 1; },
		 "ml_loop: policy refused: node 4 child 1 not after it (record 0)"},
		{"a self loop", [](auto &r) { r[0].nodes[0].right = 0; },
		 "ml_loop: policy refused: node 0 child 0 not after it (record 0)"},
		{"child out of range", [](auto &r) { r[0].nodes[4].right = 7; },
		 "ml_loop: policy refused: node 4 child 7 beyond node_count 7 (record 0)"},
	};
	uint64_t refused = rig->dev().rec_refused;
	for (const auto &c : cases) {
		SCOPED_TRACE(c.what);
		auto recs = records_of(good_nodes());
		c.spoil(recs);
		log().clear();
		static ml_loop_tree before;
		before = rig->dev().sim.policy;
		EXPECT_EQ(write_any(*rig, recs), -EINVAL);
		ASSERT_EQ(log().size(), 1u);
		EXPECT_EQ(log()[0], (LogLine{MLC_KERN_WARNING, std::string(c.line)}));
		EXPECT_EQ(rig->dev().rec_window, 8u);
		EXPECT_EQ(std::memcmp(&before, &rig->dev().sim.policy, sizeof(before)), 0);
		EXPECT_EQ(rig->dev().rec_refused, ++refused);
		EXPECT_EQ(rig->dev().rec_accepted, 1u);
	}
}

TEST_F(LoopPolicyRecord, DepthIsBoundedAtSixteen)
{
	// A chain: node i tests, goes left to a leaf at the end, right to i+1.
	auto chain = [](unsigned inner_nodes) {
		std::vector<ml_loop_policy_node> n;
		unsigned count = 2 * inner_nodes + 1;
		for (unsigned i = 0; i < inner_nodes; i++)
			n.push_back(inner(ML_LOOP_F_RUN_LENGTH, uint16_t(i + 1),
					  uint16_t(inner_nodes + 1 + i), uint16_t(i + 1)));
		n.push_back(leaf(256));			// the deepest
		for (unsigned i = 0; i < inner_nodes; i++)
			n.push_back(leaf(uint16_t(i)));
		EXPECT_EQ(n.size(), count);
		return n;
	};
	// 15 inner nodes + a leaf: 16 nodes on the longest path, accepted.
	EXPECT_EQ(write_any(*rig, records_of(chain(15))), 7 * 64);
	uint32_t v[ML_LOOP_F_COUNT] = {0, 0, 0, 0, 65535};
	EXPECT_EQ(ml_loop_tree_eval(&rig->dev().sim.policy, v), 256u);
	v[4] = 3;
	EXPECT_EQ(ml_loop_tree_eval(&rig->dev().sim.policy, v), 2u);
	log().clear();
	EXPECT_EQ(write_any(*rig, records_of(chain(16))), -EINVAL);
	ASSERT_EQ(log().size(), 1u);
	EXPECT_EQ(log()[0].text, "ml_loop: policy refused: depth above 16 at node 15");
	EXPECT_EQ(rig->dev().sim.policy.node_count, 31u) << "the 15-chain stays";
	// The largest tree: 255 nodes, 51 records.
	std::vector<ml_loop_policy_node> big;
	for (unsigned i = 0; i < 127; i++)
		big.push_back(inner(ML_LOOP_F_SEQ_PERMILLE, uint16_t(i), uint16_t(2 * i + 1),
				    uint16_t(2 * i + 2)));
	for (unsigned i = 0; i < 128; i++)
		big.push_back(leaf(uint16_t(i)));
	EXPECT_EQ(write_any(*rig, records_of(big)), 51 * 64);
}

TEST_F(LoopPolicyRecord, MixedWritesFaultsAndLengths)
{
	// A recommendation first, then a policy record: v1's rule, bad type.
	std::vector<ml_loop_recommendation> mixed{make_rec(8), make_rec(8)};
	auto pol = records_of({leaf(4)});
	std::memcpy(&mixed[1], &pol[0], 64);
	EXPECT_EQ(write_any(*rig, mixed), -EINVAL);
	EXPECT_EQ(log().back().text, "ml_loop: recommendation refused: bad type 4 (record 1)");
	// Two policies in one write: the second is a second record for a
	// one-node tree.
	auto two = records_of({leaf(4)});
	two.push_back(two[0]);
	EXPECT_EQ(write_any(*rig, two), -EINVAL);
	EXPECT_EQ(log().back().text, "ml_loop: policy refused: 2 records for 1 nodes (1 needed)");
	EXPECT_EQ(rig->dev().rec_window, ML_LOOP_NO_WINDOW);
	// A fault in the second record: EFAULT, nothing changed, not counted.
	uint64_t refused = rig->dev().rec_refused;
	auto recs = records_of(good_nodes());
	rig->h.set_user_size(64);
	rig->h.poke(0, &recs[0], 64);
	EXPECT_EQ(ml_loop_dev_write(&rig->dev(), rig->host(), rig->h.addr(0), 128), -EFAULT);
	EXPECT_EQ(rig->dev().rec_window, ML_LOOP_NO_WINDOW);
	EXPECT_EQ(rig->dev().rec_refused, refused);
}

// --- the ceiling ---------------------------------------------------------

TEST(LoopCeiling, CostBestIsTheSumOfEachEpochsBestCandidate)
{
	LoopRig rig(std::make_unique<mlc::SeededRandom>(9));
	rig.start();
	ASSERT_EQ(rig.write_window(64), 64);
	uint64_t sum = 0;
	for (int i = 0; i < 40; i++) {
		// The epoch's candidates run from the state it starts in.
		static ml_loop_dev copy;
		copy = rig.dev();
		ml_loop_epoch ep;
		ml_loop_sim_epoch(&copy.sim, copy.model.mode, copy.rec_window, &ep);
		sum += *std::min_element(ep.cand_cost, ep.cand_cost + ML_LOOP_NR_CANDIDATES);
		unsigned best = 0;
		for (unsigned c = 0; c < ML_LOOP_NR_CANDIDATES; c++)
			if (ml_loop_candidate_window(c) == ep.best_window)
				best = c;
		EXPECT_EQ(ep.cost_best, ep.cand_cost[best]);
		ASSERT_EQ(rig.control("step 1"), 6);
		EXPECT_EQ(rig.dev().cost_best, sum);
		EXPECT_LE(rig.dev().cost_best, rig.dev().cost_default);
	}
}

// --- the real agent's saboteurs ------------------------------------------

// Every saboteur of mlc-agent-loop (window and policy, turning bad once
// trusted with each mode) is back in EMERGENCY within 2 epochs of turning
// bad, and the cumulative efficiency never falls below 0.95, over seeds
// 1..5 x 300 epochs (the bound; the mode thresholds are v1's).
TEST(LoopAgentsV2, SaboteursAreDemotedWithinTwoEpochs)
{
	using mlc::agent::LoopAgentKind;
	unsigned turned = 0;
	for (auto kind : {LoopAgentKind::policy, LoopAgentKind::window})
		for (auto after : {ML_LIB_LEARNING_MODE, ML_LIB_COLLABORATION_MODE,
				   ML_LIB_RECOMMENDATION_MODE})
			for (uint64_t seed = 1; seed <= 5; seed++) {
				auto b = mlc::loop_targets::bad_run(seed, 300, kind, false, after);
				SCOPED_TRACE(b.name + " seed " + std::to_string(seed));
				EXPECT_GE(b.min_cumulative, 0.95);
				if (!b.turned_bad)
					continue;
				turned++;
				EXPECT_TRUE(b.demoted);
				EXPECT_LE(b.delay, 2u);
				EXPECT_GE(b.delay, 1u);
			}
	EXPECT_GE(turned, 25u) << "most saboteurs must get trusted to test anything";
	for (auto kind : {LoopAgentKind::policy, LoopAgentKind::window})
		for (uint64_t seed = 1; seed <= 5; seed++) {
			auto b = mlc::loop_targets::bad_run(seed, 300, kind, true, ML_LIB_LEARNING_MODE);
			EXPECT_GE(b.min_cumulative, 0.95);
		}
}

// The policy agent does better than the window agent it replaces, on
// every seed (measured share figures: docs/closed-loop.md, "Targets").
TEST(LoopAgentsV2, PolicyAgentBeatsTheWindowAgent)
{
	using mlc::agent::LoopAgentKind;
	for (uint64_t seed = 1; seed <= 5; seed++) {
		auto p = mlc::loop_targets::good_run(seed, 300, LoopAgentKind::policy);
		auto w = mlc::loop_targets::good_run(seed, 300, LoopAgentKind::window);
		std::printf("[ ml_loop  ] seed %llu share policy %.3f window %.3f stay %.3f %.3f\n",
			    (unsigned long long)seed, p.share, w.share, p.stay(), w.stay());
		EXPECT_GT(p.share, w.share) << seed;
		EXPECT_GT(p.cumulative, 1.0);
	}
}

}  // namespace
}  // namespace mlc_test

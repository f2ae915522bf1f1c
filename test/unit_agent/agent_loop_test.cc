// SPDX-License-Identifier: GPL-2.0
// The loop agent's learner, its saboteur and its CSV trace.
#include <gtest/gtest.h>

#include <cstring>

#include "agent/loop_agent.hpp"

using namespace mlc::agent;

namespace {

DatasetRecord ds(uint32_t seq, uint32_t run, uint32_t distinct, uint32_t best)
{
	DatasetRecord d;
	d.accesses = 512;
	d.seq_permille = seq;
	d.mean_run_x100 = run;
	d.distinct_permille = distinct;
	d.best_window = best;
	return d;
}

}  // namespace

TEST(AgentLearner, NothingBeforeTheFirstExample)
{
	WindowLearner l;
	EXPECT_FALSE(l.predict(ds(0, 100, 1000, 0)));
	l.learn(DatasetRecord{});	// no accesses: not an example
	EXPECT_EQ(l.examples(), 0u);
	EXPECT_FALSE(l.predict(ds(0, 100, 1000, 0)));
}

TEST(AgentLearner, RecognisesThePhases)
{
	WindowLearner l(3);
	for (int i = 0; i < 4; i++) {
		l.learn(ds(0, 100, 1000, 0));		// random: no readahead
		l.learn(ds(970, 3500, 1000, 32));	// mixed runs: 32
		l.learn(ds(998, 51200, 1000, 256));	// one long stream: 256
	}
	EXPECT_EQ(l.predict(ds(1, 100, 999, 0)), 0u);
	EXPECT_EQ(l.predict(ds(965, 3000, 1000, 0)), 32u);
	EXPECT_EQ(l.predict(ds(999, 60000, 1000, 0)), 256u);
}

TEST(AgentLearner, RiskAverseAmongNeighbours)
{
	// The same pattern labelled 64, 128, 256: the smallest wins.
	WindowLearner l(3);
	l.learn(ds(910, 1100, 1000, 256));
	l.learn(ds(912, 1120, 1000, 64));
	l.learn(ds(911, 1110, 1000, 128));
	EXPECT_EQ(l.predict(ds(911, 1110, 1000, 0)), 64u);
}

TEST(AgentLearner, ForgetsBeyondItsMemory)
{
	WindowLearner l(1, 4);
	for (int i = 0; i < 10; i++)
		l.learn(ds(0, 100, 1000, 0));
	EXPECT_EQ(l.examples(), 4u);
	for (int i = 0; i < 4; i++)
		l.learn(ds(0, 100, 1000, 8));
	EXPECT_EQ(l.predict(ds(0, 100, 1000, 0)), 8u);
}

TEST(AgentLearner, BadWindowIsTheOppositeEnd)
{
	EXPECT_EQ(bad_window(0), ML_LOOP_MAX_WINDOW);
	EXPECT_EQ(bad_window(8), ML_LOOP_MAX_WINDOW);
	EXPECT_EQ(bad_window(16), 0u);
	EXPECT_EQ(bad_window(256), 0u);
}

TEST(AgentTrace, CsvFormat)
{
	LoopReport r;
	LoopTraceRow a;
	a.epoch = 1;
	a.mode = ML_LIB_EMERGENCY_MODE;
	a.efficiency_milli = 1000;
	a.ewma_milli = 1000;
	a.best_window = 32;
	a.cost_default = a.cost_actual = 1790;
	a.cumulative_milli = 1000;
	LoopTraceRow b = a;
	b.epoch = 2;
	b.mode = ML_LIB_LEARNING_MODE;
	b.mode_after = ML_LIB_COLLABORATION_MODE;
	b.efficiency_milli = 1164;
	b.ewma_milli = 1041;
	b.applied_permille = 268;
	b.window = 32;
	b.cost_actual = 1497;
	b.cumulative_milli = 1029;
	b.cost_best = 1400;
	b.share_milli = 752;
	b.ceiling_milli = 1122;
	LoopTraceRow c = b;
	c.epoch = 3;
	c.window = ML_LOOP_POLICY_WINDOW;
	c.policy = true;
	c.share_milli = -1250;
	r.rows = {a, b, c};
	EXPECT_EQ(trace_csv(r),
		  "epoch,mode,efficiency,ewma,applied,window,best,cost_default,cost_actual,"
		  "mode_after,cumulative,cost_best,share,ceiling\n"
		  "1,1,1.000,1.000,0.000,-1,32,1790,1790,1,1.000,0,0.000,1.000\n"
		  "2,2,1.164,1.041,0.268,32,32,1790,1497,3,1.029,1400,0.752,1.122\n"
		  "3,2,1.164,1.041,0.268,-2,32,1790,1497,3,1.029,1400,-1.250,1.122\n");
}

TEST(AgentTrace, ShareCaptured)
{
	LoopReport r;
	EXPECT_DOUBLE_EQ(r.share_captured(), 0.0) << "nothing achievable";
	r.sum_default = 1000;
	r.sum_best = 800;
	r.sum_actual = 850;
	EXPECT_DOUBLE_EQ(r.share_captured(), 0.75);
	r.sum_actual = 780;	// a policy beats every fixed window
	EXPECT_DOUBLE_EQ(r.share_captured(), 1.1);
	r.sum_actual = 1100;
	EXPECT_DOUBLE_EQ(r.share_captured(), -0.5);
}

TEST(AgentPolicy, TreeLearnerSeparatesThePhasesAndRunLength)
{
	TreeLearner t;
	EXPECT_FALSE(t.train());
	for (int i = 0; i < 6; i++) {
		t.learn(ds(0, 100, 1000, 0));
		t.learn(ds(970, 3500, 1000, 32));
		t.learn(ds(998, 51200, 1000, 256));
	}
	auto tree = t.train();
	ASSERT_TRUE(tree);
	EXPECT_EQ(check_policy(*tree), "");
	EXPECT_EQ(tree->nodes[0].feature, ML_LOOP_F_RUN_LENGTH);
	auto at = [&](uint32_t seq, uint32_t run, uint32_t rl) {
		return eval_policy(*tree, {seq, run, 1000, 4, rl});
	};
	EXPECT_EQ(at(0, 100, 1), 0u) << "random, a fresh miss";
	EXPECT_EQ(at(970, 3500, 1), 32u);
	EXPECT_EQ(at(998, 51200, 1), 256u);
	EXPECT_EQ(at(998, 51200, 300), 256u);
	// A continuing miss in a window that still looks random: the tree for
	// continuing misses never says 0.
	EXPECT_GT(at(0, 100, 2), 0u);
	// The bad policy: every leaf at the other end.
	auto bad = bad_policy(*tree);
	EXPECT_EQ(eval_policy(bad, {0, 100, 1000, 4, 1}), 256u);
	EXPECT_EQ(eval_policy(bad, {998, 51200, 1000, 4, 300}), 0u);
}

TEST(AgentPolicy, EncodeFollowsTheFormatAndChecks)
{
	PolicyTree t;
	t.nodes = {{ML_LOOP_F_SEQ_PERMILLE, 500, 1, 2}, {ML_LOOP_POLICY_LEAF, 0, 0, 0},
		   {ML_LOOP_F_RUN_LENGTH, 1, 3, 4}, {ML_LOOP_POLICY_LEAF, 32, 0, 0},
		   {ML_LOOP_POLICY_LEAF, 256, 0, 0}, {ML_LOOP_POLICY_LEAF, 7, 0, 0}};
	auto bytes = encode_policy(t);
	ASSERT_EQ(bytes.size(), 128u);
	ml_loop_policy r[2];
	std::memcpy(r, bytes.data(), sizeof(r));
	EXPECT_EQ(r[0].hdr.magic, ML_LOOP_RECORD_MAGIC);
	EXPECT_EQ(r[0].hdr.type, ML_LOOP_REC_POLICY);
	EXPECT_EQ(r[0].node_count, 6u);
	EXPECT_EQ(r[0].first_node, 0u);
	EXPECT_EQ(r[0].nodes_here, 5u);
	EXPECT_EQ(r[1].first_node, 5u);
	EXPECT_EQ(r[1].nodes_here, 1u);
	EXPECT_EQ(r[1].nodes[0].value, 7u);
	EXPECT_EQ(r[1].nodes[1].feature, 0u) << "unused slots are zero";
	t.nodes[2].left = 1;
	EXPECT_NE(check_policy(t), "");
	EXPECT_THROW(encode_policy(t), std::invalid_argument);
	EXPECT_THROW(encode_policy(PolicyTree{}), std::invalid_argument);
}

TEST(AgentTrace, CumulativeEfficiency)
{
	LoopReport r;
	EXPECT_DOUBLE_EQ(r.cumulative_efficiency(), 1.0);
	r.sum_default = 1900;
	r.sum_actual = 2000;
	EXPECT_DOUBLE_EQ(r.cumulative_efficiency(), 0.95);
}

// SPDX-License-Identifier: GPL-2.0
// The loop agent's learner, its saboteur and its CSV trace.
#include <gtest/gtest.h>

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
	r.rows = {a, b};
	EXPECT_EQ(trace_csv(r),
		  "epoch,mode,efficiency,ewma,applied,window,best,cost_default,cost_actual,"
		  "mode_after,cumulative\n"
		  "1,1,1.000,1.000,0.000,-1,32,1790,1790,1,1.000\n"
		  "2,2,1.164,1.041,0.268,32,32,1790,1497,3,1.029\n");
}

TEST(AgentTrace, CumulativeEfficiency)
{
	LoopReport r;
	EXPECT_DOUBLE_EQ(r.cumulative_efficiency(), 1.0);
	r.sum_default = 1900;
	r.sum_actual = 2000;
	EXPECT_DOUBLE_EQ(r.cumulative_efficiency(), 0.95);
}

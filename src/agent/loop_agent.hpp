// SPDX-License-Identifier: GPL-2.0
//
// The reference agent for the closed loop (`mlc-agent-loop`,
// docs/closed-loop.md).  Each epoch it steps the subsystem by one epoch,
// reads the DATASET and FEEDBACK records, learns which readahead window
// fits which access pattern, and writes for the next epoch either a POLICY
// (the default: a decision tree trained on the datasets, which the kernel
// evaluates at every miss over its sliding-window features) or one fixed
// window (--agent window, the v1 agent).  A CSV trace (one row per epoch)
// feeds the demo's plot.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <array>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

#include "agent/clients.hpp"

namespace mlc::agent {

// What the agent learns from: one finished epoch's features (the DATASET
// record) and its hindsight-best window.
struct EpochExample {
	uint32_t seq_permille = 0, mean_run_x100 = 0, distinct_permille = 0;
	uint32_t best_window = 0;
};

// The learner: k nearest past epochs in (seq_permille, mean_run,
// distinct_permille) space, scaled to comparable ranges; the answer is the
// smallest of their best windows (windows are 0, 1, 2, 4, ..., 256): risk
// averse, because a window too large for the next epoch costs more than one
// too small, and one epoch whose quality falls below 0.900 sends the model
// back to EMERGENCY.  The phase of the access stream persists for several
// epochs, so the epoch just finished predicts the next one.
class WindowLearner {
public:
	explicit WindowLearner(unsigned k = 5, size_t memory = 256) : k_(k), memory_(memory) {}
	void learn(const DatasetRecord &d);
	// The window for an epoch that looks like d; nullopt before any example.
	std::optional<uint32_t> predict(const DatasetRecord &d) const;
	size_t examples() const noexcept { return ex_.size(); }

private:
	unsigned k_;
	size_t memory_;
	std::vector<EpochExample> ex_;
};

// The policy learner (docs/closed-loop.md, "The policy agent"): CART
// classification trees (Gini impurity) from the DATASET features
// seq_permille, mean_run_x100 and distinct_permille (the kernel keeps the
// same over its sliding window) to the hindsight-best window's level, with
// integer thresholds halfway between neighbouring values and the majority
// level of a leaf (the smaller on a tie) as its window.  The training set
// is the last `memory` epochs plus blends of consecutive epochs (what the
// sliding window reads at a phase change); the policy is a root split on
// run_length (<= 1: a tree over all examples; > 1, a continuing miss: a
// tree over the examples whose best window was not 0).  Depth at most
// 1 + min(max_depth, 6), at most 127 nodes.
class TreeLearner {
public:
	explicit TreeLearner(unsigned max_depth = 3, unsigned min_leaf = 2, size_t memory = 512)
		: max_depth_(max_depth), min_leaf_(min_leaf), memory_(memory)
	{
	}
	void learn(const DatasetRecord &d);
	// The tree; nullopt before any example.
	std::optional<PolicyTree> train() const;
	size_t examples() const noexcept { return ex_.size(); }

	struct Example {
		std::array<uint32_t, 4> x;	// enum ml_loop_feature 0..3
		int level;			// best window's level 0..9
	};

private:
	unsigned max_depth_, min_leaf_;
	size_t memory_;
	std::vector<Example> ex_;
};

// The same tree with every leaf's window replaced by bad_window() of it.
PolicyTree bad_policy(const PolicyTree &good);

// A deliberately bad window for an epoch whose good window is `good`: the
// opposite end of the range (256 where little or no readahead fits, none
// where a large window fits).
uint32_t bad_window(uint32_t good) noexcept;

enum class LoopAgentKind {
	policy,		// a decision tree per epoch (closed loop v2), the default
	window,		// one fixed window per epoch (the v1 agent)
};

struct LoopAgentOptions {
	std::string root = "/";
	unsigned epochs = 60;
	LoopAgentKind kind = LoopAgentKind::policy;
	unsigned max_depth = 3;		// of the policy's trees (measured best)
	// --bad: a saboteur.  It plays the good agent until the model trusts it
	// with bad_after_mode (or from the start if bad_from_start), then
	// recommends deliberately bad windows (or, as a policy agent, the bad
	// policy: its tree with bad_window() leaves) for the rest of the run.
	bool bad = false;
	bool bad_from_start = false;
	ml_lib_model_mode bad_after_mode = ML_LIB_COLLABORATION_MODE;
	bool reset = true;		// `reset` the loop first (same seeded start)
	unsigned k = 5;			// neighbours of the learner
	std::string csv;		// "" = no trace file
	std::string name = "loop";	// prefix of the progress lines
	std::ostream *progress = nullptr;
	// Print every Nth epoch's line (and every epoch that changed the mode).
	unsigned progress_every = 1;
};

struct LoopTraceRow {
	uint64_t epoch = 0;
	ml_lib_model_mode mode = ML_LIB_EMERGENCY_MODE;	// during the epoch (FEEDBACK)
	uint32_t efficiency_milli = 0;	// the epoch's (FEEDBACK)
	uint32_t ewma_milli = 0;	// the efficiency attribute after the epoch
	uint32_t applied_permille = 0;
	std::optional<uint32_t> window;	// the recommendation in force
	uint32_t best_window = 0;
	uint64_t cost_default = 0, cost_recommended = 0, cost_actual = 0;
	uint64_t cost_best = 0;		// the epoch's hindsight-best window (stats)
	bool policy = false;		// a policy was in force (FEEDBACK)
	ml_lib_model_mode mode_after = ML_LIB_EMERGENCY_MODE;	// the mode attribute
	std::optional<uint32_t> next_window;	// what the agent wrote for the next epoch
	bool bad = false;		// the agent was sabotaging when it wrote it
	uint32_t cumulative_milli = 0;	// sum of default costs / sum of actual so far
	// (sum default - sum actual) / (sum default - sum best) so far, in
	// thousandths (may exceed 1000: a policy adapts inside an epoch).
	int32_t share_milli = 0;
	// The ceiling: sum of default costs / sum of best costs so far (what
	// the hindsight-best fixed window of every epoch would have reached).
	uint32_t ceiling_milli = 1000;
	bool next_policy = false;	// the agent wrote a policy for the next epoch
};

struct LoopReport {
	std::vector<LoopTraceRow> rows;
	// The first epoch after which the mode attribute said recommendation.
	std::optional<uint64_t> recommendation_epoch;
	std::optional<uint64_t> turned_bad_epoch;	// saboteur only
	// The first epoch, after turning bad, after which the mode was emergency.
	std::optional<uint64_t> demoted_epoch;
	ml_lib_model_mode highest_mode = ML_LIB_EMERGENCY_MODE;
	ml_lib_model_mode final_mode = ML_LIB_EMERGENCY_MODE;
	uint64_t sum_default = 0, sum_actual = 0, sum_recommended = 0, sum_best = 0;
	unsigned policies_written = 0;
	std::optional<PolicyTree> last_policy;	// the last (good or bad) tree written
	// sum of default costs / sum of actual costs (1.0: as good as the default).
	double cumulative_efficiency() const
	{
		return sum_actual ? double(sum_default) / double(sum_actual) : 1.0;
	}
	// The share of the achievable gain captured: (default - actual) /
	// (default - best); 0 when nothing was achievable.  Above 1 when a
	// policy beats every fixed window of the epochs.
	double share_captured() const
	{
		return share_of(sum_default, sum_actual, sum_best);
	}
	static double share_of(uint64_t def, uint64_t act, uint64_t best)
	{
		return def > best ? (double(def) - double(act)) / (double(def) - double(best))
				  : 0.0;
	}
};

// What the agent does on the loop: the paths of the SDK (ClientPort) or,
// for benchmarks and tests, a device in this process.
class LoopPort {
public:
	virtual ~LoopPort() = default;
	virtual void control(std::string_view cmd) = 0;
	virtual std::vector<LoopRecord> drain() = 0;
	virtual void write_window(uint32_t window, uint32_t confidence_permille) = 0;
	virtual void write_policy(const PolicyTree &tree) = 0;
	virtual ml_lib_model_mode mode() = 0;
	virtual uint32_t efficiency_milli() = 0;
	virtual LoopStats stats() = 0;
};

// Runs the agent on opts.root; SysError / ProtocolError on failure.
LoopReport run_loop_agent(const LoopAgentOptions &opts);
// The same on any port (opts.root unused).
LoopReport run_loop_agent(const LoopAgentOptions &opts, LoopPort &port);
// The trace as CSV: a header line, then one row per epoch:
// epoch,mode,efficiency,ewma,applied,window,best,cost_default,cost_actual,
// mode_after,cumulative,cost_best,share,ceiling
// (mode as 1..4, efficiency, ewma, cumulative, share and ceiling as decimals, applied
// as a fraction, window -1 for none and -2 for a policy).  Same run, same
// bytes.
std::string trace_csv(const LoopReport &rep);
void write_trace_csv(const std::string &path, const LoopReport &rep);

}  // namespace mlc::agent

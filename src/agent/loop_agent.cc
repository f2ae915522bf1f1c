// SPDX-License-Identifier: GPL-2.0
#include "agent/loop_agent.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <ostream>

namespace mlc::agent {

namespace {

// Windows 0, 1, 2, 4, ..., 256 as levels 0..9 and back.
int window_level(uint32_t w) noexcept
{
	int level = 0;
	while (w) {
		level++;
		w >>= 1;
	}
	return level;	// 0 -> 0, 1 -> 1, 2 -> 2, 3..4 -> 3 (4), ..., 256 -> 9
}

uint32_t level_window(int level) noexcept
{
	return level <= 0 ? 0 : 1u << (level - 1);
}

struct Point {
	double seq, run, distinct;
};

Point point_of(uint32_t seq_permille, uint32_t mean_run_x100, uint32_t distinct_permille)
{
	// Each coordinate in about [0, 1]: the run length on a log scale (runs
	// from 1 to thousands of pages).
	double run = std::log2(1.0 + mean_run_x100 / 100.0) / 12.0;
	return {seq_permille / 1000.0, run, distinct_permille / 1000.0};
}

double dist2(const Point &a, const Point &b)
{
	double x = a.seq - b.seq, y = a.run - b.run, z = a.distinct - b.distinct;
	return x * x + y * y + z * z;
}

std::string milli_text(uint64_t milli)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu.%03llu", (unsigned long long)(milli / 1000),
		 (unsigned long long)(milli % 1000));
	return buf;
}

std::string window_text(const std::optional<uint32_t> &w)
{
	if (w && *w == ML_LOOP_POLICY_WINDOW)
		return "policy";
	return w ? std::to_string(*w) : std::string("none");
}

}  // namespace

void WindowLearner::learn(const DatasetRecord &d)
{
	if (d.accesses == 0)
		return;
	ex_.push_back({d.seq_permille, d.mean_run_x100, d.distinct_permille, d.best_window});
	if (ex_.size() > memory_)
		ex_.erase(ex_.begin());
}

std::optional<uint32_t> WindowLearner::predict(const DatasetRecord &d) const
{
	if (ex_.empty())
		return std::nullopt;
	Point q = point_of(d.seq_permille, d.mean_run_x100, d.distinct_permille);
	// (distance, age): the nearest first, the most recent among equals.
	std::vector<std::pair<double, size_t>> near;
	for (size_t i = 0; i < ex_.size(); i++) {
		const auto &e = ex_[i];
		near.emplace_back(dist2(q, point_of(e.seq_permille, e.mean_run_x100,
						    e.distinct_permille)),
				  ex_.size() - 1 - i);
	}
	size_t k = std::min<size_t>(std::max(k_, 1u), near.size());
	std::partial_sort(near.begin(), near.begin() + k, near.end());
	std::vector<int> levels;
	for (size_t i = 0; i < k; i++)
		levels.push_back(window_level(ex_[ex_.size() - 1 - near[i].second].best_window));
	std::sort(levels.begin(), levels.end());
	// The smallest: a window too large for the next epoch risks more (a
	// quality below 0.900 sends the model to EMERGENCY) than one too small.
	return level_window(levels.front());
}

uint32_t bad_window(uint32_t good) noexcept
{
	return good >= 16 ? 0 : ML_LOOP_MAX_WINDOW;
}

void TreeLearner::learn(const DatasetRecord &d)
{
	if (d.accesses == 0)
		return;
	ex_.push_back({{d.seq_permille, d.mean_run_x100, d.distinct_permille, d.default_window},
		       window_level(d.best_window)});
	if (ex_.size() > memory_)
		ex_.erase(ex_.begin());
}

namespace {

constexpr int kLevels = 10;	// windows 0, 1, 2, 4, ..., 256
constexpr unsigned kBlendSteps = 4;	// blends at 1/4, 2/4, 3/4
// Features the tree splits on: seq_permille, mean_run_x100,
// distinct_permille.  Not default_window: DATASET has the default's window
// at the end of the epoch, the kernel its window at the miss, which in a
// mixed phase falls back to 4 at every run: a split on it learnt from the
// datasets does not apply online.
constexpr int kTreeFeatures = 3;

using Counts = std::array<unsigned, kLevels>;

double gini(const Counts &c, unsigned n)
{
	if (!n)
		return 0.0;
	double s = 0.0;
	for (unsigned v : c)
		s += double(v) * v;
	return 1.0 - s / (double(n) * n);
}

// The majority level, the smaller on a tie.
int majority(const Counts &c)
{
	int best = 0;
	for (int l = 1; l < kLevels; l++)
		if (c[l] > c[best])
			best = l;
	return best;
}

struct TreeBuilder {
	const std::vector<TreeLearner::Example> &ex;
	unsigned max_depth, min_leaf;
	PolicyTree tree;

	// Builds the node for examples idx at depth (1 = root); its index.
	uint16_t build(std::vector<size_t> idx, unsigned depth)
	{
		Counts all{};
		for (size_t i : idx)
			all[ex[i].level]++;
		uint16_t me = static_cast<uint16_t>(tree.nodes.size());
		tree.nodes.push_back({});
		const auto n = static_cast<unsigned>(idx.size());
		const double parent = gini(all, n);
		int best_f = -1;
		uint32_t best_thr = 0;
		double best_score = parent - 1e-9;
		if (depth < max_depth && n >= 2 * min_leaf && parent > 0.0 &&
		    tree.nodes.size() + 2 <= ML_LOOP_POLICY_MAX_NODES) {
			for (int f = 0; f < kTreeFeatures; f++) {
				std::vector<size_t> order = idx;
				std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
					return ex[a].x[f] < ex[b].x[f];
				});
				Counts left{};
				for (unsigned k = 0; k + 1 < n; k++) {
					left[ex[order[k]].level]++;
					uint32_t a = ex[order[k]].x[f], b = ex[order[k + 1]].x[f];
					if (a == b || k + 1 < min_leaf || n - k - 1 < min_leaf)
						continue;
					Counts right{};
					for (int l = 0; l < kLevels; l++)
						right[l] = all[l] - left[l];
					double score = (gini(left, k + 1) * (k + 1) +
							gini(right, n - k - 1) * (n - k - 1)) / n;
					if (score < best_score) {
						best_score = score;
						best_f = f;
						best_thr = a + (b - a) / 2;
					}
				}
			}
		}
		if (best_f < 0 || best_thr > 0xffff) {
			tree.nodes[me] = {ML_LOOP_POLICY_LEAF,
					  static_cast<uint16_t>(level_window(majority(all))), 0, 0};
			return me;
		}
		std::vector<size_t> l, r;
		for (size_t i : idx)
			(ex[i].x[best_f] <= best_thr ? l : r).push_back(i);
		uint16_t li = build(std::move(l), depth + 1);
		uint16_t ri = build(std::move(r), depth + 1);
		tree.nodes[me] = {static_cast<uint8_t>(best_f), static_cast<uint16_t>(best_thr), li,
				  ri};
		return me;
	}
};

}  // namespace

std::optional<PolicyTree> TreeLearner::train() const
{
	if (ex_.empty())
		return std::nullopt;
	unsigned depth = std::clamp(max_depth_, 1u, unsigned(ML_LOOP_POLICY_MAX_DEPTH));
	// 2^depth - 1 nodes must fit in 255.
	depth = std::min(depth, 6u);	// 1 + 2 * 63 nodes
	// The kernel's features slide over the last 512 accesses: at a phase
	// change they read a blend of the epoch before and the epoch under way,
	// while the accesses served are the new epoch's.  So the training set
	// also has, for consecutive epochs A, B of different best windows, the
	// blends (1 - f) A + f B (continued accesses and runs add up; distinct
	// pages approximately) labelled with B's window: the tree learns to
	// switch early instead of at the middle of the gap.
	std::vector<Example> all = ex_;
	for (size_t i = 0; i + 1 < ex_.size(); i++) {
		const Example &a = ex_[i], &b = ex_[i + 1];
		if (a.level == b.level)
			continue;
		for (unsigned k = 1; k < kBlendSteps; k++) {
			double f = double(k) / kBlendSteps;
			auto runs = [](const Example &e) {
				return 512.0 * 100.0 / std::max<double>(e.x[1], 100.0);
			};
			double cont = (1 - f) * a.x[0] + f * b.x[0];	// permille
			double r = (1 - f) * runs(a) + f * runs(b);
			Example m;
			m.x[0] = static_cast<uint32_t>(cont);
			m.x[1] = static_cast<uint32_t>(512.0 * 100.0 / std::max(r, 1.0));
			m.x[2] = static_cast<uint32_t>((1 - f) * a.x[2] + f * b.x[2]);
			m.x[3] = b.x[3];
			m.level = b.level;
			all.push_back(m);
		}
	}
	// Two trees under a root split on run_length, the one feature that
	// reacts at once: a miss that continues a run (run_length > 1) is not
	// a random access whatever the window says, so that branch's tree
	// learns only from the epochs (and blends) where readahead paid.
	std::vector<Example> seq;
	for (const auto &e : all)
		if (e.level > 0)
			seq.push_back(e);
	auto grow = [&](const std::vector<Example> &set) {
		TreeBuilder b{set, depth, std::max(min_leaf_, 1u), {}};
		std::vector<size_t> idx(set.size());
		for (size_t i = 0; i < idx.size(); i++)
			idx[i] = i;
		b.build(std::move(idx), 1);
		return std::move(b.tree);
	};
	PolicyTree fresh = grow(all);
	if (seq.empty())
		return fresh;
	PolicyTree cont = grow(seq);
	PolicyTree t;
	t.nodes.push_back({ML_LOOP_F_RUN_LENGTH, 1, 1,
			   static_cast<uint16_t>(1 + fresh.nodes.size())});
	auto append = [&](const PolicyTree &sub) {
		const auto base = static_cast<uint16_t>(t.nodes.size());
		for (auto n : sub.nodes) {
			if (n.feature != ML_LOOP_POLICY_LEAF) {
				n.left = static_cast<uint16_t>(n.left + base);
				n.right = static_cast<uint16_t>(n.right + base);
			}
			t.nodes.push_back(n);
		}
	};
	append(fresh);
	append(cont);
	return t;
}

PolicyTree bad_policy(const PolicyTree &good)
{
	PolicyTree bad = good;
	for (auto &n : bad.nodes)
		if (n.feature == ML_LOOP_POLICY_LEAF)
			n.value = static_cast<uint16_t>(bad_window(n.value));
	return bad;
}

namespace {

// The agent SDK's paths under a root.
class ClientPort final : public LoopPort {
public:
	explicit ClientPort(const std::string &root) : loop_(Root(root)) {}
	void control(std::string_view cmd) override { loop_.control(cmd); }
	std::vector<LoopRecord> drain() override { return loop_.drain(); }
	void write_window(uint32_t w, uint32_t c) override { loop_.write_recommendation(w, c); }
	void write_policy(const PolicyTree &t) override { loop_.write_policy(t); }
	ml_lib_model_mode mode() override { return loop_.mode(); }
	uint32_t efficiency_milli() override { return loop_.efficiency_milli(); }
	LoopStats stats() override { return loop_.stats(); }

private:
	MlLoopClient loop_;
};

}  // namespace

LoopReport run_loop_agent(const LoopAgentOptions &opts)
{
	ClientPort port(opts.root);
	return run_loop_agent(opts, port);
}

LoopReport run_loop_agent(const LoopAgentOptions &opts, LoopPort &loop)
{
	auto say = [&](const std::string &line) {
		if (opts.progress)
			*opts.progress << line << '\n' << std::flush;
	};
	if (opts.reset)
		loop.control("reset");
	(void)loop.drain();	// nothing from an earlier run is ours
	loop.control("start");
	// Stats count from the reset (or from here with --no-reset).
	auto stat = [](const LoopStats &st, const char *key) {
		auto v = st.get(key);
		if (!v)
			throw ProtocolError(std::string("ml_readahead/stats: no '") + key + "'");
		return *v;
	};
	const uint64_t best0 = stat(loop.stats(), "cost_best");

	WindowLearner learner(opts.k);
	TreeLearner trees(opts.max_depth);
	const bool use_policy = opts.kind == LoopAgentKind::policy;
	LoopReport rep;
	bool sabotaging = opts.bad && opts.bad_from_start;
	if (sabotaging)
		rep.turned_bad_epoch = 0;
	for (unsigned i = 0; i < opts.epochs; i++) {
		loop.control("step 1");
		std::optional<DatasetRecord> ds;
		std::optional<FeedbackRecord> fb;
		for (const auto &r : loop.drain()) {
			if (auto *d = std::get_if<DatasetRecord>(&r))
				ds = *d;
			else if (auto *f = std::get_if<FeedbackRecord>(&r))
				fb = *f;
			else
				throw ProtocolError("mlloop: a RECOMMENDATION record came back "
						    "from the kernel");
		}
		if (!ds || !fb)
			throw ProtocolError("mlloop: `step 1` published no DATASET and "
					    "FEEDBACK records");
		if (ds->epoch != fb->epoch)
			throw ProtocolError("mlloop: DATASET of epoch " + std::to_string(ds->epoch) +
					    " with FEEDBACK of epoch " + std::to_string(fb->epoch));
		learner.learn(*ds);
		trees.learn(*ds);

		LoopTraceRow row;
		row.epoch = fb->epoch;
		row.mode = fb->mode;
		row.efficiency_milli = fb->efficiency_milli;
		row.applied_permille = fb->applied_permille;
		row.window = fb->recommended_window;
		row.policy = fb->recommended_window == ML_LOOP_POLICY_WINDOW;
		row.best_window = fb->best_window;
		row.cost_default = fb->cost_default;
		row.cost_recommended = fb->cost_recommended;
		row.cost_actual = fb->cost_actual;
		row.mode_after = loop.mode();
		row.ewma_milli = loop.efficiency_milli();
		const uint64_t best_so_far = stat(loop.stats(), "cost_best") - best0;
		row.cost_best = best_so_far - rep.sum_best;
		rep.sum_best = best_so_far;
		rep.sum_default += fb->cost_default;
		rep.sum_actual += fb->cost_actual;
		rep.sum_recommended += fb->cost_recommended;
		rep.highest_mode = std::max(rep.highest_mode, row.mode_after);
		if (row.mode_after == ML_LIB_RECOMMENDATION_MODE && !rep.recommendation_epoch)
			rep.recommendation_epoch = row.epoch;
		if (sabotaging && row.mode_after == ML_LIB_EMERGENCY_MODE && !rep.demoted_epoch &&
		    rep.turned_bad_epoch && row.epoch > *rep.turned_bad_epoch)
			rep.demoted_epoch = row.epoch;
		if (opts.bad && !sabotaging && row.mode_after >= opts.bad_after_mode) {
			sabotaging = true;
			rep.turned_bad_epoch = row.epoch;
		}

		if (use_policy) {
			if (auto good = trees.train()) {
				PolicyTree t = sabotaging ? bad_policy(*good) : std::move(*good);
				loop.write_policy(t);
				rep.policies_written++;
				rep.last_policy = std::move(t);
				row.next_policy = true;
				row.bad = sabotaging;
			}
		} else if (auto good = learner.predict(*ds)) {
			uint32_t w = sabotaging ? bad_window(*good) : *good;
			loop.write_window(w, sabotaging ? 0 : 800);
			row.next_window = w;
			row.bad = sabotaging;
		}
		row.cumulative_milli = static_cast<uint32_t>(
			rep.sum_actual ? rep.sum_default * 1000 / rep.sum_actual : 1000);
		row.ceiling_milli = static_cast<uint32_t>(
			rep.sum_best ? rep.sum_default * 1000 / rep.sum_best : 1000);
		row.share_milli = static_cast<int32_t>(std::lround(
			1000.0 * LoopReport::share_of(rep.sum_default, rep.sum_actual, rep.sum_best)));
		bool show = opts.progress_every <= 1 || row.mode_after != row.mode ||
			    row.epoch % opts.progress_every == 0 || i + 1 == opts.epochs;
		if (show)
			say(opts.name + ": epoch " + std::to_string(row.epoch) + "  mode " +
			    mode_name(row.mode) + "  efficiency " +
			    milli_text(row.efficiency_milli) + "  ewma " +
			    milli_text(row.ewma_milli) + "  applied " +
			    std::to_string(row.applied_permille / 10) + "%  window " +
			    window_text(row.window) + " (best " +
			    std::to_string(row.best_window) + ")  next " +
			    (row.next_policy ? std::string("policy") : window_text(row.next_window)) +
			    (row.bad ? " [bad]" : "") + "  share " +
			    std::to_string(row.share_milli / 10) + "%" +
			    (row.mode_after != row.mode
				     ? std::string("  -> ") + mode_name(row.mode_after)
				     : std::string()));
		rep.rows.push_back(row);
	}
	rep.final_mode = rep.rows.empty() ? loop.mode() : rep.rows.back().mode_after;
	loop.control("stop");
	if (!opts.csv.empty())
		write_trace_csv(opts.csv, rep);
	return rep;
}

std::string trace_csv(const LoopReport &rep)
{
	std::string out = "epoch,mode,efficiency,ewma,applied,window,best,cost_default,"
			  "cost_actual,mode_after,cumulative,cost_best,share,ceiling\n";
	char buf[256];
	for (const auto &r : rep.rows) {
		long long w = !r.window ? -1LL : r.policy ? -2LL : (long long)*r.window;
		int32_t sh = r.share_milli;
		snprintf(buf, sizeof(buf), "%llu,%u,%s,%s,%u.%03u,%lld,%u,%llu,%llu,%u,%s,%llu,%s%d.%03d,%s\n",
			 (unsigned long long)r.epoch, unsigned(r.mode),
			 milli_text(r.efficiency_milli).c_str(), milli_text(r.ewma_milli).c_str(),
			 r.applied_permille / 1000, r.applied_permille % 1000,
			 w, r.best_window,
			 (unsigned long long)r.cost_default, (unsigned long long)r.cost_actual,
			 unsigned(r.mode_after), milli_text(r.cumulative_milli).c_str(),
			 (unsigned long long)r.cost_best, sh < 0 ? "-" : "",
			 std::abs(sh) / 1000, std::abs(sh) % 1000,
			 milli_text(r.ceiling_milli).c_str());
		out += buf;
	}
	return out;
}

void write_trace_csv(const std::string &path, const LoopReport &rep)
{
	std::ofstream f(path, std::ios::binary | std::ios::trunc);
	if (!f)
		throw SysError(errno ? errno : EIO, "create " + path);
	f << trace_csv(rep);
	f.close();
	if (!f)
		throw SysError(errno ? errno : EIO, "write " + path);
}

}  // namespace mlc::agent

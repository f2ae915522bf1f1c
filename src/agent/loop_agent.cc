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

LoopReport run_loop_agent(const LoopAgentOptions &opts)
{
	auto say = [&](const std::string &line) {
		if (opts.progress)
			*opts.progress << line << '\n' << std::flush;
	};
	MlLoopClient loop{Root(opts.root)};
	if (opts.reset)
		loop.reset();
	(void)loop.drain();	// nothing from an earlier run is ours
	loop.start();

	WindowLearner learner(opts.k);
	LoopReport rep;
	bool sabotaging = opts.bad && opts.bad_from_start;
	if (sabotaging)
		rep.turned_bad_epoch = 0;
	for (unsigned i = 0; i < opts.epochs; i++) {
		loop.step(1);
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

		LoopTraceRow row;
		row.epoch = fb->epoch;
		row.mode = fb->mode;
		row.efficiency_milli = fb->efficiency_milli;
		row.applied_permille = fb->applied_permille;
		row.window = fb->recommended_window;
		row.best_window = fb->best_window;
		row.cost_default = fb->cost_default;
		row.cost_recommended = fb->cost_recommended;
		row.cost_actual = fb->cost_actual;
		row.mode_after = loop.mode();
		row.ewma_milli = loop.efficiency_milli();
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

		if (auto good = learner.predict(*ds)) {
			uint32_t w = sabotaging ? bad_window(*good) : *good;
			loop.write_recommendation(w, sabotaging ? 0 : 800);
			row.next_window = w;
			row.bad = sabotaging;
		}
		row.cumulative_milli = static_cast<uint32_t>(
			rep.sum_actual ? rep.sum_default * 1000 / rep.sum_actual : 1000);
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
			    window_text(row.next_window) + (row.bad ? " [bad]" : "") +
			    (row.mode_after != row.mode
				     ? std::string("  -> ") + mode_name(row.mode_after)
				     : std::string()));
		rep.rows.push_back(row);
	}
	rep.final_mode = rep.rows.empty() ? loop.mode() : rep.rows.back().mode_after;
	loop.stop();
	if (!opts.csv.empty())
		write_trace_csv(opts.csv, rep);
	return rep;
}

std::string trace_csv(const LoopReport &rep)
{
	std::string out = "epoch,mode,efficiency,ewma,applied,window,best,cost_default,"
			  "cost_actual,mode_after,cumulative\n";
	char buf[256];
	for (const auto &r : rep.rows) {
		snprintf(buf, sizeof(buf), "%llu,%u,%s,%s,%u.%03u,%lld,%u,%llu,%llu,%u,%s\n",
			 (unsigned long long)r.epoch, unsigned(r.mode),
			 milli_text(r.efficiency_milli).c_str(), milli_text(r.ewma_milli).c_str(),
			 r.applied_permille / 1000, r.applied_permille % 1000,
			 r.window ? (long long)*r.window : -1LL, r.best_window,
			 (unsigned long long)r.cost_default, (unsigned long long)r.cost_actual,
			 unsigned(r.mode_after), milli_text(r.cumulative_milli).c_str());
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

// SPDX-License-Identifier: GPL-2.0
//
// The closed loop v2 targets (docs/closed-loop.md, "Targets"), measured by
// running mlc-agent-loop's agent (run_loop_agent) in this process on a
// LocalDevice, i.e. the same core as every door, without a door: share of
// the hindsight gain captured, epochs that stay in RECOMMENDATION after
// first reaching it, saboteur demotion delays and the lowest cumulative
// efficiency.  Shared by bench/bench_loop_targets.cc and the unit tests.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

#include "agent/loop_agent.hpp"
#include "agent/parse.hpp"
#include "emulator/device.hpp"

namespace mlc::loop_targets {

// The agent's port onto a LocalDevice (the calls the doors make).
class LocalPort final : public mlc::agent::LoopPort {
public:
	explicit LocalPort(uint64_t seed)
		: dev_(mlc::DeviceServices::make(mlc::ClockSpec{true, 1767225600}, "", seed))
	{
	}
	void control(std::string_view cmd) override
	{
		long r = dev_->mlloop_control_write(reinterpret_cast<mlc_uptr>(cmd.data()),
						    cmd.size(), mem_);
		if (r < 0)
			throw mlc::agent::SysError(int(-r), "control " + std::string(cmd));
	}
	std::vector<mlc::agent::LoopRecord> drain() override
	{
		std::vector<std::byte> buf(64 * 256);
		std::vector<mlc::agent::LoopRecord> all;
		for (;;) {
			long r = dev_->mlloop_read(reinterpret_cast<mlc_uptr>(buf.data()), buf.size(),
						   mem_);
			if (r < 0)
				throw mlc::agent::SysError(int(-r), "read mlloop");
			if (r == 0)
				return all;
			auto recs = mlc::agent::decode_records(std::span(buf.data(), size_t(r)));
			all.insert(all.end(), recs.begin(), recs.end());
		}
	}
	void write_window(uint32_t w, uint32_t c) override
	{
		write(mlc::agent::encode_record(mlc::agent::RecommendationRecord{0, w, c}));
	}
	void write_policy(const mlc::agent::PolicyTree &t) override
	{
		write(mlc::agent::encode_policy(t));
	}
	ml_lib_model_mode mode() override
	{
		return *mlc::agent::parse_mode(render(ml_loop_dev_show_mode));
	}
	uint32_t efficiency_milli() override
	{
		return *mlc::agent::parse_efficiency(render(ml_loop_dev_show_efficiency));
	}
	mlc::agent::LoopStats stats() override
	{
		return mlc::agent::parse_loop_stats(render(ml_loop_dev_show_stats));
	}
	mlc::Device &device() { return *dev_; }

private:
	template <typename B>
	void write(const B &bytes)
	{
		long r = dev_->mlloop_write(reinterpret_cast<mlc_uptr>(bytes.data()), bytes.size(),
					    mem_);
		if (r < 0)
			throw mlc::agent::SysError(int(-r), "write mlloop");
	}
	std::string render(mlc::Device::MlloopRenderFn fn)
	{
		char buf[ML_LOOP_DEV_RENDER_MAX];
		size_t n = dev_->render_mlloop(fn, buf, sizeof(buf));
		return std::string(buf, std::min(n, sizeof(buf) - 1));
	}
	mlc::LocalDevice dev_;
	mlc::LocalMemory mem_;
};

struct GoodRun {
	uint64_t seed = 0;
	double share = 0, cumulative = 0;
	uint64_t first_recommendation = 0;	// 0: never
	unsigned after = 0, stayed = 0;		// epochs after it, of those in R
	double stay() const { return after ? double(stayed) / after : 0.0; }
};

inline GoodRun good_run(uint64_t seed, unsigned epochs,
			mlc::agent::LoopAgentKind kind = mlc::agent::LoopAgentKind::policy)
{
	LocalPort port(seed);
	mlc::agent::LoopAgentOptions o;
	o.epochs = epochs;
	o.kind = kind;
	auto rep = mlc::agent::run_loop_agent(o, port);
	GoodRun g;
	g.seed = seed;
	g.share = rep.share_captured();
	g.cumulative = rep.cumulative_efficiency();
	if (rep.recommendation_epoch) {
		g.first_recommendation = *rep.recommendation_epoch;
		for (const auto &r : rep.rows)
			if (r.epoch > g.first_recommendation) {
				g.after++;
				g.stayed += r.mode == ML_LIB_RECOMMENDATION_MODE;
			}
	}
	return g;
}

struct BadRun {
	uint64_t seed = 0;
	std::string name;
	bool turned_bad = false, demoted = false;
	uint64_t delay = 0;			// demoted - turned bad, in epochs
	double min_cumulative = 1.0, cumulative = 1.0;
};

// A saboteur: kind, turning bad once trusted with `after` (or from the start).
inline BadRun bad_run(uint64_t seed, unsigned epochs, mlc::agent::LoopAgentKind kind,
		      bool from_start, ml_lib_model_mode after)
{
	LocalPort port(seed);
	mlc::agent::LoopAgentOptions o;
	o.epochs = epochs;
	o.kind = kind;
	o.bad = true;
	o.bad_from_start = from_start;
	o.bad_after_mode = after;
	auto rep = mlc::agent::run_loop_agent(o, port);
	BadRun b;
	b.seed = seed;
	b.name = std::string(kind == mlc::agent::LoopAgentKind::policy ? "policy" : "window") +
		 "/" + (from_start ? std::string("start") : mlc::agent::mode_name(after));
	b.turned_bad = rep.turned_bad_epoch.has_value();
	b.demoted = rep.demoted_epoch.has_value();
	if (b.turned_bad && b.demoted)
		b.delay = *rep.demoted_epoch - *rep.turned_bad_epoch;
	for (const auto &r : rep.rows)
		b.min_cumulative = std::min(b.min_cumulative, r.cumulative_milli / 1000.0);
	b.cumulative = rep.cumulative_efficiency();
	return b;
}

}  // namespace mlc::loop_targets

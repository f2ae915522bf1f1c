// SPDX-License-Identifier: GPL-2.0
//
// Helpers of the closed loop's unit tests: a loaded ml_loop_dev on the
// ml_lib tests' TestHost (frozen clock, captured kernel log, a guarded
// caller region), record encoding/decoding through the caller's memory,
// and an agent driver that steps one epoch at a time.
#pragma once

#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "test_host.hpp"

extern "C" {
#include "core/ml_loop_dev.h"
#include "core/ml_loop_sim.h"
}

namespace mlc_test {

inline ml_loop_recommendation make_rec(uint32_t window, uint32_t confidence = 500)
{
	ml_loop_recommendation r;
	std::memset(&r, 0, sizeof(r));
	r.hdr.magic = ML_LOOP_RECORD_MAGIC;
	r.hdr.type = ML_LOOP_REC_RECOMMENDATION;
	r.hdr.size = ML_LOOP_RECORD_SIZE;
	r.hdr.epoch = 0;
	r.window = window;
	r.confidence_permille = confidence;
	return r;
}

// A rendering as a string, checking the snprintf-like contract on the way.
template <typename Fn>
std::string render_loop(Fn fn)
{
	char buf[ML_LOOP_DEV_RENDER_MAX];
	std::memset(buf, 'X', sizeof(buf));
	size_t len = fn(buf, sizeof(buf));
	if (len >= sizeof(buf) || buf[len] != '\0')
		return "<bad rendering>";
	// Too small a buffer: the same length, a cut NUL-terminated text.
	char small[8];
	size_t len2 = fn(small, sizeof(small));
	if (len2 != len || small[std::min(len, sizeof(small) - 1)] != '\0')
		return "<bad short rendering>";
	return std::string(buf, len);
}

// One ml_loop_dev with its host; the device lives on the heap (25 KiB).
class LoopRig {
public:
	explicit LoopRig(std::unique_ptr<mlc::RandomSource> random = nullptr)
		: h(1 << 16), dev_(std::make_unique<ml_loop_dev>())
	{
		if (random)
			h.set_random(std::move(random));
		std::memset(dev_.get(), 0xA5, sizeof(ml_loop_dev));	// load clears
		load_rc = ml_loop_dev_load(dev_.get(), h.get());
	}

	ml_loop_dev &dev() { return *dev_; }
	mlc_host *host() { return h.get(); }

	long control(std::string_view cmd)
	{
		return ml_loop_dev_control_store(dev_.get(), h.get(), cmd.data(),
						 cmd.size());
	}
	void start()
	{
		if (control("start") != 5)
			throw std::runtime_error("start failed");
	}

	// Records into the caller's memory at 0, then one write(2).
	long write_recs(const std::vector<ml_loop_recommendation> &recs)
	{
		h.set_user_size(1 << 16);
		for (size_t i = 0; i < recs.size(); i++)
			h.poke(i * sizeof(recs[i]), &recs[i], sizeof(recs[i]));
		return ml_loop_dev_write(dev_.get(), h.get(), h.addr(0),
					 recs.size() * ML_LOOP_RECORD_SIZE);
	}
	long write_window(uint32_t w) { return write_recs({make_rec(w)}); }

	// One read(2) of count bytes; the bytes it returned.
	long read(size_t count, std::vector<uint8_t> *out = nullptr)
	{
		h.set_user_size(1 << 16);
		long r = ml_loop_dev_read(dev_.get(), h.get(), h.addr(0), count);
		if (out && r > 0) {
			auto *p = reinterpret_cast<const uint8_t *>(h.bytes());
			out->assign(p, p + r);
		}
		return r;
	}
	// Everything waiting, as raw bytes.
	std::vector<uint8_t> drain()
	{
		std::vector<uint8_t> all, part;
		while (read(ML_LOOP_QUEUE_LEN * ML_LOOP_RECORD_SIZE, &part) > 0)
			all.insert(all.end(), part.begin(), part.end());
		return all;
	}

	uint32_t pending() const { return dev_->q_count; }

	TestHost h;
	int load_rc;

private:
	std::unique_ptr<ml_loop_dev> dev_;
};

inline ml_loop_dataset dataset_at(const std::vector<uint8_t> &b, size_t i)
{
	ml_loop_dataset d;
	std::memcpy(&d, b.data() + i * ML_LOOP_RECORD_SIZE, sizeof(d));
	return d;
}

inline ml_loop_feedback feedback_at(const std::vector<uint8_t> &b, size_t i)
{
	ml_loop_feedback f;
	std::memcpy(&f, b.data() + i * ML_LOOP_RECORD_SIZE, sizeof(f));
	return f;
}

// What an agent sees before choosing the next window.
struct AgentView {
	std::optional<ml_loop_dataset> last;	// the epoch just finished
	std::optional<ml_loop_feedback> feedback;
	uint32_t mode;				// the mode attribute now
};
// The window to write for the next epoch; nullopt writes nothing.
using Agent = std::function<std::optional<uint32_t>(const AgentView &)>;

struct RunResult {
	uint64_t first_recommendation_epoch = 0;	// 0: never
	uint32_t max_mode = ML_LIB_EMERGENCY_MODE;
	uint32_t epochs_in_mode[ML_LIB_MODE_MAX] = {};
	double cumulative = 0;		// sum of default costs / sum of actual
	std::vector<uint8_t> records;	// every record read, in order
};

// Steps `epochs` epochs one at a time, reading both records after each and
// letting the agent write before the next.  The device must be started.
inline RunResult run_agent(LoopRig &rig, unsigned epochs, const Agent &agent)
{
	RunResult res;
	AgentView view;
	view.mode = rig.dev().model.mode;
	for (unsigned i = 0; i < epochs; i++) {
		if (auto w = agent(view))
			if (rig.write_window(*w) != ML_LOOP_RECORD_SIZE)
				throw std::runtime_error("write refused");
		res.epochs_in_mode[rig.dev().model.mode]++;
		if (rig.control("step 1") != 6)
			throw std::runtime_error("step failed");
		std::vector<uint8_t> b;
		if (rig.read(2 * ML_LOOP_RECORD_SIZE, &b) != 2 * ML_LOOP_RECORD_SIZE)
			throw std::runtime_error("no records");
		res.records.insert(res.records.end(), b.begin(), b.end());
		view.last = dataset_at(b, 0);
		view.feedback = feedback_at(b, 1);
		view.mode = rig.dev().model.mode;
		if (view.mode > res.max_mode)
			res.max_mode = view.mode;
		if (view.mode == ML_LIB_RECOMMENDATION_MODE &&
		    !res.first_recommendation_epoch)
			res.first_recommendation_epoch = view.last->hdr.epoch;
	}
	res.cumulative = static_cast<double>(rig.dev().cost_default) /
			 static_cast<double>(rig.dev().cost_actual);
	return res;
}

// The good agent: the previous epoch's hindsight-best window.
inline std::optional<uint32_t> oracle_agent(const AgentView &v)
{
	if (!v.last)
		return std::nullopt;
	return v.last->best_window;
}

// The opposite end of the range from what fitted the previous epoch.
inline uint32_t opposite(uint32_t good) { return good <= 4 ? 256 : 0; }

}  // namespace mlc_test

// SPDX-License-Identifier: GPL-2.0
#include "agent/loop_records.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "agent/error.hpp"

namespace mlc::agent {

namespace {

template <typename T>
T load(std::span<const std::byte> b)
{
	static_assert(sizeof(T) == ML_LOOP_RECORD_SIZE);
	T v;
	std::memcpy(&v, b.data(), sizeof(T));
	return v;
}

template <typename T>
RecordBytes store(const T &v)
{
	static_assert(sizeof(T) == ML_LOOP_RECORD_SIZE);
	RecordBytes b;
	std::memcpy(b.data(), &v, sizeof(T));
	return b;
}

ml_loop_header header(uint16_t type, uint64_t epoch)
{
	ml_loop_header h{};
	h.magic = ML_LOOP_RECORD_MAGIC;
	h.type = type;
	h.size = ML_LOOP_RECORD_SIZE;
	h.epoch = epoch;
	return h;
}

std::optional<LoopRecord> refuse(std::string *why, std::string reason)
{
	if (why)
		*why = std::move(reason);
	return std::nullopt;
}

}  // namespace

std::optional<LoopRecord> decode_record(std::span<const std::byte> bytes, std::string *why)
{
	if (bytes.size() != ML_LOOP_RECORD_SIZE)
		return refuse(why, "record of " + std::to_string(bytes.size()) +
					   " bytes, not " + std::to_string(ML_LOOP_RECORD_SIZE));
	ml_loop_header h;
	std::memcpy(&h, bytes.data(), sizeof(h));
	if (h.magic != ML_LOOP_RECORD_MAGIC)
		return refuse(why, "bad magic " + std::to_string(h.magic));
	if (h.size != ML_LOOP_RECORD_SIZE)
		return refuse(why, "header size " + std::to_string(h.size));
	switch (h.type) {
	case ML_LOOP_REC_DATASET: {
		auto r = load<ml_loop_dataset>(bytes);
		if (r.seq_permille > 1000 || r.distinct_permille > 1000)
			return refuse(why, "dataset permille above 1000");
		if (r.default_window > ML_LOOP_MAX_WINDOW || r.best_window > ML_LOOP_MAX_WINDOW)
			return refuse(why, "dataset window above ML_LOOP_MAX_WINDOW");
		return DatasetRecord{h.epoch,		  r.accesses,	    r.seq_permille,
				     r.mean_run_x100,	  r.distinct_permille, r.default_window,
				     r.best_window,	  r.phase_hint};
	}
	case ML_LOOP_REC_FEEDBACK: {
		auto r = load<ml_loop_feedback>(bytes);
		if (r.mode < ML_LIB_EMERGENCY_MODE || r.mode > ML_LIB_RECOMMENDATION_MODE)
			return refuse(why, "feedback mode " + std::to_string(r.mode));
		if (r.applied_permille > 1000)
			return refuse(why, "feedback applied_permille above 1000");
		bool none = r.recommended_window == ML_LOOP_NO_WINDOW;
		bool policy = r.recommended_window == ML_LOOP_POLICY_WINDOW;
		if (!none && !policy && r.recommended_window > ML_LOOP_MAX_WINDOW)
			return refuse(why, "feedback recommended_window " +
						   std::to_string(r.recommended_window));
		if (r.best_window > ML_LOOP_MAX_WINDOW)
			return refuse(why, "feedback best_window " + std::to_string(r.best_window));
		int64_t want = none || policy
				       ? 0
				       : static_cast<int64_t>(r.recommended_window) - r.best_window;
		if (r.error != want)
			return refuse(why, "feedback error " + std::to_string(r.error) +
						   " is not recommended - best (" +
						   std::to_string(want) + ")");
		FeedbackRecord f;
		f.epoch = h.epoch;
		f.mode = static_cast<ml_lib_model_mode>(r.mode);
		f.applied_permille = r.applied_permille;
		if (!none)
			f.recommended_window = r.recommended_window;
		f.best_window = r.best_window;
		f.cost_default = r.cost_default;
		f.cost_recommended = r.cost_recommended;
		f.cost_actual = r.cost_actual;
		f.error = r.error;
		f.efficiency_milli = r.efficiency_milli;
		return f;
	}
	case ML_LOOP_REC_RECOMMENDATION: {
		auto r = load<ml_loop_recommendation>(bytes);
		if (r.window > ML_LOOP_MAX_WINDOW)
			return refuse(why, "recommendation window " + std::to_string(r.window));
		return RecommendationRecord{h.epoch, r.window, r.confidence_permille};
	}
	default:
		return refuse(why, "unknown record type " + std::to_string(h.type));
	}
}

std::vector<LoopRecord> decode_records(std::span<const std::byte> bytes)
{
	if (bytes.size() % ML_LOOP_RECORD_SIZE)
		throw ProtocolError("mlloop: " + std::to_string(bytes.size()) +
				    " bytes is not a whole number of records");
	std::vector<LoopRecord> out;
	for (size_t off = 0; off < bytes.size(); off += ML_LOOP_RECORD_SIZE) {
		std::string why;
		auto r = decode_record(bytes.subspan(off, ML_LOOP_RECORD_SIZE), &why);
		if (!r)
			throw ProtocolError("mlloop: record " +
					    std::to_string(off / ML_LOOP_RECORD_SIZE) + ": " + why);
		out.push_back(*r);
	}
	return out;
}

RecordBytes encode_record(const LoopRecord &rec)
{
	struct Encoder {
		RecordBytes operator()(const DatasetRecord &d) const
		{
			if (d.default_window > ML_LOOP_MAX_WINDOW ||
			    d.best_window > ML_LOOP_MAX_WINDOW)
				throw std::invalid_argument("dataset window above ML_LOOP_MAX_WINDOW");
			ml_loop_dataset r{};
			r.hdr = header(ML_LOOP_REC_DATASET, d.epoch);
			r.accesses = d.accesses;
			r.seq_permille = d.seq_permille;
			r.mean_run_x100 = d.mean_run_x100;
			r.distinct_permille = d.distinct_permille;
			r.default_window = d.default_window;
			r.best_window = d.best_window;
			r.phase_hint = d.phase_hint;
			return store(r);
		}
		RecordBytes operator()(const FeedbackRecord &f) const
		{
			if (f.mode < ML_LIB_EMERGENCY_MODE || f.mode > ML_LIB_RECOMMENDATION_MODE)
				throw std::invalid_argument("feedback mode out of range");
			if ((f.recommended_window && *f.recommended_window > ML_LOOP_MAX_WINDOW &&
			     *f.recommended_window != ML_LOOP_POLICY_WINDOW) ||
			    f.best_window > ML_LOOP_MAX_WINDOW)
				throw std::invalid_argument("feedback window above ML_LOOP_MAX_WINDOW");
			ml_loop_feedback r{};
			r.hdr = header(ML_LOOP_REC_FEEDBACK, f.epoch);
			r.mode = static_cast<__u32>(f.mode);
			r.applied_permille = f.applied_permille;
			r.recommended_window = f.recommended_window.value_or(ML_LOOP_NO_WINDOW);
			r.best_window = f.best_window;
			r.cost_default = f.cost_default;
			r.cost_recommended = f.cost_recommended;
			r.cost_actual = f.cost_actual;
			r.error = f.error;
			r.efficiency_milli = f.efficiency_milli;
			return store(r);
		}
		RecordBytes operator()(const RecommendationRecord &m) const
		{
			if (m.window > ML_LOOP_MAX_WINDOW)
				throw std::invalid_argument("recommendation window above "
							    "ML_LOOP_MAX_WINDOW");
			ml_loop_recommendation r{};
			r.hdr = header(ML_LOOP_REC_RECOMMENDATION, m.epoch);
			r.window = m.window;
			r.confidence_permille = m.confidence_permille;
			return store(r);
		}
	};
	return std::visit(Encoder{}, rec);
}

std::string check_policy(const PolicyTree &t)
{
	const auto &nodes = t.nodes;
	size_t nc = nodes.size();
	if (nc < 1 || nc > ML_LOOP_POLICY_MAX_NODES)
		return "node_count " + std::to_string(nc) + " outside 1..255";
	std::vector<unsigned> depth(nc, 0);
	depth[0] = 1;
	for (size_t i = 0; i < nc; i++) {
		const auto &n = nodes[i];
		std::string at = "node " + std::to_string(i) + ": ";
		if (n.feature == ML_LOOP_POLICY_LEAF) {
			if (n.value > ML_LOOP_MAX_WINDOW)
				return at + "window " + std::to_string(n.value) + " above 256";
			if (n.left || n.right)
				return at + "a leaf with children";
			continue;
		}
		if (n.feature >= ML_LOOP_F_COUNT)
			return at + "feature " + std::to_string(n.feature) + " unknown";
		if (n.left <= i || n.right <= i || n.left >= nc || n.right >= nc)
			return at + "children must come after it and before node_count";
		if (depth[i]) {
			if (depth[i] >= ML_LOOP_POLICY_MAX_DEPTH)
				return at + "depth above 16";
			depth[n.left] = std::max(depth[n.left], depth[i] + 1);
			depth[n.right] = std::max(depth[n.right], depth[i] + 1);
		}
	}
	return {};
}

std::vector<std::byte> encode_policy(const PolicyTree &t, uint64_t epoch)
{
	if (auto why = check_policy(t); !why.empty())
		throw std::invalid_argument("policy: " + why);
	const size_t nc = t.nodes.size();
	std::vector<std::byte> out;
	for (size_t first = 0; first < nc; first += ML_LOOP_POLICY_NODES_PER_REC) {
		ml_loop_policy r{};
		r.hdr = header(ML_LOOP_REC_POLICY, epoch);
		r.node_count = static_cast<__u16>(nc);
		r.first_node = static_cast<__u16>(first);
		r.nodes_here = static_cast<__u16>(
			std::min<size_t>(ML_LOOP_POLICY_NODES_PER_REC, nc - first));
		for (unsigned j = 0; j < r.nodes_here; j++) {
			const auto &n = t.nodes[first + j];
			r.nodes[j].feature = n.feature;
			r.nodes[j].value = n.value;
			r.nodes[j].left = n.left;
			r.nodes[j].right = n.right;
		}
		auto b = store(r);
		out.insert(out.end(), b.begin(), b.end());
	}
	return out;
}

uint32_t eval_policy(const PolicyTree &t, const std::array<uint32_t, ML_LOOP_F_COUNT> &v)
{
	size_t i = 0;
	for (unsigned visits = 0; visits < ML_LOOP_POLICY_MAX_DEPTH && i < t.nodes.size();
	     visits++) {
		const auto &n = t.nodes[i];
		if (n.feature == ML_LOOP_POLICY_LEAF)
			return n.value;
		if (n.feature >= ML_LOOP_F_COUNT)
			break;
		i = v[n.feature] <= n.value ? n.left : n.right;
	}
	return 4;	// the default's minimum, as the kernel (never for a valid tree)
}

std::string policy_text(const PolicyTree &t)
{
	static const char *names[] = {"seq_permille", "mean_run_x100", "distinct_permille",
				      "default_window", "run_length"};
	std::string out;
	std::vector<unsigned> indent(t.nodes.size(), 0);
	// Pre-order from the root (children come after their parent).
	std::vector<std::pair<size_t, unsigned>> todo{{0, 0}};
	while (!todo.empty()) {
		auto [i, d] = todo.back();
		todo.pop_back();
		const auto &n = t.nodes[i];
		out += std::string(2 * d, ' ');
		if (n.feature == ML_LOOP_POLICY_LEAF) {
			out += "window " + std::to_string(n.value) + "\n";
			continue;
		}
		out += std::string(n.feature < ML_LOOP_F_COUNT ? names[n.feature] : "?") +
		       " <= " + std::to_string(n.value) + "\n";
		todo.push_back({n.right, d + 1});
		todo.push_back({n.left, d + 1});
	}
	return out;
}

uint64_t record_epoch(const LoopRecord &rec) noexcept
{
	return std::visit([](const auto &r) { return r.epoch; }, rec);
}

const char *record_type_name(const LoopRecord &rec) noexcept
{
	switch (rec.index()) {
	case 0:
		return "DATASET";
	case 1:
		return "FEEDBACK";
	default:
		return "RECOMMENDATION";
	}
}

}  // namespace mlc::agent

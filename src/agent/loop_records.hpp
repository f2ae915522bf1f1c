// SPDX-License-Identifier: GPL-2.0
//
// The closed loop's 64-byte records (include/uapi/ml_loop.h,
// docs/closed-loop.md) as typed C++ values: decode what read(2) on
// /dev/mlloop returns, encode what write(2) takes.  Pure functions, no I/O.
//
// Validation on decode (anything else is refused with the reason):
//   - exactly ML_LOOP_RECORD_SIZE bytes, magic ML_LOOP_RECORD_MAGIC, header
//     size ML_LOOP_RECORD_SIZE, a known type;
//   - DATASET: seq_permille and distinct_permille <= 1000, default_window and
//     best_window <= ML_LOOP_MAX_WINDOW;
//   - FEEDBACK: mode EMERGENCY..RECOMMENDATION, applied_permille <= 1000,
//     recommended_window <= ML_LOOP_MAX_WINDOW or ML_LOOP_NO_WINDOW,
//     best_window <= ML_LOOP_MAX_WINDOW, error == recommended - best (0 when
//     there was no recommendation);
//   - RECOMMENDATION: window <= ML_LOOP_MAX_WINDOW.
// Reserved words are not checked (a later kernel may use them).
// FEEDBACK's recommended_window is ML_LOOP_POLICY_WINDOW (error 0) when a
// POLICY was in force.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "uapi/ml_lib.h"
#include "uapi/ml_loop.h"

namespace mlc::agent {

struct DatasetRecord {
	uint64_t epoch = 0;
	uint32_t accesses = 0;
	uint32_t seq_permille = 0;
	uint32_t mean_run_x100 = 0;
	uint32_t distinct_permille = 0;
	uint32_t default_window = 0;
	uint32_t best_window = 0;
	uint32_t phase_hint = 0;
	bool operator==(const DatasetRecord &) const = default;
};

struct FeedbackRecord {
	uint64_t epoch = 0;
	ml_lib_model_mode mode = ML_LIB_EMERGENCY_MODE;
	uint32_t applied_permille = 0;
	std::optional<uint32_t> recommended_window;	// nullopt: none in force
	uint32_t best_window = 0;
	uint64_t cost_default = 0;
	uint64_t cost_recommended = 0;
	uint64_t cost_actual = 0;
	int32_t error = 0;
	uint32_t efficiency_milli = 0;
	bool operator==(const FeedbackRecord &) const = default;
};

struct RecommendationRecord {
	uint64_t epoch = 0;	// 0: from the next epoch on
	uint32_t window = 0;
	uint32_t confidence_permille = 0;
	bool operator==(const RecommendationRecord &) const = default;
};

using LoopRecord = std::variant<DatasetRecord, FeedbackRecord, RecommendationRecord>;
using RecordBytes = std::array<std::byte, ML_LOOP_RECORD_SIZE>;

// nullopt with the reason in *why when the bytes are not a valid record.
std::optional<LoopRecord> decode_record(std::span<const std::byte> bytes,
					std::string *why = nullptr);
// Every record of a buffer whose size is a multiple of the record size;
// ProtocolError (with the record's index) on the first invalid one.
std::vector<LoopRecord> decode_records(std::span<const std::byte> bytes);

// std::invalid_argument for values the format cannot carry (a window above
// ML_LOOP_MAX_WINDOW, a mode out of range).  Reserved words are zero.
RecordBytes encode_record(const LoopRecord &rec);

// --- POLICY (closed loop v2): a decision tree the kernel evaluates per miss ---
// Node 0 is the root; an inner node (feature < ML_LOOP_F_COUNT) goes to left
// when the feature is <= value, else right, and its children come after it;
// a leaf (feature ML_LOOP_POLICY_LEAF) has the window in value.
struct PolicyNode {
	uint8_t feature = ML_LOOP_POLICY_LEAF;
	uint16_t value = 0;
	uint16_t left = 0, right = 0;
	bool operator==(const PolicyNode &) const = default;
};
struct PolicyTree {
	std::vector<PolicyNode> nodes;
	bool operator==(const PolicyTree &) const = default;
};
// "" when the kernel would accept t, else why not (the kernel's rules:
// docs/closed-loop.md, "Policies").
std::string check_policy(const PolicyTree &t);
// The ceil(n / 5) POLICY records of one write(2); std::invalid_argument
// when check_policy() refuses t.
std::vector<std::byte> encode_policy(const PolicyTree &t, uint64_t epoch = 0);
// The window t chooses for features v (enum ml_loop_feature order), as the
// kernel evaluates it.
uint32_t eval_policy(const PolicyTree &t, const std::array<uint32_t, ML_LOOP_F_COUNT> &v);
// One line per node, indented by depth, for logs.
std::string policy_text(const PolicyTree &t);

uint64_t record_epoch(const LoopRecord &rec) noexcept;
const char *record_type_name(const LoopRecord &rec) noexcept;

}  // namespace mlc::agent

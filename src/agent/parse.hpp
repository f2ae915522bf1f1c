// SPDX-License-Identifier: GPL-2.0
//
// Parsers for the text the kernel interfaces print, pure functions with no
// I/O (unit-tested on their own, test/unit_agent/).  Each is strict: text
// that the driver cannot print is a ProtocolError naming the line, never a
// guess.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "uapi/ml_lib.h"
#include "uapi/mlcore.h"

namespace mlc::agent {

// A sample's features, fixed point (the real value x 100).
using Features = std::array<int32_t, MLCORE_NUM_FEATURES>;

// --- mlcore: fixed point -----------------------------------------------------
//
// The driver prints a fixed-point value v (real value x 100) as "%d.%02d" of
// v / 100 and abs(v % 100).  Values in (-100, 0) therefore print WITHOUT
// their sign: -5 prints "0.05", exactly like +5.  Such text cannot be mapped
// back to one value: parse_fixed returns the non-negative reading with
// exact == false ("0.xx" with xx != 0).  "0.00" is exactly 0, and any text
// with a non-zero integer part is exact (INT_MIN prints "-21474836.48").
// A program that must read its values back exactly keeps them outside
// (-100, 0), i.e. real values outside (-1, 0).
struct FixedValue {
	int32_t value = 0;
	bool exact = true;	// false: the value may also be -value
};

std::optional<FixedValue> parse_fixed(std::string_view text) noexcept;
// The driver's rendering of v (with the sign-loss quirk), for comparisons.
std::string format_fixed(int32_t v);

// --- mlcore: /proc/mlcore_train ----------------------------------------------
// One line per entry: "[i]: A B C => L\n", A B C fixed point, L "%d".
struct TrainingRow {
	int index = 0;
	Features features{};
	int32_t label = 0;
	std::array<bool, MLCORE_NUM_FEATURES> exact{true, true, true};
	bool all_exact() const noexcept { return exact[0] && exact[1] && exact[2]; }
};

// Throws ProtocolError on a malformed line, a wrong index (they count from
// 0 in order) or more than MLCORE_MAX_TRAINING_ENTRIES lines.
std::vector<TrainingRow> parse_training(std::string_view text);

// --- mlcore: /proc/mlcore_result ---------------------------------------------
//   Current Prediction: N
//   Prediction History (latest n):
//    [0]: V at YYYY-MM-DD HH:MM:SS      (oldest first, n <= 10)
struct HistoryEntry {
	int index = 0;
	int32_t value = 0;
	int64_t time = 0;	// seconds since 1970 (the driver prints UTC)
	std::string stamp;	// "YYYY-MM-DD HH:MM:SS" as printed
};

struct ResultReport {
	int32_t current = -1;
	std::vector<HistoryEntry> history;
};

ResultReport parse_result(std::string_view text);

// "YYYY-MM-DD HH:MM:SS" (UTC) -> seconds since 1970; nullopt if malformed.
std::optional<int64_t> parse_utc_stamp(std::string_view text) noexcept;

// --- sysfs / proc: numbers and key-value lines ---------------------------------

// A decimal "%d"/"%u" number, the whole of text (no sign for unsigned).
std::optional<int64_t> parse_int(std::string_view text) noexcept;
std::optional<uint64_t> parse_uint(std::string_view text) noexcept;

// A sysfs attribute holding one number: "N\n".  Throws ProtocolError.
uint64_t parse_uint_attr(std::string_view text, std::string_view what);

// "Key: value" lines (any spaces after the colon, values kept as text, in
// file order).  Throws ProtocolError on a line without ": " or a missing
// final newline.
using KeyValues = std::vector<std::pair<std::string, std::string>>;
KeyValues parse_key_values(std::string_view text);
// The value of key, if present.
std::optional<std::string> find_value(const KeyValues &kv, std::string_view key);

// --- ml_lib ---------------------------------------------------------------------
// The test driver's stats attribute: "Opens: N\nReads: N\nWrites: N\n".
struct MlLibStats {
	uint64_t opens = 0, reads = 0, writes = 0;
	bool operator==(const MlLibStats &) const = default;
};
MlLibStats parse_ml_lib_stats(std::string_view text);

// Mode and state names as the model attributes print them ("emergency\n",
// "started\n").  nullopt for anything else (the trailing newline is
// required).
std::optional<ml_lib_model_mode> parse_mode(std::string_view text) noexcept;
std::optional<ml_lib_model_state> parse_state(std::string_view text) noexcept;
const char *mode_name(ml_lib_model_mode mode) noexcept;	// "emergency", "?"
const char *state_name(ml_lib_model_state state) noexcept;

// --- the closed loop's attributes (docs/closed-loop.md) ------------------------
// efficiency: "%u.%03u\n" -> thousandths (1.034 -> 1034).
std::optional<uint32_t> parse_efficiency(std::string_view text) noexcept;

// stats: "key: value" lines; every value a decimal number.
struct LoopStats {
	std::vector<std::pair<std::string, uint64_t>> entries;	// file order
	std::optional<uint64_t> get(std::string_view key) const noexcept;
};
LoopStats parse_loop_stats(std::string_view text);

}  // namespace mlc::agent

// SPDX-License-Identifier: GPL-2.0
#include "agent/parse.hpp"

#include <climits>

#include "agent/error.hpp"

namespace mlc::agent {

namespace {

bool is_digit(char c) noexcept
{
	return c >= '0' && c <= '9';
}

// Splits text into lines; every line must end with '\n'.
std::vector<std::string_view> split_lines(std::string_view text, std::string_view what)
{
	std::vector<std::string_view> lines;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		if (nl == std::string_view::npos)
			throw ProtocolError(std::string(what) + ": last line has no newline: '" +
					    std::string(text) + "'");
		lines.push_back(text.substr(0, nl));
		text.remove_prefix(nl + 1);
	}
	return lines;
}

bool consume(std::string_view &s, std::string_view prefix) noexcept
{
	if (s.substr(0, prefix.size()) != prefix)
		return false;
	s.remove_prefix(prefix.size());
	return true;
}

// Takes a token up to (not including) the first `stop` char, or the rest.
std::string_view take_until(std::string_view &s, char stop) noexcept
{
	size_t p = s.find(stop);
	std::string_view tok = s.substr(0, p);
	s.remove_prefix(p == std::string_view::npos ? s.size() : p);
	return tok;
}

[[noreturn]] void bad_line(std::string_view what, size_t lineno, std::string_view line)
{
	throw ProtocolError(std::string(what) + " line " + std::to_string(lineno + 1) +
			    ": unexpected '" + std::string(line) + "'");
}

}  // namespace

// --- numbers ---------------------------------------------------------------------

std::optional<uint64_t> parse_uint(std::string_view text) noexcept
{
	if (text.empty() || text.size() > 20)
		return std::nullopt;
	uint64_t v = 0;
	for (char c : text) {
		if (!is_digit(c))
			return std::nullopt;
		uint64_t d = static_cast<uint64_t>(c - '0');
		if (v > (UINT64_MAX - d) / 10)
			return std::nullopt;
		v = v * 10 + d;
	}
	return v;
}

std::optional<int64_t> parse_int(std::string_view text) noexcept
{
	bool neg = !text.empty() && text.front() == '-';
	if (neg)
		text.remove_prefix(1);
	auto u = parse_uint(text);
	if (!u)
		return std::nullopt;
	if (neg) {
		if (*u > static_cast<uint64_t>(INT64_MAX) + 1)
			return std::nullopt;
		return *u == static_cast<uint64_t>(INT64_MAX) + 1
			       ? INT64_MIN
			       : -static_cast<int64_t>(*u);
	}
	if (*u > static_cast<uint64_t>(INT64_MAX))
		return std::nullopt;
	return static_cast<int64_t>(*u);
}

namespace {

std::optional<int32_t> parse_i32(std::string_view text) noexcept
{
	auto v = parse_int(text);
	if (!v || *v < INT32_MIN || *v > INT32_MAX)
		return std::nullopt;
	return static_cast<int32_t>(*v);
}

}  // namespace

uint64_t parse_uint_attr(std::string_view text, std::string_view what)
{
	if (text.empty() || text.back() != '\n')
		throw ProtocolError(std::string(what) + ": expected 'N\\n', got '" +
				    std::string(text) + "'");
	auto v = parse_uint(text.substr(0, text.size() - 1));
	if (!v)
		throw ProtocolError(std::string(what) + ": not a number: '" +
				    std::string(text) + "'");
	return *v;
}

// --- fixed point -------------------------------------------------------------------

std::optional<FixedValue> parse_fixed(std::string_view text) noexcept
{
	size_t dot = text.find('.');
	if (dot == std::string_view::npos)
		return std::nullopt;
	std::string_view ip = text.substr(0, dot), fp = text.substr(dot + 1);
	if (fp.size() != 2 || !is_digit(fp[0]) || !is_digit(fp[1]))
		return std::nullopt;
	auto whole = parse_int(ip);
	// v / 100 of an int32 lies in [-21474836, 21474836].
	if (!whole || *whole < INT32_MIN / 100 || *whole > INT32_MAX / 100)
		return std::nullopt;
	int64_t frac = (fp[0] - '0') * 10 + (fp[1] - '0');
	bool neg = ip.front() == '-';
	int64_t v = *whole * 100 + (neg ? -frac : frac);
	if (v < INT32_MIN || v > INT32_MAX)
		return std::nullopt;
	FixedValue out;
	out.value = static_cast<int32_t>(v);
	// "0.xx": the driver prints +xx and -xx alike.  ("-0.xx" never comes
	// from the driver; a fixed kernel could print it, and it is exact.)
	out.exact = !(*whole == 0 && !neg && frac != 0);
	return out;
}

std::string format_fixed(int32_t v)
{
	int whole = v / 100;
	int frac = v % 100;
	if (frac < 0)
		frac = -frac;
	char buf[32];
	snprintf(buf, sizeof(buf), "%d.%02d", whole, frac);
	return buf;
}

// --- /proc/mlcore_train ------------------------------------------------------------

std::vector<TrainingRow> parse_training(std::string_view text)
{
	constexpr std::string_view what = "mlcore_train";
	std::vector<TrainingRow> rows;
	auto lines = split_lines(text, what);
	if (lines.size() > MLCORE_MAX_TRAINING_ENTRIES)
		throw ProtocolError("mlcore_train: " + std::to_string(lines.size()) +
				    " entries, the driver keeps at most " +
				    std::to_string(MLCORE_MAX_TRAINING_ENTRIES));
	for (size_t i = 0; i < lines.size(); i++) {
		std::string_view s = lines[i];
		TrainingRow row;
		if (!consume(s, "["))
			bad_line(what, i, lines[i]);
		auto idx = parse_int(take_until(s, ']'));
		if (!idx || *idx != static_cast<int64_t>(i) || !consume(s, "]: "))
			bad_line(what, i, lines[i]);
		row.index = static_cast<int>(*idx);
		for (int f = 0; f < MLCORE_NUM_FEATURES; f++) {
			auto fx = parse_fixed(take_until(s, ' '));
			if (!fx || !consume(s, " "))
				bad_line(what, i, lines[i]);
			row.features[f] = fx->value;
			row.exact[f] = fx->exact;
		}
		if (!consume(s, "=> "))
			bad_line(what, i, lines[i]);
		auto label = parse_i32(s);
		if (!label)
			bad_line(what, i, lines[i]);
		row.label = *label;
		rows.push_back(row);
	}
	return rows;
}

// --- /proc/mlcore_result -----------------------------------------------------------

std::optional<int64_t> parse_utc_stamp(std::string_view t) noexcept
{
	// YYYY-MM-DD HH:MM:SS; the year may be longer or negative in theory,
	// but the driver's clock is after 1970 and before 10000.
	if (t.size() != 19 || t[4] != '-' || t[7] != '-' || t[10] != ' ' ||
	    t[13] != ':' || t[16] != ':')
		return std::nullopt;
	auto num = [&](size_t at, size_t n) -> std::optional<int64_t> {
		return parse_uint(t.substr(at, n));
	};
	auto y = num(0, 4), mo = num(5, 2), d = num(8, 2), h = num(11, 2),
	     mi = num(14, 2), s = num(17, 2);
	if (!y || !mo || !d || !h || !mi || !s || *mo < 1 || *mo > 12 || *d < 1 ||
	    *d > 31 || *h > 23 || *mi > 59 || *s > 60)
		return std::nullopt;
	// Days from civil (Howard Hinnant's algorithm).
	int64_t yy = *y - (*mo <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t mp = (*mo + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + *d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + *h * 3600 + *mi * 60 + *s;
}

ResultReport parse_result(std::string_view text)
{
	constexpr std::string_view what = "mlcore_result";
	auto lines = split_lines(text, what);
	if (lines.size() < 2)
		throw ProtocolError("mlcore_result: fewer than the two header lines");
	ResultReport r;
	std::string_view s = lines[0];
	std::optional<int32_t> cur;
	if (!consume(s, "Current Prediction: ") || !(cur = parse_i32(s)))
		bad_line(what, 0, lines[0]);
	r.current = *cur;
	s = lines[1];
	std::optional<int64_t> n;
	if (!consume(s, "Prediction History (latest ") || s.empty() || s.back() != ':')
		bad_line(what, 1, lines[1]);
	s.remove_suffix(1);
	if (s.empty() || s.back() != ')' || !(n = parse_int(s.substr(0, s.size() - 1))) ||
	    *n < 0 || *n > MLCORE_HISTORY_SIZE)
		bad_line(what, 1, lines[1]);
	if (lines.size() != static_cast<size_t>(*n) + 2)
		throw ProtocolError("mlcore_result: header says " + std::to_string(*n) +
				    " entries, the file has " +
				    std::to_string(lines.size() - 2));
	for (size_t i = 2; i < lines.size(); i++) {
		s = lines[i];
		HistoryEntry e;
		std::optional<int64_t> idx;
		if (!consume(s, " [") || !(idx = parse_int(take_until(s, ']'))) ||
		    *idx != static_cast<int64_t>(i - 2) || !consume(s, "]: "))
			bad_line(what, i, lines[i]);
		e.index = static_cast<int>(*idx);
		auto v = parse_i32(take_until(s, ' '));
		if (!v || !consume(s, " at "))
			bad_line(what, i, lines[i]);
		e.value = *v;
		auto t = parse_utc_stamp(s);
		if (!t)
			bad_line(what, i, lines[i]);
		e.time = *t;
		e.stamp = std::string(s);
		r.history.push_back(std::move(e));
	}
	return r;
}

// --- key: value ----------------------------------------------------------------------

KeyValues parse_key_values(std::string_view text)
{
	KeyValues kv;
	auto lines = split_lines(text, "key-value file");
	for (size_t i = 0; i < lines.size(); i++) {
		std::string_view line = lines[i];
		size_t colon = line.find(':');
		if (colon == std::string_view::npos || colon == 0)
			bad_line("key-value file", i, line);
		std::string_view key = line.substr(0, colon), value = line.substr(colon + 1);
		if (value.empty() || value.front() != ' ')
			bad_line("key-value file", i, line);
		while (!value.empty() && value.front() == ' ')
			value.remove_prefix(1);
		kv.emplace_back(std::string(key), std::string(value));
	}
	return kv;
}

std::optional<std::string> find_value(const KeyValues &kv, std::string_view key)
{
	for (const auto &[k, v] : kv)
		if (k == key)
			return v;
	return std::nullopt;
}

MlLibStats parse_ml_lib_stats(std::string_view text)
{
	KeyValues kv = parse_key_values(text);
	static constexpr const char *keys[] = {"Opens", "Reads", "Writes"};
	if (kv.size() != 3)
		throw ProtocolError("ml_lib stats: expected Opens, Reads, Writes, got '" +
				    std::string(text) + "'");
	uint64_t v[3];
	for (int i = 0; i < 3; i++) {
		auto n = parse_uint(kv[i].second);
		if (kv[i].first != keys[i] || !n)
			throw ProtocolError("ml_lib stats: bad line '" + kv[i].first + ": " +
					    kv[i].second + "'");
		v[i] = *n;
	}
	return {v[0], v[1], v[2]};
}

// --- modes and states ------------------------------------------------------------------

namespace {

constexpr const char *kModeNames[] = {"unknown", "emergency", "learning",
				      "collaboration", "recommendation"};
constexpr const char *kStateNames[] = {"unknown", "created", "initialized", "started",
				       "running", "stopped", "shutting_down"};
static_assert(std::size(kModeNames) == ML_LIB_MODE_MAX);
static_assert(std::size(kStateNames) == ML_LIB_MODEL_STATE_MAX);

std::optional<std::string_view> strip_newline(std::string_view text) noexcept
{
	if (text.empty() || text.back() != '\n')
		return std::nullopt;
	return text.substr(0, text.size() - 1);
}

}  // namespace

std::optional<ml_lib_model_mode> parse_mode(std::string_view text) noexcept
{
	auto name = strip_newline(text);
	if (!name)
		return std::nullopt;
	for (int m = ML_LIB_EMERGENCY_MODE; m < ML_LIB_MODE_MAX; m++)
		if (*name == kModeNames[m])
			return static_cast<ml_lib_model_mode>(m);
	return std::nullopt;
}

std::optional<ml_lib_model_state> parse_state(std::string_view text) noexcept
{
	auto name = strip_newline(text);
	if (!name)
		return std::nullopt;
	for (int s = 0; s < ML_LIB_MODEL_STATE_MAX; s++)
		if (*name == kStateNames[s])
			return static_cast<ml_lib_model_state>(s);
	return std::nullopt;
}

const char *mode_name(ml_lib_model_mode mode) noexcept
{
	unsigned m = static_cast<unsigned>(mode);
	return m < ML_LIB_MODE_MAX ? kModeNames[m] : "?";
}

const char *state_name(ml_lib_model_state state) noexcept
{
	unsigned s = static_cast<unsigned>(state);
	return s < ML_LIB_MODEL_STATE_MAX ? kStateNames[s] : "?";
}

// --- the loop's attributes ----------------------------------------------------------------

std::optional<uint32_t> parse_efficiency(std::string_view text) noexcept
{
	auto body = strip_newline(text);
	if (!body)
		return std::nullopt;
	size_t dot = body->find('.');
	if (dot == std::string_view::npos || body->size() - dot - 1 != 3)
		return std::nullopt;
	auto whole = parse_uint(body->substr(0, dot));
	auto milli = parse_uint(body->substr(dot + 1));
	if (!whole || !milli || *whole > UINT32_MAX / 1000)
		return std::nullopt;
	uint64_t v = *whole * 1000 + *milli;
	if (v > UINT32_MAX)
		return std::nullopt;
	return static_cast<uint32_t>(v);
}

std::optional<uint64_t> LoopStats::get(std::string_view key) const noexcept
{
	for (const auto &[k, v] : entries)
		if (k == key)
			return v;
	return std::nullopt;
}

LoopStats parse_loop_stats(std::string_view text)
{
	LoopStats st;
	for (auto &[k, v] : parse_key_values(text)) {
		auto n = parse_uint(v);
		if (!n)
			throw ProtocolError("ml_loop stats: '" + k + "' is not a number: '" +
					    v + "'");
		st.entries.emplace_back(std::move(k), *n);
	}
	return st;
}

}  // namespace mlc::agent

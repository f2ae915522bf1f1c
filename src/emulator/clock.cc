// SPDX-License-Identifier: GPL-2.0
#include "emulator/clock.hpp"

#include <charconv>
#include <ctime>

namespace mlc {

int64_t monotonic_now_ns()
{
	timespec ts{};
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

mlc_timespec RealClock::realtime() const
{
	timespec ts{};
	clock_gettime(CLOCK_REALTIME, &ts);
	return {ts.tv_sec, ts.tv_nsec};
}

int64_t RealClock::since_boot_ns() const
{
	return monotonic_now_ns() - boot_monotonic_ns_;
}

std::optional<ClockSpec> ClockSpec::parse(std::string_view text)
{
	if (text == "real")
		return ClockSpec{};
	constexpr std::string_view prefix = "fixed:";
	if (text.substr(0, prefix.size()) != prefix)
		return std::nullopt;
	std::string_view num = text.substr(prefix.size());
	int64_t epoch = 0;
	auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), epoch);
	if (num.empty() || ec != std::errc{} || end != num.data() + num.size())
		return std::nullopt;
	return ClockSpec{true, epoch};
}

std::string ClockSpec::to_string() const
{
	return fixed ? "fixed:" + std::to_string(epoch_sec) : "real";
}

}  // namespace mlc

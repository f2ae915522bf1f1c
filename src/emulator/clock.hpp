// SPDX-License-Identifier: GPL-2.0
//
// Instance clocks: the real CLOCK_REALTIME, or one frozen at a chosen epoch
// second for golden tests (`--clock fixed:EPOCH`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/user/host.hpp"

namespace mlc {

// CLOCK_MONOTONIC in nanoseconds.
int64_t monotonic_now_ns();

class RealClock final : public Clock {
public:
	// Time since boot counts from boot_monotonic_ns (now by default).
	explicit RealClock(int64_t boot_monotonic_ns = monotonic_now_ns())
		: boot_monotonic_ns_(boot_monotonic_ns)
	{
	}
	mlc_timespec realtime() const override;
	int64_t since_boot_ns() const override;

private:
	int64_t boot_monotonic_ns_;
};

// Realtime stands still at epoch_sec; time since boot stays 0.
class FixedClock final : public Clock {
public:
	explicit FixedClock(int64_t epoch_sec) : epoch_sec_(epoch_sec) {}
	mlc_timespec realtime() const override { return {epoch_sec_, 0}; }
	int64_t since_boot_ns() const override { return 0; }

private:
	int64_t epoch_sec_;
};

// A clock specification as the command line spells it.
struct ClockSpec {
	bool fixed = false;
	int64_t epoch_sec = 0;

	// "real" or "fixed:EPOCH"; nullopt for anything else.
	static std::optional<ClockSpec> parse(std::string_view text);
	std::string to_string() const;
};

}  // namespace mlc

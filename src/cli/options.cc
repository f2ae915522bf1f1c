// SPDX-License-Identifier: GPL-2.0
#include "cli/options.hpp"

#include <fmt/format.h>

#include "emulator/instance.hpp"

namespace mlc::cli {

std::optional<ClockSpec>
parse_clock_option(const std::optional<std::string> &text)
{
	if (!text)
		return std::nullopt;
	auto clock = ClockSpec::parse(*text);
	if (!clock)
		throw InstanceError(fmt::format(
			"bad --clock '{}': use real or fixed:EPOCH (seconds since 1970, "
			"e.g. fixed:1767225600)",
			*text));
	return clock;
}

void check_instance_name(const std::string &name)
{
	if (!Instance::valid_name(name))
		throw InstanceError(fmt::format(
			"invalid instance name '{}': use 1 to 64 of A-Z a-z 0-9 . _ - "
			"(not starting with '.')",
			name));
}

} // namespace mlc::cli

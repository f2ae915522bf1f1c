// SPDX-License-Identifier: GPL-2.0
//
// Command-line values that several subcommands take, checked in one place
// with one wording of the error and its fix.
#pragma once

#include <optional>
#include <string>

#include "emulator/clock.hpp"

namespace mlc::cli {

// --clock: nullopt when absent; InstanceError when not real or fixed:EPOCH.
std::optional<ClockSpec>
parse_clock_option(const std::optional<std::string> &text);

// --instance: InstanceError when the name is not a valid instance name.
void check_instance_name(const std::string &name);

} // namespace mlc::cli

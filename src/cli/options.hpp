// SPDX-License-Identifier: GPL-2.0
//
// Command-line values that several subcommands take, checked in one place
// with one wording of the error and its fix.
#pragma once

#include <optional>
#include <string>

#include "emulator/clock.hpp"

namespace mlc {
class Instance;
}

namespace mlc::cli {

// --clock: nullopt when absent; InstanceError when not real or fixed:EPOCH.
std::optional<ClockSpec> parse_clock_option(const std::optional<std::string> &text);

// --loop-workload FILE: writes FILE into ml_readahead's `workload` in
// 4096-byte chunks at their offsets (the core's attribute, as `cat FILE >
// .../workload` would); InstanceError with the refusal's kernel-log
// reason when it is refused, or when FILE cannot be read.
void load_loop_workload(Instance &inst, const std::string &path);

// --instance: InstanceError when the name is not a valid instance name.
void check_instance_name(const std::string &name);

}  // namespace mlc::cli

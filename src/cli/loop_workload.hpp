// SPDX-License-Identifier: GPL-2.0
//
// `serve --loop-workload FILE`, `run --loop-workload FILE`: a recorded
// trace put in force before the doors serve.
#pragma once

#include <string>

namespace mlc {
class Instance;
}

namespace mlc::cli {

// --loop-workload FILE: writes FILE into ml_readahead's `workload` in
// 4096-byte chunks at their offsets (the core's attribute, as `cat FILE >
// .../workload` would); InstanceError with the refusal's kernel-log
// reason when it is refused, or when FILE cannot be read.
void load_loop_workload(Instance &inst, const std::string &path);

} // namespace mlc::cli

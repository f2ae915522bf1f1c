// SPDX-License-Identifier: GPL-2.0
//
// Where a library that mlcore-emu puts into LD_PRELOAD lives: the preload
// door (`run`) and the trace recorder (`trace record`).
#pragma once

#include <string>

namespace mlc::cli {

// $ENV_VAR if set (then only it: "" when unreadable), else next to this
// binary (dir/NAME, dir/BUILD_SUBDIR/NAME of the build tree,
// dir/../lib/mlcore-emu/NAME and dir/../lib/NAME of an install), else
// build_path (where this build put it; "" for none).  "" when none is
// readable; the path is canonical.
std::string find_helper_library(const char *name, const char *env_var,
				const char *build_subdir, const char *build_path);

}  // namespace mlc::cli

// SPDX-License-Identifier: GPL-2.0
//
// Golden files: expected texts kept under test/golden/, compared byte for
// byte.  MLC_UPDATE_GOLDEN=1 in the environment rewrites them from the
// actual output instead (review the diff before committing it).
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace mlc::test {

// The path of golden file `name` (relative to test/golden/).
std::string golden_path(std::string_view name);

// Success when `actual` equals golden file `name` byte for byte (or when
// updating); else says where they first differ.
::testing::AssertionResult MatchesGolden(std::string_view name,
					 const std::string &actual);

}  // namespace mlc::test

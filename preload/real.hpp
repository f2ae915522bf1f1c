// SPDX-License-Identifier: GPL-2.0
//
// The C library's own functions (real_c.h) for the door's C++ code.
#pragma once

#include "preload/real_c.h"

namespace mlc::preload {

using Real = ::mlcpl_real;

inline const Real &real()
{
	return *rl();
}

} // namespace mlc::preload

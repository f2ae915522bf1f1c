// SPDX-License-Identifier: GPL-2.0
//
// Everything one emulated machine's devices hold, as one flat struct: the
// lock, each core device's state (mlcore, the ml_lib test driver, the
// closed loop) and the kernel log.  No pointers, so it lives unchanged on
// the heap (LocalDevice) or in a shared-memory segment mapped anywhere (the
// instance service).
#pragma once

#include <type_traits>

extern "C" {
#include "core/ml_lib_test_dev.h"
#include "core/ml_loop_dev.h"
#include "core/mlcore_dev.h"
}
#include "emulator/kernel_log.hpp"
#include "emulator/robust_mutex.hpp"

namespace mlc {

struct DeviceState {
	RobustMutex lock;	// serialises every operation on every device
	mlcore_dev mlcore;
	ml_lib_test_dev mllib;	// /dev/mllibdev and its model ml_model1
	ml_loop_dev mlloop;	// /dev/mlloop and its model ml_readahead
	KernelLogRing klog;
};
static_assert(std::is_standard_layout_v<DeviceState>);
static_assert(std::is_trivially_copyable_v<mlcore_dev>);
static_assert(std::is_trivially_copyable_v<ml_lib_test_dev>);
static_assert(std::is_trivially_copyable_v<ml_loop_dev>);

}  // namespace mlc

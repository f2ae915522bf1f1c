// SPDX-License-Identifier: GPL-2.0
//
// Everything one emulated machine's devices hold, as one flat struct: the
// lock, each core device's state (mlcore, the ml_lib test driver, the
// closed loop) and the kernel log.  No pointers, so it lives unchanged on
// the heap (LocalDevice) or in a shared-memory segment mapped anywhere (the
// instance service).
//
// The undo journal (docs/reliability.md): every operation is
// crash-atomic.  Before an operation's core call, Device::Call copies what
// it may change into the journal (the device structs it touches, the kernel
// log's next_seq; each ring record and the log file's size are saved by
// their sinks just before they are overwritten or grown) and sets `active`;
// it clears `active` when the call is done.  A process killed in between
// leaves `active` set, and the next locker (told EOWNERDEAD) puts
// everything back before it goes on: to every observer the operation never
// started.
#pragma once

#include <type_traits>

extern "C" {
#include "core/ml_lib_test_dev.h"
#include "core/ml_loop_dev.h"
#include "core/mlcore_dev.h"
}
#include "emulator/kernel_log.hpp"
#include "emulator/log_file.hpp"
#include "emulator/robust_mutex.hpp"

namespace mlc {

// Which devices an operation may change (OpJournal::touches).
enum : uint32_t {
	kTouchMlcore = 1,
	kTouchMllib = 2,
	kTouchMlloop = 4,
	kTouchAll = 7,
};

struct OpJournal {
	uint32_t active;	// nonzero from the saves to the operation's end
	uint32_t touches;	// kTouch*: which device copies below are saved
	KernelLogUndo klog;
	LogFileUndo logfile;
	mlcore_dev mlcore;
	ml_lib_test_dev mllib;
	ml_loop_dev mlloop;
};

struct DeviceState {
	RobustMutex lock;	// serialises every operation on every device
	mlcore_dev mlcore;
	ml_lib_test_dev mllib;	// /dev/mllibdev and its model ml_model1
	ml_loop_dev mlloop;	// /dev/mlloop and its model ml_readahead
	KernelLogRing klog;
	OpJournal journal;	// only under the lock
};
static_assert(std::is_standard_layout_v<DeviceState>);
static_assert(std::is_trivially_copyable_v<mlcore_dev>);
static_assert(std::is_trivially_copyable_v<ml_lib_test_dev>);
static_assert(std::is_trivially_copyable_v<ml_loop_dev>);

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
//
// Everything one emulated machine's devices hold, as one flat struct: the
// lock, each core device's state (mlcore, the ml_lib test driver, the
// closed loop), the copies its readers render from and the kernel log.  No
// pointers, so it lives unchanged on the heap (LocalDevice) or in a
// shared-memory segment mapped anywhere (the instance service).
//
// Readers (docs/architecture.md, "Locking"): a proc or sysfs text never
// takes the lock.  Each device has a ShownCopy: a sequence count and a
// copy of the fields its renderings read (the core's *_copy_shown()).  A
// locked section that changes the device makes the count odd before it
// changes anything and even when it is done, then refreshes the copy from
// the device, still under the lock.  A reader takes the count, copies the
// fields from the device when the count is even (no section is changing
// it) or from the copy when it is odd (a section is: the copy holds what
// the last whole section left), and starts again if the count moved
// meanwhile.  Only a live writer moves the count, so a writer that is
// stopped or dead, wherever it stopped, never holds a reader up: it is the
// two-copy "latch" of the kernel's seqcount_latch_t, with the device itself
// as one of the two copies, so a section costs one copy of the shown
// fields, not two.
#pragma once

#include <sched.h>

#include <atomic>
#include <cstdint>
#include <type_traits>

extern "C" {
#include "core/ml_lib_test_dev.h"
#include "core/ml_loop_dev.h"
#include "core/mlcore_dev.h"
}
#include "emulator/kernel_log.hpp"
#include "emulator/robust_mutex.hpp"

namespace mlc {

// The fields of a device T its readers render from; CopyFn is the core's
// T_copy_shown().  begin()/end()/recover() only under the instance lock.
template <typename T, void (*CopyFn)(T *, const T *)>
struct ShownCopy {
	std::atomic<uint64_t> seq;	// odd: a section is changing the device
	T copy;				// the shown fields after the last section

	// Before a section changes dev.
	void begin()
	{
		uint64_t s = seq.load(std::memory_order_relaxed);
		seq.store(s | 1, std::memory_order_release);
		std::atomic_thread_fence(std::memory_order_release);
	}
	// After it: readers go back to dev while the copy catches up.
	void end(const T &dev)
	{
		uint64_t s = seq.load(std::memory_order_relaxed);
		seq.store((s | 1) + 1, std::memory_order_release);
		std::atomic_thread_fence(std::memory_order_release);
		CopyFn(&copy, &dev);
	}
	// The lock came from a dead owner, which may have died anywhere in a
	// section or in end(): dev is kept as it is (robust_mutex.hpp), and
	// readers and the copy are brought back to it.
	void recover(const T &dev) { end(dev); }

	// The shown fields of the last whole section, or of a later state,
	// into *out; never waits for a writer.
	void read(const T &dev, T *out) const
	{
		for (unsigned tries = 0;; tries++) {
			uint64_t s = seq.load(std::memory_order_acquire);
			CopyFn(out, (s & 1) ? &copy : &dev);
			std::atomic_thread_fence(std::memory_order_acquire);
			if (seq.load(std::memory_order_relaxed) == s)
				return;
			// Only writers that make progress get here.
			if (tries >= 16)
				sched_yield();
		}
	}
};

using MlcoreShown = ShownCopy<mlcore_dev, mlcore_dev_copy_shown>;
using MllibShown = ShownCopy<ml_lib_test_dev, ml_lib_test_dev_copy_shown>;
using MlloopShown = ShownCopy<ml_loop_dev, ml_loop_dev_copy_shown>;

struct DeviceState {
	RobustMutex lock;	// serialises every operation on every device
	mlcore_dev mlcore;
	ml_lib_test_dev mllib;	// /dev/mllibdev and its model ml_model1
	ml_loop_dev mlloop;	// /dev/mlloop and its model ml_readahead
	KernelLogRing klog;
	// What readers render from while a section is changing a device.
	MlcoreShown mlcore_shown;
	MllibShown mllib_shown;
	MlloopShown mlloop_shown;
};
static_assert(std::is_standard_layout_v<DeviceState>);
static_assert(std::is_trivially_copyable_v<mlcore_dev>);
static_assert(std::is_trivially_copyable_v<ml_lib_test_dev>);
static_assert(std::is_trivially_copyable_v<ml_loop_dev>);
static_assert(std::atomic<uint64_t>::is_always_lock_free);	// shared memory

}  // namespace mlc

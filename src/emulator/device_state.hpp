// SPDX-License-Identifier: GPL-2.0
//
// Everything one emulated machine's devices hold, as one flat struct: the
// lock, each core device's state (mlcore, the ml_lib test driver, the
// closed loop), the copies its readers render from, the kernel log's
// header and the undo journal.  No pointers, so it lives unchanged on the
// heap (LocalDevice) or in a shared-memory segment mapped anywhere (the
// instance service).  The kernel log's storage, sized per instance, is
// kept by the owner beside it (kernel_log.hpp).
//
// The undo journal (docs/reliability.md): every operation is
// crash-atomic.  Before an operation's core call, Device::Call copies what
// it may change into the journal (the device structs it touches, the kernel
// log's header; each descriptor and text byte of the ring and the log
// file's size are saved by their sinks just before they are overwritten
// or grown) and sets `active`;
// it clears `active` when the call is done.  A process killed in between
// leaves `active` set, and the next locker (told EOWNERDEAD) puts
// everything back before it goes on: to every observer the operation never
// started.  Readers without the lock (below) render from the shown copy
// while the count is odd, so they never see the half-done operation either.
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
#include "emulator/log_file.hpp"
#include "emulator/robust_mutex.hpp"

namespace mlc {

// Which devices an operation may change (OpJournal::touches).
enum : uint32_t {
	kTouchMlcore = 1,
	kTouchMllib = 2,
	kTouchMlloop = 4,
	kTouchAll = 7,
	// The loop's workload trace store (1 MiB: the trace in force and its
	// staging), which only a write to `workload` changes: journaled only
	// then, not on every loop operation.
	kTouchMlloopWorkload = 8,
};

// The bytes of ml_loop_dev an operation journals: everything up to the
// workload store's trace arrays, or all of it for a workload write.
inline size_t mlloop_journal_bytes(unsigned touches)
{
	return (touches & kTouchMlloopWorkload)
		       ? sizeof(ml_loop_dev)
		       : offsetof(ml_loop_dev, workload) +
				 offsetof(ml_loop_workload_store, runs);
}

struct OpJournal {
	uint32_t active;	// nonzero from the saves to the operation's end
	uint32_t touches;	// kTouch*: which device copies below are saved
	KernelLogUndo klog;
	LogFileUndo logfile;
	mlcore_dev mlcore;
	ml_lib_test_dev mllib;
	ml_loop_dev mlloop;
};

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
	// readers and the copy are brought back to it (after Device::Call has
	// undone the dead owner's operation from the journal: dev is then as
	// the last whole section left it).
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
	KernelLogRing klog;	// its storage: Device's klog_storage
	OpJournal journal;	// only under the lock
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

// SPDX-License-Identifier: GPL-2.0
//
// The user-space side of the platform seam (src/core/mlc_platform.h).
//
// struct mlc_host is what the core's seam functions receive.  In user space
// it is a bundle of narrow interfaces, one per service, so each door and
// each test plugs in what it needs: the instance's clock, kernel log and log
// file, and the memory of the caller of the current operation.
//
// A host is cheap (six pointers) and made per operation on the stack, so
// the caller's memory can change from one request to the next without any
// shared mutable state.
#pragma once

#include <cstddef>
#include <string_view>

extern "C" {
#include "core/mlc_platform.h"
}

namespace mlc {

class Clock {
public:
	virtual ~Clock() = default;
	// CLOCK_REALTIME.
	virtual mlc_timespec realtime() const = 0;
	// Nanoseconds since the instance started (what dmesg prints).
	virtual int64_t since_boot_ns() const = 0;
};

class KernelLogSink {
public:
	virtual ~KernelLogSink() = default;
	// One printk line: level 0..7, text without its trailing newline.
	virtual void printk(int level, std::string_view text) = 0;
};

class LogFileSink {
public:
	virtual ~LogFileSink() = default;
	// Appends text; returns MLC_LOGFILE_OK, _OPEN_FAILED or _WRITE_FAILED.
	virtual int append(std::string_view text) = 0;
};

class RandomSource {
public:
	virtual ~RandomSource() = default;
	virtual void fill(void *buf, size_t len) = 0;
};

// The memory of the process that issued the current operation.  Both
// functions return the number of bytes NOT copied, as the kernel's
// copy_{from,to}_user do; a short read zero-fills the rest of dst.
class UserMemory {
public:
	virtual ~UserMemory() = default;
	virtual size_t copy_from(void *dst, mlc_uptr src, size_t len) = 0;
	virtual size_t copy_to(mlc_uptr dst, const void *src, size_t len) = 0;
};

}  // namespace mlc

// Opaque to the core, defined here for user space.  Any pointer may be null
// when the operation at hand cannot need that service; the seam then does
// the harmless thing (no line, zero time, EFAULT for memory).
struct mlc_host {
	const mlc::Clock *clock = nullptr;
	mlc::KernelLogSink *klog = nullptr;
	mlc::LogFileSink *logfile = nullptr;
	mlc::RandomSource *random = nullptr;
	mlc::UserMemory *user = nullptr;
};

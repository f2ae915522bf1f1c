// SPDX-License-Identifier: GPL-2.0
#include "emulator/kernel_log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>

namespace mlc {

namespace {

// A record's seq while append() rewrites it: never a real one.
constexpr uint64_t kRewriting = UINT64_MAX;

std::atomic_ref<uint64_t> atomic(const uint64_t &v)
{
	return std::atomic_ref<uint64_t>(const_cast<uint64_t &>(v));
}

}  // namespace

// The record's seq says which record the slot holds; it is kRewriting
// while the slot is being rewritten, so since() can copy records without
// the lock and keep only those that were whole (device_state.hpp).
void KernelLogRing::append(int level, int64_t ts_ns, std::string_view text)
{
	uint64_t seq = next_seq;
	write(seq, level, ts_ns, text);
	atomic(next_seq).store(seq + 1, std::memory_order_release);
}

void KernelLogRing::write(uint64_t seq, int level, int64_t ts_ns, std::string_view text)
{
	KernelLogRecord &rec = records[seq % kRecords];
	atomic(rec.seq).store(kRewriting, std::memory_order_relaxed);
	std::atomic_thread_fence(std::memory_order_release);
	rec.ts_ns = ts_ns;
	rec.level = static_cast<uint8_t>(level & 7);
	rec.reserved = 0;
	size_t len = std::min(text.size(), sizeof(rec.text));
	std::memcpy(rec.text, text.data(), len);
	rec.len = static_cast<uint16_t>(len);
	atomic(rec.seq).store(seq, std::memory_order_release);
}

void (*g_kernel_log_test_hook)() = nullptr;

void KernelLogUndo::append(KernelLogRing &ring, int level, int64_t ts_ns,
			   std::string_view text)
{
	// The slot holds a shown record (seq cursor - kRecords) once the ring
	// has wrapped: keep it before it is overwritten.
	if (cursor >= KernelLogRing::kRecords && cursor - next_seq < KernelLogRing::kRecords) {
		if (saved < kRecords) {
			records[saved] = ring.records[cursor % KernelLogRing::kRecords];
			std::atomic_signal_fence(std::memory_order_release);
			saved++;
		} else {
			overflow = 1;
		}
	}
	std::atomic_signal_fence(std::memory_order_release);
	ring.write(cursor, level, ts_ns, text);
	std::atomic_signal_fence(std::memory_order_release);
	cursor++;
}

void KernelLogUndo::publish(KernelLogRing &ring) const
{
	atomic(ring.next_seq).store(cursor, std::memory_order_release);
}

// Saved records go back to their slots, then next_seq: every record the
// operation wrote is past next_seq, so it is gone.
void KernelLogUndo::restore(KernelLogRing &ring) const
{
	for (uint32_t i = 0; i < saved && i < kRecords; i++) {
		const KernelLogRecord &old = records[i];
		KernelLogRecord &rec = ring.records[old.seq % KernelLogRing::kRecords];
		// Marked while rewritten, as in write(): since() skips it.
		atomic(rec.seq).store(kRewriting, std::memory_order_relaxed);
		std::atomic_thread_fence(std::memory_order_release);
		rec.ts_ns = old.ts_ns;
		rec.level = old.level;
		rec.reserved = old.reserved;
		rec.len = old.len;
		std::memcpy(rec.text, old.text, sizeof(rec.text));
		atomic(rec.seq).store(old.seq, std::memory_order_release);
	}
	atomic(ring.next_seq).store(next_seq, std::memory_order_release);
}

const char *KernelLogRing::check() const
{
	for (const KernelLogRecord &rec : records) {
		if (rec.len > sizeof(rec.text))
			return "klog.records.len";
		if (rec.level > 7)
			return "klog.records.level";
	}
	return nullptr;
}

std::vector<KernelLogRecord> KernelLogRing::since(uint64_t from) const
{
	std::vector<KernelLogRecord> out;
	uint64_t end = atomic(next_seq).load(std::memory_order_acquire);
	uint64_t first = end > kRecords ? end - kRecords : 0;
	for (uint64_t s = std::max(from, first); s < end; s++) {
		const KernelLogRecord &rec = records[s % kRecords];
		if (atomic(rec.seq).load(std::memory_order_acquire) != s)
			continue;	// being rewritten, or dropped already
		KernelLogRecord copy;
		std::memcpy(&copy, &rec, sizeof(copy));
		std::atomic_thread_fence(std::memory_order_acquire);
		if (atomic(rec.seq).load(std::memory_order_relaxed) != s)
			continue;
		copy.seq = s;
		out.push_back(copy);
	}
	return out;
}

std::string format_dmesg(const KernelLogRecord &rec)
{
	int64_t us = rec.ts_ns / 1000;
	return fmt::format("[{:5d}.{:06d}] {}", us / 1000000, us % 1000000,
			   std::string_view(rec.text, rec.len));
}

std::string format_raw(const KernelLogRecord &rec)
{
	return fmt::format("<{}>{}", rec.level, std::string_view(rec.text, rec.len));
}

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
#include "emulator/kernel_log.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>

#include <fmt/format.h>

namespace mlc {

void KernelLogRing::append(int level, int64_t ts_ns, std::string_view text)
{
	write(next_seq, level, ts_ns, text);
	next_seq++;
}

void KernelLogRing::write(uint64_t seq, int level, int64_t ts_ns, std::string_view text)
{
	KernelLogRecord &rec = records[seq % kRecords];
	rec.seq = seq;
	rec.ts_ns = ts_ns;
	rec.level = static_cast<uint8_t>(level & 7);
	rec.reserved = 0;
	size_t len = std::min(text.size(), sizeof(rec.text));
	std::memcpy(rec.text, text.data(), len);
	rec.len = static_cast<uint16_t>(len);
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
	std::atomic_ref<uint64_t>(ring.next_seq).store(cursor, std::memory_order_release);
}

// Saved records go back to their slots, then next_seq: every record the
// operation wrote is past next_seq, so it is gone.
void KernelLogUndo::restore(KernelLogRing &ring) const
{
	for (uint32_t i = 0; i < saved && i < kRecords; i++)
		ring.records[records[i].seq % KernelLogRing::kRecords] = records[i];
	std::atomic_ref<uint64_t>(ring.next_seq).store(next_seq, std::memory_order_release);
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
	for (uint64_t s = std::max(from, first_seq()); s < next_seq; s++)
		out.push_back(records[s % kRecords]);
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

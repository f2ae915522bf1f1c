// SPDX-License-Identifier: GPL-2.0
#include "emulator/kernel_log.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace mlc {

void KernelLogRing::append(int level, int64_t ts_ns, std::string_view text)
{
	KernelLogRecord &rec = records[next_seq % kRecords];
	rec.seq = next_seq;
	rec.ts_ns = ts_ns;
	rec.level = static_cast<uint8_t>(level & 7);
	rec.reserved = 0;
	size_t len = std::min(text.size(), sizeof(rec.text));
	std::memcpy(rec.text, text.data(), len);
	rec.len = static_cast<uint16_t>(len);
	next_seq++;
}

void (*g_kernel_log_test_hook)() = nullptr;

void KernelLogUndo::save_before_append(const KernelLogRing &ring)
{
	if (ring.next_seq < KernelLogRing::kRecords)
		return;		// the slot holds no record yet
	if (saved == kRecords) {
		overflow = 1;
		return;
	}
	records[saved] = ring.records[ring.next_seq % KernelLogRing::kRecords];
	saved++;
}

// Saved records go back to their slots, then next_seq: every record the
// operation appended is past next_seq again, so it is gone.
void KernelLogUndo::restore(KernelLogRing &ring) const
{
	for (uint32_t i = 0; i < saved; i++)
		ring.records[records[i].seq % KernelLogRing::kRecords] = records[i];
	ring.next_seq = next_seq;
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

// SPDX-License-Identifier: GPL-2.0
//
// The emulated kernel log: what dmesg shows for an instance.
//
// KernelLogRing is flat (no pointers) so it can live in shared memory; like
// the kernel's printk ring it is bounded and drops the oldest records.
// Sequence numbers keep counting across drops, so a follower (dmesg
// --follow) knows what it missed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "platform/user/host.hpp"

namespace mlc {

struct KernelLogRecord {
	uint64_t seq;
	int64_t ts_ns;		// since the instance started
	uint8_t level;		// 0..7
	uint8_t reserved;
	uint16_t len;
	char text[236];		// longer lines are cut (no line of ours is)
};
static_assert(sizeof(KernelLogRecord) == 256);

struct KernelLogRing {
	static constexpr uint32_t kRecords = 1024;	// 256 KiB

	uint64_t next_seq;	// sequence number of the next record
	KernelLogRecord records[kRecords];

	void clear() { next_seq = 0; }
	uint64_t first_seq() const
	{
		return next_seq > kRecords ? next_seq - kRecords : 0;
	}
	// Under the instance lock.
	void append(int level, int64_t ts_ns, std::string_view text);
	// nullptr when every record's level and length are in range (a ring
	// read back from a segment someone else wrote), else the field.
	const char *check() const;
	// Records with seq >= from, oldest first (those still in the ring).
	// Needs no lock: a record that append() is rewriting (the oldest, when
	// the ring is full) is left out, never returned torn.
	std::vector<KernelLogRecord> since(uint64_t from) const;
};

// A printk sink writing into a ring with the instance's clock.  The caller
// holds the instance lock, as for every other operation.
class KernelLog final : public KernelLogSink {
public:
	KernelLog(KernelLogRing &ring, const Clock &clock)
		: ring_(ring), clock_(clock)
	{
	}
	void printk(int level, std::string_view text) override
	{
		ring_.append(level, clock_.since_boot_ns(), text);
	}

private:
	KernelLogRing &ring_;
	const Clock &clock_;
};

// "[    1.234567] text", as dmesg prints a record.
std::string format_dmesg(const KernelLogRecord &rec);
// "<6>text", the level and text alone: what traces compare.
std::string format_raw(const KernelLogRecord &rec);

}  // namespace mlc

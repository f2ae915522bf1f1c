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
	void append(int level, int64_t ts_ns, std::string_view text);
	// nullptr when every record's level and length are in range (a ring
	// read back from a segment someone else wrote), else the field.
	const char *check() const;
	// Records with seq >= from, oldest first (those still in the ring).
	std::vector<KernelLogRecord> since(uint64_t from) const;
};

// What one operation's printk lines may change in the ring, saved so a
// process killed inside the operation can be undone (docs/reliability.md):
// the ring's next_seq before it, and each record it overwrote (the oldest
// ones, once the ring is full), saved just before the overwrite.  Flat, in
// the instance segment; only under the instance lock.
struct KernelLogUndo {
	static constexpr uint32_t kRecords = 64;	// far more than one operation prints

	uint64_t next_seq;	// the ring's next_seq when the operation began
	uint32_t saved;		// records[0, saved) hold overwritten records
	uint32_t overflow;	// more than kRecords overwritten: the rest are lost
	KernelLogRecord records[kRecords];

	void begin(const KernelLogRing &ring)
	{
		next_seq = ring.next_seq;
		saved = 0;
		overflow = 0;
	}
	// Before ring.append(): keep the record it is about to overwrite.
	void save_before_append(const KernelLogRing &ring);
	// Puts the ring back as begin() found it (idempotent).
	void restore(KernelLogRing &ring) const;
};

// Test-only: called after every record a KernelLog appends (nullptr, the
// default, in every program but the unit tests that kill a process there).
extern void (*g_kernel_log_test_hook)();

// A printk sink writing into a ring with the instance's clock.  The caller
// holds the instance lock, as for every other operation, and undo (when
// given) saves what each line overwrites.
class KernelLog final : public KernelLogSink {
public:
	KernelLog(KernelLogRing &ring, const Clock &clock,
		  KernelLogUndo *undo = nullptr)
		: ring_(ring), clock_(clock), undo_(undo)
	{
	}
	void printk(int level, std::string_view text) override
	{
		int64_t ts = clock_.since_boot_ns();
		if (undo_)
			undo_->save_before_append(ring_);
		ring_.append(level, ts, text);
		if (g_kernel_log_test_hook) [[unlikely]]
			g_kernel_log_test_hook();
	}

private:
	KernelLogRing &ring_;
	const Clock &clock_;
	KernelLogUndo *undo_;
};

// "[    1.234567] text", as dmesg prints a record.
std::string format_dmesg(const KernelLogRecord &rec);
// "<6>text", the level and text alone: what traces compare.
std::string format_raw(const KernelLogRecord &rec);

}  // namespace mlc

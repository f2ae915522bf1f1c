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
	// The record seq into its slot, not yet shown: next_seq is not moved
	// (an operation's records are shown together when it ends).
	void write(uint64_t seq, int level, int64_t ts_ns, std::string_view text);
	// nullptr when every record's level and length are in range (a ring
	// read back from a segment someone else wrote), else the field.
	const char *check() const;
	// Records with seq >= from, oldest first (those still in the ring).
	// Needs no lock: a record that append() is rewriting (the oldest, when
	// the ring is full) is left out, never returned torn.
	std::vector<KernelLogRecord> since(uint64_t from) const;
};

// One operation's printk lines, shown all at once when it ends, and what
// they overwrote, saved so a process killed inside the operation can be
// undone (docs/reliability.md): the ring's next_seq before it, the seq of
// its next record (cursor: records [next_seq, cursor) are written but not
// shown), and each record it overwrote (the oldest ones, once the ring is
// full), saved just before the overwrite.  Flat, in the instance segment;
// only under the instance lock.
struct KernelLogUndo {
	static constexpr uint32_t kRecords = 64;	// far more than one operation prints

	uint64_t next_seq;	// the ring's next_seq when the operation began
	uint64_t cursor;	// the seq of the operation's next record
	uint32_t saved;		// records[0, saved) hold overwritten records
	uint32_t overflow;	// more than kRecords overwritten: the rest are lost
	KernelLogRecord records[kRecords];

	void begin(const KernelLogRing &ring)
	{
		next_seq = ring.next_seq;
		cursor = next_seq;
		saved = 0;
		overflow = 0;
	}
	// One record of the operation, saving the one it overwrites.
	void append(KernelLogRing &ring, int level, int64_t ts_ns,
		    std::string_view text);
	// The operation ended: its records are shown.
	void publish(KernelLogRing &ring) const;
	// An operation that ended but whose process died before it showed its
	// records: shows them.  Nothing when publish() was done.
	void finish(KernelLogRing &ring) const
	{
		if (ring.next_seq != cursor)
			publish(ring);
	}
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
			undo_->append(ring_, level, ts, text);
		else
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

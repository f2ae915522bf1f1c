// SPDX-License-Identifier: GPL-2.0
//
// The emulated kernel log: what dmesg shows for an instance.
//
// A byte-sized ring laid out and consumed as the 6.1 kernel's
// printk_ringbuffer (kernel/printk/printk_ringbuffer.c) with
// CONFIG_LOG_BUF_SHIFT=17, Debian 12's, so it keeps the lines the kernel
// keeps and drops the ones it drops (docs/architecture.md, "Kernel log"):
//
//   text ring   2^shift bytes (log_buf_len; 128 KiB by default).  A record
//               takes a block of ALIGN(sizeof(unsigned long) + reserve, 8)
//               bytes: the block's id, then the text.  reserve is what
//               vprintk_store() reserves: vsnprintf()'s length of the
//               formatted line (the 2-byte KERN_<LEVEL> prefix, the text,
//               its "\n") + 1 for the NUL, capped at LOG_LINE_MAX (992).
//               Blocks never straddle the end: a block that would reach it
//               (even end exactly at it: get_next_lpos() compares the
//               wraps of begin and begin + size) goes to the start of the
//               next wrap, and the tail it skipped is wasted, counted in
//               the block's [begin, next).
//   descriptors 2^(shift - 5), one per 32 bytes of text ring (PRB_AVGBITS):
//               each record takes one, so at most that many are kept.
//
// A new record drops the oldest ones, oldest first, until its block fits
// (data_push_tail(next - size): every block that begins before next - size
// goes) and its descriptor slot is free (desc_push_tail()).  Sequence
// numbers keep counting across drops, so a follower (dmesg --follow) knows
// what it missed.
//
// Flat (no pointers) so it lives in shared memory: KernelLogRing, the
// header, is in DeviceState; its storage (the descriptors, then the text
// ring) follows the segment's InstanceSegment, or is the LocalDevice's own.
// KernelLogBuffer is the two as one process maps them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "platform/user/host.hpp"

namespace mlc {

// CONFIG_LOG_BUF_SHIFT of Debian 12's kernel (6.1): a 128 KiB text ring.
constexpr uint32_t kLogBufShiftDefault = 17;
// CONFIG_LOG_BUF_SHIFT's Kconfig range (4 KiB .. 32 MiB).
constexpr uint32_t kLogBufShiftMin = 12;
constexpr uint32_t kLogBufShiftMax = 25;
// PRB_AVGBITS: one descriptor per 2^5 bytes of text ring.
constexpr uint32_t kPrbAvgBits = 5;
// LOG_LINE_MAX (1024 - PREFIX_MAX, CONFIG_PRINTK_CALLER off): the most
// vprintk_store() reserves; a record's text is then at most 989 bytes
// (the reserve less the NUL and the 2-byte level prefix).
constexpr uint32_t kLogLineMax = 992;
constexpr uint32_t kLogTextMax = kLogLineMax - 3;

// The shift of the ring log_buf_len=BYTES asks for: BYTES rounded up to a
// power of two (as the kernel's log_buf_len_update() does); nullopt when
// that is outside [2^kLogBufShiftMin, 2^kLogBufShiftMax].
std::optional<uint32_t> log_buf_shift_for(uint64_t bytes);

// vprintk_store()'s reserve for a line of len bytes (after the kernel's
// cut, see log_text_len) and the block it takes in the text ring.
inline uint32_t log_reserve_size(size_t len)
{
	size_t r = len + 4;	// "\001" LEVEL, text, "\n", NUL
	return static_cast<uint32_t>(r < kLogLineMax ? r : kLogLineMax);
}
inline uint32_t log_block_size(size_t len)
{
	return (8 + log_reserve_size(len) + 7) & ~7u;
}
// Where a block of size bytes that begins at begin ends (get_next_lpos()):
// one that would reach the next wrap goes to its start instead.
inline uint64_t log_next_lpos(uint64_t begin, uint32_t size, uint32_t shift)
{
	uint64_t next = begin + size;
	if ((begin >> shift) == (next >> shift))
		return next;
	return (next & ~((uint64_t{1} << shift) - 1)) + size;
}
// The length the kernel keeps of a len-byte line.
inline size_t log_text_len(size_t len)
{
	return len < kLogTextMax ? len : kLogTextMax;
}

// One record's descriptor (struct prb_desc + printk_info): which record
// the slot holds and where its block is.  32 bytes, as PRB_AVGBITS
// budgets.
struct KernelLogDesc {
	uint64_t seq;		// the record's; kRewriting while rewritten
	int64_t ts_ns;		// since the instance started
	uint64_t begin;		// its block: [begin, begin + next_off)
	uint32_t next_off;	// block size + the wasted tail when it wrapped
	uint16_t len;		// text bytes, <= kLogTextMax
	uint8_t level;		// 0..7
	uint8_t reserved;
};
static_assert(sizeof(KernelLogDesc) == 32);

// The ring's header, in DeviceState.  Written only under the instance
// lock; next_seq and first_seq are read without it (since()).
struct KernelLogRing {
	uint32_t shift;		// the text ring is 2^shift bytes
	uint32_t desc_shift;	// 2^desc_shift descriptors: shift - kPrbAvgBits
	uint64_t next_seq;	// sequence number of the next record shown
	uint64_t first_seq;	// the oldest record kept
	uint64_t head;		// where the next block begins (logical)
};

// Bytes of storage a ring of 2^shift bytes needs (descriptors + text).
inline size_t kernel_log_storage_bytes(uint32_t shift)
{
	return (size_t{1} << (shift - kPrbAvgBits)) * sizeof(KernelLogDesc) +
	       (size_t{1} << shift);
}

// What a reader gets: one record, copied out.
struct KernelLogRecord {
	uint64_t seq;
	int64_t ts_ns;
	uint8_t level;
	std::string text;
};

// A ring header and its storage as this process maps them.  The shift is
// taken once, at construction (the storage was sized by it), so nothing
// written into the header later can make an index leave the storage.
class KernelLogBuffer {
public:
	// An empty ring of 2^shift bytes over storage (kernel_log_storage_bytes).
	static void init(KernelLogRing &ring, std::span<std::byte> storage,
			 uint32_t shift);
	// A ring init() made, or one read back from a segment (check() first).
	KernelLogBuffer(KernelLogRing &ring, std::span<std::byte> storage);

	KernelLogRing &ring() { return ring_; }
	uint32_t shift() const { return shift_; }
	uint64_t size() const { return uint64_t{1} << shift_; }
	uint64_t descs() const { return uint64_t{1} << (shift_ - kPrbAvgBits); }

	// Under the instance lock: one record, shown at once.
	void append(int level, int64_t ts_ns, std::string_view text);
	// The record seq (the one after every record written so far) in
	// place, dropping what it needs, not yet shown: next_seq is not moved
	// (an operation's records are shown together when it ends).
	void write(uint64_t seq, int level, int64_t ts_ns, std::string_view text);
	// Records with seq >= from, oldest first, at most max of them (those
	// still kept).  Needs no lock: a record dropped or rewritten while it
	// is copied is left out, never returned torn.
	std::vector<KernelLogRecord> since(uint64_t from, size_t max = SIZE_MAX) const;
	// Number of records kept.
	uint64_t kept() const;

	// nullptr when the header and every kept record are in range and
	// consistent (a ring read back from a segment someone else wrote),
	// else the field.  Exact under the lock; without it, a writer may be
	// between two fields: look again under the lock.
	const char *check() const;

	// For the undo journal: the descriptor slot of seq, and the text
	// ring's bytes at a logical position.
	KernelLogDesc &desc(uint64_t seq) { return descs_[seq & (descs() - 1)]; }
	const KernelLogDesc &desc(uint64_t seq) const
	{
		return descs_[seq & (descs() - 1)];
	}
	void copy_out(uint64_t lpos, char *dst, size_t len) const;
	void copy_in(uint64_t lpos, const char *src, size_t len);

private:
	KernelLogRing &ring_;
	uint32_t shift_;
	KernelLogDesc *descs_;
	char *data_;
};

// An owned ring, for tests and tools that have no DeviceState.
struct OwnedKernelLog {
	explicit OwnedKernelLog(uint32_t shift = kLogBufShiftDefault);
	KernelLogRing ring{};
	std::vector<std::byte> storage;
	KernelLogBuffer buffer;
};

// One operation's printk lines, shown all at once when it ends, and what
// they overwrote, saved so a process killed inside the operation can be
// undone (docs/reliability.md): the ring's header before it, the seq of
// its next record (cursor: records [next_seq, cursor) are written but not
// shown), each descriptor slot it rewrote and the text ring's bytes from
// the old head on, saved just before they are overwritten.  Flat, in the
// instance segment; only under the instance lock.
struct KernelLogUndo {
	static constexpr uint32_t kDescs = 64;		// far more than one operation prints
	static constexpr uint32_t kBytes = 16384;	// the same in text

	uint64_t next_seq;	// the ring's next_seq when the operation began
	uint64_t first_seq;	// its first_seq
	uint64_t head;		// its head
	uint64_t cursor;	// the seq of the operation's next record
	uint32_t descs_saved;	// descs[k]: slot of seq next_seq + k before
	uint32_t bytes_saved;	// bytes[i]: text ring at head + i before
	uint32_t overflow;	// more than kept above: restore() drops the hole
	uint32_t reserved;
	KernelLogDesc descs[kDescs];
	char bytes[kBytes];

	void begin(const KernelLogRing &ring)
	{
		next_seq = ring.next_seq;
		first_seq = ring.first_seq;
		head = ring.head;
		cursor = next_seq;
		descs_saved = 0;
		bytes_saved = 0;
		overflow = 0;
	}
	// One record of the operation, saving what it overwrites.
	void append(KernelLogBuffer &log, int level, int64_t ts_ns,
		    std::string_view text);
	// The operation ended: its records are shown.
	void publish(KernelLogBuffer &log) const;
	// An operation that ended but whose process died before it showed its
	// records: shows them.  Nothing when publish() was done.
	void finish(KernelLogBuffer &log) const
	{
		if (log.ring().next_seq != cursor)
			publish(log);
	}
	// Puts the ring back as begin() found it (idempotent).
	void restore(KernelLogBuffer &log) const;
	// nullptr when the counts and saved descriptors are in range.
	const char *check() const;
};

// Test-only: called after every record a KernelLog appends (nullptr, the
// default, in every program but the unit tests that kill a process there).
extern void (*g_kernel_log_test_hook)();

// A printk sink writing into a ring with the instance's clock.  The caller
// holds the instance lock, as for every other operation, and undo (when
// given) saves what each line overwrites.
class KernelLog final : public KernelLogSink {
public:
	KernelLog(KernelLogBuffer &log, const Clock &clock,
		  KernelLogUndo *undo = nullptr)
		: log_(log), clock_(clock), undo_(undo)
	{
	}
	void printk(int level, std::string_view text) override
	{
		int64_t ts = clock_.since_boot_ns();
		if (undo_)
			undo_->append(log_, level, ts, text);
		else
			log_.append(level, ts, text);
		if (g_kernel_log_test_hook) [[unlikely]]
			g_kernel_log_test_hook();
	}

private:
	KernelLogBuffer &log_;
	const Clock &clock_;
	KernelLogUndo *undo_;
};

// "[    1.234567] text", as dmesg prints a record.
std::string format_dmesg(const KernelLogRecord &rec);
// "<6>text", the level and text alone: what traces compare.
std::string format_raw(const KernelLogRecord &rec);

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
#include "emulator/kernel_log.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace mlc {

namespace {

// A descriptor's seq while write() rewrites it: never a real one.
constexpr uint64_t kRewriting = UINT64_MAX;

std::atomic_ref<uint64_t> atomic(const uint64_t &v)
{
	return std::atomic_ref<uint64_t>(const_cast<uint64_t &>(v));
}

// a >= b for logical positions (wrap-safe, as the kernel compares them).
bool at_or_after(uint64_t a, uint64_t b)
{
	return static_cast<int64_t>(a - b) >= 0;
}

}  // namespace

std::optional<uint32_t> log_buf_shift_for(uint64_t bytes)
{
	for (uint32_t shift = kLogBufShiftMin; shift <= kLogBufShiftMax; shift++)
		if (bytes <= (uint64_t{1} << shift))
			return bytes ? std::optional<uint32_t>(shift) : std::nullopt;
	return std::nullopt;
}

void KernelLogBuffer::init(KernelLogRing &ring, std::span<std::byte> storage,
			   uint32_t shift)
{
	if (shift < kLogBufShiftMin || shift > kLogBufShiftMax ||
	    storage.size() < kernel_log_storage_bytes(shift))
		throw std::invalid_argument("kernel log: bad ring size");
	std::memset(static_cast<void *>(&ring), 0, sizeof(ring));
	std::memset(storage.data(), 0, kernel_log_storage_bytes(shift));
	ring.shift = shift;
	ring.desc_shift = shift - kPrbAvgBits;
	// Every slot is free: no seq of a slot matches a record yet.
	auto *descs = reinterpret_cast<KernelLogDesc *>(storage.data());
	for (size_t i = 0; i < (size_t{1} << ring.desc_shift); i++)
		descs[i].seq = kRewriting;
}

KernelLogBuffer::KernelLogBuffer(KernelLogRing &ring, std::span<std::byte> storage)
	: ring_(ring), shift_(ring.shift)
{
	if (shift_ < kLogBufShiftMin || shift_ > kLogBufShiftMax ||
	    storage.size() < kernel_log_storage_bytes(shift_))
		throw std::invalid_argument("kernel log: bad ring size");
	descs_ = reinterpret_cast<KernelLogDesc *>(storage.data());
	data_ = reinterpret_cast<char *>(storage.data()) + descs() * sizeof(KernelLogDesc);
}

void KernelLogBuffer::copy_out(uint64_t lpos, char *dst, size_t len) const
{
	while (len) {
		size_t phys = lpos & (size() - 1);
		size_t n = std::min<size_t>(len, size() - phys);
		std::memcpy(dst, data_ + phys, n);
		dst += n, lpos += n, len -= n;
	}
}

void KernelLogBuffer::copy_in(uint64_t lpos, const char *src, size_t len)
{
	while (len) {
		size_t phys = lpos & (size() - 1);
		size_t n = std::min<size_t>(len, size() - phys);
		std::memcpy(data_ + phys, src, n);
		src += n, lpos += n, len -= n;
	}
}

void KernelLogBuffer::append(int level, int64_t ts_ns, std::string_view text)
{
	uint64_t seq = ring_.next_seq;
	write(seq, level, ts_ns, text);
	atomic(ring_.next_seq).store(seq + 1, std::memory_order_release);
}

// As prb_reserve(): the block's place (get_next_lpos), then the oldest
// records dropped until it fits (data_push_tail(next - size)) and its
// descriptor slot is free (desc_push_tail), then the text and the
// descriptor.  first_seq moves before anything is overwritten, so since()
// can tell a record it copied was dropped meanwhile.
void KernelLogBuffer::write(uint64_t seq, int level, int64_t ts_ns, std::string_view text)
{
	size_t len = log_text_len(text.size());
	uint32_t size = log_block_size(len);
	uint64_t begin = ring_.head;
	uint64_t next = log_next_lpos(begin, size, shift_);

	uint64_t first = ring_.first_seq;
	if (first > seq)	// a header no writer left: nothing is kept
		first = seq;
	else if (seq - first > descs())
		first = seq - descs();
	while (first < seq) {
		const KernelLogDesc &d = desc(first);
		if (atomic(d.seq).load(std::memory_order_relaxed) == first &&
		    at_or_after(d.begin, next - this->size()) && first + descs() > seq)
			break;
		first++;
	}
	atomic(ring_.first_seq).store(first, std::memory_order_release);
	std::atomic_thread_fence(std::memory_order_release);

	KernelLogDesc &d = desc(seq);
	atomic(d.seq).store(kRewriting, std::memory_order_relaxed);
	std::atomic_thread_fence(std::memory_order_release);
	uint64_t block = next - size;
	uint64_t id = seq;	// the block's header: its descriptor's id
	copy_in(block, reinterpret_cast<const char *>(&id), sizeof(id));
	copy_in(block + sizeof(id), text.data(), len);
	d.ts_ns = ts_ns;
	d.begin = begin;
	d.next_off = static_cast<uint32_t>(next - begin);
	d.len = static_cast<uint16_t>(len);
	d.level = static_cast<uint8_t>(level & 7);
	d.reserved = 0;
	atomic(d.seq).store(seq, std::memory_order_release);
	ring_.head = next;
}

uint64_t KernelLogBuffer::kept() const
{
	uint64_t end = atomic(ring_.next_seq).load(std::memory_order_acquire);
	uint64_t first = atomic(ring_.first_seq).load(std::memory_order_acquire);
	return first < end ? std::min(end - first, descs()) : 0;
}

std::vector<KernelLogRecord> KernelLogBuffer::since(uint64_t from, size_t max) const
{
	std::vector<KernelLogRecord> out;
	uint64_t end = atomic(ring_.next_seq).load(std::memory_order_acquire);
	uint64_t s = std::max(from, atomic(ring_.first_seq).load(std::memory_order_acquire));
	if (s < end && end - s > descs())
		s = end - descs();
	for (; s < end && out.size() < max; s++) {
		const KernelLogDesc &d = desc(s);
		if (atomic(d.seq).load(std::memory_order_acquire) != s)
			continue;	// being rewritten, or dropped already
		KernelLogDesc c;
		std::memcpy(&c, &d, sizeof(c));
		size_t len = std::min<size_t>(c.len, kLogTextMax);
		uint64_t text = c.begin + c.next_off - log_block_size(len) + 8;
		size_t phys = text & (size() - 1);
		if (phys + len > size())
			continue;	// torn: it is being dropped
		std::string t(data_ + phys, len);
		std::atomic_thread_fence(std::memory_order_acquire);
		if (atomic(d.seq).load(std::memory_order_relaxed) != s ||
		    atomic(ring_.first_seq).load(std::memory_order_relaxed) > s)
			continue;
		out.push_back({s, c.ts_ns, static_cast<uint8_t>(c.level & 7), std::move(t)});
	}
	return out;
}

// What holds at every instant, even inside a writer (which moves
// first_seq before it overwrites, and head last): the records shown and
// kept are whole, in order, each block placed as get_next_lpos() places
// it, the oldest beginning no earlier than head - size, the newest ending
// no later than head.
const char *KernelLogBuffer::check() const
{
	if (ring_.shift != shift_ || ring_.desc_shift != shift_ - kPrbAvgBits)
		return "klog.shift";
	uint64_t first = ring_.first_seq, end = ring_.next_seq, head = ring_.head;
	if (first >= end)
		return nullptr;
	if (end - first > descs())
		return "klog.first_seq";
	uint64_t at = head - size();
	for (uint64_t s = first; s < end; s++) {
		const KernelLogDesc &d = desc(s);
		if (d.seq != s)
			return "klog.descs.seq";
		if (d.len > kLogTextMax)
			return "klog.descs.len";
		if (d.level > 7)
			return "klog.descs.level";
		if (s == first ? !at_or_after(d.begin, at) : d.begin != at)
			return "klog.descs.begin";
		if (d.next_off != log_next_lpos(d.begin, log_block_size(d.len), shift_) - d.begin)
			return "klog.descs.next_off";
		at = d.begin + d.next_off;
	}
	if (!at_or_after(head, at))
		return "klog.head";
	return nullptr;
}

OwnedKernelLog::OwnedKernelLog(uint32_t shift)
	: storage(kernel_log_storage_bytes(shift)),
	  buffer((KernelLogBuffer::init(ring, storage, shift), KernelLogBuffer(ring, storage)))
{
}

void (*g_kernel_log_test_hook)() = nullptr;

// Before each record: the descriptor slot it takes and the text ring's
// bytes up to its block's end, from the head the operation began at, each
// saved once, before write() overwrites it.
void KernelLogUndo::append(KernelLogBuffer &log, int level, int64_t ts_ns,
			   std::string_view text)
{
	uint64_t k = cursor - next_seq;
	if (k < log.descs()) {
		if (k >= kDescs) {
			overflow = 1;
		} else if (k == descs_saved) {
			descs[k] = log.desc(cursor);
			std::atomic_signal_fence(std::memory_order_release);
			descs_saved = static_cast<uint32_t>(k + 1);
		}
	}
	uint32_t size = log_block_size(log_text_len(text.size()));
	uint64_t next = log_next_lpos(log.ring().head, size, log.shift());
	uint64_t want = std::min(next - head, log.size());
	if (want > kBytes) {
		overflow = 1;
		want = kBytes;
	}
	if (want > bytes_saved) {
		log.copy_out(head + bytes_saved, bytes + bytes_saved, want - bytes_saved);
		std::atomic_signal_fence(std::memory_order_release);
		bytes_saved = static_cast<uint32_t>(want);
	}
	std::atomic_signal_fence(std::memory_order_release);
	log.write(cursor, level, ts_ns, text);
	std::atomic_signal_fence(std::memory_order_release);
	cursor++;
}

void KernelLogUndo::publish(KernelLogBuffer &log) const
{
	atomic(log.ring().next_seq).store(cursor, std::memory_order_release);
}

// The saved slots and bytes go back (each was a record's the operation had
// dropped: no reader takes it while first_seq is past it), then the
// header.  Past an overflow, the records whose slot or text could not be
// put back are dropped with every older one.
void KernelLogUndo::restore(KernelLogBuffer &log) const
{
	KernelLogRing &ring = log.ring();
	uint64_t dead_head = ring.head;
	uint32_t ndescs = std::min<uint32_t>(descs_saved, kDescs);
	for (uint32_t k = 0; k < ndescs && k < log.descs(); k++) {
		KernelLogDesc &d = log.desc(next_seq + k);
		atomic(d.seq).store(kRewriting, std::memory_order_relaxed);
		std::atomic_thread_fence(std::memory_order_release);
		d.ts_ns = descs[k].ts_ns;
		d.begin = descs[k].begin;
		d.next_off = descs[k].next_off;
		d.len = descs[k].len;
		d.level = descs[k].level;
		d.reserved = descs[k].reserved;
		atomic(d.seq).store(descs[k].seq, std::memory_order_release);
	}
	uint32_t nbytes = static_cast<uint32_t>(
		std::min<uint64_t>({bytes_saved, kBytes, log.size()}));
	log.copy_in(head, bytes, nbytes);
	std::atomic_thread_fence(std::memory_order_release);

	uint64_t first = first_seq;
	if (overflow) {
		// Old text not put back: [head + nbytes, dead_head), one wrap ago.
		uint64_t lost_from = head + nbytes - log.size();
		uint64_t lost_to = dead_head - log.size();
		for (uint64_t s = first_seq; s < next_seq; s++) {
			const KernelLogDesc &d = log.desc(s);
			uint64_t end = d.begin + d.next_off;
			uint64_t start = end - log_block_size(std::min<size_t>(d.len, kLogTextMax));
			bool hit = !at_or_after(start, lost_to) && !at_or_after(lost_from, end);
			if (d.seq != s || hit)
				first = s + 1;
		}
	}
	ring.head = head;
	atomic(ring.first_seq).store(first, std::memory_order_release);
	atomic(ring.next_seq).store(next_seq, std::memory_order_release);
}

const char *KernelLogUndo::check() const
{
	if (descs_saved > kDescs)
		return "journal.klog.descs_saved";
	if (bytes_saved > kBytes)
		return "journal.klog.bytes_saved";
	for (uint32_t k = 0; k < descs_saved; k++)
		if (descs[k].len > kLogTextMax || descs[k].level > 7)
			return "journal.klog.descs";
	return nullptr;
}

std::string format_dmesg(const KernelLogRecord &rec)
{
	int64_t us = rec.ts_ns / 1000;
	return fmt::format("[{:5d}.{:06d}] {}", us / 1000000, us % 1000000, rec.text);
}

std::string format_raw(const KernelLogRecord &rec)
{
	return fmt::format("<{}>{}", rec.level, rec.text);
}

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
//
// A caller's memory as one accessible region [base, base + size), backed by
// a local buffer.  Used where the caller's bytes arrive in a request and the
// reply carries them back (FUSE and CUSE ioctls), and by tests that put
// guard bytes around a buffer or end it at a "page edge".
//
// Accesses outside the region fault; an access that runs off its end copies
// the accessible prefix first, like the kernel at an unmapped page.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>

#include "platform/user/host.hpp"

namespace mlc {

class RegionMemory final : public UserMemory {
public:
	RegionMemory(mlc_uptr base, std::span<std::byte> backing)
		: base_(base), mem_(backing)
	{
	}

	size_t copy_from(void *dst, mlc_uptr src, size_t len) override
	{
		size_t ok = accessible(src, len);
		if (ok)
			std::memcpy(dst, mem_.data() + (src - base_), ok);
		std::memset(static_cast<std::byte *>(dst) + ok, 0, len - ok);
		return len - ok;
	}

	size_t copy_to(mlc_uptr dst, const void *src, size_t len) override
	{
		size_t ok = accessible(dst, len);
		if (ok) {
			std::memcpy(mem_.data() + (dst - base_), src, ok);
			written_end_ = std::max(written_end_,
						static_cast<size_t>(dst - base_) + ok);
		}
		return len - ok;
	}

	// How many bytes from the start of the region were written: what a
	// transport must copy back to the caller, no more.
	size_t written_end() const { return written_end_; }

private:
	size_t accessible(mlc_uptr addr, size_t len) const
	{
		if (addr < base_ || addr - base_ >= mem_.size())
			return 0;
		return std::min(len, mem_.size() - static_cast<size_t>(addr - base_));
	}

	mlc_uptr base_;
	std::span<std::byte> mem_;
	size_t written_end_ = 0;
};

}  // namespace mlc

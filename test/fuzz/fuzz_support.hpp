// SPDX-License-Identifier: GPL-2.0
//
// What every fuzz harness of test/fuzz shares: an invariant check that
// aborts (so libFuzzer saves the input), an optional trace of the decoded
// operations (MLC_FUZZ_TRACE=1, to check the seeds of corpus/ decode to
// what make_corpus.py meant), and a caller's memory that faults where the
// input says.  The hosts themselves are the unit tests' (CoreHarness,
// TestHost, LoopRig), not copies.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fuzzer/FuzzedDataProvider.h>

#include "platform/user/host.hpp"

// An invariant of the core: on failure, say which and abort (a crash that
// libFuzzer reports and saves).
#define MLC_FUZZ_CHECK(cond, ...)                                              \
	do {                                                                   \
		if (!(cond)) {                                                 \
			std::fprintf(stderr, "%s:%d: invariant failed: %s: ",  \
				     __FILE__, __LINE__, #cond);               \
			std::fprintf(stderr, __VA_ARGS__);                     \
			std::fputc('\n', stderr);                              \
			std::abort();                                          \
		}                                                              \
	} while (0)

namespace mlc::fuzz {

inline bool tracing()
{
	static const bool on = [] {
		const char *v = std::getenv("MLC_FUZZ_TRACE");
		return v && *v == '1';
	}();
	return on;
}

// One line per decoded operation when MLC_FUZZ_TRACE=1.
__attribute__((format(printf, 1, 2))) inline void trace(const char *fmt, ...)
{
	if (!tracing())
		return;
	va_list ap;
	va_start(ap, fmt);
	std::vfprintf(stderr, fmt, ap);
	va_end(ap);
	std::fputc('\n', stderr);
}

// The caller's memory with one fault point: access number fault_at (1 is
// the first; 0 never) reaches only its first `prefix` bytes, the rest
// faults, as at an unmapped page.  Counts accesses and bytes moved.
class FaultyMemory final : public UserMemory {
public:
	FaultyMemory(UserMemory &inner, unsigned fault_at, size_t prefix)
		: inner_(inner), fault_at_(fault_at), prefix_(prefix)
	{
	}

	size_t copy_from(void *dst, mlc_uptr src, size_t len) override
	{
		size_t ok = allowed(len);
		size_t left = ok ? inner_.copy_from(dst, src, ok) : 0;
		std::memset(static_cast<char *>(dst) + ok, 0, len - ok);
		return left + (len - ok);
	}

	size_t copy_to(mlc_uptr dst, const void *src, size_t len) override
	{
		size_t ok = allowed(len);
		size_t left = ok ? inner_.copy_to(dst, src, ok) : 0;
		return left + (len - ok);
	}

	unsigned accesses() const { return accesses_; }
	bool faulted() const { return faulted_; }

private:
	size_t allowed(size_t len)
	{
		if (++accesses_ != fault_at_)
			return len;
		faulted_ = true;
		return prefix_ < len ? prefix_ : len;
	}

	UserMemory &inner_;
	unsigned fault_at_;
	size_t prefix_;
	unsigned accesses_ = 0;
	bool faulted_ = false;
};

// Reads the fault point of one operation from the input: mostly none.
struct FaultPoint {
	unsigned at = 0;
	size_t prefix = 0;
};
inline FaultPoint consume_fault(FuzzedDataProvider &fdp)
{
	FaultPoint f;
	f.at = fdp.ConsumeIntegralInRange<unsigned>(0, 3);
	if (f.at)
		f.prefix = fdp.ConsumeIntegralInRange<size_t>(0, 64);
	return f;
}

// A rendering checked against the snprintf-like contract every core
// renderer keeps: the full length whatever the size, a NUL-terminated cut
// text in a small buffer, and a text that fits in max.
template <typename Fn>
std::string checked_render(Fn fn, size_t max, const char *what)
{
	std::string buf(max, 'X');
	size_t len = fn(buf.data(), buf.size());
	MLC_FUZZ_CHECK(len < max, "%s: %zu bytes do not fit %zu", what, len, max);
	MLC_FUZZ_CHECK(buf[len] == '\0', "%s: not NUL-terminated", what);
	char small[7];
	std::memset(small, 'X', sizeof(small));
	size_t len2 = fn(small, sizeof(small));
	size_t cut = len < sizeof(small) - 1 ? len : sizeof(small) - 1;
	MLC_FUZZ_CHECK(len2 == len, "%s: %zu in a small buffer, %zu in a big one",
		       what, len2, len);
	MLC_FUZZ_CHECK(small[cut] == '\0' && std::memcmp(small, buf.data(), cut) == 0,
		       "%s: small buffer is not the cut text", what);
	buf.resize(len);
	return buf;
}

}  // namespace mlc::fuzz

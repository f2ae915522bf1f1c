// SPDX-License-Identifier: GPL-2.0
#include "emulator/random.hpp"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

namespace mlc {

void SystemRandom::fill(void *buf, size_t len)
{
	auto *p = static_cast<unsigned char *>(buf);
	while (len) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			std::memset(p, 0, len);	// cannot happen for small len
			return;
		}
		p += n;
		len -= static_cast<size_t>(n);
	}
}

uint64_t SeededRandom::next()
{
	uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void SeededRandom::fill(void *buf, size_t len)
{
	auto *p = static_cast<unsigned char *>(buf);
	while (len) {
		uint64_t v = next();
		size_t n = len < sizeof(v) ? len : sizeof(v);
		std::memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

}  // namespace mlc

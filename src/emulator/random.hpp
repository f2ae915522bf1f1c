// SPDX-License-Identifier: GPL-2.0
//
// Random bytes for the core (ml_lib's dataset extraction): the system's
// getrandom(2), or a seeded generator so tests are repeatable.
#pragma once

#include <cstdint>

#include "platform/user/host.hpp"

namespace mlc {

class SystemRandom final : public RandomSource {
public:
	void fill(void *buf, size_t len) override;
};

// splitmix64: tiny, well distributed, and the same on every platform.
class SeededRandom final : public RandomSource {
public:
	explicit SeededRandom(uint64_t seed) : state_(seed) {}
	void fill(void *buf, size_t len) override;
	uint64_t next();
	uint64_t state() const { return state_; }

private:
	uint64_t state_;
};

}  // namespace mlc

// SPDX-License-Identifier: GPL-2.0
//
// A test-local platform host for the ml_lib core: a frozen clock, a kernel
// log that keeps (level, text) in order, a chosen random source, and a
// caller address space made of one region filled with guard bytes, so a
// test sees every byte the core wrote and every byte it left alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "emulator/clock.hpp"
#include "emulator/random.hpp"
#include "platform/user/host.hpp"
#include "platform/user/region_memory.hpp"

extern "C" {
#include "core/ml_lib_model.h"
#include "core/ml_lib_test_dev.h"
#include "core/vfs_model.h"
}

namespace mlc_test {

struct LogLine {
	int level;
	std::string text;
	bool operator==(const LogLine &) const = default;
};

inline std::ostream &operator<<(std::ostream &os, const LogLine &l)
{
	return os << "<" << l.level << ">" << l.text;
}

inline LogLine err(std::string t) { return {MLC_KERN_ERR, std::move(t)}; }
inline LogLine info(std::string t) { return {MLC_KERN_INFO, std::move(t)}; }

class CaptureLog final : public mlc::KernelLogSink {
public:
	void printk(int level, std::string_view text) override
	{
		lines.push_back({level, std::string(text)});
	}
	// "<level>text\n" per line, the golden files' form.
	std::string raw() const
	{
		std::string s;
		for (const auto &l : lines)
			s += "<" + std::to_string(l.level) + ">" + l.text + "\n";
		return s;
	}
	std::vector<LogLine> lines;
};

// Always the same byte; counts the calls and the bytes asked for.
class FixedRandom final : public mlc::RandomSource {
public:
	explicit FixedRandom(uint8_t v) : value(v) {}
	void fill(void *buf, size_t len) override
	{
		calls++;
		bytes += len;
		std::memset(buf, value, len);
	}
	uint8_t value;
	int calls = 0;
	size_t bytes = 0;
};

constexpr std::byte kGuard{0xEE};

class TestHost {
public:
	// Addresses of the caller's one mapped region start here; anything
	// outside [kBase, kBase + size) faults.
	static constexpr mlc_uptr kBase = 0x10000;
	static constexpr mlc_uptr kUnmapped = 0x9000;	// below kBase

	explicit TestHost(size_t user_size = 8192)
		: clock_(1700000000), random_(std::make_unique<FixedRandom>(0x5A))
	{
		set_user_size(user_size);
	}

	// A new region of size bytes, all guard bytes.
	void set_user_size(size_t size)
	{
		mem_.assign(size, kGuard);
		region_ = std::make_unique<mlc::RegionMemory>(
			kBase, std::span<std::byte>(mem_.data(), mem_.size()));
	}

	void set_random(std::unique_ptr<mlc::RandomSource> r)
	{
		random_ = std::move(r);
	}
	mlc::RandomSource &random() { return *random_; }

	mlc_host *get()
	{
		host_.clock = &clock_;
		host_.klog = &log;
		host_.logfile = nullptr;
		host_.random = random_.get();
		host_.user = region_.get();
		return &host_;
	}

	mlc_uptr addr(size_t off) const { return kBase + off; }
	std::byte *bytes() { return mem_.data(); }
	size_t size() const { return mem_.size(); }
	size_t written_end() const { return region_->written_end(); }

	// Put bytes into the caller's memory at offset off.
	void poke(size_t off, const void *src, size_t len)
	{
		std::memcpy(mem_.data() + off, src, len);
	}
	void poke(size_t off, std::string_view s) { poke(off, s.data(), s.size()); }

	// Offsets of bytes that are not guard bytes.
	size_t count_not_guard() const
	{
		size_t n = 0;
		for (auto b : mem_)
			n += b != kGuard;
		return n;
	}

	CaptureLog log;

private:
	mlc::FixedClock clock_;
	std::unique_ptr<mlc::RandomSource> random_;
	std::vector<std::byte> mem_;
	std::unique_ptr<mlc::RegionMemory> region_;
	mlc_host host_;
};

inline std::string read_golden(const std::string &name)
{
	std::ifstream f(std::string(MLC_ML_LIB_GOLDEN_DIR) + "/" + name,
			std::ios::binary);
	if (!f)
		return "<missing golden file " + name + ">";
	return std::string(std::istreambuf_iterator<char>(f), {});
}

// A rendering as a string, checking the snprintf-like contract on the way.
template <typename Fn>
std::string render(Fn fn)
{
	char buf[ML_LIB_TEST_DEV_RENDER_MAX];
	std::memset(buf, 'X', sizeof(buf));
	size_t len = fn(buf, sizeof(buf));
	if (len >= sizeof(buf) || buf[len] != '\0')
		return "<bad rendering>";
	return std::string(buf, len);
}

}  // namespace mlc_test

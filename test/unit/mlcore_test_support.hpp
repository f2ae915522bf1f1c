// SPDX-License-Identifier: GPL-2.0
//
// Shared helpers of the mlcore unit tests: a clock the test drives, temp
// directories, guarded caller memory, a Device harness with short-hand
// ioctls, a core-level harness with recording sinks, and observations of
// everything an operation could change.
#pragma once

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "emulator/clock.hpp"
#include "emulator/device.hpp"
#include "emulator/kernel_log.hpp"
#include "emulator/log_file.hpp"
#include "emulator/random.hpp"
#include "platform/user/host.hpp"
#include "platform/user/region_memory.hpp"

extern "C" {
#include "core/mlcore_dev.h"
#include "core/seq_file_model.h"
}

namespace mlc::test {

// 2026-03-14 15:09:26 UTC.
inline constexpr int64_t kTestEpoch = 1773500966;

// ---------------------------------------------------------------------------
// Clock

// CLOCK_REALTIME under the test's control: set it, advance it, or let every
// read move it by `step` seconds.  Counts its realtime() reads.  The
// nanoseconds are 999999999 so that any rounding of the seconds shows.
class TestClock final : public Clock {
public:
	static constexpr int64_t kNsec = 999'999'999;
	static constexpr int64_t kBootNs = 1'234'567'891;

	explicit TestClock(int64_t sec = kTestEpoch, int64_t step = 0)
		: sec_(sec), step_(step)
	{
	}

	mlc_timespec realtime() const override
	{
		reads_.fetch_add(1);
		const int64_t sec = sec_.fetch_add(step_.load());
		if (yield_)
			std::this_thread::yield();
		return {sec, kNsec};
	}
	int64_t since_boot_ns() const override { return kBootNs; }

	void set(int64_t sec) { sec_ = sec; }
	void advance(int64_t seconds) { sec_ += seconds; }
	void set_step(int64_t step) { step_ = step; }
	// Yield the CPU inside every read: widens the window in which an
	// unserialised operation would be overtaken by another thread.
	void set_yield(bool yield) { yield_ = yield; }
	// The seconds the next realtime() read returns.
	int64_t now() const { return sec_; }
	uint64_t reads() const { return reads_; }

private:
	mutable std::atomic<int64_t> sec_;
	std::atomic<int64_t> step_;
	mutable std::atomic<uint64_t> reads_{0};
	std::atomic<bool> yield_{false};
};

// ---------------------------------------------------------------------------
// Files

class TempDir {
public:
	TempDir();
	~TempDir();
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;

	const std::string &path() const { return path_; }
	std::string file(std::string_view name) const
	{
		return path_ + "/" + std::string(name);
	}

private:
	std::string path_;
};

// The whole file, or nullopt when it cannot be opened.
std::optional<std::string> read_file(const std::string &path);
void write_file(const std::string &path, std::string_view text);
// lstat(2) of path, or nullopt.
std::optional<struct stat> lstat_of(const std::string &path);

// Sets the process umask for one scope.
class ScopedUmask {
public:
	explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
	~ScopedUmask() { ::umask(old_); }

private:
	mode_t old_;
};

std::vector<std::string> split_lines(std::string_view text);

// Runs fn in a child process as an unprivileged user (uid/gid 65534 when
// the test runs as root, else the test's own user) and returns what fn
// returned, or nullopt when the child could not run it.
std::optional<std::string> run_unprivileged(const std::function<std::string()> &fn);

// ---------------------------------------------------------------------------
// Caller memory

// A caller's buffer of `size` bytes at a fake user address, every byte set
// to `fill`, served through a RegionMemory: accesses outside it fault.
class GuardedRegion {
public:
	static constexpr mlc_uptr kBase = 0x7f12'3456'0000;
	static constexpr std::byte kFill{0xAA};

	explicit GuardedRegion(size_t size, std::byte fill = kFill)
		: bytes_(size, fill), fill_(fill), mem_(kBase, bytes_)
	{
	}
	GuardedRegion(const GuardedRegion &) = delete;
	GuardedRegion &operator=(const GuardedRegion &) = delete;

	mlc_uptr at(size_t offset) const { return kBase + offset; }
	RegionMemory &mem() { return mem_; }
	size_t written_end() const { return mem_.written_end(); }
	size_t size() const { return bytes_.size(); }
	const std::vector<std::byte> &bytes() const { return bytes_; }

	void put(size_t offset, const void *data, size_t len)
	{
		std::memcpy(bytes_.data() + offset, data, len);
	}
	template <class T> void put(size_t offset, const T &value)
	{
		put(offset, &value, sizeof(value));
	}
	template <class T> T get(size_t offset) const
	{
		T value;
		std::memcpy(&value, bytes_.data() + offset, sizeof(value));
		return value;
	}
	// True when every byte outside [offset, offset + len) still holds the
	// fill byte.
	::testing::AssertionResult guards_intact(size_t offset, size_t len) const;

private:
	std::vector<std::byte> bytes_;
	std::byte fill_;
	RegionMemory mem_;
};

// One access the core made to the caller's memory.
struct Access {
	enum Kind { kFrom, kTo } kind;
	mlc_uptr addr;
	size_t len;
	bool operator==(const Access &) const = default;
};
std::ostream &operator<<(std::ostream &os, const Access &a);

// Records every access, then forwards it.
class RecordingMemory final : public UserMemory {
public:
	explicit RecordingMemory(UserMemory &inner) : inner_(inner) {}
	size_t copy_from(void *dst, mlc_uptr src, size_t len) override
	{
		accesses.push_back({Access::kFrom, src, len});
		return inner_.copy_from(dst, src, len);
	}
	size_t copy_to(mlc_uptr dst, const void *src, size_t len) override
	{
		accesses.push_back({Access::kTo, dst, len});
		return inner_.copy_to(dst, src, len);
	}
	std::vector<Access> accesses;

private:
	UserMemory &inner_;
};

// ---------------------------------------------------------------------------
// Entries

inline train_entry entry(int32_t a, int32_t b, int32_t c, int32_t label)
{
	train_entry e{};
	e.features[0] = a;
	e.features[1] = b;
	e.features[2] = c;
	e.label = label;
	return e;
}

// ---------------------------------------------------------------------------
// Observations: everything an operation on a Device could change.

struct Observation {
	mlcore_dev state;
	std::string result;
	std::string train;
	uint64_t klog_next_seq;
	std::optional<std::string> logfile;
	uint64_t clock_reads;
};

// Success when a and b agree in every part; else names the parts that
// differ.
::testing::AssertionResult Unchanged(const Observation &before,
				     const Observation &after);

// ---------------------------------------------------------------------------
// Device harness

// A LocalDevice with a TestClock and a log file in a fresh temp directory
// (or at log_path when given).
class DeviceHarness {
public:
	explicit DeviceHarness(std::optional<std::string> log_path = std::nullopt,
			       int64_t start_sec = kTestEpoch, int64_t step = 0);

	Device &dev() { return **device_; }
	TestClock &clock() { return *clock_; }
	const TempDir &dir() const { return dir_; }
	const std::string &log_path() const { return log_path_; }

	// The ioctl with arg pointing into this process (LocalMemory).
	long ioctl(unsigned int cmd, void *arg) { return dev().mlcore_ioctl(cmd, arg); }
	long ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
	{
		return dev().mlcore_ioctl(cmd, arg, mem);
	}

	long send_ints(int32_t a, int32_t b, int32_t c);
	long set_result(int32_t value);
	long add_training(const train_entry &e);
	long clear_training();
	// GET_RESULT, asserting it returns 0.
	int32_t get_result();

	// The kernel log lines of the module load, as "<level>text".  The
	// instance loads every device it hosts, so lines of other devices are
	// among them.
	const std::vector<std::string> &load_lines() const { return load_lines_; }
	// Every kernel log line since load (the load lines excluded).
	std::vector<std::string> klog_lines();
	// The lines logged since the previous call of take_klog() (or load).
	std::vector<std::string> take_klog();
	uint64_t klog_next_seq();

	std::optional<std::string> logfile() const { return read_file(log_path_); }
	Observation observe();

private:
	TempDir dir_;
	std::string log_path_;
	TestClock *clock_;
	std::unique_ptr<LocalDevice> device_;
	uint64_t load_end_seq_ = 0;
	uint64_t taken_seq_ = 0;
	std::vector<std::string> load_lines_;
};

// ---------------------------------------------------------------------------
// Core harness: the C core with recording sinks, no emulator around it.

class CoreHarness {
public:
	CoreHarness();

	mlcore_dev dev;
	TestClock clock;
	// Every printk ("<level>text") and log-file append ("file:text"), in
	// the order the core made them.
	std::vector<std::string> events;
	// What append() returns (MLC_LOGFILE_*).
	int logfile_result = MLC_LOGFILE_OK;

	mlc_host host(UserMemory *mem = nullptr);
	long ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
	{
		mlc_host h = host(&mem);
		return mlcore_dev_ioctl(&dev, &h, cmd, arg);
	}

private:
	class Klog final : public KernelLogSink {
	public:
		explicit Klog(std::vector<std::string> &events) : events_(events) {}
		void printk(int level, std::string_view text) override;

	private:
		std::vector<std::string> &events_;
	};
	class File final : public LogFileSink {
	public:
		File(std::vector<std::string> &events, const int &result)
			: events_(events), result_(result)
		{
		}
		int append(std::string_view text) override;

	private:
		std::vector<std::string> &events_;
		const int &result_;
	};

	Klog klog_;
	File file_;
};

// ---------------------------------------------------------------------------
// seq_file readers

// show() of a seq_file over a Device's proc files (priv is the Device).
size_t show_mlcore_result(void *device, char *buf, size_t size);
size_t show_mlcore_train(void *device, char *buf, size_t size);

// One open file description of a seq_file (the model), with read(2),
// pread(2) and lseek(2).  Every read goes to a fresh guarded buffer of
// exactly the size asked for, and checks that nothing past the returned
// count was written.
class SeqReader {
public:
	SeqReader(mlc_seq_show_fn show, void *priv);

	// read(2) of n bytes; the bytes read are appended to *out.
	long read(size_t n, std::string *out = nullptr);
	// pread(2) at *pos (the file position is not used).
	long pread(size_t n, int64_t *pos, std::string *out = nullptr);
	int64_t lseek(int64_t offset, int whence)
	{
		return mlc_seq_lseek(m_.get(), offset, whence);
	}
	int64_t pos() const { return m_->f_pos; }
	// Reads n bytes at a time until a read returns 0 (or fails).
	std::string read_to_end(size_t n);

	// The read into an arbitrary destination of the caller's memory.
	long read_into(UserMemory &mem, mlc_uptr dst, size_t n)
	{
		mlc_host host;
		host.user = &mem;
		return mlc_seq_read_at_fpos(m_.get(), &host, dst, n);
	}

private:
	long read_at(size_t n, int64_t *pos, std::string *out);

	std::unique_ptr<mlc_seq_file> m_;
};

}  // namespace mlc::test

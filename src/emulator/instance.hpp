// SPDX-License-Identifier: GPL-2.0
//
// A named instance: one emulated machine whose whole device state lives in
// a shared-memory segment (Boost.Interprocess), so every door and every
// process sees one device and the crash of any one of them loses nothing.
//
//   segment   /dev/shm/mlcore-emu.<uid>.<name>, mode 0600, fixed layout
//             (InstanceSegment, then the kernel log ring's storage, of the
//             size the instance was created with) with a magic and a
//             layout version; a segment of another layout is refused,
//             never misread
//   lock      a robust process-shared mutex inside the segment
//   state dir per instance, 0700: the log file (mlcore.log) and the
//             registry of the mounts serving it
//   clock     real, or frozen at an epoch second, chosen per instance and
//             kept in the segment so every process agrees
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/interprocess/mapped_region.hpp>

#include "emulator/clock.hpp"
#include "emulator/device.hpp"

namespace mlc {

// Bump whenever InstanceSegment (or anything inside it) changes shape.
// 3: + closed loop (mlloop); 4: + loop v2 policies; 5: + its workload trace;
// 6: + the lock's owner, the shown copies; 7: + the undo journal;
// 8: the kernel log a byte ring (printk's) of the instance's size, its
// storage after InstanceSegment.
constexpr uint32_t kSegmentLayoutVersion = 8;
constexpr uint64_t kSegmentMagic = 0x31554d4545524f43ULL;  // "COREEMU1"

struct InstanceHeader {
	uint64_t magic;			// written last, once initialised
	uint32_t layout_version;
	uint32_t reserved;
	uint64_t segment_size;		// sizeof(InstanceSegment) + the ring's storage
	int64_t created_realtime_sec;
	int64_t boot_monotonic_ns;	// dmesg time zero
	uint32_t clock_fixed;		// 1: frozen at clock_epoch_sec
	uint32_t reserved2;
	int64_t clock_epoch_sec;
	uint32_t seeded;		// 1: random bytes from rng_state
	uint32_t reserved3;
	uint64_t seed;			// what rng_state restarts from at reset
	uint64_t rng_state;		// advanced under the instance lock
};

struct InstanceSegment {
	InstanceHeader header;
	DeviceState devices;
};
static_assert(std::is_standard_layout_v<InstanceSegment>);

class InstanceError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

// The segment at the instance's name is not this user's private object:
// never attached, never removed (another user may have planted it).
class ForeignSegmentError : public InstanceError {
public:
	using InstanceError::InstanceError;
};

struct InstanceOptions {
	// Applied when the instance is created, or when given explicitly.
	std::optional<ClockSpec> clock;
	// Seed for the core's random bytes, kept in the segment so every
	// process draws from one sequence; system randomness when absent.
	// Given for an existing instance with another seed: a new boot.
	std::optional<uint64_t> seed;
	// The kernel log ring's size in bytes, as the kernel's log_buf_len=
	// (rounded up to a power of two, 4 KiB .. 32 MiB; 128 KiB, Debian's
	// CONFIG_LOG_BUF_SHIFT=17, when absent).  Fixed when the instance is
	// created: another size for an existing instance is an error.
	std::optional<uint64_t> log_buf_size;
};

class Instance {
public:
	// Names are 1..64 of [A-Za-z0-9._-], not starting with '.'.
	static bool valid_name(const std::string &name);

	// Opens the named instance, creating it (and loading its devices) if
	// it does not exist.
	static std::unique_ptr<Instance> open_or_create(const std::string &name,
							const InstanceOptions &opts = {});
	// Opens an existing instance; InstanceError when there is none.
	static std::unique_ptr<Instance> open_existing(const std::string &name);
	// Names of this user's instances.
	static std::vector<std::string> list();
	// "131072", "128K", "1M" (memparse's suffixes, as log_buf_len= takes
	// them) into bytes in range; InstanceError for anything else.
	static uint64_t parse_log_buf_size(const std::string &text);
	// Removes the segment and the state directory (even of another layout).
	static bool remove(const std::string &name);

	static std::string segment_name(const std::string &name);
	static std::filesystem::path state_dir_of(const std::string &name);

	~Instance();

	const std::string &name() const { return name_; }
	Device &device() { return *device_; }
	const InstanceHeader &header() const { return segment_->header; }
	ClockSpec clock_spec() const;
	std::filesystem::path state_dir() const { return state_dir_of(name_); }
	std::filesystem::path log_path() const { return state_dir() / "mlcore.log"; }

	// The kernel log ring's size in bytes.
	uint64_t log_buf_size() const;

	// The seed of the core's random bytes, if the instance is seeded.
	std::optional<uint64_t> seed() const;

	// Module unload + load: every device back to its load-time state, in
	// place, so mounted doors keep serving.  Optionally a new clock or
	// seed; a seeded instance's random sequence restarts from its seed.
	void reset(const std::optional<ClockSpec> &clock = std::nullopt,
		   const std::optional<uint64_t> &seed = std::nullopt);

private:
	Instance(std::string name, boost::interprocess::mapped_region region);
	void attach_device();

	std::string name_;
	boost::interprocess::mapped_region region_;
	InstanceSegment *segment_;
	std::unique_ptr<Device> device_;
};

}  // namespace mlc

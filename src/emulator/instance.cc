// SPDX-License-Identifier: GPL-2.0
#include "emulator/instance.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <boost/interprocess/shared_memory_object.hpp>
#include <fmt/format.h>

extern "C" {
#include "core/mlc_state_check.h"
}

namespace bip = boost::interprocess;
namespace fs = std::filesystem;

namespace mlc {

namespace {

constexpr const char *kSegmentPrefix = "mlcore-emu.";

std::string uid_prefix()
{
	return fmt::format("{}{}.", kSegmentPrefix, getuid());
}

// Where instance state directories live: $MLCORE_EMU_STATE_DIR, else
// $XDG_RUNTIME_DIR/mlcore-emu, else /tmp/mlcore-emu-<uid>.
fs::path state_root()
{
	if (const char *dir = getenv("MLCORE_EMU_STATE_DIR"); dir && *dir)
		return dir;
	if (const char *dir = getenv("XDG_RUNTIME_DIR"); dir && *dir)
		return fs::path(dir) / "mlcore-emu";
	return fmt::format("/tmp/mlcore-emu-{}", getuid());
}

// mkdir 0700, refusing anything at the path that is not our own directory
// (a symlink or another user's directory planted in /tmp).  An existing
// directory is never chmod'ed: the state root may be a shared one the user
// chose ($MLCORE_EMU_STATE_DIR=/tmp), and an instance's own directory that
// others can enter was not made by us, so it is refused.
enum class DirUse { StateRoot, InstanceDir };

void make_private_dir(const fs::path &dir, DirUse use)
{
	if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
		throw InstanceError(fmt::format("cannot create {}: {}", dir.string(),
						strerror(errno)));
	struct stat st;
	if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != getuid())
		throw InstanceError(fmt::format(
			"{} is not a directory owned by uid {}; remove it or set "
			"MLCORE_EMU_STATE_DIR", dir.string(), getuid()));
	if (use == DirUse::InstanceDir && (st.st_mode & 077) != 0)
		throw InstanceError(fmt::format(
			"{} is open to other users (mode {:04o}); an instance's "
			"directory must be 0700: remove it or `chmod 700` it",
			dir.string(), st.st_mode & 07777));
}

// Waits for the creator to finish initialising a segment it just made.
bool wait_initialised(const InstanceHeader &h)
{
	auto magic = [&] {
		return std::atomic_ref<const uint64_t>(h.magic).load(
			std::memory_order_acquire);
	};
	for (int i = 0; i < 2000 && magic() == 0; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(1));
	return magic() != 0;
}

// The bytes the kernel log's storage of a ring of 2^shift bytes adds.
size_t segment_bytes(uint32_t shift)
{
	return sizeof(InstanceSegment) + kernel_log_storage_bytes(shift);
}

uint32_t log_buf_shift_of(uint64_t bytes)
{
	std::optional<uint32_t> shift = log_buf_shift_for(bytes);
	if (!shift)
		throw InstanceError(fmt::format(
			"kernel log size {} is out of range: give {} to {} bytes "
			"(rounded up to a power of two, as log_buf_len=)", bytes,
			uint64_t{1} << kLogBufShiftMin, uint64_t{1} << kLogBufShiftMax));
	return *shift;
}

void check_layout(const std::string &name, const bip::mapped_region &region)
{
	if (region.get_size() < sizeof(InstanceHeader))
		throw InstanceError(fmt::format(
			"instance '{}' has a segment too small to be ours; "
			"run `mlcore-emu reset --instance {}`", name, name));
	const auto &h = *static_cast<const InstanceHeader *>(region.get_address());
	if (!wait_initialised(h))
		throw InstanceError(fmt::format(
			"instance '{}' was never initialised (its creator died?); "
			"run `mlcore-emu reset --instance {}`", name, name));
	// The ring's shift sizes the rest: read once, from a segment at least
	// as big as the fixed part.
	uint32_t shift = 0;
	if (region.get_size() >= sizeof(InstanceSegment))
		shift = std::atomic_ref<const uint32_t>(
			static_cast<const InstanceSegment *>(region.get_address())
				->devices.klog.shift).load(std::memory_order_relaxed);
	bool shift_ok = shift >= kLogBufShiftMin && shift <= kLogBufShiftMax;
	if (h.magic != kSegmentMagic || h.layout_version != kSegmentLayoutVersion ||
	    !shift_ok || h.segment_size != segment_bytes(shift) ||
	    region.get_size() < segment_bytes(shift))
		throw InstanceError(fmt::format(
			"instance '{}' has segment layout {} (size {}), this mlcore-emu "
			"uses layout {} (size {}); it was made by another version. Run "
			"`mlcore-emu reset --instance {}` to recreate it (its state is lost)",
			name, h.magic == kSegmentMagic ? std::to_string(h.layout_version)
						       : std::string("unknown"),
			h.segment_size, kSegmentLayoutVersion,
			shift_ok ? std::to_string(segment_bytes(shift))
				 : fmt::format("{} + the kernel log's",
					       sizeof(InstanceSegment)),
			name));
}

// The kernel log's storage in a checked segment.
std::span<std::byte> klog_storage(const bip::mapped_region &region)
{
	auto *base = static_cast<std::byte *>(region.get_address());
	const auto *seg = reinterpret_cast<const InstanceSegment *>(base);
	return {base + sizeof(InstanceSegment), kernel_log_storage_bytes(seg->devices.klog.shift)};
}

// A segment is used only if it is this user's alone: a regular object
// (shm_open opens with O_NOFOLLOW, so never through a symlink), owned by
// the caller, with no group or other permission bits.  Another local user
// can create /dev/shm/mlcore-emu.<victim uid>.NAME first; attaching that
// would hand them the victim's device state and let them plant indices.
void check_owner(const std::string &seg, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		throw InstanceError(fmt::format("cannot stat /dev/shm/{}: {}", seg,
						strerror(errno)));
	if (!S_ISREG(st.st_mode) || st.st_uid != getuid() || (st.st_mode & 077))
		throw ForeignSegmentError(fmt::format(
			"/dev/shm/{} is not this user's private segment (owner uid "
			"{}, mode {:04o}; want uid {}, mode 0600): refusing it. Its "
			"owner or root must remove it", seg, st.st_uid,
			st.st_mode & 07777, getuid()));
}

// Every index and count stored in the segment, checked before any use:
// nullptr, or the first field out of range.
const char *state_problem(const InstanceSegment &s, const KernelLogBuffer &klog)
{
	const DeviceState &d = s.devices;
	const char *bad = mlcore_dev_check(&d.mlcore);
	if (!bad)
		bad = ml_lib_test_dev_check(&d.mllib);
	if (!bad)
		bad = ml_loop_dev_check(&d.mlloop);
	if (!bad)
		bad = klog.check();
	// An operation's undo journal left by a dead process is copied back
	// by the next locker: it is checked the same way.
	const OpJournal &j = d.journal;
	if (!bad && j.active) {
		if ((j.touches & kTouchMlcore) && mlcore_dev_check(&j.mlcore))
			bad = "journal.mlcore";
		else if ((j.touches & kTouchMllib) && ml_lib_test_dev_check(&j.mllib))
			bad = "journal.mllib";
		else if ((j.touches & kTouchMlloop) && ml_loop_dev_check(&j.mlloop))
			bad = "journal.mlloop";
		else
			bad = j.klog.check();
	}
	return bad;
}

void refuse_damaged(const std::string &name, const char *bad)
{
	throw InstanceError(fmt::format(
		"instance '{}': /dev/shm/{} is damaged ({} out of range); "
		"run `mlcore-emu reset --instance {}` to recreate it (its "
		"state is lost)", name, Instance::segment_name(name), bad, name));
}

template <typename T>
T load(const T &field)
{
	return std::atomic_ref<const T>(field).load(std::memory_order_relaxed);
}

template <typename T>
void store(T &field, T value)
{
	std::atomic_ref<T>(field).store(value, std::memory_order_relaxed);
}

// The instance's clock as its segment says at each reading, so that a
// `reset --clock` in one process reaches every process at its next call.
class SegmentClock final : public Clock {
public:
	explicit SegmentClock(const InstanceHeader &h) : h_(h) {}

	mlc_timespec realtime() const override
	{
		if (load(h_.clock_fixed))
			return {load(h_.clock_epoch_sec), 0};
		return real_.realtime();
	}

	int64_t since_boot_ns() const override
	{
		if (load(h_.clock_fixed))
			return 0;
		return monotonic_now_ns() - load(h_.boot_monotonic_ns);
	}

private:
	const InstanceHeader &h_;
	RealClock real_;
};

// The core's random bytes: one seeded sequence kept in the segment (so two
// mounts or two preloaded processes of one seeded instance never repeat
// each other's bytes), or the system's when the instance is not seeded.
// Every draw happens inside a core call, under the instance lock.
class SegmentRandom final : public RandomSource {
public:
	explicit SegmentRandom(InstanceHeader &h) : h_(h) {}

	void fill(void *buf, size_t len) override
	{
		if (!load(h_.seeded)) {
			system_.fill(buf, len);
			return;
		}
		SeededRandom rng(h_.rng_state);
		rng.fill(buf, len);
		h_.rng_state = rng.state();
	}

private:
	InstanceHeader &h_;
	SystemRandom system_;
};

void set_seed(InstanceHeader &h, const std::optional<uint64_t> &seed)
{
	h.seeded = seed.has_value();
	h.seed = seed.value_or(0);
	h.rng_state = h.seed;
}

}  // namespace

bool Instance::valid_name(const std::string &name)
{
	if (name.empty() || name.size() > 64 || name[0] == '.')
		return false;
	for (char c : name)
		if (!isalnum(static_cast<unsigned char>(c)) && c != '.' &&
		    c != '_' && c != '-')
			return false;
	return true;
}

std::string Instance::segment_name(const std::string &name)
{
	return uid_prefix() + name;
}

fs::path Instance::state_dir_of(const std::string &name)
{
	return state_root() / name;
}

Instance::Instance(std::string name, bip::mapped_region region)
	: name_(std::move(name)),
	  region_(std::move(region)),
	  segment_(static_cast<InstanceSegment *>(region_.get_address()))
{
	attach_device();
}

Instance::~Instance() = default;

ClockSpec Instance::clock_spec() const
{
	return ClockSpec{load(segment_->header.clock_fixed) != 0,
			 load(segment_->header.clock_epoch_sec)};
}

uint64_t Instance::log_buf_size() const
{
	return uint64_t{1} << device_->kernel_log_buffer().shift();
}

uint64_t Instance::parse_log_buf_size(const std::string &text)
{
	size_t end = 0;
	uint64_t n = 0;
	bool ok = !text.empty() && isdigit(static_cast<unsigned char>(text[0]));
	if (ok) {
		try {
			n = std::stoull(text, &end, 0);
		} catch (const std::exception &) {
			ok = false;
		}
	}
	unsigned shift = 0;
	if (ok && end + 1 == text.size()) {
		switch (text[end]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		default: ok = false;
		}
	} else if (ok && end != text.size()) {
		ok = false;
	}
	if (!ok || (shift && n > (UINT64_MAX >> shift)))
		throw InstanceError(fmt::format(
			"invalid kernel log size '{}': give bytes, optionally with "
			"K, M or G (e.g. 131072 or 128K)", text));
	(void)log_buf_shift_of(n << shift);	// in range
	return n << shift;
}

std::optional<uint64_t> Instance::seed() const
{
	if (!load(segment_->header.seeded))
		return std::nullopt;
	return load(segment_->header.seed);
}

void Instance::attach_device()
{
	DeviceServices services =
		DeviceServices::make(clock_spec(), log_path().string());
	services.clock = std::make_unique<SegmentClock>(segment_->header);
	services.random = std::make_unique<SegmentRandom>(segment_->header);
	device_ = std::make_unique<Device>(segment_->devices, klog_storage(region_),
					   std::move(services), name_);
}

std::unique_ptr<Instance> Instance::open_or_create(const std::string &name,
						   const InstanceOptions &opts)
{
	if (!valid_name(name))
		throw InstanceError(fmt::format(
			"invalid instance name '{}': use 1 to 64 of A-Z a-z 0-9 . _ - "
			"(not starting with '.')", name));
	uint32_t shift = log_buf_shift_of(opts.log_buf_size.value_or(
		uint64_t{1} << kLogBufShiftDefault));
	make_private_dir(state_root(), DirUse::StateRoot);
	make_private_dir(state_dir_of(name), DirUse::InstanceDir);

	const std::string seg = segment_name(name);
	bip::permissions perm(0600);
	try {
		bip::shared_memory_object shm(bip::create_only, seg.c_str(),
					      bip::read_write, perm);
		shm.truncate(static_cast<bip::offset_t>(segment_bytes(shift)));
		bip::mapped_region region(shm, bip::read_write);
		auto *s = static_cast<InstanceSegment *>(region.get_address());
		std::memset(static_cast<void *>(s), 0, sizeof(*s));
		std::span<std::byte> storage(static_cast<std::byte *>(region.get_address()) +
						     sizeof(InstanceSegment),
					     kernel_log_storage_bytes(shift));
		ClockSpec clock = opts.clock.value_or(ClockSpec{});
		s->header.layout_version = kSegmentLayoutVersion;
		s->header.segment_size = segment_bytes(shift);
		s->header.created_realtime_sec = RealClock().realtime().tv_sec;
		s->header.boot_monotonic_ns = monotonic_now_ns();
		s->header.clock_fixed = clock.fixed;
		s->header.clock_epoch_sec = clock.epoch_sec;
		set_seed(s->header, opts.seed);
		init_device_state(s->devices, storage, shift);

		std::unique_ptr<Instance> inst(new Instance(name, std::move(region)));
		inst->device().load();
		std::atomic_ref<uint64_t>(s->header.magic)
			.store(kSegmentMagic, std::memory_order_release);
		return inst;
	} catch (const bip::interprocess_exception &e) {
		if (e.get_error_code() != bip::already_exists_error)
			throw InstanceError(fmt::format(
				"cannot create shared memory /dev/shm/{}: {}", seg,
				e.what()));
	}

	// An explicit clock or seed that differs from the instance's is a new
	// boot: the devices are reloaded with it.
	auto inst = open_existing(name);
	if (opts.log_buf_size && inst->log_buf_size() != (uint64_t{1} << shift))
		throw InstanceError(fmt::format(
			"instance '{}' has a {}-byte kernel log; its size is fixed when "
			"it is created: `mlcore-emu rm {}` first to make one of {} bytes",
			name, inst->log_buf_size(), name, uint64_t{1} << shift));
	bool new_clock = opts.clock &&
			 opts.clock->to_string() != inst->clock_spec().to_string();
	bool new_seed = opts.seed && opts.seed != inst->seed();
	if (new_clock || new_seed)
		inst->reset(new_clock ? opts.clock : std::nullopt,
			    new_seed ? opts.seed : std::nullopt);
	return inst;
}

std::unique_ptr<Instance> Instance::open_existing(const std::string &name)
{
	if (!valid_name(name))
		throw InstanceError(fmt::format("invalid instance name '{}'", name));
	const std::string seg = segment_name(name);
	try {
		bip::shared_memory_object shm(bip::open_only, seg.c_str(),
					      bip::read_write);
		check_owner(seg, shm.get_mapping_handle().handle);
		bip::mapped_region region(shm, bip::read_write);
		check_layout(name, region);
		const auto *seg = static_cast<const InstanceSegment *>(region.get_address());
		// Read without the lock, so possibly inside another process's
		// operation, or after one that died inside it: a problem is
		// looked at again under the lock, the dead one's operation
		// undone first (device_state.hpp).
		// The lock first: a damaged one is never taken.
		if (const char *bad = seg->devices.lock.check())
			refuse_damaged(name, bad);
		std::unique_ptr<Instance> inst(new Instance(name, std::move(region)));
		const KernelLogBuffer &klog = inst->device().kernel_log_buffer();
		const char *bad = state_problem(*seg, klog);
		if (bad)
			bad = inst->device().under_lock([&] { return state_problem(*seg, klog); });
		if (bad)
			refuse_damaged(name, bad);
		return inst;
	} catch (const bip::interprocess_exception &e) {
		if (e.get_error_code() == bip::not_found_error)
			throw InstanceError(fmt::format(
				"no instance named '{}' (see `mlcore-emu list`; "
				"`mlcore-emu serve` creates it)", name));
		throw InstanceError(fmt::format("cannot open instance '{}': {}",
						name, e.what()));
	}
}

std::vector<std::string> Instance::list()
{
	std::vector<std::string> names;
	const std::string prefix = uid_prefix();
	std::error_code ec;
	for (const auto &entry : fs::directory_iterator("/dev/shm", ec)) {
		std::string file = entry.path().filename().string();
		if (file.rfind(prefix, 0) == 0)
			names.push_back(file.substr(prefix.size()));
	}
	std::sort(names.begin(), names.end());
	return names;
}

bool Instance::remove(const std::string &name)
{
	if (!valid_name(name))
		return false;
	// Never another user's object, even one planted under our name (root
	// could unlink it from the sticky /dev/shm; nobody else can).
	struct stat st;
	const std::string path = "/dev/shm/" + segment_name(name);
	if (lstat(path.c_str(), &st) == 0 && st.st_uid != getuid())
		return false;
	bool removed = bip::shared_memory_object::remove(segment_name(name).c_str());
	std::error_code ec;
	fs::remove(state_dir_of(name) / "mlcore.log", ec);
	return removed;
}

void Instance::reset(const std::optional<ClockSpec> &clock,
		     const std::optional<uint64_t> &seed)
{
	InstanceHeader &h = segment_->header;
	// Under the instance lock, before the devices load again: the new
	// boot's clock (read by every process's SegmentClock at its next call)
	// and the random sequence, restarted from the seed.
	device_->reload([&] {
		if (clock) {
			store(h.clock_epoch_sec, clock->epoch_sec);
			store(h.boot_monotonic_ns, monotonic_now_ns());
			store(h.clock_fixed, static_cast<uint32_t>(clock->fixed));
		}
		if (seed)
			set_seed(h, seed);
		else
			h.rng_state = h.seed;
	});
}

}  // namespace mlc

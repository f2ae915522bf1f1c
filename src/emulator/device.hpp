// SPDX-License-Identifier: GPL-2.0
//
// The C++ API over the core that every door uses: one emulated machine's
// devices, their services, and operations that take the lock, call the core
// and return what it returned, nothing more.
//
//   Device      operations over a DeviceState that lives elsewhere
//               (shared memory, for the instance service)
//   LocalDevice a Device that owns its state in this process (tests, tools)
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "emulator/clock.hpp"
#include "emulator/device_state.hpp"
#include "emulator/log_file.hpp"
#include "emulator/random.hpp"

namespace mlc {

// The services an operation may need, owned by whoever opened the device.
struct DeviceServices {
	std::unique_ptr<Clock> clock;
	std::unique_ptr<LogFile> logfile;
	std::unique_ptr<RandomSource> random;

	// The given clock, system randomness unless seeded, the log file at
	// log_path ("" = a log file that cannot be opened: every SET_RESULT
	// then logs the driver's "Failed to open log file." line, as the
	// driver does when /var/log is not writable).
	static DeviceServices make(const ClockSpec &clock, std::string log_path,
				   std::optional<uint64_t> seed = std::nullopt);
};

// A blank state with an initialised lock and an empty kernel log of
// 2^log_buf_shift bytes over klog_storage (kernel_log_storage_bytes()).
void init_device_state(DeviceState &state, std::span<std::byte> klog_storage,
		       uint32_t log_buf_shift = kLogBufShiftDefault);

class Device {
public:
	// klog_storage: the kernel log ring's descriptors and text, where the
	// state's owner keeps them (after the segment's InstanceSegment).
	// name: the instance's, for the line a writer prints when the lock's
	// owner is stopped ("instance 'NAME'", robust_mutex.hpp).
	Device(DeviceState &state, std::span<std::byte> klog_storage,
	       DeviceServices services, std::string name = "local");

	// Module load: reset every device to its load-time state and print the
	// load lines.  Done once when the state is created.
	void load();
	// Module unload then load, in place under the lock (mlcore-emu reset);
	// between_boots runs under the lock after the unload.
	void reload(const std::function<void()> &between_boots = {});

	// mlcore unlocked_ioctl with the caller's memory.
	long mlcore_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem);
	// The same with arg pointing into this process's own memory.
	long mlcore_ioctl(unsigned int cmd, void *arg);

	// Proc file texts.  Renderings never take the lock: they render the
	// state of the last whole locked section or a later one
	// (device_state.hpp), so a stopped or dead writer never blocks them.
	std::string render_mlcore_result();
	std::string render_mlcore_train();
	size_t render_mlcore_result(char *buf, size_t size);
	size_t render_mlcore_train(char *buf, size_t size);

	// The ml_lib test driver (/dev/mllibdev).  Offsets belong to the
	// caller's open file; the device only reads and advances *pos.
	void mllib_open();
	void mllib_release();
	long mllib_read(mlc_uptr dst, size_t count, int64_t *pos, UserMemory &mem);
	long mllib_write(mlc_uptr src, size_t count, int64_t *pos, UserMemory &mem);
	long mllib_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem);
	// A write(2) to ml_model1's sysfs `control` (page-cut, NUL-terminated).
	long mllib_control_write(mlc_uptr src, size_t count, UserMemory &mem);
	// /proc/mllibdev or one of the device's sysfs attributes, rendered by
	// one of the core's renderers, without the lock (as above).
	using MllibRenderFn = size_t (*)(const ml_lib_test_dev *, char *, size_t);
	size_t render_mllib(MllibRenderFn render, char *buf, size_t size);
	ml_lib_test_dev mllib_snapshot();

	// The closed loop (/dev/mlloop, docs/closed-loop.md): a stream, so no
	// position.  read/write/ioctl of the device, a write(2) to
	// ml_readahead's `control`, and its attributes rendered without the
	// lock (as above).  A `step N` runs one epoch per locked section.
	long mlloop_read(mlc_uptr dst, size_t count, UserMemory &mem);
	long mlloop_write(mlc_uptr src, size_t count, UserMemory &mem);
	long mlloop_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem);
	long mlloop_control_write(mlc_uptr src, size_t count, UserMemory &mem);
	// A write(2) at *pos to ml_readahead's binary attribute `workload`.
	long mlloop_workload_write(mlc_uptr src, size_t count, int64_t pos,
				   UserMemory &mem);
	using MlloopRenderFn = size_t (*)(const ml_loop_dev *, char *, size_t);
	size_t render_mlloop(MlloopRenderFn render, char *buf, size_t size);
	ml_loop_dev mlloop_snapshot();

	// Kernel log records with seq >= from (at most max), read without the
	// lock.
	std::vector<KernelLogRecord> kernel_log(uint64_t from = 0, size_t max = SIZE_MAX);
	// The kernel log ring (for status and tests).
	const KernelLogBuffer &kernel_log_buffer() const { return klog_; }

	// A copy of the state, for tests (taken under the lock).
	mlcore_dev mlcore_snapshot();
	// What mlcore's proc files show (everything but the last features),
	// without the lock: for status.
	mlcore_dev mlcore_shown();

	const DeviceServices &services() const { return services_; }

	// fn() under the lock, after undoing an operation whose process died
	// inside it (the attach-time check of a segment, instance.cc).
	const char *under_lock(const std::function<const char *()> &fn);

private:
	class Call;
	// Under the lock: undo an operation whose process died inside it,
	// then bring the shown copies back to the devices if the lock's owner
	// died (robust_mutex.hpp).
	void recover(bool owner_died);
	// A lockless reader's look for a dead section's owner (never waits).
	void reap_dead_writer(uint64_t seq);
	// Which devices' shown copies a section changes (device_state.hpp).
	enum Touches : unsigned { kMlcore = 1, kMllib = 2, kMlloop = 4, kAll = 7 };

	DeviceState &state_;
	KernelLogBuffer klog_;
	DeviceServices services_;
	std::string lock_what_;		// "instance 'NAME'"
};

class LocalDevice {
public:
	explicit LocalDevice(DeviceServices services,
			     uint32_t log_buf_shift = kLogBufShiftDefault);
	Device &operator*() { return device_; }
	Device *operator->() { return &device_; }

private:
	std::vector<std::byte> klog_storage_;
	std::unique_ptr<DeviceState> state_;
	Device device_;
};

// Memory of this very process, for callers that pass real pointers.
// Addresses in the first page (NULL, (void *)16) fault as in the kernel;
// any other address is trusted to be mapped.
class LocalMemory final : public UserMemory {
public:
	size_t copy_from(void *dst, mlc_uptr src, size_t len) override;
	size_t copy_to(mlc_uptr dst, const void *src, size_t len) override;
};

}  // namespace mlc

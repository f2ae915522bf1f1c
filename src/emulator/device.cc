// SPDX-License-Identifier: GPL-2.0
#include "emulator/device.hpp"

#include <atomic>
#include <cstring>
#include <memory>

namespace mlc {

namespace {

constexpr mlc_uptr kFirstMappable = 4096;

}  // namespace

DeviceServices DeviceServices::make(const ClockSpec &clock,
				    std::string log_path,
				    std::optional<uint64_t> seed)
{
	DeviceServices s;
	if (clock.fixed)
		s.clock = std::make_unique<FixedClock>(clock.epoch_sec);
	else
		s.clock = std::make_unique<RealClock>();
	s.logfile = std::make_unique<LogFile>(std::move(log_path));
	if (seed)
		s.random = std::make_unique<SeededRandom>(*seed);
	else
		s.random = std::make_unique<SystemRandom>();
	return s;
}

namespace {

// The lock came from a dead owner: every shown copy back to the kept state.
void recover_shown(DeviceState &state)
{
	state.mlcore_shown.recover(state.mlcore);
	state.mllib_shown.recover(state.mllib);
	state.mlloop_shown.recover(state.mlloop);
}

std::atomic_ref<uint32_t> journal_mark(OpJournal &j)
{
	return std::atomic_ref<uint32_t>(j.active);
}

// Copies of the devices the operation may change, then the mark.  A kill
// before the mark leaves nothing changed; after it, everything saved.
void journal_begin(DeviceState &s, unsigned changes)
{
	OpJournal &j = s.journal;
	j.touches = changes;
	if (changes & kTouchMlcore)
		std::memcpy(&j.mlcore, &s.mlcore, sizeof(j.mlcore));
	if (changes & kTouchMllib)
		std::memcpy(&j.mllib, &s.mllib, sizeof(j.mllib));
	if (changes & kTouchMlloop)
		std::memcpy(&j.mlloop, &s.mlloop, mlloop_journal_bytes(changes));
	j.klog.begin(s.klog);
	j.logfile.saved = 0;
	journal_mark(j).store(1, std::memory_order_release);
	std::atomic_signal_fence(std::memory_order_seq_cst);
}

// The operation's commit point is the mark's clearing; its kernel-log
// records are shown after it (a kill in between: the next locker shows
// them, KernelLogUndo::finish).
void journal_end(DeviceState &s, KernelLogBuffer &klog)
{
	std::atomic_signal_fence(std::memory_order_seq_cst);
	journal_mark(s.journal).store(0, std::memory_order_release);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	s.journal.klog.publish(klog);
}

}  // namespace

// Under the lock: an operation whose process died inside it is put back as
// it was before it began, then (the lock came from a dead owner) every
// shown copy is brought back to the device.  Idempotent: a locker killed
// while undoing leaves the mark set and the next one undoes again.
void Device::recover(bool owner_died)
{
	OpJournal &j = state_.journal;
	bool undo = journal_mark(j).load(std::memory_order_acquire);
	if (!undo) {
		j.klog.finish(klog_);
	} else {
		if (j.touches & kTouchMlcore)
			std::memcpy(&state_.mlcore, &j.mlcore, sizeof(j.mlcore));
		if (j.touches & kTouchMllib)
			std::memcpy(&state_.mllib, &j.mllib, sizeof(j.mllib));
		if (j.touches & kTouchMlloop)
			std::memcpy(&state_.mlloop, &j.mlloop, mlloop_journal_bytes(j.touches));
		j.klog.restore(klog_);
		j.klog.cursor = j.klog.next_seq;	// nothing left to show
		services_.logfile->undo(j.logfile);
		std::atomic_signal_fence(std::memory_order_seq_cst);
		journal_mark(j).store(0, std::memory_order_release);
	}
	if (owner_died || undo)
		recover_shown(state_);
}

Device::Device(DeviceState &state, std::span<std::byte> klog_storage,
	       DeviceServices services, std::string name)
	: state_(state), klog_(state.klog, klog_storage), services_(std::move(services)),
	  lock_what_("instance '" + name + "'")
{
}

// One core call: the instance lock held for its whole duration, and a host
// carrying the instance's services and this call's caller memory.  changes
// names the devices the core call may change, journaled first (0 for one
// that changes none, e.g. GET_RESULT); of those, shown names the ones whose
// shown copies it may change, opened next and closed last, still under
// the lock (device_state.hpp).  The journal's end, the commit point, comes
// before the shown copies' end: no reader sees a state that is then undone.
class Device::Call {
public:
	Call(Device &dev, UserMemory *mem, unsigned changes, unsigned shown = kAll)
		: dev_(dev), state_(dev.state_), touches_(changes & shown),
		  guard_(dev.state_.lock, dev.lock_what_.c_str()),
		  klog_(dev.klog_, *dev.services_.clock, &dev.state_.journal.klog)
	{
		dev.recover(guard_.recovered());
		journal_begin(state_, changes);
		dev.services_.logfile->set_undo(&state_.journal.logfile);
		if (touches_ & kMlcore)
			state_.mlcore_shown.begin();
		if (touches_ & kMllib)
			state_.mllib_shown.begin();
		if (touches_ & kMlloop)
			state_.mlloop_shown.begin();
		host_.clock = dev.services_.clock.get();
		host_.klog = &klog_;
		host_.logfile = dev.services_.logfile.get();
		host_.random = dev.services_.random.get();
		host_.user = mem;
	}
	~Call()
	{
		dev_.services_.logfile->set_undo(nullptr);
		journal_end(state_, dev_.klog_);
		if (touches_ & kMlcore)
			state_.mlcore_shown.end(state_.mlcore);
		if (touches_ & kMllib)
			state_.mllib_shown.end(state_.mllib);
		if (touches_ & kMlloop)
			state_.mlloop_shown.end(state_.mlloop);
	}
	Call(const Call &) = delete;
	Call &operator=(const Call &) = delete;
	mlc_host *host() { return &host_; }

private:
	Device &dev_;
	DeviceState &state_;
	unsigned touches_;
	RobustLock guard_;
	KernelLog klog_;
	mlc_host host_;
};

void Device::load()
{
	Call call(*this, nullptr, kAll | kTouchMlloopWorkload);	// load clears the trace
	mlcore_dev_load(&state_.mlcore, call.host());
	ml_lib_test_dev_load(&state_.mllib, call.host());
	ml_loop_dev_load(&state_.mlloop, call.host());
}

void Device::reload(const std::function<void()> &between_boots)
{
	Call call(*this, nullptr, kAll | kTouchMlloopWorkload);	// load clears the trace
	ml_loop_dev_unload(&state_.mlloop, call.host());
	ml_lib_test_dev_unload(&state_.mllib, call.host());
	mlcore_dev_unload(&state_.mlcore, call.host());
	if (between_boots)
		between_boots();
	mlcore_dev_load(&state_.mlcore, call.host());
	ml_lib_test_dev_load(&state_.mllib, call.host());
	ml_loop_dev_load(&state_.mlloop, call.host());
}

long Device::mlcore_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	// GET_RESULT changes nothing: nothing to journal.  Most ioctls change
	// nothing a proc file shows: no copy to refresh.
	Call call(*this, &mem, cmd == IOCTL_GET_RESULT ? 0u : unsigned{kMlcore},
		  mlcore_dev_ioctl_changes_shown(cmd) ? unsigned{kMlcore} : 0u);
	return mlcore_dev_ioctl(&state_.mlcore, call.host(), cmd, arg);
}

long Device::mlcore_ioctl(unsigned int cmd, void *arg)
{
	LocalMemory mem;
	return mlcore_ioctl(cmd, reinterpret_cast<mlc_uptr>(arg), mem);
}

size_t Device::render_mlcore_result(char *buf, size_t size)
{
	mlcore_dev shown = mlcore_shown();
	return mlcore_render_result(&shown, buf, size);
}

size_t Device::render_mlcore_train(char *buf, size_t size)
{
	mlcore_dev shown = mlcore_shown();
	return mlcore_render_train(&shown, buf, size);
}

std::string Device::render_mlcore_result()
{
	char buf[MLCORE_RENDER_MAX];
	size_t len = render_mlcore_result(buf, sizeof(buf));
	return std::string(buf, std::min(len, sizeof(buf) - 1));
}

std::string Device::render_mlcore_train()
{
	char buf[MLCORE_RENDER_MAX];
	size_t len = render_mlcore_train(buf, sizeof(buf));
	return std::string(buf, std::min(len, sizeof(buf) - 1));
}

void Device::mllib_open()
{
	Call call(*this, nullptr, kMllib);
	ml_lib_test_dev_open(&state_.mllib, call.host());
}

void Device::mllib_release()
{
	Call call(*this, nullptr, kMllib);
	ml_lib_test_dev_release(&state_.mllib, call.host());
}

long Device::mllib_read(mlc_uptr dst, size_t count, int64_t *pos, UserMemory &mem)
{
	Call call(*this, &mem, kMllib);
	return ml_lib_test_dev_read(&state_.mllib, call.host(), dst, count, pos);
}

long Device::mllib_write(mlc_uptr src, size_t count, int64_t *pos, UserMemory &mem)
{
	Call call(*this, &mem, kMllib);
	return ml_lib_test_dev_write(&state_.mllib, call.host(), src, count, pos);
}

long Device::mllib_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	Call call(*this, &mem, kMllib);
	return ml_lib_test_dev_ioctl(&state_.mllib, call.host(), cmd, arg);
}

long Device::mllib_control_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	Call call(*this, &mem, kMllib);
	return mlc_vfs_sysfs_write(call.host(), src, count, page,
				   ml_lib_test_dev_control_store, &state_.mllib);
}

size_t Device::render_mllib(MllibRenderFn render, char *buf, size_t size)
{
	reap_dead_writer(state_.mllib_shown.seq.load(std::memory_order_acquire));
	ml_lib_test_dev shown{};
	state_.mllib_shown.read(state_.mllib, &shown);
	return render(&shown, buf, size);
}

ml_lib_test_dev Device::mllib_snapshot()
{
	RobustLock guard(state_.lock, lock_what_.c_str());
	recover(guard.recovered());
	return state_.mllib;
}

long Device::mlloop_read(mlc_uptr dst, size_t count, UserMemory &mem)
{
	Call call(*this, &mem, kMlloop);
	return ml_loop_dev_read(&state_.mlloop, call.host(), dst, count);
}

long Device::mlloop_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	Call call(*this, &mem, kMlloop);
	return ml_loop_dev_write(&state_.mlloop, call.host(), src, count);
}

long Device::mlloop_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	Call call(*this, &mem, kMlloop);
	return ml_loop_dev_ioctl(&state_.mlloop, call.host(), cmd, arg);
}

// `step N` is N locked sections of one epoch each: no section is longer
// than an epoch, and a process stopped between two holds nothing.  Another
// writer's operation may land between two epochs, as it could between two
// writes of `step 1` (docs/closed-loop.md, "Stepping"); the first epoch
// that cannot run (the model was stopped meanwhile) ends the write with
// its error, the epochs before it done.
long Device::mlloop_control_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	ml_loop_control ctl{&state_.mlloop, 0};
	long ret;
	{
		Call call(*this, &mem, kMlloop);
		ret = mlc_vfs_sysfs_write(call.host(), src, count, page,
					  ml_loop_dev_control_store_deferred, &ctl);
	}
	for (uint32_t i = 0; ret >= 0 && i < ctl.steps; i++) {
		Call call(*this, nullptr, kMlloop);
		if (int err = ml_loop_dev_step_epoch(&state_.mlloop, call.host()))
			return err;
	}
	return ret;
}

long Device::mlloop_workload_write(mlc_uptr src, size_t count, int64_t pos,
				   UserMemory &mem)
{
	char chunk[MLC_SYSFS_PAGE_SIZE];
	Call call(*this, &mem, kMlloop | kTouchMlloopWorkload);
	return mlc_vfs_sysfs_bin_write(call.host(), src, count, pos, chunk,
				       ml_loop_dev_workload_store, &state_.mlloop);
}

size_t Device::render_mlloop(MlloopRenderFn render, char *buf, size_t size)
{
	// ml_loop_dev is over 1 MiB, mostly the workload trace, the
	// simulation and the queue's records, which no rendering reads: on
	// the heap, not the caller's stack (the preload door runs on any
	// thread of any program), and not zeroed (only the shown fields are
	// copied in and read).
	reap_dead_writer(state_.mlloop_shown.seq.load(std::memory_order_acquire));
	std::unique_ptr<ml_loop_dev> shown(new ml_loop_dev);
	state_.mlloop_shown.read(state_.mlloop, shown.get());
	return render(shown.get(), buf, size);
}

ml_loop_dev Device::mlloop_snapshot()
{
	RobustLock guard(state_.lock, lock_what_.c_str());
	recover(guard.recovered());
	return state_.mlloop;
}

std::vector<KernelLogRecord> Device::kernel_log(uint64_t from, size_t max)
{
	return klog_.since(from, max);
}

mlcore_dev Device::mlcore_snapshot()
{
	RobustLock guard(state_.lock, lock_what_.c_str());
	recover(guard.recovered());
	return state_.mlcore;
}

// A reader that finds a section in progress (the shown count odd) tries the
// lock once, never waiting: if the section's process is dead, the reader
// undoes its operation (and the log file's line goes with it) before it
// reads, so no observer, the log file's either, is left with a dead
// operation's half.  A live owner: the reader goes on without the lock.
void Device::reap_dead_writer(uint64_t seq)
{
	if (!(seq & 1))
		return;
	int err = pthread_mutex_trylock(&state_.lock.m);
	if (err == EOWNERDEAD)
		pthread_mutex_consistent(&state_.lock.m);
	else if (err != 0)
		return;
	recover(err == EOWNERDEAD);
	state_.lock.unlock();
}

const char *Device::under_lock(const std::function<const char *()> &fn)
{
	RobustLock guard(state_.lock, lock_what_.c_str());
	recover(guard.recovered());
	return fn();
}

mlcore_dev Device::mlcore_shown()
{
	reap_dead_writer(state_.mlcore_shown.seq.load(std::memory_order_acquire));
	mlcore_dev shown{};
	state_.mlcore_shown.read(state_.mlcore, &shown);
	return shown;
}

void init_device_state(DeviceState &state, std::span<std::byte> klog_storage,
		       uint32_t log_buf_shift)
{
	std::memset(static_cast<void *>(&state), 0, sizeof(DeviceState));
	state.lock.init();
	KernelLogBuffer::init(state.klog, klog_storage, log_buf_shift);
	// Every shown copy matches the zeroed devices; load() refreshes them.
}

namespace {

std::unique_ptr<DeviceState> new_state(std::vector<std::byte> &storage,
				       uint32_t log_buf_shift)
{
	storage.resize(kernel_log_storage_bytes(log_buf_shift));
	auto state = std::make_unique<DeviceState>();
	init_device_state(*state, storage, log_buf_shift);
	return state;
}

}  // namespace

LocalDevice::LocalDevice(DeviceServices services, uint32_t log_buf_shift)
	: state_(new_state(klog_storage_, log_buf_shift)),
	  device_(*state_, klog_storage_, std::move(services))
{
	device_.load();
}

size_t LocalMemory::copy_from(void *dst, mlc_uptr src, size_t len)
{
	if (src < kFirstMappable) {
		std::memset(dst, 0, len);
		return len;
	}
	std::memcpy(dst, reinterpret_cast<const void *>(src), len);
	return 0;
}

size_t LocalMemory::copy_to(mlc_uptr dst, const void *src, size_t len)
{
	if (dst < kFirstMappable)
		return len;
	std::memcpy(reinterpret_cast<void *>(dst), src, len);
	return 0;
}

}  // namespace mlc

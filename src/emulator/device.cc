// SPDX-License-Identifier: GPL-2.0
#include "emulator/device.hpp"

#include <atomic>
#include <cstring>

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

Device::Device(DeviceState &state, DeviceServices services)
	: state_(state), services_(std::move(services))
{
}

namespace {

std::atomic_ref<uint32_t> journal_mark(OpJournal &j)
{
	return std::atomic_ref<uint32_t>(j.active);
}

// Copies of the devices the operation may change, then the mark.  A kill
// before the mark leaves nothing changed; after it, everything saved.
void journal_begin(DeviceState &s, uint32_t touches)
{
	OpJournal &j = s.journal;
	j.touches = touches;
	if (touches & kTouchMlcore)
		std::memcpy(&j.mlcore, &s.mlcore, sizeof(j.mlcore));
	if (touches & kTouchMllib)
		std::memcpy(&j.mllib, &s.mllib, sizeof(j.mllib));
	if (touches & kTouchMlloop)
		std::memcpy(&j.mlloop, &s.mlloop, sizeof(j.mlloop));
	j.klog.begin(s.klog);
	j.logfile.saved = 0;
	journal_mark(j).store(1, std::memory_order_release);
	std::atomic_signal_fence(std::memory_order_seq_cst);
}

// The operation's commit point is the mark's clearing; its kernel-log
// records are shown after it (a kill in between: the next locker shows
// them, KernelLogUndo::finish).
void journal_end(DeviceState &s)
{
	std::atomic_signal_fence(std::memory_order_seq_cst);
	journal_mark(s.journal).store(0, std::memory_order_release);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	s.journal.klog.publish(s.klog);
}

}  // namespace

// An operation whose process died inside it is put back as it was before
// it began.  Idempotent: a locker killed while undoing leaves the mark set
// and the next one undoes again.
void Device::undo_dead_operation()
{
	OpJournal &j = state_.journal;
	if (!journal_mark(j).load(std::memory_order_acquire)) {
		j.klog.finish(state_.klog);
		return;
	}
	if (j.touches & kTouchMlcore)
		std::memcpy(&state_.mlcore, &j.mlcore, sizeof(j.mlcore));
	if (j.touches & kTouchMllib)
		std::memcpy(&state_.mllib, &j.mllib, sizeof(j.mllib));
	if (j.touches & kTouchMlloop)
		std::memcpy(&state_.mlloop, &j.mlloop, sizeof(j.mlloop));
	j.klog.restore(state_.klog);
	j.klog.cursor = j.klog.next_seq;	// nothing left to show
	services_.logfile->undo(j.logfile);
	std::atomic_signal_fence(std::memory_order_seq_cst);
	journal_mark(j).store(0, std::memory_order_release);
}

// One core call: the instance lock held for its whole duration, and a host
// carrying the instance's services and this call's caller memory.  The
// call is journaled (device_state.hpp): touches names the devices the core
// call may change (0 for one that changes none, e.g. GET_RESULT).
class Device::Call {
public:
	Call(Device &dev, UserMemory *mem, uint32_t touches)
		: dev_(dev), guard_(dev.state_.lock),
		  klog_(dev.state_.klog, *dev.services_.clock, &dev.state_.journal.klog)
	{
		dev.undo_dead_operation();
		journal_begin(dev.state_, touches);
		dev.services_.logfile->set_undo(&dev.state_.journal.logfile);
		host_.clock = dev.services_.clock.get();
		host_.klog = &klog_;
		host_.logfile = dev.services_.logfile.get();
		host_.random = dev.services_.random.get();
		host_.user = mem;
	}
	~Call()
	{
		dev_.services_.logfile->set_undo(nullptr);
		journal_end(dev_.state_);
	}
	Call(const Call &) = delete;
	Call &operator=(const Call &) = delete;
	mlc_host *host() { return &host_; }

private:
	Device &dev_;
	RobustLock guard_;
	KernelLog klog_;
	mlc_host host_;
};

// Readers under the lock: a dead writer's operation is undone first.
class Device::ReadLock {
public:
	explicit ReadLock(Device &dev) : guard_(dev.state_.lock)
	{
		dev.undo_dead_operation();
	}

private:
	RobustLock guard_;
};

void Device::load()
{
	Call call(*this, nullptr, kTouchAll);
	mlcore_dev_load(&state_.mlcore, call.host());
	ml_lib_test_dev_load(&state_.mllib, call.host());
	ml_loop_dev_load(&state_.mlloop, call.host());
}

void Device::reload(const std::function<void()> &between_boots)
{
	Call call(*this, nullptr, kTouchAll);
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
	// GET_RESULT only reads the device: nothing to copy.
	Call call(*this, &mem, cmd == IOCTL_GET_RESULT ? 0u : uint32_t{kTouchMlcore});
	return mlcore_dev_ioctl(&state_.mlcore, call.host(), cmd, arg);
}

long Device::mlcore_ioctl(unsigned int cmd, void *arg)
{
	LocalMemory mem;
	return mlcore_ioctl(cmd, reinterpret_cast<mlc_uptr>(arg), mem);
}

size_t Device::render_mlcore_result(char *buf, size_t size)
{
	ReadLock guard(*this);
	return mlcore_render_result(&state_.mlcore, buf, size);
}

size_t Device::render_mlcore_train(char *buf, size_t size)
{
	ReadLock guard(*this);
	return mlcore_render_train(&state_.mlcore, buf, size);
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
	Call call(*this, nullptr, kTouchMllib);
	ml_lib_test_dev_open(&state_.mllib, call.host());
}

void Device::mllib_release()
{
	Call call(*this, nullptr, kTouchMllib);
	ml_lib_test_dev_release(&state_.mllib, call.host());
}

long Device::mllib_read(mlc_uptr dst, size_t count, int64_t *pos, UserMemory &mem)
{
	Call call(*this, &mem, kTouchMllib);
	return ml_lib_test_dev_read(&state_.mllib, call.host(), dst, count, pos);
}

long Device::mllib_write(mlc_uptr src, size_t count, int64_t *pos, UserMemory &mem)
{
	Call call(*this, &mem, kTouchMllib);
	return ml_lib_test_dev_write(&state_.mllib, call.host(), src, count, pos);
}

long Device::mllib_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	Call call(*this, &mem, kTouchMllib);
	return ml_lib_test_dev_ioctl(&state_.mllib, call.host(), cmd, arg);
}

long Device::mllib_control_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	Call call(*this, &mem, kTouchMllib);
	return mlc_vfs_sysfs_write(call.host(), src, count, page,
				   ml_lib_test_dev_control_store, &state_.mllib);
}

size_t Device::render_mllib(MllibRenderFn render, char *buf, size_t size)
{
	ReadLock guard(*this);
	return render(&state_.mllib, buf, size);
}

ml_lib_test_dev Device::mllib_snapshot()
{
	ReadLock guard(*this);
	return state_.mllib;
}

long Device::mlloop_read(mlc_uptr dst, size_t count, UserMemory &mem)
{
	Call call(*this, &mem, kTouchMlloop);
	return ml_loop_dev_read(&state_.mlloop, call.host(), dst, count);
}

long Device::mlloop_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	Call call(*this, &mem, kTouchMlloop);
	return ml_loop_dev_write(&state_.mlloop, call.host(), src, count);
}

long Device::mlloop_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	Call call(*this, &mem, kTouchMlloop);
	return ml_loop_dev_ioctl(&state_.mlloop, call.host(), cmd, arg);
}

long Device::mlloop_control_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	Call call(*this, &mem, kTouchMlloop);
	return mlc_vfs_sysfs_write(call.host(), src, count, page,
				   ml_loop_dev_control_store, &state_.mlloop);
}

size_t Device::render_mlloop(MlloopRenderFn render, char *buf, size_t size)
{
	ReadLock guard(*this);
	return render(&state_.mlloop, buf, size);
}

ml_loop_dev Device::mlloop_snapshot()
{
	ReadLock guard(*this);
	return state_.mlloop;
}

std::vector<KernelLogRecord> Device::kernel_log(uint64_t from)
{
	ReadLock guard(*this);
	return state_.klog.since(from);
}

const char *Device::under_lock(const std::function<const char *()> &fn)
{
	ReadLock guard(*this);
	return fn();
}

mlcore_dev Device::mlcore_snapshot()
{
	ReadLock guard(*this);
	return state_.mlcore;
}

void init_device_state(DeviceState &state)
{
	std::memset(static_cast<void *>(&state), 0, sizeof(DeviceState));
	state.lock.init();
	state.klog.clear();
}

namespace {

std::unique_ptr<DeviceState> new_state()
{
	auto state = std::make_unique<DeviceState>();
	init_device_state(*state);
	return state;
}

}  // namespace

LocalDevice::LocalDevice(DeviceServices services)
	: state_(new_state()), device_(*state_, std::move(services))
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

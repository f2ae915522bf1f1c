// SPDX-License-Identifier: GPL-2.0
#include "emulator/device.hpp"

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

// One core call: the instance lock held for its whole duration, and a host
// carrying the instance's services and this call's caller memory.
class Device::Call {
public:
	Call(Device &dev, UserMemory *mem)
		: guard_(dev.state_.lock), klog_(dev.state_.klog, *dev.services_.clock)
	{
		host_.clock = dev.services_.clock.get();
		host_.klog = &klog_;
		host_.logfile = dev.services_.logfile.get();
		host_.random = dev.services_.random.get();
		host_.user = mem;
	}
	mlc_host *host() { return &host_; }

private:
	RobustLock guard_;
	KernelLog klog_;
	mlc_host host_;
};

void Device::load()
{
	Call call(*this, nullptr);
	mlcore_dev_load(&state_.mlcore, call.host());
	ml_lib_test_dev_load(&state_.mllib, call.host());
	ml_loop_dev_load(&state_.mlloop, call.host());
}

void Device::reload(const std::function<void()> &between_boots)
{
	Call call(*this, nullptr);
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
	Call call(*this, &mem);
	return mlcore_dev_ioctl(&state_.mlcore, call.host(), cmd, arg);
}

long Device::mlcore_ioctl(unsigned int cmd, void *arg)
{
	LocalMemory mem;
	return mlcore_ioctl(cmd, reinterpret_cast<mlc_uptr>(arg), mem);
}

size_t Device::render_mlcore_result(char *buf, size_t size)
{
	RobustLock guard(state_.lock);
	return mlcore_render_result(&state_.mlcore, buf, size);
}

size_t Device::render_mlcore_train(char *buf, size_t size)
{
	RobustLock guard(state_.lock);
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
	Call call(*this, nullptr);
	ml_lib_test_dev_open(&state_.mllib, call.host());
}

void Device::mllib_release()
{
	Call call(*this, nullptr);
	ml_lib_test_dev_release(&state_.mllib, call.host());
}

long Device::mllib_read(mlc_uptr dst, size_t count, int64_t *pos, UserMemory &mem)
{
	Call call(*this, &mem);
	return ml_lib_test_dev_read(&state_.mllib, call.host(), dst, count, pos);
}

long Device::mllib_write(mlc_uptr src, size_t count, int64_t *pos, UserMemory &mem)
{
	Call call(*this, &mem);
	return ml_lib_test_dev_write(&state_.mllib, call.host(), src, count, pos);
}

long Device::mllib_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	Call call(*this, &mem);
	return ml_lib_test_dev_ioctl(&state_.mllib, call.host(), cmd, arg);
}

long Device::mllib_control_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	Call call(*this, &mem);
	return mlc_vfs_sysfs_write(call.host(), src, count, page,
				   ml_lib_test_dev_control_store, &state_.mllib);
}

size_t Device::render_mllib(MllibRenderFn render, char *buf, size_t size)
{
	RobustLock guard(state_.lock);
	return render(&state_.mllib, buf, size);
}

ml_lib_test_dev Device::mllib_snapshot()
{
	RobustLock guard(state_.lock);
	return state_.mllib;
}

long Device::mlloop_read(mlc_uptr dst, size_t count, UserMemory &mem)
{
	Call call(*this, &mem);
	return ml_loop_dev_read(&state_.mlloop, call.host(), dst, count);
}

long Device::mlloop_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	Call call(*this, &mem);
	return ml_loop_dev_write(&state_.mlloop, call.host(), src, count);
}

long Device::mlloop_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	Call call(*this, &mem);
	return ml_loop_dev_ioctl(&state_.mlloop, call.host(), cmd, arg);
}

long Device::mlloop_control_write(mlc_uptr src, size_t count, UserMemory &mem)
{
	char page[MLC_SYSFS_PAGE_SIZE + 1];
	Call call(*this, &mem);
	return mlc_vfs_sysfs_write(call.host(), src, count, page,
				   ml_loop_dev_control_store, &state_.mlloop);
}

long Device::mlloop_workload_write(mlc_uptr src, size_t count, int64_t pos,
				   UserMemory &mem)
{
	char chunk[MLC_SYSFS_PAGE_SIZE];
	Call call(*this, &mem);
	return mlc_vfs_sysfs_bin_write(call.host(), src, count, pos, chunk,
				       ml_loop_dev_workload_store, &state_.mlloop);
}

size_t Device::render_mlloop(MlloopRenderFn render, char *buf, size_t size)
{
	RobustLock guard(state_.lock);
	return render(&state_.mlloop, buf, size);
}

ml_loop_dev Device::mlloop_snapshot()
{
	RobustLock guard(state_.lock);
	return state_.mlloop;
}

std::vector<KernelLogRecord> Device::kernel_log(uint64_t from)
{
	RobustLock guard(state_.lock);
	return state_.klog.since(from);
}

mlcore_dev Device::mlcore_snapshot()
{
	RobustLock guard(state_.lock);
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

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

mlc_host Device::host_for(UserMemory *mem, KernelLog &klog)
{
	mlc_host host;
	host.clock = services_.clock.get();
	host.klog = &klog;
	host.logfile = services_.logfile.get();
	host.random = services_.random.get();
	host.user = mem;
	return host;
}

void Device::load()
{
	RobustLock guard(state_.lock);
	KernelLog klog(state_.klog, *services_.clock);
	mlc_host host = host_for(nullptr, klog);
	mlcore_dev_load(&state_.mlcore, &host);
}

long Device::mlcore_ioctl(unsigned int cmd, mlc_uptr arg, UserMemory &mem)
{
	RobustLock guard(state_.lock);
	KernelLog klog(state_.klog, *services_.clock);
	mlc_host host = host_for(&mem, klog);
	return mlcore_dev_ioctl(&state_.mlcore, &host, cmd, arg);
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

namespace {

std::unique_ptr<DeviceState> new_state()
{
	auto state = std::make_unique<DeviceState>();
	std::memset(static_cast<void *>(state.get()), 0, sizeof(DeviceState));
	state->lock.init();
	state->klog.clear();
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

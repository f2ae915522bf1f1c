// SPDX-License-Identifier: GPL-2.0
//
// The closed loop in the emulator: its rows of the file table and the
// Device API over it (load with the other devices, control through the
// sysfs write path, the stream's read/write/ioctl, reload).
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/device.hpp"
#include "emulator/kernel_log.hpp"
#include "emulator/file_table.hpp"
#include "loop_test_util.hpp"

namespace mlc_test {
namespace {

using mlc::FileTable;

const std::string kModel = "sys/class/ml_lib_loop/mlloop/ml_readahead";

TEST(LoopFiles, TableRows)
{
	const FileTable &t = FileTable::standard();
	struct Want {
		std::string path;
		mode_t mode;
	};
	for (const Want &w : {Want{"dev/mlloop", S_IFCHR | 0600},
			      Want{"sys/class/ml_lib_loop", S_IFDIR | 0755},
			      Want{"sys/class/ml_lib_loop/mlloop", S_IFDIR | 0755},
			      Want{"sys/class/ml_lib_loop/mlloop/dev", S_IFREG | 0444},
			      Want{kModel, S_IFDIR | 0755},
			      Want{kModel + "/control", S_IFREG | 0220},
			      Want{kModel + "/mode", S_IFREG | 0444},
			      Want{kModel + "/state", S_IFREG | 0444},
			      Want{kModel + "/efficiency", S_IFREG | 0444},
			      Want{kModel + "/stats", S_IFREG | 0444},
			      Want{kModel + "/workload", S_IFREG | 0200}}) {
		auto ino = t.resolve(w.path);
		ASSERT_TRUE(ino) << w.path;
		EXPECT_EQ(t.node(*ino)->mode(), w.mode) << w.path;
		EXPECT_TRUE(t.node(*ino)->type() == mlc::NodeType::Directory ||
			    t.node(*ino)->generated()) << w.path;
	}
	const mlc::Node *dev = t.node(*t.resolve("dev/mlloop"));
	EXPECT_EQ(major(dev->rdev()), 253u);
	EXPECT_EQ(minor(dev->rdev()), 0u);
	EXPECT_EQ(t.node(*t.resolve(kModel + "/stats"))->size(), 4096);
	EXPECT_EQ(t.node(*t.resolve(kModel + "/workload"))->size(), 0);	// bin attr

	std::vector<std::string> names;
	for (FileTable::Ino ino : t.children(*t.resolve(kModel)))
		names.emplace_back(t.node(ino)->name());
	EXPECT_EQ(names, (std::vector<std::string>{"control", "mode", "state", "efficiency",
						   "stats", "workload"}));
}

class LoopDevice : public ::testing::Test {
protected:
	LoopDevice()
		: dev(mlc::DeviceServices::make(mlc::ClockSpec{true, 1767225600}, "", 77))
	{
	}
	long control(const std::string &cmd)
	{
		return dev->mlloop_control_write(reinterpret_cast<mlc_uptr>(cmd.data()),
						 cmd.size(), mem);
	}
	std::string show(mlc::Device::MlloopRenderFn fn)
	{
		char buf[ML_LOOP_DEV_RENDER_MAX];
		size_t n = dev->render_mlloop(fn, buf, sizeof(buf));
		return std::string(buf, n);
	}
	mlc::LocalDevice dev;
	mlc::LocalMemory mem;
};

TEST_F(LoopDevice, LoadedWithTheOthersFromTheInstanceSeed)
{
	auto snap = dev->mlloop_snapshot();
	EXPECT_EQ(snap.model.state, (uint32_t)ML_LIB_MODEL_INITIALIZED);
	EXPECT_EQ(show(ml_loop_dev_show_mode), "emergency\n");

	// The same seed: the same loop seed.
	mlc::LocalDevice again(mlc::DeviceServices::make(mlc::ClockSpec{true, 0}, "", 77));
	EXPECT_EQ(again->mlloop_snapshot().sim.seed, snap.sim.seed);
	mlc::LocalDevice other(mlc::DeviceServices::make(mlc::ClockSpec{true, 0}, "", 78));
	EXPECT_NE(other->mlloop_snapshot().sim.seed, snap.sim.seed);
}

TEST_F(LoopDevice, ControlThroughTheSysfsWritePath)
{
	EXPECT_EQ(control(""), 0) << "an empty write never reaches the store";
	EXPECT_EQ(control("step 1"), -EAGAIN);
	EXPECT_EQ(control("start\n"), 6);
	EXPECT_EQ(show(ml_loop_dev_show_state), "started\n");
	EXPECT_EQ(control("step 2\n"), 7);
	// A write longer than a page is cut to 4096 bytes, which the store
	// sees: "step 3" and blanks up to the cut.
	std::string big = "step 3" + std::string(5000, ' ');
	EXPECT_EQ(control(big), 4096);
	EXPECT_EQ(dev->mlloop_snapshot().epochs, 5u);

	uint32_t pending = 0;
	EXPECT_EQ(dev->mlloop_ioctl(ML_LOOP_IOCPENDING, reinterpret_cast<mlc_uptr>(&pending),
				    mem), 0);
	EXPECT_EQ(pending, 10u);

	std::vector<uint8_t> buf(64 * 10);
	EXPECT_EQ(dev->mlloop_read(reinterpret_cast<mlc_uptr>(buf.data()), 63, mem), -EINVAL);
	EXPECT_EQ(dev->mlloop_read(reinterpret_cast<mlc_uptr>(buf.data()), buf.size(), mem),
		  640);
	EXPECT_EQ(dataset_at(buf, 0).hdr.epoch, 1u);

	auto rec = make_rec(128);
	EXPECT_EQ(dev->mlloop_write(reinterpret_cast<mlc_uptr>(&rec), 64, mem), 64);
	EXPECT_EQ(dev->mlloop_snapshot().rec_window, 128u);
	rec.hdr.magic = 0;
	EXPECT_EQ(dev->mlloop_write(reinterpret_cast<mlc_uptr>(&rec), 64, mem), -EINVAL);
	bool refused_logged = false;
	for (const auto &r : dev->kernel_log())
		refused_logged |= r.text.find(
					  "ml_loop: recommendation refused: bad magic") !=
				  std::string::npos;
	EXPECT_TRUE(refused_logged);
}

// `step N` runs as N locked sections of one epoch (Device::mlloop_control_
// write): the same records, counters, modes and log lines as N writes of
// `step 1`, and as the core's one-call ml_loop_dev_step().
TEST(LoopStepping, StepNIsNTimesStepOne)
{
	auto make = [] {
		return std::make_unique<mlc::LocalDevice>(
			mlc::DeviceServices::make(mlc::ClockSpec{true, 1767225600}, "", 77));
	};
	mlc::LocalMemory mem;
	auto control = [&mem](mlc::LocalDevice &d, const std::string &cmd) {
		return d->mlloop_control_write(reinterpret_cast<mlc_uptr>(cmd.data()),
					       cmd.size(), mem);
	};
	// A recommendation in force (for its first 8 epochs), and 150 epochs, so the
	// queue overflows (300 records).
	auto prepare = [&](mlc::LocalDevice &d) {
		ASSERT_EQ(control(d, "start"), 5);
		auto rec = make_rec(16);
		ASSERT_EQ(d->mlloop_write(reinterpret_cast<mlc_uptr>(&rec), 64, mem), 64);
	};
	auto one = make(), many = make();
	prepare(*one);
	prepare(*many);
	ASSERT_EQ(control(*one, "step 150"), 8);
	for (int i = 0; i < 150; i++)
		ASSERT_EQ(control(*many, "step 1"), 6);

	// The core's one call, for the same state.
	auto core = std::make_unique<ml_loop_dev>();
	{
		auto d = make();
		prepare(*d);
		*core = (*d)->mlloop_snapshot();
		TestHost host;
		ASSERT_EQ(ml_loop_dev_step(core.get(), host.get(), 150), 0);
	}

	ml_loop_dev a = (*one)->mlloop_snapshot(), b = (*many)->mlloop_snapshot();
	EXPECT_EQ(a.epochs, 150u);
	EXPECT_GT(a.records_dropped, 0u);
	EXPECT_GT(a.cost_recommended, 0u);
	EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0) << "step 150 != 150 x step 1";
	EXPECT_EQ(std::memcmp(&a, core.get(), sizeof(a)), 0) << "Device != ml_loop_dev_step()";
	for (auto fn : {ml_loop_dev_show_stats, ml_loop_dev_show_mode, ml_loop_dev_show_state,
			ml_loop_dev_show_efficiency}) {
		char x[ML_LOOP_DEV_RENDER_MAX], y[ML_LOOP_DEV_RENDER_MAX];
		size_t nx = (*one)->render_mlloop(fn, x, sizeof(x));
		size_t ny = (*many)->render_mlloop(fn, y, sizeof(y));
		EXPECT_EQ(std::string(x, nx), std::string(y, ny));
	}
	std::vector<uint8_t> ra(64 * ML_LOOP_QUEUE_LEN), rb(ra.size());
	EXPECT_EQ((*one)->mlloop_read(reinterpret_cast<mlc_uptr>(ra.data()), ra.size(), mem),
		  64 * ML_LOOP_QUEUE_LEN);
	EXPECT_EQ((*many)->mlloop_read(reinterpret_cast<mlc_uptr>(rb.data()), rb.size(), mem),
		  64 * ML_LOOP_QUEUE_LEN);
	EXPECT_EQ(ra, rb);
	auto lines = [](mlc::LocalDevice &d) {
		std::vector<std::string> v;
		for (const auto &r : d->kernel_log())
			v.push_back(mlc::format_raw(r));
		return v;
	};
	EXPECT_EQ(lines(*one), lines(*many));
}

// A `stop` between two epochs of a `step N` (another writer's) ends it: the
// epochs before it stay, the write gives the EAGAIN of a stopped model.
TEST(LoopStepping, DeferredStoreChecksButDoesNotStep)
{
	TestHost host;
	auto dev = std::make_unique<ml_loop_dev>();
	ASSERT_EQ(ml_loop_dev_load(dev.get(), host.get()), 0);
	ml_loop_control ctl{dev.get(), 99};
	auto store = [&](const std::string &cmd) {
		return ml_loop_dev_control_store_deferred(&ctl, host.get(), cmd.data(),
							  cmd.size());
	};
	EXPECT_EQ(store("step 3"), -EAGAIN);
	EXPECT_EQ(ctl.steps, 0u);
	EXPECT_EQ(store("start"), 5);
	EXPECT_EQ(ctl.steps, 0u);
	EXPECT_EQ(store("step 0"), -EINVAL);
	EXPECT_EQ(store("step 10001"), -EINVAL);
	EXPECT_EQ(ctl.steps, 0u);
	EXPECT_EQ(store("step 3\n"), 7);
	EXPECT_EQ(ctl.steps, 3u);
	EXPECT_EQ(dev->epochs, 0u) << "the caller runs the epochs";
	EXPECT_EQ(ml_loop_dev_step_epoch(dev.get(), host.get()), 0);
	EXPECT_EQ(dev->epochs, 1u);
	EXPECT_EQ(store("stop"), 4);
	EXPECT_EQ(ml_loop_dev_step_epoch(dev.get(), host.get()), -EAGAIN);
	EXPECT_EQ(dev->epochs, 1u);
}

TEST_F(LoopDevice, ReloadReloadsTheLoop)
{
	ASSERT_EQ(control("start"), 5);
	ASSERT_EQ(control("step 3"), 6);
	dev->reload();
	auto snap = dev->mlloop_snapshot();
	EXPECT_EQ(snap.epochs, 0u);
	EXPECT_EQ(snap.q_count, 0u);
	EXPECT_EQ(snap.model.state, (uint32_t)ML_LIB_MODEL_INITIALIZED);
}

}  // namespace
}  // namespace mlc_test

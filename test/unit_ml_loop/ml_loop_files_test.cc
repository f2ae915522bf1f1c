// SPDX-License-Identifier: GPL-2.0
//
// The closed loop in the emulator: its rows of the file table and the
// Device API over it (load with the other devices, control through the
// sysfs write path, the stream's read/write/ioctl, reload).
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/device.hpp"
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
		refused_logged |= std::string(r.text, r.len).find(
					  "ml_loop: recommendation refused: bad magic") !=
				  std::string::npos;
	EXPECT_TRUE(refused_logged);
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

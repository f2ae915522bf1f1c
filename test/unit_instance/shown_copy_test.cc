// SPDX-License-Identifier: GPL-2.0
//
// What readers render from without the lock (src/emulator/device_state.hpp):
// each device's *_copy_shown() copies every field its renderings read, the
// ShownCopy protocol gives a reader the last whole section whatever a
// writer is doing (or stopped or died doing), and renderings taken while a
// writer runs are never torn.
#include <atomic>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/device.hpp"

extern "C" {
#include "core/ml_lib_test_dev.h"
#include "core/ml_loop_dev.h"
#include "core/mlcore_dev.h"
}

namespace {

template <typename T>
std::unique_ptr<T> random_filled(uint32_t seed)
{
	auto p = std::make_unique<T>();
	std::mt19937 rng(seed);
	auto *b = reinterpret_cast<unsigned char *>(p.get());
	for (size_t i = 0; i < sizeof(T); i++)
		b[i] = static_cast<unsigned char>(rng());
	return p;
}

template <typename T, typename Fn>
std::string text(const T &dev, Fn fn)
{
	char buf[MLCORE_RENDER_MAX];
	size_t n = fn(&dev, buf, sizeof(buf));
	return std::string(buf, std::min(n, sizeof(buf) - 1));
}

// Every rendering of a random state equals the rendering of its copy: a
// renderer that reads a field the copy leaves out fails here.
TEST(ShownCopy, CopiesEverythingTheRenderingsRead)
{
	for (uint32_t seed = 1; seed <= 20; seed++) {
		auto core = random_filled<mlcore_dev>(seed);
		core->hist_count = static_cast<int32_t>(seed % (MLCORE_HISTORY_SIZE + 1));
		core->hist_index = static_cast<int32_t>(seed % MLCORE_HISTORY_SIZE);
		core->train_count = static_cast<int32_t>((seed * 7) % (MLCORE_MAX_TRAINING_ENTRIES + 1));
		auto core_copy = std::make_unique<mlcore_dev>();
		mlcore_dev_copy_shown(core_copy.get(), core.get());
		EXPECT_EQ(text(*core_copy, mlcore_render_result), text(*core, mlcore_render_result));
		EXPECT_EQ(text(*core_copy, mlcore_render_train), text(*core, mlcore_render_train));

		auto lib = random_filled<ml_lib_test_dev>(seed);
		auto lib_copy = std::make_unique<ml_lib_test_dev>();
		ml_lib_test_dev_copy_shown(lib_copy.get(), lib.get());
		for (auto fn : {ml_lib_test_dev_render_proc, ml_lib_test_dev_show_buffer_size,
				ml_lib_test_dev_show_data_size, ml_lib_test_dev_show_access_count,
				ml_lib_test_dev_show_stats})
			EXPECT_EQ(text(*lib_copy, fn), text(*lib, fn));

		auto loop = random_filled<ml_loop_dev>(seed);
		loop->model.mode = seed % 6;
		loop->model.state = seed % 8;
		auto loop_copy = std::make_unique<ml_loop_dev>();
		ml_loop_dev_copy_shown(loop_copy.get(), loop.get());
		for (auto fn : {ml_loop_dev_show_mode, ml_loop_dev_show_state,
				ml_loop_dev_show_efficiency, ml_loop_dev_show_stats})
			EXPECT_EQ(text(*loop_copy, fn), text(*loop, fn));
	}
}

TEST(ShownCopy, MlcoreCopyStaysInsideATornSource)
{
	auto src = random_filled<mlcore_dev>(3);
	auto dst = std::make_unique<mlcore_dev>();
	for (int32_t n : {-1, MLCORE_MAX_TRAINING_ENTRIES + 1, 1 << 30}) {
		src->train_count = n;
		mlcore_dev_copy_shown(dst.get(), src.get());	// no overflow (ASan)
		EXPECT_EQ(dst->train_count, n);
	}
}

// The ioctls said not to change the shown fields do not, from any state
// (Device then skips the copy's refresh for them).
TEST(ShownCopy, IoctlsThatChangeNothingShownAreKnown)
{
	const unsigned int cmds[] = {IOCTL_SEND_INTS, IOCTL_SET_RESULT, IOCTL_GET_RESULT,
				     IOCTL_ADD_TRAINING, IOCTL_CLEAR_TRAINING, 0x6800u, 0u};
	for (int fill = 0; fill < 3; fill++) {
		for (unsigned int cmd : cmds) {
			mlc::LocalDevice dev(mlc::DeviceServices::make(mlc::ClockSpec{true, 0}, ""));
			for (int i = 0; i < fill * 30; i++) {
				int32_t v = i;
				train_entry e{{i, -i, 2 * i}, i % 3};
				dev->mlcore_ioctl(IOCTL_SET_RESULT, &v);
				dev->mlcore_ioctl(IOCTL_ADD_TRAINING, &e);
			}
			train_entry arg{{7, 8, 9}, 1};	// fits every command's argument
			mlcore_dev before = dev->mlcore_shown();
			dev->mlcore_ioctl(cmd, &arg);
			mlcore_dev after = dev->mlcore_snapshot(), shown{};
			mlcore_dev_copy_shown(&shown, &after);
			if (!mlcore_dev_ioctl_changes_shown(cmd)) {
				EXPECT_EQ(text(shown, mlcore_render_result),
					  text(before, mlcore_render_result)) << cmd;
				EXPECT_EQ(text(shown, mlcore_render_train),
					  text(before, mlcore_render_train)) << cmd;
			}
			EXPECT_EQ(text(dev->mlcore_shown(), mlcore_render_result),
				  text(shown, mlcore_render_result)) << cmd;
		}
	}
}

struct Latch {
	mlcore_dev dev{};
	mlc::MlcoreShown shown{};
	int32_t read()
	{
		mlcore_dev out{};
		shown.read(dev, &out);
		return out.latest_result;
	}
};

// A writer that stops (or dies) anywhere: the reader gets the last whole
// section, at once.
TEST(ShownCopy, AWriterStoppedAnywhereHoldsNoReaderUp)
{
	auto l = std::make_unique<Latch>();
	l->dev.latest_result = 1;
	l->shown.end(l->dev);
	EXPECT_EQ(l->read(), 1);

	l->shown.begin();	// a section starts, changes the device, stops
	l->dev.latest_result = 2;
	EXPECT_EQ(l->read(), 1) << "the last whole section";
	l->shown.end(l->dev);
	EXPECT_EQ(l->read(), 2);

	// Stopped in end(), the copy half-written: readers read the device.
	l->shown.begin();
	l->dev.latest_result = 3;
	l->shown.seq.fetch_add(1);	// end()'s first half
	l->shown.copy.latest_result = -77;	// a torn copy
	EXPECT_EQ(l->read(), 3);

	// Died there: the next locker recovers before its own section.
	l->shown.recover(l->dev);
	l->shown.begin();
	l->dev.latest_result = 4;
	EXPECT_EQ(l->read(), 3);

	// Died inside a section: recovery gives readers the kept state.
	l->shown.recover(l->dev);
	EXPECT_EQ(l->read(), 4);
	EXPECT_EQ(l->shown.seq.load() % 2, 0u);
}

// Renderings taken while another thread writes are each some whole state:
// the latest prediction is the newest history line, the history runs in
// steps of one.
TEST(ShownCopy, RenderingsDuringWritesAreNeverTorn)
{
	mlc::LocalDevice dev(mlc::DeviceServices::make(mlc::ClockSpec{true, 0}, ""));
	std::atomic<bool> stop{false};
	std::thread writer([&] {
		for (int32_t v = 1; !stop; v++)
			dev->mlcore_ioctl(IOCTL_SET_RESULT, &v);
	});
	int checked = 0;
	for (int i = 0; i < 20000; i++) {
		std::string t = dev->render_mlcore_result();
		int latest = 0, count = 0;
		ASSERT_EQ(std::sscanf(t.c_str(), "Current Prediction: %d\nPrediction History (latest %d):",
				      &latest, &count), 2) << t;
		std::vector<int> hist;
		size_t pos = 0;
		while ((pos = t.find(" [", pos)) != std::string::npos) {
			int idx, v;
			ASSERT_EQ(std::sscanf(t.c_str() + pos, " [%d]: %d at", &idx, &v), 2) << t;
			hist.push_back(v);
			pos++;
		}
		ASSERT_EQ(static_cast<int>(hist.size()), count) << t;
		if (count == 0)
			continue;
		EXPECT_EQ(hist.back(), latest) << t;
		for (size_t k = 1; k < hist.size(); k++)
			ASSERT_EQ(hist[k], hist[k - 1] + 1) << t;
		checked++;
	}
	stop = true;
	writer.join();
	EXPECT_GT(checked, 0);
}

}  // namespace

// SPDX-License-Identifier: GPL-2.0
//
// The instance service: shared-memory state seen by every process, mode
// 0600, a versioned layout that is refused rather than misread, and a lock
// that a process killed while holding it cannot wedge.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <set>
#include <span>
#include <vector>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <gtest/gtest.h>

#include "emulator/instance.hpp"
#include "platform/user/region_memory.hpp"

namespace bip = boost::interprocess;
namespace fs = std::filesystem;

namespace {

class InstanceTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		state_ = fs::temp_directory_path() /
			 ("mlc-inst-test-" + std::to_string(getpid()));
		fs::create_directories(state_);
		setenv("MLCORE_EMU_STATE_DIR", state_.c_str(), 1);
		name_ = "unit-" + std::to_string(getpid()) + "-" +
			::testing::UnitTest::GetInstance()->current_test_info()->name();
		mlc::Instance::remove(name_);
	}
	void TearDown() override
	{
		mlc::Instance::remove(name_);
		fs::remove_all(state_);
	}

	static int set_result(mlc::Instance &inst, int v)
	{
		return static_cast<int>(inst.device().mlcore_ioctl(IOCTL_SET_RESULT, &v));
	}

	fs::path state_;
	std::string name_;
};

TEST_F(InstanceTest, SegmentIsPrivateToItsUser)
{
	auto inst = mlc::Instance::open_or_create(name_);
	struct stat st;
	ASSERT_EQ(stat(("/dev/shm/" + mlc::Instance::segment_name(name_)).c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	ASSERT_EQ(stat(inst->state_dir().c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(InstanceTest, StateIsSharedAcrossProcessesAndSurvivesThem)
{
	{
		auto inst = mlc::Instance::open_or_create(name_, {mlc::ClockSpec{true, 0}, std::nullopt});
		EXPECT_EQ(inst->device().mlcore_snapshot().latest_result, -1);
	}
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		auto inst = mlc::Instance::open_existing(name_);
		_exit(set_result(*inst, 1234) == 0 ? 0 : 1);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	auto inst = mlc::Instance::open_existing(name_);
	EXPECT_EQ(inst->device().mlcore_snapshot().latest_result, 1234);
	EXPECT_EQ(inst->device().render_mlcore_result(),
		  "Current Prediction: 1234\nPrediction History (latest 1):\n"
		  " [0]: 1234 at 1970-01-01 00:00:00\n");
}

TEST_F(InstanceTest, LockHeldByAKilledProcessDoesNotWedgeOthers)
{
	auto inst = mlc::Instance::open_or_create(name_);
	int ready[2];
	ASSERT_EQ(pipe(ready), 0);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		auto child = mlc::Instance::open_existing(name_);
		// Take the instance lock through the same segment, then hang.
		auto *seg = reinterpret_cast<mlc::InstanceSegment *>(
			const_cast<mlc::InstanceHeader *>(&child->header()));
		seg->devices.lock.lock();
		(void)!write(ready[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);

	// Must not block: the robust mutex reports the dead owner and recovers.
	EXPECT_EQ(set_result(*inst, 7), 0);
	EXPECT_EQ(inst->device().mlcore_snapshot().latest_result, 7);
	EXPECT_EQ(set_result(*inst, 8), 0);
}

TEST_F(InstanceTest, AnotherLayoutIsRefusedNotMisread)
{
	mlc::Instance::open_or_create(name_);
	{
		bip::shared_memory_object shm(bip::open_only,
					      mlc::Instance::segment_name(name_).c_str(),
					      bip::read_write);
		bip::mapped_region region(shm, bip::read_write);
		static_cast<mlc::InstanceHeader *>(region.get_address())->layout_version =
			mlc::kSegmentLayoutVersion + 1;
	}
	try {
		mlc::Instance::open_existing(name_);
		FAIL() << "a segment of another layout was opened";
	} catch (const mlc::InstanceError &e) {
		std::string msg = e.what();
		EXPECT_NE(msg.find("layout " + std::to_string(mlc::kSegmentLayoutVersion + 1)),
			  std::string::npos) << msg;
		EXPECT_NE(msg.find("mlcore-emu reset --instance " + name_), std::string::npos)
			<< msg;
	}
}

TEST_F(InstanceTest, UnknownInstanceAndBadNamesAreClearErrors)
{
	EXPECT_THROW(mlc::Instance::open_existing(name_), mlc::InstanceError);
	for (const std::string &bad : std::vector<std::string>{"", ".hidden", "a/b", "..", "x y", std::string(65, 'a')})
		EXPECT_FALSE(mlc::Instance::valid_name(bad)) << bad;
	EXPECT_THROW(mlc::Instance::open_or_create("../escape"), mlc::InstanceError);
	EXPECT_TRUE(mlc::Instance::valid_name("ci-run_1.2"));
}

TEST_F(InstanceTest, ResetReloadsInPlaceAndCanChangeTheClock)
{
	auto inst = mlc::Instance::open_or_create(name_);
	ASSERT_EQ(set_result(*inst, 5), 0);
	inst->reset(mlc::ClockSpec{true, 86400});
	EXPECT_EQ(inst->device().mlcore_snapshot().latest_result, -1);
	EXPECT_EQ(inst->clock_spec().to_string(), "fixed:86400");
	ASSERT_EQ(set_result(*inst, 6), 0);
	EXPECT_NE(inst->device().render_mlcore_result().find("1970-01-02 00:00:00"),
		  std::string::npos);
	// Unload then load of both modules, then the SET_RESULT.
	std::vector<std::string> tail;
	for (const auto &rec : inst->device().kernel_log())
		tail.push_back(mlc::format_raw(rec));
	ASSERT_GE(tail.size(), 7u);
	tail.erase(tail.begin(), tail.end() - 7);
	EXPECT_EQ(tail, (std::vector<std::string>{
				"<6>[mlcore] Unloaded.",
				"<6>[mlcore] Loaded with fixed-point logging.",
				"<6>ml_lib_test_dev: Initializing driver",
				"<6>ml_lib_test_dev: Driver initialized successfully",
				"<6>ml_lib_test_dev: Device created at /dev/mllibdev",
				"<6>ml_lib_test_dev: Proc entry created at /proc/mllibdev",
				"<6>[mlcore] Prediction set: 6",
			}));
}

// One seeded sequence per instance: two processes' draws continue each
// other (never repeat), and a reset restarts it from the seed.
TEST_F(InstanceTest, SeededRandomIsSharedAndRestartsAtReset)
{
	auto control = [](mlc::Instance &inst, std::string cmd) {
		mlc::RegionMemory mem(0x1000, std::as_writable_bytes(std::span(cmd)));
		return inst.device().mllib_control_write(0x1000, cmd.size(), mem);
	};
	auto extract = [&](mlc::Instance &inst) {
		EXPECT_EQ(control(inst, "discard_dataset"), 15);
		EXPECT_EQ(control(inst, "prepare_dataset"), 15);
		return inst.device().mllib_snapshot().dataset[0];
	};
	const std::string other = name_ + "-b";
	mlc::Instance::remove(other);

	auto a = mlc::Instance::open_or_create(name_, {std::nullopt, 7});
	auto b = mlc::Instance::open_existing(name_);	// a second process
	EXPECT_EQ(b->seed(), 7u);
	std::vector<uint8_t> shared{extract(*a), extract(*b), extract(*a), extract(*b)};

	auto fresh = mlc::Instance::open_or_create(other, {std::nullopt, 7});
	std::vector<uint8_t> alone;
	for (int i = 0; i < 4; i++)
		alone.push_back(extract(*fresh));
	EXPECT_EQ(shared, alone);	// b continued a's sequence
	EXPECT_NE(std::set<uint8_t>(alone.begin(), alone.end()).size(), 1u);

	b->reset();
	EXPECT_EQ(extract(*a), alone[0]);	// restarted from the seed
	mlc::Instance::remove(other);
}

TEST_F(InstanceTest, ListShowsThisUsersInstances)
{
	mlc::Instance::open_or_create(name_);
	auto names = mlc::Instance::list();
	EXPECT_NE(std::find(names.begin(), names.end(), name_), names.end());
}

}  // namespace

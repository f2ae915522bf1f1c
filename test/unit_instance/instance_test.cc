// SPDX-License-Identifier: GPL-2.0
//
// The instance service: shared-memory state seen by every process, mode
// 0600, a versioned layout that is refused rather than misread, and a lock
// that a process killed while holding it cannot wedge.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <sstream>
#include <thread>
#include <span>
#include <vector>

#include <boost/interprocess/mapped_region.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <gtest/gtest.h>

#include "emulator/file_table.hpp"
#include "emulator/instance.hpp"
#include "platform/user/region_memory.hpp"

extern "C" {
#include "core/ml_lib_test_dev.h"
#include "core/ml_loop_dev.h"
}

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

// Runs fn on a thread; false when it has not finished within `limit`
// (then `unblock` runs, so the thread can finish and be joined).
bool finishes_within(std::chrono::seconds limit, const std::function<void()> &fn,
		     const std::function<void()> &unblock)
{
	std::packaged_task<void()> task(fn);
	auto done = task.get_future();
	std::thread t(std::move(task));
	bool ok = done.wait_for(limit) == std::future_status::ready;
	if (!ok)
		unblock();
	t.join();
	return ok;
}

std::string read_file(const fs::path &p)
{
	std::ifstream in(p);
	std::stringstream ss;
	ss << in.rdbuf();
	return ss.str();
}

// Issue D3: a process stopped (SIGSTOP, Ctrl-Z) in the middle of a locked
// section.  Every proc/sysfs text and the kernel log still answer, with the
// state of the last finished section; a writer waits, says once on stderr
// which pid it waits for, and goes on after SIGCONT.
TEST_F(InstanceTest, StoppedOwnerBlocksNoReaderAndIsNamed)
{
	auto inst = mlc::Instance::open_or_create(name_, {mlc::ClockSpec{true, 0}, 3});
	mlc::Device &dev = inst->device();
	ASSERT_EQ(set_result(*inst, 5), 0);
	mlc::LocalMemory mem;
	for (std::string cmd : {"start", "step 3"})
		ASSERT_EQ(dev.mlloop_control_write(reinterpret_cast<mlc_uptr>(cmd.data()),
						   cmd.size(), mem),
			  static_cast<long>(cmd.size()));

	// Everything a reader can see, before the owner stops.
	auto texts = [&dev] {
		char buf[MLCORE_RENDER_MAX];
		std::vector<std::string> v;
		v.push_back(dev.render_mlcore_result());
		v.push_back(dev.render_mlcore_train());
		v.emplace_back(buf, dev.render_mllib(ml_lib_test_dev_render_proc, buf, sizeof(buf)));
		v.emplace_back(buf, dev.render_mllib(ml_lib_test_dev_show_stats, buf, sizeof(buf)));
		for (auto fn : {ml_loop_dev_show_stats, ml_loop_dev_show_mode,
				ml_loop_dev_show_state, ml_loop_dev_show_efficiency})
			v.emplace_back(buf, dev.render_mlloop(fn, buf, sizeof(buf)));
		return v;
	};
	const std::vector<std::string> before = texts();
	ASSERT_EQ(before[0].rfind("Current Prediction: 5\n", 0), 0u) << before[0];
	ASSERT_EQ(before[4].rfind("epochs: 3\n", 0), 0u) << before[4];

	int ready[2];
	ASSERT_EQ(pipe(ready), 0);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		// A real locked section (unload, then load), stopped half-way:
		// the devices are unloaded while it is stopped.
		auto child = mlc::Instance::open_existing(name_);
		child->device().reload([&] {
			(void)!write(ready[1], "x", 1);
			raise(SIGSTOP);
		});
		_exit(0);
	}
	auto cont = [pid] { kill(pid, SIGCONT); };
	char c;
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	int status = 0;
	ASSERT_EQ(waitpid(pid, &status, WUNTRACED), pid);
	ASSERT_TRUE(WIFSTOPPED(status));

	// Readers: answered, with the state before the stopped section.
	std::vector<std::string> during;
	std::vector<mlc::KernelLogRecord> klog;
	EXPECT_TRUE(finishes_within(
		std::chrono::seconds(20),
		[&] {
			during = texts();
			klog = dev.kernel_log();
		},
		cont))
		<< "a reader waited for the stopped owner";
	EXPECT_EQ(during, before);
	// The kernel log has none of the lines the stopped section printed:
	// an operation's records are shown when it ends (crash-atomic,
	// docs/reliability.md), like the rest of its effects.
	ASSERT_FALSE(klog.empty());
	EXPECT_EQ(mlc::format_raw(klog.back()), "<6>[mlcore] Prediction set: 5");

	// A writer: waits, names the stopped owner once on stderr.
	const fs::path err_path = state_ / "stderr.txt";
	int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ASSERT_GE(err_fd, 0);
	int saved_stderr = dup(2);
	dup2(err_fd, 2);
	std::atomic<bool> written{false};
	std::thread writer([&] {
		EXPECT_EQ(set_result(*inst, 6), 0);
		written = true;
	});
	const std::string line = "mlcore-emu: instance '" + name_ + "' is locked by pid " +
				 std::to_string(pid) + ", which is stopped; waiting (kill -CONT " +
				 std::to_string(pid) + " resumes it)\n";
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
	while (read_file(err_path).empty() && std::chrono::steady_clock::now() < deadline)
		std::this_thread::sleep_for(std::chrono::milliseconds(50));
	// A few more of the writer's timed waits pass: still one line.
	std::this_thread::sleep_for(std::chrono::milliseconds(2500));
	EXPECT_FALSE(written);
	cont();
	writer.join();
	dup2(saved_stderr, 2);
	close(saved_stderr);
	close(err_fd);
	EXPECT_EQ(read_file(err_path), line);
	EXPECT_TRUE(written);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	// The reload finished, then the writer's SET_RESULT.
	EXPECT_EQ(dev.render_mlcore_result(),
		  "Current Prediction: 6\nPrediction History (latest 1):\n"
		  " [0]: 6 at 1970-01-01 00:00:00\n");
	close(ready[0]);
	close(ready[1]);
}

// A process killed in the middle of a locked section: the next locker
// recovers the lock, and readers see the state of the last whole section
// until then, and the recovered state after it.
TEST_F(InstanceTest, KilledOwnerLeavesReadersLastSection)
{
	auto inst = mlc::Instance::open_or_create(name_, {mlc::ClockSpec{true, 0}, std::nullopt});
	ASSERT_EQ(set_result(*inst, 5), 0);
	const std::string before = inst->device().render_mlcore_result();
	int ready[2];
	ASSERT_EQ(pipe(ready), 0);
	pid_t pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		auto child = mlc::Instance::open_existing(name_);
		child->device().reload([&] {
			(void)!write(ready[1], "x", 1);
			pause();
		});
		_exit(0);
	}
	char c;
	ASSERT_EQ(read(ready[0], &c, 1), 1);
	std::string during;
	EXPECT_TRUE(finishes_within(
		std::chrono::seconds(20), [&] { during = inst->device().render_mlcore_result(); },
		[pid] { kill(pid, SIGKILL); }))
		<< "a reader waited for the lock owner";
	EXPECT_EQ(during, before);
	kill(pid, SIGKILL);
	waitpid(pid, nullptr, 0);
	EXPECT_EQ(inst->device().render_mlcore_result(), before);
	// The next writer recovers the half-reloaded state as it is (mlcore was
	// unloaded, not loaded again: its state is kept).
	ASSERT_EQ(set_result(*inst, 7), 0);
	EXPECT_EQ(inst->device().mlcore_snapshot().latest_result, 7);
	EXPECT_EQ(inst->device().render_mlcore_result().rfind("Current Prediction: 7\n", 0), 0u);
	close(ready[0]);
	close(ready[1]);
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

namespace {

// The emulator's own text files (the log file, dmesg) seek like a regular
// file: a target beyond INT64_MAX wraps negative in the kernel's loff_t
// arithmetic and is EINVAL, with the position unchanged (a fuzzer found
// the signed overflow this used to be).
TEST_F(InstanceTest, TextFileLseekOverflowIsEinvalAndKeepsThePosition)
{
	auto inst = mlc::Instance::open_or_create(name_);
	const mlc::FileTable &t = mlc::FileTable::standard();
	for (const char *path : {"var/log/mlcore.log", "dmesg"}) {
		int err = 0;
		auto f = t.node(*t.resolve(path))->open(*inst, O_RDONLY, mlc::Cred{}, &err);
		ASSERT_TRUE(f) << path << " " << err;
		constexpr int64_t kMax = INT64_MAX;
		int64_t pos = 0;
		EXPECT_EQ(f->lseek(&pos, kMax, SEEK_SET), kMax) << path;
		EXPECT_EQ(f->lseek(&pos, kMax, SEEK_CUR), -EINVAL) << path;
		EXPECT_EQ(f->lseek(&pos, 1, SEEK_CUR), -EINVAL) << path;
		EXPECT_EQ(pos, kMax) << path;
		if (std::string(path) == "dmesg") {	// the load lines: not empty
			EXPECT_EQ(f->lseek(&pos, kMax, SEEK_END), -EINVAL) << path;
		}
		EXPECT_EQ(f->lseek(&pos, -1, SEEK_CUR), kMax - 1) << path;
		EXPECT_EQ(f->lseek(&pos, INT64_MIN, SEEK_CUR), -EINVAL) << path;
	}
}

// A state root that already exists and belongs to the caller is used as
// it is: never chmod'ed (MLCORE_EMU_STATE_DIR=/tmp as root must not lock
// the system's /tmp); the instance's own directory is still made 0700.
TEST_F(InstanceTest, ExistingStateRootKeepsItsMode)
{
	ASSERT_EQ(chmod(state_.c_str(), 01777), 0);
	auto inst = mlc::Instance::open_or_create(name_);
	struct stat st;
	ASSERT_EQ(stat(state_.c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 01777u);
	ASSERT_EQ(stat(inst->state_dir().c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 07777, 0700u);
}

}  // namespace

namespace {

// Reliability D2: a segment is attached only if it is this user's private
// regular object with a sane layout and in-range indices.
class SegmentTrustTest : public InstanceTest {
protected:
	std::string path() const { return "/dev/shm/" + mlc::Instance::segment_name(name_); }

	// A valid segment made by this user, then closed.
	void make_valid() { mlc::Instance::open_or_create(name_); }

	std::string refusal()
	{
		try {
			mlc::Instance::open_existing(name_);
		} catch (const mlc::InstanceError &e) {
			return e.what();
		}
		return "";
	}

	// Overwrites the segment's DeviceState through a plain mapping.
	template <typename F>
	void damage(F &&f)
	{
		bip::shared_memory_object shm(bip::open_only,
					      mlc::Instance::segment_name(name_).c_str(),
					      bip::read_write);
		bip::mapped_region region(shm, bip::read_write);
		f(static_cast<mlc::InstanceSegment *>(region.get_address())->devices);
	}
	// Overwrites the kernel log's header and the descriptor of its
	// oldest record (after the InstanceSegment).
	template <typename F>
	void damage_klog(F &&f)
	{
		bip::shared_memory_object shm(bip::open_only,
					      mlc::Instance::segment_name(name_).c_str(),
					      bip::read_write);
		bip::mapped_region region(shm, bip::read_write);
		auto *seg = static_cast<mlc::InstanceSegment *>(region.get_address());
		mlc::KernelLogRing &ring = seg->devices.klog;
		auto *descs = reinterpret_cast<mlc::KernelLogDesc *>(seg + 1);
		f(seg->devices, descs[ring.first_seq & ((1u << ring.desc_shift) - 1)]);
	}
};

TEST_F(SegmentTrustTest, AnotherUsersSegmentIsRefusedAndNeverRemoved)
{
	if (getuid() != 0)
		GTEST_SKIP() << "needs root to make a segment owned by another uid";
	make_valid();
	ASSERT_EQ(chown(path().c_str(), 65534, 65534), 0);
	ASSERT_EQ(chmod(path().c_str(), 0666), 0);
	std::string why = refusal();
	EXPECT_NE(why.find(path()), std::string::npos) << why;
	EXPECT_NE(why.find("owner uid 65534"), std::string::npos) << why;
	EXPECT_THROW(mlc::Instance::open_or_create(name_), mlc::ForeignSegmentError);
	EXPECT_FALSE(mlc::Instance::remove(name_));
	struct stat st;
	EXPECT_EQ(stat(path().c_str(), &st), 0) << "another user's segment was removed";
	unlink(path().c_str());
}

TEST_F(SegmentTrustTest, GroupOrOtherBitsAreRefused)
{
	make_valid();
	for (mode_t mode : {0640, 0606, 0666, 0604}) {
		ASSERT_EQ(chmod(path().c_str(), mode), 0);
		std::string why = refusal();
		EXPECT_NE(why.find("refusing it"), std::string::npos) << mode << why;
	}
	ASSERT_EQ(chmod(path().c_str(), 0600), 0);
	EXPECT_EQ(refusal(), "");
}

TEST_F(SegmentTrustTest, ASymlinkAtTheNameIsNotFollowed)
{
	std::string target_name = name_ + "-target";
	mlc::Instance::open_or_create(target_name);
	std::string target = "/dev/shm/" + mlc::Instance::segment_name(target_name);
	ASSERT_EQ(symlink(target.c_str(), path().c_str()), 0);
	EXPECT_NE(refusal(), "");
	EXPECT_THROW(mlc::Instance::open_or_create(name_), mlc::InstanceError);
	unlink(path().c_str());
	mlc::Instance::remove(target_name);
}

TEST_F(SegmentTrustTest, PlantedIndicesAreRefusedNamingTheField)
{
	struct Case {
		const char *field;
		void (*plant)(mlc::DeviceState &);
	};
	const Case cases[] = {
		{"mlcore.train_count", [](mlc::DeviceState &d) { d.mlcore.train_count = 4000; }},
		{"mlcore.train_count", [](mlc::DeviceState &d) { d.mlcore.train_count = -1; }},
		{"mlcore.hist_index", [](mlc::DeviceState &d) { d.mlcore.hist_index = 10; }},
		{"mlcore.hist_count", [](mlc::DeviceState &d) { d.mlcore.hist_count = 11; }},
		{"mllib.data_size", [](mlc::DeviceState &d) { d.mllib.data_size = 1025; }},
		{"model.name", [](mlc::DeviceState &d) {
			 std::memset(d.mllib.model1.name, 'x', sizeof(d.mllib.model1.name));
		 }},
		{"model.mode", [](mlc::DeviceState &d) { d.mlloop.model.mode = 9; }},
		{"mlloop.q_head", [](mlc::DeviceState &d) { d.mlloop.q_head = 256; }},
		{"mlloop.q_count", [](mlc::DeviceState &d) { d.mlloop.q_count = 257; }},
		{"mlloop.sim.wl.cur", [](mlc::DeviceState &d) { d.mlloop.sim.wl.cur = 3; }},
		{"mlloop.sim.ra.next", [](mlc::DeviceState &d) { d.mlloop.sim.act.next = 8; }},
		{"mlloop.policy.node_count", [](mlc::DeviceState &d) {
			 d.mlloop.sim.policy.node_count = 256;
		 }},
		{"mlloop.policy.node_count", [](mlc::DeviceState &d) {
			 d.mlloop.policy_stage.node_count = 100000;
		 }},
		{"lock.kind", [](mlc::DeviceState &d) { d.lock.m.__data.__kind ^= 0x10; }},
		{"lock.owner", [](mlc::DeviceState &d) { d.lock.m.__data.__lock = 0x3ffffff0; }},
		{"mlloop.workload.run_count", [](mlc::DeviceState &d) {
			 d.mlloop.workload.run_count = ML_LOOP_TRACE_MAX_RUNS + 1;
		 }},
		{"mlloop.sim.ra.range", [](mlc::DeviceState &d) {
			 d.mlloop.sim.def.end[3] = ML_LOOP_FILE_PAGES + 1;
		 }},
		{"mlloop.sim.feat.head", [](mlc::DeviceState &d) { d.mlloop.sim.feat.head = 512; }},
		{"mlloop.sim.feat.key", [](mlc::DeviceState &d) {
			 for (auto &k : d.mlloop.sim.feat.key)
				 k = 7;	// no free slot: a probe would never end
		 }},
	};
	for (const Case &c : cases) {
		mlc::Instance::remove(name_);
		make_valid();
		damage(c.plant);
		std::string why = refusal();
		EXPECT_NE(why.find(std::string(c.field) + " out of range"), std::string::npos)
			<< c.field << ": " << why;
		EXPECT_NE(why.find(path()), std::string::npos) << why;
	}
}

// The kernel log ring's header and descriptors: every index a reader or
// writer follows.
TEST_F(SegmentTrustTest, PlantedKernelLogIndicesAreRefusedNamingTheField)
{
	using Ring = mlc::DeviceState;
	using Desc = mlc::KernelLogDesc;
	struct Case {
		const char *field;
		void (*plant)(Ring &, Desc &);
	};
	const Case cases[] = {
		{"klog.shift", [](Ring &r, Desc &) { r.klog.desc_shift = 3; }},
		{"klog.first_seq", [](Ring &r, Desc &) {
			 // (the journal's cursor too: else the next locker shows
			 // up to it, as for an operation that died unshown)
			 r.klog.next_seq = r.journal.klog.cursor = r.klog.first_seq + 4097;
		 }},
		{"klog.head", [](Ring &r, Desc &) { r.klog.head -= 8; }},
		{"klog.descs.begin", [](Ring &r, Desc &) { r.klog.head += 3 << 17; }},
		{"klog.descs.seq", [](Ring &, Desc &d) { d.seq += 4096; }},
		{"klog.descs.len", [](Ring &, Desc &d) { d.len = mlc::kLogTextMax + 1; }},
		{"klog.descs.level", [](Ring &, Desc &d) { d.level = 8; }},
		{"klog.descs.next_off", [](Ring &, Desc &d) { d.next_off += 8; }},
	};
	for (const Case &c : cases) {
		mlc::Instance::remove(name_);
		make_valid();
		damage_klog(c.plant);
		std::string why = refusal();
		EXPECT_NE(why.find(std::string(c.field) + " out of range"), std::string::npos)
			<< c.field << ": " << why;
	}
	// The ring's size sizes the segment: another one is another layout.
	mlc::Instance::remove(name_);
	make_valid();
	damage_klog([](Ring &r, Desc &) { r.klog.shift = 26; });
	EXPECT_NE(refusal().find("has segment layout"), std::string::npos) << refusal();
}

TEST_F(SegmentTrustTest, ResetRecreatesADamagedSegment)
{
	make_valid();
	damage([](mlc::DeviceState &d) { d.mlcore.train_count = 4000; });
	ASSERT_NE(refusal(), "");
	mlc::Instance::remove(name_);
	auto inst = mlc::Instance::open_or_create(name_);
	EXPECT_EQ(inst->device().mlcore_snapshot().train_count, 0);
}

}  // namespace

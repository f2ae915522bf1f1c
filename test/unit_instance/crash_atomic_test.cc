// SPDX-License-Identifier: GPL-2.0
//
// Every operation is crash-atomic (docs/reliability.md): a process killed
// with SIGKILL at any point inside an operation leaves the device state,
// the kernel log ring and the log file as if the operation never started,
// for the next process that locks.  A forked child takes the lock over a
// shared state and is killed at a chosen point: the Nth clock read (a seam
// the core calls between its stores) or just after the Nth kernel-log
// record (the test-only hook of KernelLog); the parent's next operation
// must see exactly the state from before.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <span>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "emulator/device.hpp"

namespace fs = std::filesystem;

namespace {

// A fixed clock that kills its process on its Nth read.
class KillClock final : public mlc::Clock {
public:
	explicit KillClock(int kill_at) : kill_at_(kill_at) {}
	mlc_timespec realtime() const override
	{
		tick();
		return {1700000000, 0};
	}
	int64_t since_boot_ns() const override
	{
		tick();
		return 1000;
	}

private:
	void tick() const
	{
		if (++calls_ == kill_at_)
			raise(SIGKILL);
	}
	int kill_at_;
	mutable int calls_ = 0;
};

int g_printk_kill_at = 0;
int g_printk_calls = 0;

void printk_hook()
{
	if (++g_printk_calls == g_printk_kill_at)
		raise(SIGKILL);
}

struct Seen {
	std::vector<unsigned char> mlcore, mllib, mlloop;
	std::vector<std::string> klog;
	std::string logfile;
	bool operator==(const Seen &) const = default;
};

template <typename T>
std::vector<unsigned char> bytes(const T &v)
{
	const auto *p = reinterpret_cast<const unsigned char *>(&v);
	return {p, p + sizeof(T)};
}

class CrashAtomicTest : public ::testing::Test {
protected:
	void SetUp() override
	{
		dir_ = fs::temp_directory_path() /
		       ("mlc-atomic-" + std::to_string(getpid()));
		fs::create_directories(dir_);
		log_ = (dir_ / "mlcore.log").string();
		// The state, then its kernel log's storage, as in a segment; a
		// 4 KiB ring (the smallest) so a few operations wrap it.
		void *p = mmap(nullptr, map_bytes(), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		ASSERT_NE(p, MAP_FAILED);
		state_ = static_cast<mlc::DeviceState *>(p);
		mlc::init_device_state(*state_, storage(), kShift);
		dev_ = std::make_unique<mlc::Device>(*state_, storage(), services(0));
		dev_->load();
	}
	void TearDown() override
	{
		dev_.reset();
		munmap(state_, map_bytes());
		fs::remove_all(dir_);
	}

	static constexpr uint32_t kShift = mlc::kLogBufShiftMin;
	static size_t map_bytes()
	{
		return sizeof(mlc::DeviceState) + mlc::kernel_log_storage_bytes(kShift);
	}
	std::span<std::byte> storage()
	{
		return {reinterpret_cast<std::byte *>(state_ + 1),
			mlc::kernel_log_storage_bytes(kShift)};
	}

	mlc::DeviceServices services(int clock_kill_at)
	{
		mlc::DeviceServices s;
		s.clock = std::make_unique<KillClock>(clock_kill_at);
		s.logfile = std::make_unique<mlc::LogFile>(log_);
		s.random = std::make_unique<mlc::SeededRandom>(1);
		return s;
	}

	// Everything an observer can see, through the parent's device: its
	// first operation after the kill is the one that finds the dead owner.
	Seen seen()
	{
		Seen s;
		s.mlcore = bytes(dev_->mlcore_snapshot());
		s.mllib = bytes(dev_->mllib_snapshot());
		s.mlloop = bytes(dev_->mlloop_snapshot());
		for (const auto &rec : dev_->kernel_log())
			s.klog.push_back(std::to_string(rec.seq) + mlc::format_raw(rec));
		std::ifstream in(log_);
		std::stringstream ss;
		ss << in.rdbuf();
		s.logfile = ss.str();
		return s;
	}

	// Runs op in a child over the same state; the child must die of
	// SIGKILL inside it.
	template <typename Op>
	void kill_child_in(int clock_kill_at, int printk_kill_at, Op op)
	{
		pid_t pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			mlc::Device child(*state_, storage(), services(clock_kill_at));
			g_printk_kill_at = printk_kill_at;
			mlc::g_kernel_log_test_hook = printk_hook;
			op(child);
			_exit(0);	// not killed: the parent fails
		}
		int status = 0;
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
			<< "the child was not killed inside the operation";
	}

	static long set_result(mlc::Device &d, int v)
	{
		return d.mlcore_ioctl(IOCTL_SET_RESULT, &v);
	}

	fs::path dir_;
	std::string log_;
	mlc::DeviceState *state_ = nullptr;
	std::unique_ptr<mlc::Device> dev_;
};

// SET_RESULT reads the clock for the history stamp (1), for the log line
// (2), for the kernel-log record (3), then appends that record (hook 1):
// killed after each, it has done nothing.
TEST_F(CrashAtomicTest, SetResultKilledAnywhereLeavesNothing)
{
	ASSERT_EQ(set_result(*dev_, 11), 0);
	struct Point {
		int clock, printk;
	};
	for (Point at : {Point{1, 0}, Point{2, 0}, Point{3, 0}, Point{0, 1}}) {
		SCOPED_TRACE("clock read " + std::to_string(at.clock) +
			     ", record " + std::to_string(at.printk));
		Seen before = seen();
		kill_child_in(at.clock, at.printk,
			      [](mlc::Device &d) { set_result(d, 9700531); });
		Seen after = seen();
		EXPECT_EQ(after.mlcore, before.mlcore);
		EXPECT_EQ(after.klog, before.klog);
		EXPECT_EQ(after.logfile, before.logfile);
		EXPECT_TRUE(after == before);
	}
	// And the device goes on as if no kill had happened.
	ASSERT_EQ(set_result(*dev_, 12), 0);
	EXPECT_EQ(dev_->render_mlcore_result(),
		  "Current Prediction: 12\nPrediction History (latest 2):\n"
		  " [0]: 11 at 2023-11-14 22:13:20\n"
		  " [1]: 12 at 2023-11-14 22:13:20\n");
	std::ifstream in(log_);
	std::stringstream ss;
	ss << in.rdbuf();
	EXPECT_EQ(ss.str(), "2023-11-14 22:13:20 - Prediction: 11\n"
			    "2023-11-14 22:13:20 - Prediction: 12\n");
}

// A full ring: the records a killed operation dropped (the oldest) are
// back, text and all, at every phase of the text ring's wrap.
TEST_F(CrashAtomicTest, OverwrittenKernelLogRecordIsPutBack)
{
	int feat[3] = {1, 2, 3};
	while (state_->klog.next_seq < 200)
		ASSERT_EQ(dev_->mlcore_ioctl(IOCTL_SEND_INTS, feat), 0);
	for (int i = 0; i < 12; i++) {
		SCOPED_TRACE("head " + std::to_string(state_->klog.head));
		Seen before = seen();
		ASSERT_LT(before.klog.size(), 100u);	// the ring is full
		kill_child_in(0, 1, [](mlc::Device &d) { set_result(d, 5); });
		EXPECT_TRUE(seen() == before);
		EXPECT_EQ(seen().klog.front(), before.klog.front());
		EXPECT_EQ(dev_->kernel_log_buffer().check(), nullptr);
		// Move the wrap's phase by one record of another length.
		ASSERT_EQ(set_result(*dev_, 1 << i), 0);
	}
}

// The other devices' operations too: a write to /dev/mllibdev killed after
// its record.
TEST_F(CrashAtomicTest, MllibWriteKilledLeavesNothing)
{
	dev_->mllib_open();
	Seen before = seen();
	kill_child_in(0, 1, [](mlc::Device &d) {
		char buf[16];
		std::memset(buf, 'x', sizeof(buf));
		int64_t pos = 0;
		mlc::LocalMemory mem;
		d.mllib_write(reinterpret_cast<mlc_uptr>(buf), sizeof(buf), &pos, mem);
	});
	EXPECT_TRUE(seen() == before);
}

// A kill after the operation's end changes nothing: it is kept whole.
TEST_F(CrashAtomicTest, OperationDoneBeforeTheKillIsKept)
{
	kill_child_in(0, 0, [](mlc::Device &d) {
		set_result(d, 77);
		raise(SIGKILL);
	});
	Seen after = seen();
	EXPECT_EQ(dev_->mlcore_snapshot().latest_result, 77);
	EXPECT_EQ(after.logfile, "2023-11-14 22:13:20 - Prediction: 77\n");
	ASSERT_FALSE(after.klog.empty());
	EXPECT_EQ(after.klog.back().substr(after.klog.back().find('<')),
		  "<6>[mlcore] Prediction set: 77");
}

}  // namespace

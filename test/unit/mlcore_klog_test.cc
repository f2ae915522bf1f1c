// SPDX-License-Identifier: GPL-2.0
//
// Kernel log lines of the mlcore device: text, level and order for every
// code path, at the Device level (format_raw of kernel_log()) and at the
// core level (recording sinks, to see the order against the log file).
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <map>
#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <fmt/format.h>

#include "emulator/kernel_log.hpp"

#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char *kLoaded = "<6>[mlcore] Loaded with fixed-point logging.";
constexpr const char *kOpenFailed = "<3>[mlcore] Failed to open log file.";
constexpr const char *kWriteFailed = "<3>[mlcore] Failed to write to log file.";

// The mlcore lines among a run of kernel log lines (the instance hosts
// other devices, whose load and unload lines are not this test's subject).
std::vector<std::string> mlcore_only(const std::vector<std::string> &lines)
{
	std::vector<std::string> out;
	for (const auto &l : lines)
		if (l.find("[mlcore]") != std::string::npos)
			out.push_back(l);
	return out;
}

TEST(MlcoreKlog, LoadLogsOneMlcoreLineFirst)
{
	DeviceHarness h;
	ASSERT_FALSE(h.load_lines().empty());
	EXPECT_EQ(h.load_lines().front(), kLoaded);
	EXPECT_THAT(mlcore_only(h.load_lines()), ElementsAre(kLoaded));
	EXPECT_THAT(h.klog_lines(), IsEmpty());
}

TEST(MlcoreKlog, CoreLoadLogsExactlyTheLoadLine)
{
	CoreHarness core;
	EXPECT_THAT(core.events, ElementsAre(kLoaded));
}

TEST(MlcoreKlog, UnloadLine)
{
	CoreHarness core;
	mlc_host host = core.host();
	mlcore_dev_unload(&core.dev, &host);
	EXPECT_THAT(core.events, ElementsAre(kLoaded, "<6>[mlcore] Unloaded."));
}

TEST(MlcoreKlog, ReloadLogsUnloadThenLoadAndResetsTheState)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(5), 0);
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	ASSERT_EQ(h.send_ints(1, 2, 3), 0);
	h.take_klog();
	h.dev().reload();
	EXPECT_THAT(mlcore_only(h.take_klog()),
		    ElementsAre("<6>[mlcore] Unloaded.", kLoaded));
	mlcore_dev expected;
	std::memset(&expected, 0, sizeof(expected));
	expected.latest_result = -1;
	const mlcore_dev s = h.dev().mlcore_snapshot();
	EXPECT_EQ(std::memcmp(&s, &expected, sizeof(s)), 0);
	EXPECT_EQ(h.get_result(), -1);
}

TEST(MlcoreKlog, EveryPathLogsItsLineAndLevelInOrder)
{
	DeviceHarness h;
	ASSERT_EQ(h.send_ints(150, -5, -250), 0);
	ASSERT_EQ(h.set_result(-3), 0);
	ASSERT_EQ(h.add_training(entry(100, -100, -32, 8)), 0);
	for (int i = 1; i < 50; i++)
		ASSERT_EQ(h.add_training(entry(0, 0, 0, i)), 0);
	ASSERT_EQ(h.add_training(entry(1, 1, 1, 1)), 0);	// full
	ASSERT_EQ(h.clear_training(), 0);

	const std::vector<std::string> lines = h.klog_lines();
	ASSERT_EQ(lines.size(), 1u + 1 + 50 + 1 + 1);
	EXPECT_EQ(lines[0], "<6>[mlcore] Received features: 1.50 0.05 -2.50");
	EXPECT_EQ(lines[1], "<6>[mlcore] Prediction set: -3");
	EXPECT_EQ(lines[2],
		  "<6>[mlcore] Training data added: 1.00 -1.00 0.32 => 8");
	EXPECT_EQ(lines[51],
		  "<6>[mlcore] Training data added: 0.00 0.00 0.00 => 49");
	EXPECT_EQ(lines[52], "<4>[mlcore] Training buffer full!");
	EXPECT_EQ(lines[53], "<6>[mlcore] Training buffer cleared");
}

TEST(MlcoreKlog, GetResultFaultsAndUnknownCommandsLogNothing)
{
	DeviceHarness h;
	h.take_klog();
	int32_t out;
	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, &out), 0);
	ASSERT_EQ(h.ioctl(IOCTL_GET_RESULT, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(IOCTL_SEND_INTS, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(IOCTL_SET_RESULT, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(IOCTL_ADD_TRAINING, nullptr), -EFAULT);
	ASSERT_EQ(h.ioctl(0x6800, &out), -EINVAL);
	ASSERT_EQ(h.ioctl(_IOR(104, 2, int), &out), -EINVAL);
	EXPECT_THAT(h.take_klog(), IsEmpty());
}

TEST(MlcoreKlog, PredictionSetIsLoggedAfterTheLogFileWrite)
{
	CoreHarness core;
	GuardedRegion region(4);
	region.put(0, int32_t{7});
	ASSERT_EQ(core.ioctl(IOCTL_SET_RESULT, region.at(0), region.mem()), 0);
	EXPECT_THAT(core.events,
		    ElementsAre(kLoaded,
				"file:2026-03-14 15:09:26 - Prediction: 7\n",
				"<6>[mlcore] Prediction set: 7"));
}

TEST(MlcoreKlog, LogFileFailuresComeBeforePredictionSet)
{
	struct Case {
		int result;
		const char *line;
	};
	for (const Case &c : {Case{MLC_LOGFILE_OPEN_FAILED, kOpenFailed},
			      Case{MLC_LOGFILE_WRITE_FAILED, kWriteFailed}}) {
		SCOPED_TRACE(c.line);
		CoreHarness core;
		core.logfile_result = c.result;
		GuardedRegion region(4);
		region.put(0, int32_t{-9});
		ASSERT_EQ(core.ioctl(IOCTL_SET_RESULT, region.at(0), region.mem()),
			  0);
		EXPECT_THAT(core.events,
			    ElementsAre(kLoaded,
					"file:2026-03-14 15:09:26 - Prediction: -9\n",
					c.line, "<6>[mlcore] Prediction set: -9"));
		EXPECT_EQ(core.dev.latest_result, -9);
		EXPECT_EQ(core.dev.hist_count, 1);
	}
}

// A SET_RESULT whose log file cannot be opened still succeeds and logs the
// error before the prediction line.
void expect_open_failure(DeviceHarness &h)
{
	h.take_klog();
	ASSERT_EQ(h.set_result(INT_MIN), 0);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre(kOpenFailed,
				"<6>[mlcore] Prediction set: -2147483648"));
	EXPECT_EQ(h.get_result(), INT_MIN);
	EXPECT_EQ(h.dev().mlcore_snapshot().hist_count, 1);
}

TEST(MlcoreKlog, OpenFailureWhenLogPathIsADirectory)
{
	DeviceHarness h;
	ASSERT_EQ(::mkdir(h.log_path().c_str(), 0755), 0);
	expect_open_failure(h);
}

TEST(MlcoreKlog, OpenFailureWhenLogPathIsASymlink)
{
	DeviceHarness h;
	const std::string target = h.dir().file("target");
	write_file(target, "");
	ASSERT_EQ(::symlink(target.c_str(), h.log_path().c_str()), 0);
	expect_open_failure(h);
}

TEST(MlcoreKlog, OpenFailureWhenNoLogPathIsConfigured)
{
	DeviceHarness h(std::string{});
	expect_open_failure(h);
}

TEST(MlcoreKlog, OpenFailureWhenLogDirectoryIsMissing)
{
	DeviceHarness h;
	DeviceHarness missing(h.dir().file("no/such/dir/mlcore.log"));
	expect_open_failure(missing);
}

TEST(MlcoreKlog, WriteFailureOnAFullDevice)
{
	if (!lstat_of("/dev/full"))
		GTEST_SKIP() << "no /dev/full";
	DeviceHarness h(std::string("/dev/full"));
	h.take_klog();
	ASSERT_EQ(h.set_result(1), 0);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre(kWriteFailed, "<6>[mlcore] Prediction set: 1"));
}

TEST(MlcoreKlog, RecordsCarryTheTimeSinceBootForDmesg)
{
	DeviceHarness h;
	const auto recs = h.dev().kernel_log(0);
	ASSERT_FALSE(recs.empty());
	EXPECT_EQ(recs[0].seq, 0u);
	EXPECT_EQ(recs[0].level, 6);
	EXPECT_EQ(format_dmesg(recs[0]),
		  "[    1.234567] [mlcore] Loaded with fixed-point logging.");
}

// ---------------------------------------------------------------------------
// The ring itself (kernel_log.hpp) against the 6.1 kernel's printk_ringbuffer,
// modelled here from kernel/printk/printk_ringbuffer.c as the kernel does
// it, one writer: a descriptor ring (head_id, tail_id, a reusable dummy
// descriptor to start, desc_reserve() pushing the tail when the id one
// wrap back is the tail) and a data ring of logical positions starting at
// -size (head_lpos, tail_lpos; data_alloc(), get_next_lpos(),
// data_push_tail() following each block's id back to its descriptor).  A
// reader keeps the records between tail_id and head_id still committed.
namespace kernel_prb {

struct Desc {
	uint64_t id = 0;
	enum { kReserved, kCommitted, kReusable } state = kReserved;
	uint64_t begin = 0, next = 0;
	bool dataless = false;
	std::string text;
};

class Ring {
public:
	explicit Ring(unsigned shift)
		: size_(uint64_t{1} << shift), count_(size_ >> 5), descs_(count_)
	{
		head_id_ = tail_id_ = uint64_t{0} - (count_ + 1);	// DESC0_ID
		Desc &d0 = descs_[head_id_ & (count_ - 1)];
		d0.id = head_id_;
		d0.state = Desc::kReusable;
		d0.dataless = true;
		head_lpos_ = tail_lpos_ = uint64_t{0} - size_;		// BLK0_LPOS
	}

	// printk("%c%c%pV", KERN_SOH, level, "text\n") as vprintk_store() does.
	void printk(const std::string &text)
	{
		size_t reserve = std::min<size_t>(2 + text.size() + 1 + 1, 992);
		size_t kept = std::min<size_t>(text.size(), reserve - 1 - 2);
		uint64_t id = head_id_ + 1;
		if (id - count_ == tail_id_)
			desc_push_tail();
		head_id_ = id;
		Desc &d = descs_[id & (count_ - 1)];
		d = Desc{};
		d.id = id;
		uint64_t blk = (8 + reserve + 7) & ~uint64_t{7};
		uint64_t begin = head_lpos_, next = begin + blk;
		if (begin / size_ != next / size_)	// DATA_WRAPS(begin) != DATA_WRAPS(next)
			next = next / size_ * size_ + blk;
		data_push_tail(next - size_);
		head_lpos_ = next;
		blocks_[begin] = id;
		d.begin = begin;
		d.next = next;
		d.text = text.substr(0, kept);
		d.state = Desc::kCommitted;
	}

	std::vector<std::string> kept() const
	{
		std::vector<std::string> out;
		for (uint64_t id = tail_id_; id != head_id_ + 1; id++) {
			const Desc &d = descs_[id & (count_ - 1)];
			if (d.id == id && d.state == Desc::kCommitted)
				out.push_back(d.text);
		}
		return out;
	}

private:
	void desc_push_tail()
	{
		Desc &d = descs_[tail_id_ & (count_ - 1)];
		d.state = Desc::kReusable;
		if (!d.dataless)
			data_push_tail(d.next);
		tail_id_++;
	}
	void data_push_tail(uint64_t lpos)
	{
		while (static_cast<int64_t>(lpos - tail_lpos_) > 0) {
			uint64_t id = blocks_.at(tail_lpos_);
			Desc &d = descs_[id & (count_ - 1)];
			ASSERT_EQ(d.begin, tail_lpos_);
			d.state = Desc::kReusable;
			blocks_.erase(tail_lpos_);
			tail_lpos_ = d.next;
		}
	}

	uint64_t size_, count_;
	std::vector<Desc> descs_;
	uint64_t head_id_, tail_id_, head_lpos_, tail_lpos_;
	std::map<uint64_t, uint64_t> blocks_;	// block begin -> its id
};

}  // namespace kernel_prb

std::vector<std::string> texts(const KernelLogBuffer &log)
{
	std::vector<std::string> out;
	for (const auto &rec : log.since(0))
		out.push_back(rec.text);
	return out;
}

// A record costs its text + 4 (KERN_SOH, level, "\n", NUL) + the 8-byte
// block id, aligned to 8.
TEST(KernelLogRing, BlockSizeIsTheKernelsReserveAligned)
{
	EXPECT_EQ(log_block_size(std::strlen("[mlcore] Prediction set: 5")), 40u);	// 8 + 30 -> 40
	EXPECT_EQ(log_block_size(28), 40u);	// 8 + 32
	EXPECT_EQ(log_block_size(29), 48u);	// 8 + 33 -> 48
	EXPECT_EQ(log_block_size(988), 1000u);	// the reserve's cap, 992
	EXPECT_EQ(log_block_size(5000), 1000u);
	EXPECT_EQ(log_text_len(5000), 989u);	// 992 - NUL - prefix
	EXPECT_EQ(kernel_log_storage_bytes(17), 2u * 131072);	// 4096 descriptors of 32
}

TEST(KernelLogRing, SizeIsRoundedUpToAPowerOfTwoInKconfigsRange)
{
	EXPECT_EQ(log_buf_shift_for(131072), 17u);
	EXPECT_EQ(log_buf_shift_for(100000), 17u);
	EXPECT_EQ(log_buf_shift_for(131073), 18u);
	EXPECT_EQ(log_buf_shift_for(1), 12u);
	EXPECT_EQ(log_buf_shift_for(uint64_t{1} << 25), 25u);
	EXPECT_EQ(log_buf_shift_for((uint64_t{1} << 25) + 1), std::nullopt);
	EXPECT_EQ(log_buf_shift_for(0), std::nullopt);
}

// 4 KiB, lines of 28 bytes (40-byte blocks): 102 fill 4080 bytes; the
// 103rd would cross the end, so it goes to the start, wasting 16, and the
// first record (the block at 0) is dropped.
TEST(KernelLogRing, AWrappingBlockGoesToTheStartAndDropsTheOldest)
{
	OwnedKernelLog log(12);
	const std::string line(28, 'x');
	for (int i = 0; i < 102; i++)
		log.buffer.append(6, 0, line);
	EXPECT_EQ(log.buffer.kept(), 102u);
	log.buffer.append(6, 0, line);
	EXPECT_EQ(log.buffer.kept(), 102u);
	EXPECT_EQ(log.buffer.since(0).front().seq, 1u);
	EXPECT_EQ(log.ring.head, 4096u + 40);
}

// 4 KiB, 32-byte blocks (20-byte lines): 128 would fill it exactly, but
// the 128th ends at the end, which get_next_lpos() counts as wrapping: it
// goes to the start and drops the first.  127 are kept, not 128.
TEST(KernelLogRing, ABlockEndingExactlyAtTheEndWrapsToo)
{
	OwnedKernelLog log(12);
	for (int i = 0; i < 128; i++)
		log.buffer.append(6, 0, std::string(20, 'a' + i % 26));
	EXPECT_EQ(log.buffer.kept(), 127u);
	EXPECT_EQ(log.buffer.since(0).front().seq, 1u);
}

// One descriptor per 32 bytes: 1-byte lines (16-byte blocks) run out of
// descriptors first, 4096 in a 128 KiB ring.
TEST(KernelLogRing, ShortLinesAreBoundByTheDescriptorCount)
{
	OwnedKernelLog log;
	for (int i = 0; i < 5000; i++)
		log.buffer.append(6, 0, "x");
	EXPECT_EQ(log.buffer.kept(), 4096u);
	EXPECT_EQ(log.buffer.since(0).front().seq, 5000u - 4096);
}

// The same lines in, the same lines kept, as the kernel's ring keeps them,
// for lines of every length (some beyond what the kernel keeps of a line),
// in the smallest ring and Debian's.
TEST(KernelLogRing, KeepsWhatTheKernelsRingKeeps)
{
	for (unsigned shift : {12u, 17u}) {
		for (unsigned seed = 1; seed <= 3; seed++) {
			SCOPED_TRACE("shift " + std::to_string(shift) + " seed " +
				     std::to_string(seed));
			OwnedKernelLog log(shift);
			kernel_prb::Ring kernel(shift);
			std::mt19937 rng(seed);
			int lines = shift == 12 ? 2000 : 9000;
			for (int i = 0; i < lines; i++) {
				size_t len = rng() % 8 == 0 ? rng() % 1100 : 1 + rng() % 120;
				std::string text = fmt::format("{}:", i);
				text.resize(std::max(len, text.size()), 'a' + i % 26);
				kernel.printk(text);
				log.buffer.append(6, 0, text);
				if (i % 97 == 0 || i == lines - 1) {
					ASSERT_EQ(texts(log.buffer), kernel.kept()) << "after line " << i;
					ASSERT_EQ(log.buffer.check(), nullptr);
				}
			}
		}
	}
}

}  // namespace
}  // namespace mlc::test

// SPDX-License-Identifier: GPL-2.0
//
// The test driver /dev/mllibdev (ABI.md, Profile 2, "Test driver
// ml_lib_test_dev"): load, open/release, read, write, pread/pwrite,
// lseek, mmap and the 'M' ioctls, with their counters and log lines.
#include <gtest/gtest.h>

#include <climits>
#include <cstring>

#include "test_host.hpp"

namespace mlc_test {
namespace {

constexpr int64_t k40 = int64_t{1} << 40;

class TestDev : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::memset(&dev, 0xFF, sizeof(dev));	// load must clear it all
		ASSERT_EQ(ml_lib_test_dev_load(&dev, h.get()), 0);
		h.log.lines.clear();
	}

	// prepare_dataset through the model's store: dataset all 0x5A.
	void prepare()
	{
		const char cmd[] = "prepare_dataset\n";
		ASSERT_EQ(ml_lib_test_dev_control_store(&dev, h.get(), cmd, 16),
			  16);
		ASSERT_EQ(dev.data_size, 1024);
		h.log.lines.clear();
	}

	long read(size_t count, int64_t *pos, size_t dst_off = 0)
	{
		return ml_lib_test_dev_read(&dev, h.get(), h.addr(dst_off),
					    count, pos);
	}
	long write(size_t count, int64_t *pos, size_t src_off = 0)
	{
		return ml_lib_test_dev_write(&dev, h.get(), h.addr(src_off),
					     count, pos);
	}
	long ioctl(unsigned int cmd, mlc_uptr arg)
	{
		return ml_lib_test_dev_ioctl(&dev, h.get(), cmd, arg);
	}

	TestHost h;
	ml_lib_test_dev dev;
};

// --- load ---------------------------------------------------------------

// ABI: load log lines in order, buffers zeroed, model created EMERGENCY.
TEST(TestDevLoad, LogLinesStateAndModel)
{
	TestHost h;
	ml_lib_test_dev dev;
	std::memset(&dev, 0xFF, sizeof(dev));
	ASSERT_EQ(ml_lib_test_dev_load(&dev, h.get()), 0);

	EXPECT_EQ(h.log.raw(), read_golden("load.klog"));
	std::vector<LogLine> want = {
		info("ml_lib_test_dev: Initializing driver"),
		info("ml_lib_test_dev: Driver initialized successfully"),
		info("ml_lib_test_dev: Device created at /dev/mllibdev"),
		info("ml_lib_test_dev: Proc entry created at /proc/mllibdev"),
	};
	EXPECT_EQ(h.log.lines, want);

	for (int i = 0; i < ML_LIB_TEST_BUFFER_SIZE; i++) {
		ASSERT_EQ(dev.dataset[i], 0) << i;
		ASSERT_EQ(dev.recommendations[i], 0) << i;
	}
	EXPECT_EQ(dev.data_size, 0);
	EXPECT_EQ(dev.recommendations_size, 0);
	EXPECT_EQ(dev.access_count, 0u);
	EXPECT_EQ(dev.read_count, 0u);
	EXPECT_EQ(dev.write_count, 0u);
	EXPECT_STREQ(dev.model1.name, "ml_model1");
	EXPECT_EQ(dev.model1.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_CREATED);
	EXPECT_EQ(ML_LIB_TEST_DEV_MINOR, 0);
}

TEST_F(TestDev, UnloadDestroysTheModelSilently)
{
	ml_lib_test_dev_unload(&dev, h.get());
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_SHUTTING_DOWN);
	EXPECT_TRUE(h.log.lines.empty());
}

// --- open / release -------------------------------------------------------

// ABI: open: access_count += 1 and its info line; release: its line.
TEST_F(TestDev, OpenCountsAndLogsReleaseLogs)
{
	EXPECT_EQ(ml_lib_test_dev_open(&dev, h.get()), 0);
	EXPECT_EQ(ml_lib_test_dev_open(&dev, h.get()), 0);
	EXPECT_EQ(ml_lib_test_dev_release(&dev, h.get()), 0);
	EXPECT_EQ(ml_lib_test_dev_open(&dev, h.get()), 0);
	EXPECT_EQ(ml_lib_test_dev_release(&dev, h.get()), 0);
	EXPECT_EQ(dev.access_count, 3u);	// release does not decrement
	EXPECT_EQ(dev.read_count, 0u);
	EXPECT_EQ(dev.write_count, 0u);
	std::vector<LogLine> want = {
		info("ml_lib_test_dev: Device opened (total opens: 1)"),
		info("ml_lib_test_dev: Device opened (total opens: 2)"),
		info("ml_lib_test_dev: Device closed"),
		info("ml_lib_test_dev: Device opened (total opens: 3)"),
		info("ml_lib_test_dev: Device closed"),
	};
	EXPECT_EQ(h.log.lines, want);
}

// --- read ---------------------------------------------------------------

struct RwCase {
	int64_t pos;
	size_t count;
	long ret;	// and the new position is pos + ret when ret > 0
	bool counted;
};

// ABI: read at p: 0 at/after size, else min(count, size - p); counts and
// logs `Read N bytes`, also N = 0 at p < size.
TEST_F(TestDev, ReadTable)
{
	prepare();
	const RwCase cases[] = {
		{0, 100, 100, true},
		{0, 1024, 1024, true},
		{0, 4096, 1024, true},
		{1000, 100, 24, true},
		{1023, 5, 1, true},
		{1023, 1, 1, true},
		{0, 0, 0, true},	// 0-byte read at p < size counts
		{1023, 0, 0, true},
		{1024, 0, 0, false},
		{1024, 10, 0, false},	// EOF: not counted, no line
		{5000, 10, 0, false},
		{k40, 10, 0, false},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::Message() << "pos " << c.pos << " count "
						<< c.count);
		h.set_user_size(4096 + 32);
		h.log.lines.clear();
		uint64_t reads = dev.read_count;
		int64_t pos = c.pos;
		EXPECT_EQ(read(c.count, &pos, 16), c.ret);
		EXPECT_EQ(pos, c.pos + c.ret);
		EXPECT_EQ(dev.read_count, reads + (c.counted ? 1 : 0));
		std::vector<LogLine> log;
		if (c.counted)
			log = {info("ml_lib_test_dev: Read " +
				    std::to_string(c.ret) + " bytes")};
		EXPECT_EQ(h.log.lines, log);
		// Exactly ret bytes of the dataset, at dst, nothing else.
		EXPECT_EQ(h.count_not_guard(), (size_t)c.ret);
		for (long i = 0; i < c.ret; i++)
			ASSERT_EQ(h.bytes()[16 + i], std::byte{0x5A}) << i;
		EXPECT_EQ(h.written_end(), c.ret ? 16 + (size_t)c.ret : 0);
	}
	EXPECT_EQ(dev.write_count, 0u);
	EXPECT_EQ(dev.access_count, 0u);
}

TEST_F(TestDev, ReadBeforeAnyPrepareIsEof)
{
	int64_t pos = 0;
	EXPECT_EQ(read(100, &pos), 0);
	EXPECT_EQ(read(0, &pos), 0);
	EXPECT_EQ(pos, 0);
	EXPECT_EQ(dev.read_count, 0u);
	EXPECT_TRUE(h.log.lines.empty());
}

TEST_F(TestDev, SequentialReadsAdvanceTheOffset)
{
	prepare();
	int64_t pos = 0;
	EXPECT_EQ(read(600, &pos), 600);
	EXPECT_EQ(pos, 600);
	EXPECT_EQ(read(600, &pos), 424);
	EXPECT_EQ(pos, 1024);
	EXPECT_EQ(read(600, &pos), 0);
	EXPECT_EQ(dev.read_count, 2u);
	std::vector<LogLine> want = {
		info("ml_lib_test_dev: Read 600 bytes"),
		info("ml_lib_test_dev: Read 424 bytes"),
	};
	EXPECT_EQ(h.log.lines, want);
}

// ABI: a bad buffer gives EFAULT only when there is data at p.
TEST_F(TestDev, ReadBadBuffer)
{
	prepare();
	int64_t pos = 0;
	EXPECT_EQ(ml_lib_test_dev_read(&dev, h.get(), TestHost::kUnmapped, 10,
				       &pos), -EFAULT);
	EXPECT_EQ(pos, 0);
	EXPECT_EQ(dev.read_count, 0u);
	EXPECT_TRUE(h.log.lines.empty());

	// A buffer that ends 10 bytes in: the copy of 100 faults.
	h.set_user_size(10);
	EXPECT_EQ(read(100, &pos), -EFAULT);
	EXPECT_EQ(pos, 0);
	EXPECT_EQ(dev.read_count, 0u);

	// No data at p: 0, whatever the buffer.
	pos = 1024;
	EXPECT_EQ(ml_lib_test_dev_read(&dev, h.get(), TestHost::kUnmapped, 10,
				       &pos), 0);
	EXPECT_EQ(dev.read_count, 0u);

	// 0 bytes at p < size: nothing to copy, so it succeeds and counts.
	pos = 0;
	EXPECT_EQ(ml_lib_test_dev_read(&dev, h.get(), TestHost::kUnmapped, 0,
				       &pos), 0);
	EXPECT_EQ(dev.read_count, 1u);
	std::vector<LogLine> want = {info("ml_lib_test_dev: Read 0 bytes")};
	EXPECT_EQ(h.log.lines, want);
}

TEST_F(TestDev, ReadAndWriteRefuseANegativeOffset)
{
	prepare();
	int64_t pos = -1;
	EXPECT_EQ(read(10, &pos), -EINVAL);
	EXPECT_EQ(write(10, &pos), -EINVAL);
	EXPECT_EQ(pos, -1);
	EXPECT_EQ(dev.read_count + dev.write_count, 0u);
	EXPECT_TRUE(h.log.lines.empty());
}

// --- write --------------------------------------------------------------

// ABI: ENOSPC at p >= 1024 even for 0 bytes, else min(count, 1024 - p)
// into recommendations, size := max(size, p_new), counts, `Wrote N bytes`.
TEST_F(TestDev, WriteTable)
{
	struct WCase {
		int64_t pos;
		size_t count;
		long ret;
	} cases[] = {
		{0, 10, 10},
		{0, 0, 0},
		{500, 0, 0},
		{1000, 100, 24},
		{1023, 1, 1},
		{1023, 0, 0},
		{0, 4096, 1024},
		{1024, 0, -ENOSPC},
		{1024, 10, -ENOSPC},
		{5000, 0, -ENOSPC},
		{k40, 0, -ENOSPC},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::Message() << "pos " << c.pos << " count "
						<< c.count);
		SetUp();
		h.set_user_size(4096);
		for (size_t i = 0; i < 4096; i++)
			h.bytes()[i] = std::byte(i * 7 + 1);
		int64_t pos = c.pos;
		EXPECT_EQ(write(c.count, &pos), c.ret);
		if (c.ret < 0) {
			EXPECT_EQ(pos, c.pos);
			EXPECT_EQ(dev.write_count, 0u);
			EXPECT_EQ(dev.recommendations_size, 0);
			EXPECT_TRUE(h.log.lines.empty());
			continue;
		}
		EXPECT_EQ(pos, c.pos + c.ret);
		EXPECT_EQ(dev.write_count, 1u);
		EXPECT_EQ(dev.recommendations_size, (int32_t)(c.pos + c.ret));
		std::vector<LogLine> log = {info("ml_lib_test_dev: Wrote " +
						 std::to_string(c.ret) +
						 " bytes")};
		EXPECT_EQ(h.log.lines, log);
		for (int i = 0; i < ML_LIB_TEST_BUFFER_SIZE; i++) {
			bool in = i >= c.pos && i < c.pos + c.ret;
			uint8_t want = in ? (uint8_t)((i - c.pos) * 7 + 1) : 0;
			ASSERT_EQ(dev.recommendations[i], want) << i;
		}
		// Never into the dataset, never the data size.
		EXPECT_EQ(dev.data_size, 0);
		EXPECT_EQ(dev.read_count, 0u);
	}
}

TEST_F(TestDev, RecommendationsSizeIsTheHighestEnd)
{
	int64_t pos = 500;
	EXPECT_EQ(write(10, &pos), 10);
	EXPECT_EQ(dev.recommendations_size, 510);
	pos = 0;
	EXPECT_EQ(write(10, &pos), 10);
	EXPECT_EQ(dev.recommendations_size, 510);	// max, not last
	pos = 600;
	EXPECT_EQ(write(0, &pos), 0);
	EXPECT_EQ(dev.recommendations_size, 600);	// a 0-byte write too
	EXPECT_EQ(dev.write_count, 3u);
}

TEST_F(TestDev, WriteBadBuffer)
{
	int64_t pos = 0;
	EXPECT_EQ(ml_lib_test_dev_write(&dev, h.get(), TestHost::kUnmapped, 10,
					&pos), -EFAULT);
	EXPECT_EQ(pos, 0);
	EXPECT_EQ(dev.write_count, 0u);
	EXPECT_EQ(dev.recommendations_size, 0);
	EXPECT_TRUE(h.log.lines.empty());
	// 0 bytes from a bad buffer: nothing to copy, counts.
	EXPECT_EQ(ml_lib_test_dev_write(&dev, h.get(), TestHost::kUnmapped, 0,
					&pos), 0);
	EXPECT_EQ(dev.write_count, 1u);
	// ENOSPC comes before looking at the buffer.
	pos = 1024;
	EXPECT_EQ(ml_lib_test_dev_write(&dev, h.get(), TestHost::kUnmapped, 10,
					&pos), -ENOSPC);
}

// ABI: recommendations are never readable back; read and write share the
// file offset.
TEST_F(TestDev, WritesAreNotReadBackAndShareTheOffset)
{
	prepare();
	h.set_user_size(64);
	std::memset(h.bytes(), 0x11, 64);
	int64_t pos = 0;
	EXPECT_EQ(write(10, &pos), 10);
	EXPECT_EQ(pos, 10);
	h.set_user_size(64);
	EXPECT_EQ(read(64, &pos), 64);		// from offset 10
	EXPECT_EQ(pos, 74);
	for (int i = 0; i < 64; i++)
		ASSERT_EQ(h.bytes()[i], std::byte{0x5A}) << i;
	pos = 0;
	EXPECT_EQ(read(10, &pos), 10);
	EXPECT_EQ(h.bytes()[0], std::byte{0x5A});
	EXPECT_EQ(dev.data_size, 1024);
}

// --- pread / pwrite (the VFS's checks) -------------------------------------

// ABI: pread/pwrite with a negative offset: EINVAL.
TEST(TestDevVfs, PreadPwriteNegativeOffsetIsEinval)
{
	const unsigned int rw = MLC_FMODE_READ | MLC_FMODE_WRITE;
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_READ, true, -1, 10), -EINVAL);
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_WRITE, true, -1, 10), -EINVAL);
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_READ, true, -1, 0), -EINVAL);
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_WRITE, true, INT64_MIN, 0),
		  -EINVAL);
	// Before the access mode is even looked at.
	EXPECT_EQ(mlc_vfs_rw_check(MLC_FMODE_WRITE, MLC_FMODE_READ, true, -1,
				   10), -EINVAL);
	EXPECT_EQ(mlc_vfs_rw_check(MLC_FMODE_READ, MLC_FMODE_READ, true, 0, 10),
		  0);
	EXPECT_EQ(mlc_vfs_rw_check(MLC_FMODE_READ, MLC_FMODE_WRITE, true, 0,
				   10), -EBADF);
	EXPECT_EQ(mlc_vfs_rw_check(MLC_FMODE_WRITE, MLC_FMODE_READ, false, 0,
				   10), -EBADF);
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_WRITE, true, k40, 0), 0);
	// pos + count past the largest offset.
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_READ, false, INT64_MAX - 5,
				   10), -EINVAL);
	EXPECT_EQ(mlc_vfs_rw_check(rw, MLC_FMODE_READ, false, INT64_MAX - 5,
				   5), 0);
	EXPECT_EQ(mlc_vfs_rw_count(SIZE_MAX), (size_t)0x7ffff000);
	EXPECT_EQ(mlc_vfs_rw_count(1024), 1024u);
}

// --- lseek / mmap ---------------------------------------------------------

// ABI: default_llseek with i_size 0.
TEST(TestDevLseek, Table)
{
	struct Case {
		int64_t from;
		int64_t off;
		int whence;
		int64_t ret;
		int64_t pos_after;
	} cases[] = {
		{0, 0, MLC_SEEK_SET, 0, 0},
		{7, 100, MLC_SEEK_SET, 100, 100},
		{0, k40, MLC_SEEK_SET, k40, k40},
		{7, INT64_MAX, MLC_SEEK_SET, INT64_MAX, INT64_MAX},
		{7, -1, MLC_SEEK_SET, -EINVAL, 7},
		{100, 10, MLC_SEEK_CUR, 110, 110},
		{100, 0, MLC_SEEK_CUR, 100, 100},
		{100, -100, MLC_SEEK_CUR, 0, 0},
		{100, -101, MLC_SEEK_CUR, -EINVAL, 100},
		{0, k40, MLC_SEEK_CUR, k40, k40},
		{INT64_MAX - 1, 10, MLC_SEEK_CUR, -EINVAL, INT64_MAX - 1},
		{7, 0, MLC_SEEK_END, 0, 0},
		{7, 5, MLC_SEEK_END, 5, 5},
		{7, k40, MLC_SEEK_END, k40, k40},
		{7, -1, MLC_SEEK_END, -EINVAL, 7},
		{7, -1, MLC_SEEK_DATA, -EINVAL, 7},
		{7, 0, MLC_SEEK_DATA, -ENXIO, 7},
		{7, 5, MLC_SEEK_DATA, -ENXIO, 7},
		{7, -1, MLC_SEEK_HOLE, 0, 0},
		{7, INT64_MIN, MLC_SEEK_HOLE, 0, 0},
		{7, 0, MLC_SEEK_HOLE, -ENXIO, 7},
		{7, 5, MLC_SEEK_HOLE, -ENXIO, 7},
		{7, 0, 5, -EINVAL, 7},
		{7, 0, -1, -EINVAL, 7},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::Message() << "from " << c.from << " off "
						<< c.off << " whence "
						<< c.whence);
		int64_t pos = c.from;
		EXPECT_EQ(ml_lib_test_dev_llseek(&pos, c.off, c.whence), c.ret);
		EXPECT_EQ(pos, c.pos_after);
	}
}

// SEEK_END is relative to i_size 0, not to the data size.
TEST_F(TestDev, LseekIgnoresTheDataSize)
{
	prepare();
	int64_t pos = 0;
	EXPECT_EQ(ml_lib_test_dev_llseek(&pos, 0, MLC_SEEK_END), 0);
	EXPECT_EQ(ml_lib_test_dev_llseek(&pos, 10, MLC_SEEK_DATA), -ENXIO);
	// A seek far out, then read: EOF; write: ENOSPC.
	EXPECT_EQ(ml_lib_test_dev_llseek(&pos, k40, MLC_SEEK_SET), k40);
	EXPECT_EQ(read(10, &pos), 0);
	EXPECT_EQ(write(0, &pos), -ENOSPC);
	EXPECT_EQ(pos, k40);
}

TEST(TestDevMmap, Enodev)
{
	EXPECT_EQ(ml_lib_test_dev_mmap(), -ENODEV);
}

// --- ioctls ---------------------------------------------------------------

// ABI: the numbers.
TEST(TestDevIoctl, Numbers)
{
	EXPECT_EQ(ML_LIB_TEST_IOCRESET, 0x00004D00u);
	EXPECT_EQ(ML_LIB_TEST_IOCGETSIZE, 0x80044D01u);
	EXPECT_EQ(ML_LIB_TEST_IOCSETSIZE, 0x40044D02u);
}

// ABI: GETSIZE returns the data size in exactly 4 bytes.
TEST_F(TestDev, GetsizeWritesExactlyFourBytes)
{
	h.set_user_size(16);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCGETSIZE, h.addr(4)), 0);
	const uint8_t zero[4] = {0, 0, 0, 0};
	EXPECT_EQ(std::memcmp(h.bytes() + 4, zero, 4), 0);
	EXPECT_EQ(h.count_not_guard(), 4u);
	EXPECT_EQ(h.written_end(), 8u);
	for (size_t i : {0, 1, 2, 3, 8, 9, 15})
		EXPECT_EQ(h.bytes()[i], kGuard) << i;

	prepare();
	h.set_user_size(16);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCGETSIZE, h.addr(4)), 0);
	const uint8_t k1024[4] = {0x00, 0x04, 0x00, 0x00};
	EXPECT_EQ(std::memcmp(h.bytes() + 4, k1024, 4), 0);
	EXPECT_EQ(h.written_end(), 8u);
	EXPECT_TRUE(h.log.lines.empty());		// GETSIZE logs nothing

	// Room for exactly 4 bytes is enough; 3 is not.
	h.set_user_size(4);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCGETSIZE, h.addr(0)), 0);
	h.set_user_size(3);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCGETSIZE, h.addr(0)), -EFAULT);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCGETSIZE, TestHost::kUnmapped), -EFAULT);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCGETSIZE, 0), -EFAULT);
	EXPECT_TRUE(h.log.lines.empty());
}

// ABI: SETSIZE sets the recommendations size (0..1024) and logs; it
// changes nothing any file shows.
TEST_F(TestDev, SetsizeRangeAndLog)
{
	prepare();
	struct Case {
		int32_t value;
		long ret;
	} cases[] = {
		{0, 0}, {512, 0}, {1024, 0}, {1, 0},
		{-1, -EINVAL}, {1025, -EINVAL}, {INT32_MIN, -EINVAL},
		{INT32_MAX, -EINVAL},
	};
	int32_t last = 0;
	for (const auto &c : cases) {
		SCOPED_TRACE(c.value);
		h.log.lines.clear();
		h.set_user_size(4);		// reads exactly 4 bytes
		h.poke(0, &c.value, 4);
		EXPECT_EQ(ioctl(ML_LIB_TEST_IOCSETSIZE, h.addr(0)), c.ret);
		if (c.ret == 0) {
			last = c.value;
			std::vector<LogLine> log = {info(
				"ml_lib_test_dev: Data size set to " +
				std::to_string(c.value) + " via IOCTL")};
			EXPECT_EQ(h.log.lines, log);
		} else {
			EXPECT_TRUE(h.log.lines.empty());
		}
		EXPECT_EQ(dev.recommendations_size, last);
		EXPECT_EQ(dev.data_size, 1024);		// never the data size
		EXPECT_EQ(h.written_end(), 0u);		// reads only
	}
	// Faults: nothing changes.
	h.log.lines.clear();
	h.set_user_size(3);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCSETSIZE, h.addr(0)), -EFAULT);
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCSETSIZE, TestHost::kUnmapped), -EFAULT);
	EXPECT_EQ(dev.recommendations_size, last);
	EXPECT_TRUE(h.log.lines.empty());
}

// ABI: IOCRESET zeroes both buffers and sizes, with its line.
TEST_F(TestDev, IocresetZeroesBuffersAndSizes)
{
	prepare();
	ASSERT_EQ(ml_lib_test_dev_open(&dev, h.get()), 0);
	int64_t pos = 0;
	h.set_user_size(100);
	std::memset(h.bytes(), 0x22, 100);
	ASSERT_EQ(write(100, &pos), 100);
	ASSERT_EQ(read(10, &pos), 10);
	h.log.lines.clear();
	h.set_user_size(16);

	// arg is not looked at.
	EXPECT_EQ(ioctl(ML_LIB_TEST_IOCRESET, TestHost::kUnmapped), 0);
	for (int i = 0; i < ML_LIB_TEST_BUFFER_SIZE; i++) {
		ASSERT_EQ(dev.dataset[i], 0) << i;
		ASSERT_EQ(dev.recommendations[i], 0) << i;
	}
	EXPECT_EQ(dev.data_size, 0);
	EXPECT_EQ(dev.recommendations_size, 0);
	// Counters are not sizes.
	EXPECT_EQ(dev.access_count, 1u);
	EXPECT_EQ(dev.read_count, 1u);
	EXPECT_EQ(dev.write_count, 1u);
	std::vector<LogLine> want = {
		info("ml_lib_test_dev: Buffer reset via IOCTL")};
	EXPECT_EQ(h.log.lines, want);
	EXPECT_EQ(h.written_end(), 0u);
}

// ABI: anything else ENOTTY, touching nothing.
TEST_F(TestDev, OtherCommandsAreEnotty)
{
	prepare();
	const unsigned int cmds[] = {
		_IO('M', 3),
		_IOR('M', 0, int),		// IOCRESET's nr with a direction
		_IO('M', 1),			// GETSIZE's nr without one
		_IOR('M', 1, long),		// GETSIZE with size 8
		_IOW('M', 1, int),
		_IOR('M', 2, int),
		_IOW('M', 2, long),
		_IO('N', 0),
		_IOR('h', 1, int),
		0x541B,				// FIONREAD
		0,
		0xFFFFFFFFu,
	};
	ml_lib_test_dev before = dev;
	for (unsigned int cmd : cmds) {
		SCOPED_TRACE(testing::Message() << std::hex << cmd);
		h.set_user_size(16);
		EXPECT_EQ(ioctl(cmd, h.addr(0)), -ENOTTY);
		EXPECT_EQ(h.written_end(), 0u);
		EXPECT_EQ(std::memcmp(&before, &dev, sizeof(dev)), 0);
	}
	EXPECT_TRUE(h.log.lines.empty());
}

// The device state is position-independent, like the model's.
TEST_F(TestDev, AByteCopyOfTheStateIsTheSameDevice)
{
	prepare();
	auto copy = std::make_unique<ml_lib_test_dev>();
	std::memcpy(copy.get(), &dev, sizeof(dev));
	for (auto *d : {&dev, copy.get()}) {
		const char cmd[] = "discard_dataset\n";
		EXPECT_EQ(ml_lib_test_dev_control_store(d, h.get(), cmd, 16),
			  16);
		int64_t pos = 3;
		h.set_user_size(16);
		EXPECT_EQ(ml_lib_test_dev_read(d, h.get(), h.addr(0), 16, &pos),
			  16);
	}
	EXPECT_EQ(std::memcmp(copy.get(), &dev, sizeof(dev)), 0);
}

}  // namespace
}  // namespace mlc_test

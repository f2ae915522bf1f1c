// SPDX-License-Identifier: GPL-2.0
//
// /proc/mllibdev and the test device's sysfs attributes (ABI.md, Profile 2),
// byte for byte against golden files written from ABI.md.
#include <gtest/gtest.h>

#include <cstring>

#include "test_host.hpp"

namespace mlc_test {
namespace {

class Render : public ::testing::Test {
protected:
	void SetUp() override
	{
		ASSERT_EQ(ml_lib_test_dev_load(&dev, h.get()), 0);
	}

	// 3 opens, prepare_dataset, 2 reads, 1 write: all counters differ.
	void activity()
	{
		for (int i = 0; i < 3; i++)
			ASSERT_EQ(ml_lib_test_dev_open(&dev, h.get()), 0);
		ASSERT_EQ(ml_lib_test_dev_control_store(&dev, h.get(), "p", 1),
			  1);
		int64_t pos = 0;
		ASSERT_EQ(ml_lib_test_dev_read(&dev, h.get(), h.addr(0), 10,
					       &pos), 10);
		ASSERT_EQ(ml_lib_test_dev_read(&dev, h.get(), h.addr(0), 10,
					       &pos), 10);
		ASSERT_EQ(ml_lib_test_dev_write(&dev, h.get(), h.addr(0), 5,
						&pos), 5);
		// Not shown anywhere: SETSIZE.
		int32_t v = 7;
		h.poke(0, &v, 4);
		ASSERT_EQ(ml_lib_test_dev_ioctl(&dev, h.get(),
						ML_LIB_TEST_IOCSETSIZE,
						h.addr(0)), 0);
	}

	std::string proc()
	{
		return render([&](char *b, size_t s) {
			return ml_lib_test_dev_render_proc(&dev, b, s);
		});
	}
	std::string buffer_size()
	{
		return render([&](char *b, size_t s) {
			return ml_lib_test_dev_show_buffer_size(&dev, b, s);
		});
	}
	std::string data_size()
	{
		return render([&](char *b, size_t s) {
			return ml_lib_test_dev_show_data_size(&dev, b, s);
		});
	}
	std::string access_count()
	{
		return render([&](char *b, size_t s) {
			return ml_lib_test_dev_show_access_count(&dev, b, s);
		});
	}
	std::string stats()
	{
		return render([&](char *b, size_t s) {
			return ml_lib_test_dev_show_stats(&dev, b, s);
		});
	}

	TestHost h;
	ml_lib_test_dev dev;
};

// ABI: /proc/mllibdev text, exact spacing.
TEST_F(Render, ProcAtLoad)
{
	EXPECT_EQ(proc(), read_golden("proc_load.txt"));
}

TEST_F(Render, ProcAfterActivity)
{
	activity();
	EXPECT_EQ(proc(), read_golden("proc_active.txt"));
}

// Column 17 for every value, 33 '=' and no trailing spaces, spelled out
// independently of the golden files.
TEST_F(Render, ProcLayout)
{
	std::string text = proc();
	EXPECT_EQ(text.substr(0, 45),
		  "ML Library Testing Device Driver Information\n");
	EXPECT_NE(text.find("\n" + std::string(33, '=') + "\n"),
		  std::string::npos);
	EXPECT_EQ(text.find(std::string(34, '=')), std::string::npos);
	size_t start = 0;
	int lines = 0;
	while (start < text.size()) {
		size_t nl = text.find('\n', start);
		ASSERT_NE(nl, std::string::npos);
		std::string line = text.substr(start, nl - start);
		if (lines >= 2) {
			ASSERT_GT(line.size(), 17u) << line;
			EXPECT_EQ(line[16], ' ') << line;
			EXPECT_NE(line[17], ' ') << line;
			EXPECT_EQ(line.find(": "), line.find(':')) << line;
		}
		EXPECT_NE(line.back(), ' ') << line;
		start = nl + 1;
		lines++;
	}
	EXPECT_EQ(lines, 8);
	EXPECT_EQ(text.size(), 44u + 33 + 25 + 27 + 24 + 18 + 18 + 18 + 8);
}

// ABI: the attributes.
TEST_F(Render, AttributesAtLoad)
{
	EXPECT_EQ(buffer_size(), read_golden("buffer_size.txt"));
	EXPECT_EQ(data_size(), read_golden("data_size_0.txt"));
	EXPECT_EQ(access_count(), read_golden("access_count_0.txt"));
	EXPECT_EQ(stats(), read_golden("stats_load.txt"));
}

// ABI: access_count and "Opens" are both the open counter.
TEST_F(Render, AttributesAfterActivity)
{
	activity();
	EXPECT_EQ(buffer_size(), read_golden("buffer_size.txt"));
	EXPECT_EQ(data_size(), read_golden("data_size_1024.txt"));
	EXPECT_EQ(access_count(), read_golden("access_count_3.txt"));
	EXPECT_EQ(stats(), read_golden("stats_active.txt"));
}

// ABI: `dev` is MAJ:MIN with the dynamic major and minor 0.
TEST_F(Render, DevAttribute)
{
	EXPECT_EQ(render([](char *b, size_t s) {
			  return ml_lib_test_dev_show_dev(511, b, s);
		  }),
		  read_golden("dev_511.txt"));
	EXPECT_EQ(render([](char *b, size_t s) {
			  return ml_lib_test_dev_show_dev(240, b, s);
		  }),
		  read_golden("dev_240.txt"));
}

// IOCRESET shows in data size only; counters stay.
TEST_F(Render, AfterIocreset)
{
	activity();
	ASSERT_EQ(ml_lib_test_dev_ioctl(&dev, h.get(), ML_LIB_TEST_IOCRESET, 0),
		  0);
	EXPECT_EQ(data_size(), read_golden("data_size_0.txt"));
	std::string want = read_golden("proc_active.txt");
	size_t at = want.find("1024 bytes\nAccess");
	ASSERT_NE(at, std::string::npos);
	want.replace(at, 4, "0");
	EXPECT_EQ(proc(), want);
	EXPECT_EQ(stats(), read_golden("stats_active.txt"));
}

// Like snprintf: the full length whatever the room, NUL-terminated.
TEST_F(Render, ShortBuffersReturnTheFullLength)
{
	const std::string full = read_golden("proc_load.txt");
	char buf[32];
	std::memset(buf, 'X', sizeof(buf));
	EXPECT_EQ(ml_lib_test_dev_render_proc(&dev, buf, 10), full.size());
	EXPECT_EQ(std::string(buf, 9), full.substr(0, 9));
	EXPECT_EQ(buf[9], '\0');
	EXPECT_EQ(buf[10], 'X');
	EXPECT_EQ(ml_lib_test_dev_render_proc(&dev, nullptr, 0), full.size());
	EXPECT_EQ(ml_lib_test_dev_show_stats(&dev, buf, 1), 28u);
	EXPECT_EQ(buf[0], '\0');
	EXPECT_EQ(ml_lib_test_dev_show_dev(511, nullptr, 0), 6u);
	EXPECT_EQ(ml_lib_test_dev_proc_show(&dev, buf, sizeof(buf)),
		  full.size());
}

// What the seq_file model serves from the proc show function.
TEST_F(Render, ProcShowFitsTheSeqFileBuffer)
{
	activity();
	char buf[4096];
	size_t len = ml_lib_test_dev_proc_show(&dev, buf, sizeof(buf));
	EXPECT_EQ(std::string(buf, len), read_golden("proc_active.txt"));
	EXPECT_LT(len, (size_t)ML_LIB_TEST_DEV_RENDER_MAX);
}

}  // namespace
}  // namespace mlc_test

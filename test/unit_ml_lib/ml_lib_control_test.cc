// SPDX-License-Identifier: GPL-2.0
//
// ml_model1's sysfs `control` (ABI.md, Profile 2, "sysfs control of a
// model"): every observed input, through the whole write path (kernfs cut
// and copy, sysfs empty check, the model's prefix-matching store) on the
// test device, and the IOCRESET-then-prepare consequence.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "test_host.hpp"

namespace mlc_test {
namespace {

using namespace std::string_literals;

enum class Effect { None, Start, Stop, Prepare, Discard };

const char *effect_name(Effect e)
{
	switch (e) {
	case Effect::None: return "none";
	case Effect::Start: return "start";
	case Effect::Stop: return "stop";
	case Effect::Prepare: return "prepare_dataset";
	case Effect::Discard: return "discard_dataset";
	}
	return "?";
}

class Control : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::memset(&dev, 0xFF, sizeof(dev));
		ASSERT_EQ(ml_lib_test_dev_load(&dev, h.get()), 0);
		h.log.lines.clear();
	}

	// write(2) of s on an open `control`, s placed at the region's start.
	long write_control(const std::string &s)
	{
		h.set_user_size(s.size() ? s.size() : 1);
		if (!s.empty())
			h.poke(0, s);
		return write_at(h.addr(0), s.size());
	}
	long write_at(mlc_uptr src, size_t count)
	{
		std::memset(page, 'Q', sizeof(page));
		return mlc_vfs_sysfs_write(h.get(), src, count, page,
					   ml_lib_test_dev_control_store, &dev);
	}

	// From a fresh load every command leaves a different trace.
	void expect_effect(Effect e)
	{
		SCOPED_TRACE(effect_name(e));
		const ml_lib_model &m = dev.model1;
		uint32_t state = ML_LIB_MODEL_CREATED;
		uint32_t ds = ML_LIB_DATASET_ALLOCATED;
		int32_t size = 0;
		std::vector<LogLine> log;
		switch (e) {
		case Effect::None:
			break;
		case Effect::Start:
			state = ML_LIB_MODEL_STARTED;
			log = {err("ml_lib: TODO: implement start ML model")};
			break;
		case Effect::Stop:
			state = ML_LIB_MODEL_STOPPED;
			log = {err("ml_lib: TODO: implement stop ML model")};
			break;
		case Effect::Prepare:
			state = ML_LIB_MODEL_RUNNING;
			ds = ML_LIB_DATASET_CLEAN;
			size = ML_LIB_TEST_BUFFER_SIZE;
			break;
		case Effect::Discard:
			ds = ML_LIB_DATASET_OBSOLETE;
			break;
		}
		EXPECT_EQ(m.state, state);
		EXPECT_EQ(m.dataset.state, ds);
		EXPECT_EQ(m.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
		EXPECT_EQ(dev.data_size, size);
		EXPECT_EQ(h.log.lines, log);
		EXPECT_EQ(dev.access_count + dev.read_count + dev.write_count, 0u);
	}

	TestHost h;
	ml_lib_test_dev dev;
	char page[MLC_SYSFS_PAGE_SIZE + 1];
};

struct ControlCase {
	std::string input;
	long ret;
	Effect effect;
};

// ABI: the observed list, each input with its exact length.
TEST_F(Control, ObservedInputs)
{
	const ControlCase cases[] = {
		{"s", 1, Effect::Start},
		{"st", 2, Effect::Start},
		{"sto", 3, Effect::Stop},
		{"p", 1, Effect::Prepare},
		{"prep", 4, Effect::Prepare},
		{"d", 1, Effect::Discard},
		{"disc", 4, Effect::Discard},
		{"startstop\n", 10, Effect::Start},
		{"start\0junk"s, 10, Effect::Start},
		{"discard_dataset\nstart\n", 22, Effect::Discard},
		{"START\n", -EOPNOTSUPP, Effect::None},
		{" start\n", -EOPNOTSUPP, Effect::None},
		{"\n", -EOPNOTSUPP, Effect::None},
		{"xyz\n", -EOPNOTSUPP, Effect::None},
		{"dp\n", -EOPNOTSUPP, Effect::None},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::PrintToString(c.input));
		SetUp();
		EXPECT_EQ(write_control(c.input), c.ret);
		expect_effect(c.effect);
	}
}

// ABI: `echo CMD >` works: the four commands with and without newline.
TEST_F(Control, FullCommands)
{
	const ControlCase cases[] = {
		{"start", 5, Effect::Start},
		{"start\n", 6, Effect::Start},
		{"stop", 4, Effect::Stop},
		{"stop\n", 5, Effect::Stop},
		{"prepare_dataset", 15, Effect::Prepare},
		{"prepare_dataset\n", 16, Effect::Prepare},
		{"discard_dataset", 15, Effect::Discard},
		{"discard_dataset\n", 16, Effect::Discard},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::PrintToString(c.input));
		SetUp();
		EXPECT_EQ(write_control(c.input), c.ret);
		expect_effect(c.effect);
	}
}

// Derived from the rule min(len, strlen(cmd)), not in ABI.md's list.
TEST_F(Control, DerivedFromTheMatchingRule)
{
	const ControlCase cases[] = {
		{"s\n", -EOPNOTSUPP, Effect::None},	// `echo s >` fails
		{"sta", 3, Effect::Start},
		{"stopx", 5, Effect::Stop},		// start fails at 'o'
		{"stop_everything\n", 16, Effect::Stop},
		{"prepare_datasets", 16, Effect::Prepare},
		{"discard", 7, Effect::Discard},
		{"discard_dataset!", 16, Effect::Discard},
		{"s\0"s, -EOPNOTSUPP, Effect::None},
		{"pd", -EOPNOTSUPP, Effect::None},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(testing::PrintToString(c.input));
		SetUp();
		EXPECT_EQ(write_control(c.input), c.ret);
		expect_effect(c.effect);
	}
}

TEST(ControlParser, TriesCommandsInOrder)
{
	EXPECT_EQ(ml_lib_model_parse_control("s", 1), ML_LIB_CONTROL_START);
	EXPECT_EQ(ml_lib_model_parse_control("sto", 3), ML_LIB_CONTROL_STOP);
	EXPECT_EQ(ml_lib_model_parse_control("p", 1),
		  ML_LIB_CONTROL_PREPARE_DATASET);
	EXPECT_EQ(ml_lib_model_parse_control("d", 1),
		  ML_LIB_CONTROL_DISCARD_DATASET);
	EXPECT_EQ(ml_lib_model_parse_control("x", 1), -EOPNOTSUPP);
	// The parser alone matches an empty buffer as start; sysfs never
	// passes one down (next test).
	EXPECT_EQ(ml_lib_model_parse_control("", 0), ML_LIB_CONTROL_START);
}

// ABI: an empty write returns 0 without calling the parser.  The check is
// the sysfs layer's: the model's store, given 0 bytes, would start.
TEST_F(Control, EmptyWriteReturnsZeroWithoutParsing)
{
	EXPECT_EQ(write_control(""), 0);
	expect_effect(Effect::None);

	// Even from an address that would fault.
	EXPECT_EQ(write_at(TestHost::kUnmapped, 0), 0);
	expect_effect(Effect::None);

	EXPECT_EQ(ml_lib_test_dev_control_store(&dev, h.get(), "", 0), 0);
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_STARTED);
}

// ABI: longer than a page: cut to 4096, returns 4096, parser sees the cut.
TEST_F(Control, LongWriteIsCutToOnePage)
{
	std::string big = "stop\n" + std::string(5000 - 5, 'x');
	ASSERT_EQ(big.size(), 5000u);
	EXPECT_EQ(write_control(big), 4096);
	expect_effect(Effect::Stop);
	// The store got 4096 bytes, NUL-terminated after them.
	EXPECT_EQ(std::memcmp(page, big.data(), 4096), 0);
	EXPECT_EQ(page[4096], '\0');

	// Only 4096 bytes are copied: a caller whose memory ends there is
	// fine, one whose memory ends a byte earlier faults.
	SetUp();
	h.set_user_size(4096);
	h.poke(0, big.data(), 4096);
	EXPECT_EQ(write_at(h.addr(0), 5000), 4096);
	expect_effect(Effect::Stop);

	SetUp();
	h.set_user_size(4095);
	h.poke(0, big.data(), 4095);
	EXPECT_EQ(write_at(h.addr(0), 5000), -EFAULT);
	expect_effect(Effect::None);

	// Exactly one page is not cut.
	SetUp();
	std::string page_cmd = "prepare_dataset" + std::string(4096 - 15, ' ');
	EXPECT_EQ(write_control(page_cmd), 4096);
	expect_effect(Effect::Prepare);

	// 4097 bytes of nothing: cut, then no command.
	SetUp();
	EXPECT_EQ(write_control(std::string(4097, 'z')), -EOPNOTSUPP);
	expect_effect(Effect::None);
}

TEST_F(Control, BadBufferIsEfaultAndNothingHappens)
{
	EXPECT_EQ(write_at(TestHost::kUnmapped, 6), -EFAULT);
	expect_effect(Effect::None);
}

// The store sees a NUL-terminated copy; "start\0junk" reaches it whole.
TEST_F(Control, StoreSeesTheWholeWriteNulTerminated)
{
	std::string s = "start\0junk"s;
	EXPECT_EQ(write_control(s), 10);
	EXPECT_EQ(std::memcmp(page, s.data(), 10), 0);
	EXPECT_EQ(page[10], '\0');
}

// ABI: start STARTED, stop STOPPED, prepare RUNNING, discard OBSOLETE; a
// sequence shows the effects compose and the log lines come in order.
TEST_F(Control, SequenceOfCommands)
{
	EXPECT_EQ(write_control("start\n"), 6);
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_STARTED);
	EXPECT_EQ(write_control("prepare_dataset\n"), 16);
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_RUNNING);
	EXPECT_EQ(dev.model1.dataset.state, (uint32_t)ML_LIB_DATASET_CLEAN);
	EXPECT_EQ(dev.data_size, 1024);
	EXPECT_EQ(write_control("discard_dataset\n"), 16);
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_RUNNING);
	EXPECT_EQ(dev.model1.dataset.state, (uint32_t)ML_LIB_DATASET_OBSOLETE);
	EXPECT_EQ(dev.data_size, 1024);		// discard keeps the data
	EXPECT_EQ(write_control("stop\n"), 5);
	EXPECT_EQ(dev.model1.state, (uint32_t)ML_LIB_MODEL_STOPPED);
	std::vector<LogLine> want = {
		err("ml_lib: TODO: implement start ML model"),
		err("ml_lib: TODO: implement stop ML model"),
	};
	EXPECT_EQ(h.log.lines, want);
}

// ABI: extract: ONE random byte value fills all 1024 bytes, size 1024.
TEST_F(Control, PrepareFillsTheDatasetWithOneRandomByte)
{
	auto fixed = std::make_unique<FixedRandom>(0xC3);
	FixedRandom *r = fixed.get();
	h.set_random(std::move(fixed));
	EXPECT_EQ(write_control("p"), 1);
	EXPECT_EQ(r->calls, 1);
	EXPECT_EQ(r->bytes, 1u);
	for (int i = 0; i < ML_LIB_TEST_BUFFER_SIZE; i++)
		ASSERT_EQ(dev.dataset[i], 0xC3) << i;
	EXPECT_EQ(dev.data_size, 1024);
	// A prepare on a CLEAN dataset draws nothing.
	EXPECT_EQ(write_control("p"), 1);
	EXPECT_EQ(r->calls, 1);

	// With the seeded generator: the first byte it yields, then the next.
	SetUp();
	h.set_random(std::make_unique<mlc::SeededRandom>(7));
	mlc::SeededRandom ref(7);
	uint8_t want[2];
	ref.fill(&want[0], 1);
	ref.fill(&want[1], 1);
	EXPECT_EQ(write_control("prepare_dataset\n"), 16);
	for (int i = 0; i < ML_LIB_TEST_BUFFER_SIZE; i++)
		ASSERT_EQ(dev.dataset[i], want[0]) << i;
	EXPECT_EQ(write_control("discard_dataset\n"), 16);
	EXPECT_EQ(write_control("prepare_dataset\n"), 16);
	for (int i = 0; i < ML_LIB_TEST_BUFFER_SIZE; i++)
		ASSERT_EQ(dev.dataset[i], want[1]) << i;
	EXPECT_TRUE(h.log.lines.empty());
}

// ABI: after IOCRESET, data size stays 0 across prepare_dataset until a
// discard_dataset has been done.
TEST_F(Control, IocresetThenPrepareKeepsSizeZeroUntilDiscard)
{
	int32_t size = -1;
	auto get_size = [&] {
		h.set_user_size(4);
		EXPECT_EQ(ml_lib_test_dev_ioctl(&dev, h.get(),
						ML_LIB_TEST_IOCGETSIZE,
						h.addr(0)), 0);
		std::memcpy(&size, h.bytes(), 4);
		return size;
	};

	EXPECT_EQ(write_control("prepare_dataset\n"), 16);
	EXPECT_EQ(get_size(), 1024);
	EXPECT_EQ(ml_lib_test_dev_ioctl(&dev, h.get(), ML_LIB_TEST_IOCRESET, 0),
		  0);
	EXPECT_EQ(get_size(), 0);
	EXPECT_EQ(dev.model1.dataset.state, (uint32_t)ML_LIB_DATASET_CLEAN);

	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(write_control("prepare_dataset\n"), 16);
		EXPECT_EQ(get_size(), 0);
	}
	// Reading finds nothing.
	int64_t pos = 0;
	h.set_user_size(16);
	EXPECT_EQ(ml_lib_test_dev_read(&dev, h.get(), h.addr(0), 16, &pos), 0);
	EXPECT_EQ(dev.read_count, 0u);

	EXPECT_EQ(write_control("discard_dataset\n"), 16);
	EXPECT_EQ(get_size(), 0);		// discard alone extracts nothing
	EXPECT_EQ(write_control("prepare_dataset\n"), 16);
	EXPECT_EQ(get_size(), 1024);
}

}  // namespace
}  // namespace mlc_test

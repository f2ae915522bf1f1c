// SPDX-License-Identifier: GPL-2.0
//
// The ml_lib model alone (ABI.md, Profile 2, "Library concepts" and the
// effects of the control commands): lifecycle, the 18 operations, the
// dataset descriptor, and the state being flat.
#include <gtest/gtest.h>

#include <cstring>
#include <type_traits>

#include "test_host.hpp"

namespace mlc_test {
namespace {

static_assert(std::is_trivially_copyable_v<ml_lib_model>);
static_assert(std::is_standard_layout_v<ml_lib_model>);
static_assert(std::is_trivially_copyable_v<ml_lib_test_dev>);
static_assert(std::is_standard_layout_v<ml_lib_test_dev>);

// ABI: the enum numbers are the RFC's.
TEST(MlLibEnums, NumbersAreTheRfcs)
{
	EXPECT_EQ(ML_LIB_UNKNOWN_MODE, 0);
	EXPECT_EQ(ML_LIB_EMERGENCY_MODE, 1);
	EXPECT_EQ(ML_LIB_LEARNING_MODE, 2);
	EXPECT_EQ(ML_LIB_COLLABORATION_MODE, 3);
	EXPECT_EQ(ML_LIB_RECOMMENDATION_MODE, 4);
	EXPECT_EQ(ML_LIB_MODEL_CREATED, 1);
	EXPECT_EQ(ML_LIB_MODEL_INITIALIZED, 2);
	EXPECT_EQ(ML_LIB_MODEL_STARTED, 3);
	EXPECT_EQ(ML_LIB_MODEL_RUNNING, 4);
	EXPECT_EQ(ML_LIB_MODEL_STOPPED, 5);
	EXPECT_EQ(ML_LIB_MODEL_SHUTTING_DOWN, 6);
	EXPECT_EQ(ML_LIB_EMPTY_DATASET, 1);
	EXPECT_EQ(ML_LIB_VALUE_DATASET, 2);
	EXPECT_EQ(ML_LIB_STRUCTURE_DATASET, 3);
	EXPECT_EQ(ML_LIB_MEMORY_STREAM_DATASET, 4);
	EXPECT_EQ(ML_LIB_DATASET_ALLOCATED, 1);
	EXPECT_EQ(ML_LIB_DATASET_CLEAN, 2);
	EXPECT_EQ(ML_LIB_DATASET_EXTRACTED_PARTIALLY, 3);
	EXPECT_EQ(ML_LIB_DATASET_EXTRACTED_COMPLETELY, 4);
	EXPECT_EQ(ML_LIB_DATASET_OBSOLETE, 5);
	EXPECT_EQ(ML_LIB_DATASET_EXTRACTION_FAILURE, 6);
	EXPECT_EQ(ML_LIB_DATASET_CORRUPTED, 7);
}

class Model : public ::testing::Test {
protected:
	void SetUp() override
	{
		std::memset(&m, 0xAB, sizeof(m));
		ASSERT_EQ(ml_lib_model_create(&m, h.get(), "ml_model1"), 0);
	}
	TestHost h;
	ml_lib_model m;
};

// ABI: "A created model starts in EMERGENCY"; create -> CREATED.
TEST_F(Model, CreateStartsEmergencyCreated)
{
	EXPECT_STREQ(m.name, "ml_model1");
	EXPECT_EQ(m.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_CREATED);
	EXPECT_EQ(m.dataset.type, (uint32_t)ML_LIB_EMPTY_DATASET);
	EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_DATASET_ALLOCATED);
	EXPECT_EQ(m.dataset.allocated_size, 0u);
	EXPECT_EQ(m.dataset.portion_size, 0u);
	// The name is NUL-padded: no garbage from before create.
	for (size_t i = std::strlen(m.name); i < sizeof(m.name); i++)
		EXPECT_EQ(m.name[i], '\0') << i;
	EXPECT_TRUE(h.log.lines.empty());
}

TEST_F(Model, CreateRefusesBadNames)
{
	ml_lib_model before = m;
	EXPECT_EQ(ml_lib_model_create(&m, h.get(), ""), -EINVAL);
	EXPECT_EQ(ml_lib_model_create(&m, h.get(), nullptr), -EINVAL);
	std::string longest(ML_LIB_MODEL_NAME_MAX - 1, 'n');
	std::string too_long(ML_LIB_MODEL_NAME_MAX, 'n');
	EXPECT_EQ(ml_lib_model_create(&m, h.get(), too_long.c_str()),
		  -ENAMETOOLONG);
	EXPECT_EQ(std::memcmp(&before, &m, sizeof(m)), 0);
	EXPECT_EQ(ml_lib_model_create(&m, h.get(), longest.c_str()), 0);
	EXPECT_EQ(m.name, longest);
}

TEST_F(Model, InitSetsInitializedSilently)
{
	EXPECT_EQ(ml_lib_model_init(&m, h.get()), 0);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_INITIALIZED);
	EXPECT_EQ(m.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);
	EXPECT_TRUE(h.log.lines.empty());
}

// ABI: start: STARTED + error line; stop: STOPPED + its line.
TEST_F(Model, StartAndStopSetStateAndLogAtErrorLevel)
{
	EXPECT_EQ(ml_lib_model_start(&m, h.get()), 0);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_STARTED);
	EXPECT_EQ(ml_lib_model_stop(&m, h.get()), 0);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_STOPPED);
	EXPECT_EQ(ml_lib_model_start(&m, h.get()), 0);	// no transition checks
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_STARTED);
	std::vector<LogLine> want = {
		err("ml_lib: TODO: implement start ML model"),
		err("ml_lib: TODO: implement stop ML model"),
		err("ml_lib: TODO: implement start ML model"),
	};
	EXPECT_EQ(h.log.lines, want);
	EXPECT_EQ(m.mode, (uint32_t)ML_LIB_EMERGENCY_MODE);	// never changes
}

TEST_F(Model, DestroyShutsDownAndDropsTheDataset)
{
	m.dataset.state = ML_LIB_DATASET_CLEAN;
	m.dataset.portion_size = 1024;
	EXPECT_EQ(ml_lib_model_destroy(&m, h.get()), 0);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_SHUTTING_DOWN);
	EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_UNKNOWN_DATASET_STATE);
	EXPECT_EQ(m.dataset.portion_size, 0u);
	EXPECT_TRUE(h.log.lines.empty());
}

// ABI: 18 operations; only 7 do anything, the rest EOPNOTSUPP.
TEST_F(Model, ElevenOperationsReturnEopnotsuppAndChangeNothing)
{
	using Op = int (*)(ml_lib_model *, mlc_host *);
	const Op unsupported[] = {
		ml_lib_model_re_init,
		ml_lib_model_get_system_state,
		ml_lib_model_preprocess_data,
		ml_lib_model_publish_data,
		ml_lib_model_preprocess_recommendation,
		ml_lib_model_estimate_system_state,
		ml_lib_model_apply_recommendation,
		ml_lib_model_execute_operation,
		ml_lib_model_estimate_efficiency,
		ml_lib_model_error_backpropagation,
		ml_lib_model_correct_system_state,
	};
	ml_lib_model before = m;
	for (Op op : unsupported) {
		EXPECT_EQ(op(&m, h.get()), -EOPNOTSUPP);
		EXPECT_EQ(std::memcmp(&before, &m, sizeof(m)), 0);
	}
	EXPECT_TRUE(h.log.lines.empty());
}

TEST(MlLibOps, EighteenOperationsSevenSupported)
{
	const char *const names[] = {
		"create", "init", "re_init", "start", "stop", "destroy",
		"get_system_state", "get_dataset", "discard_dataset",
		"preprocess_data", "publish_data", "preprocess_recommendation",
		"estimate_system_state", "apply_recommendation",
		"execute_operation", "estimate_efficiency",
		"error_backpropagation", "correct_system_state",
	};
	ASSERT_EQ(ML_LIB_OP_MAX, 18);
	int supported = 0;
	for (unsigned int op = 0; op < ML_LIB_OP_MAX; op++) {
		EXPECT_STREQ(ml_lib_model_op_name(op), names[op]);
		supported += ml_lib_model_op_supported(op);
	}
	EXPECT_EQ(supported, 7);
	for (unsigned int op : {ML_LIB_OP_CREATE, ML_LIB_OP_INIT,
				ML_LIB_OP_START, ML_LIB_OP_STOP,
				ML_LIB_OP_DESTROY, ML_LIB_OP_GET_DATASET,
				ML_LIB_OP_DISCARD_DATASET})
		EXPECT_TRUE(ml_lib_model_op_supported(op)) << op;
	EXPECT_EQ(ml_lib_model_op_name(ML_LIB_OP_MAX), nullptr);
	EXPECT_FALSE(ml_lib_model_op_supported(ML_LIB_OP_MAX));
}

// A subsystem that counts extractions and can be told to fail.
struct FakeSubsystem {
	int calls = 0;
	int result = 0;
	static int extract(void *priv, mlc_host *, ml_lib_dataset *ds)
	{
		auto *s = static_cast<FakeSubsystem *>(priv);
		s->calls++;
		if (s->result)
			return s->result;
		ds->type = ML_LIB_VALUE_DATASET;
		ds->allocated_size = 64;
		ds->portion_size = 32;
		return 0;
	}
};
const ml_lib_dataset_ops kFakeOps = {FakeSubsystem::extract};

// ABI: prepare_dataset keeps a CLEAN/EXTRACTED_* dataset, else extracts.
TEST_F(Model, GetDatasetExtractsUnlessCurrent)
{
	struct Case {
		uint32_t state;
		bool extracts;
	} cases[] = {
		{ML_LIB_UNKNOWN_DATASET_STATE, true},
		{ML_LIB_DATASET_ALLOCATED, true},
		{ML_LIB_DATASET_CLEAN, false},
		{ML_LIB_DATASET_EXTRACTED_PARTIALLY, false},
		{ML_LIB_DATASET_EXTRACTED_COMPLETELY, false},
		{ML_LIB_DATASET_OBSOLETE, true},
		{ML_LIB_DATASET_EXTRACTION_FAILURE, true},
		{ML_LIB_DATASET_CORRUPTED, true},
	};
	for (const auto &c : cases) {
		SCOPED_TRACE(ml_lib_dataset_state_name(c.state));
		FakeSubsystem sub;
		m.state = ML_LIB_MODEL_STOPPED;
		m.dataset = {};
		m.dataset.type = ML_LIB_EMPTY_DATASET;
		m.dataset.state = c.state;
		ml_lib_dataset before = m.dataset;

		EXPECT_EQ(ml_lib_model_get_dataset(&m, h.get(), &kFakeOps, &sub),
			  0);
		EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_RUNNING);
		EXPECT_EQ(sub.calls, c.extracts ? 1 : 0);
		if (c.extracts) {
			EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_DATASET_CLEAN);
			EXPECT_EQ(m.dataset.type, (uint32_t)ML_LIB_VALUE_DATASET);
			EXPECT_EQ(m.dataset.allocated_size, 64u);
			EXPECT_EQ(m.dataset.portion_size, 32u);
		} else {
			EXPECT_EQ(std::memcmp(&before, &m.dataset,
					      sizeof(before)), 0);
		}
	}
	EXPECT_TRUE(h.log.lines.empty());
}

TEST_F(Model, GetDatasetFailureMarksExtractionFailure)
{
	FakeSubsystem sub;
	sub.result = -EIO;
	EXPECT_EQ(ml_lib_model_get_dataset(&m, h.get(), &kFakeOps, &sub), -EIO);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_RUNNING);
	EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_DATASET_EXTRACTION_FAILURE);
	// A failed extraction is not current: the next prepare tries again.
	sub.result = 0;
	EXPECT_EQ(ml_lib_model_get_dataset(&m, h.get(), &kFakeOps, &sub), 0);
	EXPECT_EQ(sub.calls, 2);
	EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_DATASET_CLEAN);
}

TEST_F(Model, GetDatasetWithoutOpsIsNotSupported)
{
	ml_lib_dataset_ops none = {nullptr};
	EXPECT_EQ(ml_lib_model_get_dataset(&m, h.get(), nullptr, nullptr),
		  -EOPNOTSUPP);
	EXPECT_EQ(ml_lib_model_get_dataset(&m, h.get(), &none, nullptr),
		  -EOPNOTSUPP);
	EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_DATASET_ALLOCATED);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_RUNNING);
}

// ABI: discard: "replaced by a copy marked OBSOLETE".
TEST_F(Model, DiscardKeepsACopyMarkedObsolete)
{
	FakeSubsystem sub;
	ASSERT_EQ(ml_lib_model_get_dataset(&m, h.get(), &kFakeOps, &sub), 0);
	m.state = ML_LIB_MODEL_STARTED;
	ml_lib_dataset before = m.dataset;
	EXPECT_EQ(ml_lib_model_discard_dataset(&m, h.get()), 0);
	EXPECT_EQ(m.dataset.state, (uint32_t)ML_LIB_DATASET_OBSOLETE);
	EXPECT_EQ(m.dataset.type, before.type);
	EXPECT_EQ(m.dataset.allocated_size, before.allocated_size);
	EXPECT_EQ(m.dataset.portion_size, before.portion_size);
	EXPECT_EQ(m.state, (uint32_t)ML_LIB_MODEL_STARTED);	// untouched
	// ... so the next prepare extracts again.
	ASSERT_EQ(ml_lib_model_get_dataset(&m, h.get(), &kFakeOps, &sub), 0);
	EXPECT_EQ(sub.calls, 2);
	EXPECT_TRUE(h.log.lines.empty());
}

// The state is position-independent: a byte copy carries on identically.
TEST_F(Model, AByteCopyOfTheStateIsTheSameModel)
{
	FakeSubsystem sub;
	ASSERT_EQ(ml_lib_model_get_dataset(&m, h.get(), &kFakeOps, &sub), 0);
	alignas(ml_lib_model) unsigned char shm[sizeof(ml_lib_model)];
	std::memcpy(shm, &m, sizeof(m));
	auto *copy = reinterpret_cast<ml_lib_model *>(shm);
	const char cmd[] = "discard_dataset\n";
	EXPECT_EQ(ml_lib_model_control_store(copy, h.get(), &kFakeOps, &sub,
					     cmd, sizeof(cmd) - 1),
		  (long)sizeof(cmd) - 1);
	EXPECT_EQ(ml_lib_model_control_store(&m, h.get(), &kFakeOps, &sub, cmd,
					     sizeof(cmd) - 1),
		  (long)sizeof(cmd) - 1);
	EXPECT_EQ(std::memcmp(shm, &m, sizeof(m)), 0);
}

TEST(MlLibNames, ReadableNames)
{
	EXPECT_STREQ(ml_lib_model_mode_name(ML_LIB_EMERGENCY_MODE), "emergency");
	EXPECT_STREQ(ml_lib_model_state_name(ML_LIB_MODEL_RUNNING), "running");
	EXPECT_STREQ(ml_lib_dataset_state_name(ML_LIB_DATASET_OBSOLETE),
		     "obsolete");
	EXPECT_EQ(ml_lib_model_mode_name(ML_LIB_MODE_MAX), nullptr);
	EXPECT_EQ(ml_lib_model_state_name(ML_LIB_MODEL_STATE_MAX), nullptr);
	EXPECT_EQ(ml_lib_dataset_state_name(ML_LIB_DATASET_STATE_MAX), nullptr);
}

}  // namespace
}  // namespace mlc_test

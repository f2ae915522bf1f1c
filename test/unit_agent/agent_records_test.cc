// SPDX-License-Identifier: GPL-2.0
// The closed loop's record codec (agent/loop_records.hpp) against the UAPI
// layouts of include/uapi/ml_loop.h.
#include <cstring>

#include <gtest/gtest.h>

#include "agent/error.hpp"
#include "agent/loop_records.hpp"

using namespace mlc::agent;

namespace {

template <typename T>
RecordBytes raw(const T &rec)
{
	RecordBytes b;
	static_assert(sizeof(T) == b.size());
	std::memcpy(b.data(), &rec, sizeof(T));
	return b;
}

ml_loop_feedback uapi_feedback()
{
	ml_loop_feedback f{};
	f.hdr = {ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_FEEDBACK, ML_LOOP_RECORD_SIZE, 7};
	f.mode = ML_LIB_LEARNING_MODE;
	f.applied_permille = 250;
	f.recommended_window = 32;
	f.best_window = 64;
	f.cost_default = 1800;
	f.cost_recommended = 1500;
	f.cost_actual = 1700;
	f.error = -32;
	f.efficiency_milli = 1058;
	return f;
}

}  // namespace

TEST(AgentRecords, DecodesTheUapiLayouts)
{
	ml_loop_dataset d{};
	d.hdr = {ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_DATASET, ML_LOOP_RECORD_SIZE, 42};
	d.accesses = 512;
	d.seq_permille = 972;
	d.mean_run_x100 = 3657;
	d.distinct_permille = 1000;
	d.default_window = 128;
	d.best_window = 32;
	auto r = decode_record(raw(d));
	ASSERT_TRUE(r);
	auto *ds = std::get_if<DatasetRecord>(&*r);
	ASSERT_TRUE(ds);
	EXPECT_EQ(*ds, (DatasetRecord{42, 512, 972, 3657, 1000, 128, 32, 0}));
	EXPECT_EQ(record_epoch(*r), 42u);
	EXPECT_STREQ(record_type_name(*r), "DATASET");

	r = decode_record(raw(uapi_feedback()));
	ASSERT_TRUE(r);
	auto *fb = std::get_if<FeedbackRecord>(&*r);
	ASSERT_TRUE(fb);
	EXPECT_EQ(fb->epoch, 7u);
	EXPECT_EQ(fb->mode, ML_LIB_LEARNING_MODE);
	EXPECT_EQ(fb->recommended_window, 32u);
	EXPECT_EQ(fb->error, -32);
	EXPECT_EQ(fb->cost_actual, 1700u);
	EXPECT_EQ(fb->efficiency_milli, 1058u);

	auto none = uapi_feedback();
	none.recommended_window = ML_LOOP_NO_WINDOW;
	none.error = 0;
	r = decode_record(raw(none));
	ASSERT_TRUE(r);
	EXPECT_FALSE(std::get<FeedbackRecord>(*r).recommended_window);

	ml_loop_recommendation m{};
	m.hdr = {ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_RECOMMENDATION, ML_LOOP_RECORD_SIZE, 0};
	m.window = 256;
	m.confidence_permille = 900;
	r = decode_record(raw(m));
	ASSERT_TRUE(r);
	EXPECT_EQ(std::get<RecommendationRecord>(*r), (RecommendationRecord{0, 256, 900}));
}

TEST(AgentRecords, EncodeIsTheUapiLayout)
{
	RecordBytes b = encode_record(RecommendationRecord{0, 64, 800});
	ml_loop_recommendation m;
	std::memcpy(&m, b.data(), sizeof(m));
	EXPECT_EQ(m.hdr.magic, ML_LOOP_RECORD_MAGIC);
	EXPECT_EQ(m.hdr.type, ML_LOOP_REC_RECOMMENDATION);
	EXPECT_EQ(m.hdr.size, ML_LOOP_RECORD_SIZE);
	EXPECT_EQ(m.hdr.epoch, 0u);
	EXPECT_EQ(m.window, 64u);
	EXPECT_EQ(m.confidence_permille, 800u);
	for (auto w : m.reserved)
		EXPECT_EQ(w, 0u);
	// Little-endian on the wire as in memory: the magic's bytes.
	EXPECT_EQ(b[0], std::byte{0x50});
	EXPECT_EQ(b[3], std::byte{0x4d});
}

TEST(AgentRecords, RoundTrips)
{
	std::vector<LoopRecord> recs = {
		DatasetRecord{1, 512, 0, 100, 998, 4, 0, 0},
		FeedbackRecord{1, ML_LIB_RECOMMENDATION_MODE, 1000, 0u, 0, 12800, 10752, 10752,
			       0, 1190},
		FeedbackRecord{2, ML_LIB_EMERGENCY_MODE, 0, std::nullopt, 256, 1, 0, 1, 0, 1000},
		RecommendationRecord{0, 0, 0},
		RecommendationRecord{99, ML_LOOP_MAX_WINDOW, 1000},
	};
	std::vector<std::byte> all;
	for (const auto &r : recs) {
		RecordBytes b = encode_record(r);
		auto back = decode_record(b);
		ASSERT_TRUE(back);
		EXPECT_EQ(*back, r);
		all.insert(all.end(), b.begin(), b.end());
	}
	EXPECT_EQ(decode_records(all), recs);
	EXPECT_TRUE(decode_records({}).empty());
}

TEST(AgentRecords, RefusesInvalidRecords)
{
	auto bad = [](auto rec, const char *what) {
		std::string why;
		EXPECT_FALSE(decode_record(raw(rec), &why)) << what;
		EXPECT_FALSE(why.empty()) << what;
	};
	auto f = uapi_feedback();
	f.hdr.magic = 0x504f4c4d;	// byte-swapped
	bad(f, "magic");
	f = uapi_feedback();
	f.hdr.size = 32;
	bad(f, "size");
	f = uapi_feedback();
	f.hdr.type = 4;
	bad(f, "type");
	f = uapi_feedback();
	f.hdr.type = 0;
	bad(f, "type 0");
	f = uapi_feedback();
	f.mode = ML_LIB_UNKNOWN_MODE;
	bad(f, "mode 0");
	f = uapi_feedback();
	f.mode = ML_LIB_MODE_MAX;
	bad(f, "mode 5");
	f = uapi_feedback();
	f.applied_permille = 1001;
	bad(f, "applied");
	f = uapi_feedback();
	f.recommended_window = 257;
	bad(f, "recommended window");
	f = uapi_feedback();
	f.best_window = 512;
	bad(f, "best window");
	f = uapi_feedback();
	f.error = 0;
	bad(f, "error is not recommended - best");
	f = uapi_feedback();
	f.recommended_window = ML_LOOP_NO_WINDOW;
	bad(f, "error without a recommendation");

	ml_loop_dataset d{};
	d.hdr = {ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_DATASET, ML_LOOP_RECORD_SIZE, 1};
	d.seq_permille = 1001;
	bad(d, "seq permille");
	d.seq_permille = 0;
	d.best_window = 300;
	bad(d, "dataset best window");

	ml_loop_recommendation m{};
	m.hdr = {ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_RECOMMENDATION, ML_LOOP_RECORD_SIZE, 0};
	m.window = ML_LOOP_MAX_WINDOW + 1;
	bad(m, "recommendation window");
}

TEST(AgentRecords, ShortAndPartialBuffersAreErrorsNotReads)
{
	RecordBytes b = encode_record(RecommendationRecord{0, 8, 0});
	std::string why;
	for (size_t n : {0, 1, 16, 63})
		EXPECT_FALSE(decode_record(std::span<const std::byte>(b.data(), n), &why)) << n;
	std::vector<std::byte> two(b.begin(), b.end());
	two.insert(two.end(), b.begin(), b.end());
	EXPECT_EQ(decode_records(two).size(), 2u);
	for (size_t n : {1, 63, 65, 127})
		EXPECT_THROW(decode_records(std::span<const std::byte>(two.data(), n)),
			     ProtocolError)
			<< n;
	two[64 + 4] = std::byte{9};	// the second record's type
	try {
		decode_records(two);
		FAIL() << "no error";
	} catch (const ProtocolError &e) {
		EXPECT_NE(std::string(e.what()).find("record 1"), std::string::npos) << e.what();
	}
}

TEST(AgentRecords, EncodeRefusesWhatTheFormatCannotCarry)
{
	EXPECT_THROW(encode_record(RecommendationRecord{0, 257, 0}), std::invalid_argument);
	EXPECT_THROW(encode_record(DatasetRecord{1, 1, 1, 1, 1, 1, 1000, 0}),
		     std::invalid_argument);
	FeedbackRecord f;
	f.mode = ML_LIB_UNKNOWN_MODE;
	EXPECT_THROW(encode_record(f), std::invalid_argument);
}

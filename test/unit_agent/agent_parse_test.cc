// SPDX-License-Identifier: GPL-2.0
// The SDK's text parsers (agent/parse.hpp) on the texts the drivers print.
#include <climits>

#include <gtest/gtest.h>

#include "agent/error.hpp"
#include "agent/parse.hpp"

using namespace mlc::agent;

TEST(AgentFixed, FormatsLikeTheDriver)
{
	EXPECT_EQ(format_fixed(0), "0.00");
	EXPECT_EQ(format_fixed(510), "5.10");
	EXPECT_EQ(format_fixed(-105), "-1.05");
	EXPECT_EQ(format_fixed(-5), "0.05");	// the sign-loss quirk
	EXPECT_EQ(format_fixed(-32), "0.32");
	EXPECT_EQ(format_fixed(INT_MIN), "-21474836.48");
	EXPECT_EQ(format_fixed(INT_MAX), "21474836.47");
}

TEST(AgentFixed, ParsesExactValues)
{
	for (int32_t v : {0, 100, 510, -100, -105, 99999, -99999, INT_MIN, INT_MAX,
			  INT_MIN + 1, INT_MAX - 1, 12345678, -12345678}) {
		auto p = parse_fixed(format_fixed(v));
		ASSERT_TRUE(p) << v;
		EXPECT_EQ(p->value, v);
		EXPECT_TRUE(p->exact) << v;
	}
}

TEST(AgentFixed, ValuesBetweenMinusOneAndOneLoseTheirSign)
{
	// (-100, 0) prints like (0, 100): the parser gives the non-negative
	// reading and says it is not exact.
	for (int32_t v = -99; v < 100; v++) {
		auto p = parse_fixed(format_fixed(v));
		ASSERT_TRUE(p) << v;
		EXPECT_EQ(p->value, v < 0 ? -v : v) << v;
		EXPECT_EQ(p->exact, v == 0) << v;
	}
	// A fixed kernel's "-0.05" would be exact.
	auto p = parse_fixed("-0.05");
	ASSERT_TRUE(p);
	EXPECT_EQ(p->value, -5);
	EXPECT_TRUE(p->exact);
}

TEST(AgentFixed, RoundTripsEveryValueOutsideTheQuirk)
{
	uint64_t s = 1;
	for (int i = 0; i < 200000; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int32_t v = static_cast<int32_t>(s >> 32);
		auto p = parse_fixed(format_fixed(v));
		ASSERT_TRUE(p) << v;
		if (v > -100 && v < 0)
			EXPECT_EQ(p->value, -v);
		else
			EXPECT_EQ(p->value, v);
	}
}

TEST(AgentFixed, RefusesWhatTheDriverCannotPrint)
{
	for (const char *t : {"", "1", "1.5", "1.005", ".05", "1.", "+1.00", "1,00",
			      "1.0a", " 1.00", "1.00 ", "21474837.00", "-21474836.49",
			      "21474836.48", "--1.00", "0x1.00", "1.-5"})
		EXPECT_FALSE(parse_fixed(t)) << '"' << t << '"';
}

TEST(AgentTraining, ParsesTheProcFile)
{
	auto rows = parse_training("[0]: 5.10 1.40 0.20 => 0\n"
				   "[1]: -1.05 0.05 -21474836.48 => -7\n");
	ASSERT_EQ(rows.size(), 2u);
	EXPECT_EQ(rows[0].index, 0);
	EXPECT_EQ(rows[0].features, (Features{510, 140, 20}));
	EXPECT_EQ(rows[0].label, 0);
	EXPECT_FALSE(rows[0].all_exact());	// 0.20 may be -0.20
	EXPECT_EQ(rows[1].features, (Features{-105, 5, INT_MIN}));
	EXPECT_EQ(rows[1].exact, (std::array<bool, 3>{true, false, true}));
	EXPECT_EQ(rows[1].label, -7);
	EXPECT_TRUE(parse_training("").empty());
}

TEST(AgentTraining, RefusesMalformedText)
{
	for (const char *t : {
		     "[0]: 5.10 1.40 0.20 => 0",	// no newline
		     "[1]: 5.10 1.40 0.20 => 0\n",	// index must start at 0
		     "[0]: 5.10 1.40 => 0\n",		// two features
		     "[0]: 5.10 1.40 0.20 0.20 => 0\n",
		     "[0]: 5.10 1.40 0.20 => x\n",
		     "[0]: 5.10 1.40 0.20 => 2147483648\n",
		     "[0] 5.10 1.40 0.20 => 0\n",
		     "[0]: 5.10  1.40 0.20 => 0\n",
		     "\n",
	     })
		EXPECT_THROW(parse_training(t), ProtocolError) << t;
	std::string many;
	for (int i = 0; i < 51; i++)
		many += "[" + std::to_string(i) + "]: 1.00 1.00 1.00 => 1\n";
	EXPECT_THROW(parse_training(many), ProtocolError);
	many.resize(many.rfind("[50]"));
	EXPECT_EQ(parse_training(many).size(), 50u);
}

TEST(AgentResult, ParsesTheProcFile)
{
	auto r = parse_result("Current Prediction: -1\nPrediction History (latest 0):\n");
	EXPECT_EQ(r.current, -1);
	EXPECT_TRUE(r.history.empty());

	r = parse_result("Current Prediction: 2\n"
			 "Prediction History (latest 2):\n"
			 " [0]: -2147483648 at 2026-01-01 00:00:00\n"
			 " [1]: 2 at 2026-01-01 00:00:01\n");
	EXPECT_EQ(r.current, 2);
	ASSERT_EQ(r.history.size(), 2u);
	EXPECT_EQ(r.history[0].value, INT_MIN);
	EXPECT_EQ(r.history[0].time, 1767225600);
	EXPECT_EQ(r.history[1].stamp, "2026-01-01 00:00:01");
	EXPECT_EQ(r.history[1].time, 1767225601);
}

TEST(AgentResult, RefusesMalformedText)
{
	for (const char *t : {
		     "",
		     "Current Prediction: -1\n",
		     "Current Prediction: -1\nPrediction History (latest 1):\n",
		     "Current Prediction: -1\nPrediction History (latest 0):\n [0]: 1 at "
		     "2026-01-01 00:00:00\n",
		     "Current Prediction: x\nPrediction History (latest 0):\n",
		     "Current Prediction: 1\nPrediction History (latest 11):\n",
		     "Current Prediction: 1\nPrediction History (latest 1):\n [1]: 1 at "
		     "2026-01-01 00:00:00\n",
		     "Current Prediction: 1\nPrediction History (latest 1):\n [0]: 1 at "
		     "2026-13-01 00:00:00\n",
		     "Current Prediction: 1\nPrediction History (latest 1):\n [0]: 1 at "
		     "2026-01-01 00:00\n",
	     })
		EXPECT_THROW(parse_result(t), ProtocolError) << t;
}

TEST(AgentResult, UtcStamps)
{
	EXPECT_EQ(parse_utc_stamp("1970-01-01 00:00:00"), 0);
	EXPECT_EQ(parse_utc_stamp("2026-01-01 00:00:00"), 1767225600);
	EXPECT_EQ(parse_utc_stamp("2024-02-29 12:34:56"), 1709210096);
	EXPECT_EQ(parse_utc_stamp("2038-01-19 03:14:08"), 2147483648LL);
	EXPECT_FALSE(parse_utc_stamp("2026-01-01T00:00:00"));
	EXPECT_FALSE(parse_utc_stamp("2026-01-01 24:00:00"));
	EXPECT_FALSE(parse_utc_stamp("2026-00-01 00:00:00"));
}

TEST(AgentNumbers, Strict)
{
	EXPECT_EQ(parse_uint("0"), 0u);
	EXPECT_EQ(parse_uint("18446744073709551615"), UINT64_MAX);
	EXPECT_FALSE(parse_uint("18446744073709551616"));
	EXPECT_FALSE(parse_uint(""));
	EXPECT_FALSE(parse_uint("-1"));
	EXPECT_FALSE(parse_uint("1 "));
	EXPECT_EQ(parse_int("-9223372036854775808"), INT64_MIN);
	EXPECT_FALSE(parse_int("-9223372036854775809"));
	EXPECT_FALSE(parse_int("-"));
	EXPECT_EQ(parse_uint_attr("1024\n", "x"), 1024u);
	EXPECT_THROW(parse_uint_attr("1024", "x"), ProtocolError);
	EXPECT_THROW(parse_uint_attr("\n", "x"), ProtocolError);
	EXPECT_THROW(parse_uint_attr("-1\n", "x"), ProtocolError);
}

TEST(AgentKeyValues, MlLibStatsAndProc)
{
	EXPECT_EQ(parse_ml_lib_stats("Opens: 3\nReads: 0\nWrites: 12\n"),
		  (MlLibStats{3, 0, 12}));
	EXPECT_THROW(parse_ml_lib_stats("Opens: 3\nReads: 0\n"), ProtocolError);
	EXPECT_THROW(parse_ml_lib_stats("Opens: 3\nWrites: 0\nReads: 1\n"), ProtocolError);
	EXPECT_THROW(parse_ml_lib_stats("Opens: x\nReads: 0\nWrites: 1\n"), ProtocolError);
	auto kv = parse_key_values("Device name:     mllibdev\nBuffer size:     1024 bytes\n");
	EXPECT_EQ(find_value(kv, "Device name"), "mllibdev");
	EXPECT_EQ(find_value(kv, "Buffer size"), "1024 bytes");
	EXPECT_FALSE(find_value(kv, "Data size"));
	EXPECT_THROW(parse_key_values("no colon\n"), ProtocolError);
	EXPECT_THROW(parse_key_values("a:b\n"), ProtocolError);
}

TEST(AgentModes, NamesBothWays)
{
	EXPECT_EQ(parse_mode("emergency\n"), ML_LIB_EMERGENCY_MODE);
	EXPECT_EQ(parse_mode("learning\n"), ML_LIB_LEARNING_MODE);
	EXPECT_EQ(parse_mode("collaboration\n"), ML_LIB_COLLABORATION_MODE);
	EXPECT_EQ(parse_mode("recommendation\n"), ML_LIB_RECOMMENDATION_MODE);
	EXPECT_FALSE(parse_mode("recommendation"));
	EXPECT_FALSE(parse_mode("unknown\n"));
	EXPECT_FALSE(parse_mode("Emergency\n"));
	EXPECT_EQ(parse_state("started\n"), ML_LIB_MODEL_STARTED);
	EXPECT_EQ(parse_state("shutting_down\n"), ML_LIB_MODEL_SHUTTING_DOWN);
	EXPECT_EQ(parse_state("unknown\n"), ML_LIB_UNKNOWN_MODEL_STATE);
	EXPECT_FALSE(parse_state("started"));
	for (int m = ML_LIB_EMERGENCY_MODE; m < ML_LIB_MODE_MAX; m++)
		EXPECT_EQ(parse_mode(std::string(mode_name(ml_lib_model_mode(m))) + "\n"), m);
	for (int s = 0; s < ML_LIB_MODEL_STATE_MAX; s++)
		EXPECT_EQ(parse_state(std::string(state_name(ml_lib_model_state(s))) + "\n"), s);
	EXPECT_STREQ(mode_name(ml_lib_model_mode(9)), "?");
}

TEST(AgentLoopAttrs, Efficiency)
{
	EXPECT_EQ(parse_efficiency("1.000\n"), 1000u);
	EXPECT_EQ(parse_efficiency("1.034\n"), 1034u);
	EXPECT_EQ(parse_efficiency("0.005\n"), 5u);
	EXPECT_EQ(parse_efficiency("10.000\n"), 10000u);
	for (const char *t : {"1.034", "1.03\n", "1.0345\n", "1\n", ".034\n", "-1.000\n",
			      "1.0x4\n", "4294968.000\n"})
		EXPECT_FALSE(parse_efficiency(t)) << t;
}

TEST(AgentLoopAttrs, Stats)
{
	auto st = parse_loop_stats("epochs: 12\nmisses: 4000\nrecords_dropped: 0\n");
	ASSERT_EQ(st.entries.size(), 3u);
	EXPECT_EQ(st.get("epochs"), 12u);
	EXPECT_EQ(st.get("misses"), 4000u);
	EXPECT_FALSE(st.get("fallbacks"));
	EXPECT_THROW(parse_loop_stats("epochs: twelve\n"), ProtocolError);
	EXPECT_THROW(parse_loop_stats("epochs: 1"), ProtocolError);
}

// SPDX-License-Identifier: GPL-2.0
// The iris agent's pure parts: the CSV, the split, the classifiers.
#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "agent/error.hpp"
#include "agent/iris_agent.hpp"

using namespace mlc::agent;

namespace {

constexpr const char *kSmall =
	"6,4,setosa,versicolor,virginica\n"
	"5.1,3.5,1.4,0.2,0\n"
	"4.9,3.0,1.4,0.25,0\n"
	"7.0,3.2,4.7,1.4,1\n"
	"6.4,3.2,4.5,1.5,1\n"
	"6.3,3.3,6.0,2.5,2\n"
	"5.8,2.7,5.1,1.9,2\n";

}  // namespace

TEST(AgentIris, ParsesSklearnCsvInFixedPoint)
{
	IrisData d = parse_iris_csv(kSmall, {0, 2, 3});
	ASSERT_EQ(d.samples.size(), 6u);
	EXPECT_EQ(d.class_names, (std::vector<std::string>{"setosa", "versicolor", "virginica"}));
	EXPECT_EQ(d.feature_names,
		  (std::vector<std::string>{"sepal_length", "petal_length", "petal_width"}));
	EXPECT_EQ(d.samples[0].features, (Features{510, 140, 20}));
	EXPECT_EQ(d.samples[1].features, (Features{490, 140, 25}));
	EXPECT_EQ(d.samples[2].features, (Features{700, 470, 140}));
	EXPECT_EQ(d.samples[5].label, 2);
	d = parse_iris_csv(kSmall, {1, 1, 3});
	EXPECT_EQ(d.samples[0].features, (Features{350, 350, 20}));
}

TEST(AgentIris, RefusesMalformedCsv)
{
	EXPECT_THROW(parse_iris_csv("", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv("2,4,a,b\n5.1,3.5,1.4,0.2,0\n", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv("1,4,a,b\n5.1,3.5,1.4,0.2,2\n", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv("1,4,a,b\n5.1,3.5,1.4,0.2\n", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv("1,4,a,b\n5.123,3.5,1.4,0.2,0\n", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv("1,4,a,b\n-5.1,3.5,1.4,0.2,0\n", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv("1,3,a,b\n5.1,3.5,1.4,0\n", {0, 1, 2}), ProtocolError);
	EXPECT_THROW(parse_iris_csv(kSmall, {0, 1, 4}), std::invalid_argument);
}

TEST(AgentIris, SplitMix64IsTheReferenceSequence)
{
	// splitmix64 from state 0 (Vigna's reference values).
	SplitMix64 r(0);
	EXPECT_EQ(r.next(), 0xe220a8397b1dcdafull);
	EXPECT_EQ(r.next(), 0x6e789e6aa1b965f4ull);
	SplitMix64 b(5);
	for (int i = 0; i < 1000; i++)
		EXPECT_LT(b.below(3), 3u);
}

TEST(AgentIris, StratifiedSplitIsBalancedAndRepeatable)
{
	std::vector<IrisSample> s;
	for (int c = 0; c < 3; c++)
		for (int i = 0; i < 50; i++)
			s.push_back({Features{c * 1000 + i, i, c}, c});
	IrisSplit a = stratified_split(s, 50, 1), b = stratified_split(s, 50, 1),
		  other = stratified_split(s, 50, 2);
	ASSERT_EQ(a.train.size(), 50u);
	ASSERT_EQ(a.test.size(), 100u);
	std::map<int, int> per;
	for (const auto &x : a.train)
		per[x.label]++;
	EXPECT_EQ(per[0], 17);
	EXPECT_EQ(per[1], 17);
	EXPECT_EQ(per[2], 16);
	auto same = [](const IrisSplit &x, const IrisSplit &y) {
		if (x.train.size() != y.train.size())
			return false;
		for (size_t i = 0; i < x.train.size(); i++)
			if (x.train[i].features != y.train[i].features)
				return false;
		return true;
	};
	EXPECT_TRUE(same(a, b));
	EXPECT_FALSE(same(a, other));
	// Train and test are disjoint and cover the data.
	std::vector<Features> all;
	for (const auto &x : a.train)
		all.push_back(x.features);
	for (const auto &x : a.test)
		all.push_back(x.features);
	std::sort(all.begin(), all.end());
	EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
	EXPECT_EQ(all.size(), 150u);
	EXPECT_THROW(stratified_split(s, 151, 1), std::invalid_argument);
}

TEST(AgentIris, Classifiers)
{
	std::vector<LabelledPoint> t = {
		{{0, 0, 0}, 0}, {{10, 0, 0}, 0}, {{0, 10, 0}, 0},
		{{100, 100, 100}, 1}, {{110, 100, 100}, 1},
		{{-100, 0, 0}, 2},
	};
	EXPECT_EQ(knn_predict(t, {1, 1, 1}, 1), 0);
	EXPECT_EQ(knn_predict(t, {105, 100, 100}, 3), 1);
	EXPECT_EQ(knn_predict(t, {-90, 0, 0}, 1), 2);
	// k=3 near the lone class-2 point: two class-0 votes win.
	EXPECT_EQ(knn_predict(t, {-60, 0, 0}, 3), 0);
	// A tied vote goes to the label whose member is nearest.
	EXPECT_EQ(knn_predict({{{0, 0, 0}, 5}, {{10, 0, 0}, 3}}, {4, 0, 0}, 2), 5);
	EXPECT_EQ(knn_predict({{{0, 0, 0}, 5}, {{10, 0, 0}, 3}}, {6, 0, 0}, 2), 3);
	// Distances do not overflow at the extremes of int32.
	EXPECT_EQ(knn_predict({{{INT32_MIN, INT32_MIN, INT32_MIN}, 1},
			       {{INT32_MAX, INT32_MAX, INT32_MAX}, 2}},
			      {INT32_MAX, INT32_MAX, INT32_MAX - 5}, 1),
		  2);
	EXPECT_EQ(centroid_predict(t, {90, 90, 90}), 1);
	EXPECT_EQ(centroid_predict(t, {-80, 0, 0}), 2);
	EXPECT_EQ(majority_label(t), 0);
	EXPECT_EQ(majority_label({{{0, 0, 0}, 4}, {{0, 0, 0}, 2}}), 2);	// tie: smallest
	EXPECT_THROW(knn_predict({}, {0, 0, 0}, 1), std::invalid_argument);
}

TEST(AgentIris, DebianDataSetWhenInstalled)
{
	if (!std::filesystem::exists(kIrisCsv))
		GTEST_SKIP() << kIrisCsv << " missing (apt-get install python3-sklearn)";
	IrisData d = load_iris_csv(kIrisCsv, {0, 2, 3});
	ASSERT_EQ(d.samples.size(), 150u);
	std::map<int, int> per;
	for (const auto &s : d.samples)
		per[s.label]++;
	EXPECT_EQ(per, (std::map<int, int>{{0, 50}, {1, 50}, {2, 50}}));
	// The fixed split: k-NN beats the majority class by far, repeatably.
	IrisSplit sp = stratified_split(d.samples, 50, 1);
	std::vector<LabelledPoint> t;
	for (const auto &s : sp.train)
		t.push_back({s.features, s.label});
	int correct = 0, base = 0, majority = majority_label(t);
	for (const auto &s : sp.test) {
		correct += knn_predict(t, s.features, 5) == s.label;
		base += majority == s.label;
	}
	EXPECT_EQ(correct, 96);
	EXPECT_EQ(base, 33);
}

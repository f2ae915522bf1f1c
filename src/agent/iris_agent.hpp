// SPDX-License-Identifier: GPL-2.0
//
// The reference agent for mlcore (`mlc-agent-iris`): the iris data set that
// Debian's python3-sklearn ships, three of its four features in fixed point
// x100, a stratified training set of 50 published through ADD_TRAINING and
// read back from /proc/mlcore_train, a classifier trained on what was read
// back, and the other 100 samples answered with SEND_INTS, SET_RESULT and a
// GET_RESULT check.  Its accuracy is reported next to a majority-class
// baseline.
#pragma once

#include <array>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "agent/clients.hpp"

namespace mlc::agent {

inline constexpr const char *kIrisCsv =
	"/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv";

struct IrisSample {
	Features features{};	// the chosen columns, x100
	int32_t label = 0;
};

struct IrisData {
	std::vector<std::string> feature_names;	// the chosen columns' names
	std::vector<std::string> class_names;
	std::vector<IrisSample> samples;
};

// Parses sklearn's iris.csv ("150,4,setosa,versicolor,virginica" then rows
// "5.1,3.5,1.4,0.2,0"), keeping `columns` (three of 0..3) in fixed point
// (exact decimal, no floating point).  ProtocolError if malformed.
IrisData parse_iris_csv(std::string_view text, const std::array<int, 3> &columns);
IrisData load_iris_csv(const std::string &path, const std::array<int, 3> &columns);

// A deterministic stream of numbers (splitmix64), the same on every
// platform (std::*_distribution is not).
class SplitMix64 {
public:
	explicit SplitMix64(uint64_t seed) : s_(seed) {}
	uint64_t next() noexcept;
	uint64_t below(uint64_t n) noexcept;	// uniform in [0, n), n > 0
private:
	uint64_t s_;
};

// n_train samples, spread over the classes as evenly as possible (classes
// in label order get the remainder first), each class's picks and the
// final training order shuffled with the seed.  The rest is the test set,
// in data order.
struct IrisSplit {
	std::vector<IrisSample> train, test;
};
IrisSplit stratified_split(const std::vector<IrisSample> &samples, size_t n_train,
			   uint64_t seed);

// Classifiers on fixed-point features.
struct LabelledPoint {
	Features features{};
	int32_t label = 0;
};
// k nearest neighbours (squared Euclidean distance, exact in int64),
// majority vote; a tied vote goes to the tied label with the nearest member.
int32_t knn_predict(const std::vector<LabelledPoint> &train, const Features &x, unsigned k);
// Nearest class centroid.
int32_t centroid_predict(const std::vector<LabelledPoint> &train, const Features &x);
// The most frequent label (ties: the smallest label).
int32_t majority_label(const std::vector<LabelledPoint> &train);

struct IrisOptions {
	std::string root = "/";
	std::string data = kIrisCsv;
	std::array<int, 3> columns{0, 2, 3};	// sepal length, petal length, petal width
	uint64_t seed = 1;
	std::string classifier = "knn";	// knn or centroid
	unsigned k = 5;
	std::ostream *progress = nullptr;	// lines of progress, if wanted
};

struct IrisReport {
	size_t samples = 0, trained = 0, tested = 0;
	size_t correct = 0, baseline_correct = 0;
	int32_t majority = 0;
	bool read_back_exact = true;	// /proc/mlcore_train == what was sent
	size_t ambiguous_values = 0;	// printed as 0.xx: the sign is lost (parse_fixed)
	std::string classifier;		// "k-NN (k=5)", "nearest centroid"
	double accuracy() const { return tested ? double(correct) / double(tested) : 0; }
	double baseline() const { return tested ? double(baseline_correct) / double(tested) : 0; }
};

// Runs the agent against ROOT.  SysError / ProtocolError on failure
// (including a GET_RESULT that does not return what SET_RESULT set).
IrisReport run_iris_agent(const IrisOptions &opts);

}  // namespace mlc::agent

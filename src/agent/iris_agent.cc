// SPDX-License-Identifier: GPL-2.0
#include "agent/iris_agent.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace mlc::agent {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep)
{
	std::vector<std::string_view> out;
	for (;;) {
		size_t p = s.find(sep);
		out.push_back(s.substr(0, p));
		if (p == std::string_view::npos)
			return out;
		s.remove_prefix(p + 1);
	}
}

// "5.1" -> 510, "0.25" -> 25, "7" -> 700: at most two decimals, exact.
std::optional<int32_t> decimal_x100(std::string_view s)
{
	size_t dot = s.find('.');
	std::string_view ip = s.substr(0, dot);
	std::string_view fp = dot == std::string_view::npos ? "" : s.substr(dot + 1);
	if (fp.size() > 2)
		return std::nullopt;
	auto whole = parse_uint(ip);
	if (!whole || *whole > 1000000)
		return std::nullopt;
	int64_t frac = 0;
	for (size_t i = 0; i < 2; i++) {
		frac *= 10;
		if (i < fp.size()) {
			if (fp[i] < '0' || fp[i] > '9')
				return std::nullopt;
			frac += fp[i] - '0';
		}
	}
	return static_cast<int32_t>(*whole * 100 + frac);
}

constexpr const char *kIrisFeatureNames[] = {"sepal_length", "sepal_width",
					     "petal_length", "petal_width"};

// Squared Euclidean distance, exact for any int32 features: a difference
// needs 33 bits, its square 66, three of them 68.
using Dist = unsigned __int128;

Dist dist2(const Features &a, const Features &b)
{
	Dist d = 0;
	for (int i = 0; i < MLCORE_NUM_FEATURES; i++) {
		int64_t x = int64_t(a[i]) - b[i];
		uint64_t ax = x < 0 ? uint64_t(-x) : uint64_t(x);
		d += Dist(ax) * ax;
	}
	return d;
}

}  // namespace

IrisData parse_iris_csv(std::string_view text, const std::array<int, 3> &columns)
{
	for (int c : columns)
		if (c < 0 || c > 3)
			throw std::invalid_argument("iris has feature columns 0..3");
	std::vector<std::string_view> lines = split(text, '\n');
	while (!lines.empty() && lines.back().empty())
		lines.pop_back();
	if (lines.empty())
		throw ProtocolError("iris.csv: empty");
	auto head = split(lines[0], ',');
	auto n = head.size() >= 2 ? parse_uint(head[0]) : std::nullopt;
	auto nf = head.size() >= 2 ? parse_uint(head[1]) : std::nullopt;
	if (!n || !nf || *nf != 4 || head.size() < 3)
		throw ProtocolError("iris.csv: header is not 'N,4,class,...': '" +
				    std::string(lines[0]) + "'");
	IrisData d;
	for (size_t i = 2; i < head.size(); i++)
		d.class_names.emplace_back(head[i]);
	for (int c : columns)
		d.feature_names.emplace_back(kIrisFeatureNames[c]);
	if (lines.size() - 1 != *n)
		throw ProtocolError("iris.csv: header says " + std::to_string(*n) +
				    " samples, the file has " +
				    std::to_string(lines.size() - 1));
	for (size_t i = 1; i < lines.size(); i++) {
		auto f = split(lines[i], ',');
		std::optional<uint64_t> label;
		if (f.size() != 5 || !(label = parse_uint(f[4])) ||
		    *label >= d.class_names.size())
			throw ProtocolError("iris.csv line " + std::to_string(i + 1) + ": '" +
					    std::string(lines[i]) + "'");
		IrisSample s;
		for (int j = 0; j < 3; j++) {
			auto v = decimal_x100(f[columns[j]]);
			if (!v)
				throw ProtocolError("iris.csv line " + std::to_string(i + 1) +
						    ": bad number '" +
						    std::string(f[columns[j]]) + "'");
			s.features[j] = *v;
		}
		s.label = static_cast<int32_t>(*label);
		d.samples.push_back(s);
	}
	return d;
}

IrisData load_iris_csv(const std::string &path, const std::array<int, 3> &columns)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		throw SysError(errno ? errno : ENOENT,
			       "open " + path + " (the iris data set of Debian's "
			       "python3-sklearn: apt-get install python3-sklearn)");
	std::stringstream ss;
	ss << in.rdbuf();
	return parse_iris_csv(ss.str(), columns);
}

uint64_t SplitMix64::next() noexcept
{
	uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t SplitMix64::below(uint64_t n) noexcept
{
	// Rejection sampling: no modulo bias, deterministic.
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t r;
	do
		r = next();
	while (r >= limit);
	return r % n;
}

namespace {

template <typename T>
void shuffle(std::vector<T> &v, SplitMix64 &rng)
{
	for (size_t i = v.size(); i > 1; i--)
		std::swap(v[i - 1], v[rng.below(i)]);
}

}  // namespace

IrisSplit stratified_split(const std::vector<IrisSample> &samples, size_t n_train,
			   uint64_t seed)
{
	std::map<int32_t, std::vector<size_t>> by_class;
	for (size_t i = 0; i < samples.size(); i++)
		by_class[samples[i].label].push_back(i);
	if (n_train > samples.size())
		throw std::invalid_argument("more training samples than data");
	SplitMix64 rng(seed);
	size_t classes = by_class.size(), base = n_train / classes, extra = n_train % classes;
	std::vector<bool> picked(samples.size());
	IrisSplit out;
	size_t ci = 0;
	for (auto &[label, idx] : by_class) {
		size_t want = std::min(idx.size(), base + (ci++ < extra ? 1 : 0));
		shuffle(idx, rng);
		for (size_t j = 0; j < want; j++) {
			picked[idx[j]] = true;
			out.train.push_back(samples[idx[j]]);
		}
	}
	shuffle(out.train, rng);
	for (size_t i = 0; i < samples.size(); i++)
		if (!picked[i])
			out.test.push_back(samples[i]);
	return out;
}

int32_t knn_predict(const std::vector<LabelledPoint> &train, const Features &x, unsigned k)
{
	if (train.empty())
		throw std::invalid_argument("k-NN with no training data");
	std::vector<std::pair<Dist, size_t>> d;
	d.reserve(train.size());
	for (size_t i = 0; i < train.size(); i++)
		d.emplace_back(dist2(train[i].features, x), i);
	size_t kk = std::min<size_t>(std::max(k, 1u), d.size());
	std::partial_sort(d.begin(), d.begin() + kk, d.end());
	std::map<int32_t, std::pair<unsigned, Dist>> votes;	// count, nearest
	for (size_t i = 0; i < kk; i++) {
		auto &v = votes.try_emplace(train[d[i].second].label, 0u, d[i].first)
				  .first->second;
		v.first++;
	}
	int32_t best = votes.begin()->first;
	for (const auto &[label, v] : votes) {
		const auto &b = votes[best];
		if (v.first > b.first || (v.first == b.first && v.second < b.second))
			best = label;
	}
	return best;
}

int32_t centroid_predict(const std::vector<LabelledPoint> &train, const Features &x)
{
	if (train.empty())
		throw std::invalid_argument("centroid with no training data");
	std::map<int32_t, std::pair<std::array<int64_t, 3>, int64_t>> sums;
	for (const auto &p : train) {
		auto &s = sums[p.label];
		for (int i = 0; i < 3; i++)
			s.first[i] += p.features[i];
		s.second++;
	}
	int32_t best = 0;
	double best_d = -1;
	for (const auto &[label, s] : sums) {
		double d = 0;
		for (int i = 0; i < 3; i++) {
			double c = double(s.first[i]) / double(s.second);
			d += (x[i] - c) * (x[i] - c);
		}
		if (best_d < 0 || d < best_d)
			best = label, best_d = d;
	}
	return best;
}

int32_t majority_label(const std::vector<LabelledPoint> &train)
{
	std::map<int32_t, size_t> count;
	for (const auto &p : train)
		count[p.label]++;
	int32_t best = 0;
	size_t n = 0;
	for (const auto &[label, c] : count)
		if (c > n)
			best = label, n = c;
	return best;
}

IrisReport run_iris_agent(const IrisOptions &opts)
{
	auto say = [&](const std::string &line) {
		if (opts.progress)
			*opts.progress << line << '\n' << std::flush;
	};
	if (opts.classifier != "knn" && opts.classifier != "centroid")
		throw std::invalid_argument("classifier must be knn or centroid");
	IrisData data = load_iris_csv(opts.data, opts.columns);
	IrisSplit split = stratified_split(data.samples, MLCORE_MAX_TRAINING_ENTRIES, opts.seed);
	IrisReport rep;
	rep.samples = data.samples.size();
	rep.classifier = opts.classifier == "knn" ? "k-NN (k=" + std::to_string(opts.k) + ")"
						  : "nearest centroid";
	say("iris: " + std::to_string(rep.samples) + " samples from " + opts.data +
	    ", features " + data.feature_names[0] + ", " + data.feature_names[1] + ", " +
	    data.feature_names[2] + " (fixed point x100)");

	MlcoreClient dev{Root(opts.root)};
	dev.clear_training();
	for (const auto &s : split.train)
		dev.add_training(s.features, s.label);
	say("iris: published " + std::to_string(split.train.size()) +
	    " training entries (stratified, seed " + std::to_string(opts.seed) +
	    ") with IOCTL_ADD_TRAINING");

	// Train on what the driver holds, as read back from the proc file.
	std::vector<TrainingRow> rows = dev.read_training();
	std::vector<LabelledPoint> train;
	for (const auto &r : rows)
		train.push_back({r.features, r.label});
	rep.trained = train.size();
	// Values in (0, 1) print like their negatives ("0.20" is 20 or -20):
	// the non-negative reading is right here, iris measurements are > 0.
	rep.read_back_exact = rows.size() == split.train.size();
	for (size_t i = 0; i < rows.size(); i++) {
		for (bool exact : rows[i].exact)
			rep.ambiguous_values += !exact;
		if (rep.read_back_exact)
			rep.read_back_exact = rows[i].features == split.train[i].features &&
					      rows[i].label == split.train[i].label;
	}
	say("iris: read " + std::to_string(rows.size()) +
	    " training entries back from /proc/mlcore_train" +
	    (rep.read_back_exact ? " (identical to what was sent" : " (DIFFERENT from what was sent") +
	    (rep.ambiguous_values ? "; " + std::to_string(rep.ambiguous_values) +
					    " values below 1.00 print without a sign and "
					    "were read as positive)"
				  : ")"));
	if (train.empty())
		throw ProtocolError("/proc/mlcore_train is empty after ADD_TRAINING");

	rep.majority = majority_label(train);
	for (const auto &s : split.test) {
		dev.send_features(s.features);
		int32_t guess = opts.classifier == "knn" ? knn_predict(train, s.features, opts.k)
							 : centroid_predict(train, s.features);
		dev.set_result(guess);
		int32_t back = dev.get_result();
		if (back != guess)
			throw ProtocolError("GET_RESULT returned " + std::to_string(back) +
					    " after SET_RESULT " + std::to_string(guess));
		rep.correct += guess == s.label;
		rep.baseline_correct += rep.majority == s.label;
		rep.tested++;
	}
	ResultReport hist = dev.read_result_history();
	if (rep.tested && (hist.history.empty() || hist.history.back().value != hist.current))
		throw ProtocolError("/proc/mlcore_result: the latest history entry is not "
				    "the current prediction");
	say("iris: answered " + std::to_string(rep.tested) +
	    " held-out samples (SEND_INTS, predict, SET_RESULT, GET_RESULT checked); "
	    "/proc/mlcore_result shows the last " + std::to_string(hist.history.size()));
	return rep;
}

}  // namespace mlc::agent

// SPDX-License-Identifier: GPL-2.0
//
// The driver's fixed-point printing ("%d.%02d" of v/100 and abs(v%100)),
// bug-compatible sign loss included, in /proc/mlcore_train and in the
// Received features / Training data added kernel log lines.
#include <climits>

#include <gtest/gtest.h>

#include "mlcore_reference.hpp"
#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

// -10001..10001, then INT_MIN, INT_MAX and their neighbours.
std::vector<int32_t> all_values()
{
	std::vector<int32_t> v;
	for (int32_t i = -10001; i <= 10001; i++)
		v.push_back(i);
	for (int32_t x : {INT_MIN, INT_MIN + 1, INT_MIN + 99, INT_MIN + 100,
			  INT_MAX, INT_MAX - 1, INT_MAX - 47, INT_MAX - 48})
		v.push_back(x);
	return v;
}

// The three features of entry k of a sweep over values.
train_entry sweep_entry(const std::vector<int32_t> &values, size_t k)
{
	auto at = [&](size_t i) { return values[i % values.size()]; };
	return entry(at(3 * k), at(3 * k + 1), at(3 * k + 2),
		     static_cast<int32_t>(k));
}

TEST(MlcoreFixed, ReferenceFormatterReproducesTheDriverLiterals)
{
	EXPECT_EQ(ref_fixed(0), "0.00");
	EXPECT_EQ(ref_fixed(5), "0.05");
	EXPECT_EQ(ref_fixed(-5), "0.05");
	EXPECT_EQ(ref_fixed(-32), "0.32");
	EXPECT_EQ(ref_fixed(-99), "0.99");
	EXPECT_EQ(ref_fixed(-100), "-1.00");
	EXPECT_EQ(ref_fixed(-101), "-1.01");
	EXPECT_EQ(ref_fixed(12345), "123.45");
	EXPECT_EQ(ref_fixed(INT_MIN), "-21474836.48");
	EXPECT_EQ(ref_fixed(INT_MAX), "21474836.47");
}

TEST(MlcoreFixed, SpotLiteralsInTrainingFileAndLog)
{
	DeviceHarness h;
	h.take_klog();
	ASSERT_EQ(h.add_training(entry(-5, -32, -100, 0)), 0);
	ASSERT_EQ(h.add_training(entry(-101, INT_MIN, INT_MAX, -1)), 0);
	ASSERT_EQ(h.send_ints(-5, -32, -100), 0);
	ASSERT_EQ(h.send_ints(-101, INT_MIN, INT_MAX), 0);
	EXPECT_EQ(h.dev().render_mlcore_train(),
		  "[0]: 0.05 0.32 -1.00 => 0\n"
		  "[1]: -1.01 -21474836.48 21474836.47 => -1\n");
	EXPECT_EQ(h.take_klog(),
		  (std::vector<std::string>{
			  "<6>[mlcore] Training data added: 0.05 0.32 -1.00 => 0",
			  "<6>[mlcore] Training data added: -1.01 -21474836.48 "
			  "21474836.47 => -1",
			  "<6>[mlcore] Received features: 0.05 0.32 -1.00",
			  "<6>[mlcore] Received features: -1.01 -21474836.48 "
			  "21474836.47",
		  }));
}

TEST(MlcoreFixed, TrainingFileAndLogMatchReferenceForAllValues)
{
	const std::vector<int32_t> values = all_values();
	const size_t entries = (values.size() + 2) / 3;
	DeviceHarness h;
	ReferenceMlcore ref;
	h.take_klog();
	for (size_t k = 0; k < entries; k++) {
		if (ref.training.size() == ReferenceMlcore::kTraining) {
			ASSERT_EQ(h.dev().render_mlcore_train(), ref.train_text());
			ASSERT_EQ(h.take_klog(), ref.take_klog());
			ASSERT_EQ(h.clear_training(), 0);
			ref.clear_training();
		}
		ASSERT_EQ(h.add_training(sweep_entry(values, k)), 0);
		ref.add_training(sweep_entry(values, k));
	}
	ASSERT_EQ(h.dev().render_mlcore_train(), ref.train_text());
	ASSERT_EQ(h.take_klog(), ref.take_klog());
}

TEST(MlcoreFixed, ReceivedFeaturesMatchReferenceForAllValues)
{
	const std::vector<int32_t> values = all_values();
	DeviceHarness h;
	h.take_klog();
	for (size_t k = 0; k < (values.size() + 2) / 3; k++) {
		const train_entry e = sweep_entry(values, k);
		ASSERT_EQ(h.send_ints(e.features[0], e.features[1],
				      e.features[2]),
			  0);
		const std::vector<std::string> lines = h.take_klog();
		ASSERT_EQ(lines.size(), 1u);
		ASSERT_EQ(lines[0], "<6>[mlcore] Received features: " +
					    ref_features(e.features));
	}
}

}  // namespace
}  // namespace mlc::test

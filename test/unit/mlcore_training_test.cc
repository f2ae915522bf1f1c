// SPDX-License-Identifier: GPL-2.0
//
// The training store behind /proc/mlcore_train: 50 entries, the 51st
// dropped silently with a warning, CLEAR_TRAINING.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "mlcore_reference.hpp"
#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

using ::testing::ElementsAre;

train_entry nth_entry(int i) { return entry(i * 100 + 1, -i, i - 50, i); }

// Fills the store with n entries, mirrored into ref.
void add_n(DeviceHarness &h, ReferenceMlcore &ref, int n)
{
	for (int i = 0; i < n; i++) {
		ASSERT_EQ(h.add_training(nth_entry(i)), 0);
		ref.add_training(nth_entry(i));
	}
}

TEST(MlcoreTraining, StartsEmpty)
{
	DeviceHarness h;
	EXPECT_EQ(h.dev().render_mlcore_train(), "");
	EXPECT_EQ(h.dev().mlcore_snapshot().train_count, 0);
}

TEST(MlcoreTraining, HoldsFiftyEntriesInInsertionOrder)
{
	DeviceHarness h;
	ReferenceMlcore ref;
	h.take_klog();
	add_n(h, ref, 50);
	EXPECT_EQ(h.dev().mlcore_snapshot().train_count, 50);
	const std::string text = h.dev().render_mlcore_train();
	EXPECT_EQ(text, ref.train_text());
	const auto lines = split_lines(text);
	ASSERT_EQ(lines.size(), 50u);
	EXPECT_EQ(lines.front(), "[0]: 0.01 0.00 0.50 => 0");
	EXPECT_EQ(lines.back(), "[49]: 49.01 0.49 0.01 => 49");
	EXPECT_EQ(h.take_klog(), ref.take_klog());
}

TEST(MlcoreTraining, FiftyFirstIsDroppedSilentlyWithAWarning)
{
	DeviceHarness h;
	ReferenceMlcore ref;
	add_n(h, ref, 50);
	h.take_klog();
	const Observation full = h.observe();

	for (int extra = 0; extra < 3; extra++) {
		EXPECT_EQ(h.add_training(entry(7, 7, 7, 7)), 0);
		EXPECT_THAT(h.take_klog(),
			    ElementsAre("<4>[mlcore] Training buffer full!"));
	}
	const Observation after = h.observe();
	EXPECT_EQ(std::memcmp(&after.state, &full.state, sizeof(mlcore_dev)), 0);
	EXPECT_EQ(after.train, full.train);
	EXPECT_EQ(after.train, ref.train_text());
}

TEST(MlcoreTraining, ClearResetsCountAndLogs)
{
	DeviceHarness h;
	ReferenceMlcore ref;
	add_n(h, ref, 50);
	h.take_klog();
	ASSERT_EQ(h.clear_training(), 0);
	EXPECT_EQ(h.dev().mlcore_snapshot().train_count, 0);
	EXPECT_EQ(h.dev().render_mlcore_train(), "");
	EXPECT_THAT(h.take_klog(),
		    ElementsAre("<6>[mlcore] Training buffer cleared"));
}

TEST(MlcoreTraining, ClearOnAnEmptyStoreStillLogs)
{
	DeviceHarness h;
	h.take_klog();
	ASSERT_EQ(h.clear_training(), 0);
	ASSERT_EQ(h.clear_training(), 0);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre("<6>[mlcore] Training buffer cleared",
				"<6>[mlcore] Training buffer cleared"));
}

TEST(MlcoreTraining, AddingAfterClearStartsAtIndexZero)
{
	DeviceHarness h;
	ReferenceMlcore ref;
	add_n(h, ref, 50);
	ASSERT_EQ(h.add_training(entry(1, 1, 1, 1)), 0);	// dropped
	ASSERT_EQ(h.clear_training(), 0);
	h.take_klog();
	ASSERT_EQ(h.add_training(entry(-250, 99, -1, -9)), 0);
	EXPECT_EQ(h.dev().render_mlcore_train(), "[0]: -2.50 0.99 0.01 => -9\n");
	EXPECT_EQ(h.dev().mlcore_snapshot().train_count, 1);
	EXPECT_THAT(h.take_klog(),
		    ElementsAre("<6>[mlcore] Training data added: -2.50 0.99 "
				"0.01 => -9"));
	// And it fills up to 50 again.
	ReferenceMlcore again;
	again.add_training(entry(-250, 99, -1, -9));
	add_n(h, again, 50);
	EXPECT_EQ(h.dev().render_mlcore_train(), again.train_text());
	EXPECT_EQ(h.dev().mlcore_snapshot().train_count, 50);
}

TEST(MlcoreTraining, StoreIsIndependentOfHistoryAndFeatures)
{
	DeviceHarness h;
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	ASSERT_EQ(h.set_result(9), 0);
	ASSERT_EQ(h.send_ints(5, 6, 7), 0);
	ASSERT_EQ(h.clear_training(), 0);
	EXPECT_EQ(h.get_result(), 9);
	EXPECT_EQ(h.dev().mlcore_snapshot().hist_count, 1);
	EXPECT_EQ(h.dev().mlcore_snapshot().features[2], 7);
}

}  // namespace
}  // namespace mlc::test

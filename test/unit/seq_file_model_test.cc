// SPDX-License-Identifier: GPL-2.0
//
// The seq_file model (src/core/seq_file_model.h) behind /proc/mlcore_result
// and /proc/mlcore_train: when the text is generated, short reads, lseek,
// faults.  Uses a text source that counts its renderings, and the Device.
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <gtest/gtest.h>

#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

constexpr int kSeekSet = 0, kSeekCur = 1, kSeekEnd = 2, kSeekData = 3,
	      kSeekHole = 4;

// A show() whose text the test changes, counting its renderings.
struct CountingText {
	std::string text;
	int renders = 0;

	static size_t show(void *priv, char *buf, size_t size)
	{
		auto *t = static_cast<CountingText *>(priv);
		t->renders++;
		const size_t n = std::min(t->text.size(), size ? size - 1 : 0);
		std::memcpy(buf, t->text.data(), n);
		if (size)
			buf[n] = '\0';
		return t->text.size();
	}
};

constexpr const char *kInitialResult =
	"Current Prediction: -1\nPrediction History (latest 0):\n";

TEST(SeqFileModel, SevenByteReadsReturnSevenThenTheRemainderThenZero)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	std::string text;
	std::vector<long> got;
	long n;
	do {
		n = r.read(7, &text);
		got.push_back(n);
	} while (n > 0);
	// 54 bytes: seven reads of 7, then 5, then 0.
	EXPECT_EQ(got, (std::vector<long>{7, 7, 7, 7, 7, 7, 7, 5, 0}));
	EXPECT_EQ(text, kInitialResult);
	EXPECT_EQ(r.read(7), 0);
	EXPECT_EQ(r.pos(), 54);
}

TEST(SeqFileModel, FirstReadRendersOnceForTheWholeFile)
{
	CountingText src{"0123456789abcdefghij"};
	SeqReader r(CountingText::show, &src);
	EXPECT_EQ(r.read_to_end(3), src.text);
	EXPECT_EQ(src.renders, 1);
}

TEST(SeqFileModel, ContinuingReadServesOldTextAfterDeviceChange)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	std::string text;
	ASSERT_EQ(r.read(7, &text), 7);
	ASSERT_EQ(h.set_result(5), 0);
	EXPECT_EQ(r.read(100, &text), 47);
	EXPECT_EQ(text, kInitialResult);
	EXPECT_EQ(r.read(100), 0);
}

TEST(SeqFileModel, ReadAtOffsetZeroRerenders)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	ASSERT_EQ(r.read_to_end(7), kInitialResult);
	ASSERT_EQ(h.set_result(5), 0);
	const std::string now = h.dev().render_mlcore_result();

	// pread at 0, even in the middle of a sequential read.
	int64_t pos = 0;
	std::string text;
	ASSERT_EQ(r.pread(100, &pos, &text), static_cast<long>(now.size()));
	EXPECT_EQ(text, now);

	// lseek back to 0 and read.
	ASSERT_EQ(h.set_result(6), 0);
	ASSERT_EQ(r.lseek(0, kSeekSet), 0);
	EXPECT_EQ(r.read_to_end(7), h.dev().render_mlcore_result());
}

TEST(SeqFileModel, ReadAtZeroRerendersEvenWhenLastReadStoppedThere)
{
	// A read at offset 0 starts over although nothing was read yet.
	CountingText src{"first"};
	SeqReader r(CountingText::show, &src);
	GuardedRegion none(0);
	EXPECT_EQ(r.read_into(none.mem(), none.at(0), 3), -EFAULT);
	EXPECT_EQ(src.renders, 1);
	src.text = "second";
	std::string text;
	EXPECT_EQ(r.read(3, &text), 3);
	EXPECT_EQ(text, "sec");
	EXPECT_EQ(src.renders, 2);
}

TEST(SeqFileModel, LseekSetAndCur)
{
	CountingText src{"0123456789abcdefghij"};
	SeqReader r(CountingText::show, &src);
	std::string text;
	EXPECT_EQ(r.lseek(5, kSeekSet), 5);
	EXPECT_EQ(r.read(3, &text), 3);
	EXPECT_EQ(text, "567");
	EXPECT_EQ(r.lseek(2, kSeekCur), 10);
	text.clear();
	EXPECT_EQ(r.read(3, &text), 3);
	EXPECT_EQ(text, "abc");
	EXPECT_EQ(r.lseek(-4, kSeekCur), 9);
	text.clear();
	EXPECT_EQ(r.read(2, &text), 2);
	EXPECT_EQ(text, "9a");
	EXPECT_EQ(r.lseek(0, kSeekCur), 11);
	EXPECT_EQ(r.pos(), 11);
}

TEST(SeqFileModel, LseekToWhereTheLastReadStoppedKeepsOldText)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	std::string text;
	ASSERT_EQ(r.read(7, &text), 7);
	ASSERT_EQ(h.set_result(5), 0);
	EXPECT_EQ(r.lseek(7, kSeekSet), 7);
	EXPECT_EQ(r.lseek(0, kSeekCur), 7);
	r.read_to_end(7).swap(text);
	EXPECT_EQ(text, std::string(kInitialResult).substr(7));
}

TEST(SeqFileModel, LseekToANewOffsetRendersAtSeekTime)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	EXPECT_EQ(r.lseek(8, kSeekSet), 8);
	ASSERT_EQ(h.set_result(5), 0);	// after the lseek: not seen
	EXPECT_EQ(r.read_to_end(7), std::string(kInitialResult).substr(8));

	// A seek to another offset renders again, with the new state.
	EXPECT_EQ(r.lseek(3, kSeekSet), 3);
	ASSERT_EQ(h.set_result(6), 0);
	EXPECT_EQ(r.read_to_end(100),
		  std::string("Current Prediction: 5\n"
			      "Prediction History (latest 1):\n"
			      " [0]: 5 at 2026-03-14 15:09:26\n")
			  .substr(3));
}

TEST(SeqFileModel, LseekRenderCountsFollowTheKernel)
{
	CountingText src{"0123456789"};
	SeqReader r(CountingText::show, &src);
	EXPECT_EQ(r.lseek(0, kSeekSet), 0);	// offset == read_pos: nothing
	EXPECT_EQ(src.renders, 0);
	EXPECT_EQ(r.lseek(4, kSeekSet), 4);	// new offset: renders
	EXPECT_EQ(src.renders, 1);
	EXPECT_EQ(r.lseek(4, kSeekSet), 4);	// same again: nothing
	EXPECT_EQ(src.renders, 1);
	EXPECT_EQ(r.lseek(0, kSeekSet), 0);	// to 0: reset, no rendering
	EXPECT_EQ(src.renders, 1);
	EXPECT_EQ(r.read_to_end(4), "0123456789");
	EXPECT_EQ(src.renders, 2);
}

TEST(SeqFileModel, PreadAtAnotherOffsetRerenders)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	ASSERT_EQ(r.read(7), 7);
	ASSERT_EQ(h.set_result(5), 0);
	int64_t pos = 3;
	std::string text;
	ASSERT_EQ(r.pread(10, &pos, &text), 10);
	EXPECT_EQ(text, "rent Predi");
	EXPECT_EQ(pos, 13);
	EXPECT_EQ(r.pos(), 7);	// pread leaves the file position alone
	text.clear();
	ASSERT_EQ(r.pread(7, &pos, &text), 7);
	EXPECT_EQ(text, "ction: ");
	text.clear();
	ASSERT_EQ(r.pread(1, &pos, &text), 1);
	EXPECT_EQ(text, "5");	// the text rendered at pos 3 is the new one
}

TEST(SeqFileModel, LseekPastTheEndThenReadReturnsZero)
{
	CountingText src{"0123456789"};
	SeqReader r(CountingText::show, &src);
	EXPECT_EQ(r.lseek(1000, kSeekSet), 1000);
	EXPECT_EQ(r.read(7), 0);
	EXPECT_EQ(r.pos(), 1000);
	EXPECT_EQ(r.lseek(10, kSeekSet), 10);	// exactly the end
	EXPECT_EQ(r.read(7), 0);
	EXPECT_EQ(r.lseek(9, kSeekSet), 9);
	std::string text;
	EXPECT_EQ(r.read(7, &text), 1);
	EXPECT_EQ(text, "9");
}

TEST(SeqFileModel, InvalidLseeksAreEinvalAndChangeNothing)
{
	CountingText src{"0123456789"};
	SeqReader r(CountingText::show, &src);
	std::string text;
	ASSERT_EQ(r.read(4, &text), 4);
	src.text = "changed!!!";
	const int renders = src.renders;

	struct Case {
		int64_t offset;
		int whence;
	};
	const Case cases[] = {
		{-1, kSeekSet},	   {INT64_MIN, kSeekSet}, {-5, kSeekCur},
		{0, kSeekEnd},	   {-5, kSeekEnd},	  {5, kSeekEnd},
		{0, kSeekData},	   {4, kSeekData},	  {0, kSeekHole},
		{4, kSeekHole},	   {0, 5},		  {0, -1},
	};
	for (const Case &c : cases) {
		EXPECT_EQ(r.lseek(c.offset, c.whence), -EINVAL)
			<< c.offset << " whence " << c.whence;
		EXPECT_EQ(r.pos(), 4);
	}
	EXPECT_EQ(src.renders, renders);
	// The read goes on with the old text.
	EXPECT_EQ(r.read_to_end(3), "456789");

	// SEEK_CUR that wraps past INT64_MAX gives a negative target.
	EXPECT_EQ(r.lseek(INT64_MAX, kSeekSet), INT64_MAX);
	EXPECT_EQ(r.lseek(1, kSeekCur), -EINVAL);
	EXPECT_EQ(r.pos(), INT64_MAX);
}

TEST(SeqFileModel, ZeroByteReadReturnsZeroAndRendersNothing)
{
	CountingText src{"0123456789"};
	SeqReader r(CountingText::show, &src);
	EXPECT_EQ(r.read(0), 0);
	EXPECT_EQ(src.renders, 0);
	EXPECT_EQ(r.pos(), 0);
	ASSERT_EQ(r.read(4), 4);
	EXPECT_EQ(r.read(0), 0);
	EXPECT_EQ(r.pos(), 4);
	// Even with a destination that would fault.
	LocalMemory local;
	EXPECT_EQ(r.read_into(local, 0, 0), 0);
	EXPECT_EQ(r.read_to_end(100), "456789");
	EXPECT_EQ(src.renders, 1);
}

TEST(SeqFileModel, FaultingDestinationIsEfaultWhenNothingWasCopied)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	LocalMemory local;
	EXPECT_EQ(r.read_into(local, 0, 7), -EFAULT);
	EXPECT_EQ(r.read_into(local, 16, 7), -EFAULT);
	EXPECT_EQ(r.pos(), 0);

	std::string text;
	ASSERT_EQ(r.read(7, &text), 7);
	ASSERT_EQ(h.set_result(5), 0);
	EXPECT_EQ(r.read_into(local, 0, 7), -EFAULT);	// mid-file
	EXPECT_EQ(r.pos(), 7);
	EXPECT_EQ(r.read(100, &text), 47);	// still the old text
	EXPECT_EQ(text, kInitialResult);
}

TEST(SeqFileModel, PartlyFaultingDestinationReturnsWhatWasCopied)
{
	CountingText src{"0123456789"};
	SeqReader r(CountingText::show, &src);
	GuardedRegion three(3);
	EXPECT_EQ(r.read_into(three.mem(), three.at(0), 7), 3);
	EXPECT_EQ(three.written_end(), 3u);
	EXPECT_EQ(std::memcmp(three.bytes().data(), "012", 3), 0);
	EXPECT_EQ(r.pos(), 3);
	// Again from the leftover of the buffer.
	GuardedRegion two(2);
	EXPECT_EQ(r.read_into(two.mem(), two.at(0), 7), 2);
	EXPECT_EQ(std::memcmp(two.bytes().data(), "34", 2), 0);
	EXPECT_EQ(r.read_to_end(7), "56789");
}

TEST(SeqFileModel, EmptyTrainingFileReadsZero)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_train, &h.dev());
	EXPECT_EQ(r.read(7), 0);
	EXPECT_EQ(r.read(4096), 0);
	EXPECT_EQ(r.pos(), 0);
	// Still at offset 0, so the next read renders the new state.
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	EXPECT_EQ(r.read_to_end(7), "[0]: 0.01 0.02 0.03 => 4\n");
}

TEST(SeqFileModel, EndOfFileStaysUntilRewound)
{
	DeviceHarness h;
	SeqReader r(show_mlcore_result, &h.dev());
	ASSERT_EQ(r.read_to_end(4096), kInitialResult);
	ASSERT_EQ(h.set_result(5), 0);
	EXPECT_EQ(r.read(4096), 0);
	ASSERT_EQ(r.lseek(0, kSeekSet), 0);
	EXPECT_EQ(r.read_to_end(4096), h.dev().render_mlcore_result());
}

TEST(SeqFileModel, WholeFullTrainingFileInOneRead)
{
	DeviceHarness h;
	for (int i = 0; i < 50; i++)
		ASSERT_EQ(h.add_training(entry(INT32_MIN, INT32_MIN, INT32_MIN,
					       INT32_MIN)),
			  0);
	const std::string expected = h.dev().render_mlcore_train();
	ASSERT_EQ(expected.size(), 50u * 60 - 10);	// "[0]".."[9]" are short
	SeqReader r(show_mlcore_train, &h.dev());
	std::string text;
	EXPECT_EQ(r.read(4096, &text), static_cast<long>(expected.size()));
	EXPECT_EQ(text, expected);
	EXPECT_EQ(r.read(4096), 0);
}

}  // namespace
}  // namespace mlc::test

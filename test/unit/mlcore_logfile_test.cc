// SPDX-License-Identifier: GPL-2.0
//
// The device's log file (/var/log/mlcore.log on the real driver): one exact
// line per SET_RESULT, appended, created 0644, never through a symlink.
#include <sys/stat.h>
#include <unistd.h>

#include <climits>

#include <gtest/gtest.h>

#include "mlcore_test_support.hpp"

namespace mlc::test {
namespace {

TEST(MlcoreLogFile, OneExactLinePerSetResult)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(0), 0);
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 0\n");
	h.clock().set(946684799);	// 1999-12-31 23:59:59
	ASSERT_EQ(h.set_result(INT_MIN), 0);
	h.clock().set(946684800);
	ASSERT_EQ(h.set_result(INT_MAX), 0);
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 0\n"
			       "1999-12-31 23:59:59 - Prediction: -2147483648\n"
			       "2000-01-01 00:00:00 - Prediction: 2147483647\n");
}

TEST(MlcoreLogFile, OnlySetResultWritesTheFile)
{
	DeviceHarness h;
	ASSERT_EQ(h.send_ints(1, 2, 3), 0);
	ASSERT_EQ(h.add_training(entry(1, 2, 3, 4)), 0);
	ASSERT_EQ(h.clear_training(), 0);
	h.get_result();
	EXPECT_EQ(h.ioctl(IOCTL_SET_RESULT, nullptr), -EFAULT);
	EXPECT_FALSE(lstat_of(h.log_path()));
}

TEST(MlcoreLogFile, AppendsToExistingContent)
{
	DeviceHarness h;
	write_file(h.log_path(), "earlier line\nno newline");
	ASSERT_EQ(h.set_result(5), 0);
	EXPECT_EQ(h.logfile(), "earlier line\nno newline"
			       "2026-03-14 15:09:26 - Prediction: 5\n");
}

TEST(MlcoreLogFile, CreatedWithMode0644UnderUmask022)
{
	ScopedUmask mask(022);
	DeviceHarness h;
	ASSERT_EQ(h.set_result(1), 0);
	auto st = lstat_of(h.log_path());
	ASSERT_TRUE(st);
	EXPECT_TRUE(S_ISREG(st->st_mode));
	EXPECT_EQ(st->st_mode & 07777, 0644u);
}

TEST(MlcoreLogFile, CreatedWithMode0644EvenUnderUmaskZero)
{
	// With no umask the mode is exactly what open(2) asked for.
	ScopedUmask mask(0);
	DeviceHarness h;
	ASSERT_EQ(h.set_result(1), 0);
	auto st = lstat_of(h.log_path());
	ASSERT_TRUE(st);
	EXPECT_EQ(st->st_mode & 07777, 0644u);
}

TEST(MlcoreLogFile, ModeOfAnExistingFileIsKept)
{
	DeviceHarness h;
	write_file(h.log_path(), "");
	ASSERT_EQ(::chmod(h.log_path().c_str(), 0600), 0);
	ASSERT_EQ(h.set_result(1), 0);
	EXPECT_EQ(lstat_of(h.log_path())->st_mode & 07777, 0600u);
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 1\n");
}

TEST(MlcoreLogFile, SymlinkAtThePathIsNotFollowed)
{
	DeviceHarness h;
	const std::string target = h.dir().file("victim");
	write_file(target, "precious\n");
	ASSERT_EQ(::symlink(target.c_str(), h.log_path().c_str()), 0);
	h.take_klog();

	ASSERT_EQ(h.set_result(66), 0);
	EXPECT_EQ(read_file(target), "precious\n");
	auto st = lstat_of(h.log_path());
	ASSERT_TRUE(st);
	EXPECT_TRUE(S_ISLNK(st->st_mode));
	EXPECT_EQ(h.take_klog(),
		  (std::vector<std::string>{"<3>[mlcore] Failed to open log file.",
					    "<6>[mlcore] Prediction set: 66"}));
	EXPECT_EQ(h.get_result(), 66);
}

TEST(MlcoreLogFile, DanglingSymlinkDoesNotCreateItsTarget)
{
	DeviceHarness h;
	const std::string target = h.dir().file("would-be-created");
	ASSERT_EQ(::symlink(target.c_str(), h.log_path().c_str()), 0);
	ASSERT_EQ(h.set_result(1), 0);
	EXPECT_FALSE(lstat_of(target));
	EXPECT_EQ(h.klog_lines().at(0), "<3>[mlcore] Failed to open log file.");
}

TEST(MlcoreLogFile, FileReappearsAfterAFailure)
{
	// Opened per line, as the driver does: a fixed path works again.
	DeviceHarness h;
	ASSERT_EQ(::mkdir(h.log_path().c_str(), 0755), 0);
	ASSERT_EQ(h.set_result(1), 0);
	ASSERT_EQ(::rmdir(h.log_path().c_str()), 0);
	ASSERT_EQ(h.set_result(2), 0);
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 2\n");
}

// The driver opens the file for every line, so whatever happens to the
// path between two lines, the next line goes where a fresh open puts it.

TEST(MlcoreLogFile, RemovedFileIsCreatedAnew)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(1), 0);
	ASSERT_EQ(::unlink(h.log_path().c_str()), 0);
	ASSERT_EQ(h.set_result(2), 0);
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 2\n");
}

TEST(MlcoreLogFile, RotatedFileGetsNoMoreLines)
{
	DeviceHarness h;
	const std::string rotated = h.log_path() + ".1";
	ASSERT_EQ(h.set_result(1), 0);
	ASSERT_EQ(::rename(h.log_path().c_str(), rotated.c_str()), 0);
	ASSERT_EQ(h.set_result(2), 0);
	EXPECT_EQ(read_file(rotated), "2026-03-14 15:09:26 - Prediction: 1\n");
	EXPECT_EQ(h.logfile(), "2026-03-14 15:09:26 - Prediction: 2\n");
}

TEST(MlcoreLogFile, FileReplacedByAnotherGetsTheNextLine)
{
	DeviceHarness h;
	const std::string other = h.dir().file("other");
	ASSERT_EQ(h.set_result(1), 0);
	write_file(other, "other\n");
	ASSERT_EQ(::rename(other.c_str(), h.log_path().c_str()), 0);
	ASSERT_EQ(h.set_result(2), 0);
	EXPECT_EQ(h.logfile(), "other\n2026-03-14 15:09:26 - Prediction: 2\n");
}

TEST(MlcoreLogFile, SymlinkPlantedAfterUseIsNotFollowed)
{
	DeviceHarness h;
	const std::string target = h.dir().file("victim");
	write_file(target, "precious\n");
	ASSERT_EQ(h.set_result(1), 0);
	ASSERT_EQ(::unlink(h.log_path().c_str()), 0);
	ASSERT_EQ(::symlink(target.c_str(), h.log_path().c_str()), 0);
	h.take_klog();
	ASSERT_EQ(h.set_result(2), 0);
	EXPECT_EQ(read_file(target), "precious\n");
	EXPECT_EQ(h.take_klog(),
		  (std::vector<std::string>{"<3>[mlcore] Failed to open log file.",
					    "<6>[mlcore] Prediction set: 2"}));
}

TEST(MlcoreLogFile, DirectoryPlantedAfterUseFailsToOpen)
{
	DeviceHarness h;
	ASSERT_EQ(h.set_result(1), 0);
	ASSERT_EQ(::unlink(h.log_path().c_str()), 0);
	ASSERT_EQ(::mkdir(h.log_path().c_str(), 0755), 0);
	h.take_klog();
	ASSERT_EQ(h.set_result(2), 0);
	EXPECT_EQ(h.take_klog().at(0), "<3>[mlcore] Failed to open log file.");
}

TEST(MlcoreLogFile, WritePermissionLostAfterUseFailsTheNextOpen)
{
	// Unprivileged, a 0444 file cannot be opened for writing: the next
	// line fails to open, as the driver's filp_open() would.
	auto out = run_unprivileged([] {
		DeviceHarness h;
		std::string r;
		r += std::to_string(h.set_result(1)) + "\n";
		r += std::to_string(::chmod(h.log_path().c_str(), 0444)) + "\n";
		r += std::to_string(h.set_result(2)) + "\n";
		for (const auto &l : h.klog_lines())
			r += l + "\n";
		return r + "--\n" + h.logfile().value_or("(none)");
	});
	ASSERT_TRUE(out) << "could not run unprivileged";
	EXPECT_EQ(*out, "0\n0\n0\n"
			"<6>[mlcore] Prediction set: 1\n"
			"<3>[mlcore] Failed to open log file.\n"
			"<6>[mlcore] Prediction set: 2\n"
			"--\n"
			"2026-03-14 15:09:26 - Prediction: 1\n");
}

}  // namespace
}  // namespace mlc::test

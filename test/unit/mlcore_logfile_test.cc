// SPDX-License-Identifier: GPL-2.0
//
// The device's log file (/var/log/mlcore.log on the real driver): one exact
// line per SET_RESULT, appended, created 0644, never through a symlink.
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <functional>
#include <map>

#include <gtest/gtest.h>

#include "emulator/log_file.hpp"
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


// ---------------------------------------------------------------------------
// The watch (LogFile::watch_paths_in_this_process, what the FUSE door's
// server uses) against the path check: the same scenario run both ways must
// give the same results and leave the same files, and the watch must have
// been what decided the lines it was meant to decide (watched()).

struct LogRun {
	std::vector<int> results;	// append() of lines 1..4
	std::vector<bool> watched;	// whether each line was decided by the watch
	std::map<std::string, std::optional<std::string>> files;

	std::string describe() const
	{
		std::string d;
		for (size_t i = 0; i < results.size(); i++)
			d += "line " + std::to_string(i + 1) + ": " +
			     std::to_string(results[i]) +
			     (watched[i] ? " watched\n" : "\n");
		for (const auto &[name, text] : files)
			d += name + ": " + (text ? "\"" + *text + "\"" : "(none)") + "\n";
		return d;
	}
};

using Change = std::function<void(const std::string &base)>;

// base/logs/mlcore.log: lines 1 and 2, change(base), lines 3 and 4; then the
// files named (relative to base) as they are.
LogRun run_log_scenario(bool watch, const Change &change,
			const std::vector<std::string> &look_at)
{
	TempDir tmp;
	EXPECT_EQ(::mkdir(tmp.file("logs").c_str(), 0755), 0);
	LogFile::watch_paths_in_this_process(watch);
	LogRun r;
	{
		LogFile lf(tmp.file("logs/mlcore.log"));
		auto line = [&](const char *text) {
			r.results.push_back(lf.append(text));
			r.watched.push_back(lf.watched());
		};
		line("1\n");
		line("2\n");
		change(tmp.path());
		line("3\n");
		line("4\n");
	}
	LogFile::watch_paths_in_this_process(false);
	for (const std::string &name : look_at)
		r.files[name] = read_file(tmp.file(name));
	return r;
}

struct Scenario {
	const char *name;
	Change change;
	std::vector<std::string> look_at;
	std::vector<bool> watched;	// expected under the watch
};

const std::vector<bool> kWatchedThrough = {false, true, true, true};
const std::vector<bool> kWatchedAgain = {false, true, false, true};
const std::vector<bool> kWatchedNoMore = {false, true, false, false};

std::string at(const std::string &base, const char *rel)
{
	return base + "/" + rel;
}

std::vector<Scenario> log_scenarios()
{
	const std::vector<std::string> log = {"logs/mlcore.log"};
	return {
		{"nothing happens", [](const std::string &) {}, log, kWatchedThrough},
		{"another writer appends (no event: the undo size still right)",
		 [](const std::string &b) {
			 int fd = ::open(at(b, "logs/mlcore.log").c_str(),
					 O_WRONLY | O_APPEND);
			 ASSERT_GE(fd, 0);
			 ASSERT_EQ(::write(fd, "x\n", 2), 2);
			 ::close(fd);
		 },
		 log, kWatchedThrough},
		{"removed", [](const std::string &b) {
			 ASSERT_EQ(::unlink(at(b, "logs/mlcore.log").c_str()), 0);
		 }, log, kWatchedAgain},
		{"rotated",
		 [](const std::string &b) {
			 ASSERT_EQ(::rename(at(b, "logs/mlcore.log").c_str(),
					    at(b, "logs/mlcore.log.1").c_str()), 0);
		 },
		 {"logs/mlcore.log", "logs/mlcore.log.1"}, kWatchedAgain},
		{"replaced by another file",
		 [](const std::string &b) {
			 write_file(at(b, "logs/other"), "other\n");
			 ASSERT_EQ(::rename(at(b, "logs/other").c_str(),
					    at(b, "logs/mlcore.log").c_str()), 0);
		 },
		 log, kWatchedAgain},
		{"replaced by a symlink",
		 [](const std::string &b) {
			 write_file(at(b, "victim"), "precious\n");
			 ASSERT_EQ(::unlink(at(b, "logs/mlcore.log").c_str()), 0);
			 ASSERT_EQ(::symlink(at(b, "victim").c_str(),
					     at(b, "logs/mlcore.log").c_str()), 0);
		 },
		 {"victim"}, kWatchedNoMore},
		{"replaced by a directory",
		 [](const std::string &b) {
			 ASSERT_EQ(::unlink(at(b, "logs/mlcore.log").c_str()), 0);
			 ASSERT_EQ(::mkdir(at(b, "logs/mlcore.log").c_str(), 0755), 0);
		 },
		 {}, kWatchedNoMore},
		{"chmod 0444 (root writes anyway)",
		 [](const std::string &b) {
			 ASSERT_EQ(::chmod(at(b, "logs/mlcore.log").c_str(), 0444), 0);
		 },
		 log,
		 ::geteuid() == 0 ? kWatchedAgain : kWatchedNoMore},
		{"a hard link made (an event, the same file)",
		 [](const std::string &b) {
			 ASSERT_EQ(::link(at(b, "logs/mlcore.log").c_str(),
					  at(b, "hard").c_str()), 0);
		 },
		 log, kWatchedAgain},
		{"its directory renamed and made anew",
		 [](const std::string &b) {
			 ASSERT_EQ(::rename(at(b, "logs").c_str(), at(b, "old").c_str()), 0);
			 ASSERT_EQ(::mkdir(at(b, "logs").c_str(), 0755), 0);
		 },
		 {"logs/mlcore.log", "old/mlcore.log"}, kWatchedAgain},
		{"its directory renamed, a symlink to it in its place (no watch then)",
		 [](const std::string &b) {
			 ASSERT_EQ(::rename(at(b, "logs").c_str(), at(b, "old").c_str()), 0);
			 ASSERT_EQ(::symlink("old", at(b, "logs").c_str()), 0);
		 },
		 {"old/mlcore.log"}, kWatchedNoMore},
		{"the directory above renamed (the path no longer exists)",
		 [](const std::string &b) {
			 ASSERT_EQ(::rename(at(b, "logs").c_str(), at(b, "old").c_str()), 0);
		 },
		 {"old/mlcore.log"}, std::vector<bool>{false, true, false, false}},
	};
}

// Other processes' mounts (a parallel test serving FUSE) change this
// process's mountinfo, which rightly sends a watched line through the path
// check: in a private mount namespace, where one can be made (root), only
// a scenario's own changes decide which lines the watch answers.
static void keep_out_other_mounts()
{
	if (::unshare(CLONE_NEWNS) == 0)
		::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
}

TEST(MlcoreLogFileWatch, EveryScenarioEndsAsThePathCheckDoes)
{
	keep_out_other_mounts();
	for (const Scenario &sc : log_scenarios()) {
		SCOPED_TRACE(sc.name);
		LogRun checked = run_log_scenario(false, sc.change, sc.look_at);
		LogRun watched = run_log_scenario(true, sc.change, sc.look_at);
		EXPECT_EQ(watched.results, checked.results)
			<< "watch:\n" << watched.describe()
			<< "path check:\n" << checked.describe();
		EXPECT_EQ(watched.files, checked.files)
			<< "watch:\n" << watched.describe()
			<< "path check:\n" << checked.describe();
		EXPECT_EQ(watched.watched, sc.watched) << watched.describe();
		EXPECT_EQ(checked.watched, std::vector<bool>(4, false));
	}
}

TEST(MlcoreLogFileWatch, ScenariosGiveTheDriversFiles)
{
	// Spot checks that the common results are the driver's, not only
	// the same both ways.
	auto rotated = run_log_scenario(true, log_scenarios()[3].change,
					{"logs/mlcore.log", "logs/mlcore.log.1"});
	EXPECT_EQ(rotated.files["logs/mlcore.log.1"], "1\n2\n");
	EXPECT_EQ(rotated.files["logs/mlcore.log"], "3\n4\n");
	auto symlinked = run_log_scenario(true, log_scenarios()[5].change, {"victim"});
	EXPECT_EQ(symlinked.files["victim"], "precious\n");
	EXPECT_EQ(symlinked.results,
		  (std::vector<int>{MLC_LOGFILE_OK, MLC_LOGFILE_OK,
				    MLC_LOGFILE_OPEN_FAILED, MLC_LOGFILE_OPEN_FAILED}));
	auto appended = run_log_scenario(true, log_scenarios()[1].change,
					 {"logs/mlcore.log"});
	EXPECT_EQ(appended.files["logs/mlcore.log"], "1\n2\nx\n3\n4\n");
}

TEST(MlcoreLogFileWatch, WritePermissionLostIsNoticedUnprivileged)
{
	auto out = run_unprivileged([] {
		std::string r;
		for (bool watch : {false, true}) {
			LogRun run = run_log_scenario(watch, log_scenarios()[7].change,
						      {"logs/mlcore.log"});
			r += run.describe() + "--\n";
		}
		return r;
	});
	ASSERT_TRUE(out) << "could not run unprivileged";
	EXPECT_EQ(*out, "line 1: 0\nline 2: 0\nline 3: 1\nline 4: 1\n"
			"logs/mlcore.log: \"1\n2\n\"\n--\n"
			"line 1: 0\nline 2: 0 watched\nline 3: 1\nline 4: 1\n"
			"logs/mlcore.log: \"1\n2\n\"\n--\n");
}

// A path that cannot be watched (a symlink among its directories) is
// checked by path, the watch tried again now and then, not every line.
TEST(MlcoreLogFileWatch, UnwatchablePathIsCheckedAndWatchedAgainLater)
{
	TempDir tmp;
	const std::string logs = tmp.file("logs"), real = tmp.file("real");
	ASSERT_EQ(::mkdir(real.c_str(), 0755), 0);
	ASSERT_EQ(::symlink("real", logs.c_str()), 0);
	LogFile::watch_paths_in_this_process(true);
	LogFile lf(logs + "/mlcore.log");
	std::string want;
	int watched = 0;
	for (int i = 0; i < 300; i++) {
		std::string line = std::to_string(i) + "\n";
		ASSERT_EQ(lf.append(line), MLC_LOGFILE_OK);
		watched += lf.watched();
		want += line;
	}
	EXPECT_EQ(watched, 0);
	// The symlink becomes the directory it named: within kArmRetry lines
	// the watch takes over.
	ASSERT_EQ(::unlink(logs.c_str()), 0);
	ASSERT_EQ(::rename(real.c_str(), logs.c_str()), 0);
	for (int i = 0; i < 300; i++) {
		std::string line = "b" + std::to_string(i) + "\n";
		ASSERT_EQ(lf.append(line), MLC_LOGFILE_OK);
		want += line;
	}
	EXPECT_TRUE(lf.watched());
	LogFile::watch_paths_in_this_process(false);
	EXPECT_EQ(read_file(logs + "/mlcore.log"), want);
}

// What the undo of a line records under the watch (no stat: lseek).
TEST(MlcoreLogFileWatch, UndoRecordsTheSizeBeforeTheLine)
{
	TempDir tmp;
	const std::string path = tmp.file("mlcore.log");
	LogFile::watch_paths_in_this_process(true);
	LogFile lf(path);
	ASSERT_EQ(lf.append("first line\n"), MLC_LOGFILE_OK);
	write_file(tmp.file("unrelated"), "");
	int fd = ::open(path.c_str(), O_WRONLY | O_APPEND);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(::write(fd, "someone else\n", 13), 13);
	::close(fd);
	LogFileUndo undo{};
	lf.set_undo(&undo);
	ASSERT_EQ(lf.append("second\n"), MLC_LOGFILE_OK);
	lf.set_undo(nullptr);
	EXPECT_TRUE(lf.watched());
	LogFile::watch_paths_in_this_process(false);
	auto st = lstat_of(path);
	ASSERT_TRUE(st);
	EXPECT_EQ(undo.saved, 1u);
	EXPECT_EQ(undo.dev, static_cast<uint64_t>(st->st_dev));
	EXPECT_EQ(undo.ino, static_cast<uint64_t>(st->st_ino));
	EXPECT_EQ(undo.size, 24);
	lf.undo(undo);
	EXPECT_EQ(read_file(path), "first line\nsomeone else\n");
}

// Runs fn in a forked child; its exit status (or -1).
int in_child(const std::function<int()> &fn)
{
	pid_t pid = ::fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		::_exit(fn());
	int status;
	if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(MlcoreLogFileWatch, ForkedChildChecksThePathAndLeavesTheParentsWatch)
{
	TempDir tmp;
	const std::string path = tmp.file("mlcore.log");
	LogFile::watch_paths_in_this_process(true);
	LogFile lf(path);
	ASSERT_EQ(lf.append("1\n"), MLC_LOGFILE_OK);
	ASSERT_EQ(lf.append("2\n"), MLC_LOGFILE_OK);
	ASSERT_TRUE(lf.watched());
	// The child shares the inotify queue it inherited: it must not trust
	// it (nor drain it for the parent).
	int child = in_child([&] {
		int r = lf.append("child\n");
		bool first_watched = lf.watched();
		::rename(path.c_str(), (path + ".1").c_str());
		int r2 = lf.append("child again\n");
		return r == MLC_LOGFILE_OK && r2 == MLC_LOGFILE_OK && !first_watched &&
				       !lf.watched()
			       ? 0
			       : 1;
	});
	EXPECT_EQ(child, 0);
	// The rename the child made is seen by the parent's own watch.
	ASSERT_EQ(lf.append("3\n"), MLC_LOGFILE_OK);
	EXPECT_FALSE(lf.watched());
	LogFile::watch_paths_in_this_process(false);
	EXPECT_EQ(read_file(path + ".1"), "1\n2\nchild\n");
	EXPECT_EQ(read_file(path), "child again\n3\n");
}

// A mount over the log file's directory changes what the path names with
// no inotify event: mountinfo's is what tells.
TEST(MlcoreLogFileWatch, MountOverTheDirectoryIsNoticed)
{
	if (::geteuid() != 0)
		GTEST_SKIP() << "mounting needs root";
	TempDir tmp;
	const std::string dir = tmp.file("logs");
	ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
	int rc = in_child([&] {
		if (::unshare(CLONE_NEWNS) != 0 ||
		    ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
			return 77;
		// Each check its own bit, so a failure says which.
		int bad = 0, bit = 1;
		auto check = [&](bool ok) {
			if (!ok)
				bad |= bit;
			bit <<= 1;
		};
		for (bool watch : {false, true}) {
			LogFile::watch_paths_in_this_process(watch);
			LogFile lf(dir + "/mlcore.log");
			check(lf.append("1\n") == MLC_LOGFILE_OK);
			check(lf.append("2\n") == MLC_LOGFILE_OK);
			check(lf.watched() == watch);
			if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "mode=0755") != 0)
				return 77;
			check(lf.append("3\n") == MLC_LOGFILE_OK);
			check(!lf.watched());
			check(read_file(dir + "/mlcore.log") == "3\n");
			check(::umount2(dir.c_str(), MNT_DETACH) == 0);	// lf keeps a file there
			check(read_file(dir + "/mlcore.log") == "1\n2\n");
			check(::unlink((dir + "/mlcore.log").c_str()) == 0);
		}
		return bad ? 100 + __builtin_ctz(bad) : 0;
	});
	if (rc == 77)
		GTEST_SKIP() << "no private mount namespace here";
	EXPECT_EQ(rc, 0) << "100 + the first check that failed";
}

}  // namespace
}  // namespace mlc::test

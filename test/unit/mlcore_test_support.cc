// SPDX-License-Identifier: GPL-2.0
#include "mlcore_test_support.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace mlc::test {

// ---------------------------------------------------------------------------
// Files

TempDir::TempDir()
{
	std::string tmpl =
		(std::filesystem::temp_directory_path() / "mlcore-unit-XXXXXX")
			.string();
	if (!::mkdtemp(tmpl.data()))
		throw std::runtime_error("mkdtemp failed");
	path_ = tmpl;
}

TempDir::~TempDir()
{
	std::error_code ec;
	std::filesystem::remove_all(path_, ec);
}

std::optional<std::string> read_file(const std::string &path)
{
	std::ifstream in(path, std::ios::binary);
	if (!in)
		return std::nullopt;
	std::ostringstream out;
	out << in.rdbuf();
	return out.str();
}

void write_file(const std::string &path, std::string_view text)
{
	std::ofstream out(path, std::ios::binary | std::ios::trunc);
	out.write(text.data(), static_cast<std::streamsize>(text.size()));
	if (!out)
		throw std::runtime_error("cannot write " + path);
}

std::optional<struct stat> lstat_of(const std::string &path)
{
	struct stat st {};
	if (::lstat(path.c_str(), &st) != 0)
		return std::nullopt;
	return st;
}

std::vector<std::string> split_lines(std::string_view text)
{
	std::vector<std::string> lines;
	while (!text.empty()) {
		size_t nl = text.find('\n');
		if (nl == std::string_view::npos) {
			lines.emplace_back(text);
			break;
		}
		lines.emplace_back(text.substr(0, nl));
		text.remove_prefix(nl + 1);
	}
	return lines;
}

std::optional<std::string> run_unprivileged(const std::function<std::string()> &fn)
{
	int fds[2];
	if (::pipe(fds) != 0)
		return std::nullopt;
	const pid_t pid = ::fork();
	if (pid < 0)
		return std::nullopt;
	if (pid == 0) {
		::close(fds[0]);
		if (::geteuid() == 0 &&
		    (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 ||
		     ::setuid(65534) != 0))
			::_exit(2);
		const std::string out = fn();
		size_t done = 0;
		while (done < out.size()) {
			const ssize_t n = ::write(fds[1], out.data() + done,
						  out.size() - done);
			if (n <= 0)
				::_exit(3);
			done += static_cast<size_t>(n);
		}
		::_exit(0);
	}
	::close(fds[1]);
	std::string out;
	char buf[4096];
	ssize_t n;
	while ((n = ::read(fds[0], buf, sizeof(buf))) > 0)
		out.append(buf, static_cast<size_t>(n));
	::close(fds[0]);
	int status = 0;
	::waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return std::nullopt;
	return out;
}

// ---------------------------------------------------------------------------
// Caller memory

::testing::AssertionResult GuardedRegion::guards_intact(size_t offset,
							size_t len) const
{
	for (size_t i = 0; i < bytes_.size(); i++) {
		if (i >= offset && i < offset + len)
			continue;
		if (bytes_[i] != fill_)
			return ::testing::AssertionFailure()
			       << "guard byte " << i << " changed to 0x"
			       << std::hex << std::to_integer<int>(bytes_[i]);
	}
	return ::testing::AssertionSuccess();
}

std::ostream &operator<<(std::ostream &os, const Access &a)
{
	return os << (a.kind == Access::kFrom ? "from(0x" : "to(0x") << std::hex
		  << a.addr << std::dec << ", " << a.len << ")";
}

// ---------------------------------------------------------------------------
// Observations

::testing::AssertionResult Unchanged(const Observation &before,
				     const Observation &after)
{
	std::vector<std::string> diffs;
	if (std::memcmp(&before.state, &after.state, sizeof(mlcore_dev)) != 0)
		diffs.push_back("device state");
	if (before.result != after.result)
		diffs.push_back("/proc/mlcore_result text");
	if (before.train != after.train)
		diffs.push_back("/proc/mlcore_train text");
	if (before.klog_next_seq != after.klog_next_seq)
		diffs.push_back("kernel log (" +
				std::to_string(after.klog_next_seq -
					       before.klog_next_seq) +
				" new lines)");
	if (before.logfile != after.logfile)
		diffs.push_back("log file");
	if (before.clock_reads != after.clock_reads)
		diffs.push_back("clock reads");
	if (diffs.empty())
		return ::testing::AssertionSuccess();
	auto failure = ::testing::AssertionFailure() << "changed:";
	for (const auto &d : diffs)
		failure << " [" << d << "]";
	return failure;
}

// ---------------------------------------------------------------------------
// Device harness

DeviceHarness::DeviceHarness(std::optional<std::string> log_path,
			     int64_t start_sec, int64_t step)
	: log_path_(log_path ? *log_path : dir_.file("mlcore.log"))
{
	DeviceServices services;
	auto clock = std::make_unique<TestClock>(start_sec, step);
	clock_ = clock.get();
	services.clock = std::move(clock);
	services.logfile = std::make_unique<LogFile>(log_path_);
	services.random = std::make_unique<SeededRandom>(1);
	device_ = std::make_unique<LocalDevice>(std::move(services));
	load_lines_ = take_klog();
	load_end_seq_ = taken_seq_;
}

long DeviceHarness::send_ints(int32_t a, int32_t b, int32_t c)
{
	int32_t features[3] = {a, b, c};
	return ioctl(IOCTL_SEND_INTS, features);
}

long DeviceHarness::set_result(int32_t value)
{
	return ioctl(IOCTL_SET_RESULT, &value);
}

long DeviceHarness::add_training(const train_entry &e)
{
	train_entry copy = e;
	return ioctl(IOCTL_ADD_TRAINING, &copy);
}

long DeviceHarness::clear_training()
{
	return ioctl(IOCTL_CLEAR_TRAINING, nullptr);
}

int32_t DeviceHarness::get_result()
{
	int32_t value = 0x5a5a5a5a;
	EXPECT_EQ(ioctl(IOCTL_GET_RESULT, &value), 0);
	return value;
}

std::vector<std::string> DeviceHarness::klog_lines()
{
	std::vector<std::string> lines;
	for (const auto &rec : dev().kernel_log(load_end_seq_))
		lines.push_back(format_raw(rec));
	return lines;
}

std::vector<std::string> DeviceHarness::take_klog()
{
	std::vector<std::string> lines;
	for (const auto &rec : dev().kernel_log(taken_seq_)) {
		lines.push_back(format_raw(rec));
		taken_seq_ = rec.seq + 1;
	}
	return lines;
}

uint64_t DeviceHarness::klog_next_seq()
{
	auto recs = dev().kernel_log(taken_seq_);
	return recs.empty() ? taken_seq_ : recs.back().seq + 1;
}

Observation DeviceHarness::observe()
{
	return Observation{dev().mlcore_snapshot(),
			   dev().render_mlcore_result(),
			   dev().render_mlcore_train(),
			   klog_next_seq(),
			   logfile(),
			   clock().reads()};
}

// ---------------------------------------------------------------------------
// Core harness

void CoreHarness::Klog::printk(int level, std::string_view text)
{
	events_.push_back("<" + std::to_string(level) + ">" + std::string(text));
}

int CoreHarness::File::append(std::string_view text)
{
	events_.push_back("file:" + std::string(text));
	return result_;
}

CoreHarness::CoreHarness() : klog_(events), file_(events, logfile_result)
{
	std::memset(&dev, 0x5c, sizeof(dev));	// load must reset everything
	mlc_host h = host();
	mlcore_dev_load(&dev, &h);
}

mlc_host CoreHarness::host(UserMemory *mem)
{
	mlc_host h;
	h.clock = &clock;
	h.klog = &klog_;
	h.logfile = &file_;
	h.user = mem;
	return h;
}

// ---------------------------------------------------------------------------
// seq_file readers

size_t show_mlcore_result(void *device, char *buf, size_t size)
{
	return static_cast<Device *>(device)->render_mlcore_result(buf, size);
}

size_t show_mlcore_train(void *device, char *buf, size_t size)
{
	return static_cast<Device *>(device)->render_mlcore_train(buf, size);
}

SeqReader::SeqReader(mlc_seq_show_fn show, void *priv)
	: m_(std::make_unique<mlc_seq_file>())
{
	mlc_seq_open(m_.get(), show, priv);
}

long SeqReader::read(size_t n, std::string *out)
{
	return read_at(n, &m_->f_pos, out);
}

long SeqReader::pread(size_t n, int64_t *pos, std::string *out)
{
	return read_at(n, pos, out);
}

long SeqReader::read_at(size_t n, int64_t *pos, std::string *out)
{
	GuardedRegion region(n);
	mlc_host host;
	host.user = &region.mem();
	const long r = mlc_seq_read(m_.get(), &host, region.at(0), n, pos);
	const size_t got = r > 0 ? static_cast<size_t>(r) : 0;
	EXPECT_LE(got, n);
	EXPECT_EQ(region.written_end(), got) << "wrote past the count read";
	if (out && got)
		out->append(reinterpret_cast<const char *>(region.bytes().data()),
			    got);
	return r;
}

std::string SeqReader::read_to_end(size_t n)
{
	std::string text;
	for (int guard = 0; guard < 100000; guard++) {
		if (read(n, &text) <= 0)
			break;
	}
	return text;
}

}  // namespace mlc::test

// SPDX-License-Identifier: GPL-2.0
//
// mlc-conformance: the conformance scenario runner.  A static binary that
// runs scripted and seeded-random operation sequences over the device
// profiles (mlcore, ml_lib, mlloop) against any root (the real "/" in a VM with
// the kernel modules loaded, or a FUSE root served by the emulator) and prints a normalized trace: per
// operation its return value and errno, the bytes it wrote into the
// caller's memory (checked against guard bytes around the buffer), the
// file text it read (timestamps masked), the lines it added to the log
// file, and the kernel-log lines it produced as "<level>text".
//
// Two runs are conformant when their traces are byte-identical.  Only
// operations that every door can answer as the kernel does are used (see
// docs/door-differences.md): no 0-byte read/write on a device, no buffers
// at a page edge, no lseek on a device (CUSE's VFS answers it, /dev/mlloop
// included: the probe shows it), no stat of a device node, no mmap of a
// proc file.
//
//   mlc-conformance run [--root R] [--dev-root R] [--proc-root R]
//                       [--sys-root R] [--log PATH] [--kmsg PATH]
//                       [--loop-dev-root R] [--profile mlcore,ml_lib,mlloop]
//                       [--seeds A-B] [--ops N]
//                       [--no-scripted] [--no-random]
//   mlc-conformance bench --dev PATH [--iters N] [--label L]
//
// Paths: DEVROOT/dev/{mlcore,mllibdev}, PROCROOT/proc/{mlcore_result,
// mlcore_train,mllibdev}, SYSROOT/sys/class/ml_lib_test/mllibdev/...,
// ROOT/var/log/mlcore.log and ROOT/dev/kmsg (the kernel's record format,
// one record per read; the emulator serves the same at ROOT/dev/kmsg).
// The value of ml_lib's random dataset byte is not compared (the kernel's
// get_random_bytes cannot be seeded), only that a read sees one value.
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "../../include/uapi/ml_lib.h"
#include "../../include/uapi/ml_loop.h"
#include "../../include/uapi/mlcore.h"

namespace {

// ---------------------------------------------------------------------------
// Output

std::string g_out;

void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void out(const char *fmt, ...)
{
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(nullptr, 0, fmt, ap);
	va_end(ap);
	if (n > 0) {
		size_t at = g_out.size();
		g_out.resize(at + static_cast<size_t>(n) + 1);
		vsnprintf(&g_out[at], static_cast<size_t>(n) + 1, fmt, ap2);
		g_out.resize(at + static_cast<size_t>(n));
	}
	va_end(ap2);
	if (g_out.size() > (1u << 16)) {
		fwrite(g_out.data(), 1, g_out.size(), stdout);
		g_out.clear();
	}
}

void flush_out()
{
	fwrite(g_out.data(), 1, g_out.size(), stdout);
	g_out.clear();
	fflush(stdout);
}

[[noreturn]] void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
[[noreturn]] void die(const char *fmt, ...)
{
	flush_out();
	va_list ap;
	va_start(ap, fmt);
	fputs("mlc-conformance: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(2);
}

const char *errno_name(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case ESPIPE: return "ESPIPE";
	case EPIPE: return "EPIPE";
	case ENOSYS: return "ENOSYS";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	default: {
		static char buf[32];
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
	}
}

// "= 0" or "= -1 EINVAL"
std::string result(long r, int err)
{
	char buf[64];
	if (r < 0)
		snprintf(buf, sizeof(buf), "= %ld %s", r, errno_name(err));
	else
		snprintf(buf, sizeof(buf), "= %ld", r);
	return buf;
}

std::string hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	std::string s;
	s.reserve(2 * n);
	for (size_t i = 0; i < n; i++) {
		s += digits[p[i] >> 4];
		s += digits[p[i] & 15];
	}
	return s;
}

// Printable text: \n, \\ and non-printable bytes escaped.
std::string escape(const std::string &t)
{
	std::string s;
	for (unsigned char c : t) {
		if (c == '\n')
			s += "\\n";
		else if (c == '\\')
			s += "\\\\";
		else if (c < 0x20 || c >= 0x7f) {
			char b[8];
			snprintf(b, sizeof(b), "\\x%02x", c);
			s += b;
		} else
			s += static_cast<char>(c);
	}
	return s;
}

// ---------------------------------------------------------------------------
// Deterministic randomness (the same on every libc and compiler)

struct Rng {
	uint64_t s;
	// splitmix64, started from a mix of the seed (not the seed times the
	// increment, which would make seed N+1 seed N's stream shifted by one).
	explicit Rng(uint64_t seed) : s(mix(seed ^ 0x6d6c636f7265ULL)) {}
	static uint64_t mix(uint64_t z)
	{
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
		return z ^ (z >> 31);
	}
	uint64_t next() { return mix(s += 0x9E3779B97F4A7C15ULL); }
	// [0, n)
	uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }
	int32_t range(int32_t lo, int32_t hi)	// [lo, hi]
	{
		return static_cast<int32_t>(lo + static_cast<int64_t>(next() %
			static_cast<uint64_t>(static_cast<int64_t>(hi) - lo + 1)));
	}
	// A value for the driver: small, sign-loss range, edges or anything.
	int32_t value()
	{
		static const int32_t edges[] = {INT_MIN, INT_MAX, 0, -1, 1, 100, -100,
						99, -99, 101, -101, INT_MIN + 1, 12345};
		switch (below(10)) {
		case 0: case 1: case 2: case 3:
			return range(-300, 300);
		case 4:
			return range(-99, -1);
		case 5:
			return edges[below(sizeof(edges) / sizeof(edges[0]))];
		default:
			return static_cast<int32_t>(next());
		}
	}
};

// ---------------------------------------------------------------------------
// The caller's memory: a payload with guard bytes on both sides, well inside
// a mapped page range (never at a page edge).

constexpr size_t kGuard = 16;
constexpr unsigned char kGuardByte = 0xa5;
constexpr unsigned char kFillByte = 0xcc;
constexpr size_t kArena = 5 * 4096;

alignas(4096) unsigned char g_arena[kArena];
alignas(4096) unsigned char g_before[kArena];

// A guarded buffer of `size` payload bytes, starting at g_arena + 64.
struct Guarded {
	size_t size;
	unsigned char *payload() { return g_arena + 64 + kGuard; }
	unsigned char *region() { return g_arena + 64; }
	size_t region_size() const { return size + 2 * kGuard; }

	explicit Guarded(size_t n, unsigned char fill = kFillByte) : size(n)
	{
		if (64 + n + 2 * kGuard > kArena)
			die("buffer too large");
		memset(region(), kGuardByte, region_size());
		memset(payload(), fill, n);
	}
	void snapshot() { memcpy(g_before, region(), region_size()); }
	// Runs of bytes that differ from the snapshot, as "+off:hex", offsets
	// relative to the payload (guards are negative or >= size).
	// Bytes in [skip_from, skip_to) of the payload are not reported.
	std::string changes(size_t skip_from = 0, size_t skip_to = 0)
	{
		std::string s;
		const unsigned char *now = region();
		size_t n = region_size();
		for (size_t i = 0; i < n;) {
			long off = static_cast<long>(i) - static_cast<long>(kGuard);
			bool skip = off >= static_cast<long>(skip_from) &&
				    off < static_cast<long>(skip_to);
			if (now[i] == g_before[i] || skip) {
				i++;
				continue;
			}
			size_t j = i;
			while (j < n && now[j] != g_before[j])
				j++;
			char b[32];
			snprintf(b, sizeof(b), "%s%+ld:", s.empty() ? "" : " ", off);
			s += b;
			s += hex(now + i, j - i);
			i = j;
		}
		return s.empty() ? "none" : s;
	}
};

// ---------------------------------------------------------------------------
// The kernel log: records of /dev/kmsg ("P,SEQ,TS,FLAGS;text\n" and
// continuation lines), or the emulator's ROOT/dev/kmsg in the same format.

struct Kmsg {
	int fd = -1;
	std::vector<std::string> prefixes;

	void open_at(const std::string &path)
	{
		fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			die("cannot open %s: %s", path.c_str(), strerror(errno));
	}

	// Every new record of the profile as "<level>text".
	std::vector<std::string> drain()
	{
		std::vector<std::string> lines;
		char buf[8192];
		for (;;) {
			ssize_t n = ::read(fd, buf, sizeof(buf));
			if (n < 0 && errno == EPIPE)
				continue;	// records were overwritten: go on
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			std::string rec(buf, static_cast<size_t>(n));
			size_t semi = rec.find(';');
			if (semi == std::string::npos)
				continue;
			int prio = atoi(rec.c_str());
			size_t nl = rec.find('\n', semi);
			std::string text = rec.substr(semi + 1, nl == std::string::npos
						      ? std::string::npos : nl - semi - 1);
			bool ours = false;
			for (const auto &p : prefixes)
				ours |= text.compare(0, p.size(), p) == 0;
			if (!ours)
				continue;
			char lv[16];
			snprintf(lv, sizeof(lv), "<%d>", prio & 7);
			lines.push_back(lv + text);
		}
		return lines;
	}
};

// ---------------------------------------------------------------------------
// Timestamp masking.  Text read in pieces is masked with the context of
// the line it belongs to; a piece whose line start is unknown (after an
// lseek) has all its digits masked until the next newline.

enum class Mask { None, History, LogLine };

struct MaskCtx {
	bool line_known = true;
	std::string line;

	std::string apply(Mask kind, const std::string &text)
	{
		if (kind == Mask::None)
			return text;
		std::string s;
		for (char c : text) {
			if (c == '\n') {
				line.clear();
				line_known = true;
				s += c;
				continue;
			}
			bool digit = c >= '0' && c <= '9';
			bool mask = false;
			if (digit) {
				if (!line_known)
					mask = true;
				else if (kind == Mask::LogLine)
					mask = line.size() < 19;	// "YYYY-MM-DD HH:MM:SS"
				else	// " [i]: V at YYYY-MM-DD HH:MM:SS"
					mask = line.compare(0, 2, " [") == 0 &&
					       line.find(" at ") != std::string::npos;
			}
			line += c;
			s += mask ? '#' : c;
		}
		return s;
	}
};

// ---------------------------------------------------------------------------
// The files of both profiles.

enum class Root { Dev, Proc, Sys, LoopDev };

struct FileSpec {
	const char *name;	// in traces
	const char *rel;	// below its root
	Root root;
	Mask mask;
	bool dataset;		// mllibdev: bytes of one random value
};

const FileSpec kMlcoreDev = {"mlcore", "dev/mlcore", Root::Dev, Mask::None, false};
const FileSpec kMlcoreResult = {"result", "proc/mlcore_result", Root::Proc, Mask::History, false};
const FileSpec kMlcoreTrain = {"train", "proc/mlcore_train", Root::Proc, Mask::None, false};
const FileSpec kMllibDev = {"mllibdev", "dev/mllibdev", Root::Dev, Mask::None, true};
const FileSpec kMllibProc = {"proc_mllibdev", "proc/mllibdev", Root::Proc, Mask::None, false};
#define MLLIB_SYS "sys/class/ml_lib_test/mllibdev/"
const FileSpec kMllibBufferSize = {"buffer_size", MLLIB_SYS "buffer_size", Root::Sys, Mask::None, false};
const FileSpec kMllibDataSize = {"data_size", MLLIB_SYS "data_size", Root::Sys, Mask::None, false};
const FileSpec kMllibAccessCount = {"access_count", MLLIB_SYS "access_count", Root::Sys, Mask::None, false};
const FileSpec kMllibStats = {"stats", MLLIB_SYS "stats", Root::Sys, Mask::None, false};
const FileSpec kMllibControl = {"control", MLLIB_SYS "ml_model1/control", Root::Sys, Mask::None, false};

// The closed loop (docs/closed-loop.md): /dev/mlloop (records, shown in
// hex) and its model's attributes.  Its `dev` is not read (dynamic major).
const FileSpec kLoopDev = {"mlloop", "dev/mlloop", Root::LoopDev, Mask::None, false};
#define LOOP_SYS "sys/class/ml_lib_loop/mlloop/ml_readahead/"
const FileSpec kLoopControl = {"loop_control", LOOP_SYS "control", Root::Sys, Mask::None, false};
const FileSpec kLoopMode = {"loop_mode", LOOP_SYS "mode", Root::Sys, Mask::None, false};
const FileSpec kLoopState = {"loop_state", LOOP_SYS "state", Root::Sys, Mask::None, false};
const FileSpec kLoopEfficiency = {"loop_efficiency", LOOP_SYS "efficiency", Root::Sys, Mask::None, false};
const FileSpec kLoopStats = {"loop_stats", LOOP_SYS "stats", Root::Sys, Mask::None, false};
// Write-only binary attribute: a workload trace (docs/closed-loop.md).
const FileSpec kLoopWorkload = {"loop_workload", LOOP_SYS "workload", Root::Sys, Mask::None, false};

// Files read whole by a snapshot, per profile.
const FileSpec *const kMlcoreSnapshot[] = {&kMlcoreResult, &kMlcoreTrain};
const FileSpec *const kMllibSnapshot[] = {&kMllibProc, &kMllibBufferSize, &kMllibDataSize,
					  &kMllibAccessCount, &kMllibStats};
const FileSpec *const kLoopSnapshot[] = {&kLoopMode, &kLoopState, &kLoopEfficiency,
					 &kLoopStats};

// ---------------------------------------------------------------------------
// Open files of the scenario, by slot (fd numbers differ between systems).

struct Slot {
	int fd = -1;
	const FileSpec *spec = nullptr;
	int flags = 0;
	int64_t pos = 0;	// the file position as we know it
	int64_t last_end = -1;	// where the last read stopped
	MaskCtx mask;
};

const char *acc_name(int flags)
{
	switch (flags & O_ACCMODE) {
	case O_RDONLY: return "O_RDONLY";
	case O_WRONLY: return "O_WRONLY";
	default: return "O_RDWR";
	}
}

struct Options {
	std::string dev_root = "/";
	std::string loop_dev_root;	// where dev/mlloop is (default dev_root)
	std::string proc_root;
	std::string sys_root;
	std::string log_path;
	std::string kmsg_path;
	std::vector<std::string> profiles = {"mlcore"};
	uint32_t seed_first = 1, seed_last = 10;
	uint32_t ops = 300;
	bool scripted = true;
	bool random = true;
};

constexpr int kDevSlots = 6;
constexpr int kFileSlots = 4;

std::string join(const std::string &root, const char *rel)
{
	std::string r = root;
	while (!r.empty() && r.back() == '/')
		r.pop_back();
	return r + "/" + rel;
}

class Runner {
public:
	explicit Runner(const Options &o) : opt_(o)
	{
		log_path_ = o.log_path;
		// The lines of every profile run, all the time: a line that comes
		// late or from the other device shows up where it lands.
		for (const auto &p : o.profiles) {
			if (p == "mlcore")
				kmsg_.prefixes.push_back("[mlcore]");
			else if (p == "mlloop")
				kmsg_.prefixes.push_back("ml_loop:");
			else
				kmsg_.prefixes.insert(kmsg_.prefixes.end(),
						      {"ml_lib: TODO", "ml_lib_test_dev: "});
		}
		kmsg_.open_at(o.kmsg_path);
	}

	// Device edges where a door may differ from the kernel, for the
	// record: not part of the conformance traces.
	void probe_all()
	{
		out("# mlc-conformance probe, profiles");
		for (const auto &p : opt_.profiles)
			out(" %s", p.c_str());
		out("\n");
		kmsg_.drain();
		// Only what the probe adds to the log file (a FUSE-served file
		// reports size 0: read to its end instead of stat'ing it).
		int lfd = log_path_.empty() ? -1 : ::open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
		if (lfd >= 0) {
			char buf[4096];
			ssize_t n;
			while ((n = ::read(lfd, buf, sizeof(buf))) > 0)
				log_off_ += static_cast<uint64_t>(n);
			::close(lfd);
		}
		for (const auto &p : opt_.profiles) {
			mllib_ = p == "ml_lib";
			loop_ = p == "mlloop";
			scenario_begin((p + " probe").c_str());
			if (loop_)
				probe_mlloop();
			else if (mllib_)
				probe_mllib();
			else
				probe_mlcore();
		}
		out("# end: %u operations\n", total_ops_);
		flush_out();
	}

	void run_all()
	{
		out("# mlc-conformance trace, profiles");
		for (const auto &p : opt_.profiles)
			out(" %s", p.c_str());
		out("\n");
		// The lines logged before the first operation (the module loads).
		begin_op("(kernel log before the first operation)");
		end_op();
		for (const auto &p : opt_.profiles) {
			mllib_ = p == "ml_lib";
			loop_ = p == "mlloop";
			if (opt_.scripted) {
				scenario_begin((p + " scripted").c_str());
				if (loop_)
					loop_scripted();
				else if (mllib_)
					mllib_scripted();
				else
					mlcore_scripted();
				scenario_end();
			}
			if (opt_.random) {
				for (uint32_t seed = opt_.seed_first; seed <= opt_.seed_last;
				     seed++) {
					char name[96];
					snprintf(name, sizeof(name), "%s random seed=%u ops=%u",
						 p.c_str(), seed, opt_.ops);
					scenario_begin(name);
					if (loop_)
						loop_random(seed);
					else if (mllib_)
						mllib_random(seed);
					else
						mlcore_random(seed);
					scenario_end();
				}
			}
		}
		out("# end: %u operations\n", total_ops_);
		flush_out();
	}

private:
	// --- bookkeeping around each operation ---------------------------------

	void scenario_begin(const char *name)
	{
		out("== scenario %s\n", name);
		op_no_ = 0;
	}

	void scenario_end()
	{
		for (int i = 0; i < kDevSlots; i++)
			if (dev_[i].fd >= 0)
				op_close(dev_, i);
		for (int i = 0; i < kFileSlots; i++)
			if (file_[i].fd >= 0)
				op_close(file_, i);
		op_snapshot();
	}

	void begin_op(const std::string &desc)
	{
		op_no_++;
		total_ops_++;
		line_ = desc;
		extra_.clear();
	}

	void note(const std::string &s) { extra_.push_back(s); }

	// wait_for: a kernel-log text this operation must produce that a door
	// may deliver a little later (FUSE sends RELEASE after close returns).
	void end_op(const char *wait_for = nullptr)
	{
		out("#%04u %s\n", op_no_, line_.c_str());
		for (const auto &e : extra_)
			out("  %s\n", e.c_str());
		std::vector<std::string> lines = kmsg_.drain();
		if (wait_for) {
			auto seen = [&] {
				for (const auto &l : lines)
					if (l.find(wait_for) != std::string::npos)
						return true;
				return false;
			};
			for (int k = 0; k < 1000 && !seen(); k++) {
				usleep(1000);
				for (auto &l : kmsg_.drain())
					lines.push_back(std::move(l));
			}
		}
		for (const auto &k : lines)
			out("  klog %s\n", escape(k).c_str());
		log_file_news();
	}

	// New bytes of the log file since the last operation, masked.
	void log_file_news()
	{
		if (log_path_.empty())
			return;
		int fd = ::open(log_path_.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		std::string text;
		char buf[4096];
		for (;;) {
			ssize_t n = pread(fd, buf, sizeof(buf),
					  static_cast<off_t>(log_off_ + text.size()));
			if (n <= 0)
				break;
			text.append(buf, static_cast<size_t>(n));
		}
		::close(fd);
		if (text.empty())
			return;
		log_off_ += text.size();
		std::string masked = log_mask_.apply(Mask::LogLine, text);
		out("  logfile +%s\n", escape(masked).c_str());
	}

	std::string path_of(const FileSpec &f) const
	{
		switch (f.root) {
		case Root::Dev: return join(opt_.dev_root, f.rel);
		case Root::Proc: return join(opt_.proc_root, f.rel);
		case Root::LoopDev: return join(opt_.loop_dev_root, f.rel);
		default: return join(opt_.sys_root, f.rel);
		}
	}

	static int free_slot(Slot *slots, int n)
	{
		for (int i = 0; i < n; i++)
			if (slots[i].fd < 0)
				return i;
		return -1;
	}

	std::string slot_name(const Slot *slots, int i) const
	{
		char b[32];
		snprintf(b, sizeof(b), "%s%d", slots == dev_ ? "d" : "f", i);
		return b;
	}

	// --- operations -----------------------------------------------------------

	int op_open(Slot *slots, int n, const FileSpec &f, int flags)
	{
		int i = free_slot(slots, n);
		if (i < 0)
			die("no free slot");
		char desc[160];
		snprintf(desc, sizeof(desc), "open %s %s -> %s", f.name, acc_name(flags),
			 slot_name(slots, i).c_str());
		begin_op(desc);
		int fd = ::open(path_of(f).c_str(), flags | O_CLOEXEC);
		int err = errno;
		line_ += " " + result(fd < 0 ? -1 : 0, err);
		if (fd >= 0) {
			Slot &s = slots[i];
			s = Slot{};
			s.fd = fd;
			s.spec = &f;
			s.flags = flags;
		}
		end_op();
		return fd >= 0 ? i : -1;
	}

	void op_close(Slot *slots, int i)
	{
		begin_op("close " + slot_name(slots, i));
		bool mllib_dev = slots[i].spec == &kMllibDev;
		int r = ::close(slots[i].fd);
		line_ += " " + result(r, errno);
		slots[i].fd = -1;
		end_op(mllib_dev ? "Device closed" : nullptr);
	}

	// An ioctl with a guarded buffer of `size` bytes holding `in`.
	void op_ioctl(Slot *slots, int i, unsigned int cmd, const char *name,
		      const void *in, size_t in_len, size_t size)
	{
		Guarded g(size);
		if (in_len)
			memcpy(g.payload(), in, in_len);
		char desc[256];
		snprintf(desc, sizeof(desc), "ioctl %s %s(0x%08x) in=%s",
			 slot_name(slots, i).c_str(), name, cmd,
			 in_len ? hex(static_cast<const unsigned char *>(in), in_len).c_str()
				: "-");
		begin_op(desc);
		g.snapshot();
		errno = 0;
		int r = ::ioctl(slots[i].fd, cmd, g.payload());
		int err = errno;
		line_ += " " + result(r, err);
		note("mem " + g.changes());
		end_op();
	}

	// An ioctl whose argument is a bad address (NULL or 16): no memory.
	void op_ioctl_addr(int i, unsigned int cmd, const char *name, unsigned long addr)
	{
		char desc[256];
		snprintf(desc, sizeof(desc), "ioctl %s %s(0x%08x) arg=0x%lx",
			 slot_name(dev_, i).c_str(), name, cmd, addr);
		begin_op(desc);
		errno = 0;
		int r = ::ioctl(dev_[i].fd, cmd, addr);
		line_ += " " + result(r, errno);
		end_op();
	}

	// FIONBIO, FIOCLEX, FIONCLEX, FIOASYNC: what the VFS answers, and the
	// flags they leave.
	void op_vfs_ioctl(Slot *slots, int i, int which, int value)
	{
		static const struct {
			unsigned long cmd;
			const char *name;
			bool takes_int;
		} cmds[] = {{FIONBIO, "FIONBIO", true}, {FIOCLEX, "FIOCLEX", false},
			    {FIONCLEX, "FIONCLEX", false}, {FIOASYNC, "FIOASYNC", true}};
		const auto &c = cmds[which];
		char desc[128];
		if (c.takes_int)
			snprintf(desc, sizeof(desc), "ioctl %s %s(%d)",
				 slot_name(slots, i).c_str(), c.name, value);
		else
			snprintf(desc, sizeof(desc), "ioctl %s %s",
				 slot_name(slots, i).c_str(), c.name);
		begin_op(desc);
		int v = value;
		errno = 0;
		int r = c.takes_int ? ::ioctl(slots[i].fd, c.cmd, &v)
				    : ::ioctl(slots[i].fd, c.cmd);
		line_ += " " + result(r, errno);
		int fl = fcntl(slots[i].fd, F_GETFL);
		int fd_fl = fcntl(slots[i].fd, F_GETFD);
		char b[128];
		snprintf(b, sizeof(b), "flags nonblock=%d async=%d cloexec=%d",
			 !!(fl & O_NONBLOCK), !!(fl & O_ASYNC), !!(fd_fl & FD_CLOEXEC));
		note(b);
		end_op();
	}

	// read(2) of size bytes (never 0) into a guarded buffer.
	void op_read(Slot *slots, int i, size_t size)
	{
		Slot &s = slots[i];
		Guarded g(size);
		char desc[128];
		snprintf(desc, sizeof(desc), "read %s %zu", slot_name(slots, i).c_str(), size);
		begin_op(desc);
		g.snapshot();
		int64_t at = s.pos;
		errno = 0;
		ssize_t r = ::read(s.fd, g.payload(), size);
		int err = errno;
		line_ += " " + result(r, err);
		if (r > 0) {
			if (at == 0) {
				s.mask.line_known = true;
				s.mask.line.clear();
			} else if (at != s.last_end) {
				s.mask.line_known = false;
				s.mask.line.clear();
			}
			const unsigned char *p = g.payload();
			if (s.spec == &kLoopDev) {
				note("data " + hex(p, static_cast<size_t>(r)));
			} else if (s.spec->dataset) {
				// One random byte value fills the dataset: its value
				// differs between systems, its uniformity must not.
				bool uniform = std::all_of(p, p + r, [&](unsigned char c) {
					return c == p[0];
				});
				note(uniform ? "data uniform"
					     : "data NOT uniform " + hex(p, static_cast<size_t>(r)));
			} else {
				std::string text(reinterpret_cast<const char *>(p),
						 static_cast<size_t>(r));
				note("data \"" + escape(s.mask.apply(s.spec->mask, text)) + "\"");
			}
			s.pos += r;
			s.last_end = s.pos;
		}
		std::string stray = g.changes(0, r > 0 ? static_cast<size_t>(r) : 0);
		if (stray != "none")
			note("stray " + stray);
		end_op();
	}

	// write(2) of bytes (never 0 bytes to a device).
	void op_write(Slot *slots, int i, const std::string &bytes)
	{
		Guarded g(std::max<size_t>(bytes.size(), 1));
		memcpy(g.payload(), bytes.data(), bytes.size());
		std::string shown = bytes.size() <= 40
					    ? "\"" + escape(bytes) + "\""
					    : "\"" + escape(bytes.substr(0, 24)) + "\"...";
		char desc[192];
		snprintf(desc, sizeof(desc), "write %s %zu %s", slot_name(slots, i).c_str(),
			 bytes.size(), shown.c_str());
		begin_op(desc);
		g.snapshot();
		errno = 0;
		ssize_t r = ::write(slots[i].fd, g.payload(), bytes.size());
		line_ += " " + result(r, errno);
		if (r > 0)
			slots[i].pos += r;
		std::string stray = g.changes();
		if (stray != "none")
			note("stray " + stray);
		end_op();
	}

	void op_lseek(Slot *slots, int i, int64_t off, int whence)
	{
		Slot &s = slots[i];
		static const char *names[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END",
					      "SEEK_DATA", "SEEK_HOLE"};
		char desc[128];
		snprintf(desc, sizeof(desc), "lseek %s %lld %s",
			 slot_name(slots, i).c_str(), static_cast<long long>(off),
			 names[whence]);
		begin_op(desc);
		errno = 0;
		off_t r = ::lseek(s.fd, off, whence);
		line_ += " " + result(r, errno);
		if (r >= 0)
			s.pos = r;
		end_op();
	}

	void op_mmap(int i, bool shared, int prot)
	{
		char desc[128];
		snprintf(desc, sizeof(desc), "mmap %s %s %s", slot_name(dev_, i).c_str(),
			 shared ? "MAP_SHARED" : "MAP_PRIVATE",
			 prot == PROT_READ ? "PROT_READ" : "PROT_READ|PROT_WRITE");
		begin_op(desc);
		errno = 0;
		void *p = ::mmap(nullptr, 4096, prot, shared ? MAP_SHARED : MAP_PRIVATE,
				 dev_[i].fd, 0);
		int err = errno;
		line_ += " " + result(p == MAP_FAILED ? -1 : 0, err);
		if (p != MAP_FAILED)
			munmap(p, 4096);
		end_op();
	}

	void op_poll(Slot *slots, int i)
	{
		begin_op("poll " + slot_name(slots, i));
		struct pollfd pfd = {slots[i].fd, POLLIN | POLLOUT | POLLPRI | POLLRDNORM |
						      POLLWRNORM, 0};
		int r = ::poll(&pfd, 1, 0);
		line_ += " " + result(r, errno);
		char b[64];
		snprintf(b, sizeof(b), "revents 0x%x", pfd.revents);
		note(b);
		end_op();
	}

	void op_fstat(int i)
	{
		begin_op("fstat " + slot_name(file_, i));
		struct stat st;
		int r = ::fstat(file_[i].fd, &st);
		line_ += " " + result(r, errno);
		char b[96];
		snprintf(b, sizeof(b), "mode 0%o size %lld", st.st_mode,
			 static_cast<long long>(st.st_size));
		if (r == 0)
			note(b);
		end_op();
	}

	// --- probe: device edges where a door may differ (informational) --------

	void op_fstat_dev(int i)
	{
		begin_op("fstat " + slot_name(dev_, i));
		struct stat st;
		int r = ::fstat(dev_[i].fd, &st);
		line_ += " " + result(r, errno);
		char b[96];
		snprintf(b, sizeof(b), "mode 0%o rdev %u:%u", st.st_mode,
			 major(st.st_rdev), minor(st.st_rdev));
		if (r == 0)
			note(b);
		end_op();
	}

	void op_pread(int i, size_t size, int64_t off, bool write)
	{
		Guarded g(std::max<size_t>(size, 1), write ? 'w' : kFillByte);
		char desc[128];
		snprintf(desc, sizeof(desc), "%s %s %zu @%lld", write ? "pwrite" : "pread",
			 slot_name(dev_, i).c_str(), size, static_cast<long long>(off));
		begin_op(desc);
		g.snapshot();
		errno = 0;
		ssize_t r = write ? ::pwrite(dev_[i].fd, g.payload(), size, off)
				  : ::pread(dev_[i].fd, g.payload(), size, off);
		line_ += " " + result(r, errno);
		std::string ch = g.changes();
		if (ch != "none")
			note("mem " + (dev_[i].spec->dataset ? std::string("(dataset bytes)") : ch));
		end_op();
	}

	// An ioctl whose buffer ends `avail` bytes before an unmapped page.
	void op_ioctl_edge(int i, unsigned int cmd, const char *name, const void *in,
			   size_t in_len, size_t avail)
	{
		static unsigned char *pages;
		if (!pages) {
			void *p = ::mmap(nullptr, 8192, PROT_READ | PROT_WRITE,
					 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				die("mmap: %s", strerror(errno));
			pages = static_cast<unsigned char *>(p);
			mprotect(pages + 4096, 4096, PROT_NONE);
		}
		unsigned char *buf = pages + 4096 - avail;
		memset(pages + 4096 - 64, kFillByte, 64);
		memcpy(buf, in, std::min(in_len, avail));
		char desc[256];
		snprintf(desc, sizeof(desc), "ioctl %s %s(0x%08x) at page edge, %zu bytes "
			 "mapped, in=%s", slot_name(dev_, i).c_str(), name, cmd, avail,
			 in_len ? hex(static_cast<const unsigned char *>(in), in_len).c_str()
				: "-");
		begin_op(desc);
		errno = 0;
		int r = ::ioctl(dev_[i].fd, cmd, buf);
		line_ += " " + result(r, errno);
		note("mapped bytes now " + hex(buf, avail));
		end_op();
	}

	// Opens the device's node with another minor (mknod in /tmp).
	void op_open_minor(int i, unsigned int min)
	{
		struct stat st;
		if (::fstat(dev_[i].fd, &st) != 0)
			return;
		char path[64];
		snprintf(path, sizeof(path), "/tmp/mlc-probe-minor-%u", min);
		::unlink(path);
		char desc[96];
		snprintf(desc, sizeof(desc), "open minor %u of the device's major", min);
		begin_op(desc);
		if (::mknod(path, S_IFCHR | 0600, makedev(major(st.st_rdev), min)) != 0) {
			line_ += " mknod " + result(-1, errno);
		} else {
			int fd = ::open(path, O_RDWR | O_CLOEXEC);
			line_ += " " + result(fd < 0 ? -1 : 0, errno);
			if (fd >= 0)
				::close(fd);
			::unlink(path);
		}
		end_op();
	}

	void probe_mlcore()
	{
		int d = op_open(dev_, kDevSlots, kMlcoreDev, O_RDWR);
		op_fstat_dev(d);
		op_lseek(dev_, d, 0, SEEK_SET);
		op_lseek(dev_, d, 5, SEEK_CUR);
		op_lseek(dev_, d, 0, SEEK_END);
		op_read(dev_, d, 0);
		op_write(dev_, d, "");
		op_pread(d, 4, 0, false);
		op_pread(d, 4, 0, true);
		op_mmap(d, false, PROT_READ);
		int32_t v = 0x11223344;
		op_ioctl_edge(d, IOCTL_GET_RESULT, "GET_RESULT", nullptr, 0, 2);
		op_ioctl_edge(d, IOCTL_SET_RESULT, "SET_RESULT", &v, 4, 2);
		get_result(d);
		int32_t f[3] = {100, 200, 300};
		op_ioctl_edge(d, IOCTL_SEND_INTS, "SEND_INTS", f, 12, 8);
		struct train_entry e = {{1, 2, 3}, 4};
		op_ioctl_edge(d, IOCTL_ADD_TRAINING, "ADD_TRAINING", &e, 16, 12);
		unknown(d, FIONREAD);
		op_open_minor(d, 1);
		op_open_minor(d, 255);
		op_close(dev_, d);
		op_snapshot();
	}

	void probe_mllib()
	{
		control("prepare_dataset\n");
		int d = op_open(dev_, kDevSlots, kMllibDev, O_RDWR);
		op_fstat_dev(d);
		op_lseek(dev_, d, 100, SEEK_SET);
		op_read(dev_, d, 10);
		op_lseek(dev_, d, 5, SEEK_CUR);
		op_lseek(dev_, d, 7, SEEK_END);
		op_lseek(dev_, d, 0, SEEK_DATA);
		op_lseek(dev_, d, -1, SEEK_HOLE);
		op_lseek(dev_, d, int64_t{1} << 40, SEEK_SET);
		op_read(dev_, d, 10);
		op_write(dev_, d, "x");
		// pread/pwrite leave the file position alone: a read of
		// everything after them shows where it is.
		op_lseek(dev_, d, 0, SEEK_SET);
		op_read(dev_, d, 100);
		op_pread(d, 10, 500, false);
		op_pread(d, 10, 1000, true);
		op_pread(d, 10, -1, false);
		op_read(dev_, d, 2000);
		op_lseek(dev_, d, 0, SEEK_SET);
		op_read(dev_, d, 0);
		op_write(dev_, d, "");
		op_mmap(d, false, PROT_READ);
		op_ioctl_edge(d, ML_LIB_TEST_IOCGETSIZE, "IOCGETSIZE", nullptr, 0, 2);
		unknown(d, FIONREAD);
		op_open_minor(d, 1);
		op_close(dev_, d);
		op_snapshot();
	}

	// The whole text of the profile's files, each from a fresh open.
	void op_snapshot()
	{
		begin_op("snapshot");
		auto one = [&](const FileSpec &f) {
			int fd = ::open(path_of(f).c_str(), O_RDONLY | O_CLOEXEC);
			if (fd < 0) {
				note(std::string(f.name) + " open " + result(-1, errno));
				return;
			}
			std::string text;
			char buf[4096];
			ssize_t n;
			while ((n = ::read(fd, buf, sizeof(buf))) > 0)
				text.append(buf, static_cast<size_t>(n));
			::close(fd);
			MaskCtx m;
			note(std::string(f.name) + " \"" + escape(m.apply(f.mask, text)) + "\"");
		};
		if (loop_)
			for (const FileSpec *f : kLoopSnapshot)
				one(*f);
		else if (mllib_)
			for (const FileSpec *f : kMllibSnapshot)
				one(*f);
		else
			for (const FileSpec *f : kMlcoreSnapshot)
				one(*f);
		end_op();
	}

	// --- helpers shared by the profiles ----------------------------------------

	int pick_open(Slot *slots, int n, Rng &rng)
	{
		int open_idx[8], k = 0;
		for (int i = 0; i < n; i++)
			if (slots[i].fd >= 0)
				open_idx[k++] = i;
		return k ? open_idx[rng.below(k)] : -1;
	}

	const FileSpec &dev_spec() const
	{
		return loop_ ? kLoopDev : mllib_ ? kMllibDev : kMlcoreDev;
	}

	// A device slot to use: an open one, or a new one (always succeeds).
	int dev_slot(Rng &rng)
	{
		int i = pick_open(dev_, kDevSlots, rng);
		if (i >= 0)
			return i;
		static const int modes[] = {O_RDWR, O_RDONLY, O_WRONLY};
		return op_open(dev_, kDevSlots, dev_spec(), modes[rng.below(3)]);
	}

	// A readable text file of the profile, chosen at random.
	const FileSpec &random_text_file(Rng &rng)
	{
		if (!mllib_)
			return rng.below(2) ? kMlcoreResult : kMlcoreTrain;
		static const FileSpec *const files[] = {&kMllibProc, &kMllibProc,
							&kMllibDataSize, &kMllibAccessCount,
							&kMllibStats, &kMllibBufferSize};
		return *files[rng.below(6)];
	}

	int file_slot(Rng &rng)
	{
		int i = pick_open(file_, kFileSlots, rng);
		if (i >= 0)
			return i;
		return op_open(file_, kFileSlots, random_text_file(rng), O_RDONLY);
	}

	size_t read_size(Rng &rng)
	{
		switch (rng.below(4)) {
		case 0: return 7;
		case 1: return 1 + rng.below(40);
		case 2: return 1 + rng.below(400);
		default: return 4096;
		}
	}

	// Operations on the profile's text files (proc, sysfs) and the VFS
	// answers every door shares; true when one was done.
	bool random_file_op(Rng &rng, uint32_t w)
	{
		if (w < 40) {			// open a text file
			if (free_slot(file_, kFileSlots) < 0) {
				op_close(file_, pick_open(file_, kFileSlots, rng));
			} else {
				static const int modes[] = {O_RDONLY, O_RDONLY, O_RDONLY,
							    O_RDWR, O_WRONLY};
				const FileSpec &f = random_text_file(rng);
				int mode = modes[rng.below(5)];
				// A 0444 sysfs attribute refuses writers even for root;
				// that is in the scripted part (kernfs, not the file).
				if (f.root == Root::Sys)
					mode = O_RDONLY;
				op_open(file_, kFileSlots, f, mode);
			}
		} else if (w < 70) {
			int i = pick_open(file_, kFileSlots, rng);
			if (i >= 0)
				op_close(file_, i);
		} else if (w < 180) {
			op_read(file_, file_slot(rng), read_size(rng));
		} else if (w < 220) {
			// lseek then read at once: SEEK_SET/SEEK_CUR never reach a
			// FUSE server, which renders at the read instead.
			int i = file_slot(rng);
			if (rng.below(2))
				op_lseek(file_, i, rng.below(3) ? rng.below(120) : rng.below(5000),
					 SEEK_SET);
			else
				op_lseek(file_, i, rng.range(-60, 60), SEEK_CUR);
			op_read(file_, i, read_size(rng));
		} else if (w < 240) {
			int i = file_slot(rng);
			static const int whences[] = {SEEK_END, SEEK_DATA, SEEK_HOLE};
			if (rng.below(4) == 0)
				op_lseek(file_, i, -1 - static_cast<int64_t>(rng.below(100)),
					 SEEK_SET);
			else if (file_[i].spec->root == Root::Proc)
				op_lseek(file_, i, rng.range(-10, 10), whences[rng.below(3)]);
			else
				op_lseek(file_, i, -1 - static_cast<int64_t>(rng.below(100)),
					 SEEK_CUR);
		} else if (w < 260) {
			int i = file_slot(rng);
			op_write(file_, i, std::string(1 + rng.below(16), 'w'));
		} else if (w < 270) {
			op_fstat(file_slot(rng));
		} else if (w < 280) {
			op_vfs_ioctl(file_, file_slot(rng), rng.below(4), rng.below(2));
		} else if (w < 290) {
			// Not a sysfs attribute: kernfs answers poll with
			// DEFAULT_POLLMASK|POLLERR|POLLPRI, which no door reproduces
			// yet (reported; see test/qemu/README.md).
			int i = file_slot(rng);
			if (file_[i].spec->root != Root::Sys)
				op_poll(file_, i);
		} else {
			return false;
		}
		return true;
	}

	// A command the device does not know, with a buffer as large as its
	// size field (so a transport that copies _IOC_SIZE bytes in can).
	void unknown(int i, unsigned int cmd)
	{
		size_t size = _IOC_SIZE(cmd);
		std::vector<unsigned char> in(std::min<size_t>(size, 16));
		for (size_t k = 0; k < in.size(); k++)
			in[k] = static_cast<unsigned char>(k + 1);
		op_ioctl(dev_, i, cmd, "UNKNOWN", in.data(), in.size(),
			 std::max<size_t>(size, 16));
	}

	unsigned int random_unknown_cmd(Rng &rng, unsigned int type)
	{
		unsigned int nr = rng.below(3) ? 5 + rng.below(251) : rng.below(5);
		unsigned int dir = rng.below(4);
		unsigned int size = rng.below(8) ? rng.below(65) : rng.below(4097);
		return _IOC(dir, type, nr, size);
	}

	// --- mlcore -----------------------------------------------------------------

	void send_ints(int i, int32_t a, int32_t b, int32_t c)
	{
		int32_t v[3] = {a, b, c};
		op_ioctl(dev_, i, IOCTL_SEND_INTS, "SEND_INTS", v, sizeof(v), sizeof(v));
	}
	void set_result(int i, int32_t v)
	{
		op_ioctl(dev_, i, IOCTL_SET_RESULT, "SET_RESULT", &v, sizeof(v), sizeof(v));
	}
	// The buffer is as large as the number says (8): exactly 4 must change.
	void get_result(int i)
	{
		op_ioctl(dev_, i, IOCTL_GET_RESULT, "GET_RESULT", nullptr, 0, 8);
	}
	void add_training(int i, int32_t a, int32_t b, int32_t c, int32_t label)
	{
		struct train_entry e = {{a, b, c}, label};
		op_ioctl(dev_, i, IOCTL_ADD_TRAINING, "ADD_TRAINING", &e, sizeof(e), sizeof(e));
	}
	void clear_training(int i)
	{
		op_ioctl(dev_, i, IOCTL_CLEAR_TRAINING, "CLEAR_TRAINING", nullptr, 0, 16);
	}

	void mlcore_scripted()
	{
		op_snapshot();
		int d = op_open(dev_, kDevSlots, kMlcoreDev, O_RDWR);
		int r = op_open(dev_, kDevSlots, kMlcoreDev, O_RDONLY);
		int w = op_open(dev_, kDevSlots, kMlcoreDev, O_WRONLY);

		// The initial result and GET_RESULT's 4 (not 8) bytes.
		get_result(d);
		// Features and the fixed-point sign loss.
		send_ints(d, 150, -5, -32);
		send_ints(r, INT_MIN, INT_MAX, 0);
		send_ints(w, -100, -101, 99);
		send_ints(d, -1, -99, 100);
		// Predictions: the history ring of 10 wraps.
		for (int v : {42, -7, 0, INT_MIN, INT_MAX, 1, 2, 3, 4, 5, 6, 7})
			set_result(d, v);
		get_result(r);
		op_snapshot();
		// Training: 50 entries, then "full" warnings, then clear.
		for (int k = 0; k < 52; k++)
			add_training(k % 2 ? d : w, k * 37 - 500, -k, k * 100 + 5, k % 3);
		op_snapshot();
		clear_training(d);
		op_snapshot();
		add_training(d, -5, -32, 1234, 1);

		// Bad addresses: EFAULT, no state change, no log line.
		const struct {
			unsigned int cmd;
			const char *name;
		} known[] = {{IOCTL_SEND_INTS, "SEND_INTS"},
			     {IOCTL_SET_RESULT, "SET_RESULT"},
			     {IOCTL_GET_RESULT, "GET_RESULT"},
			     {IOCTL_ADD_TRAINING, "ADD_TRAINING"}};
		for (const auto &k : known) {
			op_ioctl_addr(d, k.cmd, k.name, 0);
			op_ioctl_addr(d, k.cmd, k.name, 16);
		}
		op_ioctl_addr(d, IOCTL_CLEAR_TRAINING, "CLEAR_TRAINING", 0);
		get_result(d);

		// Unknown commands are EINVAL, never ENOTTY.
		unknown(d, 0x6800);	// the driver's documentation's SEND_INTS
		for (unsigned nr = 5; nr <= 9; nr++) {
			unknown(d, _IO(MLCORE_MAJOR, nr));
			unknown(d, _IOR(MLCORE_MAJOR, nr, int));
			unknown(d, _IOW(MLCORE_MAJOR, nr, int));
			unknown(d, _IOWR(MLCORE_MAJOR, nr, int[4]));
		}
		unknown(d, _IOW(MLCORE_MAJOR, 0, int));
		unknown(d, _IOR(MLCORE_MAJOR, 2, int));
		unknown(d, _IOR(MLCORE_MAJOR, 0, int[3]));
		unknown(d, _IOWR(MLCORE_MAJOR, 1, int));
		unknown(d, _IO(MLCORE_MAJOR, 3));
		unknown(d, _IOW(MLCORE_MAJOR, 4, int));
		unknown(d, _IOW(MLCORE_MAJOR, 200, char[4096]));
		unknown(d, _IOR(MLCORE_MAJOR, 201, char[4096]));

		// What the VFS answers for the device.
		for (int which = 0; which < 4; which++)
			for (int v : {1, 0})
				op_vfs_ioctl(dev_, d, which, v);
		op_read(dev_, d, 16);
		op_read(dev_, w, 16);
		op_read(dev_, r, 1);
		op_write(dev_, d, std::string(16, 'w'));
		op_write(dev_, r, "abcd");
		op_write(dev_, w, "x");
		op_mmap(d, true, PROT_READ);
		op_mmap(d, true, PROT_READ | PROT_WRITE);
		op_mmap(r, true, PROT_READ | PROT_WRITE);
		op_mmap(w, true, PROT_READ);
		op_poll(dev_, d);
		op_poll(dev_, w);

		// The proc files as seq_files.
		int p = op_open(file_, kFileSlots, kMlcoreResult, O_RDONLY);
		int t = op_open(file_, kFileSlots, kMlcoreTrain, O_RDONLY);
		op_fstat(p);
		op_read(file_, p, 7);
		set_result(d, 777);	// the reader goes on in the old text
		op_read(file_, p, 7);
		op_read(file_, p, 4096);
		op_read(file_, p, 4096);
		op_lseek(file_, p, 0, SEEK_SET);	// a new rendering, with 777
		op_read(file_, p, 30);
		op_lseek(file_, p, 5, SEEK_CUR);
		op_read(file_, p, 50);
		op_lseek(file_, p, 3, SEEK_SET);
		op_read(file_, p, 4096);
		op_lseek(file_, p, 100000, SEEK_SET);
		op_read(file_, p, 100);
		op_lseek(file_, p, -1, SEEK_SET);
		op_lseek(file_, p, -200000, SEEK_CUR);
		op_lseek(file_, p, 0, SEEK_END);
		op_lseek(file_, p, 0, SEEK_DATA);
		op_lseek(file_, p, 0, SEEK_HOLE);
		op_read(file_, t, 10);
		add_training(d, 1, 2, 3, 4);
		op_read(file_, t, 4096);
		op_lseek(file_, t, 0, SEEK_SET);
		op_read(file_, t, 4096);
		op_write(file_, t, "hello");
		op_poll(file_, t);
		for (int which = 0; which < 4; which++)
			op_vfs_ioctl(file_, t, which, 1);
		op_close(file_, t);
		int pw = op_open(file_, kFileSlots, kMlcoreTrain, O_WRONLY);
		op_write(file_, pw, "abc");
		op_read(file_, pw, 3);
		op_close(file_, pw);
		int prw = op_open(file_, kFileSlots, kMlcoreResult, O_RDWR);
		op_write(file_, prw, "12345678");
		op_read(file_, prw, 8);
		op_close(file_, prw);
		op_close(file_, p);
		op_close(dev_, r);
		op_close(dev_, w);
		op_close(dev_, d);
	}

	void mlcore_random(uint32_t seed)
	{
		Rng rng(seed);
		uint32_t start = op_no_;
		while (op_no_ - start < opt_.ops) {
			uint32_t w = rng.below(1000);
			if (w < 60) {			// open a device
				static const int modes[] = {O_RDWR, O_RDWR, O_RDONLY, O_WRONLY};
				if (free_slot(dev_, kDevSlots) >= 0)
					op_open(dev_, kDevSlots, kMlcoreDev, modes[rng.below(4)]);
				else
					op_close(dev_, pick_open(dev_, kDevSlots, rng));
			} else if (w < 90) {		// close a device
				int i = pick_open(dev_, kDevSlots, rng);
				if (i >= 0)
					op_close(dev_, i);
			} else if (w < 180) {
				int i = dev_slot(rng);
				send_ints(i, rng.value(), rng.value(), rng.value());
			} else if (w < 300) {
				set_result(dev_slot(rng), rng.value());
			} else if (w < 390) {
				get_result(dev_slot(rng));
			} else if (w < 535) {
				int i = dev_slot(rng);
				add_training(i, rng.value(), rng.value(), rng.value(), rng.value());
			} else if (w < 540) {
				clear_training(dev_slot(rng));
			} else if (w < 570) {		// a bad address
				static const struct {
					unsigned int cmd;
					const char *name;
				} known[] = {{IOCTL_SEND_INTS, "SEND_INTS"},
					     {IOCTL_SET_RESULT, "SET_RESULT"},
					     {IOCTL_GET_RESULT, "GET_RESULT"},
					     {IOCTL_ADD_TRAINING, "ADD_TRAINING"}};
				const auto &k = known[rng.below(4)];
				op_ioctl_addr(dev_slot(rng), k.cmd, k.name, rng.below(2) ? 16 : 0);
			} else if (w < 620) {		// an unknown command
				unsigned int cmd = rng.below(10) == 0
							   ? 0x6800 + rng.below(5)
							   : random_unknown_cmd(rng, MLCORE_MAJOR);
				if (cmd == IOCTL_SEND_INTS || cmd == IOCTL_SET_RESULT ||
				    cmd == IOCTL_GET_RESULT || cmd == IOCTL_ADD_TRAINING ||
				    cmd == IOCTL_CLEAR_TRAINING)
					cmd ^= 1u << 20;	// another size: unknown
				unknown(dev_slot(rng), cmd);
			} else if (w < 650) {
				op_vfs_ioctl(dev_, dev_slot(rng), rng.below(4), rng.below(2));
			} else if (w < 680) {
				int i = dev_slot(rng);
				size_t n = 1 + rng.below(64);
				if (rng.below(2))
					op_read(dev_, i, n);
				else
					op_write(dev_, i, std::string(n, 'w'));
			} else if (w < 690) {
				op_mmap(dev_slot(rng), true,
					rng.below(2) ? PROT_READ : PROT_READ | PROT_WRITE);
			} else if (w < 700) {
				op_poll(dev_, dev_slot(rng));
			} else if (w < 990) {
				random_file_op(rng, w - 700);
			} else {
				op_snapshot();
			}
		}
	}

	// --- ml_lib -----------------------------------------------------------------

	void get_size(int i)
	{
		op_ioctl(dev_, i, ML_LIB_TEST_IOCGETSIZE, "IOCGETSIZE", nullptr, 0, 8);
	}
	void set_size(int i, int32_t v)
	{
		op_ioctl(dev_, i, ML_LIB_TEST_IOCSETSIZE, "IOCSETSIZE", &v, sizeof(v),
			 sizeof(v));
	}
	void reset(int i)
	{
		op_ioctl(dev_, i, ML_LIB_TEST_IOCRESET, "IOCRESET", nullptr, 0, 16);
	}

	// One write to ml_model1/control from a fresh open.
	void control(const std::string &text, Rng *rng = nullptr)
	{
		if (free_slot(file_, kFileSlots) < 0)
			op_close(file_, rng ? pick_open(file_, kFileSlots, *rng) : 0);
		int c = op_open(file_, kFileSlots, kMllibControl, O_WRONLY);
		if (c < 0)
			return;
		op_write(file_, c, text);
		op_close(file_, c);
	}

	void mllib_scripted()
	{
		op_snapshot();
		int d = op_open(dev_, kDevSlots, kMllibDev, O_RDWR);
		int r = op_open(dev_, kDevSlots, kMllibDev, O_RDONLY);
		int w = op_open(dev_, kDevSlots, kMllibDev, O_WRONLY);
		get_size(d);
		op_read(dev_, r, 100);		// no data yet: EOF
		op_snapshot();

		// The control parser's quirks, one write per open.
		for (const char *cmd : {"start\n", "stop\n", "s", "st", "sto", "d", "disc",
					"startstop\n", "discard_dataset\nstart\n", "START\n",
					" start\n", "\n", "xyz\n", "dp\n"})
			control(cmd);
		control(std::string("start\0junk", 10));
		control("prepare_dataset\n");
		op_snapshot();
		get_size(d);
		// The dataset: one random value over 1024 bytes, read in pieces.
		op_read(dev_, r, 100);
		op_read(dev_, r, 1000);
		op_read(dev_, r, 100);
		op_read(dev_, d, 1024);
		op_read(dev_, w, 10);
		// prepare again keeps the CLEAN dataset; discard then prepare
		// extracts anew.
		control("p");
		control("prep");
		control("discard_dataset");
		control("prepare_dataset");
		// Recommendations: written, never readable back; ENOSPC at 1024.
		op_write(dev_, w, "recommendation 1");
		op_write(dev_, w, std::string(1000, 'r'));
		op_write(dev_, w, std::string(100, 'R'));
		op_write(dev_, w, "x");
		op_write(dev_, r, "x");
		set_size(d, 0);
		set_size(d, 1024);
		set_size(d, 1025);
		set_size(d, -1);
		set_size(d, 512);
		op_snapshot();
		// Reset keeps the model's dataset CLEAN: prepare does not extract.
		reset(d);
		get_size(d);
		control("prepare_dataset\n");
		get_size(d);
		control("discard_dataset\n");
		control("prepare_dataset\n");
		get_size(d);
		// A write longer than a page is cut to 4096 bytes.
		control("stop" + std::string(5000, '!'));
		control("prepare_dataset" + std::string(4100, '\n'));
		// Bad addresses and unknown commands.
		op_ioctl_addr(d, ML_LIB_TEST_IOCGETSIZE, "IOCGETSIZE", 0);
		op_ioctl_addr(d, ML_LIB_TEST_IOCSETSIZE, "IOCSETSIZE", 16);
		op_ioctl_addr(d, ML_LIB_TEST_IOCRESET, "IOCRESET", 0);
		for (unsigned nr = 3; nr <= 6; nr++) {
			unknown(d, _IO(ML_LIB_TEST_IOC_MAGIC, nr));
			unknown(d, _IOR(ML_LIB_TEST_IOC_MAGIC, nr, int));
			unknown(d, _IOW(ML_LIB_TEST_IOC_MAGIC, nr, int));
		}
		unknown(d, _IOW(ML_LIB_TEST_IOC_MAGIC, 1, int));
		unknown(d, _IOR(ML_LIB_TEST_IOC_MAGIC, 2, int));
		unknown(d, _IOR(ML_LIB_TEST_IOC_MAGIC, 0, int));
		unknown(d, IOCTL_SEND_INTS);	// another driver's command
		for (int which = 0; which < 4; which++)
			for (int v : {1, 0})
				op_vfs_ioctl(dev_, d, which, v);
		op_mmap(d, true, PROT_READ);
		op_mmap(r, true, PROT_READ | PROT_WRITE);
		op_poll(dev_, d);

		// The sysfs files: read-only attributes refuse writers, the
		// write-only control refuses readers, even root.
		for (const FileSpec *f : {&kMllibStats, &kMllibDataSize}) {
			int s = op_open(file_, kFileSlots, *f, O_RDONLY);
			op_fstat(s);
			op_read(file_, s, 3);
			op_read(file_, s, 4096);
			op_read(file_, s, 4096);
			op_lseek(file_, s, 0, SEEK_SET);
			op_read(file_, s, 4096);
			op_close(file_, s);
			open_refused(*f, O_WRONLY);
			open_refused(*f, O_RDWR);
		}
		open_refused(kMllibControl, O_RDONLY);
		open_refused(kMllibControl, O_RDWR);
		int c = op_open(file_, kFileSlots, kMllibControl, O_WRONLY);
		op_read(file_, c, 10);
		op_write(file_, c, "");		// empty: 0, the parser is not called
		op_write(file_, c, "start");
		op_write(file_, c, "stop");
		op_close(file_, c);
		// /proc/mllibdev as a seq_file.
		int p = op_open(file_, kFileSlots, kMllibProc, O_RDONLY);
		op_read(file_, p, 50);
		// A new open changes the access count: the reader goes on in the
		// old text.
		op_close(dev_, op_open(dev_, kDevSlots, kMllibDev, O_RDONLY));
		op_read(file_, p, 4096);
		op_lseek(file_, p, 0, SEEK_SET);
		op_read(file_, p, 4096);
		op_lseek(file_, p, 0, SEEK_END);
		op_close(file_, p);
		int pw = op_open(file_, kFileSlots, kMllibProc, O_RDWR);
		op_write(file_, pw, "x");
		op_close(file_, pw);
		op_close(dev_, r);
		op_close(dev_, w);
		op_close(dev_, d);
	}

	// An open that should fail; closed again should it not.
	void open_refused(const FileSpec &f, int flags)
	{
		int i = op_open(file_, kFileSlots, f, flags);
		if (i >= 0)
			op_close(file_, i);
	}

	std::string random_control_text(Rng &rng)
	{
		static const char *const cmds[] = {
			"start\n", "stop\n", "prepare_dataset\n", "discard_dataset\n",
			"start", "stop", "prepare_dataset", "discard_dataset",
			"s", "st", "sto", "p", "prep", "d", "disc", "x", "\n", "STOP\n",
			"prepare_datasetX", "discard", "stopstart\n"};
		std::string t = cmds[rng.below(sizeof(cmds) / sizeof(cmds[0]))];
		if (rng.below(8) == 0)	// a random prefix of a command
			t = t.substr(0, 1 + rng.below(static_cast<uint32_t>(t.size())));
		return t;
	}

	// --- mlloop (the closed loop, docs/closed-loop.md) ------------------------

	// One control write from its own open, as `echo CMD > control`.
	void loop_control(const std::string &text)
	{
		int c = op_open(file_, kFileSlots, kLoopControl, O_WRONLY);
		if (c < 0)
			return;
		op_write(file_, c, text);
		op_close(file_, c);
	}

	static std::string loop_rec(uint32_t window, uint32_t magic = ML_LOOP_RECORD_MAGIC,
				    uint16_t type = ML_LOOP_REC_RECOMMENDATION,
				    uint16_t size = ML_LOOP_RECORD_SIZE, uint64_t epoch = 0)
	{
		struct ml_loop_recommendation r;
		memset(&r, 0, sizeof(r));
		r.hdr.magic = magic;
		r.hdr.type = type;
		r.hdr.size = size;
		r.hdr.epoch = epoch;
		r.window = window;
		r.confidence_permille = 500;
		return std::string(reinterpret_cast<const char *>(&r), sizeof(r));
	}

	// The records of one POLICY (closed loop v2, docs/closed-loop.md
	// "Policies"): nodes as (feature, value, left, right).
	struct PNode {
		uint8_t feature;
		uint16_t value, left, right;
	};
	static std::vector<ml_loop_policy> loop_policy_recs(const std::vector<PNode> &nodes)
	{
		std::vector<ml_loop_policy> recs;
		for (size_t first = 0; first < nodes.size(); first += 5) {
			ml_loop_policy r;
			memset(&r, 0, sizeof(r));
			r.hdr.magic = ML_LOOP_RECORD_MAGIC;
			r.hdr.type = ML_LOOP_REC_POLICY;
			r.hdr.size = ML_LOOP_RECORD_SIZE;
			r.node_count = static_cast<uint16_t>(nodes.size());
			r.first_node = static_cast<uint16_t>(first);
			r.nodes_here = static_cast<uint16_t>(std::min<size_t>(5, nodes.size() - first));
			for (unsigned j = 0; j < r.nodes_here; j++) {
				const PNode &n = nodes[first + j];
				r.nodes[j].feature = n.feature;
				r.nodes[j].value = n.value;
				r.nodes[j].left = n.left;
				r.nodes[j].right = n.right;
			}
			recs.push_back(r);
		}
		return recs;
	}
	static std::string loop_bytes(const std::vector<ml_loop_policy> &recs)
	{
		return std::string(reinterpret_cast<const char *>(recs.data()),
				   recs.size() * sizeof(ml_loop_policy));
	}
	// A valid 7-node policy over every feature kind.
	static std::vector<PNode> loop_good_policy()
	{
		const uint8_t L = ML_LOOP_POLICY_LEAF;
		return {{ML_LOOP_F_RUN_LENGTH, 1, 1, 4}, {ML_LOOP_F_SEQ_PERMILLE, 500, 2, 3},
			{L, 0, 0, 0}, {L, 32, 0, 0}, {ML_LOOP_F_MEAN_RUN_X100, 5000, 5, 6},
			{L, 64, 0, 0}, {L, 256, 0, 0}};
	}
	// A random valid tree of up to `inner` inner nodes (pre-order).
	static void loop_random_tree(Rng &rng, std::vector<PNode> &out, unsigned depth,
				     unsigned &budget)
	{
		size_t me = out.size();
		static const uint16_t range[ML_LOOP_F_COUNT] = {1001, 60000, 1001, 130, 700};
		if (depth >= 4 || budget == 0 || rng.below(3) == 0) {
			static const uint16_t w[] = {0, 1, 4, 16, 32, 64, 128, 256};
			out.push_back({ML_LOOP_POLICY_LEAF, w[rng.below(8)], 0, 0});
			return;
		}
		budget--;
		uint8_t f = static_cast<uint8_t>(rng.below(ML_LOOP_F_COUNT));
		out.push_back({f, static_cast<uint16_t>(rng.below(range[f])), 0, 0});
		out[me].left = static_cast<uint16_t>(out.size());
		loop_random_tree(rng, out, depth + 1, budget);
		out[me].right = static_cast<uint16_t>(out.size());
		loop_random_tree(rng, out, depth + 1, budget);
	}
	// A random policy write: valid, or one rule broken (docs/closed-loop.md).
	std::string loop_random_policy(Rng &rng)
	{
		std::vector<PNode> nodes;
		unsigned budget = 1 + rng.below(8);
		loop_random_tree(rng, nodes, 0, budget);
		auto recs = loop_policy_recs(nodes);
		const size_t k = rng.below(static_cast<uint32_t>(recs.size()));
		auto &r = recs[k];
		const unsigned j = rng.below(r.nodes_here);
		switch (rng.below(14)) {
		case 0: r.hdr.magic = 0x1badf00d; break;
		case 1: r.hdr.type = static_cast<uint16_t>(rng.below(2) ? 3 : 5); break;
		case 2: r.node_count = static_cast<uint16_t>(rng.below(2) ? 0 : 256 + rng.below(9)); break;
		case 3: r.first_node = static_cast<uint16_t>(r.first_node + 1); break;
		case 4: r.nodes_here = static_cast<uint16_t>(r.nodes_here % 5 + 1); break;
		case 5: r.reserved = 1; break;
		case 6: r.nodes[j].feature = static_cast<uint8_t>(5 + rng.below(250)); break;
		case 7: r.nodes[j].reserved = 1; break;
		case 8:
			if (r.nodes[j].feature == ML_LOOP_POLICY_LEAF)
				r.nodes[j].value = static_cast<uint16_t>(257 + rng.below(1000));
			else
				r.nodes[j].left = static_cast<uint16_t>(r.first_node + j);	// a cycle
			break;
		case 9: recs.push_back(recs.back()); break;			// a record too many
		case 10:
			if (recs.size() > 1)
				recs.pop_back();				// one too few
			else
				recs[0].nodes[0].right = 9;
			break;
		default: break;	// valid
		}
		return loop_bytes(recs);
	}

	void loop_pending(int i)
	{
		op_ioctl(dev_, i, ML_LOOP_IOCPENDING, "IOCPENDING", nullptr, 0, 4);
	}

	// A record write chosen at random: mostly valid, else one of the
	// refusals (docs/closed-loop.md) or two records.
	void loop_random_write(Rng &rng, int i)
	{
		static const uint32_t windows[] = {0, 1, 2, 4, 8, 16, 32, 64, 128, 256};
		uint32_t win = rng.below(2) ? windows[rng.below(10)] : rng.below(257);
		std::string rec;
		switch (rng.below(16)) {
		case 12: case 13: case 14: rec = loop_random_policy(rng); break;
		case 15: rec = loop_rec(win) + loop_bytes(loop_policy_recs({{ML_LOOP_POLICY_LEAF,
									   16, 0, 0}})); break;
		case 0: rec = loop_rec(win, 0x12345678u); break;
		case 1: rec = loop_rec(win, ML_LOOP_RECORD_MAGIC,
				       static_cast<uint16_t>(rng.below(3))); break;
		case 2: rec = loop_rec(win, ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_RECOMMENDATION,
				       static_cast<uint16_t>(rng.below(2) ? 32 : 128)); break;
		case 3: rec = loop_rec(257 + rng.below(100)); break;
		case 4: rec = loop_rec(win) + std::string(1 + rng.below(63), 'x'); break;
		case 5: rec = loop_rec(win) + loop_rec(300); break;
		case 6: rec = loop_rec(win) + loop_rec(windows[rng.below(10)]); break;
		default: rec = loop_rec(win, ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_RECOMMENDATION,
					ML_LOOP_RECORD_SIZE, rng.below(50)); break;
		}
		op_write(dev_, i, rec);
	}

	// A workload trace's bytes (include/uapi/ml_loop.h): runs i of
	// 1 + i % 7 pages at (i * 37) % 900, in a file of 1000 pages.
	static std::string loop_trace(uint32_t runs, uint32_t magic = ML_LOOP_TRACE_MAGIC)
	{
		struct ml_loop_trace_header h;
		memset(&h, 0, sizeof(h));
		h.magic = magic;
		h.version = ML_LOOP_TRACE_VERSION;
		h.header_size = sizeof(h);
		h.file_pages = 1000;
		h.run_count = runs;
		h.total_bytes = sizeof(h) + runs * sizeof(struct ml_loop_trace_run);
		std::string t(reinterpret_cast<const char *>(&h), sizeof(h));
		for (uint32_t i = 0; i < runs; i++) {
			struct ml_loop_trace_run r = {(i * 37) % 900, 1 + i % 7};
			t.append(reinterpret_cast<const char *>(&r), sizeof(r));
		}
		return t;
	}

	// One write-only open of `workload`, the chunks written in order.
	void loop_workload_write(const std::vector<std::string> &chunks)
	{
		int c = op_open(file_, kFileSlots, kLoopWorkload, O_WRONLY);
		if (c < 0)
			return;
		for (const auto &ch : chunks)
			op_write(file_, c, ch);
		op_close(file_, c);
	}

	// The workload attribute: a valid trace in two chunks (a write of more
	// than a page takes 4096), its replay's records, refusals (each one
	// warning, nothing changed), `synthetic`; d is an open O_RDWR slot.
	void loop_workload(int d)
	{
		std::string t = loop_trace(700);	// 5632 bytes
		loop_workload_write({t, t.substr(4096)});
		loop_control("reset\n");
		loop_control("start\n");
		loop_control("step 3\n");
		op_read(dev_, d, 4096);
		op_snapshot();
		std::string bad_version = t;
		bad_version[4] = 2;
		loop_workload_write({loop_trace(3, 0x12345678u)});
		loop_workload_write({bad_version.substr(0, 4096)});
		loop_workload_write({t.substr(0, 4096), t.substr(4096, 100)});	// truncated
		loop_workload_write({t.substr(0, 4096), t.substr(0, 4096)});	// passes the end
		int c = op_open(file_, kFileSlots, kLoopWorkload, O_WRONLY);
		if (c >= 0) {						// a wrong offset
			op_write(file_, c, t.substr(0, 4096));
			op_lseek(file_, c, 8192, SEEK_SET);
			op_write(file_, c, t.substr(4096));
			op_close(file_, c);
		}
		loop_workload_write({loop_trace(3) + "x"});
		std::string beyond = loop_trace(2);
		beyond[32 + 8] = static_cast<char>(0xe7);	// run 1 at page 999, 2 pages
		beyond[32 + 9] = 0x03;
		loop_workload_write({beyond});
		loop_control("step 2\n");
		op_read(dev_, d, 4096);
		loop_workload_write({"synthetic\n"});
		loop_control("reset\n");
		loop_control("start\n");
		loop_control("step 2\n");
		op_read(dev_, d, 4096);
		c = op_open(file_, kFileSlots, kLoopWorkload, O_RDONLY);	// EACCES
		if (c >= 0)
			op_close(file_, c);
		op_snapshot();
	}

	void loop_scripted()
	{
		op_snapshot();
		int d = op_open(dev_, kDevSlots, kLoopDev, O_RDWR);
		int r = op_open(dev_, kDevSlots, kLoopDev, O_RDONLY);
		int w = op_open(dev_, kDevSlots, kLoopDev, O_WRONLY);
		loop_pending(d);
		op_read(dev_, d, 64);		// nothing waiting: 0
		op_read(dev_, d, 10);		// below one record: EINVAL
		// (lseek, ESPIPE on the stream, is in probe_mlloop: CUSE answers it)
		loop_control("step 1\n");	// not started: EAGAIN
		loop_control("start\n");
		op_snapshot();
		loop_control("step 1\n");
		loop_pending(d);
		op_read(dev_, d, 1);
		op_read(dev_, d, 63);
		op_read(dev_, d, 65);		// one whole record
		op_read(dev_, d, 64);
		loop_control("step 3\n");
		loop_pending(r);
		op_read(dev_, r, 200);		// three records
		op_read(dev_, r, 4096);		// the other three
		op_read(dev_, w, 64);		// O_WRONLY: EBADF
		// Recommendations: valid, then each refusal.
		op_write(dev_, w, loop_rec(16));
		op_write(dev_, r, loop_rec(16));	// O_RDONLY: EBADF
		op_write(dev_, d, loop_rec(16, 0x12345678u));
		op_write(dev_, d, loop_rec(16, ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_DATASET));
		op_write(dev_, d, loop_rec(16, ML_LOOP_RECORD_MAGIC, ML_LOOP_REC_RECOMMENDATION, 32));
		op_write(dev_, d, loop_rec(300));
		op_write(dev_, d, loop_rec(256) + "x");
		op_write(dev_, d, loop_rec(8) + loop_rec(257));
		op_write(dev_, d, loop_rec(8) + loop_rec(32, ML_LOOP_RECORD_MAGIC,
							 ML_LOOP_REC_RECOMMENDATION,
							 ML_LOOP_RECORD_SIZE, 7));
		op_write(dev_, d, std::string(10, 'z'));
		op_snapshot();
		// Policies (v2): a valid one, then each rule broken, then mixes.
		{
			const uint8_t L = ML_LOOP_POLICY_LEAF;
			op_write(dev_, d, loop_bytes(loop_policy_recs(loop_good_policy())));
			using Spoil = void (*)(std::vector<ml_loop_policy> &);
			const Spoil spoils[] = {
				[](auto &r) { r[1].hdr.magic = 0x12345678; },
				[](auto &r) { r[1].hdr.type = ML_LOOP_REC_RECOMMENDATION; },
				[](auto &r) { r[0].hdr.size = 32; },
				[](auto &r) { r[0].node_count = 0; },
				[](auto &r) { r[0].node_count = 256; },
				[](auto &r) { r.pop_back(); },
				[](auto &r) { r.push_back(r.back()); },
				[](auto &r) { r[1].node_count = 8; },
				[](auto &r) { r[1].first_node = 4; },
				[](auto &r) { r[0].nodes_here = 4; },
				[](auto &r) { r[1].reserved = 2; },
				[](auto &r) { r[0].nodes[2].reserved = 9; },
				[](auto &r) { r[1].nodes[1].value = 257; },
				[](auto &r) { r[0].nodes[3].right = 4; },
				[](auto &r) { r[0].nodes[1].feature = 5; },
				[](auto &r) { r[0].nodes[4].left = 1; },
				[](auto &r) { r[0].nodes[0].right = 0; },
				[](auto &r) { r[0].nodes[4].right = 7; },
			};
			for (Spoil spoil : spoils) {
				auto recs = loop_policy_recs(loop_good_policy());
				spoil(recs);
				op_write(dev_, d, loop_bytes(recs));
			}
			// Depth: a 16-node path is taken, a 17-node one refused.
			for (unsigned inner : {15u, 16u}) {
				std::vector<PNode> chain;
				for (unsigned i = 0; i < inner; i++)
					chain.push_back({ML_LOOP_F_RUN_LENGTH, static_cast<uint16_t>(i + 1),
							 static_cast<uint16_t>(inner + 1 + i),
							 static_cast<uint16_t>(i + 1)});
				chain.push_back({L, 256, 0, 0});
				for (unsigned i = 0; i < inner; i++)
					chain.push_back({L, static_cast<uint16_t>(i), 0, 0});
				op_write(dev_, d, loop_bytes(loop_policy_recs(chain)));
			}
			op_write(dev_, d, loop_rec(8) + loop_bytes(loop_policy_recs({{L, 4, 0, 0}})));
			op_write(dev_, d, loop_bytes(loop_policy_recs({{L, 4, 0, 0}})) + "y");
			op_write(dev_, w, loop_bytes(loop_policy_recs(loop_good_policy())));
		}
		op_snapshot();
		// The control parser: prefixes, step's argument, unknown words.
		for (const char *cmd : {"step 0\n", "step\n", "step 10001\n", "step 2x\n",
					"step -1\n", "step  2 \n", "ste 1\n", "step 1",
					"bogus\n", "x\n", "steps 1\n", "st\n", "s\n",
					"prepare_dataset\n", "discard_dataset\n", "p\n", "d\n"})
			loop_control(cmd);
		op_snapshot();
		loop_pending(d);
		op_read(dev_, d, 4096);
		loop_control("stop\n");
		loop_control("step 1\n");	// stopped: EAGAIN
		op_write(dev_, w, loop_rec(64));	// still taken
		loop_control("reset\n");
		op_snapshot();
		loop_pending(d);
		// A steady agent: window 4, one epoch at a time, records read.
		loop_control("start\n");
		for (int k = 0; k < 24; k++) {
			op_write(dev_, w, loop_rec(k < 12 ? 4 : 64));
			loop_control("step 1\n");
			op_read(dev_, d, 128);
		}
		op_snapshot();
		// A policy agent: the 7-node policy, then its opposite (a
		// saboteur: the bound and the fallback with a policy in force).
		for (int k = 0; k < 24; k++) {
			auto nodes = loop_good_policy();
			if (k >= 16)
				for (auto &n : nodes)
					if (n.feature == ML_LOOP_POLICY_LEAF)
						n.value = static_cast<uint16_t>(n.value >= 16 ? 0 : 256);
			op_write(dev_, w, loop_bytes(loop_policy_recs(nodes)));
			loop_control("step 1\n");
			op_read(dev_, d, 128);
		}
		{
			int f = op_open(file_, kFileSlots, kLoopStats, O_RDONLY);
			if (f >= 0) {
				op_read(file_, f, 4096);
				op_close(file_, f);
			}
		}
		op_snapshot();
		// A dead agent: 10 epochs without a recommendation.
		loop_control("step 10\n");
		loop_pending(d);
		op_read(dev_, d, 4096);
		for (unsigned int cmd : {static_cast<unsigned int>(_IO('L', 0)),
					 static_cast<unsigned int>(_IOR('L', 2, uint32_t)),
					 static_cast<unsigned int>(_IOW('L', 1, uint32_t)),
					 static_cast<unsigned int>(_IOR('L', 1, uint64_t))})
			unknown(d, cmd);
		loop_workload(d);
		op_close(dev_, r);
		op_close(dev_, w);
		op_close(dev_, d);
		loop_control("reset\n");
		op_snapshot();
	}

	void loop_random(uint32_t seed)
	{
		Rng rng(seed);
		uint32_t start = op_no_;
		loop_control("reset\n");	// every scenario from the load-time seed
		while (op_no_ - start < opt_.ops) {
			uint32_t w = rng.below(1000);
			if (w < 50) {			// open the device
				static const int modes[] = {O_RDWR, O_RDWR, O_RDONLY, O_WRONLY};
				if (free_slot(dev_, kDevSlots) >= 0)
					op_open(dev_, kDevSlots, kLoopDev, modes[rng.below(4)]);
				else
					op_close(dev_, pick_open(dev_, kDevSlots, rng));
			} else if (w < 80) {
				int i = pick_open(dev_, kDevSlots, rng);
				if (i >= 0)
					op_close(dev_, i);
			} else if (w < 260) {
				static const size_t sizes[] = {1, 63, 64, 65, 100, 128, 192, 640, 4096};
				size_t n = rng.below(4) ? sizes[rng.below(9)] : 1 + rng.below(700);
				op_read(dev_, dev_slot(rng), n);
			} else if (w < 380) {
				loop_random_write(rng, dev_slot(rng));
			} else if (w < 450) {
				loop_pending(dev_slot(rng));
			} else if (w < 470) {
				// Type 'L', never number 1 (IOCPENDING).
				unknown(dev_slot(rng), _IOC(rng.below(4), 'L', 2 + rng.below(5),
							    4 * rng.below(3)));
			} else if (w < 490) {
				// (was lseek: CUSE answers it, see probe_mlloop)
				loop_pending(dev_slot(rng));
			} else if (w < 620) {
				char cmd[32];
				snprintf(cmd, sizeof(cmd), "step %u\n", 1 + rng.below(3));
				loop_control(cmd);
			} else if (w < 680) {
				loop_control("start\n");
			} else if (w < 700) {
				loop_control("stop\n");
			} else if (w < 710) {
				loop_control("reset\n");
			} else if (w < 740) {
				static const char *const bad[] = {"step 0\n", "step\n", "step 99999\n",
								  "step 1x\n", "bogus\n", "\n",
								  "step -2\n", "resets\n"};
				loop_control(bad[rng.below(8)]);
			} else if (w < 755) {
				loop_control(rng.below(2) ? "prepare_dataset\n" : "discard_dataset\n");
			} else if (w < 900) {		// an attribute, from its own open
				static const FileSpec *const attrs[] = {&kLoopMode, &kLoopState,
									&kLoopEfficiency, &kLoopStats};
				int f = op_open(file_, kFileSlots, *attrs[rng.below(4)], O_RDONLY);
				if (f >= 0) {
					op_read(file_, f, rng.below(3) ? 4096 : 1 + rng.below(40));
					op_close(file_, f);
				}
			} else {
				op_snapshot();
			}
		}
	}

	void probe_mlloop()
	{
		int d = op_open(dev_, kDevSlots, kLoopDev, O_RDWR);
		op_fstat_dev(d);
		op_lseek(dev_, d, 0, SEEK_SET);	// a stream: ESPIPE
		op_lseek(dev_, d, 0, SEEK_END);
		op_read(dev_, d, 0);
		op_write(dev_, d, "");
		op_pread(d, 64, 0, false);
		op_pread(d, 64, 0, true);
		op_mmap(d, false, PROT_READ);
		op_mmap(d, true, PROT_READ);
		op_close(dev_, d);
		op_snapshot();
	}

	void mllib_random(uint32_t seed)
	{
		Rng rng(seed);
		uint32_t start = op_no_;
		while (op_no_ - start < opt_.ops) {
			uint32_t w = rng.below(1000);
			if (w < 60) {			// open the device
				static const int modes[] = {O_RDWR, O_RDWR, O_RDONLY, O_WRONLY};
				if (free_slot(dev_, kDevSlots) >= 0)
					op_open(dev_, kDevSlots, kMllibDev, modes[rng.below(4)]);
				else
					op_close(dev_, pick_open(dev_, kDevSlots, rng));
			} else if (w < 100) {
				int i = pick_open(dev_, kDevSlots, rng);
				if (i >= 0)
					op_close(dev_, i);
			} else if (w < 220) {
				size_t n = rng.below(3) ? 1 + rng.below(300) : 1 + rng.below(1100);
				op_read(dev_, dev_slot(rng), n);
			} else if (w < 320) {
				size_t n = rng.below(3) ? 1 + rng.below(300) : 1 + rng.below(1100);
				op_write(dev_, dev_slot(rng), std::string(n, static_cast<char>(
								       'a' + rng.below(26))));
			} else if (w < 360) {
				get_size(dev_slot(rng));
			} else if (w < 390) {
				int32_t v = rng.below(4) ? rng.range(-3, 1027) : rng.value();
				set_size(dev_slot(rng), v);
			} else if (w < 410) {
				reset(dev_slot(rng));
			} else if (w < 425) {
				static const unsigned int cmds[] = {ML_LIB_TEST_IOCGETSIZE,
								    ML_LIB_TEST_IOCSETSIZE};
				unsigned int cmd = cmds[rng.below(2)];
				op_ioctl_addr(dev_slot(rng), cmd,
					      cmd == ML_LIB_TEST_IOCGETSIZE ? "IOCGETSIZE"
									    : "IOCSETSIZE",
					      rng.below(2) ? 16 : 0);
			} else if (w < 450) {
				unsigned int cmd = random_unknown_cmd(rng, ML_LIB_TEST_IOC_MAGIC);
				if (cmd == ML_LIB_TEST_IOCRESET || cmd == ML_LIB_TEST_IOCGETSIZE ||
				    cmd == ML_LIB_TEST_IOCSETSIZE)
					cmd ^= 1u << 20;
				unknown(dev_slot(rng), cmd);
			} else if (w < 470) {
				op_vfs_ioctl(dev_, dev_slot(rng), rng.below(4), rng.below(2));
			} else if (w < 480) {
				op_mmap(dev_slot(rng), true,
					rng.below(2) ? PROT_READ : PROT_READ | PROT_WRITE);
			} else if (w < 490) {
				op_poll(dev_, dev_slot(rng));
			} else if (w < 600) {
				control(random_control_text(rng), &rng);
			} else if (w < 890) {
				random_file_op(rng, w - 600);
			} else {
				op_snapshot();
			}
		}
	}

	Options opt_;
	std::string log_path_;
	Kmsg kmsg_;
	bool mllib_ = false;
	bool loop_ = false;
	Slot dev_[kDevSlots];
	Slot file_[kFileSlots];
	uint32_t op_no_ = 0, total_ops_ = 0;
	std::string line_;
	std::vector<std::string> extra_;
	uint64_t log_off_ = 0;
	MaskCtx log_mask_;
};

// ---------------------------------------------------------------------------
// bench: per-ioctl latency on one device node.

double now_us()
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int bench(const std::string &dev, const std::string &label, uint32_t iters)
{
	int fd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
	if (fd < 0)
		die("cannot open %s: %s", dev.c_str(), strerror(errno));
	struct Case {
		const char *name;
		unsigned long cmd;
	} cases[] = {{"GET_RESULT", IOCTL_GET_RESULT},
		     {"SEND_INTS", IOCTL_SEND_INTS},
		     {"UNKNOWN(EINVAL)", _IO(MLCORE_MAJOR, 9)}};
	int32_t buf[4] = {1, 2, 3, 0};
	for (const auto &c : cases) {
		std::vector<double> t(iters);
		for (uint32_t k = 0; k < iters / 10 + 1; k++)	// warm up
			(void)::ioctl(fd, c.cmd, buf);
		double total0 = now_us();
		for (uint32_t k = 0; k < iters; k++) {
			double t0 = now_us();
			(void)::ioctl(fd, c.cmd, buf);
			t[k] = now_us() - t0;
		}
		double total = now_us() - total0;
		std::sort(t.begin(), t.end());
		printf("bench %-10s %-16s n=%-6u mean=%8.2f us  p50=%8.2f us  p99=%8.2f us\n",
		       label.c_str(), c.name, iters, total / iters, t[iters / 2],
		       t[std::min<size_t>(iters - 1, iters * 99 / 100)]);
	}
	::close(fd);
	return 0;
}

[[noreturn]] void usage()
{
	fputs("usage: mlc-conformance run [--root R] [--dev-root R] [--proc-root R]\n"
	      "                           [--sys-root R] [--log PATH] [--kmsg PATH]\n"
	      "                           [--loop-dev-root R] [--profile mlcore,ml_lib,mlloop]\n"
	      "                           [--seeds A-B] [--ops N] [--no-scripted] [--no-random]\n"
	      "       mlc-conformance probe (the run options): device edges where a\n"
	      "                           door may differ, for the record\n"
	      "       mlc-conformance bench --dev PATH [--iters N] [--label L]\n",
	      stderr);
	exit(2);
}

}  // namespace

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	std::string mode = argv[1];
	Options o;
	std::string root = "/", dev_root, proc_root, sys_root, loop_dev_root, bench_dev,
		label = "dev";
	uint32_t iters = 1000;
	bool have_log = false, have_kmsg = false;
	for (int i = 2; i < argc; i++) {
		std::string a = argv[i];
		auto val = [&]() -> std::string {
			if (i + 1 >= argc)
				usage();
			return argv[++i];
		};
		if (a == "--root")
			root = val();
		else if (a == "--dev-root")
			dev_root = val();
		else if (a == "--proc-root")
			proc_root = val();
		else if (a == "--sys-root")
			sys_root = val();
		else if (a == "--loop-dev-root")
			loop_dev_root = val();
		else if (a == "--log")
			o.log_path = val(), have_log = true;
		else if (a == "--kmsg")
			o.kmsg_path = val(), have_kmsg = true;
		else if (a == "--profile") {
			o.profiles.clear();
			std::string list = val();
			size_t at = 0;
			while (at <= list.size()) {
				size_t comma = list.find(',', at);
				if (comma == std::string::npos)
					comma = list.size();
				std::string p = list.substr(at, comma - at);
				if (p != "mlcore" && p != "ml_lib" && p != "mlloop")
					die("unknown profile '%s' (known: mlcore, ml_lib, mlloop)",
					    p.c_str());
				o.profiles.push_back(p);
				at = comma + 1;
			}
		}
		else if (a == "--seeds") {
			std::string s = val();
			size_t dash = s.find('-');
			o.seed_first = static_cast<uint32_t>(strtoul(s.c_str(), nullptr, 10));
			o.seed_last = dash == std::string::npos
					      ? o.seed_first
					      : static_cast<uint32_t>(strtoul(s.c_str() + dash + 1,
									      nullptr, 10));
		} else if (a == "--ops")
			o.ops = static_cast<uint32_t>(strtoul(val().c_str(), nullptr, 10));
		else if (a == "--no-scripted")
			o.scripted = false;
		else if (a == "--no-random")
			o.random = false;
		else if (a == "--dev")
			bench_dev = val();
		else if (a == "--iters")
			iters = static_cast<uint32_t>(strtoul(val().c_str(), nullptr, 10));
		else if (a == "--label")
			label = val();
		else
			usage();
	}
	if (mode == "bench") {
		if (bench_dev.empty() || iters == 0)
			usage();
		return bench(bench_dev, label, iters);
	}
	if (mode != "run" && mode != "probe")
		usage();
	std::string r = root;
	while (r.size() > 1 && r.back() == '/')
		r.pop_back();
	std::string base = r == "/" ? "" : r;
	o.dev_root = dev_root.empty() ? root : dev_root;
	o.proc_root = proc_root.empty() ? root : proc_root;
	o.sys_root = sys_root.empty() ? o.proc_root : sys_root;
	o.loop_dev_root = loop_dev_root.empty() ? o.dev_root : loop_dev_root;
	if (!have_log)
		o.log_path = base + "/var/log/mlcore.log";
	if (!have_kmsg)
		o.kmsg_path = base + "/dev/kmsg";
	if (mode == "probe")
		Runner(o).probe_all();
	else
		Runner(o).run_all();
	return 0;
}

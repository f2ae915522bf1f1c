// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu trace record --out FILE -- CMD [ARGS...]` (docs/closed-loop.md,
// "Recording"): runs CMD with the recorder libmlcore-trace.so in LD_PRELOAD
// (tools/trace/), which appends one event per file read of CMD and of every
// child to an events file; when CMD exits, turns the events into a workload
// trace (trace_convert.cc) and writes it.
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/helper_library.hpp"
#include "tools/trace/trace_event.h"

extern "C" {
#include "uapi/ml_loop.h"
}

namespace fs = std::filesystem;

namespace mlc::cli {

const char *const kTraceFooter =
	"\nSYNOPSIS\n"
	"  mlcore-emu trace record --out FILE [--] CMD [ARGS...]\n"
	"\nDESCRIPTION\n"
	"  Runs CMD with the recorder libmlcore-trace.so in LD_PRELOAD, so CMD and\n"
	"  every child it forks or execs report each read(2), pread(2), readv(2),\n"
	"  preadv(2) and fread(3) that returned bytes from a regular file. When\n"
	"  CMD exits, the reads become a page-access trace (\"MLTRACE\" version 1,\n"
	"  include/uapi/ml_loop.h) written to FILE, and one summary line is\n"
	"  printed on stderr. The closed loop replays FILE as its workload:\n"
	"      cat FILE > ROOT/sys/class/ml_lib_loop/mlloop/ml_readahead/workload\n"
	"  or `mlcore-emu serve|run --loop-workload FILE`; writing `synthetic`\n"
	"  there returns to the built-in generator.\n"
	"\nHOW FILES MAP INTO THE TRACE\n"
	"  The loop simulates one file. Each distinct file CMD read (by device\n"
	"  and inode) gets its own extent of it, in the order first read, each\n"
	"  starting at a multiple of 256 pages and as long as the file (4096-byte\n"
	"  pages). A read of bytes [off, off+len) becomes the run of pages it\n"
	"  covers in its file's extent; runs keep the order the reads returned,\n"
	"  across processes. A run continuing the previous one is merged into it.\n"
	"\nNOT RECORDED\n"
	"  mmap(2) of files (page faults are invisible to LD_PRELOAD), stdio reads\n"
	"  other than fread (getc, fgets, ...), the dynamic loader's reads,\n"
	"  sendfile, copy_file_range, io_uring and raw syscall(2); reads of pipes,\n"
	"  terminals, devices and of proc, sysfs and the like (not file pages).\n"
	"  A program may skip reads the kernel would see elsewhere: GNU tar reads\n"
	"  no file when its archive is /dev/null (-f /dev/null, or -f - with\n"
	"  stdout on /dev/null), so give it a real archive or a pipe.\n"
	"\nLIMITS\n"
	"  At most 65536 runs and 2^20 pages (4 GiB of extents): a larger\n"
	"  recording is refused, FILE is not written.\n"
	"\nEXIT STATUS\n"
	"  CMD's exit status (128 + the signal if it was killed), once FILE is\n"
	"  written. 1 when CMD cannot be traced: a statically linked executable\n"
	"  (no PT_INTERP) ignores LD_PRELOAD and is refused before it runs with\n"
	"  `mlcore-emu trace: CMD is statically linked; LD_PRELOAD cannot trace it`;\n"
	"  also 1 when CMD read no regular file or the trace would be too large.\n"
	"  127 when CMD is not found.\n"
	"\nENVIRONMENT\n"
	"  MLCORE_EMU_TRACE_LIB  the recorder library (default: next to mlcore-emu)\n"
	"  TMPDIR                where the events file is kept while CMD runs\n"
	"\nEXAMPLES\n"
	"  mlcore-emu trace record --out tar.mlt -- tar -cf /tmp/inc.tar /usr/include\n"
	"  mlcore-emu trace record --out cc.mlt -- cc -c hello.c -o /tmp/hello.o\n"
	"  mlcore-emu serve --root /tmp/ml --loop-workload tar.mlt\n"
	"\nSEE ALSO\n"
	"  docs/closed-loop.md, \"Workload traces\".\n";

namespace {

constexpr const char *kTraceLib = "libmlcore-trace.so";

[[noreturn]] void fail(const std::string &msg)
{
	throw TraceError(msg);
}

#ifndef MLC_TRACE_BUILD_PATH
#define MLC_TRACE_BUILD_PATH ""
#endif

// $MLCORE_EMU_TRACE_LIB, else next to this binary, else the build's path.
std::string find_trace_library()
{
	return find_helper_library(kTraceLib, "MLCORE_EMU_TRACE_LIB", "tools/trace",
				   MLC_TRACE_BUILD_PATH);
}

// CMD as execvp would find it ("" when it would not).
std::string resolve_command(const std::string &cmd)
{
	if (cmd.find('/') != std::string::npos)
		return access(cmd.c_str(), X_OK) == 0 ? cmd : std::string();
	const char *path = getenv("PATH");
	std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
	size_t start = 0;
	while (start <= dirs.size()) {
		size_t end = dirs.find(':', start);
		if (end == std::string::npos)
			end = dirs.size();
		std::string dir = dirs.substr(start, end - start);
		fs::path p = fs::path(dir.empty() ? "." : dir) / cmd;
		struct stat st;
		if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
		    access(p.c_str(), X_OK) == 0)
			return p.string();
		start = end + 1;
	}
	return {};
}

// Whether the file is an ELF executable without PT_INTERP (a static one,
// static-pie included): LD_PRELOAD means nothing to it.  Scripts and
// anything else: false (their interpreter is what runs).
bool statically_linked(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	Elf64_Ehdr eh;
	if (!f.read(reinterpret_cast<char *>(&eh), EI_NIDENT))
		return false;
	if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return false;
	f.seekg(0);
	if (eh.e_ident[EI_CLASS] == ELFCLASS64) {
		if (!f.read(reinterpret_cast<char *>(&eh), sizeof(eh)))
			return false;
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;
			f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * sizeof(ph)));
			if (!f.read(reinterpret_cast<char *>(&ph), sizeof(ph)))
				return false;
			if (ph.p_type == PT_INTERP)
				return false;
		}
		return true;
	}
	if (eh.e_ident[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr e32;
		if (!f.read(reinterpret_cast<char *>(&e32), sizeof(e32)))
			return false;
		for (unsigned i = 0; i < e32.e_phnum; i++) {
			Elf32_Phdr ph;
			f.seekg(static_cast<std::streamoff>(e32.e_phoff + i * sizeof(ph)));
			if (!f.read(reinterpret_cast<char *>(&ph), sizeof(ph)))
				return false;
			if (ph.p_type == PT_INTERP)
				return false;
		}
		return true;
	}
	return false;
}

std::vector<mlcore_trace_event> read_events(const std::string &path)
{
	std::ifstream f(path, std::ios::binary);
	std::vector<mlcore_trace_event> ev;
	mlcore_trace_event e;
	while (f.read(reinterpret_cast<char *>(&e), sizeof(e)))
		if (e.len > 0)
			ev.push_back(e);
	return ev;
}

}  // namespace

int trace_record(const TraceRecordArgs &args)
{
	if (args.out.empty())
		fail("trace record needs --out FILE");
	if (args.command.empty())
		fail("trace record needs a command: mlcore-emu trace record --out FILE -- "
		     "CMD [ARGS...]");
	const std::string &cmd = args.command[0];
	std::string exe = resolve_command(cmd);
	if (exe.empty()) {
		fmt::print(stderr, "mlcore-emu trace: cannot run {}: {}\n", cmd,
			   strerror(ENOENT));
		return 127;	// as a shell reports it
	}
	if (statically_linked(exe))
		fail(fmt::format("{} is statically linked; LD_PRELOAD cannot trace it", cmd));
	std::string lib = find_trace_library();
	if (lib.empty())
		fail(fmt::format("cannot find {} (looked next to this binary and at its "
				 "build path); set MLCORE_EMU_TRACE_LIB to its path",
				 kTraceLib));

	// The events file: private, removed whatever happens.
	const char *tmp = getenv("TMPDIR");
	std::string events = fmt::format("{}/mlcore-trace.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int efd = mkstemp(events.data());
	if (efd < 0)
		fail(fmt::format("cannot create the events file {}: {}", events,
				 strerror(errno)));
	close(efd);
	struct Remove {
		std::string path;
		~Remove() { unlink(path.c_str()); }
	} remove_events{events};

	std::string preload = lib;
	if (const char *old = getenv("LD_PRELOAD"); old && *old)
		preload += std::string(":") + old;

	// As system(3) does: the terminal's signals go to CMD, and we write the
	// trace of what it did.
	struct sigaction ign{}, old_int{}, old_quit{};
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	pid_t pid = fork();
	if (pid < 0)
		fail(fmt::format("fork: {}", strerror(errno)));
	if (pid == 0) {
		sigaction(SIGINT, &old_int, nullptr);
		sigaction(SIGQUIT, &old_quit, nullptr);
		setenv("LD_PRELOAD", preload.c_str(), 1);
		setenv(MLCORE_TRACE_EVENTS_ENV, events.c_str(), 1);
		std::vector<char *> argv;
		for (const auto &a : args.command)
			argv.push_back(const_cast<char *>(a.c_str()));
		argv.push_back(nullptr);
		execv(exe.c_str(), argv.data());
		int err = errno;
		fmt::print(stderr, "mlcore-emu trace: cannot run {}: {}\n", cmd, strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, nullptr);
	sigaction(SIGQUIT, &old_quit, nullptr);
	int rc = WIFEXITED(status) ? WEXITSTATUS(status)
		 : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 1;
	if (WIFEXITED(status) && (rc == 126 || rc == 127)) {
		// exec failed (already said why): no trace of a command that never ran.
		struct stat st;
		if (stat(events.c_str(), &st) == 0 && st.st_size == 0)
			return rc;
	}

	std::vector<uint8_t> bytes;
	TraceSummary sum = events_to_trace(read_events(events), &bytes);
	std::string tmp_out = args.out + ".tmp";
	{
		std::ofstream o(tmp_out, std::ios::binary | std::ios::trunc);
		o.write(reinterpret_cast<const char *>(bytes.data()),
			static_cast<std::streamsize>(bytes.size()));
		if (!o.flush())
			fail(fmt::format("cannot write {}: {}", tmp_out, strerror(errno)));
	}
	if (rename(tmp_out.c_str(), args.out.c_str()) != 0) {
		int err = errno;
		unlink(tmp_out.c_str());
		fail(fmt::format("cannot write {}: {}", args.out, strerror(err)));
	}
	fmt::print(stderr, "mlcore-emu trace: {} reads of {} files -> {} runs over {} pages "
		   "({} bytes) in {}\n", sum.reads, sum.files, sum.runs, sum.file_pages,
		   sum.bytes, args.out);
	return rc;
}

}  // namespace mlc::cli

// SPDX-License-Identifier: GPL-2.0
//
// The subcommands of mlcore-emu, given values the command line has checked
// (command_line.cc).  Each returns the process exit status and throws the
// reason of a failure, which main prints as one line with the fix where
// there is one.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "emulator/clock.hpp"

struct mlcore_trace_event;

namespace mlc::cli {

// A failure of `trace`: main prints it as "mlcore-emu trace: WHAT".
class TraceError : public std::runtime_error {
public:
	using std::runtime_error::runtime_error;
};

struct TraceRecordArgs {
	std::string out; // the trace file to write
	std::vector<std::string> command; // CMD [ARGS...]
};

// `mlcore-emu trace --help`'s manual text.
extern const char *const kTraceFooter;

// What events_to_trace() made.
struct TraceSummary {
	uint64_t reads = 0, files = 0, runs = 0, file_pages = 0, bytes = 0;
};

struct ServeArgs {
	std::string root; // "" only with cuse: devices alone
	bool cuse = false; // + /dev/mlcore, /dev/mllibdev, /dev/mlloop
	std::string instance = "default";
	bool foreground = false;
	bool allow_other = false;
	bool debug = false;
	std::optional<ClockSpec> clock;
	std::optional<uint64_t> seed;
	std::optional<uint64_t> log_buf_size; // a new instance's kernel log ring
	std::string loop_workload; // a trace for ml_readahead's workload
};

struct RunArgs {
	std::string instance = "default";
	bool rm = false; // remove the instance when CMD exits
	std::optional<ClockSpec> clock;
	std::optional<uint64_t> seed;
	std::optional<uint64_t> log_buf_size; // a new instance's kernel log ring
	std::string loop_workload; // a trace for ml_readahead's workload
	std::vector<std::string> command; // CMD [ARGS...]
};

struct DemoArgs {
	std::string out = "mlcore-demo.png"; // the plot
	unsigned epochs = 150; // per loop agent
	uint64_t seed = 1; // the instance's seed
	std::string work; // "" = a temporary directory, removed
	std::string iris_data; // "" = Debian's python3-sklearn iris.csv
	unsigned progress_every = 10; // loop progress lines
	bool no_plot = false;
	std::string door = "auto"; // auto, fuse or preload
	std::string python = "auto"; // the Python agents: auto, on, off
	std::string trace; // a recorded MLTRACE file, or ""
};

struct ConformanceArgs {
	std::vector<std::string> modules; // .ko files; empty: build ours
	std::string profile; // "" = from the modules
	std::string seeds = "1-10";
	unsigned ops = 300;
	std::string work; // "" = a new /tmp directory
	std::string bin_dir; // "" = this executable's build tree
	std::string source_dir; // "" = from its CMakeCache.txt
};

int serve(const ServeArgs &args);
// Runs the QEMU conformance suite (test/qemu/run-conformance.sh).
int conformance(const ConformanceArgs &args);
// Runs a command with the preload door; returns only on failure.
int run(const RunArgs &args);
// Runs the reference agents against a private served instance, plots.
int demo(const DemoArgs &args);
// Stops what serves root (with --cuse, its devices too), or, with root
// empty, every server of instance.
int stop(const std::string &root, const std::string &instance = "");
int status(const std::string &instance);
int dmesg(const std::string &instance, bool follow, bool raw);
int reset(const std::string &instance, const std::optional<ClockSpec> &clock);
int list();
// `rm NAME...`, `rm --stale` (src/cli/lifecycle.cc).
int rm(const std::vector<std::string> &names, bool force, bool stale);
// `run --rm`: runs argv as a child, removes the instance, returns its status.
int run_then_remove(const std::string &instance, char *const argv[]);
// `trace record`: runs CMD under the recorder, writes the trace; CMD's
// exit status.
int trace_record(const TraceRecordArgs &args);
// The recorder's events as a workload trace (docs/closed-loop.md); throws
// TraceError when they make no valid trace.
TraceSummary events_to_trace(const std::vector<mlcore_trace_event> &events,
			     std::vector<uint8_t> *out);

} // namespace mlc::cli

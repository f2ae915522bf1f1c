// SPDX-License-Identifier: GPL-2.0
//
// `mlcore-emu demo`: the whole loop in one command.  It creates a private,
// seeded instance, serves it with the FUSE door at a temporary root (or,
// without /dev/fuse, re-runs itself under the preload door, where the root
// is "/" and the real paths are served in-process), runs the reference
// agents of src/agent/ against that root through the agent SDK (paths and
// ioctls only, as on the real kernel):
//   1. the iris agent on /dev/mlcore (accuracy vs a majority baseline),
//   2. the loop agents on /dev/mlloop: the policy agent (closed loop v2),
//      the window agent (v1) next to it, the policy saboteur (--bad), and,
//      with --trace, the policy agent on a recorded program's accesses,
// plots efficiency against the ceiling, the share of the hindsight gain
// captured and the mode over the epochs with gnuplot, prints a summary,
// and cleans up (unmount, instance removed, temporary files gone).
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <spawn.h>
#include <algorithm>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "agent/iris_agent.hpp"
#include "agent/loop_agent.hpp"
#include "cli/commands.hpp"
#include "cli/demo_parts.hpp"
#include "emulator/instance.hpp"

extern char **environ;

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

std::string pct(double ratio)
{
	return fmt::format("{:+.1f}%", (ratio - 1.0) * 100.0);
}

// Writes a recorded trace (or "synthetic") to the loop's `workload`
// attribute: one open, write(2) until everything is taken (the attribute
// takes at most 4096 bytes per write).  "" or the reason it failed.
std::string write_workload(const fs::path &root, const std::string &bytes)
{
	const fs::path attr =
		root / "sys/class/ml_lib_loop/mlloop/ml_readahead/workload";
	int fd = open(attr.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ?
			       fmt::format(
				       "{} does not exist: this build has no recorded-trace "
				       "workload (closed loop v2 item 3)",
				       attr.string()) :
			       fmt::format("open {}: {}", attr.string(),
					   strerror(errno));
	size_t off = 0;
	std::string err;
	while (off < bytes.size()) {
		ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = fmt::format("write {}: {}", attr.string(),
					  n < 0 ? strerror(errno) :
						  "wrote nothing");
			break;
		}
		off += size_t(n);
	}
	close(fd);
	return err;
}

std::string epoch_text(const std::optional<uint64_t> &e)
{
	return e ? fmt::format("after epoch {}", *e) :
		   std::string("not within the run");
}

// Set by the outer demo for the one it runs under the preload door.
constexpr const char *kInsideEnv = "MLCORE_EMU_DEMO_INSIDE"; // "temp" or "keep"

// /dev/fuse is the FUSE device (10:229), and we may open it.
bool fuse_usable()
{
	struct stat st;
	if (stat("/dev/fuse", &st) != 0 || !S_ISCHR(st.st_mode) ||
	    major(st.st_rdev) != 10 || minor(st.st_rdev) != 229)
		return false;
	int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

// Runs this demo again as `mlcore-emu run --instance I --seed S -- demo
// --door preload ...`: the agents then see /dev/mlcore, /dev/mlloop, ...
// served in-process.  In a child: the preload door of the demo's own
// process writes its registry of open files until that process exits, so
// only a parent can remove the instance and the temporary work directory
// afterwards.  Returns the demo's exit status.
int run_preload_demo(const DemoArgs &args, const fs::path &work, bool temp,
		     const std::string &instance);

int rerun_under_preload(const DemoArgs &args, const fs::path &work, bool temp,
			const std::string &instance)
{
	std::fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		throw InstanceError(fmt::format("fork: {}", strerror(errno)));
	if (pid == 0)
		_exit(run_preload_demo(args, work, temp, instance));
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	Instance::remove(instance);
	if (temp) {
		std::error_code ec;
		fs::remove_all(work, ec);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int run_preload_demo(const DemoArgs &args, const fs::path &work, bool temp,
		     const std::string &instance)
{
	std::vector<std::string> cmd{ "/proc/self/exe",
				      "demo",
				      "--door",
				      "preload",
				      "--out",
				      fs::absolute(args.out).string(),
				      "--epochs",
				      std::to_string(args.epochs),
				      "--seed",
				      std::to_string(args.seed),
				      "--work",
				      work.string(),
				      "--progress-every",
				      std::to_string(args.progress_every),
				      "--python",
				      args.python };
	if (!args.iris_data.empty())
		cmd.insert(cmd.end(), { "--iris-data", args.iris_data });
	if (args.no_plot)
		cmd.push_back("--no-plot");
	if (!args.trace.empty())
		cmd.insert(cmd.end(),
			   { "--trace", fs::absolute(args.trace).string() });
	setenv(kInsideEnv, temp ? "temp" : "keep", 1);
	RunArgs ra;
	ra.instance = instance;
	ra.seed = args.seed;
	ra.command = std::move(cmd);
	return run(ra);
}

// A real program whose reads the policy agent also learns on (closed loop
// v2): tar over a tree every Debian has, its archive piped away (tar reads
// nothing when its archive is /dev/null), recorded by `trace record`.
// Returns the trace file, or "" with *why.
std::string record_demo_trace(const fs::path &work, std::string *why)
{
	// At most 2000 files (each takes its own 256-page extent of the
	// simulated file, 2^20 pages in all), the first in name order.
	constexpr size_t kMaxFiles = 2000;
	std::vector<std::string> files;
	for (const char *d : { "/usr/share/doc", "/usr/share/common-licenses",
			       "/usr/include" }) {
		std::error_code ec;
		for (auto it = fs::recursive_directory_iterator(d, ec);
		     !ec && it != fs::recursive_directory_iterator();
		     it.increment(ec))
			if (it->is_regular_file(ec) && !it->is_symlink(ec))
				files.push_back(it->path().string());
		if (!files.empty())
			break;
	}
	if (files.empty()) {
		*why = "no /usr/share/doc, /usr/share/common-licenses or /usr/include to read";
		return "";
	}
	std::sort(files.begin(), files.end());
	if (files.size() > kMaxFiles)
		files.resize(kMaxFiles);
	const std::string list = (work / "tar-files.txt").string();
	{
		std::ofstream l(list);
		for (const auto &f : files)
			l << f << '\n';
	}
	const std::string tree = fmt::format("-T {}", list);
	const std::string out = (work / "tar.mltrace").string();
	const std::string line = fmt::format(
		"tar -cf - {} 2>/dev/null | wc -c > /dev/null", tree);
	fmt::print(
		"recording: mlcore-emu trace record --out {} -- sh -c '{}'\n",
		out, line);
	std::fflush(stdout);
	std::vector<std::string> cmd{ "/proc/self/exe", "trace", "record",
				      "--out",		out,	 "--",
				      "/bin/sh",	"-c",	 line };
	std::vector<char *> argv;
	for (auto &a : cmd)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(),
			      environ);
	int status = 0;
	while (!err && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			err = errno;
	if (err || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !fs::exists(out)) {
		*why = err ? fmt::format("trace record: {}", strerror(err)) :
			     fmt::format("trace record exited {}",
					 WIFEXITED(status) ?
						 WEXITSTATUS(status) :
						 128 + WTERMSIG(status));
		return "";
	}
	return out;
}

// --- the steps --------------------------------------------------------------

// Where one demo runs: chosen before anything is served.
struct DemoSite {
	bool inside = false; // the inner demo, under the preload door
	bool preload = false; // the agents use the real paths ("/")
	bool keep = false; // --work given: the work directory stays
	fs::path out, work, state, root;
	std::string instance;
	std::string trace_why; // why no recorded trace runs, or ""
	// ROOT/PATH ("/dev/mlcore" under the preload door).
	std::string at(const char *path) const
	{
		return (root / path).string();
	}
	std::string csv(const char *name) const
	{
		return (work / name).string();
	}
};

// The door, the work directory, the private instance (its own state
// directory, name and seed: under the preload door the outer demo chose
// them and the root is "/"), and the recorded trace: given, none, or
// recorded here (once, outside).
DemoSite plan_demo(DemoArgs &args)
{
	DemoSite site;
	const char *inside = getenv(kInsideEnv);
	site.inside = inside != nullptr;
	site.preload = args.door == "preload" ||
		       (args.door == "auto" && !inside && !fuse_usable());
	if (inside && args.door == "preload")
		unsetenv(kInsideEnv); // not for the agents' children
	if (args.epochs < 1 || args.epochs > 10000)
		throw InstanceError("--epochs must be 1..10000");
	site.out = fs::absolute(args.out);
	site.keep = inside ? std::string_view(inside) == "keep" :
			     !args.work.empty();
	if (site.keep) {
		site.work = fs::absolute(args.work);
		fs::create_directories(site.work);
	} else {
		char tmpl[] = "/tmp/mlcore-demo.XXXXXX";
		if (!mkdtemp(tmpl))
			throw InstanceError(
				fmt::format("mkdtemp: {}", strerror(errno)));
		site.work = tmpl;
	}
	site.state = site.work / "state";
	site.root = site.preload ? fs::path("/") : site.work / "root";
	const char *inst_env = getenv("MLCORE_EMU_INSTANCE");
	site.instance = inside && inst_env ? std::string(inst_env) :
					     fmt::format("demo-{}", getpid());
	if (args.trace == "none") {
		args.trace.clear();
		site.trace_why = "none (--trace none)";
	} else if (args.trace.empty() && !inside) {
		fmt::print(
			"\n== recording a real program's reads for the loop\n");
		args.trace = record_demo_trace(site.work, &site.trace_why);
		if (args.trace.empty())
			site.trace_why = "NOT RECORDED: " + site.trace_why;
	}
	return site;
}

// [1/5]: the instance served with the FUSE door, or (preload) already
// served in-process.  Whether a mount was made.
bool serve_demo_instance(const DemoArgs &args, const DemoSite &site)
{
	if (site.preload) {
		fmt::print("\n== [1/5] a private instance '{}' served by the "
			   "preload door at the real paths\n",
			   site.instance);
		std::fflush(stdout);
		return false;
	}
	fmt::print("\n== [1/5] a private instance served with the FUSE door\n");
	std::fflush(stdout);
	ServeArgs sa;
	sa.root = site.root.string();
	sa.instance = site.instance;
	sa.seed = args.seed;
	serve(sa);
	std::fflush(stdout);
	return true;
}

// [2/5]: the iris agent on /dev/mlcore.
agent::IrisReport run_iris_step(const DemoArgs &args, const DemoSite &site)
{
	fmt::print("\n== [2/5] mlcore: the iris agent (ioctls on {})\n",
		   site.at("dev/mlcore"));
	std::fflush(stdout);
	agent::IrisOptions io;
	io.root = site.root.string();
	io.seed = args.seed;
	io.progress = &std::cout;
	if (!args.iris_data.empty())
		io.data = args.iris_data;
	agent::IrisReport iris = agent::run_iris_agent(io);
	fmt::print("iris: {} accuracy {}/{} = {:.3f}; majority-class baseline "
		   "{}/{} = {:.3f}\n",
		   iris.classifier, iris.correct, iris.tested, iris.accuracy(),
		   iris.baseline_correct, iris.tested, iris.baseline());
	return iris;
}

struct LoopRuns {
	agent::LoopReport policy, window, bad;
	std::optional<agent::LoopReport> traced; // on the recorded trace
	std::string trace_line; // what the summary says of it
	bool trace_failed = false;
};

agent::LoopAgentOptions loop_options(const DemoArgs &args, const DemoSite &site)
{
	agent::LoopAgentOptions lo;
	lo.root = site.root.string();
	lo.epochs = args.epochs;
	lo.progress = &std::cout;
	lo.progress_every = args.progress_every;
	return lo;
}

// [3/5] the policy agent, then the window agent; [4/5] the saboteur.
void run_loop_steps(const DemoArgs &args, const DemoSite &site, LoopRuns *runs)
{
	fmt::print(
		"\n== [3/5] closed loop: the policy agent, then the window agent "
		"({} epochs each on {})\n",
		args.epochs, site.at("dev/mlloop"));
	std::cout.flush();
	agent::LoopAgentOptions lo = loop_options(args, site);
	lo.csv = site.csv("loop-policy.csv");
	lo.name = "policy";
	runs->policy = agent::run_loop_agent(lo);
	lo.kind = agent::LoopAgentKind::window;
	lo.csv = site.csv("loop-window.csv");
	lo.name = "window";
	runs->window = agent::run_loop_agent(lo);

	fmt::print(
		"\n== [4/5] closed loop: the bad agent (a policy saboteur: good "
		"until trusted with collaboration, then every leaf at the other end)\n");
	std::cout.flush();
	lo.kind = agent::LoopAgentKind::policy;
	lo.bad = true;
	lo.csv = site.csv("loop-bad.csv");
	lo.name = "bad";
	runs->bad = agent::run_loop_agent(lo);
}

// [4/5] the policy agent on a recorded program's accesses (closed loop v2
// item 3), through the loop's `workload` attribute, if there is a trace.
void run_trace_step(const DemoArgs &args, const DemoSite &site, LoopRuns *runs)
{
	runs->trace_line = site.trace_why.empty() ? "none" : site.trace_why;
	if (args.trace.empty())
		return;
	fmt::print("\n== [4/5] closed loop: the policy agent on the recorded "
		   "trace {}\n",
		   args.trace);
	std::ifstream in(args.trace, std::ios::binary);
	std::string bytes((std::istreambuf_iterator<char>(in)),
			  std::istreambuf_iterator<char>());
	std::string err = in.bad() || (!in.eof() && in.fail()) ?
				  fmt::format("read {}: failed", args.trace) :
				  write_workload(site.root, bytes);
	if (err.empty()) {
		agent::LoopAgentOptions lo = loop_options(args, site);
		lo.csv = site.csv("loop-trace.csv");
		lo.name = "trace";
		runs->traced = agent::run_loop_agent(lo);
		err = write_workload(site.root, "synthetic\n");
		runs->trace_line = fs::path(args.trace)
					   .filename()
					   .string(); // stable across runs
	}
	if (!err.empty()) {
		runs->trace_line = "NOT RUN: " + err;
		runs->trace_failed = true;
	}
	fmt::print("recorded trace: {}\n", runs->trace_line);
}

// [5/5] the plot; what the summary says of it, and whether it was drawn
// (or not asked for).
std::string draw_plot_step(const DemoArgs &args, const DemoSite &site,
			   const LoopRuns &runs, bool *ok)
{
	fmt::print("\n== [5/5] plot\n");
	const std::string script = site.csv("plot.gp");
	std::ofstream(script) << plot_script(
		site.out.string(), site.csv("loop-policy.csv"),
		site.csv("loop-window.csv"), site.csv("loop-bad.csv"),
		runs.traced ? site.csv("loop-trace.csv") : std::string(),
		args.seed, args.epochs, runs.bad.turned_bad_epoch);
	std::string line;
	*ok = true;
	if (args.no_plot) {
		line = "not drawn (--no-plot)";
	} else if (int r = run_gnuplot(script); r == -ENOENT) {
		line = "NOT DRAWN: gnuplot is missing (apt-get install gnuplot-nox, or run "
		       "scripts/setup.sh)";
		*ok = false;
	} else if (r != 0 || !fs::exists(site.out)) {
		line = fmt::format("NOT DRAWN: gnuplot {} {}",
				   r < 0 ? "could not start:" : "exited",
				   r < 0 ? strerror(-r) : std::to_string(r));
		*ok = false;
	} else {
		line = site.out.string();
	}
	fmt::print("plot: {}\n", line);
	return line;
}

// The summary printed last, after the clean-up.
std::string summary_text(const DemoArgs &args, const DemoSite &site,
			 const agent::IrisReport &iris, const LoopRuns &runs,
			 const PythonResults &py, const std::string &plot_line)
{
	using agent::LoopReport;
	std::string sum;
	auto line = [&sum](std::string_view key, const std::string &value) {
		sum += fmt::format("  {:<26} {}\n", key, value);
	};
	auto agent_lines = [&](const LoopReport &r) {
		double e = r.cumulative_efficiency();
		line("reached recommendation:",
		     epoch_text(r.recommendation_epoch));
		line("final mode:",
		     fmt::format("{} (highest {})",
				 agent::mode_name(r.final_mode),
				 agent::mode_name(r.highest_mode)));
		line("cumulative efficiency:",
		     fmt::format("{:.3f} ({} vs the default algorithm)", e,
				 pct(e)));
		double ceiling = r.sum_best ? double(r.sum_default) /
						      double(r.sum_best) :
					      1.0;
		line("ceiling:",
		     fmt::format("{:.3f} (the hindsight-best window of every "
				 "epoch)",
				 ceiling));
		line("share of the gain captured:",
		     fmt::format("{:.3f}{}", r.share_captured(),
				 r.share_captured() > 1.0 ?
					 " (above 1: adapted inside epochs)" :
					 ""));
	};
	const double bound = 0.95;
	const double be = runs.bad.cumulative_efficiency();
	sum += fmt::format("\n== summary (seed {}, {} epochs per loop agent)\n",
			   args.seed, args.epochs);
	sum += fmt::format(
		"mlcore, iris ({} of {} samples held out; sepal length, "
		"petal length, petal width):\n",
		iris.tested, iris.samples);
	line(iris.classifier + " accuracy:",
	     fmt::format("{:.3f}", iris.accuracy()));
	line("majority-class baseline:",
	     fmt::format("{:.3f}", iris.baseline()));
	sum += "closed loop, policy agent (closed loop v2, the default):\n";
	agent_lines(runs.policy);
	line("policies written:", std::to_string(runs.policy.policies_written));
	sum += "closed loop, window agent (v1):\n";
	agent_lines(runs.window);
	sum += "closed loop, bad agent (policy saboteur):\n";
	line("turned bad:", epoch_text(runs.bad.turned_bad_epoch));
	line("demoted to emergency:", epoch_text(runs.bad.demoted_epoch));
	line("final mode:", agent::mode_name(runs.bad.final_mode));
	line("cumulative efficiency:",
	     fmt::format("{:.3f} (documented bound: >= {:.2f}: {})", be, bound,
			 be >= bound ? "held" : "VIOLATED"));
	if (py.ran) {
		sum += "python agents (mlcore_agent, scikit-learn):\n";
		sum += fmt::format("  iris, {}\n", py.iris_accuracy);
		sum += fmt::format(
			"  loop (decision tree), {} (C++ window agent: {:.3f}, "
			"policy agent: {:.3f})\n",
			py.loop_line, runs.window.cumulative_efficiency(),
			runs.policy.cumulative_efficiency());
	} else {
		sum += fmt::format("python agents: {}\n", py.why_not);
	}
	sum += fmt::format("closed loop, recorded trace: {}\n",
			   runs.trace_line);
	if (runs.traced)
		agent_lines(*runs.traced);
	sum += fmt::format("plot: {}\n", plot_line);
	if (site.keep)
		sum += fmt::format(
			"traces: {}, {}, {}{}\n", site.csv("loop-policy.csv"),
			site.csv("loop-window.csv"), site.csv("loop-bad.csv"),
			runs.traced ? ", " + site.csv("loop-trace.csv") :
				      std::string());
	return sum;
}

// Unmounts what was served, removes the instance and (unless kept) the
// work directory, whatever happened.
void clean_up_demo(const DemoSite &site, bool served)
{
	std::cout.flush();
	if (served) {
		try {
			stop(site.root.string());
		} catch (const std::exception &e) {
			fmt::print(stderr, "mlcore-emu: demo cleanup: {}\n",
				   e.what());
		}
	}
	Instance::remove(site.instance);
	std::error_code ec;
	if (!site.keep)
		fs::remove_all(site.work, ec);
}

} // namespace

int demo(const DemoArgs &given)
{
	DemoArgs args = given;
	const DemoSite site = plan_demo(args);
	if (site.preload && !site.inside) {
		setenv("MLCORE_EMU_STATE_DIR", site.state.c_str(), 1);
		fmt::print(
			"mlcore-emu demo: no usable /dev/fuse, or --door preload: "
			"running under the preload door\n");
		std::fflush(stdout);
		return rerun_under_preload(args, site.work, !site.keep,
					   site.instance);
	}
	if (!site.inside)
		setenv("MLCORE_EMU_STATE_DIR", site.state.c_str(), 1);

	bool served = false;
	std::string sum;
	int status = 0;
	try {
		fmt::print(
			"mlcore-emu demo: seed {}, {} epochs per loop agent, work in {}\n",
			args.seed, args.epochs, site.work.string());
		served = serve_demo_instance(args, site);
		agent::IrisReport iris = run_iris_step(args, site);
		LoopRuns runs;
		run_loop_steps(args, site, &runs);
		PythonResults py = run_python_agents(args, site.root.string());
		run_trace_step(args, site, &runs);
		bool drawn = true;
		std::string plot_line =
			draw_plot_step(args, site, runs, &drawn);
		if (runs.trace_failed || !drawn)
			status = 1;
		sum = summary_text(args, site, iris, runs, py, plot_line);
	} catch (...) {
		clean_up_demo(site, served);
		throw;
	}
	fmt::print("\n== cleaning up\n");
	clean_up_demo(site, served);
	fmt::print("{}", sum);
	return status;
}

} // namespace mlc::cli

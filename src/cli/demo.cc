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
#include "emulator/instance.hpp"

extern char **environ;

namespace fs = std::filesystem;

namespace mlc::cli {

namespace {

std::string pct(double ratio)
{
	return fmt::format("{:+.1f}%", (ratio - 1.0) * 100.0);
}

// A gnuplot single-quoted string: a quote is doubled.
std::string gp_quote(const std::string &s)
{
	std::string out;
	for (char c : s) {
		out += c;
		if (c == '\'')
			out += '\'';
	}
	return out;
}

// The gnuplot program: three panels over the epochs: efficiency on top
// (cumulative of every agent, the ceiling of the hindsight-best windows,
// the default's 1.0 and the 0.95 bound), the share of the achievable gain
// captured in the middle, the mode below.  trace_csv may be "".
std::string plot_script(const std::string &png, const std::string &policy_csv,
			const std::string &window_csv, const std::string &bad_csv,
			const std::string &trace_csv, uint64_t seed, unsigned epochs,
			std::optional<uint64_t> turned_bad)
{
	// Where the saboteur turns bad: a dotted line in the mode panel.
	std::string mark;
	if (turned_bad)
		mark = fmt::format("set arrow 1 from {0}, graph 0 to {0}, graph 1 nohead "
				   "lc rgb '#d05000' dt 3\nset label 1 'bad agent turns bad' "
				   "at {0}, graph 0.2 offset 0.5, 0 tc rgb '#d05000'\n",
				   *turned_bad);
	std::string trace_eff, trace_share;
	if (!trace_csv.empty()) {
		trace_eff = fmt::format(", \\\n     '{0}' using 1:11 with lines lc rgb '#2a9d2a' "
					"lw 2 title 'policy agent, recorded trace: cumulative', "
					"\\\n     '{0}' using 1:14 with lines lc rgb '#2a9d2a' dt 2 "
					"title 'recorded trace: ceiling'",
					gp_quote(trace_csv));
		trace_share = fmt::format(", \\\n     '{0}' using 1:13 with lines lc rgb "
					  "'#2a9d2a' lw 2 title 'policy agent, recorded trace'",
					  gp_quote(trace_csv));
	}
	return fmt::format(R"GP(set terminal pngcairo size 1200,1100 font "Sans,11"
set output '{png}'
set datafile separator ','
set key autotitle columnhead
set multiplot layout 3,1 title "mlcore-emu demo: closed learning loop (readahead sizing, seed {seed}, {epochs} epochs per agent)"
set lmargin 18
set grid ytics lc rgb '#dddddd'
set xrange [0:{epochs}]
set ylabel 'cumulative efficiency (default = 1.0)'
set yrange [0.8:*]
set offsets 0, 0, graph 0.3, 0
set key top left horizontal maxrows 3
plot 1.0 with lines lc rgb '#555555' dt 2 title 'default algorithm', \
     0.95 with lines lc rgb '#cc0000' dt 3 title 'bound for a bad agent (0.95)', \
     '{pol}' using 1:14 with lines lc rgb '#000000' lw 2 dt 4 title 'ceiling: hindsight-best window per epoch', \
     '{pol}' using 1:11 with lines lc rgb '#1f5fbf' lw 3 title 'policy agent', \
     '{win}' using 1:11 with lines lc rgb '#8a5fbf' lw 2 title 'window agent (v1)', \
     '{bad}' using 1:11 with lines lc rgb '#d05000' lw 2 title 'bad policy agent (saboteur)'{trace_eff}
set ylabel 'share of the gain captured'
set yrange [-0.2:1.3]
set offsets 0, 0, 0, 0
set key top left horizontal
plot 1.0 with lines lc rgb '#000000' dt 4 title 'the ceiling (above 1: beyond every fixed window)', \
     0.70 with lines lc rgb '#999999' dt 3 title 'target 0.70', \
     '{pol}' using 1:13 with lines lc rgb '#1f5fbf' lw 3 title 'policy agent', \
     '{win}' using 1:13 with lines lc rgb '#8a5fbf' lw 2 title 'window agent (v1)'{trace_share}
set ylabel 'mode'
set xlabel 'epoch'
set yrange [0.7:4.5]
set ytics ('emergency' 1, 'learning' 2, 'collaboration' 3, 'recommendation' 4)
set key top left horizontal
{mark}plot '{pol}' using 1:10 with steps lc rgb '#1f5fbf' lw 3 title 'policy agent', \
     '{win}' using 1:($10-0.06) with steps lc rgb '#8a5fbf' lw 2 title 'window agent (v1)', \
     '{bad}' using 1:($10-0.12) with steps lc rgb '#d05000' lw 2 title 'bad policy agent (saboteur)'
unset multiplot
)GP",
			   fmt::arg("png", gp_quote(png)), fmt::arg("pol", gp_quote(policy_csv)),
			   fmt::arg("win", gp_quote(window_csv)), fmt::arg("bad", gp_quote(bad_csv)),
			   fmt::arg("trace_eff", trace_eff), fmt::arg("trace_share", trace_share),
			   fmt::arg("seed", seed), fmt::arg("epochs", epochs), fmt::arg("mark", mark));
}

// Writes a recorded trace (or "synthetic") to the loop's `workload`
// attribute: one open, write(2) until everything is taken (the attribute
// takes at most 4096 bytes per write).  "" or the reason it failed.
std::string write_workload(const fs::path &root, const std::string &bytes)
{
	const fs::path attr = root / "sys/class/ml_lib_loop/mlloop/ml_readahead/workload";
	int fd = open(attr.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT
			       ? fmt::format("{} does not exist: this build has no recorded-trace "
					     "workload (closed loop v2 item 3)", attr.string())
			       : fmt::format("open {}: {}", attr.string(), strerror(errno));
	size_t off = 0;
	std::string err;
	while (off < bytes.size()) {
		ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = fmt::format("write {}: {}", attr.string(),
					  n < 0 ? strerror(errno) : "wrote nothing");
			break;
		}
		off += size_t(n);
	}
	close(fd);
	return err;
}

// Runs gnuplot SCRIPT; its exit status, or -errno when it cannot start.
int run_gnuplot(const std::string &script)
{
	const char *argv[] = {"gnuplot", script.c_str(), nullptr};
	pid_t pid;
	int err = posix_spawnp(&pid, "gnuplot", nullptr, nullptr,
			       const_cast<char **>(argv), environ);
	if (err)
		return -err;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

std::string epoch_text(const std::optional<uint64_t> &e)
{
	return e ? fmt::format("after epoch {}", *e) : std::string("not within the run");
}

// Set by the outer demo for the one it runs under the preload door.
constexpr const char *kInsideEnv = "MLCORE_EMU_DEMO_INSIDE";	// "temp" or "keep"

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
	std::vector<std::string> cmd{
		"/proc/self/exe", "demo", "--door", "preload",
		"--out", fs::absolute(args.out).string(),
		"--epochs", std::to_string(args.epochs),
		"--seed", std::to_string(args.seed),
		"--work", work.string(),
		"--progress-every", std::to_string(args.progress_every),
		"--python", args.python};
	if (!args.iris_data.empty())
		cmd.insert(cmd.end(), {"--iris-data", args.iris_data});
	if (args.no_plot)
		cmd.push_back("--no-plot");
	if (!args.trace.empty())
		cmd.insert(cmd.end(), {"--trace", fs::absolute(args.trace).string()});
	setenv(kInsideEnv, temp ? "temp" : "keep", 1);
	RunArgs ra;
	ra.instance = instance;
	ra.seed = args.seed;
	ra.command = std::move(cmd);
	return run(ra);
}


// --- the Python agents (--python): mlcore_agent with scikit-learn ---------------

#ifndef MLC_PYTHON3
#define MLC_PYTHON3 "/usr/bin/python3"
#endif
#ifndef MLC_PYTHON_SRC
#define MLC_PYTHON_SRC ""
#endif

struct PythonResults {
	bool ran = false;
	std::string iris_accuracy, loop_line, why_not;
};

// Runs argv with PYTHONPATH led by the checkout's SDK; (exit status, stdout).
std::pair<int, std::string> run_python(const std::vector<std::string> &args)
{
	std::vector<std::string> envs;
	for (char **e = environ; *e; e++)
		if (std::strncmp(*e, "PYTHONPATH=", 11) != 0)
			envs.emplace_back(*e);
	const char *old = getenv("PYTHONPATH");
	envs.push_back(fmt::format("PYTHONPATH={}{}{}", MLC_PYTHON_SRC,
				   old && *old ? ":" : "", old ? old : ""));
	std::vector<char *> argv, envp;
	argv.push_back(const_cast<char *>(MLC_PYTHON3));
	for (const auto &a : args)
		argv.push_back(const_cast<char *>(a.c_str()));
	argv.push_back(nullptr);
	for (auto &e : envs)
		envp.push_back(e.data());
	envp.push_back(nullptr);
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0)
		return {-errno, {}};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	pid_t pid;
	int err = posix_spawn(&pid, MLC_PYTHON3, &fa, nullptr, argv.data(), envp.data());
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	std::string out;
	char buf[4096];
	ssize_t n;
	while (!err && ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			out.append(buf, static_cast<size_t>(n));
	close(fds[0]);
	if (err)
		return {-err, {}};
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return {-errno, out};
	return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

std::string last_line_with(const std::string &out, std::string_view key)
{
	std::string found;
	size_t pos = 0;
	while (pos < out.size()) {
		size_t nl = out.find('\n', pos);
		std::string line = out.substr(pos, nl == std::string::npos ? nl : nl - pos);
		if (line.find(key) != std::string::npos)
			found = line;
		pos = nl == std::string::npos ? out.size() : nl + 1;
	}
	return found;
}

// The Python reference agents on the same root, after the C++ ones:
// `python3 -m mlcore_agent.agents.iris` and `.loop` (scikit-learn tree).
PythonResults run_python_agents(const DemoArgs &args, const std::string &root)
{
	PythonResults r;
	if (args.python == "off") {
		r.why_not = "not run (--python off)";
		return r;
	}
	auto probe = run_python({"-c", "import sklearn, mlcore_agent"});
	if (probe.first != 0) {
		r.why_not = fmt::format("not run: {} cannot import sklearn and mlcore_agent "
					"(apt-get install python3-sklearn; cmake --install)",
					MLC_PYTHON3);
		if (args.python == "on")
			throw InstanceError(r.why_not);
		return r;
	}
	fmt::print("\n== python: the Python agents (mlcore_agent, scikit-learn, {})\n",
		   MLC_PYTHON3);
	std::fflush(stdout);
	auto iris = run_python({"-m", "mlcore_agent.agents.iris", "--root", root, "--seed",
				std::to_string(args.seed)});
	auto loop = run_python({"-m", "mlcore_agent.agents.loop", "--root", root, "--epochs",
				std::to_string(args.epochs), "--progress-every",
				std::to_string(args.progress_every)});
	fmt::print("{}{}", iris.second, loop.second);
	if (iris.first != 0 || loop.first != 0)
		throw InstanceError(fmt::format("the Python agents failed (iris exit {}, loop "
						"exit {})", iris.first, loop.first));
	r.ran = true;
	r.iris_accuracy = last_line_with(iris.second, "accuracy:");
	r.loop_line = last_line_with(loop.second, "cumulative efficiency:");
	return r;
}

}  // namespace

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
	for (const char *d : {"/usr/share/doc", "/usr/share/common-licenses", "/usr/include"}) {
		std::error_code ec;
		for (auto it = fs::recursive_directory_iterator(d, ec);
		     !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
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
	const std::string line = fmt::format("tar -cf - {} 2>/dev/null | wc -c > /dev/null", tree);
	fmt::print("recording: mlcore-emu trace record --out {} -- sh -c '{}'\n", out, line);
	std::fflush(stdout);
	std::vector<std::string> cmd{"/proc/self/exe", "trace", "record", "--out", out,
				     "--", "/bin/sh", "-c", line};
	std::vector<char *> argv;
	for (auto &a : cmd)
		argv.push_back(a.data());
	argv.push_back(nullptr);
	pid_t pid;
	int err = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
	int status = 0;
	while (!err && waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			err = errno;
	if (err || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(out)) {
		*why = err ? fmt::format("trace record: {}", strerror(err))
			   : fmt::format("trace record exited {}", WIFEXITED(status)
					 ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return "";
	}
	return out;
}

int demo(const DemoArgs &given)
{
	DemoArgs args = given;
	const char *inside = getenv(kInsideEnv);
	const bool preload = args.door == "preload" ||
			     (args.door == "auto" && !inside && !fuse_usable());
	if (inside && args.door == "preload")
		unsetenv(kInsideEnv);	// not for the agents' children
	if (args.epochs < 1 || args.epochs > 10000)
		throw InstanceError("--epochs must be 1..10000");
	const fs::path out = fs::absolute(args.out);
	bool keep = inside ? std::string_view(inside) == "keep" : !args.work.empty();
	fs::path work;
	if (keep) {
		work = fs::absolute(args.work);
		fs::create_directories(work);
	} else {
		char tmpl[] = "/tmp/mlcore-demo.XXXXXX";
		if (!mkdtemp(tmpl))
			throw InstanceError(fmt::format("mkdtemp: {}", strerror(errno)));
		work = tmpl;
	}
	// A private instance: its own state directory, name and seed.  Under
	// the preload door the outer demo chose them and the root is "/".
	const fs::path state = work / "state";
	const fs::path root = preload ? fs::path("/") : work / "root";
	const char *inst_env = getenv("MLCORE_EMU_INSTANCE");
	const std::string instance = inside && inst_env
					     ? std::string(inst_env)
					     : fmt::format("demo-{}", getpid());
	// The recorded trace: given, none, or recorded here (once, outside).
	std::string trace_why;
	if (args.trace == "none") {
		args.trace.clear();
		trace_why = "none (--trace none)";
	} else if (args.trace.empty() && !inside) {
		fmt::print("\n== recording a real program's reads for the loop\n");
		args.trace = record_demo_trace(work, &trace_why);
		if (args.trace.empty())
			trace_why = "NOT RECORDED: " + trace_why;
	}
	if (preload && !inside) {
		setenv("MLCORE_EMU_STATE_DIR", state.c_str(), 1);
		fmt::print("mlcore-emu demo: no usable /dev/fuse, or --door preload: "
			   "running under the preload door\n");
		std::fflush(stdout);
		return rerun_under_preload(args, work, !keep, instance);
	}
	if (!inside)
		setenv("MLCORE_EMU_STATE_DIR", state.c_str(), 1);
	const std::string good_csv = (work / "loop-policy.csv").string();
	const std::string window_csv = (work / "loop-window.csv").string();
	const std::string bad_csv = (work / "loop-bad.csv").string();
	const std::string trace_csv = (work / "loop-trace.csv").string();
	const std::string script = (work / "plot.gp").string();

	bool served = false;
	auto cleanup = [&] {
		std::cout.flush();
		if (served) {
			try {
				stop(root.string());
			} catch (const std::exception &e) {
				fmt::print(stderr, "mlcore-emu: demo cleanup: {}\n", e.what());
			}
		}
		Instance::remove(instance);
		std::error_code ec;
		if (!keep)
			fs::remove_all(work, ec);
	};

	int status = 0;
	std::string sum;
	try {
		fmt::print("mlcore-emu demo: seed {}, {} epochs per loop agent, work in {}\n",
			   args.seed, args.epochs, work.string());
		if (preload) {
			fmt::print("\n== [1/5] a private instance '{}' served by the "
				   "preload door at the real paths\n", instance);
		} else {
			fmt::print("\n== [1/5] a private instance served with the FUSE door\n");
			std::fflush(stdout);
			ServeArgs sa;
			sa.root = root.string();
			sa.instance = instance;
			sa.seed = args.seed;
			serve(sa);
			served = true;
		}
		std::fflush(stdout);

		using namespace mlc::agent;
		// "ROOT/dev/mlcore", or "/dev/mlcore" under the preload door.
		const auto at = [&](const char *path) { return (root / path).string(); };
		fmt::print("\n== [2/5] mlcore: the iris agent (ioctls on {})\n",
			   at("dev/mlcore"));
		std::fflush(stdout);
		IrisOptions io;
		io.root = root.string();
		io.seed = args.seed;
		io.progress = &std::cout;
		if (!args.iris_data.empty())
			io.data = args.iris_data;
		IrisReport iris = run_iris_agent(io);
		fmt::print("iris: {} accuracy {}/{} = {:.3f}; majority-class baseline "
			   "{}/{} = {:.3f}\n", iris.classifier, iris.correct, iris.tested,
			   iris.accuracy(), iris.baseline_correct, iris.tested, iris.baseline());

		fmt::print("\n== [3/5] closed loop: the policy agent, then the window agent "
			   "({} epochs each on {})\n", args.epochs, at("dev/mlloop"));
		std::cout.flush();
		LoopAgentOptions lo;
		lo.root = root.string();
		lo.epochs = args.epochs;
		lo.progress = &std::cout;
		lo.progress_every = args.progress_every;
		lo.csv = good_csv;
		lo.name = "policy";
		LoopReport good = run_loop_agent(lo);
		lo.kind = LoopAgentKind::window;
		lo.csv = window_csv;
		lo.name = "window";
		LoopReport win = run_loop_agent(lo);

		fmt::print("\n== [4/5] closed loop: the bad agent (a policy saboteur: good "
			   "until trusted with collaboration, then every leaf at the other end)\n");
		std::cout.flush();
		lo.kind = LoopAgentKind::policy;
		lo.bad = true;
		lo.csv = bad_csv;
		lo.name = "bad";
		LoopReport bad = run_loop_agent(lo);
		PythonResults py = run_python_agents(args, root.string());

		// A recorded program's accesses (closed loop v2 item 3), if given.
		std::optional<LoopReport> traced;
		std::string trace_line = trace_why.empty() ? "none" : trace_why;
		if (!args.trace.empty()) {
			fmt::print("\n== [4/5] closed loop: the policy agent on the recorded "
				   "trace {}\n", args.trace);
			std::ifstream in(args.trace, std::ios::binary);
			std::string bytes((std::istreambuf_iterator<char>(in)),
					  std::istreambuf_iterator<char>());
			std::string err = in.bad() || (!in.eof() && in.fail())
						  ? fmt::format("read {}: failed", args.trace)
						  : write_workload(root, bytes);
			if (err.empty()) {
				lo.bad = false;
				lo.csv = trace_csv;
				lo.name = "trace";
				traced = run_loop_agent(lo);
				err = write_workload(root, "synthetic\n");
				trace_line = fs::path(args.trace).filename().string();	// stable across runs
			}
			if (!err.empty()) {
				trace_line = "NOT RUN: " + err;
				status = 1;
			}
			fmt::print("recorded trace: {}\n", trace_line);
		}

		fmt::print("\n== [5/5] plot\n");
		std::ofstream(script) << plot_script(out.string(), good_csv, window_csv, bad_csv,
						     traced ? trace_csv : std::string(), args.seed,
						     args.epochs, bad.turned_bad_epoch);
		std::string plot_line;
		if (args.no_plot) {
			plot_line = "not drawn (--no-plot)";
		} else {
			int r = run_gnuplot(script);
			if (r == -ENOENT) {
				plot_line = "NOT DRAWN: gnuplot is missing (apt-get install "
					    "gnuplot-nox, or run scripts/setup.sh)";
				status = 1;
			} else if (r != 0 || !fs::exists(out)) {
				plot_line = fmt::format("NOT DRAWN: gnuplot {} {}",
							r < 0 ? "could not start:" : "exited",
							r < 0 ? strerror(-r) : std::to_string(r));
				status = 1;
			} else {
				plot_line = out.string();
			}
		}
		fmt::print("plot: {}\n", plot_line);

		const double bound = 0.95;
		double be = bad.cumulative_efficiency();
		auto line = [&sum](std::string_view key, const std::string &value) {
			sum += fmt::format("  {:<26} {}\n", key, value);
		};
		sum += fmt::format("\n== summary (seed {}, {} epochs per loop agent)\n",
				   args.seed, args.epochs);
		sum += fmt::format("mlcore, iris ({} of {} samples held out; sepal length, "
				   "petal length, petal width):\n", iris.tested, iris.samples);
		line(iris.classifier + " accuracy:", fmt::format("{:.3f}", iris.accuracy()));
		line("majority-class baseline:", fmt::format("{:.3f}", iris.baseline()));
		auto agent_lines = [&](const LoopReport &r) {
			double e = r.cumulative_efficiency();
			line("reached recommendation:", epoch_text(r.recommendation_epoch));
			line("final mode:", fmt::format("{} (highest {})", mode_name(r.final_mode),
							mode_name(r.highest_mode)));
			line("cumulative efficiency:",
			     fmt::format("{:.3f} ({} vs the default algorithm)", e, pct(e)));
			double ceiling = r.sum_best ? double(r.sum_default) / double(r.sum_best) : 1.0;
			line("ceiling:", fmt::format("{:.3f} (the hindsight-best window of every "
						     "epoch)", ceiling));
			line("share of the gain captured:",
			     fmt::format("{:.3f}{}", r.share_captured(),
					 r.share_captured() > 1.0 ? " (above 1: adapted inside epochs)"
								  : ""));
		};
		sum += "closed loop, policy agent (closed loop v2, the default):\n";
		agent_lines(good);
		line("policies written:", std::to_string(good.policies_written));
		sum += "closed loop, window agent (v1):\n";
		agent_lines(win);
		sum += "closed loop, bad agent (policy saboteur):\n";
		line("turned bad:", epoch_text(bad.turned_bad_epoch));
		line("demoted to emergency:", epoch_text(bad.demoted_epoch));
		line("final mode:", mode_name(bad.final_mode));
		line("cumulative efficiency:",
		     fmt::format("{:.3f} (documented bound: >= {:.2f}: {})", be, bound,
				 be >= bound ? "held" : "VIOLATED"));
		if (py.ran) {
			sum += "python agents (mlcore_agent, scikit-learn):\n";
			sum += fmt::format("  iris, {}\n", py.iris_accuracy);
			sum += fmt::format("  loop (decision tree), {} (C++ window agent: {:.3f}, "
					   "policy agent: {:.3f})\n", py.loop_line,
					   win.cumulative_efficiency(), good.cumulative_efficiency());
		} else {
			sum += fmt::format("python agents: {}\n", py.why_not);
		}
		sum += fmt::format("closed loop, recorded trace: {}\n", trace_line);
		if (traced)
			agent_lines(*traced);
		sum += fmt::format("plot: {}\n", plot_line);
		if (keep)
			sum += fmt::format("traces: {}, {}, {}{}\n", good_csv, window_csv, bad_csv,
					   traced ? ", " + trace_csv : std::string());
	} catch (...) {
		cleanup();
		throw;
	}
	fmt::print("\n== cleaning up\n");
	cleanup();
	fmt::print("{}", sum);
	return status;
}

}  // namespace mlc::cli

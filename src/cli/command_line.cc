// SPDX-License-Identifier: GPL-2.0
//
// mlcore-emu's command line (command_line.hpp): every subcommand's options,
// their help, and the one check of each kind of value.  A bad value throws
// from CLI11's parse, before anything runs: InstanceError for an instance
// name or a clock (main prints it as one line), CLI::ParseError otherwise.
#include "cli/command_line.hpp"

#include <memory>
#include <string_view>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "emulator/instance.hpp"

namespace mlc::cli {

namespace {

// --- the values several subcommands take, each checked once --------------------

// A valid instance name, or InstanceError.
const CLI::Validator kInstanceName(
	[](std::string &text) {
		check_instance_name(text);
		return std::string();
	},
	"");

// --instance NAME.
void add_instance_option(CLI::App *sub, std::string &name,
			 const std::string &help)
{
	sub->add_option("--instance", name, help)
		->capture_default_str()
		->type_name("NAME")
		->check(kInstanceName);
}

// --clock real|fixed:EPOCH, into *clock when given (an empty text too).
void add_clock_option(CLI::App *sub, std::optional<ClockSpec> &clock,
		      const std::string &help)
{
	sub->add_option_function<std::string>(
		   "--clock",
		   [&clock](const std::string &text) {
			   clock = parse_clock_option(text);
		   },
		   help)
		->type_name("CLOCK");
}

// --seed N, into *seed when given.
void add_seed_option(CLI::App *sub, std::optional<uint64_t> &seed,
		     const std::string &help)
{
	sub->add_option_function<uint64_t>(
		"--seed", [&seed](const uint64_t &n) { seed = n; }, help);
}

// --log-buf-size BYTES (log_buf_len='s syntax), into *bytes when given.
void add_log_buf_size_option(CLI::App *sub, std::optional<uint64_t> &bytes)
{
	sub->add_option_function<std::string>(
		   "--log-buf-size",
		   [&bytes](const std::string &text) {
			   bytes = Instance::parse_log_buf_size(text);
		   },
		   "The kernel log ring of a new instance, as the kernel's "
		   "log_buf_len= (K, M suffixes; rounded up to a power of two, "
		   "4K to 32M; default 128K, CONFIG_LOG_BUF_SHIFT=17)")
		->type_name("BYTES");
}

void add_loop_workload_option(CLI::App *sub, std::string &path,
			      const char *when)
{
	sub->add_option(
		"--loop-workload", path,
		std::string(
			"A workload trace (`mlcore-emu "
			"trace record`) for the closed loop, written into ml_readahead's "
			"workload attribute ") +
			when);
}

// CMD [ARGS...]: the words parse() splits off (never ours).
void add_command_words(CLI::App *sub, std::vector<std::string> &command,
		       const char *help)
{
	sub->add_option("CMD", command, help)->type_name("ARGS");
}

// The options' storage lives as long as the action that uses it.
template <typename Args, typename Fn>
std::shared_ptr<Args> on_parsed(CLI::App *sub, Action &action, Fn &&run)
{
	auto args = std::make_shared<Args>();
	sub->callback([&action, args, run] {
		action = [args, run] { return run(*args); };
	});
	return args;
}

// --- splitting CMD off ----------------------------------------------------------

// The subcommand argv names (argv[1], then its own subcommands), and the
// index of the first word after that chain.
CLI::App *named_subcommand(CLI::App &app, int argc, char **argv, int *next)
{
	CLI::App *at = &app;
	int i = 1;
	for (; i < argc; i++) {
		CLI::App *found = nullptr;
		for (CLI::App *sub : at->get_subcommands({}))
			if (sub->check_name(argv[i]))
				found = sub;
		if (!found)
			break;
		at = found;
	}
	*next = i;
	return at;
}

// Where CMD starts among argv[from..]: at "--" (dropped), or at the first
// word that is neither one of sub's options nor an option's value.  An
// unknown option stays before CMD, for CLI11 to refuse.
int command_start(const CLI::App &sub, int from, int argc, char **argv,
		  bool *dashdash)
{
	for (int i = from; i < argc; i++) {
		std::string_view a = argv[i];
		*dashdash = a == "--";
		if (*dashdash || a.empty() || a[0] != '-')
			return i;
		if (a.find('=') != std::string_view::npos)
			continue;
		const CLI::Option *opt =
			sub.get_option_no_throw(std::string(a));
		if (opt && opt->get_expected_min() > 0)
			i++; // its value
	}
	*dashdash = false;
	return argc;
}

} // namespace

// --- the subcommands --------------------------------------------------------------

void add_serve(CLI::App &app, Action &action)
{
	auto *s = app.add_subcommand(
		"serve", "Mount an instance's files at a root "
			 "directory with FUSE, and with --cuse create the "
			 "real character devices (returns once it is ready)");
	auto args = on_parsed<ServeArgs>(s, action, serve);
	s->add_option("--root", args->root,
		      "Mount point (created if missing; must be "
		      "empty); required unless --cuse");
	s->add_flag(
		"--cuse", args->cuse,
		"Also create the real character devices "
		"/dev/mlcore (104:0 where free), /dev/mllibdev and /dev/mlloop "
		"with CUSE (root, `modprobe cuse`); proc and sys stay at --root");
	add_instance_option(s, args->instance,
			    "Instance name (created if missing)");
	s->add_flag("--foreground,-f", args->foreground,
		    "Stay in the foreground "
		    "until unmounted or interrupted");
	s->add_flag("--allow-other", args->allow_other,
		    "Let other users use the "
		    "mount (private to you by default)");
	add_clock_option(s, args->clock,
			 "real, or fixed:EPOCH to freeze "
			 "CLOCK_REALTIME at EPOCH seconds (golden tests)");
	add_seed_option(s, args->seed,
			"Seed for the core's random bytes "
			"(repeatable ml_lib datasets)");
	add_log_buf_size_option(s, args->log_buf_size);
	s->add_flag("--debug", args->debug,
		    "Trace every FUSE request on stderr "
		    "(with --foreground)");
	add_loop_workload_option(s, args->loop_workload, "before mounting");
}

void add_stop(CLI::App &app, Action &action)
{
	struct StopArgs {
		std::string root, instance;
	};
	auto *st = app.add_subcommand(
		"stop", "Stop serving a root and unmount it "
			"(with the devices serve --cuse made), or stop "
			"everything serving an instance");
	auto args = on_parsed<StopArgs>(st, action, [](const StopArgs &a) {
		if (a.root.empty() && a.instance.empty())
			throw std::runtime_error(
				"stop needs --root DIR or --instance NAME");
		return stop(a.root, a.instance);
	});
	auto *root = st->add_option("--root", args->root,
				    "The mount point given to serve");
	st->add_option("--instance", args->instance,
		       "Stop every server of this "
		       "instance (its mounts and CUSE devices)")
		->excludes(root)
		->type_name("NAME")
		->check(kInstanceName);
}

void add_status(CLI::App &app, Action &action)
{
	auto *sub = app.add_subcommand(
		"status", "Show an instance's devices, clock and mounts");
	auto name = on_parsed<std::string>(sub, action, status);
	*name = "default";
	add_instance_option(sub, *name, "Instance name");
}

void add_dmesg(CLI::App &app, Action &action)
{
	struct DmesgArgs {
		std::string instance = "default";
		bool follow = false, raw = false;
	};
	auto *sub =
		app.add_subcommand("dmesg", "Print the instance's kernel log");
	auto args = on_parsed<DmesgArgs>(sub, action, [](const DmesgArgs &a) {
		return dmesg(a.instance, a.follow, a.raw);
	});
	add_instance_option(sub, args->instance, "Instance name");
	sub->add_flag("--follow,-w", args->follow, "Wait for new lines");
	sub->add_flag("--raw,-r", args->raw,
		      "Print <level>text instead of timestamps");
}

void add_reset(CLI::App &app, Action &action)
{
	struct ResetArgs {
		std::string instance = "default";
		std::optional<ClockSpec> clock;
	};
	auto *sub = app.add_subcommand("reset",
				       "Reload the devices (module unload + "
				       "load) in place; mounts keep serving");
	auto args = on_parsed<ResetArgs>(sub, action, [](const ResetArgs &a) {
		return reset(a.instance, a.clock);
	});
	add_instance_option(sub, args->instance, "Instance name");
	add_clock_option(sub, args->clock, "A new clock: real or fixed:EPOCH");
}

void add_list(CLI::App &app, Action &action)
{
	auto *sub = app.add_subcommand("list",
				       "List your instances: size, age, and "
				       "what is attached (servers, processes)");
	on_parsed<int>(sub, action, [](int) { return list(); });
}

void add_rm(CLI::App &app, Action &action)
{
	struct RmArgs {
		std::vector<std::string> names;
		bool force = false, stale = false;
	};
	auto *sub = app.add_subcommand(
		"rm", "Remove instances (their shared memory "
		      "and state directory); refuses one that is in use");
	auto args = on_parsed<RmArgs>(sub, action, [](const RmArgs &a) {
		if (a.names.empty() && !a.stale)
			throw std::runtime_error(
				"rm needs instance names or --stale");
		return rm(a.names, a.force, a.stale);
	});
	sub->add_option("NAME", args->names,
			"Instances to remove (with --stale: only "
			"those matching these shell patterns, e.g. 'ci-*')");
	sub->add_flag(
		"--force,-f", args->force,
		"Stop the servers of a served instance "
		"first, and remove it even while processes have it mapped");
	sub->add_flag("--stale", args->stale,
		      "Remove every instance of yours that no "
		      "live server or process is attached to");
}

void add_run(CLI::App &app, Action &action)
{
	auto *sub = app.add_subcommand(
		"run", "Run a command that sees the real paths "
		       "(/dev/mlcore, /proc/mlcore_*) served in-process "
		       "(preload door: no root, no FUSE, no daemon)");
	auto args = on_parsed<RunArgs>(sub, action, run);
	add_instance_option(sub, args->instance,
			    "Instance name (created if missing)");
	add_clock_option(
		sub, args->clock,
		"real, or fixed:EPOCH to freeze "
		"CLOCK_REALTIME at EPOCH seconds (a new boot of the instance)");
	add_seed_option(sub, args->seed, "Seed for the core's random bytes");
	add_log_buf_size_option(sub, args->log_buf_size);
	sub->add_flag("--rm", args->rm,
		      "Remove the instance when CMD exits, whatever "
		      "its status (unless something else is attached to it)");
	add_loop_workload_option(sub, args->loop_workload, "before CMD starts");
	add_command_words(sub, args->command,
			  "The command to run, and its arguments");
	sub->footer(
		"\nEverything from CMD on (or after --) is CMD's, never parsed here.\n"
		"Example: mlcore-emu run -- python3 examples/mlcore_agent.py /");
}

void add_demo(CLI::App &app, Action &action)
{
	auto *sub = app.add_subcommand(
		"demo", "Run the whole closed loop in one "
			"command: a private seeded instance served with "
			"FUSE, the iris agent and the loop agents (policy, "
			"window, then a saboteur), a summary and a PNG plot");
	auto args = on_parsed<DemoArgs>(sub, action, demo);
	sub->add_option("--out", args->out, "Where to write the PNG")
		->capture_default_str();
	sub->add_option("--epochs", args->epochs, "Epochs per loop agent")
		->check(CLI::Range(1, 10000))
		->capture_default_str();
	sub->add_option("--seed", args->seed,
			"The instance's seed (same seed, same "
			"run)")
		->capture_default_str();
	sub->add_option("--work", args->work,
			"Keep the traces and the plot script "
			"here (default: a temporary directory, removed)");
	sub->add_option("--iris-data", args->iris_data,
			"iris.csv (default: Debian's "
			"python3-sklearn copy)");
	sub->add_option("--progress-every", args->progress_every,
			"Print every Nth "
			"epoch of the loop agents (and every mode change)")
		->capture_default_str();
	sub->add_flag("--no-plot", args->no_plot, "Do not run gnuplot");
	sub->add_option(
		"--trace", args->trace,
		"A recorded page-access trace (MLTRACE, "
		"from `trace record`): the policy agent also runs on it, through "
		"the loop's `workload` attribute.  Default: the demo records `tar` "
		"over /usr/share/doc itself; `none` skips it");
	sub->add_option(
		   "--door", args->door,
		   "How the agents reach the devices: "
		   "fuse (a private mount), preload (the real paths in-process: "
		   "no root, no /dev/fuse), or auto (fuse when /dev/fuse can be "
		   "opened, else preload)")
		->check(CLI::IsMember({ "auto", "fuse", "preload" }))
		->capture_default_str();
	sub->add_option(
		   "--python", args->python,
		   "Also run the Python agents "
		   "(mlcore_agent, scikit-learn) with Debian's python3: on, off, or "
		   "auto (when python3 can import sklearn and mlcore_agent)")
		->check(CLI::IsMember({ "auto", "on", "off" }))
		->capture_default_str();
}

void add_conformance(CLI::App &app, Action &action)
{
	auto *sub = app.add_subcommand(
		"conformance", "Run the conformance suite in "
			       "QEMU against your build of the driver (root; "
			       "test/qemu/setup-qemu.sh's packages)");
	auto args = on_parsed<ConformanceArgs>(sub, action, conformance);
	sub->add_option(
		"--module", args->modules,
		"A .ko to test, loaded in the "
		"order given (default: build the modules from src/core)");
	sub->add_option("--profile", args->profile,
			"mlcore, ml_lib or both "
			"(default: what the modules provide)");
	sub->add_option("--seeds", args->seeds, "Random scenarios A-B")
		->capture_default_str();
	sub->add_option("--ops", args->ops, "Operations per random scenario")
		->capture_default_str();
	sub->add_option("--work", args->work,
			"Directory for the VM and the traces");
	sub->add_option("--source-dir", args->source_dir,
			"The mlcore-emu source tree");
}

void add_trace(CLI::App &app, Action &action)
{
	auto *tr = app.add_subcommand("trace",
				      "Record a real program's file reads as "
				      "a workload trace for the closed loop");
	tr->require_subcommand(1);
	tr->footer(kTraceFooter);
	auto *rec = tr->add_subcommand(
		"record", "Run CMD, recording every file read "
			  "of it and its children, and write the trace");
	auto args = on_parsed<TraceRecordArgs>(rec, action, trace_record);
	rec->add_option("--out", args->out, "The trace file to write")
		->required();
	add_command_words(rec, args->command,
			  "The command to record, and its arguments");
	rec->footer(kTraceFooter);
}

void parse(CLI::App &app, int argc, char **argv)
{
	int next = 1;
	CLI::App *sub = named_subcommand(app, argc, argv, &next);
	CLI::Option *words = sub == &app ? nullptr :
					   sub->get_option_no_throw("CMD");
	if (!words) {
		app.parse(argc, argv);
		return;
	}
	// CLI11 2.1's prefix_command() loses a "--" inside a subcommand: the
	// words are split off here, by the subcommand's own options.
	bool dashdash = false;
	int start = command_start(*sub, next, argc, argv, &dashdash);
	app.parse(start, argv);
	std::vector<std::string> command(argv + start + (dashdash ? 1 : 0),
					 argv + argc);
	if (!command.empty()) {
		words->add_result(command);
		words->run_callback();
	}
}

} // namespace mlc::cli

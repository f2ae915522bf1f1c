// SPDX-License-Identifier: GPL-2.0
//
// mlcore-emu: serve emulated mlcore and ml_lib kernel interfaces to
// unmodified programs.
#include <algorithm>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.hpp"
#include "emulator/instance.hpp"
#include "fuse_proc/fuse_door.hpp"

namespace {

constexpr const char *kDescription =
	"mlcore-emu - emulate the mlcore driver (/dev/mlcore, /proc/mlcore_result,\n"
	"/proc/mlcore_train) for unmodified programs, without a kernel module.\n"
	"\n"
	"The device state of an instance lives in shared memory, so every door and\n"
	"every process sees one device, and a crash of any one loses nothing.";

constexpr const char *kFooter =
	"\nEXAMPLES\n"
	"  mlcore-emu serve --root /tmp/ml          mount dev/, proc/ at /tmp/ml\n"
	"  python3 agent.py /tmp/ml/dev/mlcore      use it like the real device\n"
	"  cat /tmp/ml/proc/mlcore_result           read the prediction history\n"
	"  mlcore-emu dmesg                         the kernel log lines\n"
	"  mlcore-emu trace record --out t.mlt -- tar -cf /tmp/src.tar src\n"
	"                                           a real workload for the loop\n"
	"  mlcore-emu stop --root /tmp/ml           unmount\n"
	"  sudo mlcore-emu serve --cuse --root /run/ml   real /dev/mlcore, /dev/mllibdev,\n"
	"                                           /dev/mlloop (modprobe cuse first)\n"
	"  mlcore-emu run --rm -- ./agent           in-process, instance removed after\n"
	"  mlcore-emu rm --stale                    remove instances nothing uses\n"
	"\nFILES\n"
	"  /dev/shm/mlcore-emu.UID.NAME   instance state (mode 0600)\n"
	"  $MLCORE_EMU_STATE_DIR, else $XDG_RUNTIME_DIR/mlcore-emu, else\n"
	"  /tmp/mlcore-emu-UID            per-instance directory: mlcore.log, servers/\n"
	"\nEXIT STATUS\n"
	"  0 on success, 1 on an error (one line on stderr says why and how to fix it).\n";

}  // namespace

int main(int argc, char **argv)
{
	using namespace mlc;
	CLI::App app{kDescription, "mlcore-emu"};
	app.footer(kFooter);
	app.require_subcommand(1);
	app.set_version_flag("--version", "mlcore-emu 0.1.0");

	cli::ServeArgs serve;
	std::string clock_text;
	uint64_t seed = 0;
	auto *s = app.add_subcommand("serve", "Mount an instance's files at a root "
				     "directory with FUSE, and with --cuse create the "
				     "real character devices (returns once it is ready)");
	s->add_option("--root", serve.root, "Mount point (created if missing; must be "
		      "empty); required unless --cuse");
	s->add_flag("--cuse", serve.cuse, "Also create the real character devices "
		    "/dev/mlcore (104:0 where free), /dev/mllibdev and /dev/mlloop "
		    "with CUSE (root, `modprobe cuse`); proc and sys stay at --root");
	s->add_option("--instance", serve.instance, "Instance name (created if "
		      "missing)")->capture_default_str();
	s->add_flag("--foreground,-f", serve.foreground, "Stay in the foreground "
		    "until unmounted or interrupted");
	s->add_flag("--allow-other", serve.allow_other, "Let other users use the "
		    "mount (private to you by default)");
	s->add_option("--clock", clock_text, "real, or fixed:EPOCH to freeze "
		      "CLOCK_REALTIME at EPOCH seconds (golden tests)");
	s->add_option("--seed", seed, "Seed for the core's random bytes "
		      "(repeatable ml_lib datasets)");
	std::string log_buf_text;
	s->add_option("--log-buf-size", log_buf_text, "The kernel log ring of a new "
		      "instance, as the kernel's log_buf_len= (K, M suffixes; rounded "
		      "up to a power of two, 4K to 32M; default 128K, "
		      "CONFIG_LOG_BUF_SHIFT=17)")->type_name("BYTES");
	s->add_flag("--debug", serve.debug, "Trace every FUSE request on stderr "
		    "(with --foreground)");
	s->add_option("--loop-workload", serve.loop_workload, "A workload trace "
		      "(`mlcore-emu trace record`) for the closed loop, written into "
		      "ml_readahead's workload attribute before mounting");

	std::string stop_root, stop_instance;
	auto *st = app.add_subcommand("stop", "Stop serving a root and unmount it "
				      "(with the devices serve --cuse made), or stop "
				      "everything serving an instance");
	auto *st_root = st->add_option("--root", stop_root, "The mount point given "
				       "to serve");
	st->add_option("--instance", stop_instance, "Stop every server of this "
		       "instance (its mounts and CUSE devices)")->excludes(st_root);

	std::string instance = "default";
	auto *status = app.add_subcommand("status", "Show an instance's devices, "
					  "clock and mounts");
	status->add_option("--instance", instance, "Instance name")->capture_default_str();

	bool follow = false, raw = false;
	auto *dm = app.add_subcommand("dmesg", "Print the instance's kernel log");
	dm->add_option("--instance", instance, "Instance name")->capture_default_str();
	dm->add_flag("--follow,-w", follow, "Wait for new lines");
	dm->add_flag("--raw,-r", raw, "Print <level>text instead of timestamps");

	std::string reset_clock;
	auto *rs = app.add_subcommand("reset", "Reload the devices (module unload + "
				      "load) in place; mounts keep serving");
	rs->add_option("--instance", instance, "Instance name")->capture_default_str();
	rs->add_option("--clock", reset_clock, "A new clock: real or fixed:EPOCH");

	auto *ls = app.add_subcommand("list", "List your instances: size, age, and "
				      "what is attached (servers, processes)");

	std::vector<std::string> rm_names;
	bool rm_force = false, rm_stale = false;
	auto *rmc = app.add_subcommand("rm", "Remove instances (their shared memory "
				       "and state directory); refuses one that is in "
				       "use");
	rmc->add_option("NAME", rm_names, "Instances to remove (with --stale: only "
			"those matching these shell patterns, e.g. 'ci-*')");
	rmc->add_flag("--force,-f", rm_force, "Stop the servers of a served instance "
		      "first, and remove it even while processes have it mapped");
	rmc->add_flag("--stale", rm_stale, "Remove every instance of yours that no "
		      "live server or process is attached to");

	cli::RunArgs run;
	std::string run_clock;
	uint64_t run_seed = 0;
	auto *rn = app.add_subcommand("run", "Run a command that sees the real paths "
				      "(/dev/mlcore, /proc/mlcore_*) served in-process "
				      "(preload door: no root, no FUSE, no daemon)");
	rn->add_option("--instance", run.instance, "Instance name (created if "
		       "missing)")->capture_default_str();
	rn->add_option("--clock", run_clock, "real, or fixed:EPOCH to freeze "
		       "CLOCK_REALTIME at EPOCH seconds (a new boot of the instance)");
	rn->add_option("--seed", run_seed, "Seed for the core's random bytes");
	rn->add_flag("--rm", run.rm, "Remove the instance when CMD exits, whatever "
		     "its status (unless something else is attached to it)");
	rn->add_option("--loop-workload", run.loop_workload, "A workload trace "
		       "(`mlcore-emu trace record`) for the closed loop, written into "
		       "ml_readahead's workload attribute before CMD starts");
	rn->footer("\nEverything from CMD on (or after --) is CMD's, never parsed here.\n"
		   "Example: mlcore-emu run -- python3 examples/mlcore_agent.py /");

	cli::DemoArgs demo;
	auto *dmo = app.add_subcommand("demo", "Run the whole closed loop in one "
				       "command: a private seeded instance served with "
				       "FUSE, the iris agent and the loop agents (policy, "
				       "window, then a saboteur), a summary and a PNG plot");
	dmo->add_option("--out", demo.out, "Where to write the PNG")->capture_default_str();
	dmo->add_option("--epochs", demo.epochs, "Epochs per loop agent")
		->check(CLI::Range(1, 10000))->capture_default_str();
	dmo->add_option("--seed", demo.seed, "The instance's seed (same seed, same "
			"run)")->capture_default_str();
	dmo->add_option("--work", demo.work, "Keep the traces and the plot script "
			"here (default: a temporary directory, removed)");
	dmo->add_option("--iris-data", demo.iris_data, "iris.csv (default: Debian's "
			"python3-sklearn copy)");
	dmo->add_option("--progress-every", demo.progress_every, "Print every Nth "
			"epoch of the loop agents (and every mode change)")
		->capture_default_str();
	dmo->add_flag("--no-plot", demo.no_plot, "Do not run gnuplot");
	dmo->add_option("--trace", demo.trace, "A recorded page-access trace (MLTRACE, "
			"from `trace record`): the policy agent also runs on it, through "
			"the loop's `workload` attribute.  Default: the demo records `tar` "
			"over /usr/share/doc itself; `none` skips it");
	dmo->add_option("--door", demo.door, "How the agents reach the devices: "
			"fuse (a private mount), preload (the real paths in-process: "
			"no root, no /dev/fuse), or auto (fuse when /dev/fuse can be "
			"opened, else preload)")
		->check(CLI::IsMember({"auto", "fuse", "preload"}))
		->capture_default_str();
	dmo->add_option("--python", demo.python, "Also run the Python agents "
			"(mlcore_agent, scikit-learn) with Debian's python3: on, off, or "
			"auto (when python3 can import sklearn and mlcore_agent)")
		->check(CLI::IsMember({"auto", "on", "off"}))->capture_default_str();

	cli::ConformanceArgs conf;
	auto *cf = app.add_subcommand("conformance", "Run the conformance suite in "
				      "QEMU against your build of the driver (root; "
				      "test/qemu/setup-qemu.sh's packages)");
	cf->add_option("--module", conf.modules, "A .ko to test, loaded in the "
		       "order given (default: build the modules from src/core)");
	cf->add_option("--profile", conf.profile, "mlcore, ml_lib or both "
		       "(default: what the modules provide)");
	cf->add_option("--seeds", conf.seeds, "Random scenarios A-B")->capture_default_str();
	cf->add_option("--ops", conf.ops, "Operations per random scenario")
		->capture_default_str();
	cf->add_option("--work", conf.work, "Directory for the VM and the traces");
	cf->add_option("--source-dir", conf.source_dir, "The mlcore-emu source tree");

	cli::TraceRecordArgs trace_rec;
	auto *tr = app.add_subcommand("trace", "Record a real program's file reads as "
				      "a workload trace for the closed loop");
	tr->require_subcommand(1);
	tr->footer(cli::kTraceFooter);
	auto *trr = tr->add_subcommand("record", "Run CMD, recording every file read "
				       "of it and its children, and write the trace");
	trr->add_option("--out", trace_rec.out, "The trace file to write")->required();
	trr->footer(cli::kTraceFooter);

	// `run`: CMD [ARGS...] is split off first, so that none of its
	// arguments is taken for one of ours.
	std::vector<char *> args(argv, argv + argc);
	if (argc > 1 && std::string_view(argv[1]) == "run") {
		int i = 2;
		while (i < argc) {
			std::string_view a = argv[i];
			if (a == "--" || a[0] != '-') {
				run.command.assign(argv + i + (a == "--"), argv + argc);
				break;
			}
			i += a == "--instance" || a == "--clock" || a == "--seed" ||
				     a == "--loop-workload" ? 2 : 1;
		}
		args.resize(std::min(i, argc));
	}
	// `trace record`: the same for its CMD.
	if (argc > 2 && std::string_view(argv[1]) == "trace" &&
	    std::string_view(argv[2]) == "record") {
		int i = 3;
		while (i < argc) {
			std::string_view a = argv[i];
			if (a == "--" || a[0] != '-') {
				trace_rec.command.assign(argv + i + (a == "--"), argv + argc);
				break;
			}
			i += a == "--out" ? 2 : 1;
		}
		args.resize(std::min(i, argc));
	}
	CLI11_PARSE(app, static_cast<int>(args.size()), args.data());

	try {
		if (*s) {
			if (s->count("--clock"))
				serve.clock = clock_text;
			if (s->count("--seed"))
				serve.seed = seed;
			if (s->count("--log-buf-size"))
				serve.log_buf_size = log_buf_text;
			return cli::serve(serve);
		}
		if (*st) {
			if (stop_root.empty() && stop_instance.empty())
				throw std::runtime_error("stop needs --root DIR or "
							 "--instance NAME");
			return cli::stop(stop_root, stop_instance);
		}
		if (*rmc) {
			if (rm_names.empty() && !rm_stale)
				throw std::runtime_error("rm needs instance names or "
							 "--stale");
			return cli::rm(rm_names, rm_force, rm_stale);
		}
		if (*status)
			return cli::status(instance);
		if (*dm)
			return cli::dmesg(instance, follow, raw);
		if (*rs)
			return cli::reset(instance, rs->count("--clock")
							    ? std::optional(reset_clock)
							    : std::nullopt);
		if (*ls)
			return cli::list();
		if (*cf)
			return cli::conformance(conf);
		if (*dmo)
			return cli::demo(demo);
		if (*trr)
			return cli::trace_record(trace_rec);
		if (*rn) {
			if (!run_clock.empty())
				run.clock = run_clock;
			if (rn->count("--seed"))
				run.seed = run_seed;
			return cli::run(run);
		}
	} catch (const cli::TraceError &e) {
		fmt::print(stderr, "mlcore-emu trace: {}\n", e.what());
		return 1;
	} catch (const std::exception &e) {
		fmt::print(stderr, "mlcore-emu: {}\n", e.what());
		return 1;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
//
// mlcore-emu: serve emulated mlcore and ml_lib kernel interfaces to
// unmodified programs.
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/command_line.hpp"
#include "cli/commands.hpp"

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

// Prints a refused command line as one line (help and --version as CLI11
// does); the exit status.
int command_line_error(const CLI::App &app, const CLI::ParseError &e)
{
	if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success))
		return app.exit(e);
	std::string help = "mlcore-emu";
	for (const CLI::App *at = &app; !at->get_subcommands().empty();) {
		at = at->get_subcommands().front();
		help += " " + at->get_name();
	}
	fmt::print(stderr, "mlcore-emu: {} (see {} --help)\n", e.what(), help);
	return 1;
}

} // namespace

int main(int argc, char **argv)
{
	using namespace mlc;
	CLI::App app{ kDescription, "mlcore-emu" };
	app.footer(kFooter);
	app.require_subcommand(1);
	app.set_version_flag("--version", "mlcore-emu 0.1.0");

	cli::Action action;
	cli::add_serve(app, action);
	cli::add_stop(app, action);
	cli::add_status(app, action);
	cli::add_dmesg(app, action);
	cli::add_reset(app, action);
	cli::add_list(app, action);
	cli::add_rm(app, action);
	cli::add_run(app, action);
	cli::add_demo(app, action);
	cli::add_conformance(app, action);
	cli::add_trace(app, action);

	try {
		cli::parse(app, argc, argv);
		return action ? action() : 0;
	} catch (const CLI::ParseError &e) {
		return command_line_error(app, e);
	} catch (const cli::TraceError &e) {
		fmt::print(stderr, "mlcore-emu trace: {}\n", e.what());
	} catch (const std::exception &e) {
		fmt::print(stderr, "mlcore-emu: {}\n", e.what());
	}
	return 1;
}

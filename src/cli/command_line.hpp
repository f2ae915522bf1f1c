// SPDX-License-Identifier: GPL-2.0
//
// mlcore-emu's command line: one add_<command>() per subcommand declares
// its options and help; every option's value is checked here, while the
// line is parsed, before any subcommand starts.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

namespace mlc::cli {

// What main runs once the whole line is parsed: the chosen subcommand,
// returning the process exit status.
using Action = std::function<int()>;

void add_serve(CLI::App &app, Action &action);
void add_stop(CLI::App &app, Action &action);
void add_status(CLI::App &app, Action &action);
void add_dmesg(CLI::App &app, Action &action);
void add_reset(CLI::App &app, Action &action);
void add_list(CLI::App &app, Action &action);
void add_rm(CLI::App &app, Action &action);
void add_run(CLI::App &app, Action &action);
void add_demo(CLI::App &app, Action &action);
void add_conformance(CLI::App &app, Action &action);
void add_trace(CLI::App &app, Action &action);

// `run` and `trace record` end in CMD [ARGS...], which is never parsed as
// ours: parse() gives CLI11 the words before it, the command the rest.
void parse(CLI::App &app, int argc, char **argv);

} // namespace mlc::cli

// SPDX-License-Identifier: GPL-2.0
//
// The parts of `mlcore-emu demo` (demo.cc) that are jobs of their own: the
// picture (demo_plot.cc) and the Python agents (demo_python.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli/commands.hpp"

namespace mlc::cli {

// The gnuplot program: three panels over the epochs: efficiency on top
// (cumulative of every agent, the ceiling of the hindsight-best windows,
// the default's 1.0 and the 0.95 bound), the share of the achievable gain
// captured in the middle, the mode below.  trace_csv may be "".
std::string plot_script(const std::string &png, const std::string &policy_csv,
			const std::string &window_csv,
			const std::string &bad_csv,
			const std::string &trace_csv, uint64_t seed,
			unsigned epochs, std::optional<uint64_t> turned_bad);

// Runs gnuplot SCRIPT; its exit status, or -errno when it cannot start.
int run_gnuplot(const std::string &script);

struct PythonResults {
	bool ran = false;
	std::string iris_accuracy, loop_line, why_not;
};

// The Python reference agents on root, after the C++ ones (--python:
// off, on or auto); InstanceError when on and they cannot run, or fail.
PythonResults run_python_agents(const DemoArgs &args, const std::string &root);

} // namespace mlc::cli

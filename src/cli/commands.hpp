// SPDX-License-Identifier: GPL-2.0
//
// The subcommands of mlcore-emu.  Each returns the process exit status and
// reports failures as one line on stderr, with the fix where there is one.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace mlc::cli {

struct ServeArgs {
	std::string root;
	std::string instance = "default";
	bool foreground = false;
	bool allow_other = false;
	bool debug = false;
	std::optional<std::string> clock;
	std::optional<uint64_t> seed;
};


struct ConformanceArgs {
	std::vector<std::string> modules;	// .ko files; empty: build ours
	std::string profile;			// "" = from the modules
	std::string seeds = "1-10";
	unsigned ops = 300;
	std::string work;			// "" = a new /tmp directory
	std::string bin_dir;			// "" = this executable's build tree
	std::string source_dir;			// "" = from its CMakeCache.txt
};

int serve(const ServeArgs &args);
// Runs the QEMU conformance suite (test/qemu/run-conformance.sh).
int conformance(const ConformanceArgs &args);
int stop(const std::string &root);
int status(const std::string &instance);
int dmesg(const std::string &instance, bool follow, bool raw);
int reset(const std::string &instance, const std::optional<std::string> &clock);
int list();

}  // namespace mlc::cli

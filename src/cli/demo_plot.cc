// SPDX-License-Identifier: GPL-2.0
//
// The demo's picture (demo_parts.hpp): the gnuplot program over the loop
// agents' CSV traces, and running gnuplot.
#include <spawn.h>
#include <sys/wait.h>

#include <cerrno>

#include <fmt/format.h>

#include "cli/demo_parts.hpp"

extern char **environ;

namespace mlc::cli {

namespace {

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

} // namespace

std::string plot_script(const std::string &png, const std::string &policy_csv,
			const std::string &window_csv,
			const std::string &bad_csv,
			const std::string &trace_csv, uint64_t seed,
			unsigned epochs, std::optional<uint64_t> turned_bad)
{
	// Where the saboteur turns bad: a dotted line in the mode panel.
	std::string mark;
	if (turned_bad)
		mark = fmt::format(
			"set arrow 1 from {0}, graph 0 to {0}, graph 1 nohead "
			"lc rgb '#d05000' dt 3\nset label 1 'bad agent turns bad' "
			"at {0}, graph 0.2 offset 0.5, 0 tc rgb '#d05000'\n",
			*turned_bad);
	std::string trace_eff, trace_share;
	if (!trace_csv.empty()) {
		trace_eff = fmt::format(
			", \\\n     '{0}' using 1:11 with lines lc rgb '#2a9d2a' "
			"lw 2 title 'policy agent, recorded trace: cumulative', "
			"\\\n     '{0}' using 1:14 with lines lc rgb '#2a9d2a' dt 2 "
			"title 'recorded trace: ceiling'",
			gp_quote(trace_csv));
		trace_share = fmt::format(
			", \\\n     '{0}' using 1:13 with lines lc rgb "
			"'#2a9d2a' lw 2 title 'policy agent, recorded trace'",
			gp_quote(trace_csv));
	}
	return fmt::format(
		R"GP(set terminal pngcairo size 1200,1100 font "Sans,11"
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
		fmt::arg("png", gp_quote(png)),
		fmt::arg("pol", gp_quote(policy_csv)),
		fmt::arg("win", gp_quote(window_csv)),
		fmt::arg("bad", gp_quote(bad_csv)),
		fmt::arg("trace_eff", trace_eff),
		fmt::arg("trace_share", trace_share), fmt::arg("seed", seed),
		fmt::arg("epochs", epochs), fmt::arg("mark", mark));
}

int run_gnuplot(const std::string &script)
{
	const char *argv[] = { "gnuplot", script.c_str(), nullptr };
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

} // namespace mlc::cli

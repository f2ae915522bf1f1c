// SPDX-License-Identifier: GPL-2.0
//
// mlc-bench-loop-targets: the closed loop v2 targets (docs/closed-loop.md,
// "Targets") over seeds 1..S x N epochs on the synthetic workload, with
// mlc-agent-loop's agent (default options: the policy agent) run in this
// process on a LocalDevice:
//   - share of the hindsight gain captured, per seed and mean;
//   - after first reaching RECOMMENDATION, the fraction of epochs there;
//   - every saboteur's demotion delay and the lowest cumulative efficiency;
// and the window agent (v1) next to it for comparison.
//   mlc-bench-loop-targets [--seeds S] [--epochs N]
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "loop_targets.hpp"

using namespace mlc::loop_targets;
using mlc::agent::LoopAgentKind;

int main(int argc, char **argv)
{
	unsigned seeds = 5, epochs = 300;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!std::strcmp(argv[i], "--seeds"))
			seeds = unsigned(std::atoi(argv[i + 1]));
		else if (!std::strcmp(argv[i], "--epochs"))
			epochs = unsigned(std::atoi(argv[i + 1]));
		else {
			std::fprintf(stderr, "usage: %s [--seeds S] [--epochs N]\n", argv[0]);
			return 2;
		}
	}
	if (seeds < 1 || epochs < 20) {
		std::fprintf(stderr, "mlc-bench-loop-targets: --seeds >= 1, --epochs >= 20\n");
		return 2;
	}
	bool ok = true;
	for (auto kind : {LoopAgentKind::policy, LoopAgentKind::window}) {
		const char *name = kind == LoopAgentKind::policy ? "policy" : "window";
		double share = 0, stay = 0;
		std::printf("%s agent, %u epochs:\n", name, epochs);
		for (unsigned s = 1; s <= seeds; s++) {
			GoodRun g = good_run(s, epochs, kind);
			std::printf("  seed %u: share captured %.3f  cumulative %.3f  first "
				    "recommendation after epoch %llu  stayed %u/%u = %.3f\n",
				    s, g.share, g.cumulative,
				    (unsigned long long)g.first_recommendation, g.stayed, g.after,
				    g.stay());
			share += g.share;
			stay += g.stay();
		}
		std::printf("  mean share captured %.3f (target >= 0.70), mean stay %.3f "
			    "(target >= 0.90)\n", share / seeds, stay / seeds);
	}
	std::printf("saboteurs (demotion delay in epochs after turning bad, target <= 2; "
		    "lowest cumulative efficiency, target >= 0.95):\n");
	unsigned worst_delay = 0;
	double worst_eff = 10.0;
	for (auto kind : {LoopAgentKind::policy, LoopAgentKind::window}) {
		for (int m = 0; m < 4; m++) {
			bool start = m == 0;
			auto after = static_cast<ml_lib_model_mode>(m == 0 ? 1 : m + 1);
			for (unsigned s = 1; s <= seeds; s++) {
				BadRun b = bad_run(s, epochs, kind, start, after);
				std::printf("  %-22s seed %u: %s  min cumulative %.3f  final %.3f\n",
					    b.name.c_str(), s,
					    !b.turned_bad ? "never trusted enough to turn bad"
					    : start        ? "bad from the start"
					    : b.demoted    ? ("demoted after " + std::to_string(b.delay) +
							   " epoch(s)").c_str()
							: "NOT DEMOTED",
					    b.min_cumulative, b.cumulative);
				if (!start && b.turned_bad) {
					if (!b.demoted)
						ok = false;
					worst_delay = std::max<unsigned>(worst_delay, b.delay);
				}
				worst_eff = std::min(worst_eff, b.min_cumulative);
			}
		}
	}
	std::printf("  worst demotion delay %u epoch(s), lowest cumulative efficiency %.3f\n",
		    worst_delay, worst_eff);
	if (worst_delay > 2 || worst_eff < 0.95)
		ok = false;
	return ok ? 0 : 1;
}

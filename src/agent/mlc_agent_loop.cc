// SPDX-License-Identifier: GPL-2.0
//
// mlc-agent-loop: the reference agent of the closed loop
// (agent/loop_agent.hpp, docs/closed-loop.md).
//   mlc-agent-loop [--root ROOT] [--epochs N] [--bad] [--csv trace.csv]
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "agent/loop_agent.hpp"

int main(int argc, char **argv)
{
	using namespace mlc::agent;
	LoopAgentOptions o;
	bool quiet = false, no_reset = false;
	std::string bad_after = "collaboration", agent = "policy";
	CLI::App app{"mlc-agent-loop - drive the closed learning loop (/dev/mlloop and\n"
		     "/sys/class/ml_lib_loop/mlloop/ml_readahead/): step one epoch at a time,\n"
		     "learn from the DATASET records, deploy for the next epoch a policy (a\n"
		     "decision tree the kernel evaluates at every miss; --agent window: one\n"
		     "fixed readahead window), and write a CSV trace.",
		     "mlc-agent-loop"};
	app.add_option("--root", o.root, "Root of the device tree: / for the real "
		       "kernel, or a mlcore-emu mount")->capture_default_str();
	app.add_option("--epochs", o.epochs, "Epochs to run")->check(CLI::Range(1, 100000))
		->capture_default_str();
	app.add_option("--csv", o.csv, "Write the per-epoch trace here");
	app.add_flag("--bad", o.bad, "A saboteur: play well until the model trusts it "
		     "(--bad-after), then recommend deliberately bad windows (or, with "
		     "--agent policy, the bad policy: every leaf at the other end)");
	app.add_option("--bad-after", bad_after, "The mode at which --bad turns bad; "
		       "'start' for bad windows from the first epoch")
		->check(CLI::IsMember({"start", "learning", "collaboration", "recommendation"}))
		->capture_default_str();
	app.add_option("--agent", agent, "policy: a decision tree per epoch (closed loop "
		       "v2); window: one fixed window per epoch (v1)")
		->check(CLI::IsMember({"policy", "window"}))->capture_default_str();
	app.add_option("--depth", o.max_depth, "Depth of the policy's trees under the "
		       "run_length split")->check(CLI::Range(1, 6))->capture_default_str();
	app.add_option("--k", o.k, "Past epochs the learner compares with (k-NN)")
		->check(CLI::Range(1, 64))->capture_default_str();
	app.add_flag("--no-reset", no_reset, "Do not `reset` the loop first (continue "
		     "where it is)");
	app.add_flag("--quiet,-q", quiet, "Only the summary");
	CLI11_PARSE(app, argc, argv);
	o.reset = !no_reset;
	o.kind = agent == "window" ? LoopAgentKind::window : LoopAgentKind::policy;
	o.name = o.bad ? "loop(bad)" : "loop";
	if (bad_after == "start")
		o.bad_from_start = true;
	else
		o.bad_after_mode = *parse_mode(bad_after + "\n");
	if (!quiet)
		o.progress = &std::cout;
	try {
		LoopReport r = run_loop_agent(o);
		std::printf("epochs: %zu, final mode: %s, highest mode: %s\n", r.rows.size(),
			    mode_name(r.final_mode), mode_name(r.highest_mode));
		if (r.recommendation_epoch)
			std::printf("reached recommendation after epoch %llu\n",
				    (unsigned long long)*r.recommendation_epoch);
		else
			std::printf("did not reach recommendation\n");
		if (o.bad) {
			if (r.turned_bad_epoch)
				std::printf("turned bad after epoch %llu\n",
					    (unsigned long long)*r.turned_bad_epoch);
			if (r.demoted_epoch)
				std::printf("demoted to emergency after epoch %llu\n",
					    (unsigned long long)*r.demoted_epoch);
		}
		std::printf("cumulative efficiency: %.3f (default cost %llu, actual %llu)\n",
			    r.cumulative_efficiency(), (unsigned long long)r.sum_default,
			    (unsigned long long)r.sum_actual);
		std::printf("share of the hindsight gain captured: %.3f ((default %llu - actual "
			    "%llu) / (default - best %llu)%s)\n", r.share_captured(),
			    (unsigned long long)r.sum_default, (unsigned long long)r.sum_actual,
			    (unsigned long long)r.sum_best,
			    r.share_captured() > 1.0 ? "; above 1: the policy adapted inside "
						      "epochs, beyond any fixed window" : "");
		if (!o.csv.empty())
			std::printf("trace: %s\n", o.csv.c_str());
		return 0;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "mlc-agent-loop: %s\n", e.what());
		return 1;
	}
}

// SPDX-License-Identifier: GPL-2.0
//
// mlc-agent-iris: the reference mlcore agent (agent/iris_agent.hpp).
//   mlc-agent-iris [--root ROOT] [--data iris.csv] [--seed N] [--classifier knn|centroid]
// ROOT is "/" for the real driver, or an `mlcore-emu serve --root` mount.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "agent/iris_agent.hpp"

int main(int argc, char **argv)
{
	using namespace mlc::agent;
	IrisOptions o;
	bool quiet = false;
	std::vector<int> columns{0, 2, 3};
	CLI::App app{"mlc-agent-iris - classify the iris data set through /dev/mlcore:\n"
		     "publish 50 stratified samples with IOCTL_ADD_TRAINING, read them back\n"
		     "from /proc/mlcore_train, train, and answer the other 100 with\n"
		     "SEND_INTS / SET_RESULT / GET_RESULT; print the accuracy next to a\n"
		     "majority-class baseline.",
		     "mlc-agent-iris"};
	app.add_option("--root", o.root, "Root of the device tree: / for the real "
		       "kernel, or a mlcore-emu mount")->capture_default_str();
	app.add_option("--data", o.data, "iris.csv as Debian's python3-sklearn ships it")
		->capture_default_str();
	app.add_option("--columns", columns, "Three of the four feature columns (0 sepal "
		       "length, 1 sepal width, 2 petal length, 3 petal width)")
		->expected(3)->check(CLI::Range(0, 3))->capture_default_str();
	app.add_option("--seed", o.seed, "Seed of the stratified split")->capture_default_str();
	app.add_option("--classifier", o.classifier, "knn or centroid")
		->check(CLI::IsMember({"knn", "centroid"}))->capture_default_str();
	app.add_option("--k", o.k, "Neighbours for knn")->check(CLI::Range(1, 50))
		->capture_default_str();
	app.add_flag("--quiet,-q", quiet, "Only the two result lines");
	CLI11_PARSE(app, argc, argv);
	o.columns = {columns[0], columns[1], columns[2]};
	if (!quiet)
		o.progress = &std::cout;
	try {
		IrisReport r = run_iris_agent(o);
		std::printf("%-26s %3zu/%zu = %.3f\n", (r.classifier + " accuracy:").c_str(),
			    r.correct, r.tested, r.accuracy());
		std::printf("%-26s %3zu/%zu = %.3f (always class %d)\n",
			    "majority-class baseline:", r.baseline_correct, r.tested,
			    r.baseline(), r.majority);
		return r.read_back_exact ? 0 : 1;
	} catch (const std::exception &e) {
		std::fprintf(stderr, "mlc-agent-iris: %s\n", e.what());
		return 1;
	}
}

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Epochs per second of the Dask sweep runner with 1 and 2 workers.

    /usr/bin/python3 bench/python/bench_sweep.py [--epochs 200] [--tasks 4]
        [--workers 1,2] [--agent knn]

Runs the same sweep (TASKS seeds of one agent, EPOCHS epochs each, every
task on its own private instance created by its worker) on a LocalCluster
of 1, then 2 workers and prints, per worker count, the epochs per second
over the whole map (wall time, instance setup included) and the median of
the tasks' own epochs/s (the agent's epochs only).  The rows must be the
same whatever the worker count (checked).  Pin the run to the CPUs you
mean (taskset -c 0,1); compare the ratio within one run.
"""
import argparse
import os
import statistics
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "src", "agent", "python"))
from mlcore_agent import sweep  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--tasks", type=int, default=4)
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--agent", default="knn", choices=sweep.AGENTS)
    a = ap.parse_args()
    seeds = list(range(1, a.tasks + 1))
    ref = None
    print(f"bench_sweep: agent {a.agent}, {a.tasks} tasks x {a.epochs} epochs, "
          f"CPUs {sorted(os.sched_getaffinity(0))}")
    rates = {}
    for w in [int(x) for x in a.workers.split(",")]:
        rows, wall = sweep.run_sweep([a.agent], seeds, ["synthetic"], a.epochs, workers=w)
        errors = [r["error"] for r in rows if r["error"]]
        if errors:
            print(f"bench_sweep: task failed: {errors[0]}", file=sys.stderr)
            return 1
        text = sweep.to_csv(rows)
        if ref is not None and text != ref:
            print("bench_sweep: the rows differ between worker counts", file=sys.stderr)
            return 1
        ref = text
        total = a.tasks * a.epochs
        rates[w] = total / wall
        med = statistics.median(r["epochs_per_s"] for r in rows)
        print(f"workers {w}: {total} epochs in {wall:.2f} s = {rates[w]:.0f} epochs/s "
              f"(per task, agent only: median {med:.0f} epochs/s)")
    if 1 in rates and 2 in rates:
        print(f"speed-up 2 workers / 1: {rates[2] / rates[1]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())

# SPDX-License-Identifier: GPL-2.0
"""Sweeps on Dask distributed: agents x seeds x workloads -> CSV and a plot.

    /usr/bin/python3 -m mlcore_agent.sweep --agents default,knn,tree \\
        --seeds 1-8 --epochs 200 --workers 2 --csv sweep.csv --plot sweep.png
    ... --scheduler tcp://HOST:8786      (a running cluster instead)

One task per (agent, seed, workload).  Each task runs on a Dask worker and
creates its own private instance there (mlcore_agent.testing.Instance with
that seed: FUSE when the worker can open /dev/fuse, else the preload door),
runs the agent for --epochs epochs, removes the instance and returns one
row.  Without --scheduler a LocalCluster of --workers processes (one thread
each) is started and stopped.

Agents: default (no recommendation: the default algorithm alone, 1.000),
knn (the C++ agent's rule) and tree (scikit-learn), as in
mlcore_agent.agents.loop.  Workloads: `synthetic` (the built-in
generator) or trace files (FORMATS-v2 "MLTRACE"), which each task writes
to ml_readahead/workload: that needs closed loop v2, and on a v1 loop the
task fails with a clear message in its row's `error` column.

The CSV has one row per task, sorted by (workload, agent, seed):
agent,seed,workload,epochs,cumulative_efficiency,final_mode,highest_mode,
recommendation_epoch,error — deterministic for the same arguments.
--timing adds seconds and epochs_per_s (wall time of the agent's epochs,
not of the instance's setup).  The plot (gnuplot) shows the cumulative
efficiency of each agent over the seeds.
"""
import argparse
import csv
import io
import os
import shutil
import subprocess
import sys
import time

AGENTS = ("default", "knn", "tree")
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run_default(root, epochs):
    from .env import MlLoopEnv
    env = MlLoopEnv(root, max_episode_steps=max(1, epochs - 1))
    sd = sa = 0
    modes = []
    try:
        _, info = env.reset()
        for i in range(epochs):
            sd += info["cost_default"]
            sa += info["cost_actual"]
            modes.append(info["mode_after"])
            if i + 1 < epochs:
                _, _, _, _, info = env.step_default()
        env.loop.stop()
    finally:
        env.close()
    return dict(cumulative_efficiency=sd / sa if sa else 1.0, final_mode=modes[-1],
                highest_mode=max(modes, key=("emergency", "learning", "collaboration",
                                             "recommendation").index),
                recommendation_epoch=None)


def run_agent(root, agent, epochs):
    """Runs one agent on ROOT; its result row (without agent/seed)."""
    if agent == "default":
        return _run_default(root, epochs)
    from .agents import loop
    from .parse import mode_name
    rep = loop.run(root, epochs, model=agent, say=lambda s: None)
    return dict(cumulative_efficiency=rep["cumulative_efficiency"],
                final_mode=mode_name(rep["final_mode"]),
                highest_mode=mode_name(rep["highest_mode"]),
                recommendation_epoch=rep["recommendation_epoch"])


def _load_workload(root, workload):
    if workload == "synthetic":
        return
    from .clients import MlLoopClient
    c = MlLoopClient(root)
    path = c.model_path("workload")
    if not os.path.lexists(path):
        raise RuntimeError(f"workload {workload}: this loop has no workload attribute "
                           f"(closed loop v2)")
    with open(workload, "rb") as f:
        data = f.read()
    fd = os.open(path, os.O_WRONLY)
    try:
        off = 0
        while off < len(data):
            off += os.write(fd, data[off:off + 4096])
    finally:
        os.close(fd)


def run_task(agent, seed, workload, epochs, door=None):
    """One task: a private instance with SEED, the workload, the agent."""
    from . import testing
    row = dict(agent=agent, seed=seed, workload=os.path.basename(workload), epochs=epochs,
               cumulative_efficiency="", final_mode="", highest_mode="",
               recommendation_epoch="", error="", seconds=0.0, epochs_per_s=0.0)
    try:
        with testing.Instance(seed=seed, door=door) as inst:
            if inst.in_process:
                _load_workload(inst.root, workload)
                t0 = time.perf_counter()
                res = run_agent(inst.root, agent, epochs)
                dt = time.perf_counter() - t0
            else:
                env = inst.env
                env["PYTHONPATH"] = os.pathsep.join(
                    p for p in (_PKG_PARENT, env.get("PYTHONPATH")) if p)
                p = inst.run([sys.executable, "-m", "mlcore_agent.sweep", "--one", agent,
                              "--epochs", str(epochs), "--workloads", workload], env=env)
                if p.returncode != 0:
                    raise RuntimeError(p.stderr.strip().splitlines()[-1] if p.stderr
                                       else f"exit {p.returncode}")
                import json
                res = json.loads(p.stdout.strip().splitlines()[-1])
                dt = res.pop("seconds")
        row.update(res)
        if row["recommendation_epoch"] is None:
            row["recommendation_epoch"] = ""
        row["cumulative_efficiency"] = f"{res['cumulative_efficiency']:.3f}"
        row["seconds"] = dt
        row["epochs_per_s"] = epochs / dt if dt > 0 else 0.0
    except Exception as e:  # noqa: BLE001 - one failed task is one row
        row["error"] = str(e).replace("\n", " ")
    return row


def run_sweep(agents, seeds, workloads, epochs, workers=1, scheduler=None, door=None):
    """All tasks on Dask; (rows sorted, wall seconds of the whole map)."""
    from distributed import Client, LocalCluster
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    try:
        tasks = [(a, s, w) for w in workloads for a in agents for s in seeds]
        t0 = time.perf_counter()
        futs = [client.submit(run_task, a, s, w, epochs, door, pure=False)
                for a, s, w in tasks]
        rows = client.gather(futs)
        wall = time.perf_counter() - t0
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    rows.sort(key=lambda r: (r["workload"], r["agent"], r["seed"]))
    return rows, wall


FIELDS = ["agent", "seed", "workload", "epochs", "cumulative_efficiency", "final_mode",
          "highest_mode", "recommendation_epoch", "error"]


def to_csv(rows, timing=False) -> str:
    fields = FIELDS + (["seconds", "epochs_per_s"] if timing else [])
    out = io.StringIO()
    w = csv.DictWriter(out, fields, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        r = dict(r)
        if timing:
            r["seconds"] = f"{r['seconds']:.3f}"
            r["epochs_per_s"] = f"{r['epochs_per_s']:.1f}"
        w.writerow(r)
    return out.getvalue()


def plot(rows, png, workdir):
    """gnuplot: cumulative efficiency per agent over the seeds; the status."""
    if not shutil.which("gnuplot"):
        return "not drawn: gnuplot is missing (apt-get install gnuplot-nox)"
    agents = sorted({r["agent"] for r in rows})
    data = []
    for a in agents:
        path = os.path.join(workdir, f"sweep-{a}.dat")
        with open(path, "w") as f:
            for r in rows:
                if r["agent"] == a and r["cumulative_efficiency"] != "":
                    f.write(f"{r['seed']} {r['cumulative_efficiency']}\n")
        data.append((a, path))
    gp = os.path.join(workdir, "sweep.gp")
    with open(gp, "w") as f:
        f.write(f"set terminal pngcairo size 900,500\nset output '{png}'\n"
                "set xlabel 'seed'\nset ylabel 'cumulative efficiency (default = 1.0)'\n"
                "set grid\nset key top left\n")
        f.write("plot " + ", ".join(f"'{p}' using 1:2 with linespoints title '{a}'"
                                    for a, p in data) + "\n")
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    return png if r.returncode == 0 else f"not drawn: gnuplot: {r.stderr.strip()}"


def _seeds(text):
    out = []
    for part in text.split(","):
        a, dash, b = part.partition("-")
        out.extend(range(int(a), int(b) + 1) if dash else [int(a)])
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m mlcore_agent.sweep", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agents", default="default,knn,tree")
    ap.add_argument("--seeds", default="1-4", help="e.g. 1-8 or 1,3,5")
    ap.add_argument("--workloads", default="synthetic",
                    help="comma-separated: synthetic or trace files (loop v2)")
    ap.add_argument("--epochs", type=int, default=100)
    ap.add_argument("--workers", type=int, default=1, help="LocalCluster workers")
    ap.add_argument("--scheduler", help="address of a running Dask scheduler")
    ap.add_argument("--door", choices=("auto", "fuse", "preload"), default=None)
    ap.add_argument("--csv", help="write the CSV here (default: stdout)")
    ap.add_argument("--plot", help="write a PNG here (gnuplot)")
    ap.add_argument("--timing", action="store_true", help="add seconds, epochs_per_s")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # inside a preload instance
    a = ap.parse_args(argv)
    if a.one:
        import json
        _load_workload("/", a.workloads)
        t0 = time.perf_counter()
        res = run_agent("/", a.one, a.epochs)
        res["seconds"] = time.perf_counter() - t0
        print(json.dumps(res))
        return 0
    agents = [x for x in a.agents.split(",") if x]
    bad = [x for x in agents if x not in AGENTS]
    if bad:
        ap.error(f"unknown agents {bad}: choose from {', '.join(AGENTS)}")
    if not 1 <= a.epochs <= 100000:
        ap.error("--epochs must be 1..100000")
    workloads = [w for w in a.workloads.split(",") if w]
    for w in workloads:
        if w != "synthetic" and not os.path.isfile(w):
            ap.error(f"workload {w}: not 'synthetic' and not a file")
    rows, wall = run_sweep(agents, _seeds(a.seeds), workloads, a.epochs, a.workers,
                           a.scheduler, a.door)
    text = to_csv(rows, a.timing)
    if a.csv:
        with open(a.csv, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    if a.plot:
        status = plot(rows, os.path.abspath(a.plot),
                      os.path.dirname(os.path.abspath(a.plot)))
        print(f"plot: {status}", file=sys.stderr)
    if a.timing:
        total = sum(r["epochs"] for r in rows if not r["error"])
        print(f"sweep: {len(rows)} tasks, {total} epochs in {wall:.2f} s = "
              f"{total / wall:.1f} epochs/s with {a.workers} workers", file=sys.stderr)
    return 1 if any(r["error"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

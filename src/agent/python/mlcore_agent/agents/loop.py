# SPDX-License-Identifier: GPL-2.0
"""The closed-loop agent with scikit-learn, acting through MlLoopEnv.

    /usr/bin/python3 -m mlcore_agent.agents.loop [--root R] [--epochs 60]
        [--model tree|knn] [--policy] [--csv trace.csv] [--quiet]

Each epoch it learns from the DATASET record just read (its features and
its hindsight-best window, the label) and picks the window for the next
epoch (one MlLoopEnv.step):

- tree (default): a scikit-learn DecisionTreeClassifier (max_depth 6)
  refitted every epoch on the last 256 epochs, in the C++ agent's feature
  space (MlLoopEnv's observation 0..2); its prediction is the window.
- knn: the C++ agent's rule in numpy (the smallest best window of the 5
  nearest past epochs: risk-averse, because a window too large costs more
  than one too small and one bad epoch sends the model back to
  EMERGENCY); same arithmetic, so its trace is mlc-agent-loop's, byte for
  byte (test/python/test_agents.py checks it against --agent window).
- --policy (closed loop v2 only): the tree is fitted on the DATASET fields
  as integers and written as a POLICY record (mlcore_agent.policy) that the
  kernel evaluates at each miss.  On a loop without POLICY records
  (MlLoopClient.supports_policy() is False) it stops with an error.

The progress lines (with `share N%`), the summary (with the share of the
hindsight gain captured) and the CSV trace (--csv, with closed loop v2's
cost_best,share,ceiling columns from the growth of `stats`' cost_best)
have the format of mlc-agent-loop, so the two agents' gains compare line
by line; knn's are `mlc-agent-loop --agent window`'s byte for byte.  Same
instance seed, same output.
"""
import argparse
import sys

import math

from ..env import MlLoopEnv, WINDOWS, features_of, share_of, window_level
from ..parse import ProtocolError, mode_name
from .. import policy as _policy
from .. import uapi

MEMORY = 256  # past epochs kept, as the C++ WindowLearner


class KnnLearner:
    """The C++ WindowLearner's rule (loop_agent.cc) in numpy: the k nearest
    past epochs by squared distance in features_of() space (the most recent
    first among equals), and the smallest of their best windows.  Same
    arithmetic in the same order, so the trace is the C++ agent's."""

    def __init__(self, k=5):
        self.k, self.X, self.y = k, [], []

    def learn(self, d):
        if d.accesses == 0:
            return
        self.X.append(features_of(d))
        self.y.append(window_level(d.best_window))
        del self.X[:-MEMORY], self.y[:-MEMORY]

    def predict(self, d):
        if not self.X:
            return None
        import numpy as np
        X = np.asarray(self.X, dtype=np.float64)
        q = features_of(d)
        dx, dy, dz = X[:, 0] - q[0], X[:, 1] - q[1], X[:, 2] - q[2]
        dist = dx * dx + dy * dy + dz * dz
        age = np.arange(len(X) - 1, -1, -1)
        order = np.lexsort((age, dist))[:min(max(self.k, 1), len(X))]
        return WINDOWS[min(self.y[i] for i in order)]


class TreeLearner(KnnLearner):
    """A scikit-learn DecisionTreeClassifier (max_depth 6) refitted every
    epoch on the same examples; its prediction is the window."""

    def predict(self, d):
        if not self.X:
            return None
        from sklearn.tree import DecisionTreeClassifier
        t = DecisionTreeClassifier(max_depth=6, random_state=0).fit(self.X, self.y)
        return WINDOWS[int(t.predict([features_of(d)])[0])]


POLICY_FEATURES = (_policy.F_SEQ_PERMILLE, _policy.F_MEAN_RUN_X100,
                   _policy.F_DISTINCT_PERMILLE, _policy.F_DEFAULT_WINDOW)


class PolicyLearner:
    """A tree on the integer DATASET fields, compiled to POLICY nodes."""

    def __init__(self, max_depth=6):
        self.max_depth, self.X, self.y = max_depth, [], []

    def learn(self, d):
        if d.accesses == 0:
            return
        self.X.append([getattr(d, _policy.DATASET_FIELD[f]) for f in POLICY_FEATURES])
        self.y.append(d.best_window)
        del self.X[:-MEMORY], self.y[:-MEMORY]

    def nodes(self):
        if not self.X:
            return None
        from sklearn.tree import DecisionTreeClassifier
        t = DecisionTreeClassifier(max_depth=self.max_depth, random_state=0).fit(self.X, self.y)
        return _policy.compile_tree(t, POLICY_FEATURES)


def _milli(v):
    return f"{v // 1000}.{v % 1000:03d}"


def _lround(x):
    """C's lround(): to the nearest, halves away from zero."""
    return int(math.copysign(math.floor(abs(x) + 0.5), x))


def _trunc10(v):
    """C's int division by 10 (towards zero)."""
    return -(-v // 10) if v < 0 else v // 10


def _signed_milli(v):
    return ("-" if v < 0 else "") + _milli(abs(v))


def _wtext(w):
    return "none" if w is None else str(w)


def run(root="/", epochs=60, model="tree", k=5, use_policy=False, name="loop",
        say=print, progress_every=1):
    env = MlLoopEnv(root, max_episode_steps=max(1, epochs - 1))
    if use_policy and not env.loop.supports_policy():
        env.close()
        raise ProtocolError("this loop takes no POLICY records (closed loop v2: no "
                            "ml_readahead/workload attribute); run without --policy")
    learner = (PolicyLearner() if use_policy else
               KnnLearner(k) if model == "knn" else TreeLearner(k))
    rows = []
    sums = dict(default=0, actual=0, recommended=0, best=0)
    rec_epoch = None
    highest = uapi.ML_LIB_EMERGENCY_MODE
    try:
        obs, info = env.reset()
        for i in range(epochs):
            d, fb = info["dataset"], info["feedback"]
            if info["cost_best"] is None:
                raise ProtocolError("ml_readahead/stats: no 'cost_best'")
            learner.learn(d)
            mode_after = uapi.MODE_NAMES.index(info["mode_after"])
            sums["default"] += fb.cost_default
            sums["actual"] += fb.cost_actual
            sums["recommended"] += fb.cost_recommended
            sums["best"] = info["cost_best_total"]
            highest = max(highest, mode_after)
            if mode_after == uapi.ML_LIB_RECOMMENDATION_MODE and rec_epoch is None:
                rec_epoch = fb.epoch
            cumulative = sums["default"] * 1000 // sums["actual"] if sums["actual"] else 1000
            ceiling = sums["default"] * 1000 // sums["best"] if sums["best"] else 1000
            share = _lround(1000.0 * share_of(sums["default"], sums["actual"], sums["best"]))
            if use_policy:
                nodes = learner.nodes()
                nxt = None if nodes is None else f"policy({len(nodes)} nodes)"
            else:
                w = learner.predict(d)
                nxt = w
            row = dict(epoch=fb.epoch, mode=fb.mode, efficiency=fb.efficiency_milli,
                       ewma=round(info["ewma"] * 1000), applied=fb.applied_permille,
                       window=fb.recommended_window, best=fb.best_window,
                       cost_default=fb.cost_default, cost_actual=fb.cost_actual,
                       mode_after=mode_after, cumulative=cumulative, policy=fb.policy,
                       cost_best=info["cost_best"], share=share, ceiling=ceiling)
            rows.append(row)
            if progress_every <= 1 or mode_after != fb.mode or \
                    fb.epoch % progress_every == 0 or i + 1 == epochs:
                say(f"{name}: epoch {fb.epoch}  mode {mode_name(fb.mode)}  efficiency "
                    f"{_milli(fb.efficiency_milli)}  ewma {_milli(row['ewma'])}  applied "
                    f"{fb.applied_permille // 10}%  window "
                    f"{'policy' if fb.policy else _wtext(fb.recommended_window)} (best "
                    f"{fb.best_window})  next {_wtext(nxt)}  share {_trunc10(share)}%"
                    + (f"  -> {mode_name(mode_after)}" if mode_after != fb.mode else ""))
            last = i + 1 == epochs
            if use_policy:
                if nodes is None:
                    obs, _, _, _, info = env.step_default() if not last else (0, 0, 0, 0, info)
                elif last:
                    env.loop.write_policy(nodes)
                else:
                    obs, _, _, _, info = env.step_policy(nodes)
            elif w is None:
                if not last:
                    obs, _, _, _, info = env.step_default()
            elif last:
                env.loop.write_recommendation(w, env.confidence_permille)
            else:
                obs, _, _, _, info = env.step(WINDOWS.index(w))
        final = rows[-1]["mode_after"] if rows else env.loop.mode()
        env.loop.stop()
    finally:
        env.close()
    return dict(rows=rows, final_mode=final, highest_mode=highest,
                recommendation_epoch=rec_epoch, sum_default=sums["default"],
                sum_actual=sums["actual"], sum_recommended=sums["recommended"],
                sum_best=sums["best"],
                share=share_of(sums["default"], sums["actual"], sums["best"]),
                cumulative_efficiency=(sums["default"] / sums["actual"]
                                       if sums["actual"] else 1.0))


def trace_csv(rep) -> str:
    """mlc-agent-loop's CSV (loop_agent.cc trace_csv), -2 for a policy."""
    out = ["epoch,mode,efficiency,ewma,applied,window,best,cost_default,cost_actual,"
           "mode_after,cumulative,cost_best,share,ceiling\n"]
    for r in rep["rows"]:
        w = -2 if r["policy"] else (-1 if r["window"] is None else r["window"])
        out.append(f"{r['epoch']},{r['mode']},{_milli(r['efficiency'])},{_milli(r['ewma'])},"
                   f"{r['applied'] // 1000}.{r['applied'] % 1000:03d},{w},{r['best']},"
                   f"{r['cost_default']},{r['cost_actual']},{r['mode_after']},"
                   f"{_milli(r['cumulative'])},{r['cost_best']},"
                   f"{_signed_milli(r['share'])},{_milli(r['ceiling'])}\n")
    return "".join(out)


def summary_lines(rep, csv=None):
    lines = [f"epochs: {len(rep['rows'])}, final mode: {mode_name(rep['final_mode'])}, "
             f"highest mode: {mode_name(rep['highest_mode'])}"]
    if rep["recommendation_epoch"] is not None:
        lines.append(f"reached recommendation after epoch {rep['recommendation_epoch']}")
    else:
        lines.append("did not reach recommendation")
    lines.append(f"cumulative efficiency: {rep['cumulative_efficiency']:.3f} (default cost "
                 f"{rep['sum_default']}, actual {rep['sum_actual']})")
    lines.append(f"share of the hindsight gain captured: {rep['share']:.3f} ((default "
                 f"{rep['sum_default']} - actual {rep['sum_actual']}) / (default - best "
                 f"{rep['sum_best']})"
                 + ("; above 1: the policy adapted inside epochs, beyond any fixed window"
                    if rep["share"] > 1.0 else "") + ")")
    if csv:
        lines.append(f"trace: {csv}")
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(prog="/usr/bin/python3 -m mlcore_agent.agents.loop",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="/", help="root of the device tree (default /)")
    ap.add_argument("--epochs", type=int, default=60, help="epochs to run (1..100000)")
    ap.add_argument("--model", choices=("tree", "knn"), default="tree")
    ap.add_argument("--k", type=int, default=5, help="neighbours of knn (1..64)")
    ap.add_argument("--policy", action="store_true",
                    help="write a compiled decision tree as a POLICY (closed loop v2)")
    ap.add_argument("--csv", help="write the per-epoch trace here")
    ap.add_argument("--progress-every", type=int, default=1)
    ap.add_argument("--quiet", "-q", action="store_true", help="only the summary")
    a = ap.parse_args(argv)
    if not 1 <= a.epochs <= 100000:
        ap.error("--epochs must be 1..100000")
    if not 1 <= a.k <= 64:
        ap.error("--k must be 1..64")
    try:
        rep = run(a.root, a.epochs, a.model, a.k, a.policy,
                  say=(lambda s: None) if a.quiet else (lambda s: print(s, flush=True)),
                  progress_every=a.progress_every)
    except (OSError, ProtocolError, ValueError) as e:
        print(f"mlcore_agent.agents.loop: {e}", file=sys.stderr)
        return 1
    if a.csv:
        with open(a.csv, "w") as f:
            f.write(trace_csv(rep))
    for line in summary_lines(rep, a.csv):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())

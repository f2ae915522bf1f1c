# SPDX-License-Identifier: GPL-2.0
"""The iris agent with scikit-learn: the protocol and report of
mlc-agent-iris (src/agent/iris_agent.cc) with a scikit-learn classifier.

    /usr/bin/python3 -m mlcore_agent.agents.iris [--root R] [--seed N]
        [--classifier knn|centroid|tree] [--k 5] [--quiet]

sklearn.datasets.load_iris() (Debian's python3-sklearn), sepal length,
petal length and petal width x100; the same stratified split of 50
training samples as the C++ agent (splitmix64 with the seed, so the same
samples reach /proc/mlcore_train); ADD_TRAINING, read back from
/proc/mlcore_train, a classifier fitted on what was read back, then the
other 100 answered with SEND_INTS, SET_RESULT and a guarded GET_RESULT
check; accuracy next to a majority-class baseline.  Exit status 0 when the
read-back training set is identical to what was sent.
"""
import argparse
import sys
from collections import Counter

from ..clients import MlcoreClient
from ..parse import ProtocolError
from .. import uapi

FEATURE_NAMES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
MASK = (1 << 64) - 1


class SplitMix64:
    """The C++ agent's generator (iris_agent.cc), bit for bit."""

    def __init__(self, seed: int):
        self.s = seed & MASK

    def next(self) -> int:
        self.s = (self.s + 0x9E3779B97F4A7C15) & MASK
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def below(self, n: int) -> int:
        """Uniform in [0, n) by rejection, no modulo bias."""
        limit = MASK - MASK % n
        while True:
            r = self.next()
            if r < limit:
                return r % n


def _shuffle(v, rng):
    for i in range(len(v), 1, -1):
        j = rng.below(i)
        v[i - 1], v[j] = v[j], v[i - 1]


def stratified_split(samples, n_train: int, seed: int):
    """(train, test) exactly as stratified_split() in iris_agent.cc:
    samples are (features, label); classes in label order get the
    remainder first; the test set keeps data order."""
    by_class = {}
    for i, (_, label) in enumerate(samples):
        by_class.setdefault(label, []).append(i)
    if n_train > len(samples):
        raise ValueError("more training samples than data")
    rng = SplitMix64(seed)
    classes = len(by_class)
    base, extra = divmod(n_train, classes)
    picked = [False] * len(samples)
    train = []
    for ci, label in enumerate(sorted(by_class)):
        idx = by_class[label]
        want = min(len(idx), base + (1 if ci < extra else 0))
        _shuffle(idx, rng)
        for j in idx[:want]:
            picked[j] = True
            train.append(samples[j])
    _shuffle(train, rng)
    test = [s for i, s in enumerate(samples) if not picked[i]]
    return train, test


def load_samples(columns=(0, 2, 3)):
    """load_iris() as ((f1, f2, f3) x100 ints, label) and the names."""
    from sklearn.datasets import load_iris
    iris = load_iris()
    samples = []
    for row, label in zip(iris.data, iris.target):
        feats = tuple(int(round(float(row[c]) * 100)) for c in columns)
        samples.append((feats, int(label)))
    return samples, [FEATURE_NAMES[c] for c in columns]


def make_classifier(name: str, k: int):
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier
        return KNeighborsClassifier(n_neighbors=k), f"sklearn k-NN (k={k})"
    if name == "centroid":
        from sklearn.neighbors import NearestCentroid
        return NearestCentroid(), "sklearn nearest centroid"
    if name == "tree":
        from sklearn.tree import DecisionTreeClassifier
        return DecisionTreeClassifier(random_state=0), "sklearn decision tree"
    raise ValueError("classifier must be knn, centroid or tree")


def run(root="/", seed=1, classifier="knn", k=5, say=print):
    samples, names = load_samples()
    train, test = stratified_split(samples, uapi.MLCORE_MAX_TRAINING_ENTRIES, seed)
    clf, clf_name = make_classifier(classifier, k)
    say(f"iris: {len(samples)} samples from sklearn.datasets.load_iris(), features "
        f"{', '.join(names)} (fixed point x100)")
    dev = MlcoreClient(root)
    try:
        dev.clear_training()
        for feats, label in train:
            dev.add_training(feats, label)
        say(f"iris: published {len(train)} training entries (stratified, seed {seed}) "
            f"with IOCTL_ADD_TRAINING")
        rows = dev.read_training()
        exact = len(rows) == len(train) and all(
            r.features == t[0] and r.label == t[1] for r, t in zip(rows, train))
        ambiguous = sum(not e for r in rows for e in r.exact)
        say(f"iris: read {len(rows)} training entries back from /proc/mlcore_train"
            + (" (identical to what was sent" if exact else " (DIFFERENT from what was sent")
            + (f"; {ambiguous} values below 1.00 print without a sign and were read "
               f"as positive)" if ambiguous else ")"))
        if not rows:
            raise ProtocolError("/proc/mlcore_train is empty after ADD_TRAINING")
        X = [list(r.features) for r in rows]
        y = [r.label for r in rows]
        clf.fit(X, y)
        counts = Counter(y)
        majority = min(counts, key=lambda lab: (-counts[lab], lab))
        preds = clf.predict([list(f) for f, _ in test])
        correct = baseline = 0
        for (feats, label), guess in zip(test, preds):
            guess = int(guess)
            dev.send_features(feats)
            dev.set_result(guess)
            back = dev.get_result()
            if back != guess:
                raise ProtocolError(f"GET_RESULT returned {back} after SET_RESULT {guess}")
            correct += guess == label
            baseline += majority == label
        hist = dev.read_result_history()
        if test and (not hist.history or hist.history[-1].value != hist.current):
            raise ProtocolError("/proc/mlcore_result: the latest history entry is not the "
                                "current prediction")
        say(f"iris: answered {len(test)} held-out samples (SEND_INTS, predict, SET_RESULT, "
            f"GET_RESULT checked); /proc/mlcore_result shows the last {len(hist.history)}")
    finally:
        dev.close()
    return dict(classifier=clf_name, samples=len(samples), trained=len(rows),
                tested=len(test), correct=correct, baseline_correct=baseline,
                majority=majority, read_back_exact=exact, ambiguous_values=ambiguous)


def report_lines(r):
    n = r["tested"]
    acc = r["correct"] / n if n else 0.0
    base = r["baseline_correct"] / n if n else 0.0
    return [f"{r['classifier'] + ' accuracy:':<26} {r['correct']:3d}/{n} = {acc:.3f}",
            f"{'majority-class baseline:':<26} {r['baseline_correct']:3d}/{n} = {base:.3f} "
            f"(always class {r['majority']})"]


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python3 -m mlcore_agent.agents.iris",
                                 description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default="/", help="root of the device tree: / for the "
                    "real kernel, or a mlcore-emu mount (default /)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the stratified split")
    ap.add_argument("--classifier", choices=("knn", "centroid", "tree"), default="knn")
    ap.add_argument("--k", type=int, default=5, choices=range(1, 51), metavar="1..50",
                    help="neighbours for knn")
    ap.add_argument("--quiet", "-q", action="store_true", help="only the two result lines")
    a = ap.parse_args(argv)
    try:
        r = run(a.root, a.seed, a.classifier, a.k,
                say=(lambda s: None) if a.quiet else (lambda s: print(s, flush=True)))
    except (OSError, ProtocolError, ValueError) as e:
        print(f"mlcore_agent.agents.iris: {e}", file=sys.stderr)
        return 1
    for line in report_lines(r):
        print(line)
    return 0 if r["read_back_exact"] else 1


if __name__ == "__main__":
    sys.exit(main())

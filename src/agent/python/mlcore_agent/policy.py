# SPDX-License-Identifier: GPL-2.0
"""Decision-tree POLICY records for the closed loop v2 (the format agreed
in FORMATS-v2.md, `struct ml_loop_policy` in include/uapi/ml_loop.h).

A policy is up to 255 nodes of 8 bytes; node 0 is the root; an inner node
sends a miss to `left` when its feature <= `value`, else to `right`; a leaf
(feature 0xff) answers the window `value` (0..256).  It is written as ONE
write(2) of ceil(n / 5) 64-byte records.

    nodes = compile_tree(fitted_decision_tree, features=[F_SEQ_PERMILLE, ...])
    data = encode_policy(nodes)          # bytes, a multiple of 64
    MlLoopClient(root).write_policy(nodes)

Features are integers the kernel computes over the last 512 accesses, as
the DATASET record's fields are computed over an epoch, so a tree trained
on DATASET records applies online.  Thresholds of a scikit-learn tree are
floats ("x <= t"); on integer features that is "x <= floor(t)", which is
what the compiler writes (a branch that no integer can take is pruned).
"""
import math
import struct
from dataclasses import dataclass
from typing import List, Sequence

from . import uapi

F_SEQ_PERMILLE = uapi.ML_LOOP_F_SEQ_PERMILLE
F_MEAN_RUN_X100 = uapi.ML_LOOP_F_MEAN_RUN_X100
F_DISTINCT_PERMILLE = uapi.ML_LOOP_F_DISTINCT_PERMILLE
F_DEFAULT_WINDOW = uapi.ML_LOOP_F_DEFAULT_WINDOW
F_RUN_LENGTH = uapi.ML_LOOP_F_RUN_LENGTH
LEAF = uapi.ML_LOOP_POLICY_LEAF

# The DATASET field that each feature mirrors (None: not in DATASET).
DATASET_FIELD = {F_SEQ_PERMILLE: "seq_permille", F_MEAN_RUN_X100: "mean_run_x100",
                 F_DISTINCT_PERMILLE: "distinct_permille",
                 F_DEFAULT_WINDOW: "default_window", F_RUN_LENGTH: None}

_HEAD = struct.Struct("<IHHQHHHH")   # header + node_count, first_node, nodes_here, reserved
_NODE = struct.Struct("<BBHHH")
assert _HEAD.size == 24 and _NODE.size == 8
assert _HEAD.size + uapi.ML_LOOP_POLICY_NODES_PER_REC * _NODE.size == uapi.ML_LOOP_RECORD_SIZE


@dataclass(frozen=True)
class PolicyNode:
    feature: int        # ML_LOOP_F_* or LEAF
    value: int          # inner: threshold; leaf: window 0..256
    left: int = 0       # inner: child when feature <= value
    right: int = 0      # inner: child when feature > value

    @staticmethod
    def leaf(window: int) -> "PolicyNode":
        return PolicyNode(LEAF, window, 0, 0)

    @property
    def is_leaf(self) -> bool:
        return self.feature == LEAF


def validate(nodes: Sequence[PolicyNode]) -> None:
    """ValueError with the reason when the kernel would refuse the policy
    (FORMATS-v2.md: children after their parent and inside the policy,
    depth <= 16, known features, leaf windows <= 256)."""
    n = len(nodes)
    if not 1 <= n <= uapi.ML_LOOP_POLICY_MAX_NODES:
        raise ValueError(f"a policy has 1..{uapi.ML_LOOP_POLICY_MAX_NODES} nodes, not {n}")
    depth = [0] * n
    depth[0] = 1
    for i, nd in enumerate(nodes):
        for name in ("feature", "value", "left", "right"):
            v = getattr(nd, name)
            if isinstance(v, bool) or not isinstance(v, int):
                raise TypeError(f"node {i} {name} must be an int")
        if nd.is_leaf:
            if not 0 <= nd.value <= uapi.ML_LOOP_MAX_WINDOW:
                raise ValueError(f"node {i}: leaf window {nd.value} is outside 0..256")
            if nd.left or nd.right:
                raise ValueError(f"node {i}: a leaf has left = right = 0")
            continue
        if not 0 <= nd.feature < uapi.ML_LOOP_F_COUNT:
            raise ValueError(f"node {i}: feature {nd.feature} is not 0..4 or LEAF")
        if not 0 <= nd.value <= 0xFFFF:
            raise ValueError(f"node {i}: threshold {nd.value} is outside 0..65535")
        for child in (nd.left, nd.right):
            if not i < child < n:
                raise ValueError(f"node {i} child {child} not after it and inside the "
                                 f"policy of {n} nodes")
            depth[child] = max(depth[child], depth[i] + 1)
            if depth[child] > uapi.ML_LOOP_POLICY_MAX_DEPTH:
                raise ValueError(f"node {child} is at depth {depth[child]}: at most "
                                 f"{uapi.ML_LOOP_POLICY_MAX_DEPTH} nodes on a path")


def encode_policy(nodes: Sequence[PolicyNode], epoch: int = 0) -> bytes:
    """The bytes of the one write(2): ceil(n / 5) POLICY records."""
    validate(nodes)
    n, per = len(nodes), uapi.ML_LOOP_POLICY_NODES_PER_REC
    out = bytearray()
    for first in range(0, n, per):
        here = nodes[first:first + per]
        rec = bytearray(_HEAD.pack(uapi.ML_LOOP_RECORD_MAGIC, uapi.ML_LOOP_REC_POLICY,
                                   uapi.ML_LOOP_RECORD_SIZE, epoch, n, first,
                                   len(here), 0))
        for nd in here:
            rec += _NODE.pack(nd.feature, 0, nd.value, nd.left, nd.right)
        rec += bytes(uapi.ML_LOOP_RECORD_SIZE - len(rec))
        out += rec
    return bytes(out)


def decode_policy(data) -> List[PolicyNode]:
    """The inverse of encode_policy (for tests and tools); ValueError when
    the records are not one consistent policy."""
    b = bytes(data)
    size, per = uapi.ML_LOOP_RECORD_SIZE, uapi.ML_LOOP_POLICY_NODES_PER_REC
    if not b or len(b) % size:
        raise ValueError(f"{len(b)} bytes is not a whole number of records")
    nodes: List[PolicyNode] = []
    count = None
    for r in range(len(b) // size):
        rec = b[r * size:(r + 1) * size]
        magic, rtype, rsize, _epoch, n, first, here, res = _HEAD.unpack_from(rec)
        if magic != uapi.ML_LOOP_RECORD_MAGIC or rtype != uapi.ML_LOOP_REC_POLICY or \
                rsize != size or res != 0:
            raise ValueError(f"record {r} is not a POLICY record")
        count = n if count is None else count
        if n != count or first != per * r or here != min(per, n - per * r):
            raise ValueError(f"record {r}: node_count/first_node/nodes_here inconsistent")
        for k in range(here):
            f, z, v, lo, hi = _NODE.unpack_from(rec, _HEAD.size + k * _NODE.size)
            if z:
                raise ValueError(f"record {r} node {k}: reserved byte not 0")
            nodes.append(PolicyNode(f, v, lo, hi))
    if len(nodes) != count:
        raise ValueError(f"{len(nodes)} nodes for node_count {count}")
    validate(nodes)
    return nodes


def evaluate(nodes: Sequence[PolicyNode], features: Sequence[int]) -> int:
    """The window the kernel's evaluation gives for integer features
    (indexed by ML_LOOP_F_*): integers only, at most 16 visits."""
    i = 0
    for _ in range(uapi.ML_LOOP_POLICY_MAX_DEPTH):
        nd = nodes[i]
        if nd.is_leaf:
            return nd.value
        i = nd.left if features[nd.feature] <= nd.value else nd.right
    raise ValueError("policy deeper than 16 nodes")


def compile_tree(tree, features: Sequence[int]) -> List[PolicyNode]:
    """A fitted sklearn DecisionTreeClassifier -> nodes in preorder.

    `features[j]` is the ML_LOOP_F_* of the tree's column j.  The classes
    must be windows (ints 0..256).  ValueError if the tree cannot be a
    policy (more than 255 nodes or a path of more than 16 after pruning:
    fit with max_depth <= 15)."""
    t = getattr(tree, "tree_", None)
    if t is None:
        raise TypeError("compile_tree needs a fitted sklearn DecisionTreeClassifier")
    classes = list(tree.classes_)
    for c in classes:
        if int(c) != c or not 0 <= int(c) <= uapi.ML_LOOP_MAX_WINDOW:
            raise ValueError(f"class {c!r} is not a window 0..256")
    if t.n_features != len(features):
        raise ValueError(f"the tree has {t.n_features} columns, {len(features)} "
                         f"features given")
    for f in features:
        if not 0 <= f < uapi.ML_LOOP_F_COUNT:
            raise ValueError(f"feature {f} is not an ML_LOOP_F_* (0..4)")
    left, right = t.children_left, t.children_right

    def resolve(i):
        # Skip branches no integer takes: x <= t with floor(t) < 0 never
        # holds (features are >= 0); floor(t) >= 65535 always holds.
        while left[i] != -1:
            thr = math.floor(t.threshold[i])
            if thr < 0:
                i = right[i]
            elif thr >= 0xFFFF:
                i = left[i]
            else:
                break
        return i

    out: List[PolicyNode] = []

    def emit(i):
        i = resolve(i)
        me = len(out)
        out.append(None)
        if left[i] == -1:
            counts = t.value[i][0]
            best = max(range(len(classes)), key=lambda k: (counts[k], -k))
            out[me] = PolicyNode.leaf(int(classes[best]))
        else:
            lo = emit(left[i])
            hi = emit(right[i])
            out[me] = PolicyNode(int(features[t.feature[i]]),
                                 int(math.floor(t.threshold[i])), lo, hi)
        return me

    emit(0)
    validate(out)
    return out

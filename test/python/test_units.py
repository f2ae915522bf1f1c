# SPDX-License-Identifier: GPL-2.0
"""Pure parts: the UAPI numbers against the headers, the strict parsers,
the loop records, and the POLICY byte encoding against FORMATS-v2."""
import os
import re
import struct

import pytest

from mlcore_agent import parse, policy, records, uapi
from mlcore_agent.parse import ProtocolError

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def _header_numbers():
    nums = {}
    for h in ("mlcore.h", "ml_lib.h", "ml_loop.h"):
        text = open(os.path.join(SRC, "include", "uapi", h)).read()
        for m in re.finditer(r"#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)u?\b", text):
            nums[m.group(1)] = int(m.group(2), 0)
        for m in re.finditer(r"^\s+(ML_\w+) = (\d+),", text, re.M):  # enum members
            nums[m.group(1)] = int(m.group(2))
        for m in re.finditer(r"MLC_ABI_ASSERT\((\w+) == (0x[0-9A-Fa-f]+)u", text):
            nums[m.group(1)] = int(m.group(2), 16)
    return nums


def test_uapi_numbers_match_the_headers():
    nums = _header_numbers()
    checked = 0
    for name, value in vars(uapi).items():
        if name in nums:
            assert value == nums[name], name
            checked += 1
    assert checked >= 24
    for name in ("IOCTL_GET_RESULT", "ML_LOOP_IOCPENDING", "ML_LIB_TEST_IOCSETSIZE"):
        assert getattr(uapi, name) == nums[name]


@pytest.mark.parametrize("text,value,exact", [
    ("0.00", 0, True), ("0.05", 5, False), ("1.00", 100, True), ("-1.50", -150, True),
    ("-21474836.48", -2**31, True), ("21474836.47", 2**31 - 1, True),
    ("-0.05", -5, True), ("12.34", 1234, True)])
def test_parse_fixed(text, value, exact):
    assert parse.parse_fixed(text) == parse.FixedValue(value, exact)


@pytest.mark.parametrize("text", ["1", "1.2", "1.234", "a.00", "21474836.48",
                                  "-21474836.49", "1.-2", "", ".00", "1. 2"])
def test_parse_fixed_refuses(text):
    assert parse.parse_fixed(text) is None


def test_format_fixed_has_the_sign_loss():
    assert parse.format_fixed(-5) == parse.format_fixed(5) == "0.05"
    assert parse.format_fixed(-2**31) == "-21474836.48"
    for v in (0, 1, -1, 99, -99, 100, -100, 12345, -12345, 2**31 - 1, -2**31):
        fx = parse.parse_fixed(parse.format_fixed(v))
        assert fx.value == (abs(v) if -100 < v < 0 else v)
        assert fx.exact == (not (-100 < v < 100) or v == 0)


def test_parse_training():
    rows = parse.parse_training("[0]: 5.10 0.20 -1.00 => 2\n[1]: 0.00 1.00 2.00 => -1\n")
    assert rows[0].features == (510, 20, -100) and rows[0].exact == (True, False, True)
    assert rows[1].label == -1 and rows[1].all_exact
    assert parse.parse_training("") == []


@pytest.mark.parametrize("text", [
    "[0]: 1.00 2.00 3.00 => 1",                # no newline
    "[1]: 1.00 2.00 3.00 => 1\n",              # wrong index
    "[0]: 1.00 2.00 => 1\n",                   # two features
    "[0]: 1.00 2.00 3.00 4.00 => 1\n",
    "[0]: 1.00 2.00 3.00 => x\n",
    "[0]: 1.00 2.00 3.00 => 2147483648\n",
    "[0]:  1.00 2.00 3.00 => 1\n",
    "".join(f"[{i}]: 1.00 2.00 3.00 => 1\n" for i in range(51))])
def test_parse_training_refuses(text):
    with pytest.raises(ProtocolError):
        parse.parse_training(text)


def test_parse_result():
    t = ("Current Prediction: 7\nPrediction History (latest 2):\n"
         " [0]: -3 at 2026-01-01 00:00:00\n [1]: 7 at 2026-01-01 00:00:01\n")
    r = parse.parse_result(t)
    assert r.current == 7 and [h.value for h in r.history] == [-3, 7]
    assert r.history[1].time == 1767225601 and r.history[0].stamp == "2026-01-01 00:00:00"
    assert parse.parse_result("Current Prediction: -1\nPrediction History (latest 0):\n") \
        .history == ()


@pytest.mark.parametrize("text", [
    "Current Prediction: 7\n",
    "Current Prediction: 7\nPrediction History (latest 1):\n",
    "Current Prediction: x\nPrediction History (latest 0):\n",
    "Current Prediction: 7\nPrediction History (latest 11):\n",
    "Current Prediction: 7\nPrediction History (latest 1):\n [0]: 7 at 2026-13-01 00:00:00\n",
    "Current Prediction: 7\nPrediction History (latest 1):\n [1]: 7 at 2026-01-01 00:00:00\n"])
def test_parse_result_refuses(text):
    with pytest.raises(ProtocolError):
        parse.parse_result(text)


def test_utc_stamp_matches_calendar():
    import calendar
    for t in ("1970-01-01 00:00:00", "2000-02-29 12:34:56", "2026-01-01 00:00:00",
              "2099-12-31 23:59:59"):
        want = calendar.timegm(tuple(map(int, re.split("[- :]", t))) + (0, 0, 0))
        assert parse.parse_utc_stamp(t) == want


def test_small_parsers():
    assert parse.parse_uint_attr("42\n", "x") == 42
    for bad in ("42", "-1\n", "4 2\n", "\n"):
        with pytest.raises(ProtocolError):
            parse.parse_uint_attr(bad, "x")
    assert parse.parse_key_values("A: 1\nB:   two words\n") == [("A", "1"), ("B", "two words")]
    for bad in ("A:1\n", ": 1\n", "A 1\n", "A: 1"):
        with pytest.raises(ProtocolError):
            parse.parse_key_values(bad)
    assert parse.parse_ml_lib_stats("Opens: 1\nReads: 2\nWrites: 3\n") == \
        parse.MlLibStats(1, 2, 3)
    with pytest.raises(ProtocolError):
        parse.parse_ml_lib_stats("Opens: 1\nWrites: 2\nReads: 3\n")
    assert parse.parse_mode("learning\n") == 2 and parse.parse_mode("learning") is None
    assert parse.parse_mode("unknown\n") is None
    assert parse.parse_state("shutting_down\n") == 6
    assert parse.parse_efficiency("1.034\n") == 1034
    for bad in ("1.03\n", "1.034", "-1.000\n", "1.0345\n"):
        assert parse.parse_efficiency(bad) is None
    st = parse.parse_loop_stats("epochs: 3\nmisses: 40\n")
    assert st.get("misses") == 40 and st.get("nope") is None
    with pytest.raises(ProtocolError):
        parse.parse_loop_stats("epochs: x\n")


# --- records ---------------------------------------------------------------------
MAGIC = 0x4D4C4F50


def _dataset(**kw):
    f = dict(accesses=512, seq=976, run=4266, distinct=1000, dw=4, best=64, hint=0)
    f.update(kw)
    return struct.pack("<IHHQ7I5I", MAGIC, 1, 64, 9, f["accesses"], f["seq"], f["run"],
                       f["distinct"], f["dw"], f["best"], f["hint"], 0, 0, 0, 0, 0)


def _feedback(mode=2, applied=250, rec=16, best=64, err=None, magic=MAGIC, size=64):
    err = (rec - best if rec <= 256 else 0) if err is None else err
    return struct.pack("<IHHQ4I3QiI", magic, 2, size, 9, mode, applied, rec, best,
                       1000, 900, 950, err, 1052)


def test_decode_dataset_and_feedback_golden():
    assert records.decode_record(_dataset()) == records.DatasetRecord(
        9, 512, 976, 4266, 1000, 4, 64, 0)
    fb = records.decode_record(_feedback())
    assert fb == records.FeedbackRecord(9, 2, 250, 16, 64, 1000, 900, 950, -48, 1052)
    none = records.decode_record(_feedback(rec=0xFFFFFFFF))
    assert none.recommended_window is None and not none.policy
    pol = records.decode_record(_feedback(rec=0xFFFFFFFE))
    assert pol.recommended_window is None and pol.policy


@pytest.mark.parametrize("data,why", [
    (_dataset()[:63], "record of 63 bytes"),
    (_dataset(seq=1001), "permille"), (_dataset(distinct=1001), "permille"),
    (_dataset(best=257), "window"), (_dataset(dw=300), "window"),
    (_feedback(mode=0), "mode 0"), (_feedback(mode=5), "mode 5"),
    (_feedback(applied=1001), "applied"), (_feedback(rec=257, err=0), "recommended_window"),
    (_feedback(best=300, rec=0xFFFFFFFF), "best_window"),
    (_feedback(err=0), "error 0"), (_feedback(rec=0xFFFFFFFF, err=1), "error 1"),
    (_feedback(magic=1), "bad magic"), (_feedback(size=32), "header size"),
    (struct.pack("<IHHQ48x", MAGIC, 9, 64, 0), "unknown record type 9")])
def test_decode_refuses(data, why):
    with pytest.raises(ProtocolError, match=why):
        records.decode_record(data)


def test_decode_records_names_the_index_and_needs_whole_records():
    with pytest.raises(ProtocolError, match="record 1: dataset permille"):
        records.decode_records(_dataset() + _dataset(seq=2000))
    with pytest.raises(ProtocolError, match="not a whole number"):
        records.decode_records(_dataset() + b"x")


def test_encode_roundtrips_and_reserved_zero():
    for rec in (records.DatasetRecord(9, 512, 976, 4266, 1000, 4, 64, 0),
                records.FeedbackRecord(9, 2, 250, 16, 64, 1000, 900, 950, -48, 1052),
                records.RecommendationRecord(0, 256, 800)):
        b = records.encode_record(rec)
        assert len(b) == 64 and records.decode_record(b) == rec
    assert records.encode_record(records.DatasetRecord(9, 512, 976, 4266, 1000, 4, 64, 0)) \
        == _dataset()
    r = records.encode_record(records.RecommendationRecord(0, 16, 800))
    assert r == struct.pack("<IHHQII40x", MAGIC, 3, 64, 0, 16, 800)
    with pytest.raises(ValueError):
        records.encode_record(records.RecommendationRecord(0, 257, 0))
    with pytest.raises(ValueError):
        records.encode_record(records.FeedbackRecord(mode=0))


# --- POLICY records (FORMATS-v2.md) ----------------------------------------------------
def _policy_golden(nodes, node_count=None):
    """The bytes the format specifies, built field by field."""
    n = len(nodes) if node_count is None else node_count
    out = b""
    for r in range((len(nodes) + 4) // 5):
        part = nodes[5 * r:5 * r + 5]
        rec = struct.pack("<IHHQ", MAGIC, 4, 64, 0) + struct.pack("<HHHH", n, 5 * r,
                                                                   len(part), 0)
        for f, v, lo, hi in part:
            rec += struct.pack("<BBHHH", f, 0, v, lo, hi)
        out += rec + b"\0" * (64 - len(rec))
    return out


def test_policy_encoding_against_the_format():
    leaf = [(0xFF, 16, 0, 0)]
    assert policy.encode_policy([policy.PolicyNode.leaf(16)]) == _policy_golden(leaf)
    spec = [(0, 700, 1, 2), (0xFF, 0, 0, 0), (1, 1200, 3, 4), (0xFF, 8, 0, 0),
            (4, 65535, 5, 6), (0xFF, 64, 0, 0), (0xFF, 256, 0, 0)]
    nodes = [policy.PolicyNode(*t) for t in spec]
    data = policy.encode_policy(nodes)
    assert len(data) == 128 and data == _policy_golden(spec)
    # record 1: first_node 5, nodes_here 2, node_count 7 in both
    assert struct.unpack_from("<HHHH", data, 64 + 16) == (7, 5, 2, 0)
    assert struct.unpack_from("<HHHH", data, 16) == (7, 0, 5, 0)
    assert policy.decode_policy(data) == nodes
    assert policy.evaluate(nodes, [800, 0, 0, 0, 0]) == 8
    assert policy.evaluate(nodes, [700, 0, 0, 0, 0]) == 0
    assert policy.evaluate(nodes, [701, 1201, 0, 0, 65535]) == 64


@pytest.mark.parametrize("nodes,why", [
    ([], "1..255"),
    ([policy.PolicyNode.leaf(0)] * 256, "1..255"),
    ([policy.PolicyNode.leaf(257)], "leaf window"),
    ([policy.PolicyNode(0, 1, 0, 1), policy.PolicyNode.leaf(0)], "child 0 not after"),
    ([policy.PolicyNode(0, 1, 1, 2), policy.PolicyNode.leaf(0)], "child 2"),
    ([policy.PolicyNode(5, 1, 1, 2)] + [policy.PolicyNode.leaf(0)] * 2, "feature 5"),
    ([policy.PolicyNode(0, 70000, 1, 2)] + [policy.PolicyNode.leaf(0)] * 2, "threshold"),
    ([policy.PolicyNode(0xFF, 4, 1, 0), policy.PolicyNode.leaf(0)], "left = right = 0"),
    ([policy.PolicyNode(0, 1, i + 1, i + 1) for i in range(16)] + [policy.PolicyNode.leaf(0)],
     "depth 17")])
def test_policy_validation(nodes, why):
    with pytest.raises(ValueError, match=why):
        policy.encode_policy(nodes)


def test_policy_depth_16_is_accepted():
    nodes = [policy.PolicyNode(0, 1, i + 1, i + 1) for i in range(15)] + \
        [policy.PolicyNode.leaf(4)]
    assert len(policy.encode_policy(nodes)) == 64 * 4


def test_compile_tree_predicts_like_sklearn():
    np = pytest.importorskip("numpy")
    tree_mod = pytest.importorskip("sklearn.tree")
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.integers(0, 1001, 400), rng.integers(100, 51200, 400),
                         rng.integers(0, 1001, 400), rng.choice([4, 8, 16, 128], 400)])
    y = np.where(X[:, 0] > 800, 64, np.where(X[:, 1] > 3000, 16, 0))
    y[rng.integers(0, 400, 40)] = 256
    t = tree_mod.DecisionTreeClassifier(max_depth=6, random_state=0).fit(X, y)
    feats = [policy.F_SEQ_PERMILLE, policy.F_MEAN_RUN_X100, policy.F_DISTINCT_PERMILLE,
             policy.F_DEFAULT_WINDOW]
    nodes = policy.compile_tree(t, feats)
    assert policy.decode_policy(policy.encode_policy(nodes)) == nodes
    Q = np.column_stack([rng.integers(0, 1001, 3000), rng.integers(0, 60000, 3000),
                         rng.integers(0, 1001, 3000), rng.choice([0, 4, 8, 128], 3000)])
    want = t.predict(Q)
    for q, w in zip(Q, want):
        full = [0] * 5
        for j, f in enumerate(feats):
            full[f] = int(q[j])
        assert policy.evaluate(nodes, full) == int(w)
    with pytest.raises(ValueError, match="not a window"):
        policy.compile_tree(tree_mod.DecisionTreeClassifier().fit(X, y + 1000), feats)
    deep = tree_mod.DecisionTreeClassifier(random_state=0).fit(
        rng.integers(0, 1000, (2000, 4)), rng.choice([0, 1, 2, 4, 8], 2000))
    with pytest.raises(ValueError):
        policy.compile_tree(deep, feats)

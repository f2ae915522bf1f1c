# SPDX-License-Identifier: GPL-2.0
"""The vector env (N instances, N processes) and the Dask sweep runner."""
import csv
import io
import os

import pytest

np = pytest.importorskip("numpy")

from mlcore_agent import testing  # noqa: E402
from mlcore_agent.vector import VectorMlLoopEnv  # noqa: E402


def _ours():
    return {f for f in os.listdir("/dev/shm") if f".{os.getpid()}-" in f or "mlcpy" in f}


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_vector_env(door):
    if door == "fuse" and not testing.fuse_usable():
        pytest.skip("no usable /dev/fuse")
    before = _ours()
    with VectorMlLoopEnv(3, seeds=[1, 1, 2], max_episode_steps=2, door=door) as v:
        assert len({i.name for i in v.instances}) == 3
        assert v.single_action_space.n == 10
        obs, infos = v.reset(seed=5)
        assert obs.shape == (3, 7) and obs.dtype == np.float32 and len(infos) == 3
        assert (obs[0] == obs[1]).all(), "same seed, same first epoch"
        assert infos[0]["dataset"] != infos[2]["dataset"], "another seed, another trace"
        obs, rew, term, trunc, infos = v.step([5, 5, 5])
        assert rew.shape == (3,) and not trunc.any() and not term.any()
        assert [i["window"] for i in infos] == [16, 16, 16]
        obs, rew, term, trunc, infos = v.step([0, 0, 0])
        assert trunc.all(), "max_episode_steps"
        assert all("final_observation" in i for i in infos), "autoreset"
        assert [i["epoch"] for i in infos] == [1, 1, 1]
        with pytest.raises(ValueError):
            v.step([1, 2])
    assert _ours() - before == set()


def test_sweep_tiny(tmp_path):
    from mlcore_agent import sweep
    rows, wall = sweep.run_sweep(["default", "knn"], [1, 2], ["synthetic"], 15, workers=1)
    assert [(r["agent"], r["seed"]) for r in rows] == [
        ("default", 1), ("default", 2), ("knn", 1), ("knn", 2)]
    assert all(r["error"] == "" for r in rows), rows
    assert {r["cumulative_efficiency"] for r in rows if r["agent"] == "default"} == {"1.000"}
    text = sweep.to_csv(rows)
    assert text.splitlines()[0] == ",".join(sweep.FIELDS)
    again, _ = sweep.run_sweep(["default", "knn"], [1, 2], ["synthetic"], 15, workers=2)
    assert sweep.to_csv(again) == text, "deterministic, whatever the worker count"
    assert all(float(r["epochs_per_s"]) > 0 for r in
               csv.DictReader(io.StringIO(sweep.to_csv(rows, timing=True))))
    png = tmp_path / "s.png"
    status = sweep.plot(rows, str(png), str(tmp_path))
    if status.startswith("not drawn: gnuplot is missing"):
        pytest.skip(status)
    assert status == str(png) and png.stat().st_size > 1000
    bad = sweep.run_task("knn", 1, str(tmp_path / "s.png"), 5)
    assert bad["error"].startswith(f"workload {tmp_path / 's.png'}: not an MLTRACE trace"), bad


def _trace(runs, file_pages, total=None):
    """An MLTRACE version 1 file (docs/closed-loop.md "Workload traces")."""
    import struct
    hdr = struct.pack("<IHHIIQII", 0x3143524D, 1, 32, file_pages, len(runs),
                      32 + 8 * len(runs) if total is None else total, 0, 0)
    return hdr + b"".join(struct.pack("<II", f, n) for f, n in runs)


def _first_dataset(root):
    from mlcore_agent.env import MlLoopEnv
    env = MlLoopEnv(root)
    try:
        return env.reset()[1]["dataset"]
    finally:
        env.close()


@pytest.mark.parametrize("door", ["fuse", "preload"])
def test_sweep_on_a_trace_workload(tmp_path, door):
    from mlcore_agent import sweep
    if door == "fuse" and not testing.fuse_usable():
        pytest.skip("no usable /dev/fuse")
    # one long sequential read: every epoch of the replay is sequential,
    # which the built-in generator's never is
    seq = tmp_path / "seq.mlt"
    seq.write_bytes(_trace([(0, 60000)], 65536))
    rows, _ = sweep.run_sweep(["default", "knn"], [1], [str(seq), "synthetic"], 12,
                              door=door)
    assert [(r["workload"], r["agent"], r["error"]) for r in rows] == [
        ("seq.mlt", "default", ""), ("seq.mlt", "knn", ""),
        ("synthetic", "default", ""), ("synthetic", "knn", "")], rows
    by = {(r["workload"], r["agent"]): r for r in rows}
    assert by[("seq.mlt", "default")]["cumulative_efficiency"] == "1.000"
    if door == "fuse":
        with testing.Instance(seed=1, door="fuse") as inst:
            synth = _first_dataset(inst.root)
            sweep._load_workload(inst.root, str(seq))
            replay = _first_dataset(inst.root)
        assert replay.seq_permille >= 990 > synth.seq_permille, (replay, synth)
    # bad traces: one clear line naming the workload, nothing run
    short = tmp_path / "short.mlt"
    short.write_bytes(_trace([(0, 8), (8, 8)], 64)[:-8])
    beyond = tmp_path / "beyond.mlt"
    beyond.write_bytes(_trace([(0, 8), (60, 8)], 64))
    missing = tmp_path / "missing.mlt"
    for path, why in ((short, "the trace is 40 bytes, its header says 48"),
                      (beyond, "ml_readahead/workload refused it (Invalid argument"),
                      (missing, "No such file or directory")):
        row = sweep.run_task("knn", 1, str(path), 5, door=door)
        assert row["error"].startswith(f"workload {path}") and why in row["error"], row
        assert row["cumulative_efficiency"] == "", row


def test_sweep_task_under_the_preload_door():
    from mlcore_agent import sweep
    fuse = sweep.run_task("knn", 3, "synthetic", 12, door="preload")
    assert fuse["error"] == "", fuse
    if testing.fuse_usable():
        other = sweep.run_task("knn", 3, "synthetic", 12, door="fuse")
        keys = ("cumulative_efficiency", "final_mode", "highest_mode",
                "recommendation_epoch")
        assert [fuse[k] for k in keys] == [other[k] for k in keys], "same through both doors"


def test_sweep_on_a_recorded_trace(tmp_path):
    import subprocess
    from mlcore_agent import sweep
    files = [f for f in ("/usr/share/common-licenses/GPL-3",
                         "/usr/share/common-licenses/Apache-2.0") if os.path.isfile(f)]
    if not files:
        pytest.skip("no /usr/share/common-licenses files to read")
    out = tmp_path / "cat.mlt"
    p = subprocess.run([testing.find_emu(), "trace", "record", "--out", str(out), "--",
                        "cat", *files], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stderr.startswith("mlcore-emu trace: "), p.stderr
    row = sweep.run_task("knn", 1, str(out), 10)
    assert row["error"] == "" and row["workload"] == "cat.mlt", row
    assert float(row["cumulative_efficiency"]) > 0

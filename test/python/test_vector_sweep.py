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
    assert "workload" in bad["error"], bad


def test_sweep_task_under_the_preload_door():
    from mlcore_agent import sweep
    fuse = sweep.run_task("knn", 3, "synthetic", 12, door="preload")
    assert fuse["error"] == "", fuse
    if testing.fuse_usable():
        other = sweep.run_task("knn", 3, "synthetic", 12, door="fuse")
        keys = ("cumulative_efficiency", "final_mode", "highest_mode",
                "recommendation_epoch")
        assert [fuse[k] for k in keys] == [other[k] for k in keys], "same through both doors"

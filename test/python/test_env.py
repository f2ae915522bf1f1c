# SPDX-License-Identifier: GPL-2.0
"""MlLoopEnv's API contract on a real instance, and the no-numpy path."""
import math
import os
import subprocess
import sys

import pytest

from mlcore_agent import MlLoopEnv, spaces, uapi
from mlcore_agent.env import OBS_SIZE

np = pytest.importorskip("numpy")
pytestmark = pytest.mark.mlcore(door="fuse")


@pytest.fixture
def env(mlcore_instance):
    e = MlLoopEnv(mlcore_instance.root, max_episode_steps=5)
    yield e
    e.close()


def test_spaces(env):
    assert env.observation_space.shape == (OBS_SIZE,)
    assert env.action_space.n == 10 == len(uapi.WINDOWS)
    assert uapi.WINDOWS == (0, 1, 2, 4, 8, 16, 32, 64, 128, 256)
    for _ in range(20):
        assert env.action_space.contains(env.action_space.sample())
        assert env.observation_space.contains(env.observation_space.sample())
    assert not env.action_space.contains(10) and not env.action_space.contains(-1)
    assert not env.action_space.contains(1.5) and not env.action_space.contains(True)


def test_reset_step_types_and_truncation(env):
    obs, info = env.reset(seed=3)
    assert isinstance(obs, np.ndarray) and obs.dtype == np.float32 and obs.shape == (7,)
    assert env.observation_space.contains(obs)
    assert isinstance(info, dict) and info["epoch"] == 1 and info["mode"] == "emergency"
    for key in ("efficiency", "mode_after", "ewma", "window", "applied_permille",
                "recommended_window", "best_window", "cost_default", "cost_recommended",
                "cost_actual", "error", "efficiency_milli", "dataset", "feedback"):
        assert key in info, key
    for i in range(5):
        out = env.step(5)
        assert isinstance(out, tuple) and len(out) == 5
        obs, reward, terminated, truncated, info = out
        assert obs.shape == (7,) and obs.dtype == np.float32
        assert isinstance(reward, float) and isinstance(terminated, bool)
        assert isinstance(truncated, bool) and not terminated
        assert truncated == (i == 4)
        assert info["window"] == 16 and info["epoch"] == i + 2
        assert reward == pytest.approx(math.log(info["efficiency_milli"] / 1000))
        fb = info["feedback"]
        assert info["error"] == 16 - fb.best_window
        assert obs[4] == np.float32(fb.best_window.bit_length() / 9)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


def test_step_before_reset_and_bad_actions_write_nothing(env):
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)
    env.reset()
    before = env.loop.stats().as_dict()
    for bad in (10, -1, 2.5, "3", None, True):
        with pytest.raises(ValueError):
            env.step(bad)
    after = env.loop.stats().as_dict()
    assert before == after, "nothing sent"
    env.step(np.int64(3))


def test_same_instance_seed_same_trajectory(env):
    def run():
        obs, _ = env.reset(seed=7)
        trace = [obs]
        acts = [env.action_space.sample() for _ in range(4)]
        for a in acts:
            trace.append(env.step(a)[0])
        return np.stack(trace), acts
    a, acts_a = run()
    b, acts_b = run()
    assert acts_a == acts_b, "reset(seed) seeds the action space"
    assert (a == b).all(), "reset restarts the instance's trace"


@pytest.mark.parametrize("mlcore_instance", [{"seed": 1}, {"seed": 2}], indirect=True)
def test_instance_seed_changes_the_trace(mlcore_instance, env):
    obs, info = env.reset()
    other = {1: 2, 2: 1}[mlcore_instance.seed]
    from mlcore_agent.testing import Instance
    with Instance(seed=other, door="fuse") as inst2:
        e2 = MlLoopEnv(inst2.root)
        obs2, info2 = e2.reset()
        e2.close()
    assert info["dataset"] != info2["dataset"]


def test_fallback_spaces_module():
    d = spaces.Discrete(3, seed=1)
    assert {d.sample() for _ in range(100)} == {0, 1, 2}
    assert d.contains(2) and not d.contains(3) and 1 in d
    b = spaces.Box([0.0, 0.0], [1.0, 10.0], seed=1)
    assert b.shape == (2,) and b.contains(b.sample()) and not b.contains([2.0, 0.0])


def test_without_numpy(mlcore_instance):
    """numpy is never required: block it and run a client and the env."""
    code = ("import sys; sys.modules['numpy'] = None\n"
            "from mlcore_agent import MlLoopEnv, MlcoreClient\n"
            "c = MlcoreClient(sys.argv[1]); c.set_result(3); assert c.get_result() == 3\n"
            "e = MlLoopEnv(sys.argv[1], max_episode_steps=2)\n"
            "obs, info = e.reset(seed=1)\n"
            "assert isinstance(obs, list) and len(obs) == 7, obs\n"
            "obs, r, te, tr, info = e.step(e.action_space.sample())\n"
            "print('ok', type(e.action_space).__module__)\n")
    p = subprocess.run([sys.executable, "-c", code, mlcore_instance.root],
                       capture_output=True, text=True, env=dict(os.environ), timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ok", "mlcore_agent.spaces"]


FAKE_GYM = '''
import numpy as np
class Env:
    def reset(self, *, seed=None, options=None):
        self.np_random = np.random.default_rng(seed)
from . import spaces
'''
FAKE_SPACES = '''
import numpy as np
class Box:
    def __init__(self, low, high, dtype):
        self.low, self.high, self.dtype = np.asarray(low), np.asarray(high), dtype
        self.shape = self.low.shape
    def seed(self, s=None): self.rng = np.random.default_rng(s)
    def contains(self, x):
        x = np.asarray(x)
        return x.shape == self.shape and bool(((x >= self.low) & (x <= self.high)).all())
class Discrete:
    def __init__(self, n): self.n = n; self.rng = np.random.default_rng()
    def seed(self, s=None): self.rng = np.random.default_rng(s)
    def sample(self): return int(self.rng.integers(self.n))
    def contains(self, x):
        return not isinstance(x, bool) and isinstance(x, (int, np.integer)) and 0 <= x < self.n
'''


def test_with_gymnasium_importable(mlcore_instance, tmp_path):
    """Gymnasium is not a Debian package: a stand-in with its Env/spaces
    shape checks the gymnasium branch (subclass, its spaces, super().reset)."""
    (tmp_path / "gymnasium").mkdir()
    (tmp_path / "gymnasium" / "__init__.py").write_text(FAKE_GYM)
    (tmp_path / "gymnasium" / "spaces.py").write_text(FAKE_SPACES)
    code = ("import sys, gymnasium\n"
            "from mlcore_agent import MlLoopEnv\n"
            "e = MlLoopEnv(sys.argv[1], max_episode_steps=2)\n"
            "assert isinstance(e, gymnasium.Env)\n"
            "assert type(e.action_space) is gymnasium.spaces.Discrete\n"
            "assert type(e.observation_space) is gymnasium.spaces.Box\n"
            "obs, info = e.reset(seed=4)\n"
            "assert e.observation_space.contains(obs) and hasattr(e, 'np_random')\n"
            "out = e.step(e.action_space.sample())\n"
            "print('ok', len(out), out[0].dtype)\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path)] + [
        os.path.abspath(x) for x in env.get("PYTHONPATH", "").split(os.pathsep) if x])
    p = subprocess.run([sys.executable, "-c", code, mlcore_instance.root],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["ok", "5", "float32"]

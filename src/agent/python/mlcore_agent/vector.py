# SPDX-License-Identifier: GPL-2.0
"""Parallel rollouts: N MlLoopEnv on N private instances, each env in its
own process.

    with VectorMlLoopEnv(num_envs=4, seeds=[1, 2, 3, 4]) as venv:
        obs, infos = venv.reset()                 # obs: float32 (N, 7)
        obs, rewards, terminated, truncated, infos = venv.step(actions)

Each sub-environment gets its own instance (mlcore_agent.testing.Instance,
seed seeds[i], FUSE or the preload door) and a worker process
(`/usr/bin/python3 -m mlcore_agent._worker`, under `mlcore-emu run` with the
preload door).  step() sends every action first and then collects the
answers, so the N epochs run at the same time.  An env whose episode ends
(truncated) is reset in the same call (autoreset): its row of obs is the
new first observation and infos[i]["final_observation"] the last one.
infos is a list of N dicts.  close() (or leaving the with block) ends the
workers and removes the instances.
"""
import os
import subprocess
import sys
from typing import Optional, Sequence

from . import testing
from ._worker import _read, _write
from .env import OBS_SIZE

try:
    import numpy as _np
except ImportError:  # pragma: no cover
    _np = None

_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class VectorMlLoopEnv:
    def __init__(self, num_envs: int = 2, seeds: Optional[Sequence[int]] = None,
                 max_episode_steps: int = 200, door: Optional[str] = None,
                 python: str = sys.executable):
        if num_envs < 1:
            raise ValueError("num_envs must be at least 1")
        seeds = list(seeds) if seeds is not None else list(range(1, num_envs + 1))
        if len(seeds) != num_envs:
            raise ValueError(f"{len(seeds)} seeds for {num_envs} environments")
        self.num_envs = num_envs
        self.instances, self.procs = [], []
        try:
            for s in seeds:
                inst = testing.Instance(seed=s, door=door).__enter__()
                self.instances.append(inst)
                env = inst.env
                env["PYTHONPATH"] = os.pathsep.join(
                    p for p in (_PKG_PARENT, env.get("PYTHONPATH")) if p)
                self.procs.append(inst.popen(
                    [python, "-m", "mlcore_agent._worker", "--root", inst.root,
                     "--max-episode-steps", str(max_episode_steps)],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env))
        except BaseException:
            self.close()
            raise
        self.single_observation_space, self.single_action_space = _spaces_of()

    def _call_all(self, msgs):
        for p, m in zip(self.procs, msgs):
            _write(p.stdin, m)
        out = []
        for i, p in enumerate(self.procs):
            r = _read(p.stdout)
            if r is None:
                raise RuntimeError(f"worker {i} died (exit {p.poll()})")
            if r[0] == "error":
                raise r[1]
            out.append(r[1])
        return out

    def reset(self, seed: Optional[int] = None, options: Optional[dict] = None):
        msgs = [("reset", dict(seed=None if seed is None else seed + i, options=options))
                for i in range(self.num_envs)]
        res = self._call_all(msgs)
        return _stack([r[0] for r in res]), [r[1] for r in res]

    def step(self, actions):
        acts = [int(a) for a in actions]
        if len(acts) != self.num_envs:
            raise ValueError(f"{len(acts)} actions for {self.num_envs} environments")
        res = self._call_all([("step", dict(action=a)) for a in acts])
        obs = [r[0] for r in res]
        infos = [r[4] for r in res]
        done = [i for i, r in enumerate(res) if r[2] or r[3]]
        if done:
            for i in done:
                _write(self.procs[i].stdin, ("reset", dict(seed=None, options=None)))
            for i in done:
                r = _read(self.procs[i].stdout)
                if r[0] == "error":
                    raise r[1]
                infos[i] = dict(r[1][1], final_observation=obs[i], final_info=infos[i])
                obs[i] = r[1][0]
        rewards = [r[1] for r in res]
        term = [r[2] for r in res]
        trunc = [r[3] for r in res]
        if _np is not None:
            rewards, term, trunc = (_np.asarray(rewards, dtype=_np.float64),
                                    _np.asarray(term), _np.asarray(trunc))
        return _stack(obs), rewards, term, trunc, infos

    def close(self):
        problems = []
        for p in self.procs:
            try:
                _write(p.stdin, ("close", {}))
                p.stdin.close()
                p.wait(timeout=30)
            except Exception:  # noqa: BLE001 - end it anyway
                p.kill()
                p.wait()
            if p.stdout:
                p.stdout.close()
        self.procs = []
        for inst in self.instances:
            try:
                inst.close()
            except testing.InstanceError as e:
                problems.append(str(e))
        self.instances = []
        if problems:
            raise testing.InstanceError("; ".join(problems))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _spaces_of():
    from . import env as _env
    from . import spaces as _spaces
    if _env._gym is not None:
        g = _env._gym
        return (g.spaces.Box(low=0.0, high=_np.asarray(_env.OBS_HIGH, dtype=_np.float32),
                             dtype=_np.float32), g.spaces.Discrete(len(_env.WINDOWS)))
    return _spaces.Box([0.0] * OBS_SIZE, _env.OBS_HIGH), _spaces.Discrete(len(_env.WINDOWS))


def _stack(rows):
    if _np is not None:
        return _np.stack([_np.asarray(r, dtype=_np.float32) for r in rows])
    return [list(r) for r in rows]

# SPDX-License-Identifier: GPL-2.0
"""MlLoopEnv: the closed loop (/dev/mlloop, docs/closed-loop.md) as a
Gymnasium environment.

    env = MlLoopEnv(root)                 # "/" on the real kernel
    obs, info = env.reset()
    obs, reward, terminated, truncated, info = env.step(action)

One step is one epoch: the action's window is written as a RECOMMENDATION
record (in force for the next epoch), the loop is stepped by one epoch
(`step 1`), and the epoch's DATASET and FEEDBACK records are read back.

Action: Discrete(10), index i is the window WINDOWS[i] in pages:
0, 1, 2, 4, 8, 16, 32, 64, 128, 256 (mlcore_agent.uapi.WINDOWS).

Observation: Box(7,) float32, all from the epoch just finished:
  0  seq_permille / 1000
  1  log2(1 + mean_run_x100 / 100) / 12   (the run length on a log scale)
  2  distinct_permille / 1000
  3  level(default_window) / 9            (level: the index in WINDOWS)
  4  level(best_window) / 9               (the hindsight-best window)
  5  (mode after the epoch - 1) / 3       (emergency 0 .. recommendation 1)
  6  the epoch's efficiency (cost_default / cost_actual), clipped to 0..10
Components 0..2 are the features the C++ reference agent learns from.

Reward: log(efficiency) of the epoch, efficiency = cost_default /
cost_actual from its FEEDBACK record: 0 when the epoch cost what the
default algorithm alone would have, > 0 when the recommendation helped.

Termination: the loop never ends by itself, so `terminated` is always
False; `truncated` is True after max_episode_steps steps (default 200).

reset(seed, options): `reset` the loop (options={"reset_loop": False}
continues where it is), `start` it and run one epoch under the default
algorithm to have a first observation.  The simulation's seed belongs to
the instance (`mlcore-emu serve --seed N`, or the module's seed drawn at
load on the real kernel): `reset` restarts the same trace every time.  The
`seed` argument seeds only the spaces' and env.np_random's generators (for
action sampling), never the workload.

info: epoch, mode (the mode during the epoch, by name), mode_after (the
mode attribute after it), efficiency (the epoch's, float), ewma (the
efficiency attribute), window (the recommendation in force, None for none),
every FEEDBACK field (mode_id, applied_permille, recommended_window,
best_window, cost_default, cost_recommended, cost_actual, error,
efficiency_milli, policy), quality (cost_default / cost_recommended: how
the recommendation did in shadow, also in EMERGENCY where the reward is 0
because nothing is applied; None without one), and the two records as
`dataset` and `feedback`.

With gymnasium importable MlLoopEnv is a gymnasium.Env with gymnasium
spaces; otherwise mlcore_agent.spaces gives the same attributes.
"""
import math
from dataclasses import asdict
from typing import Optional

from . import spaces as _spaces
from . import uapi
from .clients import MlLoopClient
from .parse import ProtocolError, mode_name
from .records import DatasetRecord, FeedbackRecord

try:
    import numpy as _np
except ImportError:  # pragma: no cover - numpy is optional
    _np = None
try:
    import gymnasium as _gym
except ImportError:
    _gym = None

OBS_SIZE = 7
OBS_HIGH = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 10.0)
WINDOWS = uapi.WINDOWS


def window_level(w: int) -> int:
    """0 -> 0, 1 -> 1, 2 -> 2, 4 -> 3, ..., 256 -> 9 (bit length)."""
    return int(w).bit_length()


def features_of(d: DatasetRecord):
    """The three learning features of a DATASET record, scaled to about
    [0, 1] exactly as the C++ agent's point_of() (loop_agent.cc)."""
    return (d.seq_permille / 1000.0,
            math.log2(1.0 + d.mean_run_x100 / 100.0) / 12.0,
            d.distinct_permille / 1000.0)


def observation(d: DatasetRecord, fb: FeedbackRecord, mode_after: int):
    vals = (*features_of(d), window_level(d.default_window) / 9.0,
            window_level(d.best_window) / 9.0, (mode_after - 1) / 3.0,
            min(max(fb.efficiency_milli / 1000.0, 0.0), 10.0))
    if _np is not None:
        return _np.asarray(vals, dtype=_np.float32)
    return list(vals)


_Base = _gym.Env if _gym is not None else object


class MlLoopEnv(_Base):
    metadata = {"render_modes": []}
    render_mode = None

    def __init__(self, root: str = "/", max_episode_steps: int = 200,
                 confidence_permille: int = 800):
        if int(max_episode_steps) < 1:
            raise ValueError("max_episode_steps must be at least 1")
        self.root = root
        self.loop = MlLoopClient(root)
        self.max_episode_steps = int(max_episode_steps)
        self.confidence_permille = confidence_permille
        if _gym is not None:
            self.observation_space = _gym.spaces.Box(
                low=_np.zeros(OBS_SIZE, dtype=_np.float32),
                high=_np.asarray(OBS_HIGH, dtype=_np.float32), dtype=_np.float32)
            self.action_space = _gym.spaces.Discrete(len(WINDOWS))
        else:
            self.observation_space = _spaces.Box([0.0] * OBS_SIZE, OBS_HIGH)
            self.action_space = _spaces.Discrete(len(WINDOWS))
        self._steps = None  # None: reset() not called yet
        self._truncated = False

    # --- the Gymnasium API ----------------------------------------------------
    def reset(self, *, seed: Optional[int] = None, options: Optional[dict] = None):
        if _gym is not None:
            super().reset(seed=seed)
        if seed is not None:
            self.action_space.seed(seed)
            self.observation_space.seed(seed)
            if _gym is None and _np is not None:
                self.np_random = _np.random.default_rng(seed)
        opts = dict(options or {})
        unknown = set(opts) - {"reset_loop"}
        if unknown:
            raise ValueError(f"unknown reset options {sorted(unknown)}")
        if opts.get("reset_loop", True):
            self.loop.reset()
        self.loop.drain()  # nothing from an earlier run is ours
        self.loop.start()
        obs, _, info = self._epoch()
        self._steps, self._truncated = 0, False
        return obs, info

    def step(self, action):
        """One epoch with the window of `action` (an index into WINDOWS)."""
        self._check_running()
        if not self.action_space.contains(action):
            raise ValueError(f"action {action!r} is not in {self.action_space} "
                             f"(an index into the windows {WINDOWS})")
        window = WINDOWS[int(action)]
        self.loop.write_recommendation(window, self.confidence_permille)
        return self._finish_step()

    def step_policy(self, nodes):
        """One epoch with a decision-tree POLICY in force (loop v2; see
        mlcore_agent.policy and MlLoopClient.supports_policy())."""
        self._check_running()
        self.loop.write_policy(nodes)
        return self._finish_step()

    def step_default(self):
        """One epoch leaving whatever is in force (nothing after reset: the
        default algorithm alone)."""
        self._check_running()
        return self._finish_step()

    def close(self):
        self.loop.close()

    # --- the rest -------------------------------------------------------------
    def _check_running(self):
        if self._steps is None:
            raise RuntimeError("call reset() before step()")
        if self._truncated:
            raise RuntimeError("the episode is over (truncated): call reset()")

    def _finish_step(self):
        obs, reward, info = self._epoch()
        self._steps += 1
        self._truncated = self._steps >= self.max_episode_steps
        return obs, reward, False, self._truncated, info

    def _epoch(self):
        self.loop.step(1)
        ds = fb = None
        for r in self.loop.drain():
            if isinstance(r, DatasetRecord):
                ds = r
            elif isinstance(r, FeedbackRecord):
                fb = r
            else:
                raise ProtocolError("mlloop: a RECOMMENDATION record came back from the kernel")
        if ds is None or fb is None:
            raise ProtocolError("mlloop: `step 1` published no DATASET and FEEDBACK records")
        if ds.epoch != fb.epoch:
            raise ProtocolError(f"mlloop: DATASET of epoch {ds.epoch} with FEEDBACK of "
                                f"epoch {fb.epoch}")
        mode_after = self.loop.mode()
        ewma = self.loop.efficiency_milli()
        info = asdict(fb)
        info["mode_id"] = info.pop("mode")
        info.update(epoch=fb.epoch, mode=mode_name(fb.mode), mode_after=mode_name(mode_after),
                    efficiency=fb.efficiency_milli / 1000.0, ewma=ewma / 1000.0,
                    window=fb.recommended_window, dataset=ds, feedback=fb,
                    quality=(fb.cost_default / fb.cost_recommended
                             if fb.cost_recommended else None))
        reward = math.log(max(fb.efficiency_milli, 1) / 1000.0)
        return observation(ds, fb, mode_after), reward, info

# SPDX-License-Identifier: GPL-2.0
"""Minimal Box and Discrete spaces with the attributes MlLoopEnv's users
rely on (shape, dtype, low, high, n, sample(), contains(), seed()), used
when gymnasium is not importable.  With gymnasium, MlLoopEnv uses
gymnasium.spaces instead."""
import random
from typing import Optional, Sequence

try:
    import numpy as _np
except ImportError:  # pragma: no cover - numpy is optional
    _np = None


class Discrete:
    """The integers 0 .. n-1."""

    def __init__(self, n: int, seed: Optional[int] = None):
        if int(n) <= 0:
            raise ValueError("Discrete needs n > 0")
        self.n = int(n)
        self.shape = ()
        self.dtype = "int64"
        self._rng = random.Random(seed)

    def seed(self, seed: Optional[int] = None):
        self._rng = random.Random(seed)
        return [seed]

    def sample(self) -> int:
        return self._rng.randrange(self.n)

    def contains(self, x) -> bool:
        if isinstance(x, bool):
            return False
        try:
            i = int(x)
        except (TypeError, ValueError):
            return False
        return i == x and 0 <= i < self.n

    __contains__ = contains

    def __repr__(self):
        return f"Discrete({self.n})"


class Box:
    """Real vectors low <= x <= high (float32), of a fixed shape."""

    def __init__(self, low: Sequence[float], high: Sequence[float], seed: Optional[int] = None):
        self.low = _array(low)
        self.high = _array(high)
        self.shape = (len(low),)
        self.dtype = "float32"
        self._rng = random.Random(seed)

    def seed(self, seed: Optional[int] = None):
        self._rng = random.Random(seed)
        return [seed]

    def sample(self):
        return _array([self._rng.uniform(float(a), float(b))
                       for a, b in zip(self.low, self.high)])

    def contains(self, x) -> bool:
        try:
            vals = [float(v) for v in x]
        except (TypeError, ValueError):
            return False
        if _np is not None and getattr(x, "shape", self.shape) != self.shape:
            return False
        return len(vals) == self.shape[0] and all(
            float(a) <= v <= float(b) for v, a, b in zip(vals, self.low, self.high))

    __contains__ = contains

    def __repr__(self):
        return f"Box({list(map(float, self.low))}, {list(map(float, self.high))}, {self.shape})"


def _array(vals):
    if _np is not None:
        return _np.asarray(vals, dtype=_np.float32)
    return [float(v) for v in vals]

# SPDX-License-Identifier: GPL-2.0
"""One MlLoopEnv in its own process, driven over stdin/stdout by
mlcore_agent.vector (length-prefixed pickles; trusted parent only)."""
import argparse
import pickle
import struct
import sys

from .env import MlLoopEnv


def _read(f):
    head = f.read(4)
    if len(head) < 4:
        return None
    (n,) = struct.unpack("<I", head)
    return pickle.loads(f.read(n))


def _write(f, obj):
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(struct.pack("<I", len(data)) + data)
    f.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default="/")
    ap.add_argument("--max-episode-steps", type=int, default=200)
    a = ap.parse_args()
    inp, out = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write on the channel
    env = MlLoopEnv(a.root, max_episode_steps=a.max_episode_steps)
    while True:
        msg = _read(inp)
        if msg is None or msg[0] == "close":
            env.close()
            return 0
        cmd, kw = msg
        try:
            if cmd == "reset":
                res = env.reset(**kw)
            elif cmd == "step":
                res = env.step(kw["action"])
            else:
                raise ValueError(f"unknown command {cmd!r}")
            _write(out, ("ok", res))
        except Exception as e:  # noqa: BLE001 - sent back to the parent
            _write(out, ("error", e))


if __name__ == "__main__":
    sys.exit(main())

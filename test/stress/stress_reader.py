#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A torn-read detector: reads every text of an instance again and again
while writers run, parses each one strictly (stress_lib's parsers: every line
well-formed, counts consistent) and checks that no counter ever goes
backwards, until STOPFILE exists.

    stress_reader.py PREFIX STOPFILE OUTFILE MAXID [--once]

PREFIX '' = the real paths (run it under `mlcore-emu run`), else a FUSE
root.  Values are those of stress_client ids 1..MAXID.  OUTFILE gets one
JSON object: reads, torn (the count), errors (the first 5), max_latency_s.
--once: every file read once, then the same JSON (a liveness probe).
--snapshot: OUTFILE gets stress_lib.snapshot() (every counter) instead.
"""
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stress_lib as sl  # noqa: E402


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    once = "--once" in sys.argv[1:]
    prefix, stopfile, outfile, maxid = args[0], args[1], args[2], int(args[3])
    ids = range(1, maxid + 1)
    p = sl.Paths(prefix)
    if "--snapshot" in sys.argv[1:]:
        with open(outfile, "w") as f:
            json.dump(sl.snapshot(p, ids), f)
        return 0
    last = {}
    ring_max = {}
    state = {"reads": 0, "torn": 0, "errors": [], "max_latency_s": 0.0}

    def mono(key, val, text):
        old = last.get(key)
        if old is not None and val < old:
            raise ValueError(f"{key} went back from {old} to {val}: {text!r}")
        last[key] = val

    def check_result(text):
        _, ring = sl.parse_result(text, ids)
        mono("ring_len", len(ring), text)
        newest = {}
        for v in ring:
            cid, n = sl.value_id(v, ids)
            newest[cid] = n
        for cid, n in newest.items():
            # A client's newest value never goes back (a stale text would).
            if n < ring_max.get(cid, -1):
                raise ValueError(f"client {cid}'s newest value {n} after "
                                 f"{ring_max[cid]}: {text!r}")
            ring_max[cid] = n

    def check_mlproc(text):
        d = sl.parse_mllib_proc(text)
        if d["data_size"] != 1024:
            raise ValueError(f"data size {d['data_size']}: {text!r}")
        for k in ("opens", "reads", "writes"):
            mono("proc_" + k, d[k], text)

    def check_mlstats(text):
        for k, v in sl.parse_mllib_stats(text).items():
            mono("stats_" + k, v, text)

    def check_access(text):
        mono("access_count", sl.parse_number(text), text)

    def check_loop(text):
        d = sl.parse_loop_stats(text)
        for k in sl.LOOP_MONOTONIC:
            mono("loop_" + k, d[k], text)

    def check_mode(text):
        if text not in ("emergency\n", "learning\n", "collaboration\n",
                        "recommendation\n"):
            raise ValueError(f"mode {text!r}")

    checks = [
        (p.result, check_result),
        (p.train, lambda t: sl.parse_train(t, ids)),
        (p.mlproc, check_mlproc),
        (p.mlstats, check_mlstats),
        (p.access_count, check_access),
        (p.loopstats, check_loop),
        (p.loopmode, check_mode),
    ]
    while True:
        for path, check in checks:
            t0 = time.monotonic()
            try:
                text = sl.read_text(path)
                state["max_latency_s"] = max(state["max_latency_s"],
                                             time.monotonic() - t0)
                check(text)
            except (ValueError, OSError) as e:
                state["torn"] += 1
                if len(state["errors"]) < 5:
                    state["errors"].append(f"{path}: {e}")
            state["reads"] += 1
        if once or os.path.exists(stopfile):
            break
    with open(outfile, "w") as f:
        json.dump(state, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Stress 4 (D3): SIGSTOP of a process in the middle of `step 500`.

Processes under the preload door write `step 500` to the closed loop's
control again and again (each one holds the instance for many epochs); at
random moments one of them is stopped with SIGSTOP.  The promise (D3):
proc and sysfs readers never wait on a writer, so while it is stopped every
text answers within a deadline, through both doors; a writer that has to
wait for the stopped owner may wait, and says so in at most one stderr
line naming the stopped pid; after SIGCONT everything completes and the
loop ran exactly the epochs asked for.

This fails until the lock change (D3) is merged: today a stopped holder of
the instance lock blocks every reader (CTest: stress_sigstop_lock_holder,
disabled unless -DMLC_STRESS_PENDING=ON).

Short form (MLC_STRESS_SCALE=1): 2 steppers x 6 writes, 4 stops;
MLC_STRESS_SCALE=10: 2 x 60, 40 stops.
"""
import json
import os
import random
import re
import signal
import subprocess
import time

import stress_lib as sl
from stress_lib import h

STEPPERS = 2
READ_DEADLINE_S = 2.0
STOP_S = 1.0


class SigstopLockHolder(h.EmuTestCase):

    def test_sigstop_of_a_step_500_writer(self):
        s = sl.scale()
        writes, stops = 6 * s, 4 * s
        rng = random.Random(int(os.environ.get("MLC_STRESS_SEED", "0")) or
                            None)
        fuse = sl.Paths(self.root)
        sl.prepare_instance(fuse)
        base = sl.snapshot(fuse, range(1, 20001))
        control = sl.Paths("").loopcontrol
        script = (f'i=0; while [ $i -lt {writes} ]; do '
                  f'echo "step 500" > {control} || exit 1; '
                  f'i=$((i+1)); done')
        steppers = [sl.spawn(self.emu, sl.preload_cmd(self.emu, "sh", "-c",
                                                      script))
                    for _ in range(STEPPERS)]
        stopped = None
        stopped_pids = set()
        worst = {"fuse": 0.0, "preload": 0.0}
        waited_lines = 0
        t0 = time.monotonic()
        try:
            for n in range(stops):
                time.sleep(rng.uniform(0.05, 0.3))
                alive = [p for p in steppers if p.poll() is None]
                if not alive:
                    break
                stopped = rng.choice(alive)
                stopped_pids.add(stopped.pid)
                os.kill(stopped.pid, signal.SIGSTOP)
                time.sleep(0.05)
                t_stop = time.monotonic()
                what = (f"while pid {stopped.pid} (`step 500` through the "
                        f"preload door) was stopped (stop {n + 1})")
                # Readers through FUSE: every text, each within the deadline.
                for path in (fuse.result, fuse.train, fuse.mlproc,
                             fuse.mlstats, fuse.access_count, fuse.loopstats,
                             fuse.loopmode):
                    try:
                        _, t = sl.within(READ_DEADLINE_S, sl.read_text, path)
                    except TimeoutError:
                        self.fail(f"{what}, a FUSE read of "
                                  f"{os.path.relpath(path, self.root)} gave "
                                  f"no answer within {READ_DEADLINE_S} s; "
                                  f"the server {sl.server_state(self.emu, self.root)}")
                    worst["fuse"] = max(worst["fuse"], t)
                # A reader under the preload door (python's start-up
                # included in its timeout, not in its read latencies).
                out = os.path.join(self.base, "probe.json")
                p = sl.spawn(self.emu, sl.preload_cmd(
                    self.emu, sl.PYTHON, sl.READER, "", "/nonexistent", out,
                    "20000", "--once"))
                try:
                    _, err = p.communicate(timeout=READ_DEADLINE_S + 10)
                except subprocess.TimeoutExpired:
                    sl.kill_all([p])
                    self.fail(f"{what}, a preload reader of every proc/sys "
                              f"text did not finish")
                self.assertEqual((p.returncode, err), (0, b""))
                with open(out) as f:
                    rep = json.load(f)
                self.assertEqual(rep["torn"], 0, rep["errors"])
                self.assertLess(rep["max_latency_s"], READ_DEADLINE_S, what)
                worst["preload"] = max(worst["preload"], rep["max_latency_s"])
                # A writer may wait for the stopped owner; it completes after
                # SIGCONT, and names the owner in at most one line.
                ack = sl.AckFile(os.path.join(self.base, f"ack-{n}"), 1)
                w = sl.spawn(self.emu, sl.client_cmd(
                    self.emu, "preload", "", 19000 + n, 1, ack, 0))
                time.sleep(max(0.0, STOP_S - (time.monotonic() - t_stop)))
                owner = stopped.pid
                os.kill(owner, signal.SIGCONT)
                stopped = None
                _, err = w.communicate(timeout=30)
                self.assertEqual(w.returncode, 0, err)
                lines = err.decode().splitlines()
                self.assertLessEqual(len(lines), 1, err)
                for line in lines:
                    self.assertRegex(line, rf"\b{owner}\b",
                                     "the waiting writer's line must name "
                                     "the stopped owner")
                waited_lines += len(lines)
            for p in steppers:
                _, err = p.communicate(timeout=300)
                self.assertEqual(p.returncode, 0, err)
                # A stepper may have waited for the other one, stopped.
                lines = err.decode().splitlines()
                self.assertLessEqual(len(lines), stops, err)
                for line in lines:
                    self.assertTrue(any(re.search(rf"\b{pid}\b", line)
                                        for pid in stopped_pids),
                                    f"a stepper's line names no stopped "
                                    f"pid: {line!r}")
        finally:
            if stopped is not None:
                os.kill(stopped.pid, signal.SIGCONT)
            sl.kill_all(steppers)
        end = sl.snapshot(fuse, range(1, 20001))
        self.assertEqual(end["loop"]["epochs"] - base["loop"]["epochs"],
                         STEPPERS * writes * 500)
        print(f"stress figures: scale {s}, {STEPPERS} steppers x {writes} "
              f"`step 500`, {stops} SIGSTOPs of {STOP_S} s, slowest read "
              f"while stopped: fuse {worst['fuse']:.3f} s, preload "
              f"{worst['preload']:.3f} s (deadline {READ_DEADLINE_S} s), "
              f"{waited_lines} waiting-writer lines, "
              f"{time.monotonic() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    h.main()

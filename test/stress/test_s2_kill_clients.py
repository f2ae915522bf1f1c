#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Stress 2: kill -9 of clients at random points, through both doors.

Waves of clients run the mixed loop forever (ioctls, /dev/mllibdev opens,
reads and writes, `step 1` control writes) next to torn-read detectors
reading every proc and sysfs text; each is killed with SIGKILL at a random
moment once it has started.  After every wave the instance must answer
every kind of operation, through both doors, within a deadline (no wedge:
a preload client killed inside the instance's lock must not block anyone).
At the end the counters agree with what the clients saw acknowledged: each
is at least the acknowledged sum and at most one operation more per killed
client (its operation in flight), no SET_RESULT is lost or done twice, and
every text still parses strictly.

Short form (MLC_STRESS_SCALE=1): 30 waves of 8 (240 kills);
MLC_STRESS_SCALE=10: 300 waves (2400 kills).
"""
import os
import random
import select
import subprocess
import time

import stress_lib as sl
from stress_lib import h

WAVE_WRITERS = 6     # 3 through FUSE, 3 under preload
WAVE_READERS = 2     # one per door
DEADLINE_S = 5.0     # an answer later than this is a wedge
PROBE_ID = 20000     # the FUSE probe's SET_RESULT values
IDS = range(1, PROBE_ID + 1)


class KillClientsStress(h.EmuTestCase):

    def probe(self, fuse, cid, ack, slot):
        """One of every operation through each door, each within the
        deadline.  Returns the longest answer time."""
        worst = 0.0

        def fuse_ops():
            fd = os.open(fuse.dev, os.O_RDWR | os.O_CLOEXEC)
            try:
                for i in range(2):
                    # The probe's own id, its values consecutive.
                    h.set_result(fd, PROBE_ID * sl.MULT + self.probe_n)
                    self.probe_n += 1
                    h.get_result(fd)
                h.add_training(fd, 1, 2, 3, 4)
                h.clear_training(fd)
                h.send_ints(fd, 1, 2, 3)
            finally:
                os.close(fd)
            for path in (fuse.result, fuse.train, fuse.mlproc, fuse.mlstats,
                         fuse.access_count, fuse.loopstats, fuse.loopmode):
                sl.read_text(path)
            sl.write_control(fuse.loopcontrol, b"step 1\n")
            fd = os.open(fuse.mldev, os.O_RDWR | os.O_CLOEXEC)
            try:
                os.pread(fd, 64, 0)
                os.pwrite(fd, b"x" * 16, 0)
            finally:
                os.close(fd)
        try:
            _, t = sl.within(DEADLINE_S, fuse_ops)
        except TimeoutError:
            self.fail(f"wedge after {self.kills} kills: the FUSE door gave "
                      f"no answer within {DEADLINE_S} s; the server "
                      f"{sl.server_state(self.emu, self.root)}")
        worst = max(worst, t)
        # The preload door: a client of one iteration, then a reader.
        t0 = time.monotonic()
        p = sl.spawn(self.emu, sl.client_cmd(self.emu, "preload", "", cid, 1,
                                             ack, slot))
        try:
            _, err = p.communicate(timeout=DEADLINE_S + 5)
        except Exception:
            sl.kill_all([p])
            raise AssertionError(f"wedge after {self.kills} kills: a preload "
                                 f"client of one iteration did not finish "
                                 f"within {DEADLINE_S + 5} s")
        self.assertEqual((p.returncode, err), (0, b""), "preload probe")
        worst = max(worst, time.monotonic() - t0)
        return worst

    def log_tail(self, n):
        """The values of the last n lines of the log file."""
        with open(self.emu.log_path, "rb") as f:
            f.seek(max(0, os.fstat(f.fileno()).st_size - 64 * (n + 1)))
            lines = f.read().decode().split("\n")[:-1][-n:] if n else []
        return [int(l.rsplit(" ", 1)[1]) for l in lines]

    def test_kill_9_clients(self):
        s = sl.scale()
        waves = 30 * s
        rng = random.Random(int(os.environ.get("MLC_STRESS_SEED", "0")) or
                            None)
        fuse = sl.Paths(self.root)
        sl.prepare_instance(fuse)
        self.probe_n = 0
        base = sl.snapshot(fuse, IDS)
        base_log = sl.parse_log(sl.read_text(fuse.varlog), IDS)
        nslots = waves * WAVE_WRITERS + waves
        ack = sl.AckFile(os.path.join(self.base, "ack"), nslots)
        stop = os.path.join(self.base, "never")   # readers run until killed
        # Each client process has its own id (slot + 1) and slot: a value is
        # id*MULT + n, so ids must be unique per process.
        self.assertLess(nslots, PROBE_ID)
        next_slot = 0
        kills = self.kills = 0
        killed_in_op = 0          # clients killed with operations done
        probe_worst = 0.0
        t0 = time.monotonic()
        client_slots = []
        for w in range(waves):
            procs = []
            for j in range(WAVE_WRITERS):
                door = "fuse" if j % 2 == 0 else "preload"
                slot = next_slot
                next_slot += 1
                client_slots.append(slot)
                p = sl.spawn(self.emu, sl.client_cmd(
                    self.emu, door, self.root, slot + 1, 0, ack, slot, "r"))
                procs.append(("writer", door, slot, p))
            for j in range(WAVE_READERS):
                door = ("fuse", "preload")[j % 2]
                argv = [sl.PYTHON, sl.READER,
                        self.root if door == "fuse" else "", stop,
                        os.path.join(self.base, "r.json"), str(PROBE_ID)]
                if door == "preload":
                    argv = sl.preload_cmd(self.emu, *argv)
                procs.append(("reader", door, None, sl.spawn(self.emu, argv)))
            try:
                # Writers: wait for "ready" (one iteration done), so the
                # kill lands inside the loop, not in start-up.
                for kind, door, slot, p in procs:
                    if kind == "writer":
                        r, _, _ = select.select([p.stdout], [], [], 30)
                        self.assertTrue(r, f"{door} writer never got ready")
                        line = p.stdout.readline()
                        if line != b"ready\n":
                            p.wait(timeout=30)
                            self.fail(f"{door} writer: {line!r} "
                                      f"{p.stderr.read()!r}")
                # Readers: a python start-up, then they loop.
                time.sleep(rng.uniform(0.0, 0.03))
                order = list(procs)
                rng.shuffle(order)
                for kind, door, slot, p in order:
                    time.sleep(rng.uniform(0.0, 0.01))
                    if p.poll() is not None:
                        self.fail(f"{kind} ({door}) ended early: "
                                  f"{p.stderr.read()!r}")
                    p.kill()
                    kills += 1
                    self.kills = kills
                for kind, door, slot, p in procs:
                    try:
                        p.wait(timeout=DEADLINE_S + 5)
                    except subprocess.TimeoutExpired:
                        self.fail(f"wedge after {kills} kills (wave {w}): a "
                                  f"{door} {kind} killed with SIGKILL is "
                                  f"still waiting for an answer "
                                  f"({sl.proc_state(p.pid)}); the server "
                                  f"{sl.server_state(self.emu, self.root)}")
                    self.assertEqual(p.returncode, -9, f"{kind} ({door})")
                    if kind == "writer":
                        killed_in_op += 1
            finally:
                sl.kill_all([p for _, _, _, p in procs])
            # Nothing half done: the newest SET_RESULTs in the ring are the
            # newest lines of the log file (one operation writes both).
            ring = sl.parse_result(sl.read_text(fuse.result), IDS)[1]
            tail = self.log_tail(len(ring))
            if ring != tail:
                only = sorted(set(ring) - set(tail))
                who = [(v // sl.MULT, v % sl.MULT,
                        ack.read(v // sl.MULT - 1)["set"]) for v in only]
                self.fail(f"after {kills} kills: a SET_RESULT half done: "
                          f"{only} in the history ring, not in the log file "
                          f"(client, n, its acknowledged count: {who}); "
                          f"ring {ring}, log {tail}")
            # No wedge: the instance answers everything, through both doors.
            slot = next_slot
            next_slot += 1
            probe_worst = max(probe_worst,
                              self.probe(fuse, slot + 1, ack, slot))
        elapsed = time.monotonic() - t0

        # Let the background releases of the FUSE door arrive.
        time.sleep(0.5)
        end = sl.snapshot(fuse, IDS)
        tot = ack.total()
        slack = killed_in_op        # one operation in flight per writer
        print(f"stress figures: scale {s}, {waves} waves, {kills} kill -9 "
              f"({killed_in_op} writers, {kills - killed_in_op} readers), "
              f"{tot['ops']} acknowledged operations, 0 wedges (slowest "
              f"probe {probe_worst:.2f} s of {DEADLINE_S} s), "
              f"{elapsed:.1f} s", flush=True)

        # Probes of the FUSE door did these (not counted in the ack file).
        probe_ml = waves
        probe_step = waves

        def within_slack(name, got, acked, extra=0):
            self.assertGreaterEqual(got, acked, f"{name}: lost operations")
            self.assertLessEqual(got, acked + slack + extra,
                                 f"{name}: more than one operation in "
                                 f"flight per killed client")
        within_slack("ml_lib opens", end["mlstats"]["opens"] -
                     base["mlstats"]["opens"], tot["ml_open"] + probe_ml)
        within_slack("ml_lib reads", end["mlstats"]["reads"] -
                     base["mlstats"]["reads"], tot["ml_read"] + probe_ml)
        within_slack("ml_lib writes", end["mlstats"]["writes"] -
                     base["mlstats"]["writes"], tot["ml_write"] + probe_ml)
        self.assertEqual(end["access_count"], end["mlstats"]["opens"])
        self.assertEqual(end["mlproc"], dict(end["mlstats"], data_size=1024))
        within_slack("loop epochs", end["loop"]["epochs"] -
                     base["loop"]["epochs"], tot["step"] + probe_step)

        # The log: every acknowledged SET_RESULT exactly once; a killed
        # client's values are 0..m-1 with m its acknowledged count, plus at
        # most the one in flight.
        new, per = sl.new_log_values(self, fuse.varlog, base_log, IDS)
        for slot in range(next_slot):
            a = ack.read(slot)
            got = per.get(slot + 1, [])
            self.assertEqual(got, list(range(len(got))),
                             f"client {slot + 1}: values out of order")
            self.assertIn(len(got) - a["set"], (0, 1),
                          f"client {slot + 1}: {a['set']} acknowledged, "
                          f"{len(got)} in the log")
        self.assertEqual(per.get(PROBE_ID), list(range(2 * waves)),
                         "the FUSE probes' SET_RESULTs")
        self.assertEqual(end["ring"], new[-10:])


if __name__ == "__main__":
    h.main()

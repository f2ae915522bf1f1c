#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Stress 3: kill -9 of the FUSE server under load, again and again.

Each round: FUSE clients and preload clients run the mixed loop on one
instance; the FUSE server (found in the registry) gets SIGKILL at a random
moment.  The FUSE clients must end with ENOTCONN (not hang), the preload
clients keep working without any server (then are killed too), and a new
`serve` must remount cleanly over the stale mount (exit 0, the one-line
note, one mount at the root).  State intact: the segment kept every
operation a client saw acknowledged (each counter at least the acknowledged
sum, at most one operation in flight more per client, every acknowledged
SET_RESULT in the log exactly once) and every text parses strictly.

Short form (MLC_STRESS_SCALE=1): 6 rounds; MLC_STRESS_SCALE=10: 60.
"""
import os
import random
import select
import signal
import subprocess
import time

import stress_lib as sl
from stress_lib import h

STALE_NOTE = ("mlcore-emu: cleaned up a stale mount at {root} left by a "
              "killed server\n")
FUSE_CLIENTS = 3
PRELOAD_CLIENTS = 2
IDS = range(1, 20001)


class KillServerStress(h.EmuTestCase):

    def test_kill_9_server_under_load(self):
        s = sl.scale()
        rounds = 6 * s
        rng = random.Random(int(os.environ.get("MLC_STRESS_SEED", "0")) or
                            None)
        fuse = sl.Paths(self.root)
        sl.prepare_instance(fuse)
        base = sl.snapshot(fuse, IDS)
        base_log = sl.parse_log(sl.read_text(fuse.varlog), IDS)
        per_round = FUSE_CLIENTS + PRELOAD_CLIENTS
        ack = sl.AckFile(os.path.join(self.base, "ack"), rounds * per_round)
        slot = 0
        killed_servers = []
        t0 = time.monotonic()
        for r in range(rounds):
            procs = []
            stop = os.path.join(self.base, f"stop-{r}")
            env = dict(self.emu.env, MLC_STRESS_STOP=stop)
            for j in range(per_round):
                door = "fuse" if j < FUSE_CLIENTS else "preload"
                p = sl.spawn(self.emu, sl.client_cmd(
                    self.emu, door, self.root, slot + 1, 0, ack, slot, "er"),
                    env=env)
                procs.append((door, slot, p))
                slot += 1
            try:
                for door, sl_, p in procs:
                    ready, _, _ = select.select([p.stdout], [], [], 30)
                    self.assertTrue(ready, f"{door} client never got ready")
                    self.assertEqual(p.stdout.readline(), b"ready\n", door)
                time.sleep(rng.uniform(0.02, 0.15))
                pid = self.emu.wait_server_pid(self.root)
                self.assertIsNotNone(pid, f"round {r}: no server registered")
                os.kill(pid, signal.SIGKILL)
                killed_servers.append(pid)
                deadline = time.monotonic() + 10
                while h.pid_alive(pid) and time.monotonic() < deadline:
                    time.sleep(0.01)
                self.assertFalse(h.pid_alive(pid), "the server survived -9")
                # FUSE clients: ENOTCONN (exit 3), never a hang.
                for door, sl_, p in procs:
                    if door != "fuse":
                        continue
                    try:
                        _, err = p.communicate(timeout=10)
                    except subprocess.TimeoutExpired:
                        self.fail(f"round {r}: a FUSE client hangs after the "
                                  f"server was killed")
                    self.assertEqual((p.returncode, err), (3, b""),
                                     f"round {r}: FUSE client {sl_ + 1}")
                # Preload clients need no server: still working; then
                # they stop on their own (exactly counted).
                for door, sl_, p in procs:
                    if door == "preload":
                        before = ack.read(sl_)["iter"]
                        deadline = time.monotonic() + 10
                        while ack.read(sl_)["iter"] == before and \
                                time.monotonic() < deadline:
                            time.sleep(0.005)
                        self.assertGreater(ack.read(sl_)["iter"], before,
                                           f"round {r}: a preload client "
                                           f"stopped with the server "
                                           f"({sl.proc_state(p.pid)})")
                        self.assertIsNone(p.poll())
                open(stop, "w").close()
                for door, sl_, p in procs:
                    if door == "preload":
                        _, err = p.communicate(timeout=30)
                        self.assertEqual((p.returncode, err), (0, b""),
                                         f"preload client {sl_ + 1}")
                        self.assertEqual(ack.read(sl_)["done"], 1)
            finally:
                sl.kill_all([p for _, _, p in procs])

            # A new serve remounts over the stale mount.
            sp = self.emu.serve(self.root, clock=self.CLOCK, check=False)
            self.assertEqual((sp.returncode, sp.stderr),
                             (0, STALE_NOTE.format(root=self.root)),
                             f"round {r}: serve after kill -9")
            with open("/proc/self/mountinfo") as f:
                points = [l.split()[4] for l in f]
            self.assertEqual(points.count(self.root), 1)
            self.check_state(fuse, base, base_log, ack, slot)
        elapsed = time.monotonic() - t0
        tot = ack.total()
        print(f"stress figures: scale {s}, {rounds} kill -9 of the server "
              f"under load ({slot} clients: {FUSE_CLIENTS} fuse + "
              f"{PRELOAD_CLIENTS} preload per round), {tot['ops']} "
              f"acknowledged operations, state intact, every remount clean, "
              f"{elapsed:.1f} s", flush=True)

    def check_state(self, fuse, base, base_log, ack, nslots):
        """Every acknowledged operation is in the segment, nothing twice."""
        end = sl.snapshot(fuse, IDS)
        tot = ack.total()
        # One operation in flight per FUSE client when its server died (the
        # server may have done it; the client saw no answer); the preload
        # clients ended on their own.
        slack = nslots // (FUSE_CLIENTS + PRELOAD_CLIENTS) * FUSE_CLIENTS

        def bounded(name, got, acked):
            self.assertGreaterEqual(got, acked, f"{name}: lost operations")
            self.assertLessEqual(got, acked + slack, f"{name}: done twice")
        for k, a in (("opens", "ml_open"), ("reads", "ml_read"),
                     ("writes", "ml_write")):
            bounded(f"ml_lib {k}", end["mlstats"][k] - base["mlstats"][k],
                    tot[a])
        self.assertEqual(end["access_count"], end["mlstats"]["opens"])
        self.assertEqual(end["mlproc"], dict(end["mlstats"], data_size=1024))
        bounded("loop epochs", end["loop"]["epochs"] - base["loop"]["epochs"],
                tot["step"])
        new, per = sl.new_log_values(self, fuse.varlog, base_log, IDS)
        for sl_ in range(nslots):
            got = per.get(sl_ + 1, [])
            acked = ack.read(sl_)["set"]
            self.assertEqual(got, list(range(len(got))))
            exact = sl_ % (FUSE_CLIENTS + PRELOAD_CLIENTS) >= FUSE_CLIENTS
            self.assertIn(len(got) - acked, (0,) if exact else (0, 1),
                          f"client {sl_ + 1}: {acked} acknowledged, "
                          f"{len(got)} in the log")
        self.assertEqual(end["ring"], new[-10:])


if __name__ == "__main__":
    h.main()

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Stress 1: eight writers on one instance, four through the FUSE mount and
four under the preload door, with two torn-read detectors (one per door)
reading every text while they run.  Afterwards every counter of the
instance equals exactly the sum of what the writers saw acknowledged, and
both doors show the same state.

Short form (MLC_STRESS_SCALE=1): 4 x 2000 FUSE + 4 x 8000 preload
iterations (about 200,000 operations); MLC_STRESS_SCALE=10: ten times that.
"""
import json
import os
import time

import stress_lib as sl
from stress_lib import h

FUSE_IDS = (1, 2, 3, 4)
PRELOAD_IDS = (5, 6, 7, 8)
IDS = range(1, 9)


class MixedDoorStress(h.EmuTestCase):

    def test_mixed_door_stress(self):
        s = sl.scale()
        k_fuse, k_pre = 2000 * s, 8000 * s
        fuse = sl.Paths(self.root)
        sl.prepare_instance(fuse)
        base = sl.snapshot(fuse, IDS)
        base_log = sl.parse_log(sl.read_text(fuse.varlog), IDS)
        ack = sl.AckFile(os.path.join(self.base, "ack"), 8)
        stop = os.path.join(self.base, "stop")

        t0 = time.monotonic()
        writers, procs = [], []
        for slot, cid in enumerate(FUSE_IDS + PRELOAD_IDS):
            door = "fuse" if cid in FUSE_IDS else "preload"
            k = k_fuse if door == "fuse" else k_pre
            p = sl.spawn(self.emu, sl.client_cmd(self.emu, door, self.root,
                                                 cid, k, ack, slot))
            writers.append((cid, door, k, p))
            procs.append(p)
        readers = []
        for door in ("fuse", "preload"):
            out = os.path.join(self.base, f"reader-{door}.json")
            argv = [sl.PYTHON, sl.READER, self.root if door == "fuse" else "",
                    stop, out, "8"]
            if door == "preload":
                argv = sl.preload_cmd(self.emu, *argv)
            p = sl.spawn(self.emu, argv)
            readers.append((door, out, p))
            procs.append(p)
        try:
            for cid, door, k, p in writers:
                _, err = p.communicate(timeout=600)
                self.assertEqual((p.returncode, err), (0, b""),
                                 f"writer {cid} ({door})")
            elapsed = time.monotonic() - t0
            open(stop, "w").close()
            reports = {}
            for door, out, p in readers:
                _, err = p.communicate(timeout=120)
                self.assertEqual((p.returncode, err), (0, b""),
                                 f"reader ({door})")
                with open(out) as f:
                    reports[door] = json.load(f)
        finally:
            sl.kill_all(procs)

        tot = ack.total()
        for slot, (cid, door, k, _) in enumerate(writers):
            a = ack.read(slot)
            self.assertEqual((a["iter"], a["done"], a["set"]), (k, 1, k),
                             f"writer {cid}")
        reads = sum(r["reads"] for r in reports.values())
        torn = sum(r["torn"] for r in reports.values())
        print(f"stress figures: scale {s}, 8 writers (4 fuse x {k_fuse}, "
              f"4 preload x {k_pre} iterations), {tot['ops']} operations, "
              f"2 readers, {reads} strict reads, {torn} torn, "
              f"{elapsed:.1f} s", flush=True)
        for door, r in reports.items():
            print(f"reader {door}: {r}", flush=True)
            self.assertGreater(r["reads"], 0, door)
            self.assertEqual((r["torn"], r["errors"]), (0, []),
                             f"torn reads through {door}")

        # The release of a FUSE file reaches the server after close():
        # wait until the log holds every Device closed line.
        ml_lines = tot["ml_open"] + tot["ml_read"] + tot["ml_write"] + \
            tot["ml_close"]
        want_seq = base["kmsg_seq"] + tot["set"] + tot["add"] + \
            tot["clear"] + tot["send"] + ml_lines
        deadline = time.monotonic() + 10
        while True:
            end = sl.snapshot(fuse, IDS)
            if end["kmsg_seq"] >= want_seq or time.monotonic() > deadline:
                break
            time.sleep(0.05)

        # Every operation logged exactly once (one printk each).
        self.assertEqual(end["kmsg_seq"], want_seq)
        # ml_lib's counters: exactly the acknowledged opens, reads, writes.
        want_ml = {"opens": base["mlstats"]["opens"] + tot["ml_open"],
                   "reads": base["mlstats"]["reads"] + tot["ml_read"],
                   "writes": base["mlstats"]["writes"] + tot["ml_write"]}
        self.assertEqual(end["mlstats"], want_ml)
        self.assertEqual(end["access_count"], want_ml["opens"])
        self.assertEqual(end["mlproc"], dict(want_ml, data_size=1024))
        # The loop: one epoch per acknowledged `step 1`.
        self.assertEqual(end["loop"]["epochs"],
                         base["loop"]["epochs"] + tot["step"])
        # The log file: every SET_RESULT once, no other line.
        log = sl.parse_log(sl.read_text(fuse.varlog), IDS)
        self.assertEqual(log[:len(base_log)], base_log)
        new = log[len(base_log):]
        self.assertEqual(len(new), tot["set"])
        want_vals = {cid * sl.MULT + n for cid, _, k, _ in writers
                     for n in range(k)}
        self.assertEqual(set(new), want_vals)
        # Each client's values in the log in its own order.
        for cid in IDS:
            mine = [v for v in new if v // sl.MULT == cid]
            self.assertEqual(mine, sorted(mine), f"client {cid}")
        # The ring: the newest 10 SET_RESULTs, each client's a suffix.
        self.assertEqual(len(end["ring"]), 10)
        self.assertEqual(end["ring"], new[-10:])
        self.assertEqual(end["current"], new[-1])
        for v in end["ring"]:
            cid, n = divmod(v, sl.MULT)
            last = max(x for x in end["ring"] if x // sl.MULT == cid)
            self.assertEqual(last % sl.MULT,
                             dict((c, k) for c, _, k, _ in writers)[cid] - 1)
        # Training: well-formed (parse_train), and not more than was added.
        self.assertLessEqual(len(end["train"]), min(50, tot["add"]))

        # The preload door sees exactly the same state.
        out = os.path.join(self.base, "snapshot-preload.json")
        p = sl.spawn(self.emu, sl.preload_cmd(
            self.emu, sl.PYTHON, sl.READER, "", stop, out, "8", "--snapshot"))
        _, err = p.communicate(timeout=60)
        self.assertEqual((p.returncode, err), (0, b""))
        with open(out) as f:
            pre = json.load(f)
        end_json = json.loads(json.dumps(end))
        self.assertEqual(pre, end_json)


if __name__ == "__main__":
    h.main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 14 (docs/closed-loop.md, the closed learning loop): ROOT/dev/mlloop
and ROOT/sys/class/ml_lib_loop/mlloop/ml_readahead/ through a real FUSE
mount, driven by python's os/fcntl/struct, echo and cat: start, step, read
the DATASET and FEEDBACK records, write recommendations (good ones that
move the mode up, bad ones that are refused), the attributes' texts, the
queue's overflow, reset, and the same seed giving the same records.

The FUSE door serves the device node as a regular file (ABI.md "Where a
door cannot be exact"), opened non-seekable: lseek is ESPIPE as on the
character device.
"""
import errno
import fcntl
import os
import re
import shlex
import struct
import subprocess

import harness as h

GOLDEN_LOOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                           "golden", "ml_loop")

MAGIC = 0x4D4C4F50          # "MLOP"
REC_SIZE = 64
DATASET, FEEDBACK, RECOMMENDATION = 1, 2, 3
NO_WINDOW = 0xFFFFFFFF
IOCPENDING = 0x80044C01     # _IOR('L', 1, __u32)
MODES = {1: "emergency", 2: "learning", 3: "collaboration", 4: "recommendation"}

HDR = "<IHHQ"
DATASET_FMT = HDR + "7I5I"                  # accesses .. phase_hint, reserved
FEEDBACK_FMT = HDR + "4I3QiI"
RECOMMENDATION_FMT = HDR + "II10I"
assert struct.calcsize(DATASET_FMT) == REC_SIZE
assert struct.calcsize(FEEDBACK_FMT) == REC_SIZE
assert struct.calcsize(RECOMMENDATION_FMT) == REC_SIZE

DATASET_KEYS = ("magic", "type", "size", "epoch", "accesses", "seq_permille",
                "mean_run_x100", "distinct_permille", "default_window",
                "best_window", "phase_hint")
FEEDBACK_KEYS = ("magic", "type", "size", "epoch", "mode", "applied_permille",
                 "recommended_window", "best_window", "cost_default",
                 "cost_recommended", "cost_actual", "error",
                 "efficiency_milli")


def golden_loop(name):
    with open(os.path.join(GOLDEN_LOOP, name), "rb") as f:
        return f.read()


def decode(buf):
    """The records in buf (a multiple of 64 bytes) as dicts."""
    assert len(buf) % REC_SIZE == 0, len(buf)
    out = []
    for off in range(0, len(buf), REC_SIZE):
        magic, typ = struct.unpack_from("<IH", buf, off)
        if typ == DATASET:
            vals = struct.unpack_from(DATASET_FMT, buf, off)
            rec = dict(zip(DATASET_KEYS, vals))
            rec["reserved"] = vals[len(DATASET_KEYS):]
        elif typ == FEEDBACK:
            rec = dict(zip(FEEDBACK_KEYS, struct.unpack_from(FEEDBACK_FMT, buf, off)))
        else:
            raise AssertionError(f"record type {typ} from the kernel")
        out.append(rec)
    return out


def recommendation(window, confidence=500, magic=MAGIC, typ=RECOMMENDATION,
                   size=REC_SIZE, epoch=0):
    return struct.pack(RECOMMENDATION_FMT, magic, typ, size, epoch, window,
                       confidence, *([0] * 10))


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True,
                          timeout=h.CMD_TIMEOUT, stdin=subprocess.DEVNULL)


class LoopCase(h.EmuTestCase):
    """A fresh seeded instance with the loop's paths."""
    SERVE_EXTRA = ("--seed", "2026")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.loopdev = os.path.join(cls.root, "dev", "mlloop")
        cls.classdir = os.path.join(cls.root, "sys", "class", "ml_lib_loop",
                                    "mlloop")
        cls.model = os.path.join(cls.classdir, "ml_readahead")
        cls.control_path = os.path.join(cls.model, "control")

    # --- helpers -------------------------------------------------------------
    def attr(self, name):
        return self.read_all(os.path.join(self.model, name))

    def stats(self):
        text = self.attr("stats").decode()
        self.assertTrue(text.endswith("\n"), text)
        out = {}
        for line in text.splitlines():
            key, value = line.split(": ")
            self.assertRegex(value, r"^[0-9]+$", line)
            out[key] = int(value)
        return out

    def mode(self):
        return self.attr("mode").decode().rstrip("\n")

    def control(self, cmd):
        """One write(2) of cmd to control: its return or OSError."""
        fd = os.open(self.control_path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            return os.write(fd, cmd)
        finally:
            os.close(fd)

    def command(self, cmd):
        self.assertEqual(self.control(cmd), len(cmd))

    def open_loop(self, flags=os.O_RDWR):
        fd = os.open(self.loopdev, flags | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        return fd

    def pending(self, fd):
        buf = bytearray(b"\xaa" * 4)
        self.assertEqual(fcntl.ioctl(fd, IOCPENDING, buf, True), 0)
        return struct.unpack("<I", buf)[0]

    def drain(self, fd):
        data = b""
        while True:
            chunk = os.read(fd, 256 * REC_SIZE)
            if not chunk:
                return data
            data += chunk

    def loop_lines(self):
        return [l for l in self.emu.dmesg_raw() if "ml_loop: " in l]


class BasicsTest(LoopCase):
    """The tests run in name order on one instance."""

    def test_a_files_and_load_texts(self):
        for rel, mode, size in (
                ("dev/mlloop", 0o100600, 0),
                ("sys/class/ml_lib_loop", 0o40755, 0),
                ("sys/class/ml_lib_loop/mlloop", 0o40755, 0),
                ("sys/class/ml_lib_loop/mlloop/dev", 0o100444, 4096),
                ("sys/class/ml_lib_loop/mlloop/ml_readahead", 0o40755, 0),
                ("sys/class/ml_lib_loop/mlloop/ml_readahead/control", 0o100220, 4096),
                *((f"sys/class/ml_lib_loop/mlloop/ml_readahead/{a}", 0o100444, 4096)
                  for a in ("mode", "state", "efficiency", "stats")),
                # A binary attribute of size 0 (test_16_workload_traces).
                ("sys/class/ml_lib_loop/mlloop/ml_readahead/workload", 0o100200, 0)):
            with self.subTest(path=rel):
                st = os.stat(os.path.join(self.root, rel))
                self.assertEqual((st.st_mode, st.st_size), (mode, size))
        self.assertEqual(sorted(os.listdir(self.model)),
                         ["control", "efficiency", "mode", "state", "stats",
                          "workload"])
        for name in ("mode", "state", "efficiency", "stats"):
            with self.subTest(attr=name):
                p = self.cat(os.path.join(self.model, name))
                self.assertEqual((p.returncode, p.stderr), (0, b""))
                self.assertEqual(p.stdout, golden_loop(f"{name}_load.txt"))
        self.assertEqual(self.read_all(os.path.join(self.classdir, "dev")), b"253:0\n")
        self.assertEqual(self.loop_lines(), [], "the loop logs nothing at load")
        with self.subTest("control is write-only, even for root"):
            self.assertErrno(errno.EACCES, os.open, self.control_path, os.O_RDONLY)

    def test_b_step_needs_a_started_model(self):
        self.assertErrno(errno.EAGAIN, self.control, b"step 1")
        p = sh(f"echo start > {shlex.quote(self.control_path)}")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        self.assertEqual(self.attr("state"), b"started\n")
        self.assertErrno(errno.EINVAL, self.control, b"step 0")
        self.assertErrno(errno.EINVAL, self.control, b"step 10001")
        self.assertErrno(errno.EINVAL, self.control, b"step x")
        self.assertErrno(errno.EOPNOTSUPP, self.control, b"xyz")
        self.assertEqual(self.stats()["epochs"], 0)

    def test_c_step_and_read_records(self):
        fd = self.open_loop()
        self.assertEqual(self.drain(fd), b"")
        p = sh(f"echo 'step 3' > {shlex.quote(self.control_path)}")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        self.assertEqual(self.pending(fd), 6)
        self.assertErrno(errno.EINVAL, os.read, fd, 63)
        self.assertEqual(self.pending(fd), 6)
        first = os.read(fd, 100)
        self.assertEqual(len(first), 64, "whole records only")
        rest = os.read(fd, 64 * 10)
        self.assertEqual(len(rest), 5 * 64)
        self.assertEqual(os.read(fd, 64), b"", "nothing waiting: 0")
        recs = decode(first + rest)
        self.assertEqual([(r["type"], r["epoch"]) for r in recs],
                         [(1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3)])
        for r in recs:
            self.assertEqual((r["magic"], r["size"]), (MAGIC, 64))
        for d in recs[0::2]:
            self.assertEqual(d["accesses"], 512)
            self.assertLessEqual(d["seq_permille"], 1000)
            self.assertIn(d["best_window"], (0, 1, 2, 4, 8, 16, 32, 64, 128, 256))
            self.assertEqual(d["phase_hint"], 0)
            self.assertEqual(d["reserved"], (0,) * 5)
        for f in recs[1::2]:
            self.assertEqual(f["mode"], 1)
            self.assertEqual(f["applied_permille"], 0)
            self.assertEqual(f["recommended_window"], NO_WINDOW)
            self.assertEqual(f["cost_recommended"], 0)
            self.assertEqual(f["cost_actual"], f["cost_default"])
            self.assertEqual((f["error"], f["efficiency_milli"]), (0, 1000))
        with self.subTest("lseek, pread and pwrite on the stream: ESPIPE"):
            self.assertErrno(errno.ESPIPE, os.lseek, fd, 0, os.SEEK_SET)
            self.assertErrno(errno.ESPIPE, os.pread, fd, 64, 0)
            self.assertErrno(errno.ESPIPE, os.pwrite, fd, recommendation(8), 0)
        st = self.stats()
        self.assertEqual(st["epochs"], 3)
        self.assertEqual(st["cost_default"], sum(f["cost_default"] for f in recs[1::2]))

    def test_d_refused_recommendations(self):
        fd = self.open_loop()
        before = self.stats()
        for bad, line in (
                (recommendation(8, magic=0x12345678),
                 "<4>ml_loop: recommendation refused: bad magic 0x12345678 (record 0)"),
                (recommendation(8, typ=DATASET),
                 "<4>ml_loop: recommendation refused: bad type 1 (record 0)"),
                (recommendation(8, size=32),
                 "<4>ml_loop: recommendation refused: bad size 32 (record 0)"),
                (recommendation(257),
                 "<4>ml_loop: recommendation refused: window 257 above 256 (record 0)"),
                (recommendation(8) + b"x",
                 "<4>ml_loop: recommendation refused: length 65 is not a multiple of 64"),
                (recommendation(8) + recommendation(300),
                 "<4>ml_loop: recommendation refused: window 300 above 256 (record 1)")):
            with self.subTest(line=line):
                mark = len(self.loop_lines())
                self.assertErrno(errno.EINVAL, os.write, fd, bad)
                self.assertEqual(self.loop_lines()[mark:], [line])
        st = self.stats()
        self.assertEqual(st["recommendations_refused"],
                         before["recommendations_refused"] + 6)
        self.assertEqual(st["recommendations_accepted"],
                         before["recommendations_accepted"])
        self.assertEqual(self.mode(), "emergency")

    def test_e_a_good_agent_climbs(self):
        """The oracle agent (the previous epoch's best window) through the
        mount: the mode attribute climbs to recommendation, FEEDBACK shows
        the window written for it, dmesg one line per mode change."""
        fd = self.open_loop()
        self.drain(fd)
        seen = [self.mode()]
        written = None
        feedbacks = []
        mark = len(self.loop_lines())
        for _ in range(300):
            self.command(b"step 1")
            d, f = decode(os.read(fd, 2 * REC_SIZE))
            self.assertEqual((d["type"], f["type"]), (DATASET, FEEDBACK))
            self.assertEqual(f["recommended_window"],
                             NO_WINDOW if written is None else written)
            feedbacks.append(f)
            written = d["best_window"]
            self.assertEqual(os.write(fd, recommendation(written)), 64)
            mode = self.mode()
            if mode != seen[-1]:
                seen.append(mode)
            if mode == "recommendation":
                break
        self.assertEqual(seen[-1], "recommendation", seen)
        self.assertEqual(seen[:3], ["emergency", "learning", "collaboration"], seen)
        levels = [list(MODES.values()).index(m) for m in seen]
        for a, b in zip(levels, levels[1:]):
            # Up one level at a time; down one (demotion) or to emergency.
            self.assertTrue(b == a + 1 or b == a - 1 or b == 0, seen)
        # One mode change at most per epoch, sampled after each: one info
        # line per change seen; a fallback's warning comes just before its.
        lines = self.loop_lines()[mark:]
        changes = [l for l in lines if l.startswith("<6>ml_loop: mode ")]
        self.assertEqual(len(changes), len(seen) - 1, lines)
        for i, l in enumerate(lines):
            if l.startswith("<4>"):
                self.assertTrue(l.startswith("<4>ml_loop: fallback to emergency: "), l)
                self.assertRegex(lines[i + 1], r"^<6>ml_loop: mode [a-z]+ -> emergency ")
        self.assertRegex(changes[-1], r"^<6>ml_loop: mode collaboration -> "
                         r"recommendation \(efficiency [0-9]+\.[0-9]{3}\)$")
        # Applied shares in the records follow the mode.
        for f in feedbacks:
            if f["mode"] == 1:
                self.assertEqual(f["applied_permille"], 0)
        st = self.stats()
        self.assertGreater(st["applied_misses"], 0)
        self.assertGreater(st["mode_changes"], 2)
        self.assertRegex(self.attr("efficiency").decode(), r"^[0-9]+\.[0-9]{3}\n$")

    def test_ez_policies(self):
        """Closed loop v2 through the mount: a POLICY (two records, one
        write) is in force from the next epoch (FEEDBACK's window
        0xfffffffe, error 0); a broken one is EINVAL with one dmesg line
        and leaves it; stats has cost_best, at most cost_default."""
        fd = self.open_loop()
        self.drain(fd)
        self.command(b"start")
        leaf = 0xFF
        nodes = [(4, 1, 1, 4), (0, 500, 2, 3), (leaf, 0, 0, 0), (leaf, 32, 0, 0),
                 (1, 5000, 5, 6), (leaf, 64, 0, 0), (leaf, 256, 0, 0)]

        def records(nodes, spoil=None):
            recs = []
            for first in range(0, len(nodes), 5):
                here = nodes[first:first + 5]
                body = b"".join(struct.pack("<BBHHH", f, 0, v, l, r)
                                for f, v, l, r in here)
                body += bytes(8 * (5 - len(here)))
                recs.append(bytearray(struct.pack("<IHHQHHHH", MAGIC, 4, REC_SIZE, 0,
                                                  len(nodes), first, len(here), 0) + body))
            if spoil:
                spoil(recs)
            return b"".join(recs)

        self.assertEqual(os.write(fd, records(nodes)), 128)
        self.command(b"step 1")
        d, f = decode(os.read(fd, 2 * REC_SIZE))
        self.assertEqual(f["recommended_window"], 0xFFFFFFFE)
        self.assertEqual(f["error"], 0)
        self.assertGreater(f["cost_recommended"], 0)

        def child_before(recs):
            recs[0][24 + 4 * 8 + 4:24 + 4 * 8 + 6] = struct.pack("<H", 1)
        mark = len(self.loop_lines())
        self.assertErrno(errno.EINVAL, os.write, fd, records(nodes, child_before))
        self.assertEqual(self.loop_lines()[mark:],
                         ["<4>ml_loop: policy refused: node 4 child 1 not after it (record 0)"])
        self.command(b"step 1")
        d, f = decode(os.read(fd, 2 * REC_SIZE))
        self.assertEqual(f["recommended_window"], 0xFFFFFFFE, "the good policy stays")
        st = self.stats()
        self.assertLessEqual(st["cost_best"], st["cost_default"])
        self.assertGreater(st["cost_best"], 0)
        self.command(b"reset")                      # the policy withdrawn
        self.drain(fd)

    def test_f_queue_overflow(self):
        fd = self.open_loop()
        self.drain(fd)
        before = self.stats()["records_dropped"]
        self.command(b"step 200")                   # 400 records
        self.assertEqual(self.pending(fd), 256)
        self.assertEqual(self.stats()["records_dropped"], before + 144)
        recs = decode(self.drain(fd))
        self.assertEqual(len(recs), 256)
        epochs = [r["epoch"] for r in recs]
        self.assertEqual(epochs, sorted(epochs))
        self.assertEqual(recs[0]["type"], DATASET)

    def test_g_stop_freezes_and_reset_restarts(self):
        self.command(b"stop\n")
        self.assertEqual(self.attr("state"), b"stopped\n")
        self.assertErrno(errno.EAGAIN, self.control, b"step 1")
        self.command(b"reset\n")
        self.assertEqual(self.attr("mode"), b"emergency\n")
        self.assertEqual(self.attr("efficiency"), b"1.000\n")
        st = self.stats()
        self.assertEqual((st["epochs"], st["records_pending"], st["mode_changes"]),
                         (0, 0, 0))
        self.assertEqual(self.attr("state"), b"stopped\n", "reset keeps the state")


class SeedTest(LoopCase):
    """Two fresh instances served with the same --seed publish the same
    records; the same instance after `reset` publishes them again."""
    SERVE = False

    def run_instance(self, tag, seed):
        emu = h.Emu(f"{self.emu.name}-{tag}", os.path.join(self.base, f"state-{tag}"))
        self.addCleanup(emu.cleanup)
        root = os.path.join(self.base, f"root-{tag}")
        emu.serve(root, "--seed", str(seed), clock=f"fixed:{h.EPOCH_2026}")
        model = os.path.join(root, "sys", "class", "ml_lib_loop", "mlloop",
                             "ml_readahead", "control")
        dev = os.path.join(root, "dev", "mlloop")

        def control(cmd):
            fd = os.open(model, os.O_WRONLY)
            try:
                self.assertEqual(os.write(fd, cmd), len(cmd))
            finally:
                os.close(fd)

        fd = os.open(dev, os.O_RDWR)
        self.addCleanup(os.close, fd)
        control(b"start")
        runs = []
        for _ in range(2):
            self.assertEqual(os.write(fd, recommendation(16)), 64)
            control(b"step 30")
            runs.append(self.drain(fd))
            control(b"reset")
        self.assertEqual(len(runs[0]), 60 * REC_SIZE)
        self.assertEqual(runs[0], runs[1], "reset: the same trace again")
        return runs[0]

    def test_same_seed_same_records(self):
        a = self.run_instance("a", 31337)
        b = self.run_instance("b", 31337)
        c = self.run_instance("c", 31338)
        self.assertEqual(a, b)
        self.assertNotEqual(a, c)


if __name__ == "__main__":
    h.main()

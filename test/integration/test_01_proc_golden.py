#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 1 (ABI.md: /proc/mlcore_result, /proc/mlcore_train, kernel log lines,
log file): `cat` of both proc files after a scripted sequence, with the clock
frozen, against hand-written golden texts (golden/README.md)."""
import os

import harness as h

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
INT_MAX, INT_MIN = 2**31 - 1, -2**31


def golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


class ProcGoldenTest(h.EmuTestCase):
    # 2024-02-29 23:59:59 UTC: a leap day and every field non-zero.
    CLOCK = "fixed:1709251199"

    def cat_exact(self, path, want):
        p = self.cat(path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, b"")
        self.assertEqual(p.stdout, want)

    def test_a_initial_texts(self):
        """Right after load: the two header lines, an empty training file."""
        self.cat_exact(self.result, golden("initial_result.txt"))
        self.cat_exact(self.train, golden("initial_train.txt"))
        self.assertEqual(self.emu.mlcore_dmesg_raw(),
                         ["<6>[mlcore] Loaded with fixed-point logging."])

    def test_b_scripted_sequence(self):
        fd = self.open_dev(os.O_WRONLY)
        self.assertEqual(h.send_ints(fd, 123, -5, INT_MIN), 0)
        for v in (1, -1, 0, INT_MAX, INT_MIN, 5, 6, 7, 8, 9, 10, 11):
            self.assertEqual(h.set_result(fd, v), 0)
        self.assertEqual(h.add_training(fd, 100, 200, 300, 1), 0)
        self.assertEqual(h.add_training(fd, -5, -32, -150, -1), 0)
        self.assertEqual(h.clear_training(fd), 0)
        for e in ((123, -5, -32, 0), (-150, INT_MAX, INT_MIN, -7),
                  (0, 99, -99, 42), (10000, -10000, 1, INT_MAX)):
            self.assertEqual(h.add_training(fd, *e), 0)

        with self.subTest("cat /proc/mlcore_result"):
            self.cat_exact(self.result, golden("scripted_result.txt"))
        with self.subTest("cat /proc/mlcore_train"):
            self.cat_exact(self.train, golden("scripted_train.txt"))
        with self.subTest("dmesg --raw"):
            want = golden("scripted_dmesg_raw.txt").decode()
            self.assertEqual("\n".join(self.emu.mlcore_dmesg_raw()) + "\n", want)
        with self.subTest("dmesg (frozen clock: time 0)"):
            self.assertEqual(self.emu.mlcore_dmesg(),
                             golden("scripted_dmesg.txt").decode())
        with self.subTest("cat ROOT/dmesg"):
            p = self.cat(os.path.join(self.root, "dmesg"))
            self.assertEqual((p.returncode, p.stderr), (0, b""))
            mine = b"".join(l for l in p.stdout.splitlines(True)
                            if h.is_mlcore_line(l.decode()))
            self.assertEqual(mine, golden("scripted_dmesg.txt"))
            self.assertEqual(p.stdout.decode(), self.emu.dmesg())
        with self.subTest("cat ROOT/var/log/mlcore.log"):
            self.cat_exact(self.varlog, golden("scripted_mlcore.log"))
        with self.subTest("state-dir mlcore.log"):
            self.assertEqual(self.read_all(self.emu.log_path),
                             golden("scripted_mlcore.log"))
        with self.subTest("cat again: same text (no state change by reading)"):
            self.cat_exact(self.result, golden("scripted_result.txt"))


if __name__ == "__main__":
    h.main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 6 (ABI.md: "Both must be served by one emulator instance", "The
emulator serialises every operation on an instance"): two `serve` mounts of
one instance, and two concurrent client processes on one mount."""
import os
import re
import subprocess
import sys

import harness as h

N = 500

# One client process: N SET_RESULTs of base+1 .. base+N, in order.
CLIENT = r"""
import fcntl, os, struct, sys
dev, base, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
fd = os.open(dev, os.O_WRONLY)
sys.stdin.read()  # start together
for i in range(1, n + 1):
    r = fcntl.ioctl(fd, 0x40046801, bytearray(struct.pack("i", base + i)), True)
    if r != 0:
        sys.exit(f"SET_RESULT {base + i} returned {r}")
os.close(fd)
"""


class TwoMountsTest(h.EmuTestCase):

    def root_b_paths(self):
        root_b = os.path.join(self.base, "root-b")
        return (root_b, os.path.join(root_b, "dev", "mlcore"),
                os.path.join(root_b, "proc", "mlcore_result"))

    def test_two_mounts_one_instance(self):
        root_b, dev_b, result_b = self.root_b_paths()
        p = self.emu.serve(root_b)   # same instance, no --clock: keeps it
        self.assertEqual(p.returncode, 0)
        self.assertTrue(h.mounted_at(root_b))
        self.assertTrue(h.mounted_at(self.root))
        # Both servers registered (waiting: see test_09's registry race).
        self.assertIsNotNone(self.emu.wait_server_pid(self.root))
        self.assertIsNotNone(self.emu.wait_server_pid(root_b))
        self.assertNotEqual(self.emu.wait_server_pid(self.root),
                            self.emu.wait_server_pid(root_b))

        fd_a = self.open_dev(os.O_WRONLY)
        self.assertEqual(h.set_result(fd_a, 4242), 0)
        want = (f"Current Prediction: 4242\nPrediction History (latest 1):\n"
                f" [0]: 4242 at {h.STAMP_2026}\n").encode()
        with self.subTest("SET_RESULT via A, cat via B"):
            p = self.cat(result_b)
            self.assertEqual((p.returncode, p.stdout), (0, want))
        with self.subTest("and via A"):
            self.assertEqual(self.read_all(self.result), want)

        fd_b = os.open(dev_b, os.O_RDWR)
        self.addCleanup(os.close, fd_b)
        self.assertEqual(h.get_result(fd_b), 4242)
        self.assertEqual(h.set_result(fd_b, -17), 0)
        self.assertEqual(h.get_result(fd_b), -17)
        fd_a2 = self.open_dev(os.O_RDONLY)
        self.assertEqual(h.get_result(fd_a2), -17)
        self.assertEqual(h.add_training(fd_b, 100, 200, 300, 1), 0)
        self.assertEqual(self.read_all(self.train), b"[0]: 1.00 2.00 3.00 => 1\n")

        with self.subTest("one kernel log, one log file"):
            self.assertEqual(self.emu.mlcore_dmesg_raw(), [
                "<6>[mlcore] Loaded with fixed-point logging.",
                "<6>[mlcore] Prediction set: 4242",
                "<6>[mlcore] Prediction set: -17",
                "<6>[mlcore] Training data added: 1.00 2.00 3.00 => 1",
            ])
            log = (f"{h.STAMP_2026} - Prediction: 4242\n"
                   f"{h.STAMP_2026} - Prediction: -17\n").encode()
            self.assertEqual(self.read_all(self.varlog), log)
            self.assertEqual(
                self.read_all(os.path.join(root_b, "var", "log", "mlcore.log")), log)
            self.assertEqual(self.read_all(os.path.join(root_b, "dmesg")),
                             self.read_all(os.path.join(self.root, "dmesg")))

        with self.subTest("stopping B leaves A serving"):
            self.emu.stop(root_b)
            self.assertFalse(h.mounted_at(root_b))
            self.assertEqual(self.read_all(self.result)[:24],
                             b"Current Prediction: -17\n")


class ConcurrentClientsTest(h.EmuTestCase):

    def test_two_processes_500_set_results_each(self):
        bases = (0, 100000)
        procs = [subprocess.Popen([sys.executable, "-c", CLIENT, self.dev,
                                   str(b), str(N)], stdin=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for b in bases]
        for p in procs:
            p.stdin.close()
        for p in procs:
            p.wait(timeout=120)
            err = p.stderr.read()
            p.stderr.close()
            self.assertEqual(p.returncode, 0, err)

        lines = self.emu.mlcore_dmesg_raw()
        self.assertEqual(lines[0], "<6>[mlcore] Loaded with fixed-point logging.")
        sets = [int(m.group(1)) for m in
                (re.fullmatch(r"<6>\[mlcore\] Prediction set: (-?\d+)", l)
                 for l in lines[1:]) if m]
        self.assertEqual(len(sets), 2 * N)
        self.assertEqual(len(lines), 1 + 2 * N)
        # Each process's calls appear whole and in its own order.
        for b in bases:
            self.assertEqual([v for v in sets if b < v <= b + N],
                             list(range(b + 1, b + N + 1)))

        # The ring holds the last 10, in the order the log shows them.
        text = self.read_all(self.result).decode()
        want = (f"Current Prediction: {sets[-1]}\n"
                f"Prediction History (latest 10):\n" +
                "".join(f" [{i}]: {v} at {h.STAMP_2026}\n"
                        for i, v in enumerate(sets[-10:])))
        self.assertEqual(text, want)

        log = self.read_all(self.emu.log_path).decode().splitlines()
        self.assertEqual(log, [f"{h.STAMP_2026} - Prediction: {v}" for v in sets])

        status = self.emu.run("status", "--instance", self.emu.name, check=True)
        self.assertIn(f"latest result {sets[-1]}, history 10/10", status.stdout)


if __name__ == "__main__":
    h.main()

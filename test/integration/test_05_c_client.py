#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 5 (ABI.md: ioctls, "IOCTL_GET_RESULT ... must write exactly 4" and
"A bad user pointer (NULL, (void*)16) gives EFAULT ... and changes no
state"): the plain C client clients/get_result_guard.c against the mount."""
import os
import subprocess

import harness as h

CLIENT = os.environ.get("MLC_GET_RESULT_GUARD", "")


class CClientTest(h.EmuTestCase):

    def run_client(self, value):
        if not CLIENT or not os.access(CLIENT, os.X_OK):
            self.skipTest("MLC_GET_RESULT_GUARD is not set to the C client")
        return subprocess.run([CLIENT, self.dev, str(value)], capture_output=True,
                              text=True, timeout=h.CMD_TIMEOUT)

    def test_get_result_guard(self):
        h.clear_training(self.open_dev())
        mark = self.dmesg_mark()
        p = self.run_client(0x12345678)
        self.assertEqual(p.returncode, 0, f"\n{p.stdout}{p.stderr}")
        self.assertIn("PASSED: 0 failure(s)", p.stdout)
        self.assertNotIn("FAIL", p.stdout.replace("FAILED", ""))
        # The EFAULTs changed no state: one SET_RESULT's line, nothing else.
        self.assertEqual(self.dmesg_since(mark),
                         [f"<6>[mlcore] Prediction set: {0x12345678}"])
        self.assertEqual(self.read_all(self.result), (
            f"Current Prediction: {0x12345678}\nPrediction History (latest 1):\n"
            f" [0]: {0x12345678} at {h.STAMP_2026}\n").encode())
        self.assertEqual(self.read_all(self.train), b"")
        self.assertEqual(self.read_all(self.emu.log_path),
                         f"{h.STAMP_2026} - Prediction: {0x12345678}\n".encode())

    def test_get_result_guard_negative_value(self):
        """-1 is all 0xFF: every one of the int's 4 bytes still changes."""
        p = self.run_client(-1)
        self.assertEqual(p.returncode, 0, f"\n{p.stdout}{p.stderr}")


if __name__ == "__main__":
    h.main()

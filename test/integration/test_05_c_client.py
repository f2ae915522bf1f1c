#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 5 (ABI.md: ioctls, "IOCTL_GET_RESULT ... must write exactly 4" and
"A bad user pointer (NULL, (void*)16) gives EFAULT ... and changes no
state"): the plain C client clients/get_result_guard.c against the mount."""
import ctypes
import errno
import mmap
import os
import struct
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


class PageEdgeTest(h.EmuTestCase):
    """Its own instance: CClientTest pins the exact history."""

    def test_get_result_at_a_page_edge_copies_the_accessible_bytes(self):
        """GET_RESULT into an int whose last 1-3 ACCESSIBLE bytes end a page
        (the rest PROT_NONE): EFAULT, and the accessible bytes hold the
        value's first bytes, as the driver's partial copy_to_user leaves
        them.  Measured the same through FUSE on Debian's 6.1 (the QEMU
        guest's probe, guest-fuse.probe) and on the 6.18 host; the doc
        used to claim the FUSE layer copied nothing."""
        fd = self.open_dev()
        value = 0x11223344
        h.set_result(fd, value)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
        page = mmap.PAGESIZE
        area = mmap.mmap(-1, 2 * page, prot=mmap.PROT_READ | mmap.PROT_WRITE)
        self.addCleanup(area.close)
        base = ctypes.addressof(ctypes.c_char.from_buffer(area))
        self.assertEqual(libc.mprotect(ctypes.c_void_p(base + page), page, 0), 0)
        for inside in (1, 2, 3):
            with self.subTest(accessible=inside):
                start = page - inside
                area[start:page] = b"\xee" * inside
                r = libc.ioctl(fd, h.GET_RESULT, ctypes.c_void_p(base + start))
                self.assertEqual((r, ctypes.get_errno()), (-1, errno.EFAULT))
                self.assertEqual(area[start:page],
                                 struct.pack("=i", value)[:inside])
        del base


if __name__ == "__main__":
    h.main()

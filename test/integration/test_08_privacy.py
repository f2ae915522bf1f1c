#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 8 (serve --allow-other; ABI.md "An unprivileged open for writing
fails with EACCES"): a mount served by root is private to root unless served
with --allow-other; with it, other users get the kernel's permission rules
(default_permissions: mode 0444 proc files, 0666 device)."""
import os
import subprocess

import harness as h

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def as_nobody(*cmd):
    return subprocess.run(NOBODY + list(cmd), capture_output=True,
                          timeout=h.CMD_TIMEOUT, stdin=subprocess.DEVNULL)


class PrivacyTest(h.EmuTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()     # cls.root: served WITHOUT --allow-other
        cls.root_other = os.path.join(cls.base, "root-other")
        cls.emu.serve(cls.root_other, "--allow-other")
        fd = os.open(cls.dev, os.O_WRONLY)
        try:
            h.set_result(fd, 65534)
        finally:
            os.close(fd)
        cls.want = (f"Current Prediction: 65534\nPrediction History (latest 1):\n"
                    f" [0]: 65534 at {h.STAMP_2026}\n").encode()

    def other(self, rel):
        return os.path.join(self.root_other, rel)

    def test_parents_are_traversable_by_nobody(self):
        """Precondition: a failure below is the mount's, not the tmp dir's."""
        p = as_nobody("ls", "-d", self.base)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_root_can_read_without_allow_other(self):
        p = self.cat(self.result)
        self.assertEqual((p.returncode, p.stdout), (0, self.want))

    def test_private_mount_denies_another_user(self):
        for rel in ("proc/mlcore_result", "proc/mlcore_train", "dmesg",
                    "var/log/mlcore.log"):
            with self.subTest(file=rel):
                path = os.path.join(self.root, rel)
                p = as_nobody("cat", path)
                self.assertEqual(p.returncode, 1)
                self.assertEqual(p.stdout, b"")
                self.assertEqual(p.stderr,
                                 f"cat: {path}: Permission denied\n".encode())
        with self.subTest("the root directory itself"):
            p = as_nobody("ls", self.root)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(b"Permission denied", p.stderr)
        with self.subTest("the device"):
            p = as_nobody("dd", f"of={self.dev}", "count=0")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(b"Permission denied", p.stderr)

    def test_allow_other_lets_another_user_read(self):
        p = as_nobody("cat", self.other("proc/mlcore_result"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, self.want)
        p = as_nobody("cat", self.other("proc/mlcore_train"))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))

    def test_allow_other_unprivileged_open_for_writing_is_eacces(self):
        path = self.other("proc/mlcore_result")
        p = as_nobody("dd", f"of={path}", "count=0", "conv=notrunc")
        self.assertEqual(p.returncode, 1)
        self.assertIn(f"failed to open '{path}': Permission denied".encode(),
                      p.stderr)

    def test_allow_other_device_is_usable_by_another_user(self):
        """The device node is mode 0666: nobody can drive it too."""
        script = ("import fcntl,os,struct;"
                  f"fd=os.open({self.other('dev/mlcore')!r},os.O_RDWR);"
                  "b=bytearray(b'\\xaa'*8);"
                  "print(fcntl.ioctl(fd,0x80086802,b,True),b.hex())")
        p = as_nobody("/usr/bin/python3", "-c", script)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"0 feff0000aaaaaaaa\n")


class PlantedSegmentTest(h.EmuTestCase):
    """Reliability D2: another local user creates the victim's segment name
    first (mode 0666) and plants a huge train_count.  The victim (root here)
    must refuse it with one line naming the file, through every door, and
    never crash, write into it or remove it."""
    SERVE = False

    def setUp(self):
        self.seg = f"/dev/shm/mlcore-emu.{os.getuid()}.{self.emu.name}"
        code = ("import os, sys; fd = os.open(sys.argv[1], os.O_CREAT | "
                "os.O_EXCL | os.O_RDWR, 0o666); os.fchmod(fd, 0o666); "
                "os.ftruncate(fd, 1 << 20); os.pwrite(fd, b'\\xff' * 4096, 0)")
        p = as_nobody("/usr/bin/python3", "-c", code, self.seg)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.addCleanup(lambda: os.path.exists(self.seg) and os.unlink(self.seg))
        with open(self.seg, "rb") as f:
            self.planted = f.read()

    def assert_refused(self, p):
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(self.seg, lines[0])
        self.assertIn("owner uid 65534", lines[0])
        with open(self.seg, "rb") as f:
            self.assertEqual(f.read(), self.planted, "the planted segment changed")
        self.assertEqual(os.stat(self.seg).st_uid, 65534)

    def test_serve_refuses_it(self):
        self.assert_refused(self.emu.serve(os.path.join(self.base, "root"),
                                           check=False))

    def test_preload_run_refuses_it(self):
        self.assert_refused(self.emu.run("run", "--instance", self.emu.name,
                                         "--", "cat", "/proc/mlcore_train"))

    def test_reset_and_status_refuse_it(self):
        for args in (("reset", "--instance", self.emu.name),
                     ("status", "--instance", self.emu.name)):
            with self.subTest(cmd=args[0]):
                self.assert_refused(self.emu.run(*args))


if __name__ == "__main__":
    h.main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reliability D1: an ioctl on a directory of the mount.

procfs and sysfs directories have no ioctl handler, so the kernel answers
ENOTTY for any command the VFS itself does not answer (`lsattr -d` asks
FS_IOC_GETFLAGS).  A FUSE server that called through the missing open file
of a directory died, and every file of the mount became ENOTCONN: so after
each ioctl the mount must still answer.
"""
import errno
import fcntl
import os
import struct
import subprocess

import harness as h

FS_IOC_GETFLAGS = 0x80086601   # _IOR('f', 1, long): lsattr's
FIONREAD = 0x541B              # on a directory the VFS passes it on
RANDOM_CMDS = (0x0, 0x6802, 0x80086802, 0x40046801, 0xC0FFEE, 0x4D00)


class DirIoctlTest(h.EmuTestCase):

    DIRS = ("", "dev", "proc", "sys", "sys/class/ml_lib_test/mllibdev",
            "sys/class/ml_lib_test/mllibdev/ml_model1", "var/log")

    def assert_alive(self):
        with open(self.result) as f:
            self.assertTrue(f.read().startswith("Current Prediction: "))

    def dir_fd(self, rel):
        fd = os.open(os.path.join(self.root, rel), os.O_RDONLY | os.O_DIRECTORY)
        self.addCleanup(os.close, fd)
        return fd

    def test_ioctls_on_directories_are_enotty_and_the_server_lives(self):
        for rel in self.DIRS:
            fd = self.dir_fd(rel)
            for cmd in (FS_IOC_GETFLAGS, FIONREAD) + RANDOM_CMDS:
                with self.subTest(dir=rel or "/", cmd=hex(cmd)):
                    self.assertErrno(errno.ENOTTY, fcntl.ioctl, fd, cmd,
                                     bytes(8))
                    self.assert_alive()

    def lsattr_d(self, path):
        r = subprocess.run(["lsattr", "-d", path], capture_output=True,
                           text=True, timeout=h.CMD_TIMEOUT)
        return r.returncode, r.stderr.replace(path, "DIR")

    def test_lsattr_d_answers_as_on_the_hosts_proc_and_sys(self):
        """Differential: the host kernel's own /proc and /sys are the oracle
        (lsattr turns their ENOTTY into "Operation not supported")."""
        for rel in ("proc", "sys"):
            with self.subTest(dir=rel):
                want = self.lsattr_d("/" + rel)
                self.assertNotEqual(want[0], 0)
                self.assertEqual(self.lsattr_d(os.path.join(self.root, rel)),
                                 want)
                self.assert_alive()

    def test_pinned_door_difference_lsattr_d_on_dev(self):
        """The kernel's /dev is devtmpfs, which has file attributes since
        Linux 6.0; the served dev/ answers ENOTTY like proc and sys
        (docs/door-differences.md)."""
        code, err = self.lsattr_d(os.path.join(self.root, "dev"))
        self.assertNotEqual(code, 0)
        self.assertEqual(err, self.lsattr_d("/proc")[1])
        self.assert_alive()
        fd = self.open_dev()
        buf = bytearray(struct.pack("=q", -7))
        fcntl.ioctl(fd, h.GET_RESULT, buf)
        self.assertEqual(struct.unpack("=i", buf[:4])[0], -1)


if __name__ == "__main__":
    h.main()

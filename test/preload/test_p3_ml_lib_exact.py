#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The ml_lib test driver at its real paths where the FUSE door pins a
difference (test/integration/test_12, test_13): /dev/mllibdev is the
character device 254:0, 0-byte I/O reaches the driver and counts, the
driver's offset checks come before the copy, dd sees no size, every mmap is
ENODEV; the class directory is the host's /sys/class plus ml_lib_test; and
shell redirections into sysfs control go through the door.

Run by run_under_preload.py (inside `mlcore-emu run`, fresh instance).
"""
import ctypes
import errno
import mmap
import os
import shlex
import stat
import subprocess

import preload_harness  # noqa: F401  (patches the harness)
import harness as h

PFX = "<6>ml_lib_test_dev: "
DEV = "/dev/mllibdev"
SYS = "/sys/class/ml_lib_test/mllibdev"
CONTROL = SYS + "/ml_model1/control"
ATTRS = ("access_count", "buffer_size", "data_size", "dev", "stats")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.read.restype = ctypes.c_ssize_t
_libc.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.write.restype = ctypes.c_ssize_t
_libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                       ctypes.c_int, ctypes.c_int, ctypes.c_long]


def sys_rw(fn, fd, addr, count):
    ctypes.set_errno(0)
    r = fn(fd, addr, count)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def sys_mmap(fd, flags):
    ctypes.set_errno(0)
    addr = _libc.mmap(None, 4096, mmap.PROT_READ, flags, fd, 0)
    if addr in (None, ctypes.c_void_p(-1).value):
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return addr


def sh(cmd):
    return subprocess.run(["bash", "-c", cmd], capture_output=True,
                          timeout=h.CMD_TIMEOUT)


class MlLibExactTest(h.EmuTestCase):

    def setUp(self):
        if not os.path.exists(DEV):
            self.skipTest("the table has no /dev/mllibdev")
        p = sh(f"echo discard_dataset > {CONTROL} && echo prepare_dataset > {CONTROL}")
        self.assertEqual(p.returncode, 0, p.stderr)

    def klog(self):
        return self.emu.dmesg_raw()

    def stats(self):
        text = self.read_all(SYS + "/stats").decode().split()
        return int(text[1]), int(text[3]), int(text[5])

    def open_mldev(self, flags=os.O_RDWR):
        fd = os.open(DEV, flags)
        self.addCleanup(os.close, fd)
        return fd

    def test_the_node_is_the_character_device_254_0(self):
        st = os.stat(DEV)
        self.assertTrue(stat.S_ISCHR(st.st_mode))
        self.assertEqual((st.st_mode, os.major(st.st_rdev), os.minor(st.st_rdev)),
                         (0o20600, 254, 0))
        self.assertEqual(self.read_all(SYS + "/dev"), b"254:0\n")

    def test_zero_byte_io_reaches_the_driver(self):
        fd = self.open_mldev()
        mark = len(self.klog())
        opens, reads, writes = self.stats()
        self.assertEqual(os.read(fd, 0), b"")
        self.assertEqual(os.pread(fd, 0, 10), b"")
        self.assertEqual(os.write(fd, b""), 0)
        self.assertEqual(os.pwrite(fd, b"", 5), 0)
        self.assertErrno(errno.ENOSPC, os.pwrite, fd, b"", 1024)
        self.assertEqual(self.stats(), (opens, reads + 2, writes + 2))
        self.assertEqual(self.klog()[mark:], [PFX + "Read 0 bytes"] * 2 +
                         [PFX + "Wrote 0 bytes"] * 2)

    def test_offset_checks_come_before_the_copy(self):
        fd = self.open_mldev()
        for pos in (1024, 5000):
            with self.subTest(pos=pos):
                os.lseek(fd, pos, os.SEEK_SET)
                self.assertEqual(sys_rw(_libc.read, fd, None, 10), 0)
                self.assertErrno(errno.ENOSPC, sys_rw, _libc.write, fd, None, 10)
        os.lseek(fd, 0, os.SEEK_SET)
        self.assertErrno(errno.EFAULT, sys_rw, _libc.read, fd, None, 10)
        self.assertErrno(errno.EFAULT, sys_rw, _libc.write, fd, 16, 10)

    def test_every_mapping_is_enodev(self):
        fd = self.open_mldev(os.O_RDONLY)
        for flags in (mmap.MAP_SHARED, mmap.MAP_PRIVATE):
            with self.subTest(flags=flags):
                self.assertErrno(errno.ENODEV, sys_mmap, fd, flags)
        with self.assertRaises(OSError) as cm:
            mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ)
        self.assertEqual(cm.exception.errno, errno.ENODEV)

    def test_dd_skips_without_a_warning(self):
        for skip, data_len, records in ((3, 200, "2+0"), (9, 124, "1+1"),
                                        (10, 24, "0+1"), (11, 0, "0+0")):
            with self.subTest(skip=skip):
                p = subprocess.run(["dd", f"if={DEV}", "bs=100", f"skip={skip}",
                                    "count=2"], capture_output=True,
                                   timeout=h.CMD_TIMEOUT)
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertEqual(len(p.stdout), data_len)
                err = p.stderr.decode().splitlines()
                self.assertEqual(err[:2], [f"{records} records in",
                                           f"{records} records out"])

    def test_class_directories(self):
        self.assertEqual(sorted(os.listdir(SYS)), sorted(ATTRS + ("ml_model1",)))
        self.assertEqual(os.listdir(SYS + "/ml_model1"), ["control"])
        host = set(os.listdir("/sys/class"))
        self.assertIn("ml_lib_test", host)
        self.assertIn("net", host)          # the host's own stay
        self.assertEqual(os.listdir("/sys/class/ml_lib_test"), ["mllibdev"])

    def test_shell_redirections_into_control(self):
        """The C library writes stdout with its own system calls: the
        door's stream on a served descriptor carries bash's builtin echo,
        /bin/echo and printf, with the store's errno."""
        q = shlex.quote(CONTROL)
        mark = len(self.klog())
        for cmd, rc in ((f"echo start > {q}", 0), (f"/bin/echo stop > {q}", 0),
                        (f"printf s > {q}", 0), (f"echo p > {q}", 1),
                        (f"exec 3>{q}; echo stop >&3", 0)):
            with self.subTest(cmd=cmd):
                p = sh(cmd)
                self.assertEqual(p.returncode, rc, p.stderr)
        self.assertEqual(sh(f"echo p > {q}").stderr,
                         b"bash: line 1: echo: write error: Operation not supported\n")
        got = [l for l in self.klog()[mark:] if "ml_lib:" in l]
        self.assertEqual(got, ["<3>ml_lib: TODO: implement start ML model",
                               "<3>ml_lib: TODO: implement stop ML model",
                               "<3>ml_lib: TODO: implement start ML model",
                               "<3>ml_lib: TODO: implement stop ML model"])
        # Reading through stdin: sort and a shell loop.
        p = sh(f"sort < {SYS}/stats")
        self.assertEqual(p.stdout.decode().splitlines()[0][:6], "Opens:")
        p = sh(f"while read a b; do echo \"$a\"; done < {SYS}/stats")
        self.assertEqual(p.stdout, b"Opens:\nReads:\nWrites:\n")


if __name__ == "__main__":
    h.main()

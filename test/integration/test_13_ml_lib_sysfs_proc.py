#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 13 (ABI.md, Profile 2: the test driver's "Device attributes" and
`/proc/mllibdev`, its kernel log lines): the exact texts after load and
after a scripted sequence of real clients (echo, cat, dd, python), against
hand-written golden texts (golden/README.md); stat of every file; the
0-byte read/write door difference on /dev/mllibdev."""
import errno
import fcntl
import os
import shlex
import struct
import subprocess

import harness as h

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
ATTRS = ("access_count", "buffer_size", "data_size", "dev", "stats")
MLCORE_LOAD = "<6>[mlcore] Loaded with fixed-point logging."


def golden(name):
    with open(os.path.join(GOLDEN, name), "rb") as f:
        return f.read()


def sh(cmd):
    p = subprocess.run(cmd, shell=True, capture_output=True,
                       timeout=h.CMD_TIMEOUT, stdin=subprocess.DEVNULL)
    assert (p.returncode, p.stderr) == (0, b""), (cmd, p)
    return p


class GoldenTest(h.MlLibTestCase):
    """A fresh instance; the tests run in name order."""

    def cat_exact(self, path, want):
        p = self.cat(path)
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        self.assertEqual(p.stdout, want)

    def echo(self, cmd):
        sh(f"echo {cmd} > {shlex.quote(self.control)}")

    def test_a_initial_texts(self):
        for name, want in (("buffer_size", b"1024\n"), ("data_size", b"0\n"),
                           ("access_count", b"0\n"),
                           ("stats", b"Opens: 0\nReads: 0\nWrites: 0\n"),
                           ("dev", b"254:0\n")):
            with self.subTest(attr=name):
                self.cat_exact(self.attr(name), want)
        with self.subTest("/proc/mllibdev"):
            self.cat_exact(self.mlproc, golden("ml_lib_initial_proc.txt"))
        with self.subTest("dmesg --raw: the load lines"):
            self.assertEqual(self.emu.dmesg_raw(), [MLCORE_LOAD] + [
                l for l in golden("ml_lib_scripted_dmesg_raw.txt")
                .decode().splitlines()[:4]])

    def test_b_scripted_sequence(self):
        # Each step waits for the release of the device it opened (the FUSE
        # kernel sends RELEASE in the background), so the log order is fixed.
        self.echo("prepare_dataset")
        sh(f"cat {shlex.quote(self.mldev)} > /dev/null")
        self.ml_mark()

        fd = os.open(self.mldev, os.O_RDWR)
        for _ in range(3):
            self.assertEqual(len(os.read(fd, 100)), 100)
        self.assertEqual(os.write(fd, b"w" * 50), 50)
        self.assertEqual(os.pwrite(fd, b"w" * 100, 1000), 24)
        self.assertErrno(errno.ENOSPC, os.pwrite, fd, b"w", 1024)
        self.assertEqual(os.pread(fd, 10, 1024), b"")
        self.assertEqual(h.ioctl_ret(fd, h.MLLIB_IOCSETSIZE, struct.pack("i", 7)), 0)
        os.close(fd)
        self.ml_mark()

        p = subprocess.run(["dd", f"if={self.mldev}", "of=/dev/null", "bs=100",
                            "skip=3", "count=2"], capture_output=True,
                           timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.ml_mark()
        p = subprocess.run(["dd", "if=/dev/zero", f"of={self.mldev}", "bs=100",
                            "seek=9", "count=2", "conv=notrunc"],
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr)    # ENOSPC after 124 bytes
        self.ml_mark()

        self.echo("start")
        self.echo("stop")
        self.echo("discard_dataset")
        fd = os.open(self.mldev, os.O_RDONLY)
        self.assertEqual(fcntl.ioctl(fd, h.MLLIB_IOCRESET), 0)
        os.close(fd)
        self.ml_mark()
        self.assertEqual(self.read_attr("data_size"), b"0\n")
        self.echo("prepare_dataset")   # the dataset was discarded: extracts
        self.assertEqual(self.read_attr("data_size"), b"1024\n")

        for name, want in (("buffer_size", b"1024\n"), ("data_size", b"1024\n"),
                           ("access_count", b"5\n"),
                           ("stats", golden("ml_lib_scripted_stats.txt")),
                           ("dev", b"254:0\n")):
            with self.subTest(attr=name):
                self.cat_exact(self.attr(name), want)
        with self.subTest("/proc/mllibdev"):
            self.cat_exact(self.mlproc, golden("ml_lib_scripted_proc.txt"))
        with self.subTest("dmesg --raw"):
            want = golden("ml_lib_scripted_dmesg_raw.txt").decode()
            self.assertEqual("\n".join(self.emu.ml_lib_dmesg_raw()) + "\n", want)
            # Nothing else was logged: mlcore's load line only.
            self.assertEqual(self.emu.dmesg_raw(),
                             [MLCORE_LOAD] + want.splitlines())
        with self.subTest("dmesg (frozen clock: time 0)"):
            self.assertEqual(self.emu.ml_lib_dmesg(),
                             golden("ml_lib_scripted_dmesg.txt").decode())
        with self.subTest("cat ROOT/dmesg"):
            p = self.cat(os.path.join(self.root, "dmesg"))
            self.assertEqual((p.returncode, p.stderr), (0, b""))
            self.assertEqual(p.stdout.decode(), self.emu.dmesg())
        with self.subTest("reading the files changes nothing"):
            self.cat_exact(self.mlproc, golden("ml_lib_scripted_proc.txt"))
            self.cat_exact(self.attr("stats"), golden("ml_lib_scripted_stats.txt"))


class FilesTest(h.MlLibTestCase):
    SERVE_EXTRA = ("--seed", "99")

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fd = os.open(cls.control, os.O_WRONLY)
        try:
            os.write(fd, b"prepare_dataset\n")
        finally:
            os.close(fd)

    def test_stat(self):
        for rel, mode, size in (
                ("sys", 0o40555, 0), ("sys/class", 0o40755, 0),
                ("sys/class/ml_lib_test", 0o40755, 0),
                ("sys/class/ml_lib_test/mllibdev", 0o40755, 0),
                ("sys/class/ml_lib_test/mllibdev/ml_model1", 0o40755, 0),
                ("sys/class/ml_lib_test/mllibdev/ml_model1/control", 0o100220, 4096),
                ("sys/kernel", 0o40755, 0),
                ("proc/mllibdev", 0o100444, 0),
                *((f"sys/class/ml_lib_test/mllibdev/{a}", 0o100444, 4096)
                  for a in ATTRS)):
            with self.subTest(path=rel):
                st = os.stat(os.path.join(self.root, rel))
                self.assertEqual((st.st_mode, st.st_size), (mode, size))
        with self.subTest("fstat of an open attribute"):
            fd = os.open(self.attr("stats"), os.O_RDONLY)
            self.addCleanup(os.close, fd)
            st = os.fstat(fd)
            self.assertEqual((st.st_mode, st.st_size), (0o100444, 4096))

    def test_the_class_device_directory(self):
        self.assertEqual(sorted(os.listdir(self.sysdir)),
                         sorted(ATTRS + ("ml_model1",)))
        # ml_lib_loop is the closed loop's class (test_14_ml_loop.py).
        self.assertEqual(os.listdir(os.path.join(self.root, "sys", "class")),
                         ["ml_lib_test", "ml_lib_loop"])

    def test_the_three_counters_agree(self):
        sh(f"cat {shlex.quote(self.mldev)} > /dev/null")
        self.ml_mark()
        opens, reads, writes = self.stats()
        self.assertEqual(self.read_attr("access_count"), f"{opens}\n".encode())
        proc = self.read_all(self.mlproc).decode()
        self.assertIn(f"\nAccess count:    {opens}\nRead count:      {reads}\n"
                      f"Write count:     {writes}\n", proc)
        self.assertTrue(proc.endswith(f"Write count:     {writes}\n"))

    def test_attribute_read_in_small_pieces(self):
        want = self.read_attr("stats")
        fd = os.open(self.attr("stats"), os.O_RDONLY)
        self.addCleanup(os.close, fd)
        chunks = []
        while True:
            c = os.read(fd, 5)
            chunks.append(c)
            if not c:
                break
        self.assertEqual(b"".join(chunks), want)
        full, rest = divmod(len(want), 5)
        self.assertEqual([len(c) for c in chunks],
                         [5] * full + ([rest] if rest else []) + [0])

    def test_attribute_lseek_end_is_the_page_size(self):
        """The attribute's inode has size 4096, which SEEK_END uses."""
        fd = os.open(self.attr("data_size"), os.O_RDONLY)
        self.addCleanup(os.close, fd)
        self.assertEqual(os.lseek(fd, 0, os.SEEK_END), 4096)
        self.assertEqual(os.read(fd, 10), b"")
        self.assertEqual(os.lseek(fd, 0, os.SEEK_SET), 0)
        self.assertEqual(os.read(fd, 10), b"1024\n")

    def test_proc_file(self):
        """seq_file, read-only: SEEK_END/DATA/HOLE EINVAL; root may open it
        for writing and the write is EIO (no write handler)."""
        fd = os.open(self.mlproc, os.O_RDONLY)
        self.addCleanup(os.close, fd)
        for whence in (os.SEEK_END, os.SEEK_DATA, os.SEEK_HOLE):
            with self.subTest(whence=whence):
                self.assertErrno(errno.EINVAL, os.lseek, fd, 0, whence)
        text = self.read_all(self.mlproc)
        self.assertEqual(os.read(fd, 7), text[:7])
        self.assertEqual(os.read(fd, 4096), text[7:])
        for flags in (os.O_WRONLY, os.O_RDWR):
            with self.subTest(flags=flags):
                wfd = os.open(self.mlproc, flags)
                self.addCleanup(os.close, wfd)
                self.assertErrno(errno.EIO, os.write, wfd, b"x")

    def test_pinned_door_difference_zero_byte_read_write_not_counted(self):
        """PINNED DOOR DIFFERENCE (ABI.md "Where a door cannot be exact",
        docs/door-differences.md): on the device read(fd, 0) at an offset
        below the data size counts a read and logs `Read 0 bytes`, write(fd,
        "", 0) below 1024 counts a write and logs `Wrote 0 bytes`, and a
        0-byte write at offset >= 1024 is ENOSPC.  The kernel answers a
        0-byte read/write of a FUSE file itself: 0, nothing counted or
        logged, no ENOSPC."""
        fd = self.open_mldev(os.O_RDWR)
        mark = self.ml_mark(open_fds=1)
        before = self.stats()
        proc_before = self.read_all(self.mlproc)
        self.assertEqual(self.data_size(), 1024)
        self.assertEqual(os.read(fd, 0), b"")           # device: Reads + 1
        self.assertEqual(os.pread(fd, 0, 10), b"")      # device: Reads + 1
        self.assertEqual(os.write(fd, b""), 0)          # device: Writes + 1
        self.assertEqual(os.pwrite(fd, b"", 5), 0)      # device: Writes + 1
        self.assertEqual(os.pwrite(fd, b"", 1024), 0)   # device: ENOSPC
        self.assertEqual(os.lseek(fd, 0, os.SEEK_CUR), 0)
        self.assertEqual(self.stats(), before)
        self.assertEqual(self.read_all(self.mlproc), proc_before)
        self.assertEqual(self.ml_since(mark), [])


if __name__ == "__main__":
    h.main()

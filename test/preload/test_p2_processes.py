#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The preload door across descriptors and processes: one open file
description (its position, its seq_file text, its flags) is shared by dup,
fork and exec exactly as in the kernel; the driver's open runs once per
open(2) and its release once, when the last descriptor goes, in whatever
process; children are served even when they drop the environment; bad
pointers are EFAULT; the example agent runs at "/".

Run by run_under_preload.py (each class inside `mlcore-emu run` with a fresh
instance).  Standard library only.
"""
import errno
import fcntl
import os
import signal
import struct
import subprocess
import sys
import threading

import preload_harness  # noqa: F401  (patches the harness)
import harness as h

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
FD_CHECK = os.environ.get("MLC_PRELOAD_FD_CHECK", "")
MLLIB = "/dev/mllibdev"


def child(code, **kw):
    """python3 -c code, as a child of this (preloaded) process."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, timeout=h.CMD_TIMEOUT, **kw)


class SharedDescriptionTest(h.EmuTestCase):

    def open_proc(self, flags=os.O_RDONLY):
        fd = os.open(self.result, flags)
        self.addCleanup(os.close, fd)
        return fd

    def test_dup_shares_the_position_and_the_text(self):
        ctl = self.open_dev(os.O_WRONLY)
        h.set_result(ctl, 1)
        text = self.read_all(self.result)
        fd = self.open_proc()
        first = os.read(fd, 7)
        copy = os.dup(fd)
        h.set_result(ctl, 2)      # a continuing reader keeps the old text
        rest = os.read(copy, 4096)
        os.close(copy)
        self.assertEqual(first + rest, text)
        self.assertTrue(text.startswith(b"Current Prediction: 1\n"))
        self.assertEqual(os.lseek(fd, 0, os.SEEK_CUR), len(first + rest))
        d2 = os.dup2(fd, 90, inheritable=False)   # dup3(O_CLOEXEC)
        self.assertEqual(os.lseek(d2, 0, os.SEEK_CUR), len(first + rest))
        self.assertEqual(fcntl.fcntl(d2, fcntl.F_GETFD), fcntl.FD_CLOEXEC)
        os.close(d2)

    def test_fork_shares_the_offset_and_the_old_text(self):
        ctl = self.open_dev(os.O_WRONLY)
        h.set_result(ctl, 10)
        text = self.read_all(self.result)
        fd = self.open_proc()
        a = os.read(fd, 8)
        h.set_result(ctl, 20)
        pid = os.fork()
        if pid == 0:
            os._exit(0 if os.read(fd, 11) == b"Prediction:" else 1)
        _, status = os.waitpid(pid, 0)
        self.assertEqual(status, 0)
        b = os.read(fd, 4096)
        self.assertEqual(a + b"Prediction:" + b, text)
        self.assertTrue(text.startswith(b"Current Prediction: 10\n"))

    def test_exec_inherits_descriptions(self):
        ctl = self.open_dev(os.O_RDWR)
        h.set_result(ctl, 314)
        fd = self.open_proc()
        self.assertEqual(os.read(fd, 8), b"Current ")
        code = (f"import os, fcntl, struct\n"
                f"print(os.read({fd}, 11).decode())\n"
                f"b = bytearray(4); fcntl.ioctl({ctl}, 0x80086802, b, True)\n"
                f"print(struct.unpack('i', b)[0], os.readlink('/proc/self/fd/{ctl}'))\n")
        p = child(code, pass_fds=[fd, ctl])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "Prediction:\n314 /dev/mlcore\n")
        self.assertEqual(os.read(fd, 5), b" 314\n")
        # The parent's descriptors are intact after the child closed its own.
        self.assertEqual(h.get_result(ctl), 314)

    def test_close_on_exec_and_fcntl_flags_are_the_kernels(self):
        fd = os.open(self.dev, os.O_RDWR | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        self.assertFalse(os.get_inheritable(fd))
        code = f"import os\ntry:\n os.fstat({fd}); print('open')\nexcept OSError as e: print(e.errno)"
        # close_fds=False: only O_CLOEXEC decides.
        p = child(code, close_fds=False)
        self.assertEqual(p.stdout.strip(), str(errno.EBADF))
        os.set_inheritable(fd, True)
        p = child(code, close_fds=False)
        self.assertEqual(p.stdout.strip(), "open")

    def test_children_are_served_even_with_an_empty_environment(self):
        code = ("import os, stat\n"
                "print(stat.S_ISCHR(os.stat('/dev/mlcore').st_mode))")
        for env in ({}, {"PATH": "/usr/bin:/bin"}):
            with self.subTest(env=env):
                p = subprocess.run([sys.executable, "-c", code], env=env,
                                   capture_output=True, text=True,
                                   timeout=h.CMD_TIMEOUT)
                self.assertEqual(p.stdout, "True\n", p.stderr)
        pid = os.posix_spawn(sys.executable, [sys.executable, "-c",
                             "import os,sys; sys.exit(0 if os.path.exists"
                             "('/dev/mlcore') else 3)"], {})
        self.assertEqual(os.waitpid(pid, 0)[1], 0)
        p = subprocess.run(["sh", "-c", "test -c /dev/mlcore && cat /proc/mlcore_train"],
                           env={}, capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0)

    def test_closed_descriptor_is_ebadf_and_numbers_are_reused(self):
        fd = os.open(self.dev, os.O_RDWR)
        os.close(fd)
        self.assertErrno(errno.EBADF, fcntl.ioctl, fd, h.GET_RESULT, bytearray(8))
        self.assertErrno(errno.EBADF, os.close, fd)
        r, w = os.pipe()    # the lowest free number again, a plain pipe now
        self.addCleanup(os.close, r)
        self.addCleanup(os.close, w)
        self.assertEqual(r, fd)
        os.write(w, b"x")
        self.assertEqual(os.read(r, 1), b"x")

    def test_threads_share_one_device(self):
        fd = self.open_dev(os.O_RDWR)
        errors = []

        def worker(base):
            try:
                for i in range(2000):
                    h.set_result(fd, base + i)
                    h.get_result(fd)
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=worker, args=(b * 10000,)) for b in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        # Every SET_RESULT appended its line (the kernel log is a ring).
        log = self.read_all(self.emu.log_path).splitlines()
        self.assertEqual(len([l for l in log if b"Prediction: " in l]) >= 8000, True)

    def test_c_client(self):
        """fopen/fgets/fileno, EFAULT at a page edge, statx, poll/select,
        dup2/dup3, fork, and the program's own SIGSEGV handler."""
        if not FD_CHECK or not os.access(FD_CHECK, os.X_OK):
            self.skipTest("MLC_PRELOAD_FD_CHECK is not set to the C client")
        p = subprocess.run([FD_CHECK], capture_output=True, text=True,
                           timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("PASSED: 0 failure(s)", p.stdout)

    def test_example_agent_at_the_real_root(self):
        agent = os.path.join(REPO, "examples", "mlcore_agent.py")
        p = subprocess.run([sys.executable, agent, "/"], capture_output=True,
                           text=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("read 50 training entries back from /proc/mlcore_train",
                      p.stdout)
        self.assertIn("nearest-centroid accuracy:", p.stdout)
        self.assertEqual(len(self.read_all(self.train).splitlines()), 50)


class ReleaseTest(h.EmuTestCase):
    """The driver's open once per open(2), its release once per description
    (ml_lib's test driver logs both and counts opens)."""

    def setUp(self):
        if not os.path.exists(MLLIB):
            self.skipTest("the table has no /dev/mllibdev")

    # The whole kernel log: the harness's marks count mlcore's lines only.
    def dmesg_mark(self):
        return len(self.emu.dmesg_raw())

    def lines(self, mark):
        return [l for l in self.emu.dmesg_raw()[mark:]
                if "Device opened" in l or "Device closed" in l]

    def test_dup_and_fork_share_one_open(self):
        mark = self.dmesg_mark()
        fd = os.open(MLLIB, os.O_RDWR)
        copy = os.dup(fd)
        pid = os.fork()
        if pid == 0:
            os.close(fd)
            os.close(copy)
            os._exit(0)
        os.waitpid(pid, 0)
        os.close(fd)
        self.assertEqual(len(self.lines(mark)), 1)      # opened, still open
        os.close(copy)
        got = self.lines(mark)
        self.assertEqual(len(got), 2)
        self.assertIn("Device opened", got[0])
        self.assertIn("Device closed", got[1])

    def test_last_holder_releases_in_a_child(self):
        mark = self.dmesg_mark()
        fd = os.open(MLLIB, os.O_RDWR)
        p = child(f"import os\nos.close({fd})", pass_fds=[fd])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.lines(mark)), 1)
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        os.close(fd)
        p = child("import os\nfd = os.open('/dev/mllibdev', os.O_RDONLY)\n"
                  "os._exit(0) if os.fork() else os.close(fd)")
        self.assertEqual(len(self.lines(mark)), 4)

    def test_exit_without_close_releases(self):
        mark = self.dmesg_mark()
        p = child("import os\nos.open('/dev/mllibdev', os.O_RDWR)")
        self.assertEqual(p.returncode, 0, p.stderr)
        got = self.lines(mark)
        self.assertEqual([("opened" in l, "closed" in l) for l in got],
                         [(True, False), (False, True)])

    def test_killed_holder_is_released_by_the_next_process(self):
        mark = self.dmesg_mark()
        p = child("import os, signal\nos.open('/dev/mllibdev', os.O_RDWR)\n"
                  "os.kill(os.getpid(), signal.SIGKILL)")
        self.assertEqual(p.returncode, -signal.SIGKILL)
        # Any process of the instance starting up (here the `mlcore-emu
        # dmesg` behind self.lines, itself preloaded) finds the description
        # nobody holds any more and runs its release.
        child("pass")
        got = self.lines(mark)
        self.assertEqual(len(got), 2)
        self.assertIn("Device closed", got[1])

    def test_close_on_exec_description_released_at_exec(self):
        mark = self.dmesg_mark()
        p = child("import os\nos.open('/dev/mllibdev', os.O_RDWR | os.O_CLOEXEC)\n"
                  "os.execv('/bin/true', ['true'])")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(self.lines(mark)), 2)

    def test_access_count_counts_opens_not_descriptors(self):
        before = int(self.read_all("/sys/class/ml_lib_test/mllibdev/access_count"))
        fd = os.open(MLLIB, os.O_RDWR)
        fds = [os.dup(fd) for _ in range(3)]
        child("pass", pass_fds=fds)
        for d in fds + [fd]:
            os.close(d)
        after = int(self.read_all("/sys/class/ml_lib_test/mllibdev/access_count"))
        self.assertEqual(after, before + 1)

    def test_sysfs_directory_the_host_lacks(self):
        d = "/sys/class/ml_lib_test/mllibdev"
        self.assertTrue(os.path.isdir(d))
        self.assertIn("ml_model1", os.listdir(d))
        self.assertIn("control", os.listdir(d + "/ml_model1"))
        st = os.stat(d + "/ml_model1/control")
        self.assertEqual((st.st_mode, st.st_size), (0o100220, 4096))
        self.assertErrno(errno.EACCES, os.open, d + "/ml_model1/control", os.O_RDONLY)
        p = subprocess.run(["ls", d], capture_output=True, text=True,
                           timeout=h.CMD_TIMEOUT)
        self.assertIn("stats", p.stdout.split())
        with open(d + "/ml_model1/control", "w") as f:
            f.write("start\n")
        self.assertIn("<3>ml_lib: TODO: implement start ML model",
                      self.emu.dmesg_raw())


if __name__ == "__main__":
    h.main()

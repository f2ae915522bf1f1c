#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 7 (instance.hpp: "a crash of any one loses nothing"; serve's stale
mount cleanup): kill -9 of the server, ENOTCONN at the root, serve again at
the same root, the same state, and no mount left after stop.

The steps are methods run in name order (a_, b_, ...) on one instance, so
each failure is reported on its own; a step that fails leaves the mount in
the state the next step expects whenever it can."""
import errno
import os
import signal
import time

import harness as h

STALE_NOTE = ("mlcore-emu: cleaned up a stale mount at {root} left by a "
              "killed server\n")


class CrashRecoveryTest(h.EmuTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        fd = os.open(cls.dev, os.O_WRONLY)
        try:
            for v in (3, 1, 4, 1, 5):
                h.set_result(fd, v)
            h.add_training(fd, 100, -5, 250, 7)
        finally:
            os.close(fd)
        with open(cls.result, "rb") as f:
            cls.before_result = f.read()
        with open(cls.train, "rb") as f:
            cls.before_train = f.read()
        cls.killed_pid = None

    def test_a_kill_9_then_the_root_gives_enotconn(self):
        self.assertIn(b"(latest 5)", self.before_result)
        pid = self.emu.wait_server_pid(self.root)
        self.assertIsNotNone(pid, "no live server registered in "
                             f"{self.emu.inst_dir}/servers")
        os.kill(pid, signal.SIGKILL)
        type(self).killed_pid = pid
        # Init reaps it when it gets to it; a zombie holds no fds.
        deadline = time.monotonic() + 10
        while h.pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertFalse(h.pid_alive(pid))

        self.assertTrue(h.mounted_at(self.root))
        # Every request that reaches the (dead) server: ENOTCONN.
        self.assertErrno(errno.ENOTCONN, os.listdir, self.root)
        self.assertErrno(errno.ENOTCONN, os.statvfs, self.root)
        self.assertErrno(errno.ENOTCONN, os.open, self.result, os.O_RDONLY)
        self.assertErrno(errno.ENOTCONN, os.open, self.dev, os.O_RDWR)
        p = self.cat(self.result)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"Transport endpoint is not connected", p.stderr)

    def test_b_serve_again_cleans_up_the_stale_mount(self):
        """BUG (fuse_proc/mount_point.cc inspect_mount_point): the stale
        mount is detected only by stat(root) failing with ENOTCONN, but the
        door caches the root's attributes for an hour (fuse_door.cc
        kStaticTimeout), so stat() of a dead mount succeeds from the cache,
        the root counts as LiveMount and serve refuses: 'already served'."""
        self.assertIsNotNone(self.killed_pid, "step a did not kill the server")
        p = self.emu.serve(self.root, check=False)
        ok = (p.returncode == 0 and
              p.stderr == STALE_NOTE.format(root=self.root))
        if p.returncode != 0:
            # Get a mount back for the next steps, the way a user would.
            self.emu.stop(self.root, check=False)
            self.emu.serve(self.root, check=False)
        self.assertTrue(ok, f"serve after kill -9 exited {p.returncode}, "
                        f"stderr {p.stderr!r}; want 0 and "
                        f"{STALE_NOTE.format(root=self.root)!r}")
        self.assertIn(f"serving instance '{self.emu.name}' at {self.root}",
                      p.stdout)

    def test_c_the_same_state_is_visible(self):
        self.assertEqual(self.read_all(self.result), self.before_result)
        self.assertEqual(self.read_all(self.train), self.before_train)
        fd = self.open_dev(os.O_RDONLY)
        self.assertEqual(h.get_result(fd), 5)
        # Not reloaded: one load line, no unload.
        lines = self.emu.mlcore_dmesg_raw()
        self.assertEqual(lines.count("<6>[mlcore] Loaded with fixed-point logging."), 1)
        self.assertNotIn("<6>[mlcore] Unloaded.", lines)
        with open("/proc/self/mountinfo") as f:
            points = [l.split()[4] for l in f]
        self.assertEqual(points.count(self.root), 1)
        new_pid = self.emu.wait_server_pid(self.root)
        self.assertIsNotNone(new_pid)
        self.assertNotEqual(new_pid, self.killed_pid)

    def test_d_stop_leaves_no_mount(self):
        p = self.emu.stop(self.root, check=False)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(h.mounted_at(self.root))
        with open("/proc/self/mountinfo") as f:
            self.assertNotIn(f" {self.root} ", f.read())
        self.assertEqual(os.listdir(self.root), [])
        self.assertIsNone(self.emu.server_pid_for(self.root))
        self.assertNotIn(self.root, self.emu.run("list").stdout)


if __name__ == "__main__":
    h.main()

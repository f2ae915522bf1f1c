#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 10 (ABI.md kernel log lines "load"/"unload"; `mlcore-emu reset`:
"module unload + load, in place; mounts keep serving")."""
import os

import harness as h

UNLOAD = "<6>[mlcore] Unloaded."
LOAD = "<6>[mlcore] Loaded with fixed-point logging."
HEADER0 = b"Current Prediction: -1\nPrediction History (latest 0):\n"


class ResetTest(h.EmuTestCase):

    def test_reset_reloads_and_the_mount_keeps_serving(self):
        old_fd = self.open_dev(os.O_RDWR)
        h.send_ints(old_fd, 1, 2, 3)
        for v in (10, 20, 30):
            h.set_result(old_fd, v)
        h.add_training(old_fd, 100, 200, 300, 1)
        self.assertEqual(h.get_result(old_fd), 30)
        log_before = self.read_all(self.emu.log_path)
        pid = self.emu.wait_server_pid(self.root)
        self.assertIsNotNone(pid)
        mark = self.dmesg_mark()

        p = self.emu.reset()
        self.assertEqual(p.returncode, 0)
        self.assertEqual(p.stdout, f"mlcore-emu: reset instance '{self.emu.name}' "
                                   "(devices reloaded)\n")
        self.assertEqual(p.stderr, "")

        with self.subTest("dmesg: unload then load"):
            self.assertEqual(self.dmesg_since(mark), [UNLOAD, LOAD])
        with self.subTest("the same server still serves the same mount"):
            self.assertTrue(h.mounted_at(self.root))
            self.assertEqual(self.emu.server_pid_for(self.root), pid)
        with self.subTest("state back to load time"):
            self.assertEqual(self.cat(self.result).stdout, HEADER0)
            self.assertEqual(self.cat(self.train).stdout, b"")
            r, buf = h.get_result_buf(self.open_dev(os.O_RDONLY))
            self.assertEqual((r, buf), (0, b"\xff\xff\xff\xff" + b"\xaa" * 4))
        with self.subTest("an fd opened before the reset reaches the new device"):
            self.assertEqual(h.get_result(old_fd), -1)
        with self.subTest("the log file is not the device's: kept"):
            self.assertEqual(self.read_all(self.emu.log_path), log_before)
        with self.subTest("status"):
            st = self.emu.run("status", "--instance", self.emu.name, check=True)
            self.assertIn("latest result -1, history 0/10, training 0/50", st.stdout)

        with self.subTest("the reloaded device works"):
            mark = self.dmesg_mark()
            h.set_result(old_fd, 7)
            self.assertEqual(self.dmesg_since(mark), ["<6>[mlcore] Prediction set: 7"])
            self.assertEqual(self.read_all(self.result),
                             b"Current Prediction: 7\nPrediction History (latest 1):\n"
                             b" [0]: 7 at 2026-01-01 00:00:00\n")
            self.assertEqual(self.read_all(self.emu.log_path),
                             log_before + b"2026-01-01 00:00:00 - Prediction: 7\n")

    def test_reset_with_a_new_clock(self):
        """BUG (src/emulator/instance.cc Instance::reset() and
        attach_device(), src/emulator/device.cc DeviceServices::make()): the
        clock is kept in the segment "so every process agrees", but each
        process builds its Clock once, when it attaches.  `reset --clock`
        runs in its own process: it rewrites the header and re-attaches only
        itself, so the server behind the mount keeps stamping with the old
        clock while `status` shows the new one."""
        mark = self.dmesg_mark()
        p = self.emu.reset("--clock", "fixed:0")
        self.assertEqual(p.returncode, 0)
        self.assertEqual(self.dmesg_since(mark), [UNLOAD, LOAD])
        fd = self.open_dev(os.O_WRONLY)
        h.set_result(fd, 1)
        self.assertEqual(self.read_all(self.result),
                         b"Current Prediction: 1\nPrediction History (latest 1):\n"
                         b" [0]: 1 at 1970-01-01 00:00:00\n")
        self.assertTrue(self.read_all(self.emu.log_path).endswith(
            b"1970-01-01 00:00:00 - Prediction: 1\n"))
        st = self.emu.run("status", "--instance", self.emu.name, check=True)
        self.assertIn("clock:          fixed:0\n", st.stdout)

    def test_serve_with_a_new_clock_applies_to_every_mount(self):
        """BUG (same root cause as test_reset_with_a_new_clock, through
        Instance::open_or_create(): "an explicit clock is a new boot"): a
        second `serve --clock` of a served instance reloads it with the new
        clock, but the first mount's server keeps its old one."""
        root_b = os.path.join(self.base, "root-b")
        mark = self.dmesg_mark()
        self.emu.serve(root_b, clock="fixed:86400")   # 1970-01-02 00:00:00
        self.assertEqual(self.dmesg_since(mark), [UNLOAD, LOAD])
        result_b = os.path.join(root_b, "proc", "mlcore_result")
        fd_b = os.open(os.path.join(root_b, "dev", "mlcore"), os.O_WRONLY)
        self.addCleanup(os.close, fd_b)
        h.set_result(fd_b, 2)
        h.set_result(self.open_dev(os.O_WRONLY), 3)   # through the first mount
        want = (b"Current Prediction: 3\nPrediction History (latest 2):\n"
                b" [0]: 2 at 1970-01-02 00:00:00\n"
                b" [1]: 3 at 1970-01-02 00:00:00\n")
        self.assertEqual(self.read_all(result_b), want)
        self.assertEqual(self.read_all(self.result), want)


if __name__ == "__main__":
    h.main()

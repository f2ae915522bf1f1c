#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 10 (ABI.md kernel log lines "load"/"unload"; `mlcore-emu reset`:
"module unload + load, in place; mounts keep serving"; the kernel log ring
of `serve --log-buf-size`)."""
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


def kernel_kept(lines, shift):
    """The lines the 6.1 kernel's printk ring of 2^shift bytes keeps of
    lines printed in order (docs/architecture.md, "Kernel log"): a block of
    ALIGN(8 + min(len + 4, 992), 8) bytes each, moved to the next wrap's
    start when it would reach the end, the oldest dropped until the newest
    block fits and a descriptor (one per 32 bytes) is free."""
    size, ndesc = 1 << shift, 1 << (shift - 5)
    begins, head, first = [], 0, 0
    for i, text in enumerate(lines):
        blk = (8 + min(len(text.encode()) + 4, 992) + 7) & ~7
        nxt = head + blk
        if head // size != nxt // size:
            nxt = nxt // size * size + blk
        begins.append(head)
        while first < i and (begins[first] < nxt - size or first + ndesc <= i):
            first += 1
        head = nxt
    return [t.encode()[:989].decode() for t in lines[first:]]


class KernelLogRingTest(h.EmuTestCase):
    """`serve --log-buf-size`: the instance's kernel log is a printk ring of
    that many bytes; `dmesg` and the mount's `dmesg` keep what the kernel's
    ring would."""
    SERVE_EXTRA = ("--log-buf-size", "4K")

    def raw_texts(self):
        return [l.split(">", 1)[1] for l in self.emu.dmesg_raw()]

    def test_the_ring_keeps_what_the_kernels_keeps(self):
        printed = self.raw_texts()         # the load lines: nothing dropped yet
        self.assertTrue(printed and printed[0].startswith("[mlcore] Loaded"))
        fd = self.open_dev(os.O_RDWR)
        for v in range(300):
            h.set_result(fd, v * 7919 - 1000)
            printed.append(f"[mlcore] Prediction set: {v * 7919 - 1000}")
            if v % 3 == 0:
                h.send_ints(fd, v, -v, 3 * v)
                printed.append("[mlcore] Received features: "
                               f"{h.fixed(v)} {h.fixed(-v)} {h.fixed(3 * v)}")
        want = kernel_kept(printed, 12)
        self.assertLess(len(want), len(printed) - 200)     # it wrapped, often
        self.assertEqual(self.raw_texts(), want)
        dmesg = self.read_all(os.path.join(self.root, "dmesg")).decode()
        self.assertEqual(dmesg, "".join(f"[    0.000000] {t}\n" for t in want))
        first_seq = len(printed) - len(want)
        with open(os.path.join(self.root, "dev", "kmsg"), "rb", buffering=0) as k:
            self.assertEqual(k.read(4096).split(b",")[1], str(first_seq).encode())

    def test_an_existing_instance_keeps_its_size(self):
        other = os.path.join(self.base, "root2")
        os.makedirs(other, exist_ok=True)
        p = self.emu.serve(other, "--log-buf-size", "8K", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"instance '{self.emu.name}' has a 4096-byte kernel log", p.stderr)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        p = self.emu.serve(other, "--log-buf-size", "4096", check=True)
        self.emu.stop(other, check=True)

    def test_bad_sizes_are_refused_before_anything_changes(self):
        other = os.path.join(self.base, "root3")
        for bad in ("0", "64M", "12Q", "-4096", "K", ""):
            with self.subTest(bad):
                p = self.emu.run("serve", "--root", other, "--instance",
                                 self.emu.name + "-bad", "--log-buf-size", bad)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("kernel log size", p.stderr)
                self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
                self.assertFalse(os.path.exists(
                    f"/dev/shm/mlcore-emu.{os.getuid()}.{self.emu.name}-bad"))


if __name__ == "__main__":
    h.main()

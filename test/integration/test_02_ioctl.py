#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 2 (ABI.md: ioctls, kernel log lines, log file): every ioctl driven
with python's fcntl.ioctl through the FUSE mount; errno, buffer bytes, the
`dmesg --raw` lines (exact, in order) and the log file lines."""
import fcntl
import errno
import os
import struct

import harness as h

FULL = "<4>[mlcore] Training buffer full!"


class IoctlTest(h.EmuTestCase):

    def test_a0_get_result_initial_writes_exactly_4_bytes(self):
        """Before any SET_RESULT (a fresh instance; unittest runs methods in
        name order, so this one first) GET_RESULT copies -1: 4 bytes."""
        self.assertEqual(self.emu.mlcore_dmesg_raw(),
                         ["<6>[mlcore] Loaded with fixed-point logging."])
        fd = self.open_dev(os.O_RDONLY)
        r, buf = h.get_result_buf(fd)
        self.assertEqual(r, 0)
        self.assertEqual(buf, b"\xff\xff\xff\xff" + b"\xaa" * 4)

    def test_send_ints(self):
        fd = self.open_dev(os.O_WRONLY)
        mark = self.dmesg_mark()
        self.assertEqual(h.send_ints(fd, 123, 456, 789), 0)
        self.assertEqual(h.send_ints(fd, -5, -32, -150), 0)
        self.assertEqual(h.send_ints(fd, 0, 2**31 - 1, -2**31), 0)
        self.assertEqual(self.dmesg_since(mark), [
            "<6>[mlcore] Received features: 1.23 4.56 7.89",
            "<6>[mlcore] Received features: 0.05 0.32 -1.50",
            "<6>[mlcore] Received features: 0.00 21474836.47 -21474836.48",
        ])

    def test_set_then_get_result(self):
        fd = self.open_dev(os.O_RDWR)
        mark = self.dmesg_mark()
        log_before = self.read_all(self.emu.log_path) \
            if os.path.exists(self.emu.log_path) else b""
        for v in (42, -7, 0x12345678):
            with self.subTest(value=v):
                self.assertEqual(h.set_result(fd, v), 0)
                r, buf = h.get_result_buf(fd)
                self.assertEqual(r, 0)
                # Exactly 4 bytes change in the 8-byte buffer.
                self.assertEqual(buf, struct.pack("i", v) + b"\xaa" * 4)
                changed = sum(1 for a in buf if a != 0xAA)
                self.assertEqual(changed, 4)
        self.assertEqual(self.dmesg_since(mark), [
            "<6>[mlcore] Prediction set: 42",
            "<6>[mlcore] Prediction set: -7",
            f"<6>[mlcore] Prediction set: {0x12345678}",
        ])
        want = "".join(f"{h.STAMP_2026} - Prediction: {v}\n"
                       for v in (42, -7, 0x12345678)).encode()
        with self.subTest("state-dir mlcore.log"):
            self.assertEqual(self.read_all(self.emu.log_path), log_before + want)
        with self.subTest("ROOT/var/log/mlcore.log"):
            self.assertEqual(self.read_all(self.varlog), log_before + want)

    def test_get_result_ignores_a_larger_buffer(self):
        """A 16-byte buffer: still only its first 4 bytes are written."""
        fd = self.open_dev(os.O_RDWR)
        h.set_result(fd, 1234)
        buf = bytearray(b"\xaa" * 16)
        self.assertEqual(fcntl.ioctl(fd, h.GET_RESULT, buf, True), 0)
        self.assertEqual(bytes(buf), struct.pack("i", 1234) + b"\xaa" * 12)

    def test_log_file_line_format(self):
        """`2026-01-01 00:00:00 - Prediction: N` in both views of the log."""
        fd = self.open_dev(os.O_WRONLY)
        self.assertEqual(h.set_result(fd, 31337), 0)
        line = f"{h.STAMP_2026} - Prediction: 31337\n".encode()
        self.assertEqual(self.read_all(self.emu.log_path).splitlines(True)[-1],
                         line)
        self.assertEqual(self.read_all(self.varlog).splitlines(True)[-1], line)
        self.assertEqual(line, b"2026-01-01 00:00:00 - Prediction: 31337\n")

    def test_add_training_51_drops_the_51st(self):
        fd = self.open_dev(os.O_WRONLY)
        self.assertEqual(h.clear_training(fd), 0)
        mark = self.dmesg_mark()
        for i in range(50):
            self.assertEqual(h.add_training(fd, i * 100, -i, i * 7, i % 3), 0)
        # The 51st: dropped, still 0, a warning line.
        self.assertEqual(h.add_training(fd, 999, 999, 999, 9), 0)
        lines = self.dmesg_since(mark)
        want = [f"<6>[mlcore] Training data added: {h.fixed(i * 100)} "
                f"{h.fixed(-i)} {h.fixed(i * 7)} => {i % 3}" for i in range(50)]
        self.assertEqual(lines, want + [FULL])
        train = self.read_all(self.train).decode().splitlines()
        self.assertEqual(len(train), 50)
        self.assertEqual(train[49], f"[49]: 49.00 0.49 3.43 => 1")
        self.assertNotIn("9.99", self.read_all(self.train).decode())
        # A 52nd: another warning, still 0.
        self.assertEqual(h.add_training(fd, 1, 2, 3, 4), 0)
        self.assertEqual(self.dmesg_since(mark)[-2:], [FULL, FULL])

    def test_clear_training(self):
        fd = self.open_dev(os.O_RDONLY)
        h.add_training(fd, 100, 200, 300, 1)
        self.assertNotEqual(self.read_all(self.train), b"")
        mark = self.dmesg_mark()
        self.assertEqual(h.clear_training(fd), 0)
        self.assertEqual(fcntl.ioctl(fd, h.CLEAR_TRAINING, 0), 0)
        self.assertEqual(self.dmesg_since(mark),
                         ["<6>[mlcore] Training buffer cleared"] * 2)
        self.assertEqual(self.read_all(self.train), b"")
        h.add_training(fd, -100, 0, 1, -1)
        self.assertEqual(self.read_all(self.train), b"[0]: -1.00 0.00 0.01 => -1\n")

    def test_documentation_snippet_is_einval(self):
        """The driver doc's own example: 0x6800 is _IO(104, 0), not
        SEND_INTS; the driver answers EINVAL, and logs nothing."""
        mark = self.dmesg_mark()
        fd = open(self.dev, "wb")
        self.addCleanup(fd.close)
        with self.assertRaises(OSError) as cm:
            fcntl.ioctl(fd, 0x6800, struct.pack("3i", 123, 456, 789))
        self.assertEqual(h.errname(cm.exception.errno), "EINVAL")
        self.assertEqual(self.dmesg_since(mark), [])

    def test_unknown_commands_are_einval(self):
        fd = self.open_dev(os.O_RDWR)
        h.set_result(fd, 555)
        mark = self.dmesg_mark()
        IOC = lambda d, nr, size: (d << 30) | (size << 16) | (104 << 8) | nr
        cmds = {"_IOW(104,0,int)": 0x40046800, "0x6800": 0x6800}
        for nr in range(5, 10):
            cmds[f"_IO(104,{nr})"] = IOC(0, nr, 0)
            cmds[f"_IOR(104,{nr},int)"] = IOC(2, nr, 4)
            cmds[f"_IOW(104,{nr},int)"] = IOC(1, nr, 4)
        # The right nr with another size or direction.
        cmds["_IOR(104,1,int)"] = IOC(2, 1, 4)
        cmds["_IOR(104,2,int)"] = IOC(2, 2, 4)
        cmds["_IOW(104,2,int*)"] = IOC(1, 2, 8)
        cmds["_IOWR(104,2,int*)"] = IOC(3, 2, 8)
        cmds["_IOW(104,3,int[3])"] = IOC(1, 3, 12)
        cmds["_IOW(104,4,int)"] = IOC(1, 4, 4)
        # Random numbers (none the VFS itself answers).
        cmds["0x1234"] = 0x1234
        cmds["0xABCD"] = 0xABCD
        for name, cmd in cmds.items():
            with self.subTest(cmd=name, number=hex(cmd)):
                size = (cmd >> 16) & 0x3FFF
                buf = bytearray(b"\x11" * max(size, 4))
                self.assertErrno(errno.EINVAL, fcntl.ioctl, fd, cmd, buf, True)
                self.assertEqual(bytes(buf), b"\x11" * max(size, 4))
        self.assertEqual(self.dmesg_since(mark), [])
        self.assertEqual(h.get_result(fd), 555)

    def test_vfs_answered_ioctls(self):
        """ABI.md: FIONBIO sets/clears O_NONBLOCK, FIOCLEX/FIONCLEX set/clear
        FD_CLOEXEC, FIOASYNC(1) is ENOTTY with O_ASYNC clear, FIOASYNC(0) 0;
        none reaches the driver (no kernel log line)."""
        FIONBIO, FIONCLEX, FIOCLEX, FIOASYNC = 0x5421, 0x5450, 0x5451, 0x5452
        fd = os.open(self.dev, os.O_RDWR)   # no O_CLOEXEC: FIOCLEX sets it
        self.addCleanup(os.close, fd)
        mark = self.dmesg_mark()
        one, zero = struct.pack("i", 1), struct.pack("i", 0)
        self.assertEqual(h.ioctl_ret(fd, FIONBIO, one), 0)
        self.assertTrue(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
        self.assertEqual(h.ioctl_ret(fd, FIONBIO, zero), 0)
        self.assertFalse(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
        self.assertEqual(fcntl.ioctl(fd, FIOCLEX), 0)
        self.assertEqual(fcntl.fcntl(fd, fcntl.F_GETFD), fcntl.FD_CLOEXEC)
        self.assertEqual(fcntl.ioctl(fd, FIONCLEX), 0)
        self.assertEqual(fcntl.fcntl(fd, fcntl.F_GETFD), 0)
        self.assertErrno(errno.ENOTTY, h.ioctl_ret, fd, FIOASYNC, one)
        self.assertFalse(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ASYNC)
        self.assertEqual(h.ioctl_ret(fd, FIOASYNC, zero), 0)
        self.assertEqual(self.dmesg_since(mark), [])

    def test_dmesg_raw_order_of_a_mixed_sequence(self):
        fd = self.open_dev(os.O_RDWR)
        h.clear_training(fd)
        mark = self.dmesg_mark()
        h.send_ints(fd, 1, 2, 3)
        h.set_result(fd, 9)
        h.get_result(fd)
        h.add_training(fd, 10, -10, 1000, 5)
        self.assertErrno(errno.EINVAL, fcntl.ioctl, fd, 0x6800)
        h.clear_training(fd)
        h.set_result(fd, -9)
        self.assertEqual(self.dmesg_since(mark), [
            "<6>[mlcore] Received features: 0.01 0.02 0.03",
            "<6>[mlcore] Prediction set: 9",
            "<6>[mlcore] Training data added: 0.10 0.10 10.00 => 5",
            "<6>[mlcore] Training buffer cleared",
            "<6>[mlcore] Prediction set: -9",
        ])


if __name__ == "__main__":
    h.main()

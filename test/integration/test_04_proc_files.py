#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 4 (ABI.md: "Both proc files (seq_file with single_open, kernel
6.1)"): read sizes, when the text is regenerated, lseek, writes, dd, stat."""
import errno
import os
import subprocess

import harness as h

HEADER0 = b"Current Prediction: -1\nPrediction History (latest 0):\n"


def result_text(latest, history):
    out = f"Current Prediction: {latest}\nPrediction History (latest {len(history)}):\n"
    for i, v in enumerate(history):
        out += f" [{i}]: {v} at {h.STAMP_2026}\n"
    return out.encode()


class ProcFileTest(h.EmuTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.history = []

    def setUp(self):
        self.ctl = self.open_dev(os.O_WRONLY)

    def set_result(self, v):
        self.assertEqual(h.set_result(self.ctl, v), 0)
        self.history = (self.history + [v])[-10:]
        type(self).history = self.history
        return result_text(v, self.history)

    def open_proc(self, path=None, flags=os.O_RDONLY):
        fd = os.open(path or self.result, flags | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        return fd

    def test_a0_initial_text(self):
        self.assertEqual(self.read_all(self.result), HEADER0)

    def test_reads_of_7_bytes(self):
        want = self.set_result(1234567)
        for name, path, text in (("mlcore_result", self.result, want),
                                 ("mlcore_train", self.train, None)):
            with self.subTest(file=name):
                if text is None:
                    h.clear_training(self.ctl)
                    for i in range(4):
                        h.add_training(self.ctl, 101 * i, -3 * i, 7, i)
                    text = b"".join(
                        f"[{i}]: {h.fixed(101 * i)} {h.fixed(-3 * i)} 0.07 => {i}\n"
                        .encode() for i in range(4))
                fd = self.open_proc(path)
                chunks = []
                while True:
                    c = os.read(fd, 7)
                    chunks.append(c)
                    if not c:
                        break
                self.assertEqual(b"".join(chunks), text)
                full, rest = divmod(len(text), 7)
                want_lens = [7] * full + ([rest] if rest else []) + [0]
                self.assertEqual([len(c) for c in chunks], want_lens)
                # Once at the end, it stays at the end.
                self.assertEqual(os.read(fd, 7), b"")

    def test_continuing_reader_sees_old_text_new_read_at_0_sees_new(self):
        old = self.set_result(100)
        fd = self.open_proc()
        first = os.read(fd, 7)
        self.assertEqual(first, old[:7])
        new = self.set_result(200)
        self.assertNotEqual(old, new)
        # Continuing where it stopped: served from the text made earlier.
        self.assertEqual(first + os.read(fd, 4096), old)
        self.assertEqual(os.read(fd, 4096), b"")
        # A read at offset 0 regenerates.
        self.assertEqual(os.pread(fd, 4096, 0), new)
        newer = self.set_result(300)
        self.assertEqual(os.lseek(fd, 0, os.SEEK_SET), 0)
        self.assertEqual(os.read(fd, 4096), newer)

    def test_lseek_to_a_new_offset_regenerates_same_offset_does_not(self):
        old = self.set_result(-1000)
        fd = self.open_proc()
        self.assertEqual(os.read(fd, 10), old[:10])
        new = self.set_result(-2000)
        # seq_lseek to the offset it is at: no traverse, the old buffer stays.
        self.assertEqual(os.lseek(fd, 10, os.SEEK_SET), 10)
        self.assertEqual(os.lseek(fd, 0, os.SEEK_CUR), 10)
        self.assertEqual(os.read(fd, 5), old[10:15])
        # To a new non-zero offset: traverse() renders the text again.
        self.assertEqual(os.lseek(fd, 3, os.SEEK_SET), 3)
        self.assertEqual(os.read(fd, 4096), new[3:])

    def test_pinned_door_difference_seek_away_and_back_keeps_old_text(self):
        """PINNED DOOR DIFFERENCE (ABI.md "Where a door cannot be exact":
        SEEK_SET/SEEK_CUR never reach a FUSE server, so render-at-seek is
        emulated from the offsets of later reads).  The kernel re-renders at
        lseek(3) and again at lseek(10) and then reads the new text; the door
        only sees a read at the offset where the last one stopped, treats it
        as a continuation and serves the old text."""
        old = self.set_result(11)
        fd = self.open_proc()
        self.assertEqual(os.read(fd, 10), old[:10])
        new = self.set_result(22)
        os.lseek(fd, 3, os.SEEK_SET)
        os.lseek(fd, 10, os.SEEK_SET)
        got = os.read(fd, 4096)
        self.assertNotEqual(got, new[10:])  # what the kernel would return
        self.assertEqual(got, old[10:])

    def test_lseek_set_and_cur(self):
        text = self.set_result(77)
        fd = self.open_proc()
        self.assertEqual(os.lseek(fd, 5, os.SEEK_SET), 5)
        self.assertEqual(os.read(fd, 6), text[5:11])
        self.assertEqual(os.lseek(fd, 0, os.SEEK_CUR), 11)
        self.assertEqual(os.lseek(fd, 4, os.SEEK_CUR), 15)
        self.assertEqual(os.read(fd, 5), text[15:20])
        self.assertEqual(os.lseek(fd, -10, os.SEEK_CUR), 10)
        self.assertEqual(os.read(fd, 4096), text[10:])
        self.assertEqual(os.lseek(fd, 0, os.SEEK_SET), 0)
        self.assertEqual(os.read(fd, 4096), text)

    def test_lseek_past_the_end_then_read_is_empty(self):
        text = self.set_result(5)
        fd = self.open_proc()
        self.assertEqual(os.lseek(fd, len(text) + 100, os.SEEK_SET), len(text) + 100)
        self.assertEqual(os.read(fd, 100), b"")
        self.assertEqual(os.lseek(fd, 1 << 40, os.SEEK_SET), 1 << 40)
        self.assertEqual(os.read(fd, 100), b"")
        self.assertEqual(os.lseek(fd, len(text), os.SEEK_SET), len(text))
        self.assertEqual(os.read(fd, 100), b"")

    def test_lseek_negative_is_einval(self):
        fd = self.open_proc()
        os.read(fd, 4)
        self.assertErrno(errno.EINVAL, os.lseek, fd, -1, os.SEEK_SET)
        self.assertErrno(errno.EINVAL, os.lseek, fd, -5, os.SEEK_CUR)
        # The position is unchanged by the failed calls.
        self.assertEqual(os.lseek(fd, 0, os.SEEK_CUR), 4)

    def test_lseek_end_data_hole_are_einval(self):
        for name, path in (("mlcore_result", self.result),
                           ("mlcore_train", self.train)):
            fd = self.open_proc(path)
            for wname, whence in (("SEEK_END", os.SEEK_END),
                                  ("SEEK_DATA", os.SEEK_DATA),
                                  ("SEEK_HOLE", os.SEEK_HOLE)):
                for off in (0, 1, -1):
                    with self.subTest(file=name, whence=wname, offset=off):
                        self.assertErrno(errno.EINVAL, os.lseek, fd, off, whence)

    def test_open_for_writing_as_root_then_write_is_eio(self):
        for path in (self.result, self.train):
            for mode in (os.O_WRONLY, os.O_RDWR):
                with self.subTest(file=os.path.basename(path), mode=mode):
                    fd = self.open_proc(path, mode)
                    self.assertErrno(errno.EIO, os.write, fd, b"x")
                    self.assertErrno(errno.EIO, os.write, fd, b"42\n")

    def test_read_on_o_wronly_is_ebadf(self):
        fd = self.open_proc(self.result, os.O_WRONLY)
        self.assertErrno(errno.EBADF, os.read, fd, 10)

    def test_pinned_door_difference_zero_byte_write_returns_0(self):
        """PINNED DOOR DIFFERENCE (ABI.md "Where a door cannot be exact"):
        the kernel's proc file answers write(fd, "", 0) with EIO; on a FUSE
        file the kernel returns 0 without asking the server."""
        fd = self.open_proc(self.result, os.O_WRONLY)
        self.assertEqual(os.write(fd, b""), 0)

    def test_write_on_o_rdonly_is_ebadf(self):
        fd = self.open_proc(self.result, os.O_RDONLY)
        self.assertErrno(errno.EBADF, os.write, fd, b"x")
        self.assertErrno(errno.EBADF, os.write, fd, b"")

    def test_dd_bs_3_gives_the_full_text(self):
        text = self.set_result(987654)
        p = subprocess.run(["dd", f"if={self.result}", "bs=3"],
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, text)
        # dd's own count: ceil(len/3) records, the last partial if any.
        full, part = divmod(len(text), 3)
        self.assertIn(f"{full}+{1 if part else 0} records in".encode(), p.stderr)

    def test_stat(self):
        for path in (self.result, self.train):
            with self.subTest(file=os.path.basename(path)):
                st = os.stat(path)
                self.assertEqual(st.st_size, 0)
                self.assertEqual(st.st_mode, 0o100444)
                # fstat of an open file agrees.
                st = os.fstat(self.open_proc(path))
                self.assertEqual((st.st_size, st.st_mode), (0, 0o100444))


if __name__ == "__main__":
    h.main()

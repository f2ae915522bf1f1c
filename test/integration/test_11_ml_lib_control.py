#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 11 (ABI.md, Profile 2: "sysfs control of a model" and the test
driver's dataset): ml_model1's `control` written by a shell (`echo`,
`printf`) and by python's os.write, with exact return values and errno; the
effect of every write read back from the kernel log and from data_size.

How an effect is told apart (start and stop log an error line, prepare and
discard log nothing):
  - prepare: with the dataset OBSOLETE and the data size zeroed by IOCRESET,
    only an extraction makes data_size 1024 again;
  - discard: with the dataset CLEAN and the data size zeroed by IOCRESET, a
    following prepare_dataset extracts (data_size 1024) only if the write
    discarded the dataset (the ABI.md quirk: prepare keeps a CLEAN dataset).
"""
import errno
import fcntl
import os
import shlex
import struct
import subprocess

import harness as h

START = "<3>ml_lib: TODO: implement start ML model"
STOP = "<3>ml_lib: TODO: implement stop ML model"
EOPNOTSUPP = h.errname(errno.EOPNOTSUPP)  # "ENOTSUP": the same number

# kind -> (model lines, extracted by it, discarded by it)
EFFECTS = {
    "start": ([START], False, False),
    "stop": ([STOP], False, False),
    "prepare": ([], True, False),
    "discard": ([], False, True),
    None: ([], False, False),
}

# ABI.md "Observed", one write(2) each: bytes -> (return value or errno, kind)
WRITES = [
    (b"start\n", 6, "start"),
    (b"stop\n", 5, "stop"),
    (b"prepare_dataset\n", 16, "prepare"),
    (b"discard_dataset\n", 16, "discard"),
    (b"start", 5, "start"),
    (b"s", 1, "start"),
    (b"st", 2, "start"),
    (b"sto", 3, "stop"),
    (b"p", 1, "prepare"),
    (b"prep", 4, "prepare"),
    (b"d", 1, "discard"),
    (b"disc", 4, "discard"),
    (b"startstop\n", 10, "start"),
    (b"start\0junk", 10, "start"),
    (b"discard_dataset\nstart\n", 22, "discard"),
    (b"START\n", EOPNOTSUPP, None),
    (b" start\n", EOPNOTSUPP, None),
    (b"\n", EOPNOTSUPP, None),
    (b"xyz\n", EOPNOTSUPP, None),
    (b"dp\n", EOPNOTSUPP, None),
    # The matching rule compares min(len, strlen(cmd)) bytes: with its
    # newline a one- or two-letter prefix no longer matches (`echo p >`).
    (b"p\n", EOPNOTSUPP, None),
    (b"s\n", EOPNOTSUPP, None),
    (b"st\n", EOPNOTSUPP, None),
    (b"", 0, None),                       # empty: the parser is not called
]

# The same through /bin/sh: shell text -> kind.  printf writes its whole
# output with one write(2), as the parser's results show.
SHELL_WRITES = [
    ("echo start", "start"),
    ("echo stop", "stop"),
    ("echo prepare_dataset", "prepare"),
    ("echo discard_dataset", "discard"),
    ("echo -n s", "start"),
    ("echo -n st", "start"),
    ("echo -n sto", "stop"),
    ("echo -n p", "prepare"),
    ("printf prep", "prepare"),
    ("printf d", "discard"),
    ("printf disc", "discard"),
    (r"printf 'startstop\n'", "start"),
    (r"printf 'start\0junk'", "start"),
    (r"printf 'discard_dataset\nstart\n'", "discard"),
]


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True,
                          timeout=h.CMD_TIMEOUT, stdin=subprocess.DEVNULL)


def sh_result(cmd):
    p = sh(cmd)
    return p.returncode, p.stderr


class ControlTest(h.MlLibTestCase):

    def write_result(self, data):
        try:
            return self.control_write(data)
        except OSError as e:
            return h.errname(e.errno)

    def effect(self, do_write):
        """Runs do_write() twice (see the module docstring); returns
        (its first result, the model lines it logged, extracted, discarded)
        and checks that both runs gave the same result."""
        # Phase A: dataset OBSOLETE, data size 0.
        self.command(b"prepare_dataset")
        self.command(b"discard_dataset")
        self.ioctl_reset()
        self.assertEqual(self.data_size(), 0)
        mark = self.ml_mark()
        result = do_write()
        lines = self.ml_since(mark)
        extracted = self.data_size() == 1024
        # Phase B: dataset CLEAN, data size 0.
        self.command(b"prepare_dataset")
        self.ioctl_reset()
        self.assertEqual(self.data_size(), 0)
        self.assertEqual(do_write(), result, "the second run differs")
        self.command(b"prepare_dataset")
        discarded = self.data_size() == 1024
        return result, lines, extracted, discarded

    def test_python_write_table(self):
        """One os.write per row: its exact return value or errno, and what
        the model did (ABI.md "Observed")."""
        for data, want, kind in WRITES:
            with self.subTest(data=data):
                got = self.effect(lambda: self.write_result(data))
                self.assertEqual(got, (want, *EFFECTS[kind]))

    def test_shell_writes(self):
        """`echo` / `echo -n` / printf redirected by /bin/sh (it opens with
        O_CREAT|O_TRUNC): exit 0, nothing on stderr, the command's effect."""
        for text, kind in SHELL_WRITES:
            cmd = f"{text} > {shlex.quote(self.control)}"
            with self.subTest(cmd=text):
                got = self.effect(lambda: sh_result(cmd))
                self.assertEqual(got, ((0, b""), *EFFECTS[kind]))

    def test_echo_start_succeeds(self):
        mark = self.ml_mark()
        p = sh(f"echo start > {shlex.quote(self.control)}")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        self.assertEqual(self.ml_since(mark), [START])

    def test_echo_p_is_eopnotsupp(self):
        """`echo p >` writes "p\\n": by the matching rule (min(2, 15) bytes
        against "prepare_dataset") no command matches, EOPNOTSUPP.  Pinned
        with bash, which names the errno (dash only says "I/O error")."""
        mark = self.ml_mark()
        p = subprocess.run(["bash", "-c", f"echo p > {shlex.quote(self.control)}"],
                           capture_output=True, timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, b"bash: line 1: echo: write error: "
                                   b"Operation not supported\n")
        p = sh(f"echo p > {shlex.quote(self.control)}")
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.endswith(b": echo: echo: I/O error\n"), p.stderr)
        self.assertEqual(self.ml_since(mark), [])

    def test_empty_write_returns_0_without_parsing(self):
        """count 0 would match "start" in the parser; kernfs never calls it."""
        mark = self.ml_mark()
        self.assertEqual(self.control_write(b""), 0)
        self.assertEqual(self.ml_since(mark), [])

    def test_write_longer_than_a_page_returns_4096(self):
        for data, lines in ((b"start" + b"\n" * 4995, [START]),
                            (b"stop" + b"x" * 4996, [STOP]),
                            (b"s" * 5000, None)):
            with self.subTest(head=data[:5], length=len(data)):
                mark = self.ml_mark()
                if lines is None:
                    # "sssss" is not a prefix of start: refused, not cut.
                    self.assertErrno(errno.EOPNOTSUPP, self.control_write, data)
                    lines = []
                else:
                    self.assertEqual(self.control_write(data), 4096)
                self.assertEqual(self.ml_since(mark), lines)

    def test_every_write_on_one_open_file_is_parsed_alone(self):
        """sysfs ignores the file position: each write(2) on one open file
        is parsed from its own first byte, at any offset; a write far over
        a page (more than one FUSE request) still returns 4096."""
        fd = os.open(self.control, os.O_WRONLY | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        mark = self.ml_mark()
        self.assertEqual(os.write(fd, b"start"), 5)
        self.assertEqual(os.write(fd, b"stop"), 4)
        self.assertEqual(os.lseek(fd, 0, os.SEEK_CUR), 9)
        self.assertEqual(os.pwrite(fd, b"st", 100000), 2)
        self.assertEqual(os.write(fd, b"stop" + b"\n" * 300000), 4096)
        self.assertErrno(errno.EOPNOTSUPP, os.write, fd, b"x")
        self.assertEqual(self.ml_since(mark), [START, STOP, START, STOP])

    def test_every_successful_write_returns_its_length(self):
        """A write of n bytes at once: n (not the command's length)."""
        for n in (1, 5, 6, 100, 4095, 4096):
            data = (b"start" + b"\n" * n)[:n]
            with self.subTest(n=n):
                self.assertEqual(self.control_write(data), n)

    def test_open_for_reading_is_eacces_even_for_root(self):
        self.assertEqual(os.geteuid(), 0, "these checks need root")
        for name, flags in (("O_RDONLY", os.O_RDONLY), ("O_RDWR", os.O_RDWR)):
            with self.subTest(mode=name):
                self.assertErrno(errno.EACCES, os.open, self.control, flags)

    def test_cat_control_fails(self):
        p = self.cat(self.control)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(p.stderr,
                         f"cat: {self.control}: Permission denied\n".encode())

    def test_stat_control(self):
        st = os.stat(self.control)
        self.assertEqual((st.st_mode, st.st_size), (0o100220, 4096))
        st = os.stat(os.path.dirname(self.control))
        self.assertEqual(st.st_mode, 0o40755)
        self.assertEqual(sorted(os.listdir(os.path.dirname(self.control))),
                         ["control"])

    def test_read_only_attribute_open_for_writing_is_eacces_even_for_root(self):
        self.assertEqual(os.geteuid(), 0, "these checks need root")
        for name in ("buffer_size", "data_size", "access_count", "stats", "dev"):
            for mname, flags in (("O_WRONLY", os.O_WRONLY), ("O_RDWR", os.O_RDWR)):
                with self.subTest(attr=name, mode=mname):
                    self.assertErrno(errno.EACCES, os.open, self.attr(name),
                                     flags)
        p = sh(f"echo 5 > {shlex.quote(self.attr('data_size'))}")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"Permission denied", p.stderr)


class DatasetTest(h.MlLibTestCase):
    """ABI.md "Extract (on prepare_dataset)" and the IOCRESET quirk, on a
    fresh seeded instance; the tests run in name order."""
    SEED = 20260101
    SERVE_EXTRA = ("--seed", str(SEED))

    def od_of_dev(self, mldev=None):
        """`cat ROOT/dev/mllibdev | od -A d -t x1` through the shell."""
        p = sh(f"cat {shlex.quote(mldev or self.mldev)} | od -A d -t x1")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        return p.stdout.decode()

    @staticmethod
    def od_of_fill(value, size=1024):
        """What od prints for size bytes of one value (repeated lines: *)."""
        if size == 0:
            return "0000000\n"
        row = " ".join([f"{value:02x}"] * 16)
        return f"0000000 {row}\n*\n{size:07d}\n"

    def filled_value(self, od_text):
        """The byte value of a 1024-byte fill, checking od's whole text."""
        value = int(od_text.split()[1], 16)
        self.assertEqual(od_text, self.od_of_fill(value))
        return value

    def test_a_empty_at_load(self):
        self.assertEqual(self.data_size(), 0)
        self.assertEqual(self.od_of_dev(), "0000000\n")

    def test_b_prepare_fills_1024_identical_bytes(self):
        mark = self.ml_mark()
        self.command(b"prepare_dataset")
        self.assertEqual(self.ml_since(mark), [], "extraction logs nothing")
        self.assertEqual(self.data_size(), 1024)
        value = self.filled_value(self.od_of_dev())
        self.assertEqual(self.read_all(self.mldev), bytes([value]) * 1024)
        with self.subTest("prepare again: the CLEAN dataset is kept"):
            self.command(b"prepare_dataset")
            self.assertEqual(self.read_all(self.mldev), bytes([value]) * 1024)

    def test_c_discard_then_prepare_reextracts(self):
        self.command(b"prepare_dataset")
        self.assertEqual(self.data_size(), 1024)
        with self.subTest("discard alone keeps the bytes and the size"):
            before = self.read_all(self.mldev)
            self.command(b"discard_dataset")
            self.assertEqual(self.data_size(), 1024)
            self.assertEqual(self.read_all(self.mldev), before)
        with self.subTest("the next prepare extracts (seen after IOCRESET)"):
            self.ioctl_reset()
            self.assertEqual(self.data_size(), 0)
            self.command(b"prepare_dataset")
            self.assertEqual(self.data_size(), 1024)
            self.filled_value(self.od_of_dev())

    def test_d_ioc_reset_quirk(self):
        """ABI.md: after IOCRESET the data size stays 0 across
        prepare_dataset until a discard_dataset has been done."""
        self.command(b"prepare_dataset")
        self.assertEqual(self.data_size(), 1024)
        fd = self.open_mldev(os.O_RDONLY)
        mark = self.ml_mark(open_fds=1)
        self.assertEqual(fcntl.ioctl(fd, h.MLLIB_IOCRESET), 0)
        self.assertEqual(self.ml_since(mark),
                         ["<6>ml_lib_test_dev: Buffer reset via IOCTL"])
        buf = bytearray(b"\xaa" * 4)
        self.assertEqual(fcntl.ioctl(fd, h.MLLIB_IOCGETSIZE, buf, True), 0)
        self.assertEqual(struct.unpack("i", buf)[0], 0)
        self.assertEqual(self.data_size(), 0)
        self.assertIn(b"Data size:       0 bytes\n", self.read_all(self.mlproc))
        self.assertEqual(os.pread(fd, 1024, 0), b"")
        for _ in range(2):
            self.command(b"prepare_dataset")
            self.assertEqual(self.data_size(), 0)
            self.assertEqual(self.od_of_dev(), "0000000\n")
        self.command(b"start")
        self.command(b"stop")
        self.command(b"prepare_dataset")
        self.assertEqual(self.data_size(), 0, "start/stop do not discard")
        self.command(b"discard_dataset")
        self.assertEqual(self.data_size(), 0, "discard alone does not extract")
        self.command(b"prepare_dataset")
        self.assertEqual(self.data_size(), 1024)
        self.filled_value(self.od_of_dev())

    def test_e_seed_is_deterministic_across_fresh_instances(self):
        """Two fresh instances served with the same --seed extract the same
        values, in the same order (prepare, discard + prepare, ...)."""
        runs = []
        for tag in ("a", "b"):
            emu = h.Emu(f"{self.emu.name}-{tag}",
                        os.path.join(self.base, f"state-{tag}"))
            self.addCleanup(self._cleanup_emu, emu)
            root = os.path.join(self.base, f"root-{tag}")
            emu.serve(root, "--seed", str(self.SEED),
                      clock=f"fixed:{h.EPOCH_2026}")
            control = os.path.join(root, "sys", "class", "ml_lib_test",
                                   "mllibdev", "ml_model1", "control")
            mldev = os.path.join(root, "dev", "mllibdev")
            texts = []
            for i in range(3):
                if i:
                    self.assertEqual(self._write(control, b"discard_dataset"), 15)
                self.assertEqual(self._write(control, b"prepare_dataset"), 15)
                texts.append(self.od_of_dev(mldev))
            runs.append(texts)
        self.assertEqual(runs[0], runs[1])
        for text in runs[0]:
            self.filled_value(text)

    @staticmethod
    def _write(path, data):
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
        try:
            return os.write(fd, data)
        finally:
            os.close(fd)

    def _cleanup_emu(self, emu):
        problems = emu.cleanup()
        self.assertEqual(problems, [])


if __name__ == "__main__":
    h.main()

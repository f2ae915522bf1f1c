# SPDX-License-Identifier: GPL-2.0
"""Shared helpers for the integration tests: run `mlcore-emu` against a real
FUSE mount and talk to it with real clients (python's os/fcntl, cat, dd, a C
program).

Every test class gets a fresh instance name, its own state directory
(MLCORE_EMU_STATE_DIR) and its own mount root.  Whatever happens, the class
cleanup stops every mount it made, kills the servers it started (by pid,
from the registry), detaches a mount left behind, and removes the instance's
shared-memory segment (/dev/shm/mlcore-emu.<uid>.<name>) and its directories.

Standard library only.
"""
import errno
import fcntl
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import time
import unittest

EMU = os.environ.get("MLCORE_EMU", "")

# The driver's ioctl numbers (ABI.md, Profile 1).
SEND_INTS = 0x400C6800       # _IOW(104, 0, int[3])
SET_RESULT = 0x40046801      # _IOW(104, 1, int)
GET_RESULT = 0x80086802      # _IOR(104, 2, int *): size 8, copies 4
ADD_TRAINING = 0x40106803    # _IOW(104, 3, struct train_entry)
CLEAR_TRAINING = 0x00006804  # _IO(104, 4)

# The ml_lib test driver's ioctl numbers (ABI.md, Profile 2, type 'M').
MLLIB_IOCRESET = 0x00004D00    # _IO('M', 0)
MLLIB_IOCGETSIZE = 0x80044D01  # _IOR('M', 1, int)
MLLIB_IOCSETSIZE = 0x40044D02  # _IOW('M', 2, int)

# The frozen clock of the tests whose output is compared: 2026-01-01 00:00:00.
EPOCH_2026 = 1767225600
STAMP_2026 = "2026-01-01 00:00:00"

# Give a command this long before calling it hung.
CMD_TIMEOUT = 60


def errname(e):
    return errno.errorcode.get(e, str(e))


def mounted_at(root):
    """Whether any mount (live or stale) sits at root, from mountinfo."""
    want = os.path.abspath(root)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4]
            # mountinfo escapes space, tab, newline, backslash as \ooo.
            point = (point.replace("\\040", " ").replace("\\011", "\t")
                     .replace("\\012", "\n").replace("\\134", "\\"))
            if point == want:
                return True
    return False


def is_mlcore_line(line):
    """`<L>[mlcore] ...` (dmesg --raw) or `[    T.UUUUUU] [mlcore] ...`."""
    return line.split(">", 1)[-1].startswith("[mlcore] ") or \
        "] [mlcore] " in line


def is_ml_lib_line(line):
    """`<L>ml_lib_test_dev: ...`, `<L>ml_lib: ...` (dmesg --raw) or the
    same after `[    T.UUUUUU] `."""
    return line.split(">", 1)[-1].startswith(("ml_lib_test_dev: ", "ml_lib: ")) \
        or "] ml_lib_test_dev: " in line or "] ml_lib: " in line


def pid_alive(pid):
    """Alive and not a zombie (a killed server waits for init to reap it)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Emu:
    """One instance name + one state dir: runs the mlcore-emu command."""

    def __init__(self, name, state_dir):
        self.name = name
        self.state_dir = state_dir
        self.env = dict(os.environ, MLCORE_EMU_STATE_DIR=state_dir)
        self.roots = []         # every root we served, for the cleanup

    # --- the command -------------------------------------------------------
    def run(self, *args, check=False, env=None):
        """Runs mlcore-emu ARGS; returns the CompletedProcess (text)."""
        p = subprocess.run([EMU, *args], capture_output=True, text=True,
                           env=env or self.env, timeout=CMD_TIMEOUT,
                           stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise AssertionError(
                f"mlcore-emu {' '.join(args)} exited {p.returncode}: "
                f"stdout={p.stdout!r} stderr={p.stderr!r}")
        return p

    def serve(self, root, *extra, clock=None, check=True):
        args = ["serve", "--root", root, "--instance", self.name]
        if clock is not None:
            args += ["--clock", clock]
        args += list(extra)
        if root not in self.roots:
            self.roots.append(root)
        return self.run(*args, check=check)

    def stop(self, root, check=True):
        return self.run("stop", "--root", root, check=check)

    def dmesg_raw(self):
        """`dmesg --raw` as a list of lines."""
        out = self.run("dmesg", "--instance", self.name, "--raw",
                       check=True).stdout
        return out.splitlines()

    def mlcore_dmesg_raw(self):
        """The mlcore driver's lines of `dmesg --raw` (`<L>[mlcore] ...`).

        One instance serves both profiles (ABI.md); the ml_lib test driver's
        lines are its own tests' business, so mlcore's are compared alone."""
        return [l for l in self.dmesg_raw() if is_mlcore_line(l)]

    def ml_lib_dmesg_raw(self):
        """The ml_lib library's and test driver's lines of `dmesg --raw`."""
        return [l for l in self.dmesg_raw() if is_ml_lib_line(l)]

    def ml_lib_dmesg(self):
        """`dmesg` (with timestamps), ml_lib's lines only, as one text."""
        return "".join(l + "\n" for l in self.dmesg().splitlines()
                       if is_ml_lib_line(l))

    def dmesg(self):
        return self.run("dmesg", "--instance", self.name, check=True).stdout

    def mlcore_dmesg(self):
        """`dmesg` (with timestamps), mlcore's lines only, as one text."""
        return "".join(l + "\n" for l in self.dmesg().splitlines()
                       if is_mlcore_line(l))

    def reset(self, *extra):
        return self.run("reset", "--instance", self.name, *extra, check=True)

    # --- where things are --------------------------------------------------
    @property
    def inst_dir(self):
        return os.path.join(self.state_dir, self.name)

    @property
    def log_path(self):
        return os.path.join(self.inst_dir, "mlcore.log")

    @property
    def segment(self):
        return f"/dev/shm/mlcore-emu.{os.getuid()}.{self.name}"

    def server_pids(self):
        d = os.path.join(self.inst_dir, "servers")
        try:
            return sorted(int(n) for n in os.listdir(d) if n.isdigit())
        except FileNotFoundError:
            return []

    def server_pid_for(self, root):
        root = os.path.abspath(root)
        for pid in self.server_pids():
            try:
                with open(os.path.join(self.inst_dir, "servers", str(pid))) as f:
                    if f.read().strip() == root and pid_alive(pid):
                        return pid
            except FileNotFoundError:
                pass
        return None

    def wait_server_pid(self, root, timeout=5.0):
        """The registered live server of root, waiting for it to register
        (serve returns before its server writes the registry: a known race,
        pinned by test_09); None if none shows up in time."""
        deadline = time.monotonic() + timeout
        while True:
            pid = self.server_pid_for(root)
            if pid is not None or time.monotonic() > deadline:
                return pid
            time.sleep(0.02)

    # --- cleanup: never raises ----------------------------------------------
    def cleanup(self):
        problems = []
        for root in self.roots:
            try:
                if mounted_at(root):
                    self.run("stop", "--root", root)
            except Exception as e:  # noqa: BLE001 - keep cleaning
                problems.append(f"stop {root}: {e}")
        # Servers we started that are still running: end them by pid.
        for pid in self.server_pids():
            if not pid_alive(pid):
                continue
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"mlcore-emu" not in f.read():
                        continue
                os.kill(pid, signal.SIGKILL)
            except (FileNotFoundError, ProcessLookupError):
                pass
        for root in self.roots:
            for _ in range(50):
                if not mounted_at(root):
                    break
                subprocess.run(["umount", "-l", root], capture_output=True)
                time.sleep(0.05)
            if mounted_at(root):
                problems.append(f"{root} is still mounted")
        try:
            os.unlink(self.segment)
        except FileNotFoundError:
            pass
        except OSError as e:
            problems.append(f"unlink {self.segment}: {e}")
        shutil.rmtree(self.state_dir, ignore_errors=True)
        return problems


OWNER_FILE = ".owner-pid"


def make_tmp_base(prefix):
    """A fresh directory under /tmp, mode 0755 (uid 65534 may traverse it).

    It names the test process that owns it (OWNER_FILE): when CTest kills
    that process on a timeout, sweep_leftovers.py stops what it served."""
    base = tempfile.mkdtemp(prefix=f"mlc-it-{prefix}-", dir="/tmp")
    os.chmod(base, 0o755)
    with open(os.path.join(base, OWNER_FILE), "w") as f:
        f.write(f"{os.getpid()}\n")
    return base


class EmuTestCase(unittest.TestCase):
    """A class with one fresh instance, state dir and root.

    SERVE: mount the root in setUpClass; CLOCK: its --clock (None: real).
    self.root, self.dev, self.result, self.train, self.emu are ready to use.
    """
    SERVE = True
    CLOCK = f"fixed:{EPOCH_2026}"
    SERVE_EXTRA = ()

    @classmethod
    def setUpClass(cls):
        if not EMU or not os.access(EMU, os.X_OK):
            raise unittest.SkipTest("MLCORE_EMU is not set to the mlcore-emu binary")
        cls.base = make_tmp_base(cls.__name__.lower())
        name = f"it-{cls.__name__.lower()}-{os.getpid()}"
        cls.emu = Emu(name, os.path.join(cls.base, "state"))
        # Registered first, so it runs even when setUpClass fails below.
        cls.addClassCleanup(cls._cleanup_class)
        cls.root = os.path.join(cls.base, "root")
        cls.dev = os.path.join(cls.root, "dev", "mlcore")
        cls.result = os.path.join(cls.root, "proc", "mlcore_result")
        cls.train = os.path.join(cls.root, "proc", "mlcore_train")
        cls.varlog = os.path.join(cls.root, "var", "log", "mlcore.log")
        if cls.SERVE:
            cls.emu.serve(cls.root, *cls.SERVE_EXTRA, clock=cls.CLOCK)

    @classmethod
    def _cleanup_class(cls):
        problems = cls.emu.cleanup()
        if not any(mounted_at(r) for r in cls.emu.roots):
            shutil.rmtree(cls.base, ignore_errors=True)
        if problems:
            raise AssertionError("cleanup: " + "; ".join(problems))

    # --- helpers -------------------------------------------------------------
    def assertErrno(self, err, fn, *args, **kwargs):
        """fn(*args) must raise OSError with exactly this errno."""
        try:
            r = fn(*args, **kwargs)
        except OSError as e:
            self.assertEqual(errname(e.errno), errname(err),
                             f"{fn.__name__}{args!r}: wrong errno ({e})")
            return e
        self.fail(f"{getattr(fn, '__name__', fn)}{args!r} returned {r!r}, "
                  f"expected {errname(err)}")

    def open_dev(self, flags=os.O_RDWR):
        fd = os.open(self.dev, flags | os.O_CLOEXEC)
        self.addCleanup(os.close, fd)
        return fd

    def dmesg_mark(self):
        return len(self.emu.mlcore_dmesg_raw())

    def dmesg_since(self, mark):
        """mlcore's `dmesg --raw` lines logged since dmesg_mark()."""
        return self.emu.mlcore_dmesg_raw()[mark:]

    def read_all(self, path):
        with open(path, "rb") as f:
            return f.read()

    def cat(self, path, **kw):
        return subprocess.run(["cat", path], capture_output=True,
                              timeout=CMD_TIMEOUT, **kw)


class MlLibTestCase(EmuTestCase):
    """EmuTestCase with the ml_lib test driver's paths (ABI.md, Profile 2):
    self.mldev, self.sysdir (the class device), self.control, self.mlproc.

    The FUSE kernel sends a file's RELEASE in the background, so a `Device
    closed` line can reach the log after close() has returned: ml_mark()
    waits for every open but open_fds to be closed before taking its mark,
    and ml_since() waits for the number of lines a test expects."""
    SETTLE_TIMEOUT = 5.0

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mldev = os.path.join(cls.root, "dev", "mllibdev")
        cls.sysdir = os.path.join(cls.root, "sys", "class", "ml_lib_test",
                                  "mllibdev")
        cls.control = os.path.join(cls.sysdir, "ml_model1", "control")
        cls.mlproc = os.path.join(cls.root, "proc", "mllibdev")

    def attr(self, name):
        return os.path.join(self.sysdir, name)

    def read_attr(self, name):
        return self.read_all(self.attr(name))

    def data_size(self):
        """data_size as an int (the attribute is `N\\n`)."""
        text = self.read_attr("data_size")
        self.assertTrue(text.endswith(b"\n"), text)
        return int(text)

    def stats(self):
        """The stats attribute as (opens, reads, writes)."""
        text = self.read_attr("stats").decode()
        lines = text.split("\n")
        self.assertEqual([l.split(":")[0] for l in lines],
                         ["Opens", "Reads", "Writes", ""], text)
        return tuple(int(l.split(": ")[1]) for l in lines[:3])

    def open_mldev(self, flags=os.O_RDWR):
        fd = os.open(self.mldev, flags | os.O_CLOEXEC)
        self.addCleanup(_close_quietly, fd)
        return fd

    def control_write(self, data):
        """One write(2) of data to `control`; its return or OSError."""
        fd = os.open(self.control, os.O_WRONLY | os.O_CLOEXEC)
        try:
            return os.write(fd, data)
        finally:
            os.close(fd)

    def command(self, cmd):
        """A full command (no newline) that must succeed."""
        self.assertEqual(self.control_write(cmd), len(cmd))

    def ioctl_reset(self):
        fd = os.open(self.mldev, os.O_RDONLY | os.O_CLOEXEC)
        try:
            self.assertEqual(fcntl.ioctl(fd, MLLIB_IOCRESET), 0)
        finally:
            os.close(fd)

    def ml_lines(self):
        return self.emu.ml_lib_dmesg_raw()

    def ml_mark(self, open_fds=0):
        """len(ml_lib lines) once only open_fds opens lack their release."""
        deadline = time.monotonic() + self.SETTLE_TIMEOUT
        while True:
            lines = self.ml_lines()
            opened = sum("Device opened" in l for l in lines)
            closed = sum(l.endswith("Device closed") for l in lines)
            if opened - closed <= open_fds or time.monotonic() > deadline:
                return len(lines)
            time.sleep(0.02)

    def ml_since(self, mark, count=None):
        """ml_lib lines since mark; with count, waits until there are that
        many (or the timeout passes: the caller's comparison then fails)."""
        deadline = time.monotonic() + self.SETTLE_TIMEOUT
        while True:
            lines = self.ml_lines()[mark:]
            if count is None or len(lines) >= count or \
                    time.monotonic() > deadline:
                return lines
            time.sleep(0.02)


def _close_quietly(fd):
    try:
        os.close(fd)
    except OSError:
        pass


# --- the ioctls, as a python client issues them ----------------------------
# A mutable buffer with mutate_flag makes fcntl.ioctl return the ioctl's own
# return value (with bytes it returns the buffer instead).
def ioctl_ret(fd, cmd, payload):
    return fcntl.ioctl(fd, cmd, bytearray(payload), True)


def send_ints(fd, a, b, c):
    return ioctl_ret(fd, SEND_INTS, struct.pack("3i", a, b, c))


def set_result(fd, v):
    return ioctl_ret(fd, SET_RESULT, struct.pack("i", v))


def get_result_buf(fd, fill=0xAA, size=8):
    """GET_RESULT into a mutable buffer prefilled with fill; (ret, bytes)."""
    buf = bytearray([fill]) * size
    r = fcntl.ioctl(fd, GET_RESULT, buf, True)
    return r, bytes(buf)


def get_result(fd):
    r, buf = get_result_buf(fd)
    assert r == 0
    return struct.unpack_from("i", buf)[0]


def add_training(fd, a, b, c, label):
    return ioctl_ret(fd, ADD_TRAINING, struct.pack("4i", a, b, c, label))


def clear_training(fd):
    return fcntl.ioctl(fd, CLEAR_TRAINING)


def fixed(v):
    """The driver's %d.%02d of v/100, abs(v%100), with C's truncation."""
    q = abs(v) // 100 * (1 if v >= 0 else -1)
    r = abs(v) % 100
    return f"{q}.{r:02d}"


def main():
    unittest.main(verbosity=2)

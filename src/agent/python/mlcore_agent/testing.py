# SPDX-License-Identifier: GPL-2.0
"""Private emulator instances from Python: for tests, notebooks and sweeps.

    from mlcore_agent.testing import Instance
    with Instance(seed=1) as inst:            # FUSE when /dev/fuse works
        client = MlcoreClient(inst.root)      # ... or inst.run([...]) for a subprocess
        print(inst.dmesg())

An Instance has its own name (PREFIX-PID-N), its own seed, a fixed clock by
default, and a door:

- "fuse": `mlcore-emu serve --root DIR` at a private temporary directory;
  inst.root is that directory and this process uses it directly.
- "preload": no mount; inst.root is "/" and only the subprocesses started
  with inst.run() / inst.command() see the devices (`mlcore-emu run`).
- "auto" (default, or $MLCORE_AGENT_DOOR): fuse when /dev/fuse can be
  opened, else preload.

On exit (also when the body raised) it stops the server, unmounts, removes
the shared-memory segment and the state and temporary directories.  A run
killed with SIGKILL leaves them behind; the next Instance (or
clean_leftovers()) removes the leftovers of dead creators: only this
user's, only names with a known prefix, only when the creator's pid is
gone and no other live process maps the segment.

mlcore-emu is found from $MLCORE_EMU, then PATH, then the checkout's
build/ directory.
"""
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from typing import List, Optional, Sequence

# The fixed clock of the tests whose output is compared: 2026-01-01 00:00:00.
EPOCH_2026 = 1767225600
DEFAULT_CLOCK = f"fixed:{EPOCH_2026}"
PREFIXES = ("mlcpy", "pytest")
_NAME_RE = re.compile(r"^(%s)-(\d+)-(\d+)$" % "|".join(PREFIXES))
_WORK_PREFIX = "mlcore-agent-"
_counter = itertools.count(1)
CMD_TIMEOUT = 60


class InstanceError(RuntimeError):
    """mlcore-emu failed, or a private instance could not be set up."""


def find_emu() -> str:
    """$MLCORE_EMU, then mlcore-emu on PATH, then the checkout's build/."""
    env = os.environ.get("MLCORE_EMU")
    if env:
        if not os.access(env, os.X_OK):
            raise InstanceError(f"MLCORE_EMU={env} is not an executable")
        return os.path.abspath(env)
    found = shutil.which("mlcore-emu")
    if found:
        return found
    here = os.path.dirname(os.path.abspath(__file__))
    for up in (("..",) * 4, ("..",) * 3):  # src/agent/python/mlcore_agent -> checkout
        cand = os.path.normpath(os.path.join(here, *up, "build", "mlcore-emu"))
        if os.access(cand, os.X_OK):
            return cand
    raise InstanceError("cannot find mlcore-emu: set MLCORE_EMU, put it on PATH, "
                        "or build it in the checkout's build/")


def state_root() -> str:
    """Where mlcore-emu keeps instance directories (instance.cc)."""
    d = os.environ.get("MLCORE_EMU_STATE_DIR")
    if d:
        return d
    d = os.environ.get("XDG_RUNTIME_DIR")
    if d:
        return os.path.join(d, "mlcore-emu")
    return f"/tmp/mlcore-emu-{os.getuid()}"


def segment_path(name: str) -> str:
    return f"/dev/shm/mlcore-emu.{os.getuid()}.{name}"


def fuse_usable() -> bool:
    """/dev/fuse is there and this process may open it."""
    try:
        fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def _pid_alive(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def _unescape_mount(p: str) -> str:
    return (p.replace("\\040", " ").replace("\\011", "\t")
            .replace("\\012", "\n").replace("\\134", "\\"))


def mount_points() -> List[str]:
    with open("/proc/self/mountinfo") as f:
        return [_unescape_mount(line.split()[4]) for line in f]


def _mounted(root: str) -> bool:
    return os.path.abspath(root) in mount_points()


def _server_pids(name: str):
    """(pid, root) of the servers registered for the instance."""
    d = os.path.join(state_root(), name, "servers")
    out = []
    try:
        entries = os.listdir(d)
    except FileNotFoundError:
        return out
    for e in entries:
        if e.isdigit():
            try:
                with open(os.path.join(d, e)) as f:
                    out.append((int(e), f.read().strip()))
            except FileNotFoundError:
                pass
    return out


def _is_our_server(pid: int) -> bool:
    try:
        st = os.stat(f"/proc/{pid}")
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return st.st_uid == os.getuid() and b"mlcore-emu" in cmd and b"serve" in cmd


def _segment_mapped_by_others(name: str, ignore=()) -> bool:
    """Whether a live process other than `ignore` maps the segment."""
    seg = segment_path(name)
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) in ignore or int(pid) == os.getpid():
            continue
        try:
            with open(f"/proc/{pid}/maps") as f:
                if seg in f.read():
                    return True
        except (OSError, ValueError):
            continue
    return False


def _umount(root: str) -> bool:
    for _ in range(50):
        if not _mounted(root):
            return True
        for cmd in (["fusermount3", "-u", "-z", root], ["umount", "-l", root]):
            if subprocess.run(cmd, capture_output=True).returncode == 0:
                break
        time.sleep(0.05)
    return not _mounted(root)


_HAS_RM = {}


def _emu_has_rm(emu: str) -> bool:
    """Whether this mlcore-emu has `rm` (asked once per binary)."""
    if emu not in _HAS_RM:
        _HAS_RM[emu] = _ask_has_rm(emu)
    return _HAS_RM[emu]


def _ask_has_rm(emu: str) -> bool:
    try:
        p = subprocess.run([emu, "--help"], capture_output=True, text=True,
                           timeout=CMD_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return re.search(r"^\s+rm\s", p.stdout, re.M) is not None


def remove_instance(name: str, emu: Optional[str] = None) -> None:
    """Removes a stopped instance: its shared-memory segment and its state
    directory.  The one place that does it, so it switches to
    `mlcore-emu rm NAME` where the binary has that command."""
    if emu and _emu_has_rm(emu):
        p = subprocess.run([emu, "rm", name], capture_output=True, text=True,
                           timeout=CMD_TIMEOUT)
        if p.returncode != 0 and os.path.exists(segment_path(name)):
            raise InstanceError(f"mlcore-emu rm {name}: {p.stderr.strip()}")
    try:
        os.unlink(segment_path(name))
    except FileNotFoundError:
        pass
    shutil.rmtree(os.path.join(state_root(), name), ignore_errors=True)


def _kill_servers(name: str, emu: str) -> List[str]:
    """Stops every server of the instance (mlcore-emu stop, then SIGKILL)
    and detaches their mounts; the problems it could not fix."""
    problems = []
    for pid, root in _server_pids(name):
        if root and _mounted(root):
            subprocess.run([emu, "stop", "--root", root], capture_output=True,
                           timeout=CMD_TIMEOUT)
        if _pid_alive(pid) and _is_our_server(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for _ in range(100):
                if not _pid_alive(pid):
                    break
                time.sleep(0.01)
        if root and not _umount(root):
            problems.append(f"{root} is still mounted")
    return problems


def clean_leftovers(emu: Optional[str] = None) -> List[str]:
    """Removes the leftovers of killed runs: instances named PREFIX-PID-N
    (this user's segments and state directories) whose creator PID is gone
    and that no other live process maps, their servers and mounts, and the
    temporary directories /tmp/mlcore-agent-PREFIX-PID-N-*.  Returns the
    names it removed."""
    emu = emu or find_emu()
    names = set()
    prefix = f"mlcore-emu.{os.getuid()}."
    for f in os.listdir("/dev/shm"):
        if f.startswith(prefix):
            names.add(f[len(prefix):])
    try:
        for f in os.listdir(state_root()):
            names.add(f)
    except FileNotFoundError:
        pass
    removed = []
    for name in sorted(names):
        m = _NAME_RE.match(name)
        if not m or _pid_alive(int(m.group(2))):
            continue
        servers = [p for p, _ in _server_pids(name)]
        _kill_servers(name, emu)
        if _segment_mapped_by_others(name, ignore=servers):
            continue
        remove_instance(name, emu)
        removed.append(name)
    # Mounts and work directories of dead creators (also without a segment).
    tmp = tempfile.gettempdir()
    work_re = re.compile(r"^%s((%s)-(\d+)-(\d+))-" % (re.escape(_WORK_PREFIX),
                                                      "|".join(PREFIXES)))
    for point in mount_points():
        rel = os.path.relpath(point, tmp)
        m = work_re.match(rel)
        if m and not _pid_alive(int(m.group(3))):
            _umount(point)
    for d in os.listdir(tmp):
        m = work_re.match(d)
        path = os.path.join(tmp, d)
        if m and not _pid_alive(int(m.group(3))) and os.stat(path).st_uid == os.getuid() \
                and not any(p.startswith(path + "/") or p == path for p in mount_points()):
            shutil.rmtree(path, ignore_errors=True)
    return removed


class Instance:
    """A private emulator instance; use as a context manager."""

    def __init__(self, seed: Optional[int] = 1, clock: Optional[str] = DEFAULT_CLOCK,
                 door: Optional[str] = None, prefix: str = "mlcpy",
                 emu: Optional[str] = None, clean: bool = True):
        if prefix not in PREFIXES:
            raise ValueError(f"prefix must be one of {PREFIXES} (clean_leftovers "
                             f"recognises only those)")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)
                                 or not 0 <= seed < 1 << 64):
            raise ValueError(f"seed must be an int in 0..2^64-1, not {seed!r}")
        door = door or os.environ.get("MLCORE_AGENT_DOOR") or "auto"
        if door not in ("auto", "fuse", "preload"):
            raise ValueError(f"door must be auto, fuse or preload, not {door!r}")
        self.emu = emu or find_emu()
        self.door = ("fuse" if fuse_usable() else "preload") if door == "auto" else door
        self.seed, self.clock = seed, clock
        self.name = f"{prefix}-{os.getpid()}-{next(_counter)}"
        self.work: Optional[str] = None
        self.root = "/"
        self._clean = clean
        self._open = False

    # --- the command ---------------------------------------------------------
    def _emu(self, *args, check=True):
        p = subprocess.run([self.emu, *args], capture_output=True, text=True,
                           timeout=CMD_TIMEOUT, stdin=subprocess.DEVNULL)
        if check and p.returncode != 0:
            raise InstanceError(f"mlcore-emu {' '.join(args)} exited {p.returncode}: "
                                f"{(p.stderr or p.stdout).strip()}")
        return p

    def _boot_args(self):
        a = ["--instance", self.name]
        if self.seed is not None:
            a += ["--seed", str(self.seed)]
        if self.clock is not None:
            a += ["--clock", self.clock]
        return a

    def __enter__(self) -> "Instance":
        if self._clean:
            clean_leftovers(self.emu)
        self.work = tempfile.mkdtemp(prefix=f"{_WORK_PREFIX}{self.name}-")
        self._open = True
        try:
            if self.door == "fuse":
                self.root = os.path.join(self.work, "root")
                self._emu("serve", "--root", self.root, *self._boot_args())
            else:
                self.root = "/"
                self._emu("run", *self._boot_args(), "--", "true")
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # --- what a test uses --------------------------------------------------------
    @property
    def in_process(self) -> bool:
        """Whether this process itself sees the devices at self.root."""
        return self.door == "fuse"

    @property
    def env(self) -> dict:
        """The environment for mlcore-emu and the subprocesses."""
        return dict(os.environ, MLCORE_EMU_STATE_DIR=state_root())

    def command(self, argv: Sequence[str]) -> List[str]:
        """argv as it must run to see the devices at self.root: unchanged
        with FUSE, under `mlcore-emu run --instance NAME --` with preload."""
        if self.door == "fuse":
            return list(argv)
        return [self.emu, "run", "--instance", self.name, "--", *argv]

    def popen(self, argv: Sequence[str], **kw) -> subprocess.Popen:
        kw.setdefault("env", self.env)
        return subprocess.Popen(self.command(argv), **kw)

    def run(self, argv: Sequence[str], **kw) -> subprocess.CompletedProcess:
        """subprocess.run of argv seeing the instance (text output captured
        unless told otherwise)."""
        kw.setdefault("env", self.env)
        kw.setdefault("capture_output", True)
        kw.setdefault("text", True)
        kw.setdefault("timeout", 600)
        return subprocess.run(self.command(argv), **kw)

    def dmesg(self, raw: bool = False) -> str:
        """The instance's kernel log (`mlcore-emu dmesg`)."""
        return self._emu("dmesg", "--instance", self.name, *(["--raw"] if raw else [])).stdout

    def reset(self, clock: Optional[str] = None) -> None:
        """Reloads the devices (module unload + load); mounts keep serving."""
        self._emu("reset", "--instance", self.name, *(["--clock", clock] if clock else []))

    @property
    def segment(self) -> str:
        return segment_path(self.name)

    def server_pids(self) -> List[int]:
        return [p for p, _ in _server_pids(self.name) if _pid_alive(p)]

    # --- cleanup ------------------------------------------------------------------
    def close(self) -> None:
        """Stops the server, unmounts, removes the segment, the state and
        the temporary directory; raises InstanceError if something stayed."""
        if not self._open:
            return
        self._open = False
        problems = _kill_servers(self.name, self.emu)
        if self.door == "fuse" and self.work:
            root = os.path.join(self.work, "root")
            if not _umount(root):
                problems.append(f"{root} is still mounted")
        remove_instance(self.name, self.emu)
        if self.work and not any(p.startswith(self.work + "/") for p in mount_points()):
            shutil.rmtree(self.work, ignore_errors=True)
        if os.path.exists(self.segment):
            problems.append(f"{self.segment} is still there")
        if problems:
            raise InstanceError("cleanup: " + "; ".join(problems))


def instance(**kw) -> Instance:
    """Instance(**kw), for `with mlcore_agent.testing.instance(seed=2) as i:`."""
    return Instance(**kw)

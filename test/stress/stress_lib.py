# SPDX-License-Identifier: GPL-2.0
"""Shared parts of the stress tests (test/stress/): the strict parsers of
every text a reader checks, the counter file the C clients write their
acknowledged operations to, and how a client is started through either door.

The instance, its FUSE mount and the cleanup are test/integration/harness.py's
(EmuTestCase, Emu); nothing here starts a server.

MLC_STRESS_SCALE (default 1) multiplies every count: 1 is the short form CI
runs, 10 the long form (docs/reliability.md).
"""
import os
import re
import signal
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.dont_write_bytecode = True

import harness as h  # noqa: E402

CLIENT = os.environ.get("MLC_STRESS_CLIENT", "")
PYTHON = "/usr/bin/python3"
READER = os.path.join(HERE, "stress_reader.py")


def scale():
    try:
        s = int(os.environ.get("MLC_STRESS_SCALE", "1"))
    except ValueError:
        raise SystemExit("MLC_STRESS_SCALE must be a positive integer")
    if s < 1:
        raise SystemExit("MLC_STRESS_SCALE must be a positive integer")
    return s


# --- the counter file (stress_client.c: enum C_*) ---------------------------
FIELDS = ("set", "get", "add", "clear", "send", "ml_open", "ml_read",
          "ml_write", "ml_close", "step", "ops", "iter", "done")
SLOT = 16 * 8


class AckFile:
    """SLOTS slots of 16 u64, one per client, shared with the C clients."""

    def __init__(self, path, slots):
        self.path = path
        self.slots = slots
        with open(path, "wb") as f:
            f.write(b"\0" * SLOT * slots)

    def read(self, slot):
        with open(self.path, "rb") as f:
            f.seek(slot * SLOT)
            vals = struct.unpack("<16Q", f.read(SLOT))
        return dict(zip(FIELDS, vals))

    def total(self, slots=None):
        tot = dict.fromkeys(FIELDS, 0)
        for s in (range(self.slots) if slots is None else slots):
            for k, v in self.read(s).items():
                tot[k] += v
        return tot


# --- starting clients -------------------------------------------------------
def client_cmd(emu, door, root, cid, iterations, ack, slot, flags=""):
    """The argv of one C client through door 'fuse' (at root) or 'preload'."""
    if door == "fuse":
        return [CLIENT, root, str(cid), str(iterations), ack.path, str(slot),
                flags]
    return [h.EMU, "run", "--instance", emu.name, "--", CLIENT, "",
            str(cid), str(iterations), ack.path, str(slot), flags]


def preload_cmd(emu, *argv):
    return [h.EMU, "run", "--instance", emu.name, "--", *argv]


def spawn(emu, argv, env=None, **kw):
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    return subprocess.Popen(argv, env=env or emu.env, **kw)


def kill_all(procs):
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGCONT)
                p.kill()
            except ProcessLookupError:
                pass
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass


# --- strict parsers: each raises ValueError on a malformed text -------------
RESULT_HEAD = re.compile(r"Current Prediction: (-?\d+)\n"
                         r"Prediction History \(latest (\d+)\):\n")
RESULT_LINE = re.compile(r" \[(\d+)\]: (-?\d+) at "
                         r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\n")
TRAIN_LINE = re.compile(r"\[(\d+)\]: (-?\d+)\.(\d\d) (-?\d+)\.(\d\d) "
                        r"(-?\d+)\.(\d\d) => (-?\d+)\n")
MLLIB_PROC = re.compile(
    r"ML Library Testing Device Driver Information\n"
    r"=================================\n"
    r"Device name:     mllibdev\n"
    r"Buffer size:     1024 bytes\n"
    r"Data size:       (\d+) bytes\n"
    r"Access count:    (\d+)\n"
    r"Read count:      (\d+)\n"
    r"Write count:     (\d+)\n")
MLLIB_STATS = re.compile(r"Opens: (\d+)\nReads: (\d+)\nWrites: (\d+)\n")
LOOP_KEYS = ("epochs", "misses", "applied_misses", "cost_default",
             "cost_recommended", "cost_actual", "cost_best",
             "efficiency_total_milli",
             "quality_milli", "recommendations_accepted",
             "recommendations_refused", "mode_changes", "fallbacks",
             "guard_trips", "records_pending", "records_dropped")
# The loop's counters that only grow (reset is never written here).
LOOP_MONOTONIC = ("epochs", "misses", "applied_misses", "cost_default",
                  "cost_recommended", "cost_actual", "mode_changes",
                  "fallbacks", "guard_trips", "records_dropped")
LOG_LINE = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) - Prediction: (-?\d+)")


def _need(cond, what, text):
    if not cond:
        raise ValueError(f"{what}: {text!r}")


MULT = 100000   # a client's n-th SET_RESULT value is id * MULT + n


def value_id(v, ids):
    """The client id that sets v (ID*MULT+n), or ValueError."""
    cid, n = divmod(v, MULT)
    if cid not in ids:
        raise ValueError(f"value {v} was set by no client of this test")
    return cid, n


def parse_result(text, ids, stamp=h.STAMP_2026):
    """/proc/mlcore_result -> (current, [values]).  Checks the format, the
    indices, the stamps, that current is the newest entry, and that each
    client's entries are consecutive values in order (the ring keeps the
    newest 10 operations, so a client's entries are its newest ones)."""
    m = RESULT_HEAD.match(text)
    _need(m, "mlcore_result header", text)
    cur, n = int(m.group(1)), int(m.group(2))
    _need(0 <= n <= 10, "mlcore_result count", text)
    vals, pos = [], m.end()
    for i in range(n):
        lm = RESULT_LINE.match(text, pos)
        _need(lm and int(lm.group(1)) == i, f"mlcore_result line {i}", text)
        _need(stamp is None or lm.group(3) == stamp, "mlcore_result stamp",
              text)
        vals.append(int(lm.group(2)))
        pos = lm.end()
    _need(pos == len(text), "mlcore_result trailing bytes", text)
    if n:
        _need(cur == vals[-1], "current is not the newest entry", text)
        last = {}
        for v in vals:
            cid, k = value_id(v, ids)
            _need(cid not in last or k == last[cid] + 1,
                  f"client {cid}'s entries not consecutive", text)
            last[cid] = k
    else:
        _need(cur == -1, "current without history", text)
    return cur, vals


def fixed_value(q, r):
    q, r = int(q), int(r)
    return q * 100 + r if not q < 0 else q * 100 - r


def parse_train(text, ids):
    """/proc/mlcore_train -> [(id, i)].  Every line well-formed, indices
    0..n-1, n <= 50, entries as stress_client adds them, and each client's
    iterations consecutive (after the last CLEAR every ADD is appended until
    the buffer is full)."""
    pos, out, last = 0, [], {}
    while pos < len(text):
        lm = TRAIN_LINE.match(text, pos)
        _need(lm and int(lm.group(1)) == len(out),
              f"mlcore_train line {len(out)}", text)
        a = fixed_value(lm.group(2), lm.group(3))
        b = fixed_value(lm.group(4), lm.group(5))
        c = fixed_value(lm.group(6), lm.group(7))
        label = int(lm.group(8))
        _need(label in ids and a == label * 100 and c == 700 and b >= 0,
              "mlcore_train entry", lm.group(0))
        _need(label not in last or b == last[label] + 1,
              f"client {label}'s training entries not consecutive", text)
        last[label] = b
        out.append((label, b))
        pos = lm.end()
    _need(len(out) <= 50, "more than 50 training entries", text)
    return out


def parse_mllib_proc(text):
    m = MLLIB_PROC.fullmatch(text)
    _need(m, "/proc/mllibdev", text)
    return dict(zip(("data_size", "opens", "reads", "writes"),
                    map(int, m.groups())))


def parse_mllib_stats(text):
    m = MLLIB_STATS.fullmatch(text)
    _need(m, "ml_lib stats", text)
    return dict(zip(("opens", "reads", "writes"), map(int, m.groups())))


def parse_number(text):
    _need(re.fullmatch(r"\d+\n", text), "a number attribute", text)
    return int(text)


def parse_loop_stats(text):
    lines = text.split("\n")
    _need(len(lines) == len(LOOP_KEYS) + 1 and lines[-1] == "",
          "loop stats line count", text)
    out = {}
    for key, line in zip(LOOP_KEYS, lines):
        m = re.fullmatch(r"([a-z_]+): (\d+)", line)
        _need(m and m.group(1) == key, f"loop stats {key}", text)
        out[key] = int(m.group(2))
    _need(out["applied_misses"] <= out["misses"], "applied > misses", text)
    return out


def parse_log(text, ids):
    """/var/log/mlcore.log -> the list of values, each line checked."""
    vals = []
    for line in text.split("\n")[:-1]:
        m = LOG_LINE.fullmatch(line)
        _need(m and m.group(1) == h.STAMP_2026, "mlcore.log line", line)
        v = int(m.group(2))
        value_id(v, ids)
        vals.append(v)
    _need(text == "" or text.endswith("\n"), "mlcore.log end", text[-80:])
    return vals


def new_log_values(test, varlog, base_log, ids):
    """The SET_RESULT values appended to the log file since base_log (the
    earlier lines unchanged, none twice), and per client id the n of each
    value in order: (new, {client id: [n, ...]})."""
    vals = parse_log(read_text(varlog), ids)
    test.assertEqual(vals[:len(base_log)], base_log)
    new = vals[len(base_log):]
    test.assertEqual(len(new), len(set(new)), "a SET_RESULT done twice")
    per = {}
    for v in new:
        cid, n = divmod(v, MULT)
        per.setdefault(cid, []).append(n)
    return new, per


def kmsg_last_seq(path):
    """The SEQ of the newest record of a /dev/kmsg (every record read)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    last = None
    try:
        while True:
            rec = os.read(fd, 8192)
            if not rec:
                return last
            last = int(rec.split(b",", 2)[1])
    finally:
        os.close(fd)


def read_text(path):
    with open(path, "rb") as f:
        return f.read().decode()


class Paths:
    """The files of one instance under a prefix ('' = the real paths)."""

    def __init__(self, prefix):
        p = prefix
        self.dev = p + "/dev/mlcore"
        self.result = p + "/proc/mlcore_result"
        self.train = p + "/proc/mlcore_train"
        self.mldev = p + "/dev/mllibdev"
        self.mlproc = p + "/proc/mllibdev"
        self.mlsys = p + "/sys/class/ml_lib_test/mllibdev"
        self.mlstats = self.mlsys + "/stats"
        self.access_count = self.mlsys + "/access_count"
        self.data_size = self.mlsys + "/data_size"
        self.mlcontrol = self.mlsys + "/ml_model1/control"
        self.loopsys = p + "/sys/class/ml_lib_loop/mlloop/ml_readahead"
        self.loopcontrol = self.loopsys + "/control"
        self.loopstats = self.loopsys + "/stats"
        self.loopmode = self.loopsys + "/mode"
        self.kmsg = p + "/dev/kmsg"
        self.varlog = p + "/var/log/mlcore.log"


def write_control(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        n = os.write(fd, data)
        if n != len(data):
            raise AssertionError(f"{path}: wrote {n} of {len(data)}")
    finally:
        os.close(fd)


def snapshot(paths, ids):
    """Every counter of the instance, each text parsed strictly."""
    cur, ring = parse_result(read_text(paths.result), ids)
    return {
        "current": cur,
        "ring": ring,
        "train": parse_train(read_text(paths.train), ids),
        "mlproc": parse_mllib_proc(read_text(paths.mlproc)),
        "mlstats": parse_mllib_stats(read_text(paths.mlstats)),
        "access_count": parse_number(read_text(paths.access_count)),
        "loop": parse_loop_stats(read_text(paths.loopstats)),
        "kmsg_seq": kmsg_last_seq(paths.kmsg),
    }


def prepare_instance(paths):
    """What every stress run needs first: ml_lib's dataset extracted (data
    size 1024, so every read counts) and the loop started."""
    write_control(paths.mlcontrol, b"prepare_dataset\n")
    write_control(paths.loopcontrol, b"start\n")


def within(deadline_s, fn, *args):
    """fn(*args) in a thread, its result, or TimeoutError after deadline_s
    (the thread is left blocked: the test then fails and cleans up)."""
    import threading
    box = {}

    def run():
        try:
            box["r"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["e"] = e
    t = threading.Thread(target=run, daemon=True)
    t0 = time.monotonic()
    t.start()
    t.join(deadline_s)
    if t.is_alive():
        raise TimeoutError(f"no answer within {deadline_s} s")
    if "e" in box:
        raise box["e"]
    return box["r"], time.monotonic() - t0


def proc_state(pid):
    """`state S, in futex_do_wait`: where a process waits (for messages)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/wchan") as f:
            return f"state {st}, in {f.read()}"
    except OSError:
        return "gone"


def server_state(emu, root):
    pid = emu.server_pid_for(root)
    return f"(pid {pid}) is {proc_state(pid)}" if pid else "is not running"

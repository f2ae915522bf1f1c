# SPDX-License-Identifier: GPL-2.0
"""Typed clients for the device profiles, the Python twin of
src/agent/clients.hpp.  They use nothing but paths under a ROOT and the
system calls open, read, write, ioctl, lseek and close, so the same code
runs against:

- the real kernel modules: root="/";
- a FUSE mount of `mlcore-emu serve --root R`: root=R;
- the preload door (`mlcore-emu run -- /usr/bin/python3 agent.py`): root="/".

Errors: the kernel's refusals are OSError with its errno (e.errno);
text or records outside the documented format are ProtocolError; bad
arguments are TypeError/ValueError raised before any system call.
"""
import errno
import fcntl
import operator
import os
import struct
from typing import List, Sequence

from . import uapi
from .parse import (INT32_MAX, INT32_MIN, LoopStats, MlLibStats, ProtocolError,
                    ResultReport, TrainingRow, parse_efficiency, parse_key_values,
                    parse_loop_stats, parse_ml_lib_stats, parse_mode, parse_result,
                    parse_state, parse_training, parse_uint, parse_uint_attr)
from .records import LoopRecord, RecommendationRecord, decode_records, encode_record

# GET_RESULT's guard: the buffer is this long and filled with this byte;
# only the first 4 may change (the number encodes 8, the driver copies 4).
_GUARD_LEN = 16
_GUARD_BYTE = 0xA5


def _path(root: str, rel: str) -> str:
    root = os.fspath(root) or "/"
    return root.rstrip("/") + "/" + rel.lstrip("/")


def _read_file(path: str, limit: int = 1 << 20) -> str:
    """open, read to EOF, close; the text (the kernel prints ASCII)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks, total = [], 0
        while True:
            b = os.read(fd, 4096)
            if not b:
                break
            chunks.append(b)
            total += len(b)
            if total > limit:
                raise ProtocolError(f"read {path}: no end of file after {limit} bytes")
        return b"".join(chunks).decode("ascii", errors="strict")
    except UnicodeDecodeError as e:
        raise ProtocolError(f"{path}: not ASCII text ({e})") from None
    finally:
        os.close(fd)


def _write_once(path: str, data: bytes) -> int:
    """One write(2) of data to path (what sysfs attributes take)."""
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        return os.write(fd, data)
    finally:
        os.close(fd)


def _int32(name: str, v) -> int:
    """v as a Python int in int32 range: TypeError for non-integers (bool
    and float included), ValueError outside the range."""
    if isinstance(v, bool):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        i = operator.index(v)
    except TypeError:
        hint = " (features are fixed point: the real value x 100, as an int)" \
            if isinstance(v, float) else ""
        raise TypeError(f"{name} must be an integer, not {type(v).__name__}{hint}") from None
    if not INT32_MIN <= i <= INT32_MAX:
        raise ValueError(f"{name} {i} is outside the int32 range")
    return i


def _features(features) -> List[int]:
    if isinstance(features, (str, bytes)):
        raise TypeError("features must be a sequence of 3 integers")
    try:
        vals = list(features)
    except TypeError:
        raise TypeError(f"features must be a sequence of 3 integers, not "
                        f"{type(features).__name__}") from None
    if len(vals) != uapi.MLCORE_NUM_FEATURES:
        raise ValueError(f"exactly {uapi.MLCORE_NUM_FEATURES} features, not {len(vals)}")
    return [_int32(f"feature {i}", v) for i, v in enumerate(vals)]


class _Device:
    """An fd opened on first use (or now), closed by close() / with."""

    def __init__(self, path: str, flags: int):
        self.path, self.flags, self.fd = path, flags, -1

    def get(self) -> int:
        if self.fd < 0:
            self.fd = os.open(self.path, self.flags | os.O_CLOEXEC)
        return self.fd

    def close(self):
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            os.close(fd)


class _Client:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finaliser
            pass


# --- mlcore: /dev/mlcore, /proc/mlcore_result, /proc/mlcore_train ----------------
class MlcoreClient(_Client):
    """Opens ROOT/dev/mlcore now (O_RDWR unless told otherwise)."""

    def __init__(self, root: str = "/", flags: int = os.O_RDWR):
        self.root = os.fspath(root) or "/"
        self._dev = _Device(_path(self.root, uapi.MLCORE_DEV), flags)
        self._dev.get()

    def fileno(self) -> int:
        return self._dev.get()

    def close(self):
        self._dev.close()

    def _ioctl(self, cmd, arg):
        return fcntl.ioctl(self._dev.get(), cmd, arg, True)

    def send_features(self, features: Sequence[int]) -> None:
        """IOCTL_SEND_INTS: 3 features, fixed point (real value x 100)."""
        vals = _features(features)
        self._ioctl(uapi.IOCTL_SEND_INTS, bytearray(struct.pack("<3i", *vals)))

    def set_result(self, result: int) -> None:
        """IOCTL_SET_RESULT: the prediction (pushed on the history ring)."""
        v = _int32("result", result)
        self._ioctl(uapi.IOCTL_SET_RESULT, bytearray(struct.pack("<i", v)))

    def get_result(self) -> int:
        """IOCTL_GET_RESULT into a guarded buffer: 16 bytes of 0xA5 of which
        only the first 4 may change; a transport that writes more is a
        ProtocolError, never silent corruption."""
        buf = bytearray([_GUARD_BYTE]) * _GUARD_LEN
        self._ioctl(uapi.IOCTL_GET_RESULT, buf)
        if any(b != _GUARD_BYTE for b in buf[uapi.MLCORE_GET_RESULT_LEN:]):
            raise ProtocolError("IOCTL_GET_RESULT wrote more than the 4 bytes of an "
                                "int (the number encodes 8; the driver copies 4)")
        return struct.unpack_from("<i", buf)[0]

    def add_training(self, features: Sequence[int], label: int) -> None:
        """IOCTL_ADD_TRAINING.  The driver keeps at most 50 entries and drops
        the rest silently (the ioctl still succeeds): compare read_training()."""
        vals = _features(features)
        lab = _int32("label", label)
        self._ioctl(uapi.IOCTL_ADD_TRAINING, bytearray(struct.pack("<4i", *vals, lab)))

    def clear_training(self) -> None:
        """IOCTL_CLEAR_TRAINING."""
        fcntl.ioctl(self._dev.get(), uapi.IOCTL_CLEAR_TRAINING)

    def read_training(self) -> List[TrainingRow]:
        """/proc/mlcore_train as fixed-point ints.  The driver's sign loss:
        a value in (-100, 0) prints like its absolute value, so it comes back
        positive with row.exact[i] False."""
        return parse_training(_read_file(_path(self.root, uapi.MLCORE_TRAIN)))

    def read_result_history(self) -> ResultReport:
        """/proc/mlcore_result: the current prediction and up to 10 history
        entries (value, UTC time), oldest first."""
        return parse_result(_read_file(_path(self.root, uapi.MLCORE_RESULT)))


# --- ml_lib: /dev/mllibdev, the model's control, the device attributes ---------------
class MlLibClient(_Client):
    """Nothing is opened yet: the device is opened on first use (each open
    counts in access_count, as on the real driver)."""

    def __init__(self, root: str = "/"):
        self.root = os.fspath(root) or "/"
        self._dev = None

    def close(self):
        if self._dev is not None:
            self._dev.close()

    def control(self, cmd) -> int:
        """One write(2) of cmd to ml_model1/control (prefix matching: "s" is
        start; no match is EOPNOTSUPP)."""
        data = cmd.encode() if isinstance(cmd, str) else bytes(cmd)
        return _write_once(_path(self.root, uapi.ML_LIB_CONTROL), data)

    def start(self):
        self.control(uapi.ML_LIB_CMD_START)

    def stop(self):
        self.control(uapi.ML_LIB_CMD_STOP)

    def prepare_dataset(self):
        self.control(uapi.ML_LIB_CMD_PREPARE_DATASET)

    def discard_dataset(self):
        self.control(uapi.ML_LIB_CMD_DISCARD_DATASET)

    def device(self, flags: int = os.O_RDWR) -> int:
        """The device's fd, opened with flags on first use."""
        if self._dev is None:
            self._dev = _Device(_path(self.root, uapi.ML_LIB_DEV), flags)
        return self._dev.get()

    def read_dataset(self) -> bytes:
        """lseek 0 and read until EOF (data_size bytes); as a numpy uint8
        array with read_dataset_array()."""
        fd = self.device()
        os.lseek(fd, 0, os.SEEK_SET)
        out = bytearray()
        while True:
            b = os.read(fd, uapi.ML_LIB_TEST_BUFFER_SIZE)
            if not b:
                return bytes(out)
            if len(out) + len(b) > uapi.ML_LIB_TEST_BUFFER_SIZE:
                raise ProtocolError("mllibdev: more data than the 1024-byte buffer")
            out += b

    def read_dataset_array(self):
        """read_dataset() as a numpy.uint8 array (needs numpy)."""
        import numpy
        return numpy.frombuffer(self.read_dataset(), dtype=numpy.uint8).copy()

    def write_recommendations(self, data, offset: int = 0) -> int:
        """lseek to offset and ONE write(2); what write returned (short near
        the 1024-byte end; ENOSPC at or past it)."""
        if isinstance(data, str):
            raise TypeError("recommendations are bytes, not str")
        payload = memoryview(data).cast("B").tobytes()
        off = operator.index(offset)
        if off < 0:
            raise ValueError(f"offset {off} is negative")
        fd = self.device()
        os.lseek(fd, off, os.SEEK_SET)
        return os.write(fd, payload)

    def reset(self) -> None:
        """ML_LIB_TEST_IOCRESET."""
        fcntl.ioctl(self.device(), uapi.ML_LIB_TEST_IOCRESET)

    def get_size(self) -> int:
        """ML_LIB_TEST_IOCGETSIZE."""
        buf = bytearray(4)
        fcntl.ioctl(self.device(), uapi.ML_LIB_TEST_IOCGETSIZE, buf, True)
        return struct.unpack("<i", buf)[0]

    def set_size(self, size: int) -> None:
        """ML_LIB_TEST_IOCSETSIZE (the kernel says EINVAL outside 0..1024)."""
        v = _int32("size", size)
        fcntl.ioctl(self.device(), uapi.ML_LIB_TEST_IOCSETSIZE,
                    bytearray(struct.pack("<i", v)), True)

    def attr_path(self, name: str) -> str:
        return _path(self.root, f"{uapi.ML_LIB_CLASS_DEV}/{name}")

    def buffer_size(self) -> int:
        return parse_uint_attr(_read_file(self.attr_path("buffer_size")), "buffer_size")

    def data_size(self) -> int:
        return parse_uint_attr(_read_file(self.attr_path("data_size")), "data_size")

    def access_count(self) -> int:
        return parse_uint_attr(_read_file(self.attr_path("access_count")), "access_count")

    def stats(self) -> MlLibStats:
        return parse_ml_lib_stats(_read_file(self.attr_path("stats")))

    def dev_numbers(self) -> str:
        """"MAJ:MIN" of the dev attribute (without the newline)."""
        t = _read_file(self.attr_path("dev"))
        maj, colon, mnr = t[:-1].partition(":")
        if not t.endswith("\n") or not colon or parse_uint(maj) is None or \
                parse_uint(mnr) is None:
            raise ProtocolError(f"mllibdev dev attribute: expected 'MAJ:MIN\\n', got {t!r}")
        return t[:-1]

    def proc_info(self):
        """/proc/mllibdev as (key, value) pairs after its two header lines."""
        t = _read_file(_path(self.root, uapi.ML_LIB_PROC))
        parts = t.split("\n", 2)
        if len(parts) < 3:
            raise ProtocolError("/proc/mllibdev: fewer than two header lines")
        return parse_key_values(parts[2])


# --- the closed loop: /dev/mlloop and ml_readahead's attributes ----------------------
class MlLoopClient(_Client):
    """Nothing is opened yet; the device is opened O_RDWR on first use."""

    def __init__(self, root: str = "/"):
        self.root = os.fspath(root) or "/"
        self._dev = _Device(_path(self.root, uapi.ML_LOOP_DEV), os.O_RDWR)

    def close(self):
        self._dev.close()

    def model_path(self, name: str) -> str:
        return _path(self.root, f"{uapi.ML_LOOP_MODEL}/{name}")

    def control(self, cmd) -> int:
        """One write(2) of cmd to ml_readahead/control."""
        data = cmd.encode() if isinstance(cmd, str) else bytes(cmd)
        return _write_once(self.model_path("control"), data)

    def start(self):
        self.control("start")

    def stop(self):
        self.control("stop")

    def reset(self):
        self.control("reset")

    def prepare_dataset(self):
        self.control(uapi.ML_LIB_CMD_PREPARE_DATASET)

    def discard_dataset(self):
        self.control(uapi.ML_LIB_CMD_DISCARD_DATASET)

    def step(self, n: int = 1) -> None:
        """"step N": simulate n epochs (the kernel says EINVAL outside
        1..10000, EAGAIN unless started)."""
        if isinstance(n, bool):
            raise TypeError("n must be an integer, not bool")
        n = operator.index(n)
        if n < 0:
            raise ValueError(f"step {n}: the number of epochs is not negative")
        self.control(f"step {n}")

    def device(self) -> int:
        return self._dev.get()

    def pending(self) -> int:
        """ML_LOOP_IOCPENDING: records waiting to be read."""
        buf = bytearray(4)
        fcntl.ioctl(self._dev.get(), uapi.ML_LOOP_IOCPENDING, buf, True)
        return struct.unpack("<I", buf)[0]

    def read_records(self, max_records: int = 256) -> List[LoopRecord]:
        """ONE read(2) of up to max_records whole records ([] when none
        wait); a byte count that is not whole records, or an invalid record,
        is a ProtocolError."""
        n = operator.index(max_records)
        if n < 0:
            raise ValueError("max_records is negative")
        if n == 0:
            return []
        want = n * uapi.ML_LOOP_RECORD_SIZE
        data = os.read(self._dev.get(), want)
        if len(data) > want:
            raise ProtocolError("mlloop: read returned more than asked")
        return decode_records(data)

    def drain(self) -> List[LoopRecord]:
        """Reads until nothing waits."""
        out = []
        while True:
            part = self.read_records()
            if not part:
                return out
            out.extend(part)

    def write_recommendation(self, window: int, confidence_permille: int = 0,
                             epoch: int = 0) -> None:
        """One RECOMMENDATION record: window (0..256) from the next epoch on.
        A window above 256 is ValueError before any write; the kernel's
        refusal is OSError(EINVAL)."""
        if isinstance(window, bool):
            raise TypeError("window must be an integer, not bool")
        w = operator.index(window)
        if not 0 <= w <= uapi.ML_LOOP_MAX_WINDOW:
            raise ValueError(f"window {w} is outside 0..{uapi.ML_LOOP_MAX_WINDOW}")
        ep = operator.index(epoch)
        if not 0 <= ep < 1 << 64:
            raise ValueError(f"epoch {ep} is outside 0..2^64-1")
        rec = encode_record(RecommendationRecord(ep, w, operator.index(confidence_permille)))
        n = os.write(self._dev.get(), rec)
        if n != len(rec):
            raise ProtocolError(f"mlloop: a recommendation write took {n} of 64 bytes")

    def write_raw(self, data) -> int:
        """Raw bytes, one write(2), for callers that test refusals."""
        return os.write(self._dev.get(), bytes(data))

    # --- loop v2: POLICY records -------------------------------------------
    def supports_policy(self) -> bool:
        """Whether this loop takes POLICY records (closed loop v2).

        The check: loop v2 adds POLICY records and the `workload` attribute
        (ml_readahead/workload) together, so the attribute's presence is the
        feature test; it changes nothing (a probe write would replace the
        recommendation in force).  A v1 loop refuses type 4 with EINVAL."""
        return os.path.lexists(self.model_path("workload"))

    def write_policy(self, nodes) -> None:
        """One write(2) of a decision-tree policy (mlcore_agent.policy): in
        force from the next epoch.  Invalid nodes are ValueError before any
        write; the kernel's refusal is OSError(EINVAL)."""
        from .policy import encode_policy
        data = encode_policy(nodes)
        n = os.write(self._dev.get(), data)
        if n != len(data):
            raise ProtocolError(f"mlloop: a policy write took {n} of {len(data)} bytes")

    def write_workload(self, data) -> None:
        """Replaces the loop's workload from the next epoch (loop v2,
        ml_readahead/workload): the bytes of an MLTRACE trace, or b"synthetic"
        for the built-in generator.  Written from offset 0 in 4096-byte
        chunks, as the kernel takes them.  A trace whose header's
        total_bytes is not its length is ValueError before any write (the
        kernel would keep such a trace staged, never in force); the kernel's
        refusal is OSError(EINVAL); a loop without the attribute (v1) is
        FileNotFoundError."""
        b = bytes(data)
        if b.rstrip(b"\n") != b"synthetic":
            hs = uapi.ML_LOOP_TRACE_HEADER_SIZE
            if len(b) < hs:
                raise ValueError(f"a trace of {len(b)} bytes is shorter than its "
                                 f"{hs}-byte header")
            magic, total = struct.unpack_from("<I", b)[0], struct.unpack_from("<Q", b, 16)[0]
            if magic != uapi.ML_LOOP_TRACE_MAGIC:
                raise ValueError(f"not an MLTRACE trace (magic 0x{magic:08x})")
            if total != len(b):
                raise ValueError(f"the trace is {len(b)} bytes, its header says {total}")
        fd = os.open(self.model_path("workload"), os.O_WRONLY | os.O_NOFOLLOW)
        try:
            off = 0
            while off < len(b):
                n = os.write(fd, b[off:off + uapi.ML_LOOP_TRACE_CHUNK])
                if n <= 0:
                    raise ProtocolError(f"ml_readahead/workload took {n} bytes at {off}")
                off += n
        finally:
            os.close(fd)

    # --- attributes ---------------------------------------------------------
    def mode(self) -> int:
        """1..4 (emergency .. recommendation); mode_name() for the text."""
        t = _read_file(self.model_path("mode"))
        m = parse_mode(t)
        if m is None:
            raise ProtocolError(f"ml_readahead/mode: unexpected {t!r}")
        return m

    def state(self) -> int:
        t = _read_file(self.model_path("state"))
        s = parse_state(t)
        if s is None:
            raise ProtocolError(f"ml_readahead/state: unexpected {t!r}")
        return s

    def efficiency_milli(self) -> int:
        """The EWMA efficiency attribute in thousandths (1000 = the default)."""
        t = _read_file(self.model_path("efficiency"))
        e = parse_efficiency(t)
        if e is None:
            raise ProtocolError(f"ml_readahead/efficiency: unexpected {t!r}")
        return e

    def stats(self) -> LoopStats:
        return parse_loop_stats(_read_file(self.model_path("stats")))


__all__ = ["MlcoreClient", "MlLibClient", "MlLoopClient", "ProtocolError", "errno"]

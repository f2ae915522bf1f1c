# SPDX-License-Identifier: GPL-2.0
"""Strict parsers for the text the kernel interfaces print (the Python twin
of src/agent/parse.cc).  Pure functions, no I/O.  Text the driver cannot
print raises ProtocolError naming the line; nothing is guessed."""
from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from . import uapi

INT32_MIN, INT32_MAX = -(1 << 31), (1 << 31) - 1


class ProtocolError(Exception):
    """Text or records outside the documented format."""


def _digits(s: str) -> bool:
    return s != "" and all("0" <= c <= "9" for c in s)


def parse_uint(text: str) -> Optional[int]:
    """A decimal "%u" number, the whole text; None otherwise (max 2^64-1)."""
    if not _digits(text) or len(text) > 20:
        return None
    v = int(text)
    return v if v < (1 << 64) else None


def parse_int(text: str) -> Optional[int]:
    """A decimal "%d" number (int64 range), the whole text; None otherwise."""
    neg = text.startswith("-")
    u = parse_uint(text[1:] if neg else text)
    if u is None:
        return None
    v = -u if neg else u
    return v if -(1 << 63) <= v < (1 << 63) else None


def _parse_i32(text: str) -> Optional[int]:
    v = parse_int(text)
    return v if v is not None and INT32_MIN <= v <= INT32_MAX else None


@dataclass(frozen=True)
class FixedValue:
    value: int
    exact: bool = True  # False: the value may also be -value (the sign loss)


def parse_fixed(text: str) -> Optional[FixedValue]:
    """The driver's "%d.%02d" of v / 100 and abs(v % 100) back to v.

    Values in (-100, 0) print without their sign ("0.05" is 5 or -5): the
    non-negative reading comes back with exact=False."""
    ip, dot, fp = text.partition(".")
    if not dot or len(fp) != 2 or not _digits(fp):
        return None
    whole = parse_int(ip)
    if whole is None or not (INT32_MIN // 100 + 1 <= whole <= INT32_MAX // 100):
        return None
    frac = int(fp)
    neg = ip.startswith("-")
    v = whole * 100 + (-frac if neg else frac)
    if not INT32_MIN <= v <= INT32_MAX:
        return None
    return FixedValue(v, not (whole == 0 and not neg and frac != 0))


def format_fixed(v: int) -> str:
    """The driver's rendering of v, with C's truncating division."""
    whole = abs(v) // 100 * (1 if v >= 0 else -1)
    return f"{whole}.{abs(v) % 100:02d}"


def _split_lines(text: str, what: str) -> List[str]:
    if text == "":
        return []
    if not text.endswith("\n"):
        last = text.rsplit("\n", 1)[-1]
        raise ProtocolError(f"{what}: last line has no newline: {last!r}")
    return text[:-1].split("\n")


def _bad_line(what: str, i: int, line: str):
    raise ProtocolError(f"{what} line {i + 1}: unexpected {line!r}")


@dataclass(frozen=True)
class TrainingRow:
    index: int
    features: Tuple[int, int, int]
    label: int
    exact: Tuple[bool, bool, bool] = (True, True, True)

    @property
    def all_exact(self) -> bool:
        return all(self.exact)


def parse_training(text: str) -> List[TrainingRow]:
    """/proc/mlcore_train: "[i]: A B C => L\\n" per entry, i from 0."""
    what = "mlcore_train"
    lines = _split_lines(text, what)
    if len(lines) > uapi.MLCORE_MAX_TRAINING_ENTRIES:
        raise ProtocolError(f"mlcore_train: {len(lines)} entries, the driver keeps "
                            f"at most {uapi.MLCORE_MAX_TRAINING_ENTRIES}")
    rows = []
    for i, line in enumerate(lines):
        head, sep, rest = line.partition("]: ")
        if not sep or not head.startswith("[") or parse_int(head[1:]) != i:
            _bad_line(what, i, line)
        feats, sep, label = rest.partition(" => ")
        parts = feats.split(" ")
        if not sep or len(parts) != 3:
            _bad_line(what, i, line)
        fx = [parse_fixed(p) for p in parts]
        lab = _parse_i32(label)
        if any(f is None for f in fx) or lab is None:
            _bad_line(what, i, line)
        rows.append(TrainingRow(i, tuple(f.value for f in fx), lab,
                                tuple(f.exact for f in fx)))
    return rows


@dataclass(frozen=True)
class HistoryEntry:
    index: int
    value: int
    time: int    # seconds since 1970 (the driver prints UTC)
    stamp: str   # "YYYY-MM-DD HH:MM:SS" as printed


@dataclass(frozen=True)
class ResultReport:
    current: int
    history: Tuple[HistoryEntry, ...] = ()


def parse_utc_stamp(t: str) -> Optional[int]:
    """"YYYY-MM-DD HH:MM:SS" (UTC) -> seconds since 1970; None if malformed."""
    if len(t) != 19 or t[4] != "-" or t[7] != "-" or t[10] != " " or \
            t[13] != ":" or t[16] != ":":
        return None
    nums = [parse_uint(t[a:b]) for a, b in
            ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))]
    if any(n is None for n in nums):
        return None
    y, mo, d, h, mi, s = nums
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60):
        return None
    # Days from civil (Howard Hinnant's algorithm), as parse.cc.
    yy = y - (mo <= 2)
    era = (yy if yy >= 0 else yy - 399) // 400
    yoe = yy - era * 400
    mp = (mo + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return (era * 146097 + doe - 719468) * 86400 + h * 3600 + mi * 60 + s


def parse_result(text: str) -> ResultReport:
    """/proc/mlcore_result: the current prediction and up to 10 entries."""
    what = "mlcore_result"
    lines = _split_lines(text, what)
    if len(lines) < 2:
        raise ProtocolError("mlcore_result: fewer than the two header lines")
    pre = "Current Prediction: "
    cur = _parse_i32(lines[0][len(pre):]) if lines[0].startswith(pre) else None
    if cur is None:
        _bad_line(what, 0, lines[0])
    pre = "Prediction History (latest "
    l1 = lines[1]
    n = parse_int(l1[len(pre):-2]) if l1.startswith(pre) and l1.endswith("):") else None
    if n is None or not 0 <= n <= uapi.MLCORE_HISTORY_SIZE:
        _bad_line(what, 1, l1)
    if len(lines) != n + 2:
        raise ProtocolError(f"mlcore_result: header says {n} entries, the file "
                            f"has {len(lines) - 2}")
    hist = []
    for i in range(2, len(lines)):
        line = lines[i]
        head, sep, rest = line.partition("]: ")
        if not sep or not head.startswith(" [") or parse_int(head[2:]) != i - 2:
            _bad_line(what, i, line)
        val, sep, stamp = rest.partition(" at ")
        v = _parse_i32(val)
        t = parse_utc_stamp(stamp) if sep else None
        if v is None or t is None:
            _bad_line(what, i, line)
        hist.append(HistoryEntry(i - 2, v, t, stamp))
    return ResultReport(cur, tuple(hist))


def parse_uint_attr(text: str, what: str) -> int:
    """A sysfs attribute holding one number: "N\\n"."""
    if not text.endswith("\n"):
        raise ProtocolError(f"{what}: expected 'N\\n', got {text!r}")
    v = parse_uint(text[:-1])
    if v is None:
        raise ProtocolError(f"{what}: not a number: {text!r}")
    return v


def parse_key_values(text: str) -> List[Tuple[str, str]]:
    """"Key: value" lines in file order (any spaces after the colon)."""
    kv = []
    for i, line in enumerate(_split_lines(text, "key-value file")):
        key, colon, value = line.partition(":")
        if not colon or key == "" or not value.startswith(" "):
            _bad_line("key-value file", i, line)
        kv.append((key, value.lstrip(" ")))
    return kv


@dataclass(frozen=True)
class MlLibStats:
    opens: int
    reads: int
    writes: int


def parse_ml_lib_stats(text: str) -> MlLibStats:
    kv = parse_key_values(text)
    if len(kv) != 3:
        raise ProtocolError(f"ml_lib stats: expected Opens, Reads, Writes, got {text!r}")
    vals = []
    for (k, v), want in zip(kv, ("Opens", "Reads", "Writes")):
        n = parse_uint(v)
        if k != want or n is None:
            raise ProtocolError(f"ml_lib stats: bad line '{k}: {v}'")
        vals.append(n)
    return MlLibStats(*vals)


def parse_mode(text: str) -> Optional[int]:
    """"emergency\\n" .. "recommendation\\n" -> 1..4; None otherwise."""
    if not text.endswith("\n"):
        return None
    name = text[:-1]
    for m in range(uapi.ML_LIB_EMERGENCY_MODE, len(uapi.MODE_NAMES)):
        if name == uapi.MODE_NAMES[m]:
            return m
    return None


def parse_state(text: str) -> Optional[int]:
    if not text.endswith("\n"):
        return None
    name = text[:-1]
    return uapi.STATE_NAMES.index(name) if name in uapi.STATE_NAMES else None


def mode_name(mode: int) -> str:
    return uapi.MODE_NAMES[mode] if 0 <= mode < len(uapi.MODE_NAMES) else "?"


def state_name(state: int) -> str:
    return uapi.STATE_NAMES[state] if 0 <= state < len(uapi.STATE_NAMES) else "?"


def parse_efficiency(text: str) -> Optional[int]:
    """"%u.%03u\\n" -> thousandths (1.034 -> 1034); None otherwise."""
    if not text.endswith("\n"):
        return None
    whole, dot, milli = text[:-1].partition(".")
    w, m = parse_uint(whole), parse_uint(milli)
    if not dot or len(milli) != 3 or w is None or m is None:
        return None
    v = w * 1000 + m
    return v if v <= 0xFFFFFFFF else None


@dataclass(frozen=True)
class LoopStats:
    entries: Tuple[Tuple[str, int], ...] = field(default_factory=tuple)

    def get(self, key: str) -> Optional[int]:
        for k, v in self.entries:
            if k == key:
                return v
        return None

    def as_dict(self):
        return dict(self.entries)


def parse_loop_stats(text: str) -> LoopStats:
    out = []
    for k, v in parse_key_values(text):
        n = parse_uint(v)
        if n is None:
            raise ProtocolError(f"ml_loop stats: '{k}' is not a number: '{v}'")
        out.append((k, n))
    return LoopStats(tuple(out))

# SPDX-License-Identifier: GPL-2.0
"""The closed loop's 64-byte records (include/uapi/ml_loop.h,
docs/closed-loop.md) as dataclasses: decode what read(2) on /dev/mlloop
returns, encode what write(2) takes.  The Python twin of
src/agent/loop_records.cc, with the same validation on decode:

- exactly 64 bytes, magic ML_LOOP_RECORD_MAGIC, header size 64, known type;
- DATASET: seq_permille and distinct_permille <= 1000, default_window and
  best_window <= 256;
- FEEDBACK: mode EMERGENCY..RECOMMENDATION, applied_permille <= 1000,
  recommended_window <= 256 or ML_LOOP_NO_WINDOW (or, loop v2,
  ML_LOOP_POLICY_WINDOW), best_window <= 256, error == recommended - best
  (0 with no window or a policy);
- RECOMMENDATION: window <= 256.
Reserved words are not checked (a later kernel may use them).
"""
import struct
from dataclasses import dataclass
from typing import List, Optional, Union

from . import uapi
from .parse import ProtocolError

_HDR = struct.Struct("<IHHQ")                      # magic, type, size, epoch
_DATASET = struct.Struct("<IHHQ7I5I")
_FEEDBACK = struct.Struct("<IHHQ4I3QiI")
_RECOMMENDATION = struct.Struct("<IHHQ2I10I")
assert _HDR.size == 16
assert _DATASET.size == _FEEDBACK.size == _RECOMMENDATION.size == uapi.ML_LOOP_RECORD_SIZE


@dataclass(frozen=True)
class DatasetRecord:
    epoch: int = 0
    accesses: int = 0
    seq_permille: int = 0
    mean_run_x100: int = 0
    distinct_permille: int = 0
    default_window: int = 0
    best_window: int = 0
    phase_hint: int = 0


@dataclass(frozen=True)
class FeedbackRecord:
    epoch: int = 0
    mode: int = uapi.ML_LIB_EMERGENCY_MODE
    applied_permille: int = 0
    recommended_window: Optional[int] = None  # None: nothing in force
    best_window: int = 0
    cost_default: int = 0
    cost_recommended: int = 0
    cost_actual: int = 0
    error: int = 0
    efficiency_milli: int = 0
    policy: bool = False  # loop v2: a POLICY was in force (no single window)


@dataclass(frozen=True)
class RecommendationRecord:
    epoch: int = 0  # 0: from the next epoch on
    window: int = 0
    confidence_permille: int = 0


LoopRecord = Union[DatasetRecord, FeedbackRecord, RecommendationRecord]


def decode_record(data) -> LoopRecord:
    """One record; ProtocolError with the reason when it is not valid."""
    b = bytes(data)
    if len(b) != uapi.ML_LOOP_RECORD_SIZE:
        raise ProtocolError(f"record of {len(b)} bytes, not {uapi.ML_LOOP_RECORD_SIZE}")
    magic, rtype, size, epoch = _HDR.unpack_from(b)
    if magic != uapi.ML_LOOP_RECORD_MAGIC:
        raise ProtocolError(f"bad magic {magic}")
    if size != uapi.ML_LOOP_RECORD_SIZE:
        raise ProtocolError(f"header size {size}")
    if rtype == uapi.ML_LOOP_REC_DATASET:
        f = _DATASET.unpack(b)[4:11]
        if f[1] > 1000 or f[3] > 1000:
            raise ProtocolError("dataset permille above 1000")
        if f[4] > uapi.ML_LOOP_MAX_WINDOW or f[5] > uapi.ML_LOOP_MAX_WINDOW:
            raise ProtocolError("dataset window above ML_LOOP_MAX_WINDOW")
        return DatasetRecord(epoch, *f)
    if rtype == uapi.ML_LOOP_REC_FEEDBACK:
        (mode, applied, rec, best, cd, cr, ca, err, eff) = _FEEDBACK.unpack(b)[4:]
        if not uapi.ML_LIB_EMERGENCY_MODE <= mode <= uapi.ML_LIB_RECOMMENDATION_MODE:
            raise ProtocolError(f"feedback mode {mode}")
        if applied > 1000:
            raise ProtocolError("feedback applied_permille above 1000")
        none = rec == uapi.ML_LOOP_NO_WINDOW
        policy = rec == uapi.ML_LOOP_POLICY_WINDOW
        if not none and not policy and rec > uapi.ML_LOOP_MAX_WINDOW:
            raise ProtocolError(f"feedback recommended_window {rec}")
        if best > uapi.ML_LOOP_MAX_WINDOW:
            raise ProtocolError(f"feedback best_window {best}")
        want = 0 if none or policy else rec - best
        if err != want:
            raise ProtocolError(f"feedback error {err} is not recommended - best ({want})")
        return FeedbackRecord(epoch, mode, applied, None if none or policy else rec,
                              best, cd, cr, ca, err, eff, policy)
    if rtype == uapi.ML_LOOP_REC_RECOMMENDATION:
        window, conf = _RECOMMENDATION.unpack(b)[4:6]
        if window > uapi.ML_LOOP_MAX_WINDOW:
            raise ProtocolError(f"recommendation window {window}")
        return RecommendationRecord(epoch, window, conf)
    raise ProtocolError(f"unknown record type {rtype}")


def decode_records(data) -> List[LoopRecord]:
    """Every record of a buffer of whole records; ProtocolError (with the
    record's index) on the first invalid one."""
    b = bytes(data)
    if len(b) % uapi.ML_LOOP_RECORD_SIZE:
        raise ProtocolError(f"mlloop: {len(b)} bytes is not a whole number of records")
    out = []
    for i in range(0, len(b), uapi.ML_LOOP_RECORD_SIZE):
        try:
            out.append(decode_record(b[i:i + uapi.ML_LOOP_RECORD_SIZE]))
        except ProtocolError as e:
            raise ProtocolError(f"mlloop: record {i // uapi.ML_LOOP_RECORD_SIZE}: {e}") from None
    return out


def _u32(name, v):
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be an int, not {type(v).__name__}")
    if not 0 <= v <= 0xFFFFFFFF:
        raise ValueError(f"{name} {v} is outside 0..2^32-1")
    return v


def encode_record(rec: LoopRecord) -> bytes:
    """64 bytes; ValueError for values the format cannot carry (a window
    above 256, a mode out of range).  Reserved words are zero."""
    m, n = uapi.ML_LOOP_RECORD_MAGIC, uapi.ML_LOOP_RECORD_SIZE
    if isinstance(rec, RecommendationRecord):
        if _u32("window", rec.window) > uapi.ML_LOOP_MAX_WINDOW:
            raise ValueError(f"window {rec.window} is above ML_LOOP_MAX_WINDOW (256)")
        return _RECOMMENDATION.pack(m, uapi.ML_LOOP_REC_RECOMMENDATION, n, rec.epoch,
                                    rec.window, _u32("confidence_permille",
                                                     rec.confidence_permille), *[0] * 10)
    if isinstance(rec, DatasetRecord):
        if rec.default_window > uapi.ML_LOOP_MAX_WINDOW or \
                rec.best_window > uapi.ML_LOOP_MAX_WINDOW:
            raise ValueError("dataset window above ML_LOOP_MAX_WINDOW")
        return _DATASET.pack(m, uapi.ML_LOOP_REC_DATASET, n, rec.epoch, rec.accesses,
                             rec.seq_permille, rec.mean_run_x100, rec.distinct_permille,
                             rec.default_window, rec.best_window, rec.phase_hint, *[0] * 5)
    if isinstance(rec, FeedbackRecord):
        if not uapi.ML_LIB_EMERGENCY_MODE <= rec.mode <= uapi.ML_LIB_RECOMMENDATION_MODE:
            raise ValueError("feedback mode out of range")
        if (rec.recommended_window is not None and
                rec.recommended_window > uapi.ML_LOOP_MAX_WINDOW) or \
                rec.best_window > uapi.ML_LOOP_MAX_WINDOW:
            raise ValueError("feedback window above ML_LOOP_MAX_WINDOW")
        rw = (uapi.ML_LOOP_POLICY_WINDOW if rec.policy else
              uapi.ML_LOOP_NO_WINDOW if rec.recommended_window is None
              else rec.recommended_window)
        return _FEEDBACK.pack(m, uapi.ML_LOOP_REC_FEEDBACK, n, rec.epoch, rec.mode,
                              rec.applied_permille, rw, rec.best_window, rec.cost_default,
                              rec.cost_recommended, rec.cost_actual, rec.error,
                              rec.efficiency_milli)
    raise TypeError(f"not a loop record: {type(rec).__name__}")


def record_type_name(rec: LoopRecord) -> str:
    return {DatasetRecord: "DATASET", FeedbackRecord: "FEEDBACK",
            RecommendationRecord: "RECOMMENDATION"}[type(rec)]

# SPDX-License-Identifier: GPL-2.0
"""Checks of every client method against a fresh instance at ROOT.

Run in-process with the FUSE door (test_clients.py) and, unchanged, in a
subprocess under the preload door:
    mlcore-emu run --instance N -- /usr/bin/python3 client_checks.py CHECK /
which prints "ok CHECK" or the traceback.  Each check starts from a fresh
instance (seed 1, clock fixed:1767225600)."""
import errno
import os
import struct
import sys
import traceback

from mlcore_agent import MlcoreClient, MlLibClient, MlLoopClient, ProtocolError
from mlcore_agent.records import DatasetRecord, FeedbackRecord

STAMP = "2026-01-01 00:00:00"


def _raises(exc, fn, *a, err=None):
    try:
        fn(*a)
    except exc as e:
        if err is not None:
            assert e.errno == err, f"{fn.__name__}: errno {e.errno}, expected {err}"
        return e
    raise AssertionError(f"{getattr(fn, '__name__', fn)}{a} did not raise {exc.__name__}")


def check_send_set_get(root):
    c = MlcoreClient(root)
    c.send_features([150, -250, 2147483647])
    c.set_result(-7)
    assert c.get_result() == -7
    c.set_result(2**31 - 1)
    assert c.get_result() == 2**31 - 1
    r = c.read_result_history()
    assert r.current == 2**31 - 1 and [h.value for h in r.history] == [-7, 2**31 - 1]
    assert all(h.stamp == STAMP and h.time == 1767225600 for h in r.history)


def check_history_ring(root):
    c = MlcoreClient(root)
    for v in range(12):
        c.set_result(v)
    r = c.read_result_history()
    assert [h.value for h in r.history] == list(range(2, 12)), r
    assert [h.index for h in r.history] == list(range(10))


def check_training(root):
    c = MlcoreClient(root)
    c.clear_training()
    assert c.read_training() == []
    c.add_training([510, -5, 20], 2)
    c.add_training((-2147483648, 0, 100), -1)
    rows = c.read_training()
    assert rows[0].features == (510, 5, 20) and rows[0].exact == (True, False, False)
    assert rows[0].label == 2 and not rows[0].all_exact
    assert rows[1].features == (-2147483648, 0, 100) and rows[1].all_exact
    assert rows[1].label == -1
    for i in range(60):
        c.add_training([100 + i, 200, 300], i)
    assert len(c.read_training()) == 50  # the driver keeps 50, drops silently
    c.clear_training()
    assert c.read_training() == []


def check_numpy_features(root):
    import numpy as np
    c = MlcoreClient(root)
    c.send_features(np.array([1, 2, 3], dtype=np.int64))
    c.add_training(np.array([100, 200, 300], dtype=np.int32), np.int16(1))
    assert c.read_training()[0].features == (100, 200, 300)


def check_bad_arguments_send_nothing(root):
    c = MlcoreClient(root)
    c.set_result(5)
    before = (open(os.path.join(root, "proc/mlcore_result")).read(),
              open(os.path.join(root, "proc/mlcore_train")).read())
    for fn, args, exc in [
            (c.send_features, ([1, 2],), ValueError),
            (c.send_features, ([1, 2, 3, 4],), ValueError),
            (c.send_features, ([1, 2, 2**31],), ValueError),
            (c.send_features, ([1, 2, -2**31 - 1],), ValueError),
            (c.send_features, ([1.5, 2, 3],), TypeError),
            (c.send_features, ([True, 2, 3],), TypeError),
            (c.send_features, ("abc",), TypeError),
            (c.send_features, (7,), TypeError),
            (c.set_result, (2**31,), ValueError),
            (c.set_result, ("1",), TypeError),
            (c.set_result, (1.0,), TypeError),
            (c.add_training, ([1, 2, 3], 2**40), ValueError),
            (c.add_training, ([1, 2], 0), ValueError),
            (c.add_training, ([1, 2, None], 0), TypeError)]:
        _raises(exc, fn, *args)
    after = (open(os.path.join(root, "proc/mlcore_result")).read(),
             open(os.path.join(root, "proc/mlcore_train")).read())
    assert before == after
    assert c.get_result() == 5
    m = MlLoopClient(root)
    _raises(ValueError, m.write_recommendation, 257)
    _raises(ValueError, m.write_recommendation, -1)
    _raises(TypeError, m.write_recommendation, 4.0)
    _raises(ValueError, m.write_recommendation, 4, 2**32)
    _raises(ValueError, m.write_recommendation, 4, 0, -1)
    _raises(ValueError, m.step, -1)
    assert m.stats().get("recommendations_refused") == 0
    assert m.stats().get("recommendations_accepted") == 0


def check_kernel_errors(root):
    c = MlcoreClient(root, os.O_RDONLY)
    m = MlLibClient(root)
    _raises(OSError, m.set_size, 1025, err=errno.EINVAL)
    _raises(OSError, m.control, "bogus", err=errno.EOPNOTSUPP)
    loop = MlLoopClient(root)
    loop.stop()
    _raises(OSError, loop.step, 1, err=errno.EAGAIN)
    loop.start()
    _raises(OSError, loop.step, 0, err=errno.EINVAL)
    _raises(OSError, loop.step, 10001, err=errno.EINVAL)
    bad = bytearray(64)
    _raises(OSError, loop.write_raw, bytes(bad), err=errno.EINVAL)
    assert loop.stats().get("recommendations_refused") == 1
    _raises(OSError, MlcoreClient, os.path.join(root, "nowhere"), err=errno.ENOENT)
    c.close()


def check_get_result_guard(root):
    # The guard's buffer is 16 bytes of 0xA5; the driver copies 4.
    c = MlcoreClient(root)
    c.set_result(0x01020304)
    assert c.get_result() == 0x01020304
    import fcntl
    from mlcore_agent import uapi
    buf = bytearray([0xA5]) * 16
    fcntl.ioctl(c.fileno(), uapi.IOCTL_GET_RESULT, buf, True)
    assert buf[:4] == struct.pack("<i", 0x01020304) and buf[4:] == b"\xa5" * 12


def check_ml_lib(root):
    m = MlLibClient(root)
    assert m.buffer_size() == 1024 and m.data_size() == 0
    assert m.get_size() == 0 and m.read_dataset() == b""
    m.prepare_dataset()  # 1024 bytes of one value
    assert m.data_size() == 1024 and m.get_size() == 1024
    data = m.read_dataset()
    assert len(data) == 1024 and data == bytes([data[0]]) * 1024
    arr = m.read_dataset_array()
    assert arr.dtype.name == "uint8" and arr.shape == (1024,) and bytes(arr) == data
    assert m.write_recommendations(b"hello") == 5
    assert m.write_recommendations(memoryview(b"xyz"), offset=1022) == 2  # short
    _raises(OSError, m.write_recommendations, b"x", 1024, err=errno.ENOSPC)
    _raises(TypeError, m.write_recommendations, "text")
    assert m.data_size() == 1024, "writes do not change it"
    m.set_size(100)
    m.reset()
    assert m.data_size() == 0 and m.get_size() == 0
    st = m.stats()
    assert st.opens == m.access_count() >= 1 and st.writes >= 2, st
    maj, mnr = m.dev_numbers().split(":")
    assert maj.isdigit() and mnr.isdigit()
    info = dict(m.proc_info())
    assert info["Device name"] == "mllibdev", info
    assert m.control("start") == 5
    m.stop()
    m.discard_dataset()
    m.start()
    m.close()


def check_loop(root):
    loop = MlLoopClient(root)
    loop.reset()
    assert loop.drain() == []
    assert loop.pending() == 0
    loop.start()
    assert loop.state() in (3, 4)
    loop.step(3)
    assert loop.pending() == 6
    recs = loop.read_records(1)
    assert len(recs) == 1 and isinstance(recs[0], DatasetRecord) and recs[0].epoch == 1
    rest = loop.drain()
    assert [type(r).__name__ for r in rest] == ["FeedbackRecord", "DatasetRecord",
                                               "FeedbackRecord", "DatasetRecord",
                                               "FeedbackRecord"]
    fb = rest[0]
    assert isinstance(fb, FeedbackRecord) and fb.recommended_window is None and fb.error == 0
    assert loop.mode() == 1 and loop.efficiency_milli() == 1000
    loop.write_recommendation(16, 900)
    loop.step(1)
    d, f = loop.drain()
    assert f.recommended_window == 16 and f.error == 16 - f.best_window
    assert loop.stats().get("recommendations_accepted") == 1
    assert loop.stats().get("epochs") == 4
    # v2: cost_best, right after cost_actual, never above what was paid
    # over the epochs nor above the default (the best window is one of the
    # windows, the default's included).
    st = loop.stats()
    keys = list(st.as_dict())
    assert keys[keys.index("cost_actual") + 1] == "cost_best", keys
    assert 0 < st.cost_best <= min(st.get("cost_default"), st.get("cost_actual")), st
    assert loop.read_records(0) == []
    loop.prepare_dataset()
    loop.discard_dataset()
    loop.stop()
    assert loop.state() == 5
    assert loop.supports_policy() in (True, False)
    loop.close()


def check_context_managers(root):
    with MlcoreClient(root) as c:
        fd = c.fileno()
        assert fd >= 0
    _raises(OSError, os.fstat, fd, err=errno.EBADF)


CHECKS = sorted(n[len("check_"):] for n in dir(sys.modules[__name__]) if n.startswith("check_"))


def main():
    name, root = sys.argv[1], sys.argv[2]
    try:
        globals()["check_" + name](root)
    except Exception:  # noqa: BLE001 - reported to the parent
        traceback.print_exc()
        return 1
    print(f"ok {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

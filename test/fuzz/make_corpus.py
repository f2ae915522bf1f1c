#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Writes the seed inputs of test/fuzz/corpus/<harness>/.

Each harness decodes its input with libFuzzer's FuzzedDataProvider, which
takes integers from the END of the input (most significant byte first) and
byte strings from the FRONT.  Enc below encodes a sequence of operations
the same way, so each seed is a meaningful input: every real command,
valid records, the refusals, the faults.  Check a seed decodes as meant
with MLC_FUZZ_TRACE=1 build-fuzz/test/fuzz/<harness> <seed>.

    /usr/bin/python3 test/fuzz/make_corpus.py [corpus-dir]

After a long run the corpus is minimized with -merge=1 (docs/fuzzing.md);
this script gives the seeds it starts from.
"""
import hashlib
import os
import struct
import sys

M64 = (1 << 64) - 1


class Enc:
    def __init__(self):
        self.front = bytearray()
        self.back = bytearray()  # integer bytes, in the order consumed

    def int(self, v, lo, hi, bits):
        """ConsumeIntegralInRange<T>(lo, hi) == v, T of `bits` bits."""
        assert lo <= v <= hi, (v, lo, hi)
        rng = (hi - lo) & M64
        x = (v - lo) & M64
        n, off = 0, 0
        while off < bits and (rng >> off) > 0:
            n, off = n + 1, off + 8
        for i in range(n - 1, -1, -1):
            self.back.append((x >> (8 * i)) & 0xFF)
        return self

    def u32(self, v):
        return self.int(v, 0, (1 << 32) - 1, 32)

    def i32(self, v):
        return self.int(v, -(1 << 31), (1 << 31) - 1, 32)

    def i64(self, v):
        return self.int(v, -(1 << 63), (1 << 63) - 1, 64)

    def bool(self, b):
        return self.int(1 if b else 0, 0, 255, 8)

    def bytes(self, b):
        self.front += b
        return self

    def string(self, s, max_len):
        """ConsumeRandomLengthString(max_len) == s."""
        s = s.encode() if isinstance(s, str) else s
        assert len(s) <= max_len
        self.front += s.replace(b"\\", b"\\\\")
        if len(s) < max_len:
            self.front += b"\\x"
        return self

    def data(self):
        return bytes(self.front) + bytes(reversed(self.back))


def fault(e, at=0, prefix=0):
    e.int(at, 0, 3, 32)
    if at:
        e.int(prefix, 0, 64, 64)


# --- fuzz_mlcore_ioctl ------------------------------------------------------
IOCTL_SEND_INTS = 0x400C6800
IOCTL_SET_RESULT = 0x40046801
IOCTL_GET_RESULT = 0x80086802
IOCTL_ADD_TRAINING = 0x40106803
IOCTL_CLEAR_TRAINING = 0x00006804
MLCORE_CMDS = [IOCTL_SEND_INTS, IOCTL_SET_RESULT, IOCTL_GET_RESULT,
               IOCTL_ADD_TRAINING, IOCTL_CLEAR_TRAINING]


def mlcore_op(e, cmd, arg=b"", offset=0, at=0, prefix=0, repeat=1):
    if cmd in MLCORE_CMDS:
        e.int(MLCORE_CMDS.index(cmd), 0, 5, 32)
    else:
        e.int(5, 0, 5, 32).u32(cmd)
    e.int(offset, -8, 40, 32)
    e.int(len(arg), 0, 16, 64).bytes(arg)
    fault(e, at, prefix)
    e.int([1, 2, 11, 51].index(repeat), 0, 3, 32)


def mlcore_seeds():
    ints = lambda *v: struct.pack("<%di" % len(v), *v)
    seeds = {}
    for name, cmd, arg in [
        ("send_ints", IOCTL_SEND_INTS, ints(150, -250, 99)),
        ("set_result", IOCTL_SET_RESULT, ints(42)),
        ("get_result", IOCTL_GET_RESULT, b""),
        ("add_training", IOCTL_ADD_TRAINING, ints(100, 200, -5, 1)),
        ("clear_training", IOCTL_CLEAR_TRAINING, b""),
        ("doc_send_ints_0x6800", 0x6800, ints(1, 2, 3)),
        ("unknown_cmd", 0xDEADBEEF, b""),
    ]:
        e = Enc().int(0, 0, 2, 32)
        mlcore_op(e, cmd, arg)
        seeds[name] = e
    e = Enc().int(0, 0, 2, 32)
    for cmd, arg in [(IOCTL_SEND_INTS, ints(1, 2, 3)), (IOCTL_SET_RESULT, ints(7)),
                     (IOCTL_GET_RESULT, b""), (IOCTL_ADD_TRAINING, ints(1, 2, 3, 1)),
                     (IOCTL_CLEAR_TRAINING, b"")]:
        mlcore_op(e, cmd, arg)
    seeds["every_command"] = e
    e = Enc().int(0, 0, 2, 32)
    for i in range(4):
        mlcore_op(e, IOCTL_SET_RESULT, ints(i - 3))
    mlcore_op(e, IOCTL_SET_RESULT, ints(-99), repeat=11)
    mlcore_op(e, IOCTL_GET_RESULT)
    seeds["history_wraps"] = e
    e = Enc().int(0, 0, 2, 32)
    mlcore_op(e, IOCTL_ADD_TRAINING, ints(-150, 250, -5, 1), repeat=51)
    mlcore_op(e, IOCTL_ADD_TRAINING, ints(1, 2, 3, 0), repeat=2)
    seeds["training_full"] = e
    for res in (1, 2):
        e = Enc().int(res, 0, 2, 32)
        mlcore_op(e, IOCTL_SET_RESULT, ints(5))
        seeds["logfile_fails_%d" % res] = e
    e = Enc().int(0, 0, 2, 32)
    mlcore_op(e, IOCTL_SEND_INTS, ints(1, 2, 3), offset=24)        # runs off the end
    mlcore_op(e, IOCTL_SET_RESULT, ints(9), offset=-2)             # starts before it
    mlcore_op(e, IOCTL_GET_RESULT, offset=30)
    mlcore_op(e, IOCTL_ADD_TRAINING, ints(1, 2, 3, 4), at=1, prefix=15)
    mlcore_op(e, IOCTL_GET_RESULT, at=1, prefix=2)
    mlcore_op(e, IOCTL_GET_RESULT, offset=28)                      # fits exactly
    seeds["faults"] = e
    return seeds


# --- fuzz_ml_lib_dev --------------------------------------------------------
IOCRESET, IOCGETSIZE, IOCSETSIZE = 0x00004D00, 0x80044D01, 0x40044D02


class MlLib:
    def __init__(self):
        self.e = Enc()

    def op(self, n):
        self.e.int(n, 0, 7, 32)
        return self

    def open(self):
        return self.op(0)

    def release(self):
        return self.op(1)

    def rw(self, write, count, pos=None, off=0, data=b"", at=0, prefix=0):
        e = self.op(3 if write else 2).e
        e.int(count, 0, 1100, 64).bool(pos is not None).int(pos or 0, -2, 1100, 64)
        e.int(off, -16, 2048, 64)
        if write:
            e.int(len(data), 0, 64, 64).bytes(data)
        fault(e, at, prefix)
        return self

    def lseek(self, offset, whence):
        self.op(4).e.int(offset, -2000, 2000, 64).int(whence, 0, 5, 32)
        return self

    def ioctl(self, cmd, arg=0, off=0, at=0, prefix=0):
        e = self.op(5).e
        cmds = [IOCRESET, IOCGETSIZE, IOCSETSIZE]
        if cmd in cmds:
            e.int(cmds.index(cmd), 0, 3, 32)
        else:
            e.int(3, 0, 3, 32).u32(cmd)
        e.int(off, -8, 2048, 64).u32(arg).bool(False)
        fault(e, at, prefix)
        return self

    def control(self, text, off=0, at=0, prefix=0):
        e = self.op(6).e
        e.string(text, 64).int(off, -8, 2048, 64)
        fault(e, at, prefix)
        return self

    def render(self):
        return self.op(7)


def ml_lib_seeds():
    s = {}
    s["open_write_read"] = (MlLib().open().rw(True, 16, data=b"recommendation!!")
                            .lseek(0, 0).rw(False, 100).release())
    s["prepare_then_read_all"] = (MlLib().open().control("prepare_dataset")
                                  .rw(False, 1024).rw(False, 10).render())
    s["pread_edges"] = (MlLib().control("prepare_dataset").rw(False, 5, pos=1023)
                        .rw(False, 5, pos=1024).rw(False, 5, pos=-1)
                        .rw(True, 3, pos=1024, data=b"abc").rw(True, 3, pos=1022, data=b"xyz"))
    s["ioctls"] = (MlLib().ioctl(IOCGETSIZE).ioctl(IOCSETSIZE, 512).ioctl(IOCSETSIZE, 1025)
                   .ioctl(IOCRESET).ioctl(0x4D03).ioctl(IOCGETSIZE, off=2046))
    s["controls"] = MlLib()
    for w in ["start", "stop", "prepare_dataset", "discard_dataset", "bogus", "s",
              "start\n", ""]:
        s["controls"].control(w)
    s["lseeks"] = (MlLib().lseek(10, 0).lseek(-20, 1).lseek(5, 2).lseek(0, 3)
                   .lseek(0, 4).lseek(0, 5))
    s["faults"] = (MlLib().control("prepare_dataset").rw(False, 100, off=2000)
                   .rw(True, 32, data=b"0123456789abcdef0123456789abcdef", at=1, prefix=7)
                   .control("stop", at=1, prefix=2).ioctl(IOCSETSIZE, 3, off=-4)
                   .rw(False, 10, off=-16))
    return {k: v.e for k, v in s.items()}


# --- fuzz_control_parser: raw bytes ------------------------------------------
def parser_seeds():
    words = [b"start", b"stop", b"prepare_dataset", b"discard_dataset", b"step 1",
             b"step 5\n", b"step\t10000", b"step 10001", b"step 0", b"step",
             b"step x", b"step 3 junk", b"step 2\x00junk", b"reset", b"reset\n",
             b"s", b"st", b"ste", b"r", b"p", b"d", b"stop\n", b"x", b"",
             b"prepare_dataset and more", b"s" * 5000]
    return {("w%02d_" % i) + hashlib.sha1(w).hexdigest()[:8]: w for i, w in enumerate(words)}


# --- fuzz_loop_dev ----------------------------------------------------------
MAGIC = 0x4D4C4F50


class Loop:
    def __init__(self):
        self.e = Enc()

    def op(self, n):
        self.e.int(n, 0, 4, 32)
        return self

    def write(self, recs, cut=0, grow=False, at=0, prefix=0):
        """recs: list of ('rec', window, conf) | ('type', t, window, conf) | ('raw', bytes),
        each optionally followed by patches [(off, bytes)]."""
        e = self.op(0).e
        e.int(len(recs), 0, 5, 32)
        for r in recs:
            patches = r[-1] if isinstance(r[-1], list) else []
            if r[0] == "raw":
                e.int(2, 0, 2, 32).bytes(r[1])
            else:
                e.int(0 if r[0] == "rec" else 1, 0, 2, 32)
                if r[0] == "rec":
                    e.int(r[1], 0, 256, 32).int(r[2], 0, 1000, 32)
                else:
                    e.int(r[2], 0, 256, 32).int(r[3], 0, 1000, 32).int(r[1], 0, 5, 16)
            e.int(len(patches), 0, 3, 32)
            for off, b in patches:
                e.int(off, 0, 63, 64).int(len(b), 1, 8, 64).bytes(b)
        e.bool(cut != 0)
        if cut:
            e.int(cut, 0, 63, 64)
        fault(e, at, prefix)
        return self

    def read(self, count, off=0, at=0, prefix=0):
        self.op(1).e.int(count, 0, 520, 64).int(off, -64, 512, 64)
        fault(self.e, at, prefix)
        return self

    def ioctl(self, cmd=None, off=0, at=0, prefix=0):
        e = self.op(2).e
        e.bool(cmd is None)
        if cmd is not None:
            e.u32(cmd)
        e.int(off, -8, 512, 64)
        fault(e, at, prefix)
        return self

    WORDS = ["start", "stop", "reset", "prepare_dataset", "discard_dataset",
             "step 1", "step 2\n", "step 8", "step 3"]

    def control(self, text):
        e = self.op(3).e
        if text in self.WORDS:
            e.int(self.WORDS.index(text), 0, 9, 32)
        else:
            e.int(9, 0, 9, 32).string(text, 24)
        return self

    def render(self):
        return self.op(4)


def policy_record():
    """One POLICY record (FORMATS-v2.md): a single leaf of window 8."""
    hdr = struct.pack("<IHHQ", MAGIC, 4, 64, 0)
    body = struct.pack("<HHHH", 1, 0, 1, 0) + struct.pack("<BBHHH", 0xFF, 0, 8, 0, 0)
    return (hdr + body).ljust(64, b"\0")


def loop_seeds():
    s = {}
    s["start_step_read"] = Loop().control("start").control("step 1").read(128).render()
    s["agent_round"] = (Loop().control("start").write([("rec", 16, 900)]).control("step 2\n")
                        .ioctl().read(512).write([("rec", 0, 100), ("rec", 256, 1000)])
                        .control("step 8").read(300).render())
    s["refusals"] = (Loop().write([("rec", 8, 1, [(0, b"XXXX")])])
                     .write([("type", 1, 8, 1)]).write([("type", 4, 8, 1)])
                     .write([("rec", 8, 1, [(6, b"\x20\x00")])])
                     .write([("rec", 8, 1, [(16, b"\x01\x01\x00\x00")])])
                     .write([("rec", 8, 1)], cut=1).write([], cut=5).read(10))
    s["policy_record"] = Loop().control("start").write([("raw", policy_record())]).control("step 1")
    s["policy_two_records"] = Loop().write([("raw", policy_record()), ("raw", policy_record())])
    e = Loop().control("start")
    for _ in range(17):
        e.control("step 8")
    s["queue_overflow"] = e.ioctl().read(520).render()
    s["controls"] = Loop()
    for w in ["prepare_dataset", "discard_dataset", "step 1", "start", "step 3", "stop",
              "step 1", "reset", "bogus", "step 0", "step  4\n", "r"]:
        s["controls"].control(w)
    s["faults"] = (Loop().control("start").control("step 3").read(384, off=400)
                   .read(128, at=1, prefix=10).read(256, at=2, prefix=0)
                   .write([("rec", 4, 1), ("rec", 5, 1)], at=2, prefix=30)
                   .ioctl(off=510).ioctl(0x4C02).read(64, off=-64))
    return {k: v.e for k, v in s.items()}


# --- fuzz_seq_file ----------------------------------------------------------
class Seq:
    def __init__(self):
        self.e = Enc()

    def op(self, n):
        self.e.int(n, 0, 5, 32)
        return self

    def open(self, train=False, flags=0, root=False):
        self.op(0).e.bool(train).i32(flags).bool(root)
        return self

    def read(self, n, off=0, at=0, prefix=0):
        self.op(1).e.int(n, 0, 5000, 64).int(off, -8, 5000, 64)
        fault(self.e, at, prefix)
        return self

    def pread(self, n, pos, off=0, at=0, prefix=0):
        e = self.op(2).e.int(n, 0, 5000, 64)
        small = -2 <= pos <= 700
        e.bool(not small)
        e.int(pos, -2, 700, 64) if small else e.i64(pos)
        e.int(off, -8, 5000, 64)
        fault(e, at, prefix)
        return self

    def lseek(self, offset, whence):
        small = -300 <= offset <= 300
        e = self.op(3).e.bool(not small)
        e.int(offset, -300, 300, 64) if small else e.i64(offset)
        e.int(whence, 0, 5, 32)
        return self

    def change(self, which, arg=b"", advance=0):
        e = self.op(4).e.int(which, 0, 2, 32)
        e.bytes(arg.ljust(16, b"\0")[:16]).int(advance, 0, 100000, 64)
        return self

    def vfs(self, f_pos=0, i_size=0, offset=0, whence=0, flags=0, root=False, pos=0,
            count=0, cmd=0x5421, arg=1):
        e = self.op(5).e
        e.int(f_pos, 0, 1 << 20, 64).int(i_size, 0, 1 << 20, 64).i64(offset)
        e.int(whence, -1, 6, 32).i32(flags).bool(root).i64(pos).int(count, 0, M64, 64)
        e.bool(True).bool(False)                       # rw_check: read, not positional
        e.int(0o100444, 0, 0xFFFF, 16)                # i_mode
        e.int(4, 0, 7, 32).bool(False)                # access R_OK, not in root group
        e.i32(0)                                      # getfl setfl_now
        e.bool(False).bool(False).int(4096, 0, M64, 64)  # mmap check
        e.int(cmd, 0x541B, 0x5460, 32).bool(False).bool(True)
        e.i32(arg).int(0, 0, 7, 32).int(0, -4, 8, 32)
        return self


def seq_seeds():
    ints = lambda *v: struct.pack("<%di" % len(v), *v)
    s = {}
    s["result_small_reads"] = (Seq().change(0, ints(5)).change(0, ints(-3)).open()
                               .read(10).read(10).read(1000).read(10))
    s["train_lseek_pread"] = (Seq().change(1, ints(150, -250, 99, 1)).change(1, ints(1, 2, 3, 0))
                              .open(True).read(7).lseek(3, 0).read(7).lseek(-2, 1).read(100)
                              .pread(5, 0).pread(5, 1 << 40).pread(5, -1).lseek(-1, 0)
                              .lseek(10, 2).lseek(1 << 62, 0).read(10))
    s["change_between_reads"] = (Seq().change(0, ints(1)).open().read(20).change(0, ints(2), 86400)
                                 .read(20).lseek(0, 0).read(4096).change(2).read(1))
    s["open_flags"] = (Seq().open(False, 1, False).open(False, 2, True).read(10)
                       .open(True, 0o4000, False).read(10))
    s["faults"] = (Seq().change(0, ints(3)).open().read(100, off=4990).read(100, at=1, prefix=3)
                   .read(100, off=-8).read(0))
    s["vfs"] = (Seq().vfs().vfs(5, 10, 3, 2).vfs(0, 0, 0, 4, flags=2, cmd=0x5452, arg=1)
                .vfs(offset=-5, whence=1, cmd=0x541B).vfs(flags=0o40000, cmd=0x5460))
    return {k: v.e for k, v in s.items()}


# --- fuzz_instance_attach ---------------------------------------------------
N_FIELDS = 50  # kFields in fuzz_instance_attach.cc
F = {n: i for i, n in enumerate([
    "magic", "layout_version", "segment_size", "clock_fixed", "clock_epoch_sec",
    "seeded", "rng_state", "lock", "latest_result", "hist_index", "hist_count",
    "train_count", "stamp0", "data_size", "recommendations_size", "model1.mode",
    "model1.state", "model1.name", "model1.dataset.state", "loop.mode",
    "loop.state", "rec_window", "quality_milli", "q_head", "q_count", "wl.phase",
    "wl.nstreams", "wl.cur", "act.next", "def.window", "klog.shift",
    "klog.desc_shift", "klog.next_seq", "klog.first_seq", "klog.head",
    "journal.active", "journal.klog.cursor", "journal.klog.descs_saved",
    "journal.klog.bytes_saved", "journal.klog.overflow", "journal.klog.desc0.len",
    "klog.desc0.seq", "klog.desc0.begin", "klog.desc0.next_off", "klog.desc0.len",
    "klog.desc0.level", "klog.desc1.seq", "klog.desc1.begin", "klog.desc1.len",
    "klog.desc3.next_off"])}
assert len(F) == N_FIELDS


def instance(size_mode=0, size_arg=0, patches=()):
    e = Enc().int(size_mode, 0, 2, 32)
    if size_mode == 1:
        e.int(size_arg, 0, SEGMENT_SIZE, 64)
    elif size_mode == 2:
        e.int(size_arg, 1, 65536, 64)
    for field, b in patches:
        e.int(F[field], 0, N_FIELDS, 64).bytes(b)
    return e


SEGMENT_SIZE = None


def instance_seeds(segment_size):
    global SEGMENT_SIZE
    SEGMENT_SIZE = segment_size
    u32 = lambda v: struct.pack("<I", v)
    i32 = lambda v: struct.pack("<i", v)
    u64 = lambda v: struct.pack("<Q", v)
    return {
        "valid": instance(),
        "cut_to_header": instance(1, 64),
        "cut_by_one": instance(1, segment_size - 1),
        "grown": instance(2, 4096),
        "old_layout": instance(patches=[("layout_version", u32(2))]),
        "wrong_size_field": instance(patches=[("segment_size", u64(segment_size + 8))]),
        "bad_magic": instance(patches=[("magic", b"NOTOURS!")]),
        "hist_count_11": instance(patches=[("hist_count", i32(11))]),
        "hist_index_negative": instance(patches=[("hist_index", i32(-4))]),
        "train_count_51": instance(patches=[("train_count", i32(51))]),
        "data_size_huge": instance(patches=[("data_size", i32(5000))]),
        "rec_size_negative": instance(patches=[("recommendations_size", i32(-1))]),
        "model_name_unterminated": instance(patches=[("model1.name", b"A" * 64)]),
        "model_state_99": instance(patches=[("model1.state", u32(99)), ("loop.mode", u32(9))]),
        "q_head_300": instance(patches=[("q_head", u32(300))]),
        "q_count_300": instance(patches=[("q_count", u32(300))]),
        "nstreams_0": instance(patches=[("wl.nstreams", u32(0))]),
        "stream_cur_99": instance(patches=[("wl.cur", u32(99))]),
        "klog_len_1000": instance(patches=[("klog.desc0.len", struct.pack("<H", 1000))]),
        "klog_seq_far": instance(patches=[("klog.next_seq", u64(1 << 62))]),
        "klog_shift_40": instance(patches=[("klog.shift", u32(40))]),
        "klog_desc_shift_3": instance(patches=[("klog.desc_shift", u32(3))]),
        "klog_first_behind": instance(patches=[("klog.first_seq", u64(0)),
                                               ("klog.next_seq", u64(9000)),
                                               ("journal.klog.cursor", u64(9000))]),
        "klog_head_far": instance(patches=[("klog.head", u64(1 << 40))]),
        "klog_begin_wild": instance(patches=[("klog.desc1.begin", u64((1 << 64) - 8))]),
        "klog_journal_undo": instance(patches=[("journal.active", u32(1)),
                                               ("journal.klog.descs_saved", u32(64)),
                                               ("journal.klog.bytes_saved", u32(16384)),
                                               ("journal.klog.overflow", u32(1))]),
        "lock_garbage": instance(patches=[("lock", b"\x01\x00\x00\x00\xff\xff\x00\x00" * 2)]),
        "clock_far": instance(patches=[("clock_fixed", u32(1)),
                                       ("clock_epoch_sec", u64(1 << 60))]),
    }


# Seeds the code on main crashes on (instance.cc validates no device state
# yet): written to test/fuzz/crashes/<harness>/, never into the corpus.
CRASHING = {
    "fuzz_instance_attach": {"hist_index_negative", "q_head_300", "stream_cur_99"},
}


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")
    seg = int(os.environ.get("MLC_SEGMENT_SIZE", "0"))
    sets = {
        "fuzz_mlcore_ioctl": mlcore_seeds(),
        "fuzz_ml_lib_dev": ml_lib_seeds(),
        "fuzz_control_parser": parser_seeds(),
        "fuzz_loop_dev": loop_seeds(),
        "fuzz_seq_file": seq_seeds(),
    }
    if seg:
        sets["fuzz_instance_attach"] = instance_seeds(seg)
    else:
        print("make_corpus: MLC_SEGMENT_SIZE not set; fuzz_instance_attach skipped",
              file=sys.stderr)
    crashes = os.path.join(os.path.dirname(os.path.abspath(root)), "crashes")
    for harness, seeds in sets.items():
        for name, e in seeds.items():
            # Inputs main crashes on are reproducers, not corpus.
            d = os.path.join(crashes if name in CRASHING.get(harness, ()) else root,
                             harness)
            os.makedirs(d, exist_ok=True)
            data = e if isinstance(e, bytes) else e.data()
            with open(os.path.join(d, "seed-" + name), "wb") as f:
                f.write(data)
        print("make_corpus: %s: %d seeds" % (harness, len(seeds)))


if __name__ == "__main__":
    main()

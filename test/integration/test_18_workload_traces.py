#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Area 16 (docs/closed-loop.md, "Workload traces"): real programs recorded
with `mlcore-emu trace record` and replayed by the closed loop.

Records tar over a directory tree made here, zstd of a file of some MB,
grep -r and a cc -c of a small C file, plus a small C program whose reads
are known to the byte (the mapping of files into the simulated file,
exactly); checks each trace is well-formed; replays each through the FUSE
door (`cat trace > ROOT/.../workload`) and the preload door (`mlcore-emu
run` on the same instance, Python's buffered write loop at the real path)
and checks every DATASET record's access features against the trace's
expansion computed here; `synthetic` returns to the generator; bad traces
are EINVAL with nothing changed and one warning each; `--loop-workload`
on serve and run; a statically linked command is refused.
"""
import errno
import os
import shlex
import shutil
import struct
import subprocess
import sys
import textwrap

import harness as h
import test_14_ml_loop as loop

TRACE_MAGIC = 0x3143524D        # "MRC1"
HEADER_FMT = "<IHHIIQ2I"        # 32 bytes
RUN_FMT = "<II"
EPOCH = 512
WORKLOAD_REL = "sys/class/ml_lib_loop/mlloop/ml_readahead/workload"
assert struct.calcsize(HEADER_FMT) == 32


def parse_trace(data):
    """(header dict, [(first, pages)]) of a trace file's bytes."""
    magic, version, hsize, file_pages, run_count, total, r0, r1 = \
        struct.unpack_from(HEADER_FMT, data, 0)
    runs = [struct.unpack_from(RUN_FMT, data, 32 + 8 * i) for i in range(run_count)]
    return dict(magic=magic, version=version, header_size=hsize,
                file_pages=file_pages, run_count=run_count, total_bytes=total,
                reserved=(r0, r1)), runs


def make_trace(file_pages, runs, **override):
    hdr = dict(magic=TRACE_MAGIC, version=1, header_size=32,
               file_pages=file_pages, run_count=len(runs),
               total_bytes=32 + 8 * len(runs), reserved=(0, 0))
    hdr.update(override)
    out = struct.pack(HEADER_FMT, hdr["magic"], hdr["version"], hdr["header_size"],
                      hdr["file_pages"], hdr["run_count"], hdr["total_bytes"],
                      *hdr["reserved"])
    return out + b"".join(struct.pack(RUN_FMT, f, p) for f, p in runs)


def expected_features(runs, epochs):
    """The DATASET fields the core computes over the replay, from run 0
    after a reset: (seq_permille, mean_run_x100, distinct_permille) each."""
    def accesses():
        while True:
            for first, pages in runs:
                yield from range(first, first + pages)
    it = accesses()
    last = None
    out = []
    for _ in range(epochs):
        ep = [next(it) for _ in range(EPOCH)]
        cont = 0
        for p in ep:
            cont += last is not None and p == last + 1
            last = p
        nruns = max(EPOCH - cont, 1)
        out.append((cont * 1000 // EPOCH, EPOCH * 100 // nruns,
                    len(set(ep)) * 1000 // EPOCH))
    return out


# Reads known to the byte: file A (5 pages + 100 bytes), file B, then A
# again; each line is what the recorder must see.
KNOWN_READS_C = r"""
#include <fcntl.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	static char buf[3 * 4096];
	struct iovec iov[2] = {{buf, 100}, {buf + 100, 4096}};
	int a = open(argv[1], O_RDONLY), b = open(argv[2], O_RDONLY);
	FILE *f;
	if (a < 0 || b < 0)
		return 2;
	if (read(a, buf, 8192) != 8192)             /* A pages 0-1 */
		return 3;
	if (read(a, buf, 4096) != 4096)             /* A page 2: merged */
		return 3;
	if (pread(b, buf, 10, 5000) != 10)          /* B page 1 */
		return 3;
	if (readv(a, iov, 2) != 4196)               /* A 12288..16483: pages 3-4 */
		return 3;
	if (pread(a, buf, 1, 100) != 1)             /* A page 0 */
		return 3;
	if (read(a, buf, 100) != 100)               /* A 16484..16583: page 4 */
		return 3;
	f = fopen(argv[2], "r");
	if (!f || fseek(f, 4096 * 3, SEEK_SET) || fread(buf, 1, 4096, f) != 4096)
		return 4;                           /* B page 3 */
	fclose(f);
	(void)!write(1, "done\n", 5);               /* not a read */
	return 0;
}
"""
# A's extent: pages 0..5 (20580 bytes), B's from 256: 4 pages (16384 bytes).
KNOWN_RUNS = [(0, 3), (257, 1), (3, 2), (0, 1), (4, 1), (259, 1)]
KNOWN_FILE_PAGES = 256 + 4

TREE_C = textwrap.dedent("""\
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <errno.h>
    int twice(int x) { return 2 * x; }
    int main(void) { printf("%d %s\\n", twice(21), strerror(ENOENT)); return EXIT_SUCCESS; }
    """)


class WorkloadTraceTest(loop.LoopCase):
    """Recordings made once; the tests run in name order on one instance."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.work = os.path.join(cls.base, "work")
        os.makedirs(cls.work)
        cls.workload = os.path.join(cls.root, WORKLOAD_REL)
        # A directory tree: 4 levels, files of 1 byte to 300 KB, some with
        # the needle grep looks for.
        cls.tree = os.path.join(cls.work, "tree")
        rnd = 12345
        for i in range(90):
            d = os.path.join(cls.tree, f"d{i % 4}", f"e{i % 3}", f"f{i % 2}")
            os.makedirs(d, exist_ok=True)
            rnd = (rnd * 1103515245 + 12345) % 2 ** 31
            size = 1 + rnd % 300000
            line = (b"needle " if i % 7 == 0 else b"hay ") + b"x" * 60 + b"\n"
            with open(os.path.join(d, f"file{i}.txt"), "wb") as f:
                f.write((line * (size // len(line) + 1))[:size])
        # Some MB of incompressible bytes for zstd.
        cls.big = os.path.join(cls.work, "big.bin")
        with open(cls.big, "wb") as f:
            f.write(os.urandom(6 * 1024 * 1024 + 123))
        with open(os.path.join(cls.work, "small.c"), "w") as f:
            f.write(TREE_C)
        # The program whose reads are known.
        cls.known_a = os.path.join(cls.work, "a.dat")
        cls.known_b = os.path.join(cls.work, "b.dat")
        with open(cls.known_a, "wb") as f:
            f.write(b"a" * (5 * 4096 + 100))
        with open(cls.known_b, "wb") as f:
            f.write(b"b" * (4 * 4096))
        with open(os.path.join(cls.work, "known.c"), "w") as f:
            f.write(KNOWN_READS_C)
        cls.known = os.path.join(cls.work, "known")
        subprocess.run(["cc", "-O1", "-o", cls.known, os.path.join(cls.work, "known.c")],
                       check=True, timeout=h.CMD_TIMEOUT)

        cls.traces = {}
        cls.summaries = {}
        for name, cmd, kw in (
                # GNU tar reads nothing when the archive is /dev/null itself
                # (it knows the bytes are thrown away): the archive goes to
                # a pipe instead.
                ("tar", ["tar", "-cf", "-", "tree"], dict(stdout=subprocess.PIPE)),
                ("zstd", ["zstd", "-q", "-c", "big.bin"], dict(stdout=subprocess.DEVNULL)),
                ("grep", ["grep", "-r", "needle", "tree"], dict(stdout=subprocess.PIPE)),
                ("cc", ["cc", "-c", "small.c", "-o", "small.o"], {}),
                ("known", [cls.known, cls.known_a, cls.known_b],
                 dict(stdout=subprocess.PIPE))):
            out = os.path.join(cls.work, f"{name}.mlt")
            p = subprocess.run([h.EMU, "trace", "record", "--out", out, "--", *cmd],
                               cwd=cls.work, stderr=subprocess.PIPE, text=True,
                               timeout=120, stdin=subprocess.DEVNULL,
                               **kw)
            if p.returncode != 0:
                raise AssertionError(f"trace record {name}: {p.returncode} {p.stderr}")
            with open(out, "rb") as f:
                cls.traces[name] = f.read()
            cls.summaries[name] = p.stderr.strip()
            print(f"# {name}: {p.stderr.strip()}", file=sys.stderr)

    # --- helpers -------------------------------------------------------------
    def cat_into_workload(self, path):
        return loop.sh(f"cat {shlex.quote(path)} > {shlex.quote(self.workload)}")

    def steps_after_reset(self, n):
        fd = self.open_loop()
        self.drain(fd)
        self.command(b"reset")
        self.command(f"step {n}".encode())
        return self.drain(fd)

    def features(self, recs):
        out = []
        for r in loop.decode(recs):
            if r["type"] == loop.DATASET:
                self.assertEqual(r["accesses"], EPOCH)
                out.append((r["seq_permille"], r["mean_run_x100"],
                            r["distinct_permille"]))
        return out

    def preload_run(self, *cmd, extra=()):
        """`mlcore-emu run` on this class's instance (its state dir)."""
        return subprocess.run(
            [h.EMU, "run", "--instance", self.emu.name, *extra, "--", *cmd],
            capture_output=True, text=True, env=self.emu.env,
            timeout=h.CMD_TIMEOUT, stdin=subprocess.DEVNULL)

    # --- the recordings ------------------------------------------------------
    def test_a_traces_are_well_formed(self):
        for name, data in self.traces.items():
            with self.subTest(trace=name):
                hdr, runs = parse_trace(data)
                self.assertEqual((hdr["magic"], hdr["version"], hdr["header_size"],
                                  hdr["reserved"]), (TRACE_MAGIC, 1, 32, (0, 0)))
                self.assertGreaterEqual(hdr["run_count"], 1)
                self.assertLessEqual(hdr["run_count"], 65536)
                self.assertEqual(hdr["total_bytes"], len(data))
                self.assertEqual(len(data), 32 + 8 * hdr["run_count"])
                self.assertTrue(1 <= hdr["file_pages"] <= 1 << 20)
                for first, pages in runs:
                    self.assertTrue(1 <= pages <= 65535, (first, pages))
                    self.assertLessEqual(first + pages, hdr["file_pages"])
                # Merged: no run continues the one before exactly (unless the
                # merge would pass 65535 pages).
                for (f0, p0), (f1, p1) in zip(runs, runs[1:]):
                    self.assertFalse(f0 + p0 == f1 and p0 + p1 <= 65535)
                self.assertIn(f"runs over {hdr['file_pages']} pages ({len(data)} bytes)",
                              self.summaries[name])

    def test_b_known_reads_map_exactly(self):
        hdr, runs = parse_trace(self.traces["known"])
        self.assertEqual(runs, KNOWN_RUNS)
        self.assertEqual(hdr["file_pages"], KNOWN_FILE_PAGES)
        self.assertIn("7 reads of 2 files -> 6 runs", self.summaries["known"])

    def test_c_what_each_program_read(self):
        tar_hdr, tar_runs = parse_trace(self.traces["tar"])
        tree_bytes = sum(os.path.getsize(os.path.join(d, f))
                         for d, _, fs in os.walk(self.tree) for f in fs)
        # tar read every file: at least as many pages as the tree has.
        self.assertGreaterEqual(sum(p for _, p in tar_runs), tree_bytes // 4096)
        self.assertIn("of 90 files", self.summaries["tar"])
        z_hdr, z_runs = parse_trace(self.traces["zstd"])
        self.assertIn("of 1 files", self.summaries["zstd"])
        # One file read front to back: one run of all its pages.
        pages = (os.path.getsize(self.big) + 4095) // 4096
        self.assertEqual((z_hdr["file_pages"], z_runs), (pages, [(0, pages)]))
        self.assertIn("of 90 files", self.summaries["grep"])
        cc_hdr, cc_runs = parse_trace(self.traces["cc"])
        # small.c and the headers it includes: several files.
        self.assertGreater(int(self.summaries["cc"].split(" of ")[1].split()[0]), 4)

    # --- replay through the FUSE door -------------------------------------------
    def test_d_replay_each_through_fuse(self):
        self.command(b"start")
        for name in ("tar", "zstd", "grep", "cc", "known"):
            with self.subTest(trace=name):
                mark = len(self.loop_lines())
                p = self.cat_into_workload(os.path.join(self.work, f"{name}.mlt"))
                self.assertEqual((p.returncode, p.stderr), (0, b""))
                hdr, runs = parse_trace(self.traces[name])
                self.assertEqual(self.loop_lines()[mark:],
                                 [f"<6>ml_loop: workload trace of {hdr['run_count']} "
                                  f"runs over {hdr['file_pages']} pages"])
                feats = self.features(self.steps_after_reset(6))
                self.assertEqual(feats, expected_features(runs, 6))
                print(f"# {name} replay (seq, mean_run_x100, distinct): {feats}",
                      file=sys.stderr)
        # zstd's one long run and tar's whole files are sequential.
        self.assertTrue(all(f[0] >= 990 for f in
                            expected_features(parse_trace(self.traces["zstd"])[1], 6)))
        self.assertGreater(min(f[0] for f in
                               expected_features(parse_trace(self.traces["tar"])[1], 6)),
                           700)

    def test_e_replay_through_the_preload_door_is_the_same(self):
        # Python's buffered write loop at the real path, in `mlcore-emu run`
        # on this instance; the records read back through FUSE.
        for name in ("tar", "cc"):
            with self.subTest(trace=name):
                src = os.path.join(self.work, f"{name}.mlt")
                p = self.preload_run(
                    "/usr/bin/python3", "-c",
                    "import sys\n"
                    "data = open(sys.argv[1], 'rb').read()\n"
                    "with open('/" + WORKLOAD_REL + "', 'wb') as f:\n"
                    "    n = f.write(data)\n"
                    "print(n)\n", src)
                self.assertEqual((p.returncode, p.stderr), (0, ""))
                self.assertEqual(p.stdout, f"{len(self.traces[name])}\n")
                feats = self.features(self.steps_after_reset(6))
                self.assertEqual(feats, expected_features(parse_trace(self.traces[name])[1], 6))
        # And cat inside `run`: the same bytes through the door's write path.
        p = self.preload_run("sh", "-c", f"cat {shlex.quote(os.path.join(self.work, 'zstd.mlt'))}"
                             f" > /{WORKLOAD_REL}")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(self.features(self.steps_after_reset(3)),
                         expected_features(parse_trace(self.traces["zstd"])[1], 3))

    def test_f_a_large_trace_in_4096_byte_chunks(self):
        # 3000 runs (24032 bytes): cat's 128 KiB writes each take 4096.
        runs = [(i * 7 % 5000, 1 + i % 5) for i in range(3000)]
        path = os.path.join(self.work, "large.mlt")
        with open(path, "wb") as f:
            f.write(make_trace(5005, runs))
        p = loop.sh(f"strace -f -e trace=write -o {shlex.quote(path)}.st cat "
                    f"{shlex.quote(path)} > {shlex.quote(self.workload)}"
                    if shutil.which("strace") else
                    f"cat {shlex.quote(path)} > {shlex.quote(self.workload)}")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        if shutil.which("strace"):
            with open(path + ".st") as f:
                writes = [l for l in f if " write(1," in l]
            self.assertEqual([l.rsplit("= ", 1)[1].strip() for l in writes],
                             ["4096"] * 5 + [str(24032 - 5 * 4096)])
        self.assertEqual(self.features(self.steps_after_reset(4)), expected_features(runs, 4))

    # --- synthetic and refusals ---------------------------------------------
    def test_g_synthetic_returns_to_the_generator(self):
        # The generator's records on a fresh instance with the same seed.
        other = h.Emu(self.emu.name + "-fresh", self.emu.state_dir)
        root2 = os.path.join(self.base, "root2")
        other.serve(root2, "--seed", "2026", clock=self.CLOCK)
        self.addCleanup(other.cleanup)
        model2 = os.path.join(root2, "sys/class/ml_lib_loop/mlloop/ml_readahead")
        with open(os.path.join(model2, "control"), "wb", buffering=0) as f:
            f.write(b"start")
        with open(os.path.join(model2, "control"), "wb", buffering=0) as f:
            f.write(b"step 5")
        with open(os.path.join(root2, "dev/mlloop"), "rb", buffering=0) as f:
            fresh = f.read(64 * 10)
        self.assertEqual(len(fresh), 640)

        self.assertEqual(self.cat_into_workload(os.path.join(self.work, "tar.mlt")).returncode, 0)
        self.assertNotEqual(self.steps_after_reset(5), fresh)
        mark = len(self.loop_lines())
        p = loop.sh(f"echo synthetic > {shlex.quote(self.workload)}")
        self.assertEqual((p.returncode, p.stderr), (0, b""))
        self.assertEqual(self.loop_lines()[mark:], ["<6>ml_loop: workload synthetic"])
        self.assertEqual(self.steps_after_reset(5), fresh)

    def test_h_bad_traces_are_einval_and_change_nothing(self):
        good_runs = parse_trace(self.traces["grep"])[1]
        good = self.traces["grep"]
        # A run with the good trace in force and no refusal: the reference.
        self.assertEqual(self.cat_into_workload(os.path.join(self.work, "grep.mlt")).returncode, 0)
        reference = self.steps_after_reset(4)
        self.assertEqual(self.features(reference), expected_features(good_runs, 4))

        big_runs = [(0, 1)] * 65537
        cases = {
            "truncated": (good[:len(good) - 5] if len(good) % 4096 != 5 else good[:-6],
                          "truncated: "),
            "wrong version": (good[:4] + struct.pack("<H", 2) + good[6:],
                              "version 2 (only 1)"),
            "too large": (make_trace(10, big_runs), "run_count 65537 outside 1..65536"),
            "pages beyond the file": (make_trace(100, [(0, 5), (98, 3)]),
                                      "run 1: pages 98..100 beyond the file's 100 pages"),
            "bad magic": (b"MLTR" + good[4:], "bad magic 0x52544c4d"),
        }
        fd = self.open_loop()
        for what, (data, reason) in cases.items():
            with self.subTest(bad=what):
                path = os.path.join(self.work, "bad.mlt")
                with open(path, "wb") as f:
                    f.write(data)
                self.drain(fd)
                self.command(b"reset")
                self.command(b"step 2")
                mark = len(self.loop_lines())
                p = self.cat_into_workload(path)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn(b"Invalid argument", p.stderr)
                lines = self.loop_lines()[mark:]
                self.assertEqual(len(lines), 1, lines)
                self.assertTrue(lines[0].startswith("<4>ml_loop: workload refused: " + reason),
                                lines)
                self.command(b"step 2")
                self.assertEqual(self.drain(fd), reference, "nothing changed")
        with self.subTest(bad="chunk at a wrong offset"):
            self.drain(fd)
            self.command(b"reset")
            self.command(b"step 2")
            mark = len(self.loop_lines())
            wfd = os.open(self.workload, os.O_WRONLY | os.O_CLOEXEC)
            try:
                big = make_trace(100, [(0, 1)] * 2000)
                self.assertEqual(os.write(wfd, big), 4096)
                os.lseek(wfd, 8192, os.SEEK_SET)
                self.assertErrno(errno.EINVAL, os.write, wfd, big[8192:])
            finally:
                os.close(wfd)
            self.assertEqual(self.loop_lines()[mark:],
                             ["<4>ml_loop: workload refused: chunk at offset 8192, expected 4096"])
            self.command(b"step 2")
            self.assertEqual(self.drain(fd), reference)
        with self.subTest("workload is write-only, even for root"):
            self.assertErrno(errno.EACCES, os.open, self.workload, os.O_RDONLY)

    # --- the command line -----------------------------------------------------
    def test_i_loop_workload_on_serve_and_run(self):
        zstd_path = os.path.join(self.work, "zstd.mlt")
        self.assertEqual(self.cat_into_workload(os.path.join(self.work, "grep.mlt")).returncode, 0)
        self.emu.stop(self.root)
        mark = len(self.loop_lines())
        self.emu.serve(self.root, "--loop-workload", zstd_path, clock=self.CLOCK)
        z_hdr, z_runs = parse_trace(self.traces["zstd"])
        self.assertEqual(self.loop_lines()[mark:],
                         [f"<6>ml_loop: workload trace of 1 runs over {z_hdr['file_pages']} pages"])
        self.assertEqual(self.features(self.steps_after_reset(3)), expected_features(z_runs, 3))

        # run: loaded before CMD starts; CMD sees it in force.
        mark = len(self.loop_lines())
        p = self.preload_run("true", extra=("--loop-workload",
                                            os.path.join(self.work, "cc.mlt")))
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(len(self.loop_lines()[mark:]), 1)
        self.assertEqual(self.features(self.steps_after_reset(2)),
                         expected_features(parse_trace(self.traces["cc"])[1], 2))
        # A refused trace: one line saying why, exit 1, CMD never runs.
        bad = os.path.join(self.work, "bad-magic.mlt")
        with open(bad, "wb") as f:
            f.write(b"XXXX" + self.traces["cc"][4:])
        p = self.preload_run("sh", "-c", "echo ran", extra=("--loop-workload", bad))
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        self.assertEqual(p.stderr, f"mlcore-emu: --loop-workload {bad}: ml_loop: workload "
                                   f"refused: bad magic 0x58585858\n")
        p = self.emu.run("serve", "--root", os.path.join(self.base, "root3"),
                         "--instance", self.emu.name, "--loop-workload",
                         os.path.join(self.work, "missing.mlt"))
        self.assertEqual(p.returncode, 1)
        self.assertIn("--loop-workload", p.stderr)
        self.assertIn("No such file or directory", p.stderr)

    def test_j_static_commands_cannot_be_traced(self):
        static = os.path.join(self.work, "static")
        with open(static + ".c", "w") as f:
            f.write("int main(void) { return 0; }\n")
        subprocess.run(["cc", "-static", "-o", static, static + ".c"], check=True,
                       timeout=h.CMD_TIMEOUT)
        cmds = [static]
        busybox = shutil.which("busybox")
        if busybox and b"statically linked" in subprocess.run(
                ["file", "-L", busybox], capture_output=True).stdout:
            cmds.append("busybox")
        for cmd in cmds:
            with self.subTest(cmd=cmd):
                out = os.path.join(self.work, "static.mlt")
                p = subprocess.run([h.EMU, "trace", "record", "--out", out, "--", cmd, "true"],
                                   capture_output=True, text=True, timeout=h.CMD_TIMEOUT)
                self.assertEqual((p.returncode, p.stdout, p.stderr),
                                 (1, "", f"mlcore-emu trace: {cmd} is statically linked; "
                                         "LD_PRELOAD cannot trace it\n"))
                self.assertFalse(os.path.exists(out))
        p = subprocess.run([h.EMU, "trace", "record", "--out", os.path.join(self.work, "n.mlt"),
                            "--", "true"], capture_output=True, text=True,
                           timeout=h.CMD_TIMEOUT)
        self.assertEqual((p.returncode, p.stderr),
                         (1, "mlcore-emu trace: recorded no file read\n"))
        p = subprocess.run([h.EMU, "trace", "--help"], capture_output=True, text=True,
                           timeout=h.CMD_TIMEOUT)
        self.assertEqual(p.returncode, 0)
        for section in ("SYNOPSIS", "HOW FILES MAP", "NOT RECORDED", "EXIT STATUS"):
            self.assertIn(section, p.stdout)


if __name__ == "__main__":
    h.main()

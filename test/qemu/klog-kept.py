#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The lines the guest kernel's printk ring kept after the conformance
scenarios, against the lines the emulator printed for the same scenarios
(run-conformance.sh; docs/architecture.md, "Kernel log").

    klog-kept.py KERNEL HOST EMULATOR [--shift 17]

KERNEL: busybox `dmesg -r -s 8388608` right after the kernel's run ("<L>[
  seconds] text", every record the ring kept).
HOST: `mlcore-emu dmesg --raw` of the host instance after the same run,
  served with a ring big enough to keep every line ("<L>text").
EMULATOR: the same of another instance after the same run, with the
  default ring (2^shift bytes).

The kernel must have kept exactly the newest N lines of that sequence (it
drops oldest first), and N must be a count its ring arithmetic allows: a
block of ALIGN(8 + min(len + 4, 992), 8) bytes a record, blocks never
reaching the end (the one that would goes to the next wrap's start), the
oldest dropped until the newest fits in 2^shift bytes and one descriptor
per 32 bytes.  Where the wrap falls depends on every line since boot,
which the kernel printed and the emulator did not: so every wrap point is
tried (the newest k blocks after it, a gap of 8..size of the first of
them before it), and the kernel's N must be one of the counts they give.
The emulator's ring starts empty, so its phase is known: it must have kept
exactly the newest lines the arithmetic gives for it (checked even when the
kernel's is not comparable).
Exit 0: conformant; 1: not; 77: the emulator's is, the kernel's is not
comparable (its ring still holds lines of its own: boot lines, or the ring
did not wrap).
"""
import bisect
import itertools
import re
import sys


def block(text):
    return (8 + min(len(text.encode()) + 4, 992) + 7) & ~7


def emulator_kept(lines, shift):
    """The ring of kernel_log.hpp (and the kernel's) from an empty start."""
    size, ndesc = 1 << shift, 1 << (shift - 5)
    begins, head, first = [], 0, 0
    for i, text in enumerate(lines):
        blk = block(text)
        nxt = head + blk
        if head // size != nxt // size:
            nxt = nxt // size * size + blk
        begins.append(head)
        while first < i and (begins[first] < nxt - size or first + ndesc <= i):
            first += 1
        head = nxt
    return len(lines) - first


def feasible_counts(lines, shift):
    """Every count the ring can keep of lines' newest ones, whatever the
    wrap's phase: k newest blocks tile [b, head) after the wrap point b;
    the one at b was moved there from b - g (8 <= g <= its size); older
    blocks end at b - g; every block beginning at or after head - size,
    and at most size / 32 of them, is kept."""
    size, ndesc = 1 << shift, 1 << (shift - 5)
    blocks = [block(t) for t in reversed(lines)]   # newest first
    prefix = list(itertools.accumulate(blocks, initial=0))
    counts = set()
    for k in range(1, len(blocks) + 1):
        after = prefix[k]                          # the k newest: [b, head)
        if after >= size:
            break
        for g in range(8, blocks[k - 1] + 1, 8):
            if after + g > size:                   # the moved one is dropped
                counts.add(min(k - 1, ndesc))
                break
            # older blocks end at b - g: keep while they begin >= head - size
            n = bisect.bisect_right(prefix, size - g - after + prefix[k]) - 1
            counts.add(min(max(n, k), ndesc))
    return counts


def main():
    args = sys.argv[1:]
    shift = 17
    if "--shift" in args:
        i = args.index("--shift")
        shift = int(args[i + 1])
        del args[i:i + 2]
    kernel_path, host_path, emu_path = args
    ts = re.compile(r"^(<[0-7]>)\[ *[0-9]+\.[0-9]+\] ?")
    kernel = [ts.sub(r"\1", l) for l in open(kernel_path, encoding="utf-8",
                                             errors="replace").read().splitlines()]
    host = open(host_path, encoding="utf-8", errors="replace").read().splitlines()
    texts = [l.split(">", 1)[1] for l in host]
    emu = open(emu_path, encoding="utf-8", errors="replace").read().splitlines()
    mine = emulator_kept(texts, shift)
    if emu != host[len(host) - mine:]:
        print(f"klog-kept: FAIL: the emulator's {1 << shift}-byte ring kept {len(emu)} "
              f"lines, not the newest {mine} of {len(host)} its arithmetic keeps")
        return 1
    n = len(kernel)
    known = set(host)
    own = [l for l in kernel if l not in known]
    if own:
        print(f"klog-kept: the emulator kept the newest {mine} of {len(host)} lines, as its "
              f"arithmetic does; the kernel's not compared: its ring still holds {len(own)} "
              f"lines of its own (first: {own[0]!r})")
        return 77
    if n > len(host) or host[-n:] != kernel:
        print(f"klog-kept: FAIL: the kernel kept {n} lines that are not the newest "
              f"{n} of the emulator's {len(host)}")
        return 1
    counts = feasible_counts(texts, shift)
    print(f"klog-kept: the kernel kept the newest {n} of {len(host)} lines; the "
          f"emulator's {1 << shift}-byte ring the newest {mine}; the kernel's "
          f"arithmetic allows {sorted(counts)} for any wrap phase")
    if n not in counts:
        print(f"klog-kept: FAIL: {n} is not a count the kernel's ring arithmetic "
              "gives: the record cost or the drop order differs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

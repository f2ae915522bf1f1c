#!/usr/bin/env python3
"""A small ML agent for the mlcore driver, using only the standard library.

It talks to the device exactly as it would on a real kernel: ioctls on
/dev/mlcore and reads of /proc/mlcore_train and /proc/mlcore_result.  Give it
a root directory to use an emulator mount (ROOT/dev/mlcore, ROOT/proc/...),
or "/" for the real driver.

  1. publishes a labelled training set with IOCTL_ADD_TRAINING (the driver
     keeps at most 50 entries),
  2. reads the training set back from /proc/mlcore_train (fixed point, x100),
  3. trains a nearest-centroid classifier,
  4. for each held-out sample: IOCTL_SEND_INTS (the features), predicts, and
     IOCTL_SET_RESULT (the class), then checks it with IOCTL_GET_RESULT,
  5. prints its accuracy next to a majority-class baseline.
"""
import argparse
import fcntl
import os
import random
import re
import struct
import sys

IOCTL_SEND_INTS = 0x400C6800
IOCTL_SET_RESULT = 0x40046801
IOCTL_GET_RESULT = 0x80086802
IOCTL_ADD_TRAINING = 0x40106803
IOCTL_CLEAR_TRAINING = 0x00006804
MAX_TRAINING = 50

TRAIN_LINE = re.compile(r"^\[(\d+)\]: (-?\d+)\.(\d\d) (-?\d+)\.(\d\d) (-?\d+)\.(\d\d) => (-?\d+)$")


def synthetic_samples(seed, n):
    """Three classes around different centres, features in fixed point."""
    rng = random.Random(seed)
    centres = [(1.0, 2.0, 3.0), (4.0, 1.0, 0.5), (2.5, 4.5, 1.5)]
    out = []
    for i in range(n):
        label = i % len(centres)
        feats = [round((c + rng.gauss(0, 0.6)) * 100) for c in centres[label]]
        out.append((feats, label))
    rng.shuffle(out)
    return out


def parse_fixed(ip, frac):
    # The driver prints v/100 and abs(v%100): values in (-1, 0) lose their
    # sign, so "-0.xx" never appears and "0.xx" may be negative. Our data is
    # positive, so this reading is exact here.
    whole = int(ip)
    sign = -1 if ip.startswith("-") else 1
    return whole * 100 + sign * int(frac)


def read_training(root):
    with open(os.path.join(root, "proc/mlcore_train")) as f:
        rows = []
        for line in f:
            m = TRAIN_LINE.match(line.rstrip("\n"))
            if not m:
                raise ValueError(f"unexpected line in mlcore_train: {line!r}")
            g = m.groups()
            feats = [parse_fixed(g[1], g[2]), parse_fixed(g[3], g[4]), parse_fixed(g[5], g[6])]
            rows.append((feats, int(g[7])))
        return rows


def train_centroids(rows):
    sums, counts = {}, {}
    for feats, label in rows:
        acc = sums.setdefault(label, [0, 0, 0])
        for i in range(3):
            acc[i] += feats[i]
        counts[label] = counts.get(label, 0) + 1
    return {label: [s / counts[label] for s in acc] for label, acc in sums.items()}


def predict(centroids, feats):
    return min(centroids, key=lambda c: sum((feats[i] - centroids[c][i]) ** 2 for i in range(3)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", nargs="?", default="/", help="root of the device tree (default /)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the synthetic data set")
    ap.add_argument("--test", type=int, default=30, help="held-out samples to predict")
    args = ap.parse_args()

    dev = os.path.join(args.root, "dev/mlcore")
    try:
        fd = os.open(dev, os.O_RDWR)
    except OSError as e:
        sys.exit(f"mlcore_agent: cannot open {dev}: {e.strerror}")

    samples = synthetic_samples(args.seed, MAX_TRAINING + args.test)
    train, test = samples[:MAX_TRAINING], samples[MAX_TRAINING:]

    fcntl.ioctl(fd, IOCTL_CLEAR_TRAINING)
    for feats, label in train:
        fcntl.ioctl(fd, IOCTL_ADD_TRAINING, struct.pack("4i", *feats, label))
    rows = read_training(args.root)
    print(f"read {len(rows)} training entries back from /proc/mlcore_train")

    centroids = train_centroids(rows)
    majority = max(set(l for _, l in rows), key=[l for _, l in rows].count)
    correct = baseline = 0
    for feats, label in test:
        fcntl.ioctl(fd, IOCTL_SEND_INTS, struct.pack("3i", *feats))
        guess = predict(centroids, feats)
        fcntl.ioctl(fd, IOCTL_SET_RESULT, struct.pack("i", guess))
        out = bytearray(8)
        fcntl.ioctl(fd, IOCTL_GET_RESULT, out, True)
        if struct.unpack_from("i", out)[0] != guess:
            sys.exit("mlcore_agent: GET_RESULT does not return what SET_RESULT set")
        correct += guess == label
        baseline += majority == label
    os.close(fd)
    print(f"nearest-centroid accuracy: {correct}/{len(test)} = {correct / len(test):.2f}")
    print(f"majority-class baseline:   {baseline}/{len(test)} = {baseline / len(test):.2f}")


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The main job: `mlcore-emu demo` runs the whole closed learning loop in one
# command.  It serves a private, seeded instance with the FUSE door, runs
# the reference agents (src/agent/) against it -- the iris agent on
# /dev/mlcore, the closed-loop agent on /dev/mlloop, then a saboteur --
# prints a summary and writes the plot (./mlcore-demo.png unless --out).
# Needs the build from scripts/setup.sh, /dev/fuse, gnuplot and the iris
# data of python3-sklearn (both installed by scripts/setup.sh).
#   bash scripts/demo.sh [--out FILE.png] [--epochs N] [--seed N]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
emu=$here/build/mlcore-emu
[ -x "$emu" ] || { echo "demo: no build yet; run scripts/setup.sh first" >&2; exit 1; }
exec "$emu" demo "$@"	# in the caller's directory: the PNG lands there

#!/usr/bin/env bash
# Runs the whole test suite (unit, integration with real FUSE mounts, and
# benchmark smoke runs) on the build made by scripts/setup.sh.  Pass ctest
# options to narrow it, e.g.: bash scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/mlcore-emu ] || { echo "test: no build yet; run scripts/setup.sh first" >&2; exit 1; }
cmake --build --preset default -j"$(nproc)"
ctest --preset default -j2 "$@"

#!/usr/bin/env bash
# Builds the kernel modules from src/core/ unchanged, out of tree.
#
#   kernel/build.sh OUTDIR [KDIR]
#
# OUTDIR gets a tree of symlinks (see kernel/Kbuild) and the objects; the
# modules end up as OUTDIR/*.ko.  KDIR defaults to the build tree of
# Debian's linux-headers-amd64 (the newest /usr/src/linux-headers-*-amd64),
# or $KDIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${1:?usage: kernel/build.sh OUTDIR [KDIR]}
kdir=${2:-${KDIR:-}}
if [ -z "$kdir" ]; then
	kdir=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n1 || true)
	[ -n "$kdir" ] || { echo "kernel/build.sh: no /usr/src/linux-headers-*-amd64; apt-get install linux-headers-amd64 (or pass KDIR)" >&2; exit 1; }
fi

mkdir -p "$out/kernel" "$out/src/core"
out=$(cd "$out" && pwd)
ln -sfn "$here/Kbuild" "$out/Kbuild"
for f in "$here"/*.c "$here"/*.h; do
	[ -e "$f" ] && ln -sfn "$f" "$out/kernel/$(basename "$f")"
done
for f in "$repo"/src/core/*.c "$repo"/src/core/*.h; do
	ln -sfn "$f" "$out/src/core/$(basename "$f")"
done
ln -sfn "$repo/include" "$out/include"

make -C "$kdir" M="$out" -j"$(nproc)" modules
ls "$out"/*.ko

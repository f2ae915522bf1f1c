#!/usr/bin/env bash
# The harness must catch a driver that differs: builds mlcore.ko from a copy
# of src/core whose GET_RESULT copies 8 bytes instead of 4 (the bug the ABI
# warns about), runs a short suite against it and expects the difference to
# be reported.  Exit 0 when it is caught.
#   test/qemu/mutant-selftest.sh --bin-dir BUILD --work DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin_dir= work=
while [ $# -gt 0 ]; do
	case $1 in
	--bin-dir) bin_dir=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	*) echo "mutant-selftest: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$bin_dir" ] && [ -n "$work" ] || { echo "usage: $0 --bin-dir BUILD --work DIR" >&2; exit 2; }
bash "$here/setup-qemu.sh" --check >/dev/null || { echo "mutant-selftest: SKIPPED: packages missing" >&2; exit 77; }
[ "$(id -u)" = 0 ] || { echo "mutant-selftest: SKIPPED: needs root" >&2; exit 77; }

rm -rf "$work"
mkdir -p "$work"
kdir=$(ls -d /usr/src/linux-headers-*-amd64 | sort -V | tail -n1)
"$repo/kernel/build.sh" "$work/kmod" "$kdir" > "$work/kbuild.log" 2>&1
# The mutation, in a real file in place of the symlink to the core.
src=$work/kmod/src/core/mlcore_dev.c
rm "$src"
sed 's/MLCORE_GET_RESULT_LEN))/8))/' "$repo/src/core/mlcore_dev.c" > "$src"
if cmp -s "$src" "$repo/src/core/mlcore_dev.c"; then
	echo "mutant-selftest: the mutation no longer applies to src/core/mlcore_dev.c; update this script" >&2
	exit 1
fi
make -C "$kdir" M="$work/kmod" modules >> "$work/kbuild.log" 2>&1

set +e
out=$(bash "$here/run-conformance.sh" --bin-dir "$bin_dir" --work "$work/run" \
	--module "$work/kmod/mlcore.ko" --profile mlcore --seeds 1-1 --ops 50 \
	--label-kernel mutant 2>&1)
rc=$?
set -e
echo "$out"
if [ $rc -eq 1 ] && grep -q "FAIL: mutant differs" <<<"$out" &&
   grep -q '^+  mem +0:ffffffff00000000' <<<"$out"; then
	echo "mutant-selftest: the 8-byte GET_RESULT was caught"
	exit 0
fi
echo "mutant-selftest: FAIL: the harness did not report the mutant (exit $rc)" >&2
exit 1

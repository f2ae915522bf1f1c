#!/usr/bin/env bash
# `cpack -G DEB`, then the package as a user gets it: its fields (Depends
# from dpkg-shlibdeps plus fuse3, the demo's Recommends), a real `dpkg -i`
# on this machine, `mlcore-emu demo` run from /usr, and `dpkg --purge`,
# which restores the machine (checked).  Label "package".
#
# Why dpkg -i on the machine and not a scratch root: `dpkg --root` needs a
# whole Debian in that root for the Depends, and a chroot needs debootstrap
# and a mirror; the machine has the Depends, and the purge leaves nothing
# (every file of the package is checked gone).  A machine where a package
# named mlcore-emu is already installed is not touched (skip, exit 77).
# Concurrent runs are serialized with flock.
#   test/package/test-deb.sh BUILD-DIR
set -euo pipefail
build=$(realpath "$1")
skip() { echo "test-deb: SKIPPED: $*" >&2; exit 77; }
fail() { echo "test-deb: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
command -v dpkg-deb >/dev/null && command -v cpack >/dev/null || skip "no dpkg-deb or cpack"

tmp=$(mktemp -d /tmp/mlc-deb.XXXXXX)
installed=0
cleanup() {
	if [ "$installed" = 1 ]; then
		dpkg --purge mlcore-emu > "$tmp/purge.log" 2>&1 || cat "$tmp/purge.log" >&2
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

t0=$(date +%s)
(cd "$tmp" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out") \
	> "$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log" >&2; fail "cpack -G DEB"; }
deb=$(ls "$tmp"/out/mlcore-emu_*.deb 2>/dev/null | head -n1)
[ -f "$deb" ] || { cat "$tmp/cpack.log" >&2; fail "cpack made no .deb"; }
echo "test-deb: built ${deb##*/} ($(du -k "$deb" | cut -f1) KiB) in $(( $(date +%s) - t0 )) s"

# The fields: Depends from the real libraries, plus fuse3.
depends=$(dpkg-deb -f "$deb" Depends)
recommends=$(dpkg-deb -f "$deb" Recommends)
echo "test-deb: Depends: $depends"
echo "test-deb: Recommends: $recommends"
has_pkg() {	# FIELD-VALUE NAME: NAME is one of the field's packages
	tr ',' '\n' <<< "$1" | awk '{ print $1 }' | grep -qxF "$2"
}
for d in libfuse3-3 libfmt9 libstdc++6 libc6 fuse3; do
	has_pkg "$depends" "$d" || fail "Depends lacks $d"
done
for r in gnuplot-nox python3-sklearn; do
	has_pkg "$recommends" "$r" || fail "Recommends lacks $r"
done
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture"
dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's|^\./|/|' | grep -v '/$' > "$tmp/files"
for f in /usr/bin/mlcore-emu /usr/bin/mlc-agent-iris /usr/bin/mlc-agent-loop \
	 /usr/libexec/mlcore-emu/mlcore-cuse /usr/lib/mlcore-emu/libmlcore-preload.so \
	 /usr/share/man/man1/mlcore-emu.1 /usr/include/mlcore-emu/uapi/mlcore.h; do
	grep -qx "$f" "$tmp/files" || fail "the package lacks $f"
done

here=$(cd "$(dirname "$0")" && pwd)
if [ -d "$here/../../src/agent/python/mlcore_agent" ]; then
	grep -qx /usr/lib/python3/dist-packages/mlcore_agent/__init__.py "$tmp/files" ||
		fail "the package lacks the Python SDK in /usr/lib/python3/dist-packages (where /usr/bin/python3 looks)"
fi

# Install for real (one test at a time on this machine).
exec 9> /run/lock/mlcore-emu-deb-test.lock
flock -w 600 9 || fail "another package test holds the lock"
if dpkg-query -W -f '${Status}' mlcore-emu 2>/dev/null | grep -q installed; then
	skip "a package mlcore-emu is already installed here; not touching it"
fi
while read -r f; do
	[ ! -e "$f" ] || skip "$f exists outside the package; not overwriting it"
done < "$tmp/files"
installed=1
dpkg -i "$deb" > "$tmp/dpkg.log" 2>&1 || { cat "$tmp/dpkg.log" >&2; fail "dpkg -i"; }
echo "test-deb: dpkg -i: $(dpkg-query -W -f '${Package} ${Version} ${Status}' mlcore-emu)"

[ "$(/usr/bin/mlcore-emu --version)" = "mlcore-emu 0.1.0" ] || fail "mlcore-emu --version"
man -l /usr/share/man/man1/mlcore-emu.1 2>/dev/null | grep -q "mlcore-emu rm" || fail "the man page"

# The demo from /usr, in a private state directory, both doors.
export MLCORE_EMU_STATE_DIR=$tmp/state
unset MLCORE_EMU_PRELOAD MLCORE_EMU_CUSE
for door in fuse preload; do
	t0=$(date +%s)
	(cd "$tmp" && /usr/bin/mlcore-emu demo --door "$door" --epochs 30 --seed 1 \
		--work "$tmp/demo-$door" --out "$tmp/demo-$door.png") > "$tmp/demo-$door.log" 2>&1 ||
		{ cat "$tmp/demo-$door.log" >&2; fail "mlcore-emu demo --door $door from /usr"; }
	grep -q "^iris: .* accuracy" "$tmp/demo-$door.log" || fail "the demo ($door) printed no iris result"
	if command -v gnuplot >/dev/null; then
		[ "$(head -c 4 "$tmp/demo-$door.png" | od -An -tx1 | tr -d ' ')" = 89504e47 ] ||
			fail "the demo ($door) wrote no PNG"
	fi
	echo "test-deb: /usr/bin/mlcore-emu demo --door $door: ok in $(( $(date +%s) - t0 )) s"
done
got=$(/usr/bin/mlcore-emu run --rm --instance "deb-$$" -- sh -c 'echo "$LD_PRELOAD"')
[ "$got" = /usr/lib/mlcore-emu/libmlcore-preload.so ] || fail "run from /usr preloads $got"

# Purge: the machine as it was.
dpkg --purge mlcore-emu > "$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log" >&2; fail "dpkg --purge"; }
installed=0
while read -r f; do
	[ ! -e "$f" ] || fail "dpkg --purge left $f"
done < "$tmp/files"
! dpkg-query -W mlcore-emu > /dev/null 2>&1 || dpkg-query -W -f '${Status}\n' mlcore-emu | grep -q not-installed ||
	fail "mlcore-emu is still known to dpkg"
ls /dev/shm | grep -q "mlcore-emu\.$(id -u)\.deb-$$" && fail "run --rm left its instance"
echo "test-deb: dpkg --purge: every file gone; ok"

#!/bin/sh
# The README's main job as a user would run it where FUSE is not available:
# uid 65534, /dev/fuse hidden, `mlcore-emu demo` with its defaults but a
# short run.  It must pick the preload door by itself, finish, write the PNG
# and leave no instance behind.
set -eu
emu=$1
[ "$(id -u)" = 0 ] || { echo "needs root to set up the namespace; skipped"; exit 77; }
command -v unshare >/dev/null && command -v setpriv >/dev/null || exit 77
out=$(mktemp -d /tmp/mlc-demo-unpriv.XXXXXX)
chmod 0777 "$out"
trap 'rm -rf "$out"' EXIT
unshare -m sh -c '
	set -e
	mount --make-rprivate /
	[ -e /dev/fuse ] && mount --bind /dev/null /dev/fuse
	cd "$1"
	exec setpriv --reuid=65534 --regid=65534 --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent \
		"$0" demo --epochs 20 --progress-every 100
' "$emu" "$out" > "$out/log" 2>&1 || { cat "$out/log"; echo "FAILED: demo exited non-zero"; exit 1; }
cat "$out/log"
grep -q "running under the preload door" "$out/log" || { echo "FAILED: did not choose the preload door"; exit 1; }
grep -q "documented bound: >= 0.95: held" "$out/log" || { echo "FAILED: no bound line"; exit 1; }
[ -s "$out/mlcore-demo.png" ] || { echo "FAILED: no PNG"; exit 1; }
[ "$(stat -c %u "$out/mlcore-demo.png")" = 65534 ] || { echo "FAILED: PNG not the user's"; exit 1; }
if ls /dev/shm | grep -q '^mlcore-emu\.65534\.demo-'; then
	echo "FAILED: the demo left its instance behind"; exit 1
fi
echo "PASSED: demo as uid 65534 without FUSE"

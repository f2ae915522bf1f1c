#!/usr/bin/env bash
# The main job: serve an emulated /dev/mlcore with the FUSE door and run the
# example agent against it, then show what the agent left in the proc files
# and the kernel log.  Needs the build from scripts/setup.sh and /dev/fuse.
set -euo pipefail
cd "$(dirname "$0")/.."
emu=build/mlcore-emu
[ -x "$emu" ] || { echo "demo: no build yet; run scripts/setup.sh first" >&2; exit 1; }

work=$(mktemp -d /tmp/mlcore-demo.XXXXXX)
export MLCORE_EMU_STATE_DIR="$work/state"
root="$work/root"
instance="demo-$$"
cleanup() {
	"$emu" stop --root "$root" >/dev/null 2>&1 || true
	rm -f "/dev/shm/mlcore-emu.$(id -u).$instance"
	rm -rf "$work"
}
trap cleanup EXIT

echo "== mlcore-emu serve --root $root --instance $instance"
"$emu" serve --root "$root" --instance "$instance"
echo
echo "== python3 examples/mlcore_agent.py $root"
python3 examples/mlcore_agent.py "$root"
echo
echo "== cat $root/proc/mlcore_result"
cat "$root/proc/mlcore_result"
echo
echo "== head -3 $root/proc/mlcore_train"
head -3 "$root/proc/mlcore_train"
echo
echo "== mlcore-emu dmesg (last 5 lines)"
"$emu" dmesg --instance "$instance" | tail -5
echo
echo "== mlcore-emu status"
"$emu" status --instance "$instance"

#!/usr/bin/env bash
# The same agents, unchanged, against the real kernel modules and against
# the emulator (issue 7, item 3):
#   (a) in a VM, the modules built from src/core (mlcore.ko, ml_lib.ko,
#       ml_loop.ko) loaded, mlc-agent-iris and mlc-agent-loop run with
#       --root / (static builds of the same sources);
#   (b) on the host, the same agents against the FUSE mount of a seeded
#       emulator instance (mlcore-emu serve --seed S --clock fixed:...).
# Fails on any difference: the iris agent's output, the loop agent's output
# and CSV trace, and the loop model's attributes after the run (mode, state,
# efficiency, stats, their file modes, the device's `dev`).
#
# With --python, the same for the Python reference agents (/usr/bin/python3 -m
# mlcore_agent.agents.iris / .loop from src/agent/python, unchanged): the
# busybox guest has no Python, so QEMU shares the host's / read-only over
# 9p (virtio-9p-pci), the guest loads Debian's 9p modules, mounts it at
# /host, binds its own /dev, /proc, /sys and /tmp over the share's and runs
# the host's /usr/bin/python3 in `chroot /host`.
#
# The seed: a --seed S instance draws its random bytes from splitmix64
# starting at S, and the loop's 8 load-time bytes are the first draw (no
# other device draws at load), so its simulation seed is the first
# splitmix64 output of S.  ml_loop.ko gets exactly that seed as its `seed`
# parameter (the simulation's seed itself), so both run the same workload.
#
#   test/qemu/run-agents.sh --bin-dir DIR [--work DIR] [--seed S] [--epochs N]
#     --bin-dir DIR   a build tree (mlcore-emu, mlc-agent-iris-static,
#                     mlc-agent-loop-static, mlc-agent-iris, mlc-agent-loop)
#     --work DIR      scratch and results (default BIN-DIR/qemu-agents)
#     --seed S        the emulator instance's seed (default 20260101)
#     --epochs N      the loop agent's epochs (default 60)
#     --python        the Python agents instead of the C++ ones (needs
#                     /usr/bin/python3 with python3-sklearn, and the 9p
#                     modules of the guest kernel)
#     --loop-only     run only the loop agent (the iris agent does not depend
#                     on the loop's seed: --kernel-seed checks need only it)
#     --timeout S     for the VM (default 420; 900 with --python)
#     --kernel-seed K ml_loop.ko's seed instead of the one derived from S
#                     (a check of the harness: any other K must fail)
#     --expect-differ exit 0 when the comparison finds a difference, 1 when
#                     everything matches (with --kernel-seed: the harness
#                     catches a kernel that runs another workload)
#
# Needs: test/qemu/setup-qemu.sh's packages, root (FUSE mount), /dev/fuse.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/vm-lib.sh"
repo=$(cd "$here/../.." && pwd)

bin_dir= work= seed=20260101 epochs=60 timeout= kernel_seed= expect_differ=0 python=0 loop_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--bin-dir) bin_dir=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--epochs) epochs=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--kernel-seed) kernel_seed=$2; shift 2 ;;
	--expect-differ) expect_differ=1; shift ;;
	--python) python=1; shift ;;
	--loop-only) loop_only=1; shift ;;
	*) echo "run-agents: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$bin_dir" ] || { echo "run-agents: --bin-dir is required" >&2; exit 2; }
bin_dir=$(realpath "$bin_dir")
work=${work:-$bin_dir/qemu-agents}
if [ "$python" = 1 ]; then timeout=${timeout:-900}; else timeout=${timeout:-420}; fi
say() { echo "run-agents: $*"; }
die() { echo "run-agents: $*" >&2; exit 2; }
skip() { echo "run-agents: SKIPPED: $*" >&2; exit 77; }
t_start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
elapsed() { since "$t_start"; }
is_static() { ! readelf -l "$1" 2>/dev/null | grep -q "Requesting program interpreter"; }
find_bin() {
	[ -x "$bin_dir/$1" ] || die "no $1 in $bin_dir (build it: cmake --build BUILD --target $1)"
	echo "$bin_dir/$1"
}
emu=$(find_bin mlcore-emu)
iris_csv=/usr/lib/python3/dist-packages/sklearn/datasets/data/iris.csv
pydir=$repo/src/agent/python
# The Python agents run on both sides with this environment only.
py_env=(env -i PATH=/usr/bin:/bin HOME=/tmp LC_ALL=C.UTF-8 PYTHONPATH="$pydir"
	PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m)
if [ "$python" = 1 ]; then
	iris_cmd=("${py_env[@]}" mlcore_agent.agents.iris)
	loop_cmd=("${py_env[@]}" mlcore_agent.agents.loop)
	iris_name="/usr/bin/python3 -m mlcore_agent.agents.iris" loop_name="/usr/bin/python3 -m mlcore_agent.agents.loop"
else
	iris=$(find_bin mlc-agent-iris-static)
	loopa=$(find_bin mlc-agent-loop-static)
	for b in "$iris" "$loopa"; do is_static "$b" || die "$b is not static"; done
	iris_cmd=("$iris") loop_cmd=("$loopa")
	iris_name=mlc-agent-iris loop_name=mlc-agent-loop
fi

bash "$here/setup-qemu.sh" --check >/dev/null ||
	skip "missing packages: run bash test/qemu/setup-qemu.sh (as root)"
[ "$(id -u)" = 0 ] || skip "needs root (FUSE mount, /boot/vmlinuz)"
[ -w /dev/fuse ] || skip "no /dev/fuse"
[ -r "$iris_csv" ] || skip "no $iris_csv (apt-get install python3-sklearn)"
if [ "$python" = 1 ]; then
	/usr/bin/python3 -c "import numpy, sklearn" 2>/dev/null ||
		skip "/usr/bin/python3 cannot import numpy and sklearn (apt-get install python3-sklearn)"
	[ -f "$pydir/mlcore_agent/agents/loop.py" ] || die "no Python SDK in $pydir"
	case $pydir in *[[:space:]]*) die "the guest cannot take a path with spaces: $pydir" ;; esac
fi

kver=
for img in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V -r); do
	v=${img#/boot/vmlinuz-}
	if [ -d "/usr/src/linux-headers-$v" ]; then kver=$v; break; fi
done
[ -n "$kver" ] || die "no kernel with image and headers (apt-get install linux-image-amd64 linux-headers-amd64)"
# The 9p client of the guest kernel (with --python): modules in Debian's.
guest_kmods=(virtio_pci 9pnet_virtio 9p)

# The loop's simulation seed in a --seed S instance: splitmix64's first
# output from S (src/emulator/random.cc), as unsigned decimal.
splitmix_first() {
	local z=$(( $1 + 0x9e3779b97f4a7c15 ))
	z=$(( (z ^ ((z >> 30) & 0x3ffffffff)) * 0xbf58476d1ce4e5b9 ))
	z=$(( (z ^ ((z >> 27) & 0x1fffffffff)) * 0x94d049bb133111eb ))
	z=$(( z ^ ((z >> 31) & 0x1ffffffff) ))
	printf '%u\n' "$z"
}
loop_seed=$(splitmix_first "$seed")
kernel_seed=${kernel_seed:-$loop_seed}
[ "$loop_seed" != 0 ] || die "seed $seed gives the loop seed 0 (= random in ml_loop.ko); pick another"

rm -rf "$work"
mkdir -p "$work/host" "$work/guest"

# --- the modules ------------------------------------------------------------
say "building the modules from src/core for $kver"
"$repo/kernel/build.sh" "$work/kmod" "/usr/src/linux-headers-$kver" \
	> "$work/kbuild.log" 2>&1 || { cat "$work/kbuild.log" >&2; die "module build failed"; }
if grep -q "warning:" "$work/kbuild.log"; then
	grep "warning:" "$work/kbuild.log" >&2
	die "the module build has warnings"
fi

# --- (b) the emulator on the host ------------------------------------------
say "[$(elapsed) s] host: the agents against mlcore-emu serve --seed $seed (loop seed $loop_seed)"
export MLCORE_EMU_STATE_DIR=$work/state
instance=agents-$$
root=$work/fuse-root
cleanup() {
	"$emu" stop --root "$root" >/dev/null 2>&1 || true
	rm -f "/dev/shm/mlcore-emu.$(id -u).$instance"
}
trap cleanup EXIT
"$emu" serve --root "$root" --instance "$instance" --seed "$seed" \
	--clock fixed:1767225600 >/dev/null
h=$work/host
t0=$(date +%s.%N)
if [ "$loop_only" = 0 ]; then
	"${iris_cmd[@]}" --root "$root" > "$h/iris.txt" 2> "$h/iris.err" ||
		{ cat "$h/iris.err" >&2; die "host: $iris_name failed"; }
fi
"${loop_cmd[@]}" --root "$root" --epochs "$epochs" --csv "$h/loop.csv" > "$h/loop.txt" 2> "$h/loop.err" ||
	{ cat "$h/loop.err" >&2; die "host: $loop_name failed"; }
host_s=$(since "$t0")
model=$root/sys/class/ml_lib_loop/mlloop/ml_readahead
echo "dev: $(cat "$root/sys/class/ml_lib_loop/mlloop/dev")" > "$h/attrs-dev.txt"
for a in mode state efficiency stats; do
	echo "== $a"; cat "$model/$a"
done > "$h/attrs.txt"
(cd "$model" && stat -c "%a %n" *) > "$h/modes.txt"
cleanup
trap - EXIT

# --- the initramfs ----------------------------------------------------------
say "[$(elapsed) s] packing the initramfs"
ir=$work/initramfs
mkdir -p "$ir"/{bin,dev,proc,sys,tmp,modules,var/log} "$ir${iris_csv%/*}"
cp "$(command -v busybox)" "$ir/bin/busybox"
is_static "$ir/bin/busybox" || die "busybox is not static (apt-get install busybox-static)"
cp "$work/kmod/mlcore.ko" "$work/kmod/ml_lib.ko" "$work/kmod/ml_loop.ko" "$ir/modules/"
if [ "$python" = 1 ]; then
	# The host's / over 9p (read-only) and the guest kernel's 9p client.
	mkdir -p "$ir/host"
	copy_kernel_modules "$kver" "$ir/lib/modules" "${guest_kmods[@]}" ||
		skip "the 9p modules of $kver are missing (${guest_kmods[*]})"
	vm_qemu_args=(-fsdev "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap"
		-device "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot")
	{
		echo "AGENTS=python"
		printf 'PYDIR="%s"\n' "$pydir"
		printf 'IRIS="%s"\n' "${iris_cmd[*]}"
		printf 'LOOP="%s"\n' "${loop_cmd[*]}"
	} > "$ir/agents.sh"
else
	cp "$iris" "$ir/bin/mlc-agent-iris"
	cp "$loopa" "$ir/bin/mlc-agent-loop"
	cp "$iris_csv" "$ir$iris_csv"	# where the agent looks by default
	printf 'AGENTS=cpp\nIRIS=mlc-agent-iris\nLOOP=mlc-agent-loop\n' > "$ir/agents.sh"
fi
cp "$here/guest-agents.sh" "$ir/init"
chmod +x "$ir/init"
[ "$loop_only" = 0 ] || echo "IRIS=" >> "$ir/agents.sh"
cat > "$ir/conf.sh" <<CONF
MODULES="mlcore.ko ml_lib.ko ml_loop.ko:seed=$kernel_seed"
RMMOD="ml_loop ml_lib mlcore"
EPOCHS=$epochs
. /agents.sh
CONF
pack_initramfs "$ir" "$work/initramfs.cpio.gz"

# --- (a) the kernel modules in the VM ---------------------------------------
say "[$(elapsed) s] booting $kver under QEMU (TCG)"
boot_vm "$kver" "$work/initramfs.cpio.gz" "$work" "$work/guest" "$timeout"
if [ "$vm_rc" -ne 1 ] || grep -q '^FAIL' "$work/guest/status" 2>/dev/null; then
	report_vm_failure run-agents "$work" "$work/guest"
	exit 1
fi
sed 's/^/  guest: /' "$work/guest/status"

# --- compare ----------------------------------------------------------------
status=0
# The loop agent names its CSV's path: the one line that may differ.
for d in host guest; do
	grep -v '^trace: ' "$work/$d/loop.txt" > "$work/$d/loop-out.txt"
done
compare() {	# FILE WHAT
	if cmp -s "$work/host/$1" "$work/guest/$1"; then
		say "$2: kernel == emulator ($(wc -l < "$work/host/$1") lines)"
	else
		echo "run-agents: FAIL: $2 differs (host = the emulator, guest = the kernel modules):" >&2
		{ diff -u --label "emulator/$1" "$work/host/$1" --label "kernel/$1" "$work/guest/$1" || true; } |
			head -n 40 >&2
		status=1
	fi
}
[ "$loop_only" = 1 ] || compare iris.txt "$iris_name output"
compare loop-out.txt "$loop_name output"
compare loop.csv "$loop_name CSV trace"
compare attrs.txt "ml_readahead mode/state/efficiency/stats after the run"
compare modes.txt "ml_readahead file modes"
# `dev` is the major the kernel hands out; the emulator reports 253.
say "mlloop dev: kernel $(cut -d' ' -f2 "$work/guest/attrs-dev.txt"), emulator $(cut -d' ' -f2 "$work/host/attrs-dev.txt")"
if [ -s "$work/guest/dmesg.txt" ] &&
   grep -E "BUG:|WARNING:|Oops|Call Trace|general protection" "$work/guest/dmesg.txt" >&2; then
	echo "run-agents: FAIL: the guest kernel logged the above" >&2
	status=1
fi
outs=("$work/host/loop.txt")
[ "$loop_only" = 1 ] || outs=("$work/host/iris.txt" "${outs[@]}")
grep -hE '^((sklearn )?k-NN|majority|reached|did not|cumulative)' "${outs[@]}" |
	sed 's/^/  /'
say "host agents $host_s s, VM $vm_s s, total $(elapsed) s; results in $work"
if [ "$expect_differ" = 1 ]; then
	if [ "$status" = 1 ]; then
		say "a difference was expected (ml_loop.ko seed $kernel_seed, the emulator's $loop_seed) and reported"
		exit 0
	fi
	echo "run-agents: FAIL: a difference was expected (ml_loop.ko seed $kernel_seed, the emulator's $loop_seed), none was found" >&2
	exit 1
fi
exit $status

#!/usr/bin/env bash
# Conformance measured in QEMU: the same scenarios (test/conformance) run
# against
#   (a) the kernel modules built from src/core (or --module files), in a VM,
#   (b) `mlcore-emu serve --cuse --root /emu` in the same VM: the CUSE
#       daemons' /dev/mlcore, /dev/mllibdev, /dev/mlloop, with the FUSE door
#       at /emu for proc, sys, log and kmsg,
#   (c) the FUSE door on the host (mlcore-emu serve),
# and every trace must be identical to (c).  Prints the first difference
# as a unified diff and exits 1 on any; prints the guest's per-ioctl
# latency of the kernel module and of the CUSE door (not asserted).
#
#   test/qemu/run-conformance.sh --bin-dir DIR [options]
#     --bin-dir DIR     a build tree (mlcore-emu, cuse_dev/mlcore-cuse,
#                       test/qemu/conformance/mlc-conformance), or a
#                       directory holding the three
#     --work DIR        scratch and results (default: BIN-DIR/qemu-work)
#     --module X.ko     test these modules instead of building ours
#                       (repeatable; loaded in this order)
#     --profile LIST    mlcore,ml_lib,mlloop (default: all three, or those
#                       whose modules --module names: mlcore,
#                       ml_lib_test_dev, ml_loop)
#     --seed S          the emulator instances' seed (default 20260101);
#                       ml_loop.ko gets seed= the loop's seed in such an
#                       instance (splitmix64's first output of S, as in
#                       run-agents.sh), so the mlloop traces are identical
#     --kernel-loop-seed K  ml_loop.ko's seed instead (a check of the
#                       harness: any other K must make the mlloop traces
#                       differ)
#     --seeds A-B       random scenarios (default 1-10)
#     --ops N           operations per random scenario (default 300)
#     --timeout S       for the VM (default 900: TCG on a loaded machine)
#     --label-kernel L  name of the kernel's trace in messages
#     --require-klog    fail unless the kernel log's kept lines were compared
#                       (klog-kept.py: the scenarios must print enough to
#                       wrap the kernel's ring past its boot lines)
#     --quiet           no progress lines
#
# Needs: test/qemu/setup-qemu.sh's packages, root (to mount FUSE), /dev/fuse.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/vm-lib.sh"
repo=$(cd "$here/../.." && pwd)

bin_dir= work= seeds=1-10 ops=300 timeout=900 quiet=0 profiles= label_kernel=guest-kernel
seed=20260101 kernel_loop_seed= require_klog=0
modules=()
while [ $# -gt 0 ]; do
	case $1 in
	--bin-dir) bin_dir=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--module) modules+=("$(realpath "$2")"); shift 2 ;;
	--seeds) seeds=$2; shift 2 ;;
	--profile) profiles=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--kernel-loop-seed) kernel_loop_seed=$2; shift 2 ;;
	--ops) ops=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--label-kernel) label_kernel=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--require-klog) require_klog=1; shift ;;
	*) echo "run-conformance: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$bin_dir" ] || { echo "run-conformance: --bin-dir is required" >&2; exit 2; }
bin_dir=$(realpath "$bin_dir")
work=${work:-$bin_dir/qemu-work}
say() { [ "$quiet" = 1 ] || echo "run-conformance: $*"; }
die() { echo "run-conformance: $*" >&2; exit 2; }
t_start=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
elapsed() { since "$t_start"; }
# A static executable has no program interpreter (binutils' readelf).
is_static() { ! readelf -l "$1" 2>/dev/null | grep -q "Requesting program interpreter"; }

find_bin() {	# NAME PLACE-IN-A-BUILD-TREE
	local p=$bin_dir/$2
	[ -x "$p" ] || p=$bin_dir/$1
	[ -x "$p" ] || die "no $1 in $bin_dir (build it: cmake --build BUILD --target $1)"
	echo "$p"
}
runner=$(find_bin mlc-conformance test/qemu/conformance/mlc-conformance)
cuse=$(find_bin mlcore-cuse cuse_dev/mlcore-cuse)
emu=$(find_bin mlcore-emu mlcore-emu)
is_static "$runner" || die "$runner is not static"

# What this machine cannot do is a skip (exit 77), not a failure.
skip() { echo "run-conformance: SKIPPED: $*" >&2; exit 77; }
bash "$here/setup-qemu.sh" --check >/dev/null ||
	skip "missing packages: run bash test/qemu/setup-qemu.sh (as root)"
[ "$(id -u)" = 0 ] || skip "needs root (FUSE mounts, /boot/vmlinuz, the VM's /dev/cuse)"
[ -w /dev/fuse ] || skip "no /dev/fuse (modprobe fuse, or give the container --device /dev/fuse)"

# The newest kernel that has an image, headers and the fuse/cuse modules.
kver=
for img in $(ls /boot/vmlinuz-*-amd64 2>/dev/null | sort -V -r); do
	v=${img#/boot/vmlinuz-}
	if [ -d "/usr/src/linux-headers-$v" ] &&
	   ls /lib/modules/"$v"/kernel/fs/fuse/cuse.ko* >/dev/null 2>&1; then
		kver=$v; break
	fi
done
[ -n "$kver" ] || die "no kernel with image, headers and cuse.ko (apt-get install linux-image-amd64 linux-headers-amd64)"

# The loop's simulation seed in a --seed S instance: splitmix64's first
# output from S (src/emulator/random.cc; the same as run-agents.sh).
splitmix_first() {
	local z=$(( $1 + 0x9e3779b97f4a7c15 ))
	z=$(( (z ^ ((z >> 30) & 0x3ffffffff)) * 0xbf58476d1ce4e5b9 ))
	z=$(( (z ^ ((z >> 27) & 0x1fffffffff)) * 0x94d049bb133111eb ))
	z=$(( z ^ ((z >> 31) & 0x1ffffffff) ))
	printf '%u\n' "$z"
}
loop_seed=$(splitmix_first "$seed")
[ "$loop_seed" != 0 ] || die "seed $seed gives the loop seed 0 (= random in ml_loop.ko); pick another"
loop_seed=${kernel_loop_seed:-$loop_seed}

rm -rf "$work"
mkdir -p "$work/traces"

# --- the modules ------------------------------------------------------------
if [ ${#modules[@]} -eq 0 ]; then
	say "building the modules from src/core for $kver"
	"$repo/kernel/build.sh" "$work/kmod" "/usr/src/linux-headers-$kver" \
		> "$work/kbuild.log" 2>&1 || { cat "$work/kbuild.log" >&2; die "module build failed"; }
	if grep -q "warning:" "$work/kbuild.log"; then
		grep "warning:" "$work/kbuild.log" >&2
		die "the module build has warnings"
	fi
	modules=("$work/kmod/mlcore.ko" "$work/kmod/ml_lib.ko" "$work/kmod/ml_lib_test_dev.ko"
		 "$work/kmod/ml_loop.ko")
fi
for m in "${modules[@]}"; do
	[ -f "$m" ] || die "no module $m"
	mv=$(modinfo -F vermagic "$m" | awk '{print $1}')
	[ "$mv" = "$kver" ] || die "$m is built for '$mv', the VM runs $kver (build it against /usr/src/linux-headers-$kver)"
done

# The profiles: as asked, or those the modules provide.
if [ -z "$profiles" ]; then
	for m in "${modules[@]}"; do
		case $(modinfo -F name "$m" 2>/dev/null || basename "$m" .ko) in
		mlcore) profiles="$profiles,mlcore" ;;
		ml_lib_test_dev) profiles="$profiles,ml_lib" ;;
		ml_loop) profiles="$profiles,mlloop" ;;
		esac
	done
	profiles=${profiles#,}
	[ -n "$profiles" ] || die "none of the modules is mlcore or ml_lib_test_dev; say --profile"
fi
say "profiles: $profiles; seeds $seeds, $ops operations each; instance seed $seed (ml_loop.ko seed=$loop_seed)"

# --- (c) the FUSE door on the host ----------------------------------------
say "[$(elapsed) s] (c) host FUSE door"
export MLCORE_EMU_STATE_DIR=$work/state
instance=conformance-$$
root=$work/fuse-root
cleanup() {
	"$emu" stop --root "$root" >/dev/null 2>&1 || true
	rm -f "/dev/shm/mlcore-emu.$(id -u).$instance" "/dev/shm/mlcore-emu.$(id -u).$instance-klog"
}
trap cleanup EXIT
# A 32 MiB kernel log ring: every line the run prints is kept, for
# klog-kept.py to tell which of them the kernel's 128 KiB ring should keep.
"$emu" serve --root "$root" --instance "$instance" --seed "$seed" \
	--clock fixed:1767225600 --log-buf-size 32M >/dev/null
t0=$(date +%s.%N)
"$runner" run --root "$root" --profile "$profiles" --seeds "$seeds" --ops "$ops" \
	> "$work/traces/host-fuse.trace"
host_s=$(since "$t0")
"$emu" dmesg --instance "$instance" --raw > "$work/traces/host-fuse.klog"
: > "$work/host-bench.txt"
case ",$profiles," in *,mlcore,*)
	"$runner" bench --dev "$root/dev/mlcore" --iters 2000 --label host-fuse > "$work/host-bench.txt" ;;
esac
"$emu" stop --root "$root" >/dev/null
# The same run on an instance with the default ring (Debian's 128 KiB): the
# lines it kept, for klog-kept.py.
"$emu" serve --root "$root" --instance "$instance-klog" --seed "$seed" \
	--clock fixed:1767225600 >/dev/null
"$runner" run --root "$root" --profile "$profiles" --seeds "$seeds" --ops "$ops" > /dev/null
"$emu" dmesg --instance "$instance-klog" --raw > "$work/traces/host-fuse-128k.klog"
cleanup
trap - EXIT

# --- the initramfs --------------------------------------------------------
say "[$(elapsed) s] packing the initramfs"
ir=$work/initramfs
mkdir -p "$ir"/{bin,dev,proc,sys,tmp,lib/modules,modules,var/log}
cp "$(command -v busybox)" "$ir/bin/busybox"
is_static "$ir/bin/busybox" || die "busybox is not static (apt-get install busybox-static)"
for m in fuse cuse; do
	src=$(ls /lib/modules/"$kver"/kernel/fs/fuse/$m.ko* | head -n1)
	case $src in
	*.xz) xz -dc "$src" > "$ir/lib/modules/$m.ko" ;;
	*.zst) zstd -qdc "$src" > "$ir/lib/modules/$m.ko" ;;
	*.gz) gzip -dc "$src" > "$ir/lib/modules/$m.ko" ;;
	*) cp "$src" "$ir/lib/modules/$m.ko" ;;
	esac
done
names= rmmod=
for m in "${modules[@]}"; do
	cp "$m" "$ir/modules/"
	n=$(modinfo -F name "$m" 2>/dev/null || true)
	# ml_loop.ko runs the workload of the host instance's loop.
	if [ "$n" = ml_loop ]; then
		names="$names ${m##*/}:seed=$loop_seed"
	else
		names="$names ${m##*/}"
	fi
	rmmod="${n:-$(basename "$m" .ko)} $rmmod"
done
cp "$runner" "$ir/bin/mlc-conformance"
# mlcore-emu and its CUSE daemon as built (dynamically linked), with the
# shared libraries ldd lists at the same paths: the guest runs the product.
copy_with_libs() {	# BINARY NAME-IN-/bin
	local lib
	cp "$1" "$ir/bin/$2"
	for lib in $(ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$ir$(dirname "$lib")"
		cp -L "$lib" "$ir$lib"
	done
}
copy_with_libs "$emu" mlcore-emu
copy_with_libs "$cuse" mlcore-cuse
cp "$here/guest-init.sh" "$ir/init"
chmod +x "$ir/init"
cat > "$ir/conf.sh" <<CONF
PROFILES=$profiles
SEED=$seed
SEEDS=$seeds
OPS=$ops
MODULES="$names"
RMMOD="$rmmod"
BENCH_KERNEL=20000
BENCH_CUSE=2000
CONF
pack_initramfs "$ir" "$work/initramfs.cpio.gz"

# --- (a) and (b) in the VM --------------------------------------------------
say "[$(elapsed) s] booting $kver under QEMU (TCG)"
boot_vm "$kver" "$work/initramfs.cpio.gz" "$work" "$work/traces" "$timeout"
if [ "$vm_rc" -ne 1 ]; then
	report_vm_failure run-conformance "$work" "$work/traces"
	exit 1
fi
[ "$quiet" = 1 ] || sed 's/^/  guest: /' "$work/traces/status"
mv "$work/traces/kernel.trace" "$work/traces/guest-kernel.trace"

# --- compare ----------------------------------------------------------------
ops_total=$(sed -n 's/^# end: \([0-9]*\) operations$/\1/p' "$work/traces/host-fuse.trace")
status=0
for t in guest-kernel guest-cuse; do
	f=$work/traces/$t.trace
	name=$t
	[ "$t" = guest-kernel ] && name=$label_kernel
	if [ ! -s "$f" ] || ! tail -n1 "$f" | grep -q '^# end:'; then
		echo "run-conformance: FAIL: $name: no complete trace" >&2
		[ -s "$work/traces/$t.err" ] && cat "$work/traces/$t.err" >&2
		status=1
		continue
	fi
	if cmp -s "$work/traces/host-fuse.trace" "$f"; then
		echo "run-conformance: $name == host-fuse ($ops_total operations)"
	else
		line=$(cmp "$work/traces/host-fuse.trace" "$f" 2>/dev/null | awk '{print $NF}' || true)
		scen=$(head -n "${line:-1}" "$f" | grep '^== scenario' | tail -n1 || true)
		echo "run-conformance: FAIL: $name differs from host-fuse (the emulator); first difference (line ${line:-?}, ${scen#== }):" >&2
		{ diff -u --label host-fuse "$work/traces/host-fuse.trace" --label "$name" "$f" || true; } |
			awk '/^@@/ { if (++h > 1) exit } { print }' | head -n 60 >&2 || true
		status=1
	fi
done
if grep -q '^cuse-stop:' "$work/traces/status"; then
	if grep -q '^cuse-stop: left none of /dev/mlcore /dev/mllibdev /dev/mlloop$' "$work/traces/status"; then
		echo "run-conformance: mlcore-emu stop removed the CUSE devices"
	else
		echo "run-conformance: FAIL: mlcore-emu stop left CUSE devices:" >&2
		grep '^cuse-stop:' "$work/traces/status" >&2
		status=1
	fi
else
	echo "run-conformance: FAIL: the guest did not report stopping serve --cuse" >&2
	status=1
fi
if grep -q '^cuse-taken:' "$work/traces/status"; then
	if grep -Eq '^cuse-taken: majors 104 [0-9]+ \| mlcore-cuse: major 104 is taken' "$work/traces/status"; then
		echo "run-conformance: the CUSE door with major 104 taken: said so, took a dynamic major"
	else
		echo "run-conformance: FAIL: the CUSE door with major 104 taken:" >&2
		grep '^cuse-taken:' "$work/traces/status" >&2
		status=1
	fi
fi
# The kernel log: the lines the kernel's printk ring kept after its run
# are the newest of the emulator's, as many as its arithmetic allows.
if [ -s "$work/traces/kernel.klog" ]; then
	klog_rc=0
	/usr/bin/python3 "$here/klog-kept.py" "$work/traces/kernel.klog" \
		"$work/traces/host-fuse.klog" "$work/traces/host-fuse-128k.klog" \
		> "$work/traces/klog-kept.txt" || klog_rc=$?
	[ "$klog_rc" = 77 ] && [ "$require_klog" = 1 ] && klog_rc=1
	case $klog_rc in
	0|77) sed 's/^klog-kept/run-conformance: kernel log/' "$work/traces/klog-kept.txt" ;;
	*) sed 's/^klog-kept/run-conformance: kernel log/' "$work/traces/klog-kept.txt" >&2
	   status=1 ;;
	esac
else
	echo "run-conformance: FAIL: the guest sent no kernel log (kernel.klog)" >&2
	status=1
fi
if [ -s "$work/traces/dmesg.txt" ] &&
   grep -E "BUG:|WARNING:|Oops|Call Trace|general protection" "$work/traces/dmesg.txt" >&2; then
	echo "run-conformance: FAIL: the guest kernel logged the above" >&2
	status=1
fi

# Device edges the suite leaves out because a door cannot answer them as
# the kernel does (docs/door-differences.md): printed, not asserted.
if [ -s "$work/traces/kernel.probe" ] && [ -s "$work/traces/guest-cuse.probe" ] &&
   [ "$quiet" != 1 ]; then
	if cmp -s "$work/traces/kernel.probe" "$work/traces/guest-cuse.probe"; then
		echo "run-conformance: device edges (probe): the CUSE door answers as the kernel"
	else
		echo "run-conformance: device edges where the CUSE door differs (known, not asserted):"
		{ diff -U0 --label kernel "$work/traces/kernel.probe" --label cuse \
			"$work/traces/guest-cuse.probe" || true; } | grep -v '^@@' | sed 's/^/  /' || true
	fi
fi

if [ -s "$work/traces/guest-fuse.probe" ] && [ "$quiet" != 1 ]; then
	echo "run-conformance: the guest kernel's FUSE layer at a page edge ($(grep -c . "$work/traces/guest-fuse.probe") probe lines, guest-fuse.probe):"
	grep 'page edge' "$work/traces/guest-fuse.probe" | sed 's/^/  /' || true
fi

echo "run-conformance: benchmark (per ioctl, guest under TCG; host for reference):"
cat "$work/traces/bench.txt" "$work/host-bench.txt" | sed 's/^/  /'
echo "run-conformance: host trace $host_s s, VM $vm_s s, total $(elapsed) s; traces in $work/traces"
exit $status

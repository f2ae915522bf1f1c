#!/bin/busybox sh
# PID 1 of the conformance VM (packed as /init by run-conformance.sh).
# Runs the scenarios against (a) the kernel modules and (b) `mlcore-emu
# serve --cuse --root /emu` (the CUSE daemons' devices, the FUSE door's
# proc and sys), sends traces and timings to the host through the
# second serial port (/dev/ttyS1) and powers off through isa-debug-exit
# (exit byte 0: all ran; 1: something could not run).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/shm /tmp /var/log /emu
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
. /conf.sh	# PROFILES SEED SEEDS OPS MODULES RMMOD BENCH_KERNEL BENCH_CUSE

exec 3>/dev/ttyS1
send() {	# NAME FILE
	echo "=== FILE $1" >&3
	[ -f "$2" ] && cat "$2" >&3
	echo "=== END $1" >&3
}
status() { echo "$*" >> /tmp/status; echo "guest: $*"; }
finish() {
	for f in /tmp/*.trace /tmp/*.probe /tmp/*.err /tmp/bench.txt /tmp/dmesg.txt /tmp/kernel.klog; do
		[ -f "$f" ] && send "${f##*/}" "$f"
	done
	send status /tmp/status
	echo "=== DONE" >&3
	sync
	printf "\\$(printf %o "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}
fail() { status "FAIL $*"; finish 1; }
wait_for() {	# TEST-ARGS...: up to 20 s
	i=0
	while ! test "$@"; do
		i=$((i + 1)); [ $i -gt 200 ] && return 1
		sleep 0.1
	done
}
run() {	# NAME ARGS...: a trace
	name=$1; shift
	t0=$(date +%s)
	if mlc-conformance run --profile "$PROFILES" --seeds "$SEEDS" --ops "$OPS" "$@" \
		> "/tmp/$name.trace" 2> "/tmp/$name.err"; then
		status "ran $name in $(( $(date +%s) - t0 )) s"
	else
		status "FAIL $name (exit $?)"
	fi
}
has() { case ",$PROFILES," in *",$1,"*) return 0 ;; esac; return 1; }

insmod /lib/modules/fuse.ko || fail "insmod fuse.ko"
insmod /lib/modules/cuse.ko || fail "insmod cuse.ko"

# (a) the kernel modules.  register_chrdev makes no node: mknod as a user
# of the original driver does; /dev/mllibdev comes from devtmpfs.
# MODULES: NAME.ko[:PARAM=VALUE...] (ml_loop.ko:seed=N).
for m in $MODULES; do
	insmod "/modules/${m%%:*}" $(case $m in *:*) echo "${m#*:}" | tr ':' ' ' ;; esac) ||
		fail "insmod $m"
done
status "loaded$(for m in $MODULES; do printf ' %s' "$m"; done)"
if has mlcore; then
	mknod -m 600 /dev/mlcore c 104 0	# as devtmpfs makes CUSE's
fi
if has ml_lib; then
	wait_for -c /dev/mllibdev || fail "no /dev/mllibdev after loading the modules"
fi
if has mlloop; then
	wait_for -c /dev/mlloop || fail "no /dev/mlloop after loading the modules"
	status "ml_loop seed parameter: $(cat /sys/module/ml_loop/parameters/seed)"
fi
run kernel --root /
# Every record the kernel's ring kept (-s: more than its 128 KiB, or the
# formatted lines are cut to that), for klog-kept.py.
dmesg -r -s 8388608 > /tmp/kernel.klog
mlc-conformance probe --profile "$PROFILES" --root / > /tmp/kernel.probe 2>&1
if has mlcore; then
	mlc-conformance bench --dev /dev/mlcore --iters "$BENCH_KERNEL" --label kernel \
		>> /tmp/bench.txt 2>&1 || status "FAIL bench kernel"
fi
# serve --cuse while mlcore.ko holds major 104 (the other modules unloaded
# first, their device names then free): a message, then a dynamic major
# for its /dev/mlcore.
for m in $RMMOD; do
	[ "$m" = mlcore ] && continue
	rmmod "$m" || status "FAIL rmmod $m"
done
if has mlcore; then
	mlcore-emu serve --cuse --instance taken > /tmp/cuse-taken.out 2> /tmp/cuse-taken.err ||
		status "FAIL serve --cuse with 104 taken: $(cat /tmp/cuse-taken.err)"
	status "cuse-taken: majors $(grep ' mlcore$' /proc/devices | awk '{printf "%s ", $1}')| $(head -n1 /tmp/cuse-taken.err)"
	mlcore-emu stop --instance taken > /dev/null 2>> /tmp/cuse-taken.err ||
		status "FAIL stop --instance taken"
	mlcore-emu rm taken 2>> /tmp/cuse-taken.err || status "FAIL rm taken"
fi
for m in $RMMOD; do
	[ "$m" = mlcore ] || continue
	rmmod "$m" || status "FAIL rmmod $m"
done
rm -f /dev/mlcore
dmesg > /tmp/dmesg.txt

# (b) the product: mlcore-emu serve --cuse --root /emu, one instance seeded
# as the host's (so its loop runs the same workload): the CUSE daemons'
# /dev/mlcore, /dev/mllibdev, /dev/mlloop; proc, sys, log, kmsg at /emu.
mlcore-emu serve --cuse --root /emu --instance guest --seed "$SEED" \
	> /tmp/serve-cuse.out 2> /tmp/serve-cuse.err ||
	fail "mlcore-emu serve --cuse: $(cat /tmp/serve-cuse.err)"
for d in mlcore mllibdev mlloop; do
	[ -c /dev/$d ] || fail "mlcore-emu serve --cuse made no /dev/$d"
done
[ -e /emu/proc/mlcore_result ] || fail "mlcore-emu serve --cuse did not mount /emu"
status "doors up: $(ls -l /dev/mlcore /dev/mllibdev /dev/mlloop 2>/dev/null | awk '{printf "%s %s%s ", $NF, $5, $6}')| $(cat /tmp/serve-cuse.out)"
run guest-cuse --dev-root / --loop-dev-root / --proc-root /emu \
	--log /emu/var/log/mlcore.log --kmsg /emu/dev/kmsg
mlc-conformance probe --profile "$PROFILES" --dev-root / --loop-dev-root / --proc-root /emu \
	--log /emu/var/log/mlcore.log --kmsg /emu/dev/kmsg > /tmp/guest-cuse.probe 2>&1
# The FUSE door on this kernel at the same edges (informational: the FUSE
# layer, not the door, decides what a partial GET_RESULT copies).
mlc-conformance probe --profile "$PROFILES" --root /emu --log /emu/var/log/mlcore.log \
	--kmsg /emu/dev/kmsg > /tmp/guest-fuse.probe 2>&1
if has mlcore; then
	mlc-conformance bench --dev /dev/mlcore --iters "$BENCH_CUSE" --label cuse \
		>> /tmp/bench.txt 2>&1 || status "FAIL bench cuse"
	mlc-conformance bench --dev /emu/dev/mlcore --iters "$BENCH_CUSE" --label guest-fuse \
		>> /tmp/bench.txt 2>&1 || status "FAIL bench guest-fuse"
fi
# stop removes the devices with the mount.
mlcore-emu stop --root /emu > /dev/null 2>> /tmp/serve-cuse.err || status "FAIL stop --root /emu"
left=
for d in mlcore mllibdev mlloop; do
	i=0
	while [ -e /dev/$d ] && [ $i -lt 50 ]; do i=$((i + 1)); sleep 0.1; done
	[ -e /dev/$d ] && left="$left /dev/$d"
done
grep -q ' /emu fuse' /proc/mounts && left="$left /emu(mounted)"
status "cuse-stop: left ${left:-none of /dev/mlcore /dev/mllibdev /dev/mlloop}"
finish 0

#!/bin/busybox sh
# PID 1 of the conformance VM (packed as /init by run-conformance.sh).
# Runs the scenarios against (a) the kernel modules and (b) the CUSE door
# with the FUSE door, sends traces and timings to the host through the
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
	for f in /tmp/*.trace /tmp/*.probe /tmp/*.err /tmp/bench.txt /tmp/dmesg.txt; do
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
mlc-conformance probe --profile "$PROFILES" --root / > /tmp/kernel.probe 2>&1
if has mlcore; then
	mlc-conformance bench --dev /dev/mlcore --iters "$BENCH_KERNEL" --label kernel \
		>> /tmp/bench.txt 2>&1 || status "FAIL bench kernel"
fi
# The CUSE door while the module holds major 104: a message, then a
# dynamic major for its /dev/mlcore.
if has mlcore; then
	mlcore-cuse --instance taken --device mlcore -f 2> /tmp/cuse-taken.err &
	pid=$!
	i=0
	while [ "$(grep -c ' mlcore$' /proc/devices)" -lt 2 ] && [ $i -lt 100 ]; do
		i=$((i + 1)); sleep 0.1
	done
	status "cuse-taken: majors $(grep ' mlcore$' /proc/devices | awk '{printf "%s ", $1}')| $(head -n1 /tmp/cuse-taken.err)"
	kill "$pid"; wait "$pid" 2>/dev/null
fi
for m in $RMMOD; do
	rmmod "$m" || status "FAIL rmmod $m"
done
rm -f /dev/mlcore
dmesg > /tmp/dmesg.txt

# (b) the CUSE door for the devices, the FUSE door for the rest, one instance
# (seeded as the host's, so its loop runs the same workload).  CUSE does not
# serve /dev/mlloop: the mlloop profile uses the FUSE door's /emu/dev/mlloop.
if has mlcore; then
	mlcore-cuse --instance guest --seed "$SEED" --device mlcore -f 2> /tmp/cuse-mlcore.err &
	wait_for -c /dev/mlcore || fail "the CUSE door made no /dev/mlcore"
fi
if has ml_lib; then
	mlcore-cuse --instance guest --seed "$SEED" --device mllibdev -f 2> /tmp/cuse-mllibdev.err &
	wait_for -c /dev/mllibdev || fail "the CUSE door made no /dev/mllibdev"
fi
mlcore-cuse --instance guest --seed "$SEED" --fuse-root /emu -f 2> /tmp/fuse-door.err &
wait_for -e /emu/proc/mlcore_result || fail "the FUSE door did not mount /emu"
status "doors up: $(ls -l /dev/mlcore /dev/mllibdev 2>/dev/null | awk '{printf "%s %s%s ", $NF, $5, $6}')"
run guest-cuse --dev-root / --loop-dev-root /emu --proc-root /emu \
	--log /emu/var/log/mlcore.log --kmsg /emu/dev/kmsg
mlc-conformance probe --profile "$PROFILES" --dev-root / --loop-dev-root /emu --proc-root /emu \
	--log /emu/var/log/mlcore.log --kmsg /emu/dev/kmsg > /tmp/guest-cuse.probe 2>&1
if has mlcore; then
	mlc-conformance bench --dev /dev/mlcore --iters "$BENCH_CUSE" --label cuse \
		>> /tmp/bench.txt 2>&1 || status "FAIL bench cuse"
	mlc-conformance bench --dev /emu/dev/mlcore --iters "$BENCH_CUSE" --label guest-fuse \
		>> /tmp/bench.txt 2>&1 || status "FAIL bench guest-fuse"
fi
finish 0

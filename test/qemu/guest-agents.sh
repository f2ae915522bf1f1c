#!/bin/busybox sh
# PID 1 of the agents VM (packed as /init by run-agents.sh).  Loads the
# kernel modules built from src/core (ml_loop.ko with the harness's seed),
# runs the reference agents unchanged against them (--root /), sends their
# output to the host through the second serial port (/dev/ttyS1) and powers
# off through isa-debug-exit (exit byte 0: all ran; 1: something failed).
# AGENTS=python: the Python agents, with the host's / shared read-only over
# 9p (tag hostroot) mounted at /host, the guest's /dev, /proc, /sys and
# /tmp bound over the share's, and the host's python3 run in chroot /host.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /var/log
mount -t tmpfs tmpfs /tmp
. /conf.sh	# MODULES (NAME.ko[:PARAM=VALUE ...]) RMMOD EPOCHS AGENTS IRIS LOOP

exec 3>/dev/ttyS1
send() {	# NAME FILE
	echo "=== FILE $1" >&3
	[ -f "$2" ] && cat "$2" >&3
	echo "=== END $1" >&3
}
status() { echo "$*" >> /tmp/status; echo "guest: $*"; }
finish() {
	for f in /tmp/*.txt /tmp/*.csv /tmp/*.err; do
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

for m in $MODULES; do
	insmod "/modules/${m%%:*}" $(case $m in *:*) echo "${m#*:}" | tr ':' ' ' ;; esac) ||
		fail "insmod $m"
done
status "loaded $MODULES"
mknod -m 600 /dev/mlcore c 104 0	# register_chrdev makes no node
wait_for -c /dev/mlloop || fail "no /dev/mlloop after loading the modules"
status "seed parameter: $(cat /sys/module/ml_loop/parameters/seed)"
model=/sys/class/ml_lib_loop/mlloop/ml_readahead

run_agent=
if [ "$AGENTS" = python ]; then
	t0=$(date +%s)
	for m in $(cat /lib/modules/load-order); do
		insmod "/lib/modules/$m" || fail "insmod $m (9p client)"
	done
	mkdir -p /host
	i=0	# the share's tag, once 9pnet_virtio has bound the device
	until cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null | grep -q hostroot; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "no virtio 9p device with the tag hostroot"
		sleep 0.1
	done
	mount -t 9p -o ro,trans=virtio,version=9p2000.L,cache=loose,msize=262144 hostroot /host ||
		fail "mount of the host's / over 9p"
	# The SDK is read from the checkout (PYDIR); one under /tmp would be
	# hidden by the guest's /tmp bound below, so it is bound back on top.
	case "$PYDIR" in /tmp/*)
		mkdir -p /pysrc && mount --bind "/host$PYDIR" /pysrc ||
			fail "bind the SDK at $PYDIR";;
	esac
	for d in dev proc sys tmp; do
		mount --bind "/$d" "/host/$d" || fail "bind /$d over /host/$d"
	done
	case "$PYDIR" in /tmp/*)
		mkdir -p "/host$PYDIR" && mount --bind /pysrc "/host$PYDIR" ||
			fail "bind the SDK back at $PYDIR";;
	esac
	[ -x /host/usr/bin/python3 ] || fail "no /usr/bin/python3 on the 9p share"
	status "mounted the host's / over 9p read-only in $(( $(date +%s) - t0 )) s"
	run_agent="chroot /host"
fi

t0=$(date +%s)
if [ -n "$IRIS" ]; then	# empty: only the loop agent (run-agents.sh --loop-only)
	$run_agent $IRIS --root / > /tmp/iris.txt 2> /tmp/iris.err || status "FAIL the iris agent (exit $?)"
fi
t1=$(date +%s)
$run_agent $LOOP --root / --epochs "$EPOCHS" --csv /tmp/loop.csv > /tmp/loop.txt 2> /tmp/loop.err ||
	status "FAIL the loop agent (exit $?)"
t2=$(date +%s)
iris_s="the iris agent in $((t1 - t0)) s"; [ -n "$IRIS" ] || iris_s="not the iris agent"
status "ran $iris_s, the loop agent ($EPOCHS epochs) in $((t2 - t1)) s"
for a in dev; do
	echo "$a: $(cat /sys/class/ml_lib_loop/mlloop/$a)"
done > /tmp/attrs-dev.txt
for a in mode state efficiency stats; do
	echo "== $a"; cat "$model/$a"
done > /tmp/attrs.txt
(cd "$model" && stat -c "%a %n" *) > /tmp/modes.txt

for m in $RMMOD; do
	rmmod "$m" || status "FAIL rmmod $m"
done
dmesg > /tmp/dmesg.txt
if [ "$AGENTS" = python ]; then
	case "$PYDIR" in /tmp/*)
		umount "/host$PYDIR" || status "FAIL umount /host$PYDIR"
		umount /pysrc || status "FAIL umount /pysrc";;
	esac
	for d in tmp sys proc dev; do umount "/host/$d" || status "FAIL umount /host/$d"; done
	umount /host || status "FAIL umount /host"
fi
finish 0

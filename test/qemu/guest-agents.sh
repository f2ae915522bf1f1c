#!/bin/busybox sh
# PID 1 of the agents VM (packed as /init by run-agents.sh).  Loads the
# kernel modules built from src/core (ml_loop.ko with the harness's seed),
# runs the reference agents unchanged against them (--root /), sends their
# output to the host through the second serial port (/dev/ttyS1) and powers
# off through isa-debug-exit (exit byte 0: all ran; 1: something failed).
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /var/log
mount -t tmpfs tmpfs /tmp
. /conf.sh	# MODULES (NAME.ko[:PARAM=VALUE ...]) RMMOD EPOCHS

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

t0=$(date +%s)
mlc-agent-iris --root / > /tmp/iris.txt 2> /tmp/iris.err || status "FAIL mlc-agent-iris (exit $?)"
t1=$(date +%s)
mlc-agent-loop --root / --epochs "$EPOCHS" --csv /tmp/loop.csv > /tmp/loop.txt 2> /tmp/loop.err ||
	status "FAIL mlc-agent-loop (exit $?)"
t2=$(date +%s)
status "ran mlc-agent-iris in $((t1 - t0)) s, mlc-agent-loop ($EPOCHS epochs) in $((t2 - t1)) s"
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
finish 0

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The preload door as an unprivileged user on a machine without a usable
# /dev/fuse (issue 6, point 4): in a private mount namespace /dev/fuse is
# hidden behind /dev/null, then, as uid/gid 65534 with no groups and an
# empty environment, `mlcore-emu run -- python3 -c ...` must serve the real
# paths: the instance segment is created in /dev/shm with the uid in its
# name, the state directory under /tmp/mlcore-emu-65534.
#
#   unprivileged.sh MLCORE_EMU AGENT
#
# Needs root to build the namespace; exits 77 (skipped) when it cannot.
set -eu
emu=$1
agent=$2
python=/usr/bin/python3
uid=65534
name="unpriv-$$"

skip() { echo "SKIPPED: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root to set up the namespace"
command -v unshare >/dev/null && command -v setpriv >/dev/null ||
	skip "unshare/setpriv missing"
[ -x "$python" ] || skip "$python missing"
as_nobody() { setpriv --reuid=$uid --regid=$uid --clear-groups "$@"; }
as_nobody test -x "$emu" -a -r "$agent" ||
	skip "uid $uid cannot reach $emu or $agent (a private build tree?)"

cleanup() {
	rm -f "/dev/shm/mlcore-emu.$uid.$name"
	rm -rf "/tmp/mlcore-emu-$uid/$name"
}
trap cleanup EXIT

check='
import errno, fcntl, os, stat, struct, subprocess, sys
uid, name, agent = os.getuid(), sys.argv[1], sys.argv[2]
assert uid == 65534 and os.getgid() == 65534 and os.getgroups() == [], "not nobody"
st = os.stat("/dev/fuse")
assert (os.major(st.st_rdev), os.minor(st.st_rdev)) != (10, 229), "/dev/fuse visible"
fd = os.open("/dev/mlcore", os.O_RDWR)
st = os.fstat(fd)
assert stat.S_ISCHR(st.st_mode) and os.major(st.st_rdev) == 104, oct(st.st_mode)
assert fcntl.ioctl(fd, 0x40046801, struct.pack("i", 2024)) == struct.pack("i", 2024)
b = bytearray(8)
fcntl.ioctl(fd, 0x80086802, b, True)
assert struct.unpack_from("i", b)[0] == 2024
text = open("/proc/mlcore_result").read()
assert text.startswith("Current Prediction: 2024\n"), text
# The instance owner stands in for root (file_table.hpp, Cred): a proc
# file opens for writing as for root, and the write fails with EIO.
wfd = os.open("/proc/mlcore_result", os.O_WRONLY)
try:
    os.write(wfd, b"x")
    raise AssertionError("a write to a proc file succeeded")
except OSError as e:
    assert e.errno == errno.EIO, e
os.close(wfd)
assert os.access("/proc/mlcore_result", os.W_OK), "access() disagrees with open()"
# ... and writes a model'"'"'s control (0220), which needs root on the kernel.
ctl = "/sys/class/ml_lib_test/mllibdev/ml_model1/control"
cfd = os.open(ctl, os.O_WRONLY)
assert os.write(cfd, b"start\n") == 6
os.close(cfd)
seg = f"/dev/shm/mlcore-emu.{uid}.{name}"
st = os.stat(seg)
assert st.st_uid == uid and stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
assert os.path.isdir(f"/tmp/mlcore-emu-{uid}/{name}")
p = subprocess.run([sys.executable, agent, "/"], capture_output=True, text=True)
assert p.returncode == 0 and "nearest-centroid accuracy" in p.stdout, p.stderr
print("PASSED: unprivileged, no FUSE:", text.splitlines()[0], "|",
      p.stdout.splitlines()[-2])
'

unshare -m sh -c '
	set -e
	mount --make-rprivate /
	[ -e /dev/fuse ] && mount --bind /dev/null /dev/fuse
	exec setpriv --reuid='$uid' --regid='$uid' --clear-groups \
		env -i PATH=/usr/bin:/bin HOME=/nonexistent \
		"$0" run --instance "$1" --clock fixed:1767225600 -- \
		'$python' -c "$2" "$1" "$3"
' "$emu" "$name" "$check" "$agent"

# Shared by run-conformance.sh and run-agents.sh: pack an initramfs, boot
# Debian's kernel with it under QEMU (TCG), and unpack the files the guest
# printed on its second serial port ("=== FILE name" ... "=== END").
# Source it; it defines functions only.

# pack_initramfs DIR OUT: a gzip'd newc cpio of DIR.
pack_initramfs() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) > "$2"
}

# boot_vm KVER INITRD WORK OUTDIR TIMEOUT: boots, leaves the console in
# WORK/console.log and the guest's files in OUTDIR; sets vm_rc (QEMU's exit
# code: 1 = the guest's init finished, 3 = a step failed, 124 = timeout)
# and vm_s (seconds).
boot_vm() {
	local kver=$1 initrd=$2 work=$3 outdir=$4 limit=$5 t0
	t0=$(date +%s.%N)
	set +e
	timeout "$limit" qemu-system-x86_64 -accel tcg -m 1G -smp 1 \
		-nodefaults -display none -no-reboot \
		-serial stdio -serial "file:$work/guest-out.txt" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-kernel "/boot/vmlinuz-$kver" -initrd "$initrd" \
		-append "console=ttyS0 quiet loglevel=1 panic=-1" \
		< /dev/null 2>&1 | tr -d '\r' > "$work/console.log"
	vm_rc=${PIPESTATUS[0]}
	set -e
	vm_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	mkdir -p "$outdir"
	tr -d '\r' < "$work/guest-out.txt" | awk -v dir="$outdir" '
		/^=== FILE / { f = dir "/" $3; printf "" > f; next }
		/^=== END / { close(f); f = ""; next }
		f != "" { print >> f }'
}

# report_vm_failure WHO WORK OUTDIR: what a failed boot left, on stderr.
report_vm_failure() {
	local who=$1 work=$2 outdir=$3 e
	echo "$who: the VM ended with $vm_rc (1 = all ran; 3 = a step failed; 124 = timeout)" >&2
	tail -n 30 "$work/console.log" >&2
	[ -f "$outdir/status" ] && cat "$outdir/status" >&2
	for e in "$outdir"/*.err; do [ -s "$e" ] && { echo "--- ${e##*/}"; cat "$e"; } >&2; done
	return 0
}

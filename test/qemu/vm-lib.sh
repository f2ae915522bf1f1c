# Shared by run-conformance.sh and run-agents.sh: pack an initramfs, boot
# Debian's kernel with it under QEMU (TCG), and unpack the files the guest
# printed on its second serial port ("=== FILE name" ... "=== END").
# Source it; it defines functions only.

# pack_initramfs DIR OUT: a gzip'd newc cpio of DIR.
pack_initramfs() {
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) > "$2"
}

# copy_kernel_modules KVER DEST NAME...: the modules NAME of Debian's kernel
# KVER and every module they need (modules.dep), decompressed into DEST;
# DEST/load-order lists them in an order insmod accepts (needs first).
copy_kernel_modules() {
	local kver=$1 dest=$2 dep=/lib/modules/$1/modules.dep n rel
	shift 2
	[ -r "$dep" ] || { echo "vm-lib: no $dep" >&2; return 1; }
	local -A seen=()
	local order=()
	_visit_module() {	# REL: its needs, then itself
		local line d
		[ -n "${seen[$1]:-}" ] && return 0
		seen[$1]=1
		line=$(grep -m1 "^$1:" "$dep") || { echo "vm-lib: no $1 in $dep" >&2; return 1; }
		for d in ${line#*:}; do _visit_module "$d" || return 1; done
		order+=("$1")
	}
	for n in "$@"; do
		rel=$(grep -m1 -oE "^[^:]*/$n\.ko(\.xz|\.zst|\.gz)?:" "$dep") ||
			{ echo "vm-lib: no module $n for $kver" >&2; return 1; }
		_visit_module "${rel%:}" || return 1
	done
	mkdir -p "$dest"
	: > "$dest/load-order"
	for rel in "${order[@]}"; do
		n=${rel##*/}; n=${n%.xz}; n=${n%.zst}; n=${n%.gz}
		case $rel in
		*.xz) xz -dc "/lib/modules/$kver/$rel" > "$dest/$n" ;;
		*.zst) zstd -qdc "/lib/modules/$kver/$rel" > "$dest/$n" ;;
		*.gz) gzip -dc "/lib/modules/$kver/$rel" > "$dest/$n" ;;
		*) cp "/lib/modules/$kver/$rel" "$dest/$n" ;;
		esac || return 1
		echo "$n" >> "$dest/load-order"
	done
}

# boot_vm KVER INITRD WORK OUTDIR TIMEOUT: boots, leaves the console in
# WORK/console.log and the guest's files in OUTDIR; sets vm_rc (QEMU's exit
# code: 1 = the guest's init finished, 3 = a step failed, 124 = timeout)
# and vm_s (seconds).  QEMU also gets the array vm_qemu_args (more devices,
# e.g. a 9p share), empty unless the caller sets it.
vm_qemu_args=()
boot_vm() {
	local kver=$1 initrd=$2 work=$3 outdir=$4 limit=$5 t0
	t0=$(date +%s.%N)
	set +e
	timeout "$limit" qemu-system-x86_64 -accel tcg -m 1G -smp 1 \
		-nodefaults -display none -no-reboot \
		-serial stdio -serial "file:$work/guest-out.txt" \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 "${vm_qemu_args[@]}" \
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

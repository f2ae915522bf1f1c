#!/usr/bin/env bash
# Installs what the QEMU conformance harness needs from Debian, if missing:
# a kernel image and its headers (the same version), QEMU, a static busybox
# and cpio.  Safe to run again; does nothing when all are there.
#   bash test/qemu/setup-qemu.sh          install what is missing (root)
#   bash test/qemu/setup-qemu.sh --check  only say what is missing (exit 1)
# Exit 77 (a skip for ctest) when packages are missing and we are not root.
set -euo pipefail
packages=(qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "setup-qemu: all present: ${packages[*]}"
	exit 0
fi
if [ "${1:-}" = --check ]; then
	echo "setup-qemu: missing: ${missing[*]} (run test/qemu/setup-qemu.sh as root)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "setup-qemu: missing ${missing[*]}; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 77	# ctest: skipped
fi
echo "setup-qemu: installing ${missing[*]}"
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"

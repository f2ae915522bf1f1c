#!/usr/bin/env bash
# Installs every Debian package the project needs, then configures and
# builds it (preset "default", into build/).  Safe to run again.
#   bash scripts/setup.sh            install + build
#   MLC_SKIP_APT=1 bash scripts/setup.sh   build only (packages already there)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
	cmake g++ make pkg-config
	libfuse3-dev fuse3
	libboost-dev libfmt-dev libcli11-dev nlohmann-json3-dev
	libgtest-dev libgmock-dev libbenchmark-dev
	python3 util-linux procps
	# the man page (made at build time from the help); the .deb (cpack, dpkg-shlibdeps)
	help2man man-db dpkg-dev
	# the demo: iris.csv ships in python3-sklearn (not -lib); the plot
	python3-sklearn gnuplot-nox
	# the Python agent SDK (src/agent/python): its tests, numpy, the sweeps
	python3-pytest python3-numpy python3-distributed
	# the conformance suite: kernel modules built from src/core, booted in QEMU
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio
	xz-utils zstd kmod
	# workload traces (test_18): real programs recorded, a static one refused
	tar grep libc6-dev strace file
	# the fuzz harnesses (preset fuzz): clang 14; libFuzzer's runtime and
	# <fuzzer/FuzzedDataProvider.h> are in libclang-rt-14-dev, which clang
	# only recommends
	clang libclang-rt-14-dev
)

if [ "${MLC_SKIP_APT:-0}" != 1 ]; then
	sudo=
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
		sudo=sudo
	fi
	echo "setup: installing Debian packages: ${packages[*]}"
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

echo "setup: building (preset default -> build/)"
cmake --preset default
cmake --build --preset default -j"$(nproc)"
echo "setup: done; the command is build/mlcore-emu (try build/mlcore-emu --help)"

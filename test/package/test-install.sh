#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then use it as a user would: the
# layout, the man page covers every subcommand, mlcore-emu runs from the
# prefix with the installed preload library, and an SDK user builds with
# find_package(mlcore-emu) and with pkg-config and runs.  Label "install".
#   test/package/test-install.sh BUILD-DIR
set -euo pipefail
build=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/mlc-install.XXXXXX)
inst=it-install-$$
cleanup() {
	rm -f "/dev/shm/mlcore-emu.$(id -u).$inst"
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "test-install: FAIL: $*" >&2; exit 1; }
prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" > "$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$build/CMakeCache.txt")
libdir=${libdir:-lib}

for f in bin/mlcore-emu bin/mlc-agent-iris bin/mlc-agent-loop \
	 libexec/mlcore-emu/mlcore-cuse lib/mlcore-emu/libmlcore-preload.so \
	 include/mlcore-emu/uapi/mlcore.h include/mlcore-emu/uapi/ml_lib.h \
	 include/mlcore-emu/uapi/ml_loop.h include/mlcore-emu/agent/clients.hpp \
	 "$libdir/libmlcore-agent.a" "$libdir/cmake/mlcore-emu/mlcore-emu-config.cmake" \
	 "$libdir/pkgconfig/mlcore-agent.pc" share/man/man1/mlcore-emu.1 \
	 share/doc/mlcore-emu/README.md share/doc/mlcore-emu/docs/architecture.md; do
	[ -e "$prefix/$f" ] || fail "cmake --install did not install $f"
done
if [ -d "$here/../../src/agent/python/mlcore_agent" ]; then
	find "$prefix" -path "*/dist-packages/mlcore_agent/__init__.py" | grep -q . ||
		fail "the Python package mlcore_agent is not installed"
fi
echo "test-install: layout ok ($(find "$prefix" -type f | wc -l) files)"

# The man page: a section per subcommand (nested ones too), no roff warnings.
emu=$prefix/bin/mlcore-emu
man1=$prefix/share/man/man1/mlcore-emu.1
subs=$("$emu" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1; next } on && !/^ / { on = 0 }')
[ -n "$subs" ] || fail "no subcommands in mlcore-emu --help"
for s in $subs; do
	grep -q "^\.SS \"mlcore-emu $s\"" "$man1" || fail "the man page has no section for $s"
	grep -q -- "--help" <(sed -n "/^\.SS \"mlcore-emu $s\"/,/^\.fi/p" "$man1") ||
		fail "the man page's $s section is not its --help"
done
warnings=$(MANWIDTH=80 man --warnings -l "$man1" 2>&1 >/dev/null || true)
[ -z "$warnings" ] || fail "man reports: $warnings"
echo "test-install: man page covers $(echo $subs | wc -w) subcommands: $(echo $subs)"

# The installed command uses the installed preload library.
export MLCORE_EMU_STATE_DIR=$tmp/state
unset MLCORE_EMU_PRELOAD MLCORE_EMU_CUSE
got=$("$emu" run --rm --instance "$inst" -- sh -c 'echo "$LD_PRELOAD"; cat /proc/mlcore_result')
want="$prefix/lib/mlcore-emu/libmlcore-preload.so
Current Prediction: -1
Prediction History (latest 0):"
[ "$got" = "$want" ] || fail "run from the prefix printed: $got"
[ ! -e "/dev/shm/mlcore-emu.$(id -u).$inst" ] || fail "run --rm left the instance"
# The installed daemon runs (its refusal without /dev/cuse is one line).
"$prefix/libexec/mlcore-emu/mlcore-cuse" --help > /dev/null || fail "mlcore-cuse --help"
echo "test-install: mlcore-emu runs from the prefix with its own preload library"

# An SDK user: find_package(mlcore-emu), then pkg-config.
cmake -S "$here/consumer" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
	-DCMAKE_BUILD_TYPE=Release > "$tmp/consumer.log" 2>&1 || { cat "$tmp/consumer.log"; fail "configure with find_package"; }
cmake --build "$tmp/consumer" > "$tmp/consumer-build.log" 2>&1 || { cat "$tmp/consumer-build.log"; fail "build with find_package"; }
out=$("$emu" run --rm --instance "$inst" -- "$tmp/consumer/consumer")
[ "$out" = "major 104 result 42" ] || fail "the find_package consumer printed: $out"
echo "test-install: find_package(mlcore-emu) consumer: $out"
export PKG_CONFIG_PATH=$prefix/$libdir/pkgconfig
c++ -o "$tmp/consumer-pc" "$here/consumer/consumer.cc" $(pkg-config --cflags --libs mlcore-agent) ||
	fail "build with pkg-config mlcore-agent"
out=$("$emu" run --rm --instance "$inst" -- "$tmp/consumer-pc")
[ "$out" = "major 104 result 42" ] || fail "the pkg-config consumer printed: $out"
echo "test-install: pkg-config mlcore-agent ($(pkg-config --modversion mlcore-agent)) consumer: $out"
echo "test-install: ok"

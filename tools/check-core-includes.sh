#!/usr/bin/env bash
# Fails if a core file (src/core/) includes anything but the core's own
# headers, the UAPI headers (include/uapi/) or the platform seam.  The seam
# header (mlc_platform.h) is the one place allowed to name system headers.
set -euo pipefail
root=${1:-$(dirname "$0")/..}
core="$root/src/core"
bad=0
for f in "$core"/*.c "$core"/*.h; do
	[ "$(basename "$f")" = mlc_platform.h ] && continue
	while IFS= read -r line; do
		inc=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*//' <<<"$line")
		case "$inc" in
		\"*\")
			name=${inc#\"}; name=${name%\"}
			target=$(realpath -m "$core/$name")
			case "$target" in
			"$(realpath "$core")"/*|"$(realpath "$root/include/uapi")"/*)
				[ -f "$target" ] && continue ;;
			esac
			;;
		esac
		echo "$f: forbidden include: $inc" >&2
		bad=1
	done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$f")
done
if [ "$bad" -ne 0 ]; then
	echo "core files may include only src/core/*.h, include/uapi/*.h and mlc_platform.h" >&2
	exit 1
fi
echo "core includes: ok ($(ls "$core"/*.[ch] | wc -l) files)"

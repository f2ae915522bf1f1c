#!/usr/bin/env bash
# The long fuzz run of docs/fuzzing.md: each harness of the preset "fuzz"
# for a number of executions (or a time cap), two at a time at most (the
# machine is shared), each over a working copy of its corpus; then a
# summary of executions, exec/s, coverage and crashes per harness.
#
#   bash test/fuzz/long_run.sh BUILD_DIR WORK_DIR [harness:runs:seconds ...]
#
# Default plan: the one of docs/fuzzing.md (>= 10 M executions in all).
# Crashes go to WORK_DIR/artifacts/; a harness that crashes is reported and
# the others go on.  fuzz_instance_attach runs in fork mode with
# -ignore_crashes=1: on main it is expected to crash (docs/fuzzing.md).
set -uo pipefail

build=${1:?build dir (build-fuzz)}
work=${2:?work dir}
shift 2
src=$(cd "$(dirname "$0")" && pwd)
plan=("$@")
if [ ${#plan[@]} = 0 ]; then
	plan=(fuzz_mlcore_ioctl:2500000:1200 fuzz_seq_file:2500000:1200
	      fuzz_control_parser:2000000:900 fuzz_ml_lib_dev:2000000:900
	      fuzz_loop_dev:1000000:900 fuzz_instance_attach:0:300)
fi
mkdir -p "$work/artifacts"

run_one() {
	local name=$1 runs=$2 secs=$3 dict=()
	local corpus=$work/corpus/$name log=$work/$name.log
	mkdir -p "$corpus"
	cp -n "$src/corpus/$name/"* "$corpus/" 2>/dev/null
	case $name in
	fuzz_ml_lib_dev|fuzz_control_parser|fuzz_loop_dev)
		dict=(-dict="$src/control.dict") ;;
	esac
	# Short inputs run faster; the parser needs more than a sysfs page.
	local max_len=256
	[ "$name" = fuzz_control_parser ] && max_len=4200
	local mode=(-runs="$runs" -max_len=$max_len)
	if [ "$name" = fuzz_instance_attach ]; then
		mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_len=$max_len)
	fi
	local t0=$SECONDS
	# Two frames of allocation stack: ASan's malloc is most of the cost.
	ASAN_OPTIONS=malloc_context_size=2:${ASAN_OPTIONS:-} \
	nice "$build/test/fuzz/$name" "${mode[@]}" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="$work/artifacts/$name-" "$corpus" >>"$log" 2>&1
	local rc=$?
	echo "$name rc=$rc seconds=$((SECONDS - t0))" >>"$work/status"
}

# Two lanes: the plan's odd and even entries.
lane() {
	local i
	for ((i = $1; i < ${#plan[@]}; i += 2)); do
		IFS=: read -r n r s <<<"${plan[$i]}"
		run_one "$n" "$r" "$s"
	done
}
touch "$work/status"
lane 0 &
lane 1 &
wait

# Summary: executions, exec/s, final cov/ft, corpus, crashes.
{
	printf 'harness\texecs\texec/s\tcov\tft\tcorpus\tcrashes\tseconds\n'
	for entry in "${plan[@]}"; do
		n=${entry%%:*}
		log=$work/$n.log
		execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | awk '{s += $2} END {print s + 0}')
		eps=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | awk '{print $2}')
		last=$(grep -E '(#[0-9]+|^#)' "$log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -1)
		if [ "$n" = fuzz_instance_attach ]; then
			execs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
			eps=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | awk '{print $2}')
		fi
		crashes=$(ls "$work/artifacts/" 2>/dev/null | grep -c "^$n-" || true)
		secs=$(grep "^$n " "$work/status" | grep -o 'seconds=[0-9]*' | cut -d= -f2)
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "${execs:-0}" "${eps:-?}" \
			"$(echo "$last" | awk '{print $2}')" "$(echo "$last" | awk '{print $4}')" \
			"$(ls "$work/corpus/$n" | wc -l)" "$crashes" "${secs:-?}"
	done
} | tee "$work/summary.tsv"

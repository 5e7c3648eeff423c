#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# tests/fuzz-campaign.sh -- the long fuzzing run: every libFuzzer target
# for FUZZ_SECONDS (default 600), one after the other (one core), each on
# a scratch copy of its committed corpus (fuzz/corpus/NAME); then the
# final corpus is replayed by the coverage build (build-fuzz/cov/fuzz_NAME:
# -fprofile-instr-generate -fcoverage-mapping, no sanitizers) and the
# profile merged with llvm-profdata and summarised with llvm-cov for the
# source files the target is about (files_of below), as is the committed
# seed corpus alone, for comparison.
#
#	bash tests/fuzz-campaign.sh [NAME...]
#
# `make fuzz-campaign` builds both builds and runs every target (or
# FUZZ_ONLY="a b"). Per target: seconds, executions, exec/s, libFuzzer's
# final cov: (edges) and ft: (features), corpus files before and after,
# crashes (crash-, leak-, timeout- or oom- artifacts, or libFuzzer failing)
# and line coverage, seeds and final. Output: progress lines, a table,
# then one key=value line per figure ("fuzz.NAME.FIGURE=VALUE", per file
# "fuzz.NAME.lines.FILE=COVERED/TOTAL"). Exit status 1 if any target
# crashed or did not run.
#
# Environment: FUZZ_SECONDS (600), FUZZ_MERGE=1 to merge each final corpus
# into fuzz/corpus/NAME with -merge=1 -use_counters=0 (only inputs that add
# edges are added; the committed seeds stay), FUZZ_NICE (10, the fuzzers' nice
# level), LLVM_PROFDATA and LLVM_COV (default: the versions matching
# clang). Everything is kept in build/fuzz-campaign/NAME/: fuzz.log, the
# final corpus, artifacts, coverage profiles.

set -uo pipefail
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1

: "${FUZZ_SECONDS:=600}"
: "${FUZZ_MERGE:=0}"
: "${FUZZ_NICE:=10}"
clang_major=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -n 1)
pick_tool() { # NAME: NAME-<clang major> if there, else NAME
	if [[ -n $clang_major ]] && command -v "$1-$clang_major" >/dev/null; then
		echo "$1-$clang_major"
	else
		echo "$1"
	fi
}
: "${LLVM_PROFDATA:=$(pick_tool llvm-profdata)}"
: "${LLVM_COV:=$(pick_tool llvm-cov)}"
out=$top/build/fuzz-campaign

say() { printf '%s\n' "$*"; }

# The source files whose code parses or acts on a target's input; line
# coverage is reported for these (all instrumented files if none listed).
files_of() {
	case $1 in
	packet) echo daemon/receive.c daemon/noise.c daemon/cookie.c \
		daemon/index.c daemon/replay.c ;;
	session) echo daemon/receive.c daemon/send.c daemon/noise.c \
		daemon/cookie.c daemon/replay.c daemon/index.c daemon/peer.c \
		daemon/timers.c daemon/ratelimit.c ;;
	uapi) echo daemon/uapi_parse.c common/prefix.c ;;
	uapi_server) echo daemon/uapi.c daemon/uapi_parse.c \
		daemon/allowedips.c ;;
	offload) echo daemon/offload.c daemon/offload_gro.c \
		daemon/offload_csum.c daemon/offload_internal.h ;;
	desc) echo planner/desc.c planner/link.c planner/check.c \
		planner/alloc.c planner/addr.c planner/routes.c planner/edit.c \
		planner/plan.c planner/render.c planner/render_wgquick.c \
		planner/render_networkd.c planner/render_nft.c ;;
	addr) echo planner/addr.c common/prefix.c ;;
	prefix) echo common/prefix.c ;;
	keys) echo planner/keys.c common/key.c ;;
	key) echo common/key.c ;;
	endpoint) echo common/endpoint.c ;;
	status) echo planner/status.c ;;
	esac
}

# Figures of the current target, in table and key=value order.
declare -A fig
record() { fig[$name.$1]=$2; }

# field FILE KEY: libFuzzer's "stat::KEY: value" from -print_final_stats.
field() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }

# coverage BIN CORPUS TAG: replays CORPUS with the coverage build and
# records TAG_covered, TAG_lines (over files_of) and per-file figures.
coverage() {
	local bin=$1 corpus=$2 tag=$3 dir=$out/$name/cov-$3 files json
	rm -rf "$dir" && mkdir -p "$dir"
	if ! LLVM_PROFILE_FILE="$dir/%p.profraw" timeout 1800 "$bin" -runs=0 \
		-rss_limit_mb=4096 -timeout=60 "$corpus" >"$dir/replay.log" 2>&1; then
		say "  $name: coverage replay ($tag) failed, see $dir/replay.log"
		return 1
	fi
	"$LLVM_PROFDATA" merge -sparse "$dir"/*.profraw -o "$dir/cov.profdata" ||
		return 1
	rm -f "$dir"/*.profraw
	read -ra files <<<"$(files_of "$name")"
	json=$("$LLVM_COV" export -summary-only \
		-instr-profile="$dir/cov.profdata" "$bin" "${files[@]}") || return 1
	record "${tag}_covered" "$(jq '.data[0].totals.lines.covered' <<<"$json")"
	record "${tag}_lines" "$(jq '.data[0].totals.lines.count' <<<"$json")"
	while read -r f c n; do
		f=${f#"$top/"}
		record "lines_$tag.$f" "$c/$n"
	done < <(jq -r '.data[0].files[] |
		"\(.filename) \(.summary.lines.covered) \(.summary.lines.count)"' \
		<<<"$json")
}

pct() { awk -v c="${1:-0}" -v n="${2:-0}" 'BEGIN {
	if (n == 0) print "n/a"; else printf "%.1f", 100 * c / n }'; }

# Fuzzes one target; fills fig[NAME.*]. Returns 1 on a crash.
campaign() {
	local bin=build-fuzz/fuzz_$name cov=build-fuzz/cov/fuzz_$name
	local dir=$out/$name t0 t1 rc crashes last
	rm -rf "$dir" && mkdir -p "$dir/corpus" "$dir/artifacts"
	if [[ ! -x $bin || ! -x $cov || ! -d fuzz/corpus/$name ]]; then
		say "  $name: missing $bin, $cov or fuzz/corpus/$name"
		record crashes 1
		return 1
	fi
	cp -r "fuzz/corpus/$name/." "$dir/corpus/"
	record seed_files "$(find "fuzz/corpus/$name" -type f | wc -l)"
	say "  $name: fuzzing for $FUZZ_SECONDS s ($(date +%H:%M:%S))"
	t0=$(date +%s)
	nice -n "$FUZZ_NICE" "$bin" -max_total_time="$FUZZ_SECONDS" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$dir/artifacts/" "$dir/corpus" \
		>"$dir/fuzz.log" 2>&1
	rc=$?
	t1=$(date +%s)
	crashes=$(find "$dir/artifacts" -type f \( -name 'crash-*' -o \
		-name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)
	[[ $rc -ne 0 && $crashes -eq 0 ]] && crashes=1
	last=$(grep -a -E '^#[0-9]+.* cov: [0-9]+ ft: [0-9]+' "$dir/fuzz.log" | tail -n 1)
	record seconds $((t1 - t0))
	record execs "$(field "$dir/fuzz.log" number_of_executed_units)"
	record exec_per_s "$(field "$dir/fuzz.log" average_exec_per_sec)"
	record new_units "$(field "$dir/fuzz.log" new_units_added)"
	record peak_rss_mb "$(field "$dir/fuzz.log" peak_rss_mb)"
	record cov "$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
	record ft "$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
	record corpus_files "$(find "$dir/corpus" -type f | wc -l)"
	record crashes "$crashes"
	if [[ $crashes -ne 0 ]]; then
		grep -a -E -A 30 '^==[0-9]+==|^SUMMARY' "$dir/fuzz.log" | head -n 40
		say "  $name: CRASH, inputs kept in $dir/artifacts/"
	fi
	coverage "$cov" "fuzz/corpus/$name" seed
	coverage "$cov" "$dir/corpus" final
	record line_cov_seed_pct "$(pct "${fig[$name.seed_covered]:-}" "${fig[$name.seed_lines]:-}")"
	record line_cov_pct "$(pct "${fig[$name.final_covered]:-}" "${fig[$name.final_lines]:-}")"
	# Edges only (-use_counters=0): hit counts would keep thousands of
	# near-duplicates; the line coverage is the same.
	if [[ $FUZZ_MERGE == 1 && $crashes -eq 0 ]]; then
		"$bin" -merge=1 -use_counters=0 -timeout=10 -rss_limit_mb=2048 \
			"fuzz/corpus/$name" "$dir/corpus" >"$dir/merge.log" 2>&1
		record merged_files "$(find "fuzz/corpus/$name" -type f | wc -l)"
	fi
	say "  $name: ${fig[$name.execs]:-?} execs, ${fig[$name.exec_per_s]:-?}/s, cov ${fig[$name.cov]:-?} ft ${fig[$name.ft]:-?}, lines ${fig[$name.line_cov_pct]}% (seeds ${fig[$name.line_cov_seed_pct]}%), crashes $crashes"
	[[ $crashes -eq 0 ]]
}

print_table() {
	local n f
	printf '%-12s %6s %10s %7s %6s %7s %15s %15s %7s\n' target seconds \
		execs exec/s cov ft corpus_files "line_cov_%" crashes
	printf '%-12s %6s %10s %7s %6s %7s %15s %15s %7s\n' '' '' '' '' '' '' \
		"seed->final" "seed->final" ''
	printf '%s\n' "$(printf '%91s' '' | tr ' ' -)"
	for n in "${names[@]}"; do
		printf '%-12s %6s %10s %7s %6s %7s %15s %15s %7s\n' "$n" \
			"${fig[$n.seconds]:-}" "${fig[$n.execs]:-}" \
			"${fig[$n.exec_per_s]:-}" "${fig[$n.cov]:-}" \
			"${fig[$n.ft]:-}" \
			"${fig[$n.seed_files]:-}->${fig[$n.corpus_files]:-}" \
			"${fig[$n.line_cov_seed_pct]:-}->${fig[$n.line_cov_pct]:-}" \
			"${fig[$n.crashes]:-}"
	done
	say ""
	say "line coverage by file (final corpus; covered/lines):"
	for n in "${names[@]}"; do
		for f in $(files_of "$n"); do
			[[ -n ${fig[$n.lines_final.$f]:-} ]] || continue
			printf '  %-12s %-28s %12s  %s%%\n' "$n" "$f" \
				"${fig[$n.lines_final.$f]}" \
				"$(pct "${fig[$n.lines_final.$f]%/*}" "${fig[$n.lines_final.$f]#*/}")"
		done
	done
}

print_keys() {
	local n k
	for n in "${names[@]}"; do
		for k in seconds execs exec_per_s new_units peak_rss_mb cov ft \
			seed_files corpus_files merged_files crashes \
			seed_covered seed_lines line_cov_seed_pct final_covered \
			final_lines line_cov_pct; do
			[[ -n ${fig[$n.$k]+x} ]] && say "fuzz.$n.$k=${fig[$n.$k]}"
		done
		for k in "${!fig[@]}"; do
			[[ $k == "$n.lines_final."* ]] &&
				say "fuzz.$n.lines.${k#"$n.lines_final."}=${fig[$k]}"
		done | sort
	done
	say "fuzz.total.crashes=$total_crashes"
}

if [[ $# -gt 0 ]]; then
	names=("$@")
else
	names=()
	for f in fuzz/*.c; do
		f=${f##*/}
		names+=("${f%.c}")
	done
fi
for tool in "$LLVM_PROFDATA" "$LLVM_COV" jq; do
	command -v "$tool" >/dev/null || { say "fuzz-campaign: $tool missing"; exit 1; }
done
mkdir -p "$out"
say "fuzz-campaign: ${#names[@]} targets x $FUZZ_SECONDS s, one at a time; logs in $out"
total_crashes=0
for name in "${names[@]}"; do
	campaign || true
	total_crashes=$((total_crashes + ${fig[$name.crashes]:-1}))
done
say ""
print_table
say ""
print_keys
[[ $total_crashes -eq 0 ]]

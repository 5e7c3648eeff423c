#!/usr/bin/env bash
# Runs each libFuzzer binary for a bounded time on a scratch copy of its
# committed corpus (fuzz/corpus/NAME); reports executions and coverage.
set -u
secs=$1; shift
passed=0 failed=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	scratch=$(mktemp -d)
	cp -r "fuzz/corpus/$name/." "$scratch/" 2>/dev/null || true
	log=$(mktemp)
	mkdir -p build/fuzz-artifacts
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="build/fuzz-artifacts/$name-" \
		-print_final_stats=1 "$scratch" >"$log" 2>&1; then
		execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
		cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
		echo "ok   fuzz $name: ${execs:-?} execs in ${secs}s, ${cov:-cov: ?}"
		passed=$((passed + 1))
	else
		tail -n 40 "$log"
		echo "FAIL fuzz $name (crash input kept in build/fuzz-artifacts/)"
		failed=$((failed + 1))
	fi
	rm -rf "$scratch" "$log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

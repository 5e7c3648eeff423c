#!/usr/bin/env bash
# Runs each unit-test binary given; prints the summed closing line.
# UNIT_WRAPPER, if set, runs before each binary (e.g. valgrind).
set -u
passed=0 failed=0 bins_failed=0
for t in "$@"; do
	# shellcheck disable=SC2086
	out=$(${UNIT_WRAPPER:-} "$t" 2>&1); rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[a-z_0-9]+: [0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ $rc -ne 0 ] || [ -z "$line" ]; then
		printf '%s\n' "$out" | tail -n 30
		echo "FAIL $t (exit $rc)"
		bins_failed=$((bins_failed + 1))
	else
		echo "ok   $line"
	fi
	p=$(printf '%s' "$line" | sed -n 's/.*: \([0-9]*\) passed.*/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
	passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
done
failed=$((failed + bins_failed))
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/bash
# The whole suite: unit programs (cmocka), end-to-end scenarios
# (tests/e2e/tNNNN-*.sh), and a short regression run of every fuzz target over
# its seed corpus.  Usage: tests/run.sh UNIT_BIN... -- FUZZ_BIN...
# Each part counts as one test that passes or fails; the last line is
# "N passed, N failed".  E2E=pattern runs only matching scenarios.
set -u
cd "$(dirname "$0")/.." || exit 1
: "${AIRLOCK:?set AIRLOCK to the airlock binary}"
export AIRLOCK
pass=0 fail=0 failed=()
logdir=${TEST_LOGDIR:-build/test-logs}
rm -rf "$logdir" && mkdir -p "$logdir"

run() { # name, command...
	local name=$1 log
	shift
	log="$logdir/$(echo "$name" | tr '/' '_').log"
	local t0=$SECONDS
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1))
		printf 'ok   %-48s %3ss\n' "$name" $((SECONDS - t0))
	else
		fail=$((fail + 1))
		failed+=("$name")
		printf 'FAIL %-48s %3ss (log: %s)\n' "$name" $((SECONDS - t0)) "$log"
		tail -n 25 "$log" | sed 's/^/     | /'
	fi
}

units=() fuzzers=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do units+=("$1"); shift; done
[ $# -gt 0 ] && shift
fuzzers=("$@")

echo "== unit"
for t in "${units[@]}"; do run "unit/$(basename "$t")" "$t"; done

echo "== e2e"
for t in tests/e2e/t[0-9]*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *${E2E:-}*) ;; *) continue ;; esac
	run "e2e/$(basename "$t" .sh)" bash "$t"
done

echo "== fuzz (seed corpus regression)"
for f in "${fuzzers[@]}"; do
	n=$(basename "$f")
	corpus=tests/fuzz/corpus/$n
	[ -d "$corpus" ] || { echo "no corpus for $n" >&2; fail=$((fail + 1)); failed+=("fuzz/$n"); continue; }
	# new inputs go to a scratch folder (libFuzzer writes to the first one), never to the seeds
	scratch=$(mktemp -d)
	run "fuzz/$n" "$f" -runs=3000 -max_len=262144 -rss_limit_mb=2048 "$scratch" "$corpus"
	rm -rf "$scratch"
done

echo
if [ "$fail" -gt 0 ]; then
	echo "failed: ${failed[*]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

#!/bin/sh
# bench/run.sh: every benchmark, one after the other (what `make bench` runs).
# AIRLOCK names the binary (default build/default/airlock); BENCH_SIZE_MB,
# BENCH_RUNS and BENCH_WORK are passed through (see bench/lib.sh), and
# BENCH_SECONDS and BENCH_WARMUP to bench/serve.
# Prints tables for people; asserts no timing.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
AIRLOCK=${AIRLOCK:-$(cd "$here/.." && pwd)/build/default/airlock}
export AIRLOCK
status=0
for b in export import serve publish; do
	echo "### bench/$b"
	"$here/$b" || { echo "bench/$b failed" >&2; status=1; }
	echo
done
exit $status

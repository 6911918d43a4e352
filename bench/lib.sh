# Shared by bench/export and bench/import (sourced, not run).
#
# Environment:
#   AIRLOCK        the binary (default build/default/airlock)
#   BENCH_SIZE_MB  corpus size in MB of 10^6 bytes (default 300)
#   BENCH_RUNS     runs per measurement, the best time is kept (default 2)
#   BENCH_WORK     where corpora are cached and runs happen (default build/bench)
#
# Figures: wall-clock seconds and peak RSS come from GNU time (`%e %M`).
# %M is the largest resident set of any single process that ran (for a
# pipeline: its biggest member, not the sum).  MB/s is input bytes (10^6) per
# second; RSS is in MiB.

set -euo pipefail

BENCH_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
AIRLOCK=${AIRLOCK:-$BENCH_REPO/build/default/airlock}
BENCH_SIZE_MB=${BENCH_SIZE_MB:-300}
BENCH_RUNS=${BENCH_RUNS:-2}
BENCH_WORK=${BENCH_WORK:-$BENCH_REPO/build/bench}
BENCH_CHANNEL=bench
TIME=/usr/bin/time
export LC_ALL=C

bench_die() {
	echo "bench: $*" >&2
	exit 1
}

# The tools the benchmarks run; installed as root (Debian), else the apt-get line is printed.
bench_need_tools() {
	local missing="" t
	[ -x "$TIME" ] || missing="$missing time"
	for t in zstd openssl tar python3 find sort xargs; do
		command -v "$t" >/dev/null 2>&1 || case $t in
			find | xargs) missing="$missing findutils" ;;
			sort) missing="$missing coreutils" ;;
			*) missing="$missing $t" ;;
		esac
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "bench: installing:$missing" >&2
		DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null || bench_die "apt-get update failed"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing >/dev/null ||
			bench_die "apt-get install failed for:$missing"
		return 0
	fi
	echo "bench: missing tools; run this, then try again:" >&2
	echo "  sudo apt-get install -y$missing" >&2
	exit 1
}

# Run a private copy of the binary, so that a rebuild during the benchmark changes nothing.
bench_need_airlock() {
	local copy
	[ -x "$AIRLOCK" ] || bench_die "no airlock binary at $AIRLOCK: run 'make' first (or set AIRLOCK)"
	mkdir -p "$BENCH_WORK"
	copy=$BENCH_WORK/airlock.$$
	cp "$AIRLOCK" "$copy"
	trap 'rm -f "$BENCH_WORK/airlock.$$"' EXIT
	"$copy" --version >/dev/null 2>&1 || bench_die "$AIRLOCK does not run (being rebuilt?)"
	BENCH_AIRLOCK_SRC=$AIRLOCK
	AIRLOCK=$copy
}

# bench_corpus SIZE_MB: print the path of the cached corpus of that size, generating it when
# missing or made by another version of bench/corpus.sh.
bench_corpus() {
	local size=$1 dir stamp want
	dir=$BENCH_WORK/corpus-${size}MB
	stamp=$dir.stamp
	want="$(openssl dgst -sha256 -r "$BENCH_REPO/bench/corpus.sh" | cut -c1-64) $size"
	if [ -d "$dir" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
		echo "$dir"
		return 0
	fi
	mkdir -p "$BENCH_WORK"
	rm -rf "$dir" "$dir.tmp" "$stamp"
	echo "bench: generating the ${size} MB corpus in $dir (once; cached)" >&2
	"$BENCH_REPO/bench/corpus.sh" "$dir.tmp" "$size" >&2
	mv "$dir.tmp" "$dir"
	echo "$want" >"$stamp"
	echo "$dir"
}

# Bytes and regular files under a folder.
bench_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {printf "%d\n", s}'; }
bench_nfiles() { find "$1" -type f | wc -l; }

# Read a tree once so that every contender starts from the same warm page cache.
bench_warm() { find "$1" -type f -print0 | xargs -0 cat >/dev/null; }

# Stop the gpg-agent a site home may have started.
bench_gpg_stop() {
	if [ -d "$1/gnupg" ] && command -v gpgconf >/dev/null 2>&1; then
		gpgconf --homedir "$1/gnupg" --kill all >/dev/null 2>&1 || true
	fi
}

# bench_airlock HOME ARGS...: run an untimed set-up step; on failure show its output and stop.
bench_airlock() {
	local home=$1 out
	shift
	if ! out=$("$AIRLOCK" --home "$home" "$@" 2>&1); then
		echo "$out" >&2
		bench_die "set-up step failed: airlock --home $home $*"
	fi
	printf '%s\n' "$out"
}

# bench_export_home HOME SOURCE_DIR: a fresh export home with one source and one signing key;
# prints the key's fingerprint.
bench_export_home() {
	local home=$1 src=$2 fpr
	bench_gpg_stop "$home"
	rm -rf "$home"
	bench_airlock "$home" init --export >/dev/null
	fpr=$(bench_airlock "$home" key generate --name "Bench Signer" --email bench@example.org |
		grep -oiE '\b[0-9a-f]{40}\b' | head -n1) || true
	[ -n "$fpr" ] || bench_die "'airlock key generate' printed no fingerprint"
	bench_airlock "$home" source add corpus --dir "$src" >/dev/null
	echo "$fpr"
}

# bench_measure LABEL PREP: run PREP (untimed; it sets the array CMD and may set CMD_IN), then
# `sync`, then time "${CMD[@]}"; BENCH_RUNS times, keeping the best time and the highest peak RSS.
# Sets M_SECS and M_RSS_KB.  A failing command stops the benchmark with its output.
bench_measure() {
	local label=$1 prep=$2 i secs rss log tf
	M_SECS="" M_RSS_KB=0
	log=$BENCH_WORK/last-run.log
	tf=$BENCH_WORK/last-run.time
	for ((i = 1; i <= BENCH_RUNS; i++)); do
		CMD=()
		"$prep" "$i"
		sync # no dirty pages left by set-up or the previous contender to flush on its time
		if ! "$TIME" -o "$tf" -f '%e %M' "${CMD[@]}" </dev/null >"$log" 2>&1; then
			tail -n 20 "$log" >&2
			cat "$tf" >&2 || true
			bench_die "$label failed (run $i): ${CMD[*]}"
		fi
		read -r secs rss <"$tf"
		echo "bench:   $label run $i: ${secs}s, peak RSS $((rss / 1024)) MiB" >&2
		if [ -z "$M_SECS" ] || awk -v a="$secs" -v b="$M_SECS" 'BEGIN {exit !(a < b)}'; then
			M_SECS=$secs
		fi
		[ "$rss" -gt "$M_RSS_KB" ] && M_RSS_KB=$rss
	done
	return 0
}

bench_table_head() {
	printf '%-36s %8s %9s %13s %8s\n' name seconds "MB/s" "peak RSS MiB" ratio
	printf '%-36s %8s %9s %13s %8s\n' ------------------------------------ -------- --------- ------------- --------
}

# bench_table_row NAME SECS BYTES RSS_KB REF_SECS
bench_table_row() {
	awk -v n="$1" -v s="$2" -v b="$3" -v k="$4" -v r="$5" 'BEGIN {
		if (s < 0.01) s = 0.01
		printf "%-36s %8.2f %9.1f %13.1f %7.2fx\n", n, s, b / 1e6 / s, k / 1024, s / r
	}'
}

bench_machine() {
	local cpu
	cpu=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | sed 's/^[^:]*: //')
	echo "machine: $(nproc) CPUs, ${cpu:-unknown CPU}$(grep -qw sha_ni /proc/cpuinfo 2>/dev/null && echo ', SHA-NI'); $(uname -r)"
	echo "tools:   zstd $(zstd -V 2>&1 | grep -oE 'v[0-9.]+' | head -n1), $(openssl version | cut -d' ' -f1-2), $(tar --version | head -n1)"
	echo "source:  $(git -C "$BENCH_REPO" describe --always --dirty 2>/dev/null || echo 'not a git checkout')"
	echo "airlock: ${BENCH_AIRLOCK_SRC:-$AIRLOCK} ($("$AIRLOCK" --version 2>/dev/null || echo '?'), built $(date -r "$AIRLOCK" '+%F %T'))"
}

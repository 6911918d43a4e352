#!/bin/bash
# The import killed with SIGKILL at every crash point of the pipeline (the
# test hook AIRLOCK_TEST_CRASH_AT=N, lib/crash.h): after each, the next
# command finds the interrupted import and finishes or discards it; the
# catalog and store agree; the previous snapshot (or, after the commit, the
# new one) is what is served; and importing the media again completes.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
stop_server
cp -a "$IMP" "$T/pristine"

# store and catalog agree: the same objects, each file's content matching its name
agree() {
	local h=$1
	diff <(find "$h/store" -type f -printf '%f\n' | sort) \
		<(sqlite3 "$h/catalog.db" "SELECT sha256 FROM object" | sort) >&2 ||
		fail "store and catalog disagree"
	(cd "$h/store" && find . -type f -print0 | xargs -0 -r sha256sum) |
		awk '{ n = split($2, p, "/"); if ($1 != p[n]) { print "bad object " $2; bad = 1 } } END { exit bad }' ||
		fail "a store object's content does not match its name"
	if find "$h/quarantine" -mindepth 1 -maxdepth 1 -name 'import-*' | grep -q .; then
		ls -la "$h/quarantine" >&2
		fail "an interrupted import's quarantine folder was left behind"
	fi
}

say "count the crash points of one import"
cp -a "$T/pristine" "$T/count"
AIRLOCK_TEST_CRASH_LOG=$T/points expect_exit 0 airlock --home "$T/count" import "$B2"
cat "$T/points"
total=$(wc -l <"$T/points")
[ "$total" -ge 10 ] || fail "only $total crash points in an import"
commit_at=$(awk '$2 == "committed" { print $1 }' "$T/points")
[ -n "$commit_at" ] || fail "no 'committed' crash point"
rm -rf "$T/count"

declare -A stages_hit=()
for ((n = 1; n <= total; n++)); do
	stage=$(awk -v n="$n" '$1 == n { print $2 }' "$T/points")
	say "crash at point $n of $total ($stage)"
	rm -rf "$IMP" && cp -a "$T/pristine" "$IMP"
	set +e
	AIRLOCK_TEST_CRASH_AT=$n "$AIRLOCK" --home "$IMP" import "$B2" >"$OUT" 2>"$ERR"
	rc=$?
	set -e
	[ "$rc" = 137 ] || { cat "$ERR" >&2; fail "expected death by SIGKILL (137) at point $n, got $rc"; }
	stages_hit[$stage]=1

	# the next command, whichever it is, recovers
	expect_exit 0 airlock --home "$IMP" audit verify
	agree "$IMP"
	if [ "$n" -ge "$commit_at" ]; then
		[ "$stage" != committed ] || assert_grep "$ERR" 'interrupted.*had committed'
		assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT max(sequence) FROM snapshot")" 2 "sequence served after a crash past the commit"
	else
		assert_grep "$ERR" 'interrupted.*discarded it'
		served_state "$IMP" >"$T/state.after"
		diff -u "$T/state.before" "$T/state.after" >&2 || fail "store or catalog changed by an interrupted import"
		start_server "$IMP"
		check_served_tree tools "$T/tree1"
		stop_server
	fi

	say "import again"
	expect_exit 0 airlock --home "$IMP" import "$B2"
	agree "$IMP"
	start_server "$IMP"
	check_served_tree tools "$T/tree2"
	stop_server
done
echo "stages hit: ${!stages_hit[*]}"
for s in quarantine pack-copied object-extracted synced journal object-promoted store-synced recorded committed reported; do
	[ -n "${stages_hit[$s]:-}" ] || fail "stage '$s' was never hit"
done

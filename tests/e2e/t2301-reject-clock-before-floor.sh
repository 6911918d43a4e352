#!/bin/bash
# The kiosk's clock cannot reopen expired bundles: a reference time before
# the newest signed time the site has accepted (its clock floor) stops the
# import, and so does a bundle signed "in the future".  Overrides with --at
# are on the audit record and in the report.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base

floor=$(sqlite3 "$IMP/catalog.db" "SELECT value FROM meta WHERE key = 'clock-floor'")
[ -n "$floor" ] || fail "the accepted import set no clock floor"
echo "clock floor after bundle 1: $floor"

say "a clock set back a year (simulated with --at) is refused"
AL_IMPORT_ARGS=(--at 2025-11-01T00:00:00Z)
assert_rejected "$B2" "$B2" 'clock: .*clock looks wrong'
assert_contains "$T/rejected.err" "$floor"
n=$(sqlite3 "$IMP/catalog.db" "SELECT count(*) FROM audit WHERE action = 'import.time-override'")
assert_eq "$n" 2 "time overrides on the audit record (text and --json runs)"
sqlite3 "$IMP/catalog.db" "SELECT detail FROM audit WHERE action = 'import.time-override' LIMIT 1" >"$T/detail"
assert_contains "$T/detail" '2025-11-01T00:00:00Z'
AL_IMPORT_ARGS=()

say "a bundle whose signed creation time is ahead of this clock is refused"
future=$(($(date +%s) + 10 * 86400))
SOURCE_DATE_EPOCH=$future expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/bf" \
	--sign "$FPR_A" --expires 30d
assert_rejected "$T/bf" "$T/bf" 'clock: .*signed at .*later than the reference time'

say "an honest override (the true time, a little ahead) is accepted and reported"
at=$(date -u -d '+10 minutes' +%Y-%m-%dT%H:%M:%SZ)
expect_exit 0 airlock --home "$IMP" import --json --at "$at" "$B2"
assert_eq "$(json_get "$OUT" 'd["result"]')" accepted "import result"
assert_eq "$(json_get "$OUT" 'd["time_override"]["reference"]')" "$at" "reported reference time"
json_get "$OUT" '[c["check"] for c in d["checks"]]' >"$T/checks"
assert_contains "$T/checks" time-override
assert_contains "$T/checks" clock
expect_exit 0 airlock --home "$IMP" audit verify
new=$(sqlite3 "$IMP/catalog.db" "SELECT value FROM meta WHERE key = 'clock-floor'")
created=$(sed -n 's/^created //p' "$B2/manifest")
[[ "$new" < "$created" ]] && fail "the clock floor $new is below bundle 2's signed creation time $created"
[[ "$new" < "$floor" ]] && fail "the clock floor went back ($floor -> $new)"
echo "clock floor now $new"

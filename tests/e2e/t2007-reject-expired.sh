#!/bin/bash
# A bundle created 40 days ago that expired a day later.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
SOURCE_DATE_EPOCH=$(($(date +%s) - 40 * 86400)) \
	expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/old" --sign "$FPR_A" --expires 1d
expect_exit 0 airlock inspect --json "$T/old"
json_get "$OUT" 'd["created"] + " .. " + d["expires"]'
assert_rejected "$T/old" "$T/old" 'expired'
expect_exit 3 airlock verify "$T/old" --keyring "$T/a.asc"
assert_grep "$ERR" '^airlock: rejected:.*expired'

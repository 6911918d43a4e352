#!/bin/bash
# A second, also trusted, export home that publishes its own history for the
# same channel: its sequence 1 is a fork of the imported one, and its
# sequence 2 does not chain to the manifest this site imported.  Both are
# refused; nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
say "a second export home, its officer trusted for the same channel"
al_export_home "$T/exp2"
FPR_B=$(al_key B "$EXP")
airlock --home "$EXP" key export "$FPR_B" >"$T/b.asc" || fail "key export failed"
expect_exit 0 airlock --home "$IMP" trust add --channel "$CHANNEL" "$T/b.asc"
mkdir -p "$T/other"
printf 'another history\n' >"$T/other/README.txt"
expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/other"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/fork1" --sign "$FPR_B"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/fork2" --sign "$FPR_B"
capture_baseline "$T/tree1"
assert_rejected "$T/fork1" "fork1" "already imported with a different manifest"
assert_rejected "$T/fork2" "fork2" "previous-manifest hash does not match"

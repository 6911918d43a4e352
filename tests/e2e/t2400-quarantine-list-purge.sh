#!/bin/bash
# Rejected imports keep their quarantine folder, report inside, for
# forensics: 'quarantine list' shows each with its check and reason;
# 'quarantine purge' removes one by id, or all, on the audit record.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base

expect_exit 0 airlock --home "$IMP" quarantine list
assert_contains "$OUT" "quarantine is empty"

cp -a "$B2" "$T/trunc" && flip_byte "$(largest_part "$T/trunc")" 1000
cp -a "$B2" "$T/extra" && echo x >"$T/extra/README"
expect_exit 3 airlock --home "$IMP" import "$T/trunc"
expect_exit 3 airlock --home "$IMP" import "$T/extra"

expect_exit 0 airlock --home "$IMP" quarantine list --json
assert_eq "$(json_get "$OUT" 'len(d["rejected"])')" 2 "kept rejections"
assert_eq "$(json_get "$OUT" 'd["rejected"][0]["media"]')" "$T/trunc" "first media"
assert_eq "$(json_get "$OUT" 'd["rejected"][0]["check"]')" payload "first failing check"
assert_eq "$(json_get "$OUT" 'd["rejected"][1]["check"]')" listing "second failing check"
id=$(json_get "$OUT" 'd["rejected"][0]["id"]')
[ -f "$IMP/quarantine/$id/report.txt" ] || fail "no report in the kept folder $id"
expect_exit 0 airlock --home "$IMP" quarantine list
assert_contains "$OUT" "2 rejected imports kept"
assert_contains "$OUT" "check listing"

expect_exit 1 airlock --home "$IMP" quarantine purge import-nosuch
assert_grep "$ERR" "no rejected import 'import-nosuch'"
expect_exit 0 airlock --home "$IMP" quarantine purge "$id"
[ ! -e "$IMP/quarantine/$id" ] || fail "purge left $id"
expect_exit 0 airlock --home "$IMP" quarantine list --json
assert_eq "$(json_get "$OUT" 'len(d["rejected"])')" 1 "kept rejections after purging one"
expect_exit 0 airlock --home "$IMP" quarantine purge
assert_contains "$OUT" "removed 1 rejected import folder"
[ -z "$(ls -A "$IMP/quarantine")" ] || fail "quarantine not empty after purge"
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT count(*) FROM audit WHERE action = 'quarantine.purge'")" 2 "purges on record"
expect_exit 0 airlock --home "$IMP" audit verify

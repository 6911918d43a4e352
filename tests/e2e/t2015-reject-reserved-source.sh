#!/bin/bash
# "groups" and "keys" name the mirror's published views (/groups/..., /keys/site.asc).
# The export side refuses them as source names; a correctly signed bundle
# that carries one anyway (an export station that skipped the check) is
# rejected at import, so it can never shadow a group's repository or the
# site key.  Nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
for name in groups keys; do
	expect_exit 2 airlock --home "$EXP" source add "$name" --dir "$T/tree"
	assert_contains "$ERR" "reserved"
done
say "an export station that files the source as 'keys' behind the command's back"
sqlite3 "$EXP/catalog.db" "UPDATE source SET name = 'keys' WHERE name = 'tools'" || fail "cannot rename the source"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/b-keys" --sign "$FPR_A"
grep -q '^source keys ' "$T/b-keys/manifest" || fail "the bundle does not carry a source named 'keys'"
assert_rejected "$T/b-keys" "keys" "reserved"

#!/bin/bash
# The audit log is hash-chained: editing a record's detail, deleting a
# record in the middle, or swapping two records' content is detected and
# named by 'airlock audit verify' (exit 3).
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
expect_exit 0 airlock --home "$IMP" import "$B2"
stop_server
expect_exit 0 airlock --home "$EXP" audit verify
expect_exit 0 airlock --home "$IMP" audit verify
expect_exit 0 airlock --home "$IMP" audit verify --json
assert_eq "$(json_get "$OUT" 'd["status"]')" ok "audit verify --json status"
n=$(sqlite3 "$IMP/catalog.db" 'SELECT count(*) FROM audit')
[ "$n" -ge 4 ] || fail "only $n audit records after init, trust and two imports"
expect_exit 0 airlock --home "$IMP" audit log --json
assert_eq "$(json_get "$OUT" 'len(d)')" "$n" "audit log --json records"
head=$(sqlite3 "$IMP/catalog.db" 'SELECT hash FROM audit ORDER BY seq DESC LIMIT 1')
expect_exit 0 airlock --home "$IMP" audit verify
assert_contains "$OUT" "$head"

# each case on its own copy of the import home
copy_home() {
	rm -rf "$T/case"
	cp -a "$IMP" "$T/case"
	gnupg_register "$T/case/gnupg"
	sqlite3 "$T/case/catalog.db" 'PRAGMA integrity_check' | grep -qx ok || fail "the copied catalog is damaged"
}

say "one record's detail edited"
mid=$(((n + 1) / 2))
copy_home
sqlite3 "$T/case/catalog.db" "UPDATE audit SET detail = detail || ' (edited)' WHERE seq = $mid"
expect_exit 3 airlock --home "$T/case" audit verify
assert_grep "$ERR" "^airlock: rejected:.*record $mid\b"
expect_exit 3 airlock --home "$T/case" audit verify --json

say "one record's time edited"
copy_home
sqlite3 "$T/case/catalog.db" "UPDATE audit SET time = time - 3600 WHERE seq = $n"
expect_exit 3 airlock --home "$T/case" audit verify
assert_grep "$ERR" "^airlock: rejected:.*record $n\b"

say "a record in the middle deleted"
copy_home
sqlite3 "$T/case/catalog.db" "DELETE FROM audit WHERE seq = $mid"
expect_exit 3 airlock --home "$T/case" audit verify
assert_grep "$ERR" "^airlock: rejected:.*record ($mid|$((mid + 1)))\b"

say "a record in the middle deleted and the rest renumbered"
copy_home
sqlite3 "$T/case/catalog.db" "DELETE FROM audit WHERE seq = $mid; UPDATE audit SET seq = seq - 1 WHERE seq > $mid"
expect_exit 3 airlock --home "$T/case" audit verify
assert_grep "$ERR" "^airlock: rejected:.*record $mid\b"

say "two records' content swapped"
copy_home
a=2 b=3
sqlite3 "$T/case/catalog.db" <<EOF2
CREATE TEMP TABLE s AS SELECT * FROM audit WHERE seq IN ($a, $b);
UPDATE audit SET (time, actor, action, subject, detail, prev, hash) =
	(SELECT time, actor, action, subject, detail, prev, hash FROM s WHERE s.seq = $b) WHERE seq = $a;
UPDATE audit SET (time, actor, action, subject, detail, prev, hash) =
	(SELECT time, actor, action, subject, detail, prev, hash FROM s WHERE s.seq = $a) WHERE seq = $b;
EOF2
[ "$(sqlite3 "$T/case/catalog.db" "SELECT action FROM audit WHERE seq = $a")" = \
	"$(sqlite3 "$IMP/catalog.db" "SELECT action FROM audit WHERE seq = $b")" ] || fail "the swap did not take"
expect_exit 3 airlock --home "$T/case" audit verify
assert_grep "$ERR" "^airlock: rejected:.*record $a\b"

say "the original home is untouched by all this"
expect_exit 0 airlock --home "$IMP" audit verify

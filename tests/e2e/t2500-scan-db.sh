#!/bin/bash
# 'airlock scan-db': a generation is installed only when every file in it
# loads (ClamAV) and compiles (YARA); anything that is not a database file is
# refused by name; 'current' moves to the new generation and the old one
# goes; each update is in the audit log; status says whether an import would
# accept what is installed.
. "$(dirname "$0")/test-lib.sh"
# a bare import home: al_import_home would install the test database
IMP=$T/imp
expect_exit 0 airlock --home "$IMP" init --import
gnupg_register "$IMP/gnupg"

say "nothing installed: status says imports are refused"
expect_exit 0 airlock --home "$IMP" scan-db status
assert_contains "$OUT" "none installed"
assert_contains "$OUT" "imports: refused: scan-db: no ClamAV database installed"
expect_exit 0 airlock --home "$IMP" scan-db status --json
assert_eq "$(json_get "$OUT" 'd["installed"]')" False "status --json installed"
assert_eq "$(json_get "$OUT" 'd["ready"]')" False "status --json ready"

say "a custom ClamAV database and YARA rules"
mkdir "$T/db1"
echo '0123456789abcdef0123456789abcdef:12345:Airlock.Test.Never' >"$T/db1/site.hdb"
printf 'rule airlock_marker { strings: $a = "AIRLOCK" condition: $a }\nrule other { condition: false }\n' \
	>"$T/db1/site.yar"
expect_exit 0 airlock --home "$IMP" scan-db update "$T/db1"
assert_contains "$OUT" "installed scanner database generation 1"
assert_contains "$OUT" "1 signature"
assert_contains "$OUT" "2 rules from 1 file"
[ "$(readlink "$IMP/scan-db/current")" = gen-1 ] || fail "current does not point at gen-1"
[ -f "$IMP/scan-db/gen-1/generation.json" ] || fail "no generation.json"
want=$(sha256sum "$T/db1/site.hdb" | cut -d' ' -f1)
assert_eq "$(json_get "$IMP/scan-db/gen-1/generation.json" 'd["files"][0]["sha256"]')" "$want" "recorded sha256"
expect_exit 0 airlock --home "$IMP" scan-db status
assert_contains "$OUT" "generation 1"
assert_contains "$OUT" "imports: ready"

say "a second generation replaces the first"
expect_exit 0 airlock --home "$IMP" scan-db update "$T/db1" --json
assert_eq "$(json_get "$OUT" 'd["generation"]')" 2 "update --json generation"
assert_eq "$(json_get "$OUT" 'd["scanner"]["yara"]["rules"]')" 2 "update --json yara rules"
[ "$(readlink "$IMP/scan-db/current")" = gen-2 ] || fail "current does not point at gen-2"
[ ! -e "$IMP/scan-db/gen-1" ] || fail "gen-1 was not removed"
expect_exit 0 airlock --home "$IMP" audit log
[ "$(grep -c 'scan-db.update' "$OUT")" -eq 2 ] || fail "not two scan-db.update audit records"
expect_exit 0 airlock --home "$IMP" audit verify

say "refusals leave generation 2 in place"
mkdir "$T/bad-name" "$T/bad-link" "$T/bad-yara" "$T/bad-ndb" "$T/empty"
cp "$T/db1/site.hdb" "$T/bad-name/"
echo notes >"$T/bad-name/README"
expect_exit 1 airlock --home "$IMP" scan-db update "$T/bad-name"
assert_grep "$ERR" "bad-name/README' is not a scanner database file"
ln -s "$T/db1/site.hdb" "$T/bad-link/site.hdb"
expect_exit 1 airlock --home "$IMP" scan-db update "$T/bad-link"
assert_grep "$ERR" "is not a regular file"
printf 'rule broken {\n  condition: $nope\n}\n' >"$T/bad-yara/broken.yar"
expect_exit 1 airlock --home "$IMP" scan-db update "$T/bad-yara"
assert_grep "$ERR" "bad-yara/broken.yar:[0-9]+': undefined string"
echo 'not a signature' >"$T/bad-ndb/site.ndb"
expect_exit 1 airlock --home "$IMP" scan-db update "$T/bad-ndb"
assert_grep "$ERR" "cannot load the ClamAV database.*bad-ndb"
expect_exit 1 airlock --home "$IMP" scan-db update "$T/empty"
assert_grep "$ERR" "holds no database files"
[ "$(readlink "$IMP/scan-db/current")" = gen-2 ] || fail "a refused update moved current"
[ "$(ls "$IMP/scan-db")" = "$(printf 'current\ngen-2')" ] || fail "leftovers in scan-db/: $(ls "$IMP/scan-db")"

say "no update beside a running import: the home's lock refuses it"
(
	flock -x 9
	expect_exit 1 airlock --home "$IMP" scan-db update "$T/db1"
	assert_grep "$ERR" "an import or a scan-db update is running"
) 9>"$IMP/lock"

say "YARA rules alone install, with a warning that imports need ClamAV"
mkdir "$T/yara-only"
cp "$T/db1/site.yar" "$T/yara-only/"
expect_exit 0 airlock --home "$IMP" scan-db update "$T/yara-only"
assert_grep "$ERR" "warning: imports will refuse it: scan-db: no ClamAV database installed"
expect_exit 0 airlock --home "$IMP" scan-db status
assert_contains "$OUT" "ClamAV: no database"

say "usage"
expect_exit 2 airlock --home "$IMP" scan-db
expect_exit 2 airlock --home "$IMP" scan-db update
expect_exit 2 airlock --home "$IMP" scan-db update "$T/db1" "$T/db1"
expect_exit 2 airlock --home "$IMP" scan-db status extra
expect_exit 2 airlock --home "$IMP" scan-db purge
al_export_home
expect_exit 1 airlock --home "$EXP" scan-db status

#!/bin/bash
# Versions that arrive in a later import: pending shows what the last import
# brought, auto-approve rules approve them for their group as they are
# imported (in rollout order, never past an unapproved earlier group), and
# 'approve --bundle N' approves everything new in one bundle.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

VFPR=$(new_key vendor "$T/vgpg")
gpg --homedir "$T/vgpg" --export "$VFPR" >"$T/vendor.gpg"
"$MKREPO" "$T/www/repo" "$T/vgpg" "$VFPR" --suite airtest >/dev/null || fail "mkrepo failed"
start_httpd "$T/www"
al_export_home
FPR_A=$(al_key A)
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
expect_exit 0 airlock --home "$EXP" source add deb --apt "$HTTPD_URL/repo" --suite airtest --keyring "$T/vendor.gpg" \
	--package hello-air=1.0-1
expect_exit 0 airlock --home "$EXP" fetch
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b1" --sign "$FPR_A"

al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
expect_exit 0 airlock --home "$IMP" trust vendor add testvendor "$T/vendor.gpg"
expect_exit 0 airlock --home "$IMP" group add test
expect_exit 0 airlock --home "$IMP" group add pilot --after test
expect_exit 0 airlock --home "$IMP" group add production --after pilot
expect_exit 0 airlock --home "$IMP" auto-approve add --group test --source deb --priority high
# a rule for production, whose earlier group (pilot) has none: it must never fire past pilot
expect_exit 0 airlock --home "$IMP" auto-approve add --group production --source deb
expect_exit 0 airlock --home "$IMP" import "$T/b1"
assert_contains "$OUT" "1 new package version for the mirror"

say "the rule approved the first import's version for test, and only for test"
expect_exit 0 airlock --home "$IMP" status --json
assert_eq "$(json_get "$OUT" '[g["approved"] for g in d["groups"]]')" '[1, 0, 0]' "approved per group"
assert_eq "$(json_get "$OUT" 'd["groups"][0]["approved_versions"][0]["priority"]')" high "rule's priority"
assert_eq "$(json_get "$OUT" 'd["groups"][0]["approved_versions"][0]["ref"]')" "auto-approve test/deb" "rule named as the reference"

say "a second bundle brings hello-air 1.0-2 and its dependants"
expect_exit 0 airlock --home "$EXP" source remove deb
expect_exit 0 airlock --home "$EXP" source add deb --apt "$HTTPD_URL/repo" --suite airtest --keyring "$T/vendor.gpg" \
	--package hello-air --package air-plus
expect_exit 0 airlock --home "$EXP" fetch
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b2" --sign "$FPR_A"
expect_exit 0 airlock --home "$IMP" import "$T/b2"
expect_exit 0 airlock --home "$IMP" pending --group pilot --json
assert_eq "$(json_get "$OUT" 'sorted(p["package"] + "=" + p["version"] for p in d["pending"])')" \
	'["air-plus=2.0+dfsg-1~deb12u1", "hello-air=1.0-2"]' "pending in pilot from the last import"
assert_eq "$(json_get "$OUT" 'd["pending"][0]["bundle"]')" "plant-a #2" "the bundle that brought it"
expect_exit 0 airlock --home "$IMP" pending --all --json
# hello-air 1.0-1 is no longer carried (the new selection takes the newest): nothing to decide
assert_eq "$(json_get "$OUT" 'sorted(p["package"] + "=" + p["version"] for p in d["pending"])')" \
	'["air-plus=2.0+dfsg-1~deb12u1", "hello-air=1.0-2"]' "undecided somewhere, over every import"
expect_exit 0 airlock --home "$IMP" status --json
assert_eq "$(json_get "$OUT" '[g["approved"] for g in d["groups"]]')" '[3, 0, 0]' "the rule approved bundle 2's versions for test"

say "approve --bundle 2: everything new in that bundle"
expect_exit 1 airlock --home "$IMP" approve --bundle 2 --group production
assert_contains "$ERR" "not approved in 'pilot'"
expect_exit 0 airlock --home "$IMP" approve --bundle 2 --group pilot --ref CR-7
assert_contains "$OUT" "approved 2 versions for 'pilot'"
expect_exit 1 airlock --home "$IMP" approve --bundle 9 --group pilot
assert_contains "$ERR" "no imported bundle 9"
expect_exit 0 airlock --home "$IMP" status --json
assert_eq "$(json_get "$OUT" '[g["approved"] for g in d["groups"]]')" '[3, 2, 0]' "approved per group after --bundle"
expect_exit 0 airlock --home "$IMP" auto-approve remove --group production --source deb
expect_exit 1 airlock --home "$IMP" auto-approve remove --group production --source deb
echo ok

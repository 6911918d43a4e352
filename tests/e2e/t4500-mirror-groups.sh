#!/bin/bash
# Groups, approvals and per-group apt repositories signed by the site: real
# apt-get clients in two groups see exactly what each group approved; a
# declined version is never visible; the later group needs the earlier one's
# approval unless forced with a recorded reason; deadlines make versions
# overdue; the site-signed InRelease verifies with the published site key and
# with no other; the upstream view stays.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
. "$(dirname "$0")/apt-mirror-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

mirror_setup
# one second for an emergency: the test watches a deadline pass
printf 'approve.deadline.emergency = 1s\n' >>"$IMP/airlock.conf"

say "groups in rollout order"
expect_exit 0 airlock --home "$IMP" group add test
expect_exit 0 airlock --home "$IMP" group add pilot --after test
expect_exit 0 airlock --home "$IMP" group add production --after pilot
expect_exit 1 airlock --home "$IMP" group add pilot
assert_contains "$ERR" "exists already"
expect_exit 1 airlock --home "$IMP" group add late --after nosuch
expect_exit 0 airlock --home "$IMP" group list --json
assert_eq "$(json_get "$OUT" '[g["name"] for g in d["groups"]]')" '["test", "pilot", "production"]' "group order"

say "pending: what the import brought, undecided in every group"
expect_exit 0 airlock --home "$IMP" pending --json
assert_eq "$(json_get "$OUT" 'sorted(p["package"] + "=" + p["version"] for p in d["pending"])')" \
	'["air-mta=1.0-1", "air-plus=2.0+dfsg-1~deb12u1", "air-tools=1.0-1", "hello-air=1.0-1", "hello-air=1.0-2", "libair1=1:2.0-1"]' \
	"pending versions"
assert_eq "$(json_get "$OUT" '[p["undecided_in"] for p in d["pending"]][0]')" '["test", "pilot", "production"]' "undecided groups"
expect_exit 0 airlock --home "$IMP" pending
assert_contains "$OUT" "hello-air=1.0-2 [amd64]"

say "approvals: per group, with priority, deadline and change reference"
expect_exit 0 airlock --home "$IMP" approve hello-air=1.0-1 --group test --ref RFC-1
expect_exit 0 airlock --home "$IMP" approve hello-air=1.0-1 --group pilot
expect_exit 0 airlock --home "$IMP" approve hello-air=1.0-2 air-tools=1.0-1 libair1=1:2.0-1 --group test \
	--priority emergency --ref RFC-2291
# pilot comes after test: air-plus is not approved in test
expect_exit 1 airlock --home "$IMP" approve air-plus=2.0+dfsg-1~deb12u1 --group pilot
assert_contains "$ERR" "not approved in 'test'"
expect_exit 2 airlock --home "$IMP" approve air-plus=2.0+dfsg-1~deb12u1 --group pilot --force
assert_contains "$ERR" "--reason"
expect_exit 0 airlock --home "$IMP" approve air-plus=2.0+dfsg-1~deb12u1 --group pilot --force --reason "CVE fix for the pilot line"
expect_exit 1 airlock --home "$IMP" approve hello-air=9.9 --group test
assert_contains "$ERR" "carries hello-air=9.9"
expect_exit 2 airlock --home "$IMP" approve hello-air=1.0-1 --group test --priority whenever
say "a decline for every group holds, and stops approvals"
expect_exit 0 airlock --home "$IMP" decline air-mta=1.0-1 --reason "breaks HMI export"
expect_exit 1 airlock --home "$IMP" approve air-mta=1.0-1 --group test
assert_contains "$ERR" "declined for every group"
assert_contains "$ERR" "breaks HMI export"

say "the audit log names who, what and why"
expect_exit 0 airlock --home "$IMP" audit log --json
python3 - "$OUT" <<'PY' || fail "approval audit records are wrong"
import json, sys
recs = json.load(open(sys.argv[1]))
recs = recs if isinstance(recs, list) else recs.get("records", recs)
acts = [(r["action"], r["subject"]) for r in recs]
assert ("approve", "test/deb/hello-air=1.0-2") in acts, acts
assert ("approve.forced", "pilot/deb/air-plus=2.0+dfsg-1~deb12u1") in acts, acts
assert ("decline", "*/deb/air-mta=1.0-1") in acts, acts
forced = [r for r in recs if r["action"] == "approve.forced"][0]
d = forced["detail"] if isinstance(forced["detail"], dict) else json.loads(forced["detail"])
assert d["reason"] == "CVE fix for the pilot line" and d["forced"] is True, d
ref = [r for r in recs if r["subject"] == "test/deb/hello-air=1.0-2"][0]
d = ref["detail"] if isinstance(ref["detail"], dict) else json.loads(ref["detail"])
assert d["ref"] == "RFC-2291" and d["priority"] == "emergency", d
PY

say "publish and serve"
expect_exit 2 airlock --home "$IMP" publish --static relative/dir
expect_exit 0 airlock --home "$IMP" publish --json
assert_eq "$(json_get "$OUT" 'd["signer"]')" "$SITE_FPR" "publication signer"
assert_eq "$(json_get "$OUT" 'd["views"]')" 3 "repositories published (3 groups x 1 source)"
start_server "$IMP"
site_key_from "$SERVER_URL"
gpg --batch --with-colons --show-keys "$T/site.gpg" 2>/dev/null | grep -q "$SITE_FPR" || fail "/keys/site.asc is not the site key"

say "a test client and a pilot client see different approved versions"
client test test update >"$T/u1" 2>&1 || { cat "$T/u1" >&2; fail "apt-get update (test) failed"; }
client pilot pilot update >"$T/u2" 2>&1 || { cat "$T/u2" >&2; fail "apt-get update (pilot) failed"; }
assert_eq "$(candidate test test hello-air)" 1.0-2 "test's hello-air"
assert_eq "$(candidate pilot pilot hello-air)" 1.0-1 "pilot's hello-air"
assert_eq "$(candidate pilot pilot air-plus)" "2.0+dfsg-1~deb12u1" "pilot's forced air-plus"
assert_eq "$(candidate test test air-plus)" "(none)" "test's air-plus (never approved there)"
assert_eq "$(candidate test test air-mta)" "(none)" "declined air-mta in test"
assert_eq "$(candidate pilot pilot air-mta)" "(none)" "declined air-mta in pilot"
for g in test pilot production; do
	curl -sf "$SERVER_URL/groups/$g/deb/dists/airtest/main/binary-amd64/Packages" >"$T/P-$g" || fail "no Packages for $g"
	if grep -q '^Package: air-mta' "$T/P-$g"; then fail "declined air-mta is in $g's Packages"; fi
done
[ ! -s "$T/P-production" ] || fail "production approved nothing, yet its Packages is not empty"

say "the stanzas are the vendor's, verbatim"
python3 - "$R/dists/airtest/main/binary-amd64/Packages" "$T/P-test" <<'PY' || fail "a published stanza differs from the vendor's"
import sys
def stanzas(p):
    return [s.strip("\n") for s in open(p).read().split("\n\n") if s.strip()]
up = stanzas(sys.argv[1]); mine = stanzas(sys.argv[2])
assert len(mine) == 4, len(mine)
for s in mine:
    assert s in up, s
PY

say "the test client installs the approved version, byte-identical to upstream"
client test test download hello-air >"$T/dl" 2>&1 || { cat "$T/dl" >&2; fail "download failed"; }
cmp "$T/client-test/var/cache/apt/archives/hello-air_1.0-2_amd64.deb" "$R/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb" ||
	fail "hello-air 1.0-2 differs from upstream"

say "after approval for pilot, the pilot client sees it"
expect_exit 0 airlock --home "$IMP" approve hello-air=1.0-2 --group pilot
expect_exit 0 airlock --home "$IMP" publish
client pilot pilot update >"$T/u3" 2>&1 || { cat "$T/u3" >&2; fail "apt-get update (pilot, 2nd) failed"; }
assert_eq "$(candidate pilot pilot hello-air)" 1.0-2 "pilot's hello-air after approval"

say "the site-signed InRelease verifies with the site key and with no other"
curl -sf "$SERVER_URL/groups/test/deb/dists/airtest/InRelease" >"$T/InRelease" || fail "no InRelease"
gpgv --keyring "$T/site.gpg" "$T/InRelease" 2>"$T/gpgv.out" || { cat "$T/gpgv.out" >&2; fail "gpgv with the site key failed"; }
if gpgv --keyring "$T/vendor.gpg" "$T/InRelease" 2>/dev/null; then fail "InRelease verified with the vendor key"; fi
assert_contains "$T/InRelease" "Valid-Until:"
assert_contains "$T/InRelease" "Acquire-By-Hash: yes"
if "$APTC" "$T/client-wrongkey" "deb [signed-by=$T/vendor.gpg] $SERVER_URL/groups/test/deb airtest main" "$T/vendor.gpg" update >"$T/u4" 2>&1; then
	fail "apt accepted the group view with the vendor's key"
fi
assert_grep "$T/u4" "NO_PUBKEY|not signed|GPG error"

say "the .sources file helps a client set up"
curl -sf "$SERVER_URL/groups/pilot/deb.sources" >"$T/pilot.sources" || fail "no deb.sources"
assert_contains "$T/pilot.sources" "URIs: http://localhost:8080/groups/pilot/deb"
assert_contains "$T/pilot.sources" "Suites: airtest"
assert_contains "$T/pilot.sources" "$SITE_FPR"
assert_contains "$T/pilot.sources" " -----BEGIN PGP PUBLIC KEY BLOCK-----"

say "the upstream view stays, byte for byte"
curl -sf "$SERVER_URL/deb/dists/airtest/InRelease" | cmp - "$R/dists/airtest/InRelease" || fail "upstream InRelease differs"

say "status: approved, pending, overdue by deadline"
sleep 2
expect_exit 0 airlock --home "$IMP" status --json
assert_eq "$(json_get "$OUT" '[g["approved"] for g in d["groups"]]')" '[4, 3, 0]' "approved per group"
# test's emergency deadline (1 s) has passed for air-tools and libair1, never approved in pilot
assert_eq "$(json_get "$OUT" 'sorted(v["package"] for v in d["groups"][1]["overdue_versions"])')" '["air-tools", "libair1"]' "overdue in pilot"
assert_eq "$(json_get "$OUT" 'd["groups"][0]["overdue"]')" 0 "overdue in test"
assert_eq "$(json_get "$OUT" 'd["groups"][1]["declined"]')" 1 "declined counts the decline for every group"
expect_exit 0 airlock --home "$IMP" status
assert_contains "$OUT" "overdue in pilot: air-tools=1.0-1"

say "unapprove and decline per group withdraw a version at the next publication"
expect_exit 0 airlock --home "$IMP" unapprove hello-air=1.0-1 --group test
assert_contains "$OUT" "still approved in 'pilot'"
expect_exit 0 airlock --home "$IMP" decline hello-air=1.0-2 --group pilot --reason "HMI regression"
expect_exit 0 airlock --home "$IMP" publish
curl -sf "$SERVER_URL/groups/pilot/deb/dists/airtest/main/binary-amd64/Packages" >"$T/P2"
assert_not_contains "$T/P2" "Version: 1.0-2"
assert_contains "$T/P2" "Version: 1.0-1"

say "auto-approve: new versions of a source are approved for test as they are imported"
expect_exit 0 airlock --home "$IMP" auto-approve add --group test --source deb --priority high
expect_exit 0 airlock --home "$IMP" auto-approve list --json
assert_eq "$(json_get "$OUT" 'd["rules"][0]["priority"]')" high "rule priority"
echo ok

#!/bin/bash
# The whole air gap for an apt source: a real signed test repository served
# by a test HTTP server → airlock fetch (vendor chain verified) → export to
# an ISO → import → airlock serve → a stock apt-get, with Check-Valid-Until
# and Check-Date, verifies the vendor's own InRelease through our mirror and
# downloads packages byte-identical to upstream.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

say "upstream: a vendor key and a signed repository"
VFPR=$(new_key vendor "$T/vgpg")
gpg --homedir "$T/vgpg" --export "$VFPR" >"$T/vendor.gpg"
"$MKREPO" "$T/www/repo" "$T/vgpg" "$VFPR" --suite airtest >/dev/null || fail "mkrepo failed"
R=$T/www/repo
start_httpd "$T/www"

say "export side: an apt source, fetch, export"
al_export_home
FPR_A=$(al_key A)
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
expect_exit 0 airlock --home "$EXP" source add deb --apt "$HTTPD_URL/repo" --suite airtest --component main \
	--arch amd64 --keyring "$T/vendor.gpg" --package air-tools --package air-plus --with-depends
# a second apt source: 'airlock fetch' with no names fetches every apt source
expect_exit 0 airlock --home "$EXP" source add deb2 --apt "$HTTPD_URL/repo" --suite airtest \
	--keyring "$T/vendor.gpg" --package air-mta
expect_exit 0 airlock --home "$EXP" fetch --json
assert_eq "$(json_get "$OUT" 'len(d)')" 2 "apt sources fetched by a bare 'airlock fetch'"
assert_eq "$(json_get "$OUT" 'd[1]["source"]')" deb2 "the second source fetched"
assert_eq "$(json_get "$OUT" 'd[0]["status"]')" ok "fetch status"
assert_eq "$(json_get "$OUT" 'd[0]["packages"]')" 4 "packages selected (air-tools with its dependencies, air-plus)"
assert_eq "$(json_get "$OUT" 'd[0]["signer"]')" "$VFPR" "InRelease signer"
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "iso:$T/b1.iso" --sign "$FPR_A"

say "import side"
al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
say "without a vendor keyring provisioned at the site, the apt content is refused"
expect_exit 3 airlock --home "$IMP" import "$T/b1.iso"
assert_grep "$ERR" "trust vendor add"
# an unrelated vendor first in name order: every vendor's keys count, not only the first's
UFPR=$(new_key unrelated "$T/ugpg")
gpg --homedir "$T/ugpg" --export "$UFPR" >"$T/unrelated.gpg"
expect_exit 0 airlock --home "$IMP" trust vendor add aaa-unrelated "$T/unrelated.gpg"
expect_exit 0 airlock --home "$IMP" trust vendor add testvendor "$T/vendor.gpg"
expect_exit 0 airlock --home "$IMP" import "$T/b1.iso"
assert_grep "$OUT" "vendor .*apt files verified"
start_server "$IMP"

say "a stock apt client of the isolated network, against our mirror"
LINE="deb [signed-by=$T/vendor.gpg] $SERVER_URL/deb airtest main"
"$APTC" "$T/client" "$LINE" "$T/vendor.gpg" update >"$T/upd.out" 2>&1 ||
	{ cat "$T/upd.out" >&2; fail "apt-get update against the mirror failed"; }
"$APTC" "$T/client" "$LINE" "$T/vendor.gpg" download air-tools >"$T/dl.out" 2>&1 ||
	{ cat "$T/dl.out" >&2; fail "apt-get install --download-only against the mirror failed"; }
A=$T/client/var/cache/apt/archives
cmp "$A/air-tools_1.0-1_amd64.deb" "$R/pool/main/a/air-tools/air-tools_1.0-1_amd64.deb" || fail "air-tools differs"
cmp "$A/hello-air_1.0-2_amd64.deb" "$R/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb" || fail "hello-air differs"
cmp "$A/libair1_1%3a2.0-1_amd64.deb" "$R/pool/main/liba/libair/libair1_2.0-1_amd64.deb" || fail "libair1 differs"
# '+' in a pool name: apt asks for %2b, and the mirror must decode it as apt means it
"$APTC" "$T/client" "$LINE" "$T/vendor.gpg" download air-plus >"$T/dl2.out" 2>&1 ||
	{ cat "$T/dl2.out" >&2; fail "apt-get could not get air-plus ('+' and '~' in its name) from the mirror"; }
cmp "$A/air-plus_2.0+dfsg-1~deb12u1_amd64.deb" "$R/pool/main/a/air-plus/air-plus_2.0+dfsg-1~deb12u1_amd64.deb" ||
	fail "air-plus differs"
grep -q '%2b' "$SERVER_LOG" || fail "apt did not ask for %2b (the test would not show the decoding)"
echo "apt-get verified the vendor's InRelease through the mirror and got byte-identical packages"

say "what was not selected is not carried"
code=$(http_code "$SERVER_URL/deb/pool/main/h/hello-air/hello-air_1.0-1_amd64.deb")
assert_eq "$code" 404 "an unselected package"
# the vendor's InRelease is served byte for byte
curl -sf "$SERVER_URL/deb/dists/airtest/InRelease" | cmp - "$R/dists/airtest/InRelease" || fail "InRelease differs"

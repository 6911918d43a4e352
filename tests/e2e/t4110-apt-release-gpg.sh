#!/bin/bash
# A repository with no InRelease, only Release + Release.gpg, signed by two
# keys as Debian's archive is: fetch falls back to the pair, the import
# re-verifies it, and a stock apt-get goes through our mirror the same way.
# A Release changed after signing, or a Release.gpg by a foreign key, is
# refused at the fetch.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

VFPR=$(new_key vendor "$T/vgpg")
V2FPR=$(gpg --homedir "$T/vgpg" --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-gen-key "vendor2 <v2@vendor.invalid>" ed25519 sign 1y 2>/dev/null &&
	gpg --homedir "$T/vgpg" --batch --with-colons --list-secret-keys 2>/dev/null |
	awk -F: '/^fpr/ { f = $10 } END { print f }')
[ -n "$V2FPR" ] && [ "$V2FPR" != "$VFPR" ] || fail "no second vendor key"
gpg --homedir "$T/vgpg" --export "$VFPR" "$V2FPR" >"$T/vendor.gpg"
"$MKREPO" "$T/www/pair" "$T/vgpg" "$VFPR" --second-key "$V2FPR" --no-inrelease >/dev/null || fail "mkrepo failed"
[ ! -e "$T/www/pair/dists/airtest/InRelease" ] || fail "mkrepo left an InRelease"
n=$(gpg --list-packets "$T/www/pair/dists/airtest/Release.gpg" 2>/dev/null | grep -c '^:signature packet' || true)
assert_eq "$n" 2 "signature packets in Release.gpg"
start_httpd "$T/www"

al_export_home
FPR_A=$(al_key A)
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
expect_exit 0 airlock --home "$EXP" source add pair --apt "$HTTPD_URL/pair" --suite airtest \
	--keyring "$T/vendor.gpg" --package air-tools --with-depends
expect_exit 0 airlock --home "$EXP" fetch --json pair
assert_eq "$(json_get "$OUT" 'd[0]["packages"]')" 3 "packages fetched via Release + Release.gpg"
[ -f "$EXP/staging/apt/pair/tree/dists/airtest/Release.gpg" ] || fail "the tree lacks Release.gpg"
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b1" --sign "$FPR_A"

al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
expect_exit 0 airlock --home "$IMP" trust vendor add vendor "$T/vendor.gpg"
expect_exit 0 airlock --home "$IMP" import "$T/b1"
assert_grep "$OUT" "vendor .*apt files verified"
start_server "$IMP"
LINE="deb [signed-by=$T/vendor.gpg] $SERVER_URL/pair airtest main"
APT_CLIENT_NO_INRELEASE=1 "$APTC" "$T/client" "$LINE" "$T/vendor.gpg" update >"$T/upd.out" 2>&1 ||
	{ cat "$T/upd.out" >&2; fail "apt-get update (Release + Release.gpg) against the mirror failed"; }
grep -qE '^Ign:.*InRelease' "$T/upd.out" || fail "apt did not fall back from InRelease (the test would not show the pair)"
grep -qE '^Get:.* Release\.gpg' "$T/upd.out" || fail "apt did not fetch Release.gpg from the mirror"
"$APTC" "$T/client" "$LINE" "$T/vendor.gpg" download air-tools >"$T/dl.out" 2>&1 ||
	{ cat "$T/dl.out" >&2; fail "apt-get download against the mirror failed"; }
cmp "$T/client/var/cache/apt/archives/air-tools_1.0-1_amd64.deb" \
	"$T/www/pair/pool/main/a/air-tools/air-tools_1.0-1_amd64.deb" || fail "air-tools differs"

say "a Release changed after signing is refused"
cp -a "$T/www/pair" "$T/www/forged"
sed -i 's/^Label: .*/Label: Forged/' "$T/www/forged/dists/airtest/Release"
expect_exit 0 airlock --home "$EXP" source add forged --apt "$HTTPD_URL/forged" --suite airtest \
	--keyring "$T/vendor.gpg" --package air-tools
expect_exit 3 airlock --home "$EXP" fetch forged
assert_grep "$ERR" "source 'forged': Release.gpg: .*bad signature"
[ ! -e "$EXP/staging/apt/forged/tree" ] || fail "a refused fetch wrote a tree"

say "a Release.gpg by a key outside the source's keyring is refused"
IFPR=$(new_key intruder "$T/igpg")
"$MKREPO" "$T/www/foreign" "$T/igpg" "$IFPR" --no-inrelease >/dev/null || fail "mkrepo foreign failed"
expect_exit 0 airlock --home "$EXP" source add foreign --apt "$HTTPD_URL/foreign" --suite airtest \
	--keyring "$T/vendor.gpg" --package air-tools
expect_exit 3 airlock --home "$EXP" fetch foreign
assert_grep "$ERR" "source 'foreign': Release.gpg: threshold not met"

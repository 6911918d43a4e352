#!/bin/bash
# Self-test of the apt test tools, without airlock: tests/tools/mkrepo.sh builds
# a real signed repository, tests/tools/httpd.py serves it, and stock apt-get
# run by tests/tools/apt-client.sh installs from it -- and refuses each hostile
# variant.  This proves the apt harness can pass and can fail.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"

al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

# client NAME REPO CMD...: apt-client.sh with a fresh root per NAME
client() {
	local name=$1 repo=$2
	shift 2
	"$APTC" "$T/c-$name" "deb [signed-by=$KEYRING] $HTTPD_URL/$repo airtest main" "$KEYRING" "$@"
}

# apt_refuses NAME REPO ERE CMD...: the client fails and says ERE
apt_refuses() {
	local name=$1 repo=$2 ere=$3 rc=0
	shift 3
	echo "\$ apt-client $name: $* (expect failure /$ere/)"
	client "$name" "$repo" "$@" >"$OUT" 2>"$ERR" || rc=$?
	if [ "$rc" -eq 0 ]; then
		cat "$OUT" "$ERR" >&2
		fail "apt accepted the '$name' repository"
	fi
	grep -qE -- "$ere" "$OUT" "$ERR" || {
		cat "$OUT" "$ERR" >&2
		fail "apt failed on '$name' (exit $rc) but not with /$ere/"
	}
	grep -E -- "$ere" "$OUT" | head -n 1
	[ ! -e "$T/c-$name/var/cache/apt/archives/hello-air_1.0-2_amd64.deb" ] ||
		fail "'$name': a .deb was downloaded all the same"
}

say "vendor key and repository"
FPR=$(new_key vendor "$T/vgpg")
[ ${#FPR} -eq 40 ] || fail "no vendor fingerprint"
KEYRING=$T/vendor.gpg
gpg --homedir "$T/vgpg" --export "$FPR" >"$KEYRING"
mkdir -p "$T/www"
mk() { # NAME [OPTIONS...]
	local name=$1
	shift
	"$MKREPO" "$T/www/$name" "$T/vgpg" "$FPR" "$@" >"$T/mk.out" 2>&1 || {
		cat "$T/mk.out" >&2
		fail "mkrepo.sh $name $* failed"
	}
}
mk good
R=$T/www/good
for f in pool/main/h/hello-air/hello-air_1.0-1_amd64.deb pool/main/h/hello-air/hello-air_1.0-2_amd64.deb \
	pool/main/liba/libair/libair1_2.0-1_amd64.deb pool/main/a/air-tools/air-tools_1.0-1_amd64.deb \
	'pool/main/a/air-plus/air-plus_2.0+dfsg-1~deb12u1_amd64.deb' pool/main/a/air-mta/air-mta_1.0-1_amd64.deb \
	dists/airtest/InRelease dists/airtest/Release dists/airtest/Release.gpg \
	dists/airtest/main/binary-amd64/Packages dists/airtest/main/binary-amd64/Packages.gz \
	dists/airtest/main/binary-amd64/Packages.xz; do
	[ -s "$R/$f" ] || fail "mkrepo made no $f"
done
for h in $(awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s { print $1 }' "$R/dists/airtest/Release"); do
	[ -f "$R/dists/airtest/main/binary-amd64/by-hash/SHA256/$h" ] || fail "no by-hash copy for $h"
done
gpgv --keyring "$KEYRING" "$R/dists/airtest/InRelease" 2>"$T/gpgv.err" || { cat "$T/gpgv.err" >&2; fail "gpgv rejects InRelease"; }
gpgv --keyring "$KEYRING" "$R/dists/airtest/Release.gpg" "$R/dists/airtest/Release" 2>"$T/gpgv.err" ||
	{ cat "$T/gpgv.err" >&2; fail "gpgv rejects Release.gpg"; }
for f in Origin:\ Airlock-Test Suite:\ airtest Codename:\ airtest Acquire-By-Hash:\ yes Date: Valid-Until:; do
	assert_contains "$R/dists/airtest/Release" "$f"
done
assert_contains "$R/dists/airtest/main/binary-amd64/Packages" 'Version: 1:2.0-1'
assert_contains "$R/dists/airtest/main/binary-amd64/Packages" 'Depends: libair1 (>= 1:2.0) | libair-compat, hello-air'
assert_contains "$R/dists/airtest/main/binary-amd64/Packages" 'Provides: mail-transport-agent'

say "mkrepo is reproducible (all but the Release Date and the signatures)"
mk again --date "@$(date -r "$R/dists/airtest/Release" +%s)"
diff -r "$R/pool" "$T/www/again/pool" || fail "the pool differs between two builds"
for f in Packages Packages.gz Packages.xz; do
	cmp "$R/dists/airtest/main/binary-amd64/$f" "$T/www/again/dists/airtest/main/binary-amd64/$f" ||
		fail "$f differs between two builds"
done
cmp "$R/dists/airtest/Release" "$T/www/again/dists/airtest/Release" || fail "Release differs for the same --date"

say "stock apt installs from it"
start_httpd "$T/www"
client good good update >"$T/upd.out" 2>&1 || { cat "$T/upd.out" >&2; fail "apt-get update failed"; }
assert_contains "$T/upd.out" "airtest InRelease"
client good good download air-tools >"$T/dl.out" 2>&1 || { cat "$T/dl.out" >&2; fail "apt-get download of air-tools failed"; }
A=$T/c-good/var/cache/apt/archives
declare -A want=(
	[air-tools_1.0-1_amd64.deb]=pool/main/a/air-tools/air-tools_1.0-1_amd64.deb
	[libair1_1%3a2.0-1_amd64.deb]=pool/main/liba/libair/libair1_2.0-1_amd64.deb
	[hello-air_1.0-2_amd64.deb]=pool/main/h/hello-air/hello-air_1.0-2_amd64.deb
)
for f in "${!want[@]}"; do
	[ -f "$A/$f" ] || { ls -la "$A" >&2; fail "apt did not download $f"; }
	cmp "$A/$f" "$R/${want[$f]}" || fail "downloaded $f differs from the repository's ${want[$f]}"
done
got=$(cd "$A" && ls -- *.deb | sort | tr '\n' ' ')
assert_eq "$got" "air-tools_1.0-1_amd64.deb hello-air_1.0-2_amd64.deb libair1_1%3a2.0-1_amd64.deb " "downloaded .debs"
echo "air-tools, libair1 (epoch) and hello-air 1.0-2 (the newer of two) match the repository byte for byte"

# '+' and '~' in a pool file name (apt asks for %2b), and a virtual package
client good good download air-plus mail-transport-agent >"$T/dl2.out" 2>&1 ||
	{ cat "$T/dl2.out" >&2; fail "apt-get download of air-plus and mail-transport-agent failed"; }
cmp "$A/air-plus_2.0+dfsg-1~deb12u1_amd64.deb" "$R/pool/main/a/air-plus/air-plus_2.0+dfsg-1~deb12u1_amd64.deb" ||
	fail "air-plus differs"
cmp "$A/air-mta_1.0-1_amd64.deb" "$R/pool/main/a/air-mta/air-mta_1.0-1_amd64.deb" ||
	fail "air-mta (the mail-transport-agent provider) differs"
client good good apt-cache policy hello-air >"$T/pol.out" 2>&1 || { cat "$T/pol.out" >&2; fail "apt-cache policy failed"; }
assert_grep "$T/pol.out" 'Candidate: 1\.0-2'
assert_contains "$T/pol.out" '1.0-1'

say "the harness fails on every hostile variant"
mk append --append-junk
apt_refuses append append 'GPG error|not signed|Clearsigned' update
mk prepend --prepend-junk
apt_refuses prepend prepend 'Clearsigned|not signed' update
mk md5 --md5-only
apt_refuses md5 md5 'weak security|No Hash entry' update
mk tindex --tamper-index
apt_refuses tindex tindex 'Hash Sum mismatch' update
mk tdeb --tamper-deb hello-air
client tdeb tdeb update >"$T/upd.out" 2>&1 || { cat "$T/upd.out" >&2; fail "update of the tdeb repository failed"; }
apt_refuses tdeb tdeb 'Hash Sum mismatch' download air-tools
mk expired --date '40 days ago' --valid-until 1
apt_refuses expired expired 'is expired' update
mk future --date '3 days' --valid-until 30
apt_refuses future future 'not valid yet' update
FPR2=$(new_key intruder "$T/igpg")
"$MKREPO" "$T/www/otherkey" "$T/igpg" "$FPR2" >/dev/null || fail "mkrepo with the intruder key failed"
apt_refuses otherkey otherkey "NO_PUBKEY|GPG error" update

say "apt-client.sh refuses a line that names another keyring"
rc=0
"$APTC" "$T/c-x" "deb [signed-by=/nonexistent.gpg] $HTTPD_URL/good airtest main" "$KEYRING" update >/dev/null 2>"$ERR" || rc=$?
[ "$rc" -ne 0 ] || fail "apt-client.sh accepted a mismatched signed-by"
stop_httpd

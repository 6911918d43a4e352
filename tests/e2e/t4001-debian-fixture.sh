#!/bin/bash
# The real Debian fixture (tests/fixtures/debian) is intact and consistent,
# checked with stock tools only: Debian's keyring verifies the bookworm-updates
# InRelease; Packages.xz has the size and SHA-256 that the signed InRelease
# gives; the .deb has the size and SHA-256 of its stanza in that index.
. "$(dirname "$0")/test-lib.sh"
F=$(cd "$(dirname "$0")/../fixtures/debian" && pwd)
IDX=main/binary-amd64/Packages.xz
DEB=pool/main/c/ca-certificates/ca-certificates_20230311+deb12u1_all.deb

say "InRelease: Debian's signature, by gpgv and Debian's archive keyring"
gpgv --keyring "$F/debian-archive-keyring.gpg" "$F/dists/bookworm-updates/InRelease" 2>"$T/gpgv.err" ||
	{ cat "$T/gpgv.err" >&2; fail "gpgv rejects the fixture InRelease"; }
cat "$T/gpgv.err"
assert_contains "$T/gpgv.err" 'Good signature from "Debian Archive Automatic Signing Key'
# only the signed text counts from here on
gpgv --keyring "$F/debian-archive-keyring.gpg" --output "$T/Release" "$F/dists/bookworm-updates/InRelease" 2>/dev/null ||
	fail "gpgv --output failed"
assert_contains "$T/Release" 'Codename: bookworm-updates'
assert_contains "$T/Release" 'Origin: Debian'

say "a changed InRelease fails the same check (the check can fail)"
sed 's/^Codename: bookworm-updates$/Codename: bookworm-evil/' "$F/dists/bookworm-updates/InRelease" >"$T/bad-InRelease"
! cmp -s "$T/bad-InRelease" "$F/dists/bookworm-updates/InRelease" || fail "the edit changed nothing"
if gpgv --keyring "$F/debian-archive-keyring.gpg" "$T/bad-InRelease" 2>/dev/null; then
	fail "gpgv accepted an edited InRelease"
fi

say "$IDX: size and SHA-256 from the signed SHA256 section"
line=$(awk -v f="$IDX" '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == f { print $1, $2 }' "$T/Release")
[ -n "$line" ] || fail "the InRelease has no SHA256 line for $IDX"
read -r want_sha want_size <<<"$line"
got_sha=$(sha256sum "$F/dists/bookworm-updates/$IDX" | cut -d' ' -f1)
got_size=$(stat -c %s "$F/dists/bookworm-updates/$IDX")
assert_eq "$got_size" "$want_size" "size of $IDX"
assert_eq "$got_sha" "$want_sha" "SHA-256 of $IDX"
echo "$IDX: $got_size bytes, $got_sha (as signed)"
# the uncompressed index is in the signed list too
line=$(awk '/^SHA256:/ { s = 1; next } /^[^ ]/ { s = 0 } s && $3 == "main/binary-amd64/Packages" { print $1, $2 }' "$T/Release")
read -r want_sha want_size <<<"$line"
xz -dc "$F/dists/bookworm-updates/$IDX" >"$T/Packages" || fail "xz cannot decompress $IDX"
assert_eq "$(stat -c %s "$T/Packages")" "$want_size" "size of the decompressed Packages"
assert_eq "$(sha256sum "$T/Packages" | cut -d' ' -f1)" "$want_sha" "SHA-256 of the decompressed Packages"

say "$DEB: size and SHA-256 from its stanza"
stanza=$(awk -v f="$DEB" 'BEGIN { RS = ""; FS = "\n" } { for (i = 1; i <= NF; i++) if ($i == "Filename: " f) print }' "$T/Packages")
[ -n "$stanza" ] || fail "the index has no stanza with Filename: $DEB"
want_sha=$(sed -n 's/^SHA256: //p' <<<"$stanza")
want_size=$(sed -n 's/^Size: //p' <<<"$stanza")
[ -n "$want_sha" ] && [ -n "$want_size" ] || fail "the stanza lacks Size or SHA256"
assert_eq "$(stat -c %s "$F/$DEB")" "$want_size" "size of $DEB"
assert_eq "$(sha256sum "$F/$DEB" | cut -d' ' -f1)" "$want_sha" "SHA-256 of $DEB"
echo "$DEB: $want_size bytes, $want_sha (as indexed)"
if command -v dpkg-deb >/dev/null; then
	assert_eq "$(dpkg-deb -f "$F/$DEB" Package)" ca-certificates "the .deb's Package field"
fi

say "a flipped byte in the .deb is caught by the same comparison"
cp "$F/$DEB" "$T/copy.deb"
flip_byte "$T/copy.deb" 5000
[ "$(sha256sum "$T/copy.deb" | cut -d' ' -f1)" != "$want_sha" ] || fail "the flipped copy has the indexed hash"

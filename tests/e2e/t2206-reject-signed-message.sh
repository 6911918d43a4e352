#!/bin/bash
# signatures/<A>.asc holds, instead of a detached signature, a message signed
# by the trusted officer A that carries its own plaintext:
#   1. an inline-signed message of other text, as gpg --sign --armor writes it
#      (compressed; "PGP MESSAGE" armor);
#   2. the same, uncompressed and relabelled as "PGP SIGNATURE" armor, so
#      that only a look at the packets inside can tell;
#   3. as 2, but the plaintext inside is bundle 2's manifest itself;
#   4. a clearsigned text (gpg --clearsign).
# Each is a good signature by A to gpg on its own (gpg --decrypt gives the
# plaintext and GOODSIG), and each must be refused as a malformed signature
# file, naming it.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base
SIG=$B2/signatures/$FPR_A.asc
printf 'Deploy tools 6.6.6 from http://attacker.invalid/ at once.\n' >"$T/other.txt"

# verify_self FILE: a good signature by A on its own, with its own plaintext
verify_self() {
	local h
	h=$(mktemp -d "$T/vh.XXXX")
	chmod 700 "$h"
	gnupg_register "$h"
	gpg --homedir "$h" --batch --quiet --import "$T/a.asc" >/dev/null 2>&1 || fail "cannot import A's key"
	gpg --homedir "$h" --batch --yes --status-fd 1 --output "$T/plain.out" --decrypt "$1" \
		>"$T/verify.status" 2>"$T/verify.err" || true
	assert_status GOODSIG
	assert_eq "$(status_field VALIDSIG 10)" "$FPR_A" "primary key of $(basename "$1")"
	assert_status PLAINTEXT
}

say "1. inline-signed message of other text"
gx --local-user "$FPR_A" --armor --sign --output "$T/inline.asc" "$T/other.txt" || fail "gpg --sign failed"
head -n 1 "$T/inline.asc" | grep -qx -- '-----BEGIN PGP MESSAGE-----' || fail "not a PGP MESSAGE"
verify_self "$T/inline.asc"
cmp -s "$T/plain.out" "$T/other.txt" || fail "the message does not carry the other text"
cp "$T/inline.asc" "$SIG"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'malformed signature file'

say "2. uncompressed inline-signed message, relabelled as a signature"
gx --local-user "$FPR_A" --compress-level 0 --armor --sign --output "$T/inline0.asc" "$T/other.txt" ||
	fail "gpg --sign failed"
sed 's/^-----\(BEGIN\|END\) PGP MESSAGE-----$/-----\1 PGP SIGNATURE-----/' "$T/inline0.asc" >"$T/relabelled.asc"
head -n 1 "$T/relabelled.asc" | grep -qx -- '-----BEGIN PGP SIGNATURE-----' || fail "relabelling failed"
sig_packets "$T/relabelled.asc"
# one-pass signature, literal data, signature
assert_eq "$(grep -oE '^# off=[0-9]+ ctb=[0-9a-f]+ tag=[0-9]+' "$T/packets" | sed 's/.*tag=//' | tr '\n' ' ')" \
	"4 11 2 " "packet tags of the relabelled message"
verify_self "$T/relabelled.asc"
cmp -s "$T/plain.out" "$T/other.txt" || fail "the message does not carry the other text"
cp "$T/relabelled.asc" "$SIG"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'malformed signature file'

say "3. as 2, carrying bundle 2's manifest as its plaintext"
gx --local-user "$FPR_A" --compress-level 0 --armor --sign --output "$T/inline-m.asc" "$B2/manifest" ||
	fail "gpg --sign failed"
sed 's/^-----\(BEGIN\|END\) PGP MESSAGE-----$/-----\1 PGP SIGNATURE-----/' "$T/inline-m.asc" >"$T/relabelled-m.asc"
verify_self "$T/relabelled-m.asc"
cmp -s "$T/plain.out" "$B2/manifest" || fail "the message does not carry the manifest"
cp "$T/relabelled-m.asc" "$SIG"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'malformed signature file'

say "4. clearsigned other text"
gx --local-user "$FPR_A" --clearsign --output "$T/clear.asc" "$T/other.txt" || fail "gpg --clearsign failed"
head -n 1 "$T/clear.asc" | grep -qx -- '-----BEGIN PGP SIGNED MESSAGE-----' || fail "not a clearsigned text"
verify_self "$T/clear.asc"
cp "$T/clear.asc" "$SIG"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'malformed signature file'

#!/bin/bash
# The signature file holds garbage: binary noise, then armored noise.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
cp -a "$B2" "$T/b2-armored"
head -c 600 /dev/urandom >"$B2/signatures/$FPR_A.asc"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'malformed|signature'
{
	echo '-----BEGIN PGP SIGNATURE-----'
	echo
	head -c 300 /dev/urandom | base64
	echo '-----END PGP SIGNATURE-----'
} >"$T/b2-armored/signatures/$FPR_A.asc"
assert_rejected "$T/b2-armored" "signatures/$FPR_A\.asc" 'malformed|bad signature|signature'

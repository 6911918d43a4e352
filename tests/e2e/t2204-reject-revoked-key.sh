#!/bin/bash
# Officer A's key is revoked after the site trusted it: a revocation imported
# later takes effect for later imports.  Bundle 2, signed by A, passed a dry
# run before the revocation (setup_accepted_base) and is rejected after it.
# The revocation certificate is the one gpg made with the key
# (<home>/openpgp-revocs.d/<FPR>.rev, armor line protected by a ':').
#   1. imported with plain gpg into the site's GnuPG home;
#   2. (after restoring the unrevoked key) with 'airlock trust revoke REVCERT'.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base

say "A's revocation certificate, made when the key was generated"
rev_src=$EXP/gnupg/openpgp-revocs.d/$FPR_A.rev
[ -f "$rev_src" ] || fail "gpg made no revocation certificate for A ($rev_src)"
sed 's/^:-----BEGIN PGP PUBLIC KEY BLOCK-----$/-----BEGIN PGP PUBLIC KEY BLOCK-----/' "$rev_src" >"$T/a.rev"
assert_grep "$T/a.rev" '^-----BEGIN PGP PUBLIC KEY BLOCK-----$'
sig_packets "$T/a.rev"
assert_grep "$T/packets" 'sigclass 0x20'
assert_grep "$T/packets" "issuer fpr v4 $FPR_A"
scratch_verify "$B2/signatures/$FPR_A.asc" "$B2/manifest" "$T/a.asc"
assert_status GOODSIG
scratch_verify "$B2/signatures/$FPR_A.asc" "$B2/manifest" "$T/a.asc" "$T/a.rev"
assert_status REVKEYSIG

say "1. the revocation imported with plain gpg"
gpg --homedir "$IMP/gnupg" --batch --quiet --import "$T/a.rev" 2>/dev/null ||
	fail "gpg cannot import the revocation at the site"
gpg --homedir "$IMP/gnupg" --batch --with-colons --list-keys "$FPR_A" 2>/dev/null | grep -q '^pub:r:' ||
	fail "A is not revoked in the site keyring"
assert_rejected "$B2" "signatures/$FPR_A\.asc" "threshold not met: 0 of 1.*key revoked"

say "restore A's unrevoked key: bundle 2 passes again"
gpg --homedir "$IMP/gnupg" --batch --yes --delete-keys "$FPR_A" 2>/dev/null || fail "cannot delete A at the site"
gpg --homedir "$IMP/gnupg" --batch --quiet --import "$T/a.asc" 2>/dev/null || fail "cannot re-import A at the site"
gpg --homedir "$IMP/gnupg" --batch --with-colons --list-keys "$FPR_A" 2>/dev/null | grep -q '^pub:[^r]' ||
	fail "A is still revoked in the site keyring"
expect_exit 0 airlock --home "$IMP" import --dry-run "$B2"

say "2. the revocation imported with 'airlock trust revoke'"
expect_exit 0 airlock --home "$IMP" trust revoke "$T/a.rev"
gpg --homedir "$IMP/gnupg" --batch --with-colons --list-keys "$FPR_A" 2>/dev/null | grep -q '^pub:r:' ||
	fail "'trust revoke' left A unrevoked in the site keyring"
sqlite3 "$IMP/catalog.db" "SELECT action || ' ' || subject || ' ' || detail FROM audit ORDER BY seq DESC LIMIT 1" \
	>"$T/audit.last"
assert_grep "$T/audit.last" '^trust\.revoke '
assert_contains "$T/audit.last" "$FPR_A"
expect_exit 0 airlock --home "$IMP" audit verify
assert_rejected "$B2" "signatures/$FPR_A\.asc" "threshold not met: 0 of 1.*key revoked"

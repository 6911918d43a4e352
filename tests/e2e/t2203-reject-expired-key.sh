#!/bin/bash
# An officer key that the site trusted while it was valid has expired by the
# time bundle 2 is imported.  The signature itself was made while the key was
# valid; it must not count any more.  Two ways a key comes to expire:
#   1. time passes: key E was made with a short validity (a few seconds),
#      trusted, and used for signing; the import comes after its end.
#   2. the officer shortens the validity: key F (made ten days ago, no
#      expiry, trusted) signed five days ago; three days ago the officer set
#      it to expire the next day, and that updated public key reaches the
#      site's keyring.
# Both bundles pass a dry run while the keys are valid.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base
E_LIFE=6
now=$(now_epoch)
day=86400

say "officer keys E (valid for $E_LIFE s) and F (made ten days ago), both trusted"
FPR_E=$(gpg_key E sign "seconds=$E_LIFE")
E_END=$(gx --with-colons --list-keys "$FPR_E" | awk -F: '/^pub:/ { print $7; exit }')
if [ -z "$E_END" ] || [ "$E_END" -le "$now" ]; then
	fail "key E has no expiry in the future ('$E_END')"
fi
FPR_F=$(gpg_key F sign never $((now - 10 * day)))
gpg_pub "$FPR_E" "$T/e.asc"
gpg_pub "$FPR_F" "$T/f.asc"
expect_exit 0 airlock --home "$IMP" trust add --channel stable "$T/e.asc" "$T/f.asc"

say "bundle 2 signed by E alone, and by F alone (F's signature five days old)"
cp -a "$B2" "$T/b2e"
cp -a "$B2" "$T/b2f"
rm "$T/b2e/signatures/$FPR_A.asc" "$T/b2f/signatures/$FPR_A.asc"
sign_manifest "$T/b2e" "$T/b2e/signatures/$FPR_E.asc" --local-user "$FPR_E"
sign_manifest "$T/b2f" "$T/b2f/signatures/$FPR_F.asc" --local-user "$FPR_F" \
	--faked-system-time "$((now - 5 * day))!"
[ "$(now_epoch)" -lt "$E_END" ] || fail "too slow: key E expired before the control import"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b2e"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b2f"

say "2. F's validity is cut short: it ended two days ago; the update reaches the site"
gx --faked-system-time "$((now - 3 * day))!" --quick-set-expire "$FPR_F" 1d 2>/dev/null ||
	fail "cannot set F's expiry"
gpg_pub "$FPR_F" "$T/f-expired.asc"
scratch_verify "$T/b2f/signatures/$FPR_F.asc" "$T/b2f/manifest" "$T/f-expired.asc"
assert_status EXPKEYSIG
assert_eq "$(status_field VALIDSIG 10)" "$FPR_F" "primary key of F's signature"
sig_time=$(status_field VALIDSIG 3)
f_end=$(gpg --homedir "$T/gpg" --batch --with-colons --show-keys "$T/f-expired.asc" 2>/dev/null |
	awk -F: '/^pub:/ { print $7; exit }')
if [ -z "$f_end" ] || [ "$sig_time" -ge "$f_end" ] || [ "$f_end" -ge "$now" ]; then
	fail "F's signature ($sig_time) should predate F's expiry ($f_end), and that the present ($now)"
fi
gpg --homedir "$IMP/gnupg" --batch --quiet --import "$T/f-expired.asc" 2>/dev/null ||
	fail "cannot import F's updated key at the site"
assert_rejected "$T/b2f" "signatures/$FPR_F\.asc" "threshold not met: 0 of 1.*key expired"

say "1. time passes until E's validity ends"
while [ "$(now_epoch)" -le "$E_END" ]; do sleep 0.2; done
scratch_verify "$T/b2e/signatures/$FPR_E.asc" "$T/b2e/manifest" "$T/e.asc"
assert_status EXPKEYSIG
assert_rejected "$T/b2e" "signatures/$FPR_E\.asc" "threshold not met: 0 of 1.*key expired"

#!/bin/bash
# A signature whose own validity has ended: officer G (key made ten days
# ago, trusted, never expires) signed bundle 2 five days ago with a signature
# valid for one day.  Control: the same kind of signature, valid for thirty
# days, passes a dry run.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base
now=$(now_epoch)
day=86400

say "officer G, made ten days ago, trusted"
FPR_G=$(gpg_key G sign never $((now - 10 * day)))
gpg_pub "$FPR_G" "$T/g.asc"
expect_exit 0 airlock --home "$IMP" trust add --channel stable "$T/g.asc"
rm "$B2/signatures/$FPR_A.asc"

say "control: signed five days ago, valid for 30 days"
sign_manifest "$B2" "$B2/signatures/$FPR_G.asc" --local-user "$FPR_G" \
	--faked-system-time "$((now - 5 * day))!" --default-sig-expire 30d
scratch_verify "$B2/signatures/$FPR_G.asc" "$B2/manifest" "$T/g.asc"
assert_status GOODSIG
[ "$(status_field VALIDSIG 4)" -gt "$now" ] || fail "the control signature should not have expired"
expect_exit 0 airlock --home "$IMP" import --dry-run "$B2"

say "forge: signed five days ago, valid for one day"
sign_manifest "$B2" "$B2/signatures/$FPR_G.asc" --local-user "$FPR_G" \
	--faked-system-time "$((now - 5 * day))!" --default-sig-expire 1d
sig_packets "$B2/signatures/$FPR_G.asc"
assert_grep "$T/packets" 'sig expires after 1d'
assert_grep "$T/packets" 'sigclass 0x00'
scratch_verify "$B2/signatures/$FPR_G.asc" "$B2/manifest" "$T/g.asc"
assert_status EXPSIG
assert_eq "$(status_field VALIDSIG 10)" "$FPR_G" "primary key of the expired signature"
sig_end=$(status_field VALIDSIG 4)
if [ -z "$sig_end" ] || [ "$sig_end" -eq 0 ] || [ "$sig_end" -ge "$now" ]; then
	fail "the signature's expiry ('$sig_end') is not in the past"
fi
assert_rejected "$B2" "signatures/$FPR_G\.asc" "threshold not met: 0 of 1.*signature expired"

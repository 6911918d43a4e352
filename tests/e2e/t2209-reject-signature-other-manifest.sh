#!/bin/bash
# A good signature by the trusted officer A, but over another manifest:
# bundle 1's signature copied into bundle 2.  It does not verify over bundle
# 2's manifest, so it is a bad signature (tampering), named as such:
#   1. in place of A's signature for bundle 2;
#   2. next to A's good signature for bundle 2, as a second file: a bad
#      signature rejects the bundle even though the threshold is met.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base
OLD=$B1/signatures/$FPR_A.asc

say "bundle 1's signature: good over bundle 1's manifest, bad over bundle 2's"
cmp -s "$B1/manifest" "$B2/manifest" && fail "the two manifests are the same"
cmp -s "$OLD" "$B2/signatures/$FPR_A.asc" && fail "the two signatures are the same"
sig_packets "$OLD"
assert_grep "$T/packets" 'sigclass 0x00'
assert_grep "$T/packets" "issuer fpr v4 $FPR_A"
scratch_verify "$OLD" "$B1/manifest" "$T/a.asc"
assert_status GOODSIG
scratch_verify "$OLD" "$B2/manifest" "$T/a.asc"
assert_status BADSIG

say "1. in place of A's signature"
cp -a "$B2" "$T/b2-both"
cp "$OLD" "$B2/signatures/$FPR_A.asc"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'bad signature'

say "2. next to A's good signature, filed under another name"
FPR_M=$(al_key M)
cp "$OLD" "$T/b2-both/signatures/$FPR_M.asc"
assert_rejected "$T/b2-both" "signatures/$FPR_M\.asc" 'bad signature'

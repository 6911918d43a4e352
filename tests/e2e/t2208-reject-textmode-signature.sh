#!/bin/bash
# A text-mode signature (gpg --textmode --detach-sign, signature class 0x01)
# by the trusted officer A over bundle 2's exact manifest.  It verifies with
# gpg, but the format allows binary-mode signatures only: a text-mode
# signature would also cover other bytes (line endings, trailing blanks).
#   1. it is the only signature;
#   2. A's good binary signature is there too, and the text-mode one is a
#      second file: a malformed file rejects the bundle on its own.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base

say "forge: a text-mode signature by A over the manifest"
sign_manifest "$B2" "$T/text.asc" --local-user "$FPR_A" --textmode
sig_packets "$T/text.asc"
assert_grep "$T/packets" 'sigclass 0x01'
assert_grep "$T/packets" "issuer fpr v4 $FPR_A"
scratch_verify "$T/text.asc" "$B2/manifest" "$T/a.asc"
assert_status GOODSIG
assert_eq "$(status_field VALIDSIG 9)" 01 "signature class"
assert_eq "$(status_field VALIDSIG 10)" "$FPR_A" "primary key"
# and the binary one the exporter made is class 0x00
scratch_verify "$B2/signatures/$FPR_A.asc" "$B2/manifest" "$T/a.asc"
assert_eq "$(status_field VALIDSIG 9)" 00 "signature class of the exporter's signature"

say "1. the text-mode signature alone"
cp -a "$B2" "$T/b2-both"
cp "$T/text.asc" "$B2/signatures/$FPR_A.asc"
assert_rejected "$B2" "signatures/$FPR_A\.asc" 'malformed signature file.*(0x01|binary)'

say "2. next to A's good binary signature"
FPR_M=$(al_key M)
cp "$T/text.asc" "$T/b2-both/signatures/$FPR_M.asc"
assert_rejected "$T/b2-both" "signatures/$FPR_M\.asc" 'malformed signature file.*(0x01|binary)'

#!/bin/bash
# The site needs 2 signatures (officers A and B).  Bundle 2 carries two
# signature files that are both officer A's: one under A's name, one under
# B's name (names are labels, not identities).  A key counts once, however
# many files it signs: threshold not met.  Last, the second signature under
# a name that is not a fingerprint at all.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base --threshold 2
# whichever of the two files is read second is the one that did not count
DUP_FILE_RE="signatures/($FPR_A|$FPR_B)\.asc': key $FPR_A already counted"

say "forge: a second, fresh signature by A, filed under B's fingerprint"
# ed25519 signatures are deterministic: a notation makes this one differ
sign_manifest "$B2" "$T/a2.asc" --local-user "$FPR_A" --sig-notation second@airlock.invalid=yes
cmp -s "$T/a2.asc" "$B2/signatures/$FPR_A.asc" && fail "the second signature is a byte copy; expected a fresh one"
sig_packets "$T/a2.asc"
assert_grep "$T/packets" "issuer fpr v4 $FPR_A"
assert_grep "$T/packets" 'sigclass 0x00'
# both are good signatures by A over bundle 2's manifest
for s in "$B2/signatures/$FPR_A.asc" "$T/a2.asc"; do
	scratch_verify "$s" "$B2/manifest" "$T/a.asc"
	assert_status GOODSIG
	assert_eq "$(status_field VALIDSIG 10)" "$FPR_A" "primary key of $(basename "$s")"
done
cp "$T/a2.asc" "$B2/signatures/$FPR_B.asc"
assert_rejected "$B2" "$DUP_FILE_RE" "threshold not met: 1 of 2"

say "forge: the same file twice, byte for byte, under B's name"
cp "$B2/signatures/$FPR_A.asc" "$B2/signatures/$FPR_B.asc"
assert_rejected "$B2" "$DUP_FILE_RE" "threshold not met: 1 of 2"

say "forge: A's second signature under a name that is no fingerprint"
# such a file is no signature file at all: it cannot count (and were the
# threshold met, the listing check would reject it as an unlisted file)
rm "$B2/signatures/$FPR_B.asc"
cp "$T/a2.asc" "$B2/signatures/copy-of-a.asc"
assert_rejected "$B2" "$B2" "threshold not met: 1 of 2"

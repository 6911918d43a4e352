#!/bin/bash
# A signature made by a signing subkey speaks for the subkey's primary key,
# and only trusted primaries count.  Key X (certify-only primary, separate
# signing subkey XS) is not trusted for the channel.  XS signs bundle 2's
# manifest and the signature is filed as signatures/<A>.asc, A being the
# trusted officer: the file name carries no meaning.  Three sites:
#   1. X is unknown at the import site: unknown key.
#   2. X is known and trusted, but for another channel: the signature is
#      attributed to X (not to XS, not to A) and X does not count here.
#   3. as 2, and an "updated key for A" arrives that carries XS grafted onto
#      A's primary with X's binding signature (A never signed it): the graft
#      must not make XS speak for A.
# A control at the end: once X is trusted for the channel, the same bundle
# passes, so the rejections above are about trust, not about subkeys.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/sig-lib.sh"
setup_accepted_base

say "forge: key X with signing subkey XS signs bundle 2, filed under A's name"
FPR_X=$(gpg_key X cert never)
FPR_XS=$(gpg_subkey "$FPR_X")
[ "$FPR_XS" != "$FPR_X" ] || fail "no separate subkey"
gpg_pub "$FPR_X" "$T/x.asc"
# the primary can only certify; gpg must pick the subkey even when asked for X
sign_manifest "$B2" "$T/xs.sig" --local-user "$FPR_X"
sig_packets "$T/xs.sig"
assert_grep "$T/packets" "issuer fpr v4 $FPR_XS"
assert_grep "$T/packets" 'sigclass 0x00'
scratch_verify "$T/xs.sig" "$B2/manifest" "$T/x.asc"
assert_status GOODSIG
assert_eq "$(status_field VALIDSIG 1)" "$FPR_XS" "key that made the forged signature"
assert_eq "$(status_field VALIDSIG 10)" "$FPR_X" "primary key of the forged signature"
# A's public key alone does not verify it
scratch_verify "$T/xs.sig" "$B2/manifest" "$T/a.asc"
assert_status NO_PUBKEY
rm "$B2/signatures/$FPR_A.asc"
cp "$T/xs.sig" "$B2/signatures/$FPR_A.asc"

say "1. X unknown at the import site"
assert_rejected "$B2" "signatures/$FPR_A\.asc" "threshold not met: 0 of 1.*unknown key"
assert_grep "$T/rejected.err" "unknown key $FPR_XS"

say "2. X trusted, but for channel 'testing' only"
expect_exit 0 airlock --home "$IMP" trust add --channel testing "$T/x.asc"
assert_rejected "$B2" "signatures/$FPR_A\.asc" "threshold not met: 0 of 1.*not trusted for this channel"
assert_grep "$T/rejected.err" "key $FPR_X is not trusted for this channel"
assert_not_contains "$T/rejected.err" "key $FPR_XS is"
assert_not_contains "$T/rejected.err" "key $FPR_A is"

say "3. XS grafted onto A's public key with X's binding signature"
gx --export "$FPR_A" >"$T/a.bin"
gx --export "$FPR_X" >"$T/x.bin"
python3 - "$T/a.bin" "$T/x.bin" "$T/graft.bin" <<'PY' || fail "cannot build the grafted key"
import sys

def packets(b):
    i = 0
    while i < len(b):
        c = b[i]
        if not c & 0x80:
            raise SystemExit("not an OpenPGP packet at %d" % i)
        if c & 0x40:
            tag, l = c & 0x3F, b[i + 1]
            if l < 192:
                hl, bl = 2, l
            elif l < 224:
                hl, bl = 3, ((l - 192) << 8) + b[i + 2] + 192
            elif l == 255:
                hl, bl = 6, int.from_bytes(b[i + 2:i + 6], "big")
            else:
                raise SystemExit("partial body length")
        else:
            tag = (c >> 2) & 0xF
            hl = 1 + (1, 2, 4)[c & 3]
            bl = int.from_bytes(b[i + 1:i + hl], "big")
        yield tag, b[i:i + hl + bl]
        i += hl + bl

a = list(packets(open(sys.argv[1], "rb").read()))
x = list(packets(open(sys.argv[2], "rb").read()))
tags = [t for t, _ in x]
k = tags.index(14)  # X's public subkey, then its binding signature
if tags[k + 1] != 2:
    raise SystemExit("no binding signature after the subkey")
open(sys.argv[3], "wb").write(b"".join(p for _, p in a) + x[k][1] + x[k + 1][1])
PY
sig_packets "$T/graft.bin"
[ "$(grep -c '^# off=.* tag=14 ' "$T/packets")" -eq 1 ] || fail "the graft holds no subkey packet"
assert_grep "$T/packets" "sigclass 0x18"
# delivered the way an officer's key update is: trust add for the channel
expect_exit 0 airlock --home "$IMP" trust add --channel stable "$T/graft.bin"
gpg --homedir "$IMP/gnupg" --batch --with-colons --list-keys "$FPR_A" >"$T/a.keys" 2>/dev/null ||
	fail "A is no longer in the site keyring"
assert_not_contains "$T/a.keys" "$FPR_XS"
assert_rejected "$B2" "signatures/$FPR_A\.asc" "threshold not met: 0 of 1.*not trusted for this channel"
assert_grep "$T/rejected.err" "key $FPR_X is not trusted for this channel"

say "control: X trusted for 'stable' makes the same bundle pass, counted as X"
expect_exit 0 airlock --home "$IMP" trust add --channel stable "$T/x.asc"
expect_exit 0 airlock --home "$IMP" import --dry-run "$B2"
grep -E 'signatures' "$OUT" "$ERR" | grep -q "$FPR_X" || {
	cat "$OUT" "$ERR" >&2
	fail "the dry run does not name X as the signer"
}

#!/bin/bash
# A manifest edited after signing: the pack and part lines of its blob pack
# now give the hash of another genuine bundle's pack (same size, other
# content), whose part is copied in.  The officer's signature no longer
# matches.  Control: the same edit re-signed gets past the signatures and is
# stopped only when the pack is unpacked.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
head -c 307200 /dev/urandom >"$T/tree/data/blob.bin"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/b3" --sign "$FPR_A"
cp "$B2/manifest" "$T/manifest.orig"
python3 "$FORGE" graft "$B2" --from "$T/b3" --pack 2 || fail "forge.py graft failed"
diff "$T/manifest.orig" "$B2/manifest" >"$T/manifest.diff" || true
n=$(grep -c '^[<>] ' "$T/manifest.diff" || true)
assert_eq "$n" 4 "changed manifest lines (pack 2 and its part, before and after)"
grep -q "^> pack 2 none 308736 $(sha256sum <"$T/b3/packs/p0002.001" | cut -c1-64)$" "$T/manifest.diff" ||
	fail "pack 2 does not point at b3's pack"
cmp -s "$T/b3/packs/p0002.001" "$B2/packs/p0002.001" || fail "b3's part was not copied in"
if gpg --homedir "$EXP/gnupg" --batch --verify "$B2/signatures/$FPR_A.asc" "$B2/manifest" 2>/dev/null; then
	fail "the old signature still verifies"
fi
cp -a "$B2" "$T/b2-resigned"
assert_rejected "$B2" "signatures/$FPR_A\.asc" "signatures: .*bad signature"

say "control: the grafted manifest re-signed is stopped only at unpacking"
python3 "$FORGE" resign "$T/b2-resigned" --gnupg "$EXP/gnupg" --key "$FPR_A" || fail "resign failed"
expect_exit 3 airlock --home "$IMP" import --dry-run "$T/b2-resigned"
assert_grep "$ERR" "^airlock: rejected: .*: payload: pack 2: entry [0-9a-f]{64} is not an object the manifest puts in this pack"

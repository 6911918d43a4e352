#!/bin/bash
# Mix and match: two genuine bundles of the same channel, the same sequence
# and the same part layout, each signed by the same trusted officer and each
# importable on its own.  X comes from the export home, Y from a copy of it
# (a restored backup or a standby export station) over a different tree, so
# their blob packs are the same size but differ.  Pieces of one must not pass
# with the other: Y's part under X's manifest and signature, then X's manifest
# under Y's signature.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
cp -a "$EXP" "$T/exp-y"
find "$T/exp-y/gnupg" -type s -delete # the agent sockets belong to the original
gnupg_register "$T/exp-y/gnupg"
head -c 307200 /dev/urandom >"$T/tree/data/blob.bin"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/x" --sign "$FPR_A"
head -c 307200 /dev/urandom >"$T/tree/data/blob.bin"
printf 'standby station\n' >>"$T/tree/README.txt"
expect_exit 0 airlock --home "$T/exp-y" export --channel "$CHANNEL" --to "dir:$T/y" --sign "$FPR_A"

say "both are genuine: same channel and sequence, same parts, each importable"
for b in x y; do
	expect_exit 0 airlock --home "$IMP" import --dry-run "$T/$b"
	sed -n '2,3p' "$T/$b/manifest" >"$T/$b.head"
	(cd "$T/$b" && find . -type f -printf '%P\n' | sort) >"$T/$b.files"
done
cmp -s "$T/x.head" "$T/y.head" || fail "x and y differ in channel or sequence"
cmp -s "$T/x.files" "$T/y.files" || fail "x and y have different files on the volume"
cmp -s "$T/x/manifest" "$T/y/manifest" && fail "x and y have the same manifest"
[ "$(stat -c %s "$T/x/packs/p0002.001")" = "$(stat -c %s "$T/y/packs/p0002.001")" ] || fail "p0002.001 sizes differ"
cmp -s "$T/x/packs/p0002.001" "$T/y/packs/p0002.001" && fail "p0002.001 is the same in x and y"
cp -a "$T/x" "$T/x-ysig"

cp "$T/y/packs/p0002.001" "$T/x/packs/p0002.001"
assert_rejected "$T/x" "'packs/p0002\.001'" "payload: part 'packs/p0002\.001': sha256 mismatch"

say "x's manifest with y's signature (same officer, other manifest)"
cp "$T/y/signatures/$FPR_A.asc" "$T/x-ysig/signatures/$FPR_A.asc"
assert_rejected "$T/x-ysig" "signatures/$FPR_A\.asc" "signatures: .*bad signature"

#!/bin/bash
# Two-person rule: officer A exports, officer B co-signs the existing bundle
# without rebuilding it; a site with threshold 2 accepts both signatures and
# rejects A's alone.  The same on an ISO image.
. "$(dirname "$0")/test-lib.sh"

al_export_home
FPR_A=$(al_key A)
FPR_B=$(al_key B)
[ "$FPR_A" != "$FPR_B" ] || fail "two keys with one fingerprint"
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc"
airlock --home "$EXP" key export "$FPR_B" >"$T/b.asc"
cat "$T/a.asc" "$T/b.asc" >"$T/ab.asc"
make_tree "$T/tree"
cp -a "$T/tree" "$T/tree1"
expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/tree"

say "A exports, B co-signs (folder)"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/b1" --sign "$FPR_A"
cp -a "$T/b1" "$T/b1-only-a"
m_before=$(sha256sum <"$T/b1/manifest")
(cd "$T/b1/packs" && sha256sum *) >"$T/packs.before"
expect_exit 0 airlock --home "$EXP" sign "$T/b1" --key "$FPR_B"
assert_eq "$(sha256sum <"$T/b1/manifest")" "$m_before" "manifest after co-signing"
(cd "$T/b1/packs" && sha256sum *) >"$T/packs.after"
diff -u "$T/packs.before" "$T/packs.after" || fail "co-signing changed the packs"
[ -f "$T/b1/signatures/$FPR_A.asc" ] || fail "A's signature is gone after co-signing"
[ -f "$T/b1/signatures/$FPR_B.asc" ] || fail "no signatures/$FPR_B.asc after co-signing"
cmp -s "$T/b1/signatures/$FPR_A.asc" "$T/b1-only-a/signatures/$FPR_A.asc" || fail "co-signing rewrote A's signature"
expect_exit 0 airlock verify "$T/b1" --keyring "$T/ab.asc" --threshold 2
expect_exit 3 airlock verify "$T/b1-only-a" --keyring "$T/ab.asc" --threshold 2
assert_grep "$ERR" '^airlock: rejected:.*threshold'

say "import site: threshold 2 over A and B"
al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel "$CHANNEL" --threshold 2 "$T/a.asc" "$T/b.asc"
expect_exit 3 airlock --home "$IMP" import "$T/b1-only-a"
assert_grep "$ERR" '^airlock: rejected:.*(threshold|1 of 2)'
[ -z "$(sqlite3 "$IMP/catalog.db" 'SELECT * FROM served')" ] || fail "a bundle with one of two signatures was promoted"
expect_exit 0 airlock --home "$IMP" import "$T/b1"
signers=$(sqlite3 "$IMP/catalog.db" "SELECT signers FROM snapshot WHERE sequence = 1")
case $signers in *"$FPR_A"*"$FPR_B"* | *"$FPR_B"*"$FPR_A"*) ;; *) fail "snapshot signers '$signers' lack A or B" ;; esac
start_server "$IMP"
check_served_tree tools "$T/tree1"

say "the same with an ISO image (sequence 2)"
printf 'second release\n' >>"$T/tree/README.txt"
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "iso:$T/b2.iso" --sign "$FPR_A"
cp "$T/b2.iso" "$T/b2-only-a.iso"
expect_exit 0 airlock inspect --json "$T/b2.iso"
m_before=$(json_get "$OUT" 'd["manifest"]')
expect_exit 0 airlock --home "$EXP" sign "$T/b2.iso" --key "$FPR_B"
expect_exit 0 airlock inspect --json "$T/b2.iso"
assert_eq "$(json_get "$OUT" 'd["manifest"]')" "$m_before" "ISO manifest after co-signing"
assert_eq "$(json_get "$OUT" 'len(d["signatures"])')" 2 "signatures on the co-signed ISO"
isoinfo -R -f -i "$T/b2.iso" >"$T/iso.list"
grep -qx "/signatures/$FPR_A.asc" "$T/iso.list" || fail "A's signature missing from the co-signed ISO"
grep -qx "/signatures/$FPR_B.asc" "$T/iso.list" || fail "B's signature missing from the co-signed ISO"
expect_exit 0 airlock verify "$T/b2.iso" --keyring "$T/ab.asc" --threshold 2
expect_exit 3 airlock verify "$T/b2-only-a.iso" --keyring "$T/ab.asc" --threshold 2
expect_exit 3 airlock --home "$IMP" import "$T/b2-only-a.iso"
check_served_tree tools "$T/tree1"
expect_exit 0 airlock --home "$IMP" import "$T/b2.iso"
check_served_tree tools "$T/tree"
expect_exit 0 airlock --home "$IMP" audit verify
expect_exit 0 airlock --home "$EXP" audit verify

#!/bin/bash
# A pack part replaced by the same-named part of another genuine, signed
# bundle: first one of another size (bundle 1 of the same channel), then one
# of exactly the same size (a bundle from another export site whose binary
# payload differs but has the same length), so that only the hash can tell.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
cp -a "$B2" "$T/b2-orig"

swapped=
for p in $(cd "$B2/packs" && ls); do
	if [ -f "$B1/packs/$p" ] && ! cmp -s "$B1/packs/$p" "$B2/packs/$p"; then
		swapped=$p
		break
	fi
done
[ -n "$swapped" ] || fail "bundles 1 and 2 have no same-named parts that differ"
cp "$B1/packs/$swapped" "$B2/packs/$swapped"
echo "packs/$swapped now comes from bundle 1"
assert_rejected "$B2" "packs/$swapped" 'sha256|mismatch|manifest says|truncated or padded'

say "a same-size part from another site's bundle"
cp -a "$T/tree2" "$T/other-tree"
head -c "$(stat -c %s "$T/tree2/data/blob.bin")" /dev/urandom >"$T/other-tree/data/blob.bin"
al_export_home "$T/other"
fpr=$(al_key Other)
expect_exit 0 airlock --home "$T/other" source add tools --dir "$T/other-tree"
expect_exit 0 airlock --home "$T/other" export --channel "$CHANNEL" --to "dir:$T/ob" --sign "$fpr"
swapped=
for p in $(cd "$T/b2-orig/packs" && ls); do
	f=$T/ob/packs/$p
	if [ -f "$f" ] && [ "$(stat -c %s "$f")" = "$(stat -c %s "$T/b2-orig/packs/$p")" ] &&
		! cmp -s "$f" "$T/b2-orig/packs/$p"; then
		swapped=$p
		break
	fi
done
if [ -z "$swapped" ]; then
	echo "note: no same-named part of the same size in the other bundle; same-size case not run"
	exit 0
fi
rm -rf "$B2" && cp -a "$T/b2-orig" "$B2"
cp "$T/ob/packs/$swapped" "$B2/packs/$swapped"
echo "packs/$swapped now comes from another site's bundle ($(stat -c %s "$B2/packs/$swapped") bytes, same size)"
assert_rejected "$B2" "packs/$swapped" 'sha256|mismatch'

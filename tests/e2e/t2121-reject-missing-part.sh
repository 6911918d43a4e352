#!/bin/bash
# A part file missing from the volume: the genuine bundle's only part of pack
# 2, then the middle part of a pack re-cut into three parts (the first and
# last present and intact) and re-signed.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
cp -a "$B2" "$T/b2-3parts"
grep -q ' p0002\.001$' "$B2/manifest" || fail "the manifest names no part p0002.001"
rm "$B2/packs/p0002.001"
assert_rejected "$B2" "'packs/p0002\.001'" "listing: part 'packs/p0002\.001' is missing"

say "pack 2 cut into three parts: accepted whole, rejected without its middle part"
forge repack "$T/b2-3parts" --pack 2 --parts 3
n=$(grep -c '^part 2 [123] 1 ' "$T/b2-3parts/manifest")
assert_eq "$n" 3 "part lines of pack 2"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b2-3parts"
rm "$T/b2-3parts/packs/p0002.002"
assert_rejected "$T/b2-3parts" "'packs/p0002\.002'" "listing: part 'packs/p0002\.002' is missing"

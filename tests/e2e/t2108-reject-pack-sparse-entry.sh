#!/bin/bash
# Correctly signed bundles whose pack entry, named by a genuine object, is a
# sparse file written by GNU tar: the object's bytes, then a 1 MiB hole, so its
# logical size is far above the size the manifest declares.  First the old GNU
# sparse format in the zstd pack, then pax (GNU.sparse.*) in the uncompressed one.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
cp -a "$B2" "$T/b2-pax"
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
size=$(awk -v h="$h" '$1 == "object" && $2 == h { print $3 }' "$B2/manifest")
forge repack "$B2" --pack 1 --format gnu --entries "sparse=$h"
zstd -dc "$B2/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q " $((size + 1048576)) .* $h$" "$T/list" || fail "no sparse entry in pack 1"
assert_rejected "$B2" "$h" "payload: pack 1: entry $h is a sparse file"

say "pax sparse entry in the uncompressed pack"
grep -q '^pack 2 none ' "$T/b2-pax/manifest" || fail "bundle 2 has no uncompressed pack 2"
h=$(awk '$1 == "file" && $5 == "data/blob.bin" { print $4 }' "$T/b2-pax/manifest")
forge repack "$T/b2-pax" --pack 2 --format pax --entries "sparse=$h"
grep -aq 'GNU\.sparse\.' "$T/b2-pax/packs/p0002.001" || fail "no pax sparse header in pack 2"
tar -tvf "$T/b2-pax/packs/p0002.001" >"$T/list"
grep -q " $((307200 + 1048576)) .* $h$" "$T/list" || fail "no sparse entry in pack 2"
assert_rejected "$T/b2-pax" "$h" "payload: pack 2: entry $h is a sparse file"

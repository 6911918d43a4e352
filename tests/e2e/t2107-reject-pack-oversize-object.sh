#!/bin/bash
# A correctly signed bundle whose pack entry, named by a genuine object, holds
# that object plus 4096 more bytes; the manifest keeps the object's real size.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
size=$(awk -v h="$h" '$1 == "object" && $2 == h { print $3 }' "$B2/manifest")
forge repack "$B2" --pack 1 --entries "oversize=$h:4096"
zstd -dc "$B2/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q " $((size + 4096)) .* $h$" "$T/list" || fail "no oversize entry in pack 1"
grep -q "^object $h $size 1$" "$B2/manifest" || fail "the manifest no longer declares $size bytes"
# today the tar header's size gives it away; the read loop's own bound is the second line of defence
assert_rejected "$B2" "$h" "payload: pack 1: object $h: (header says $((size + 4096)) bytes, the manifest says $size|more data than the declared $size bytes)"

#!/bin/bash
# Correctly signed bundles whose pack carries a device node named by a genuine
# object: a character device (1,3), then a block device (8,0).
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
cp -a "$B2" "$T/b2-blk"
forge repack "$B2" --pack 1 --entries "chardev=$h"
zstd -dc "$B2/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q "^c.* $h$" "$T/list" || fail "no character device in pack 1"
assert_rejected "$B2" "$h" "payload: pack 1: entry $h is a character device"

forge repack "$T/b2-blk" --pack 1 --entries "blockdev=$h"
zstd -dc "$T/b2-blk/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q "^b.* $h$" "$T/list" || fail "no block device in pack 1"
assert_rejected "$T/b2-blk" "$h" "payload: pack 1: entry $h is a block device"

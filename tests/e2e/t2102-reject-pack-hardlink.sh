#!/bin/bash
# A correctly signed bundle whose pack carries a hard link, named by a genuine
# object, to another object of the same pack: rejected when unpacked.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
forge repack "$B2" --pack 1 --entries "hardlink=$h"
zstd -dc "$B2/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q "^h.* $h link to [0-9a-f]\{64\}$" "$T/list" || fail "no hard link in pack 1"
assert_rejected "$B2" "$h" "payload: pack 1: entry $h is a hard link"

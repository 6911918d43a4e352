#!/bin/bash
# A correctly signed bundle whose pack carries a FIFO named by a genuine object.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
forge repack "$B2" --pack 1 --entries "fifo=$h"
zstd -dc "$B2/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q "^p.* $h$" "$T/list" || fail "no FIFO in pack 1"
assert_rejected "$B2" "$h" "payload: pack 1: entry $h is a FIFO"

#!/bin/bash
# A correctly signed bundle whose pack holds one genuine object twice (the
# same header and content both times).
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
forge repack "$B2" --pack 1 --entries "dup=$h"
zstd -dc "$B2/packs/p0001.001" | tar -tf - >"$T/list"
n=$(grep -cx "$h" "$T/list" || true)
assert_eq "$n" 2 "entries named $h in pack 1"
assert_rejected "$B2" "$h" "payload: pack 1: object $h appears twice"

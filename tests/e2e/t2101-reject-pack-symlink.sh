#!/bin/bash
# A correctly signed bundle whose pack carries a symbolic link (to /etc/passwd)
# under the name of a genuine object: rejected when the pack is unpacked.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
say "control: pack 1 rebuilt by forge.py (genuine entries, two parts) and re-signed is accepted"
cp -a "$B2" "$T/b2-control"
forge repack "$T/b2-control" --pack 1 --parts 2
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b2-control"

h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
forge repack "$B2" --pack 1 --entries "symlink=$h:/etc/passwd"
zstd -dc "$B2/packs/p0001.001" | tar -tvf - >"$T/list"
grep -q "^l.* $h -> /etc/passwd$" "$T/list" || fail "no symlink entry in pack 1"
assert_rejected "$B2" "$h" "payload: pack 1: entry $h is a symbolic link"

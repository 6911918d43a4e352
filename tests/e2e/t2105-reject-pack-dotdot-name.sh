#!/bin/bash
# A correctly signed bundle whose pack entry is named '../<hash>': a genuine
# object's content and hash, one folder up.  The entry name must be the bare hash.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
forge repack "$B2" --pack 1 --entries "name=$h:../%h"
zstd -dc "$B2/packs/p0001.001" | tar -tf - >"$T/list"
grep -qx "\.\./$h" "$T/list" || fail "no '../$h' entry in pack 1"
assert_rejected "$B2" "'\.\./$h'" "payload: pack 1: entry '\.\./$h' is not named by an object hash"

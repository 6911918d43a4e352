#!/bin/bash
# A correctly signed manifest in which a path carries a terminal escape: ESC
# and BEL (an xterm title sequence), then the C1 control U+009B (CSI).  The
# rejection shows the bytes escaped, never raw.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
cp -a "$B2" "$T/b2-c1"
forge rename-file "$B2" --source tools --path docs/guide.md --to $'docs/\e]2;pwned\aguide.md'
grep -q $'^file tools .* docs/\e]2;pwned\aguide\\.md$' "$B2/manifest" || fail "the rename did not take"
assert_rejected "$B2" "docs/\\\\x1b\]2;pwned\\\\x07guide\.md" "manifest: manifest line [0-9]+: control character in path"
if grep -q $'[\e\a]' "$T/rejected.err"; then fail "raw control characters in the rejection"; fi

say "C1 control U+009B"
forge rename-file "$T/b2-c1" --source tools --path docs/guide.md --to $'docs/\xc2\x9b31mguide.md'
assert_rejected "$T/b2-c1" "docs/\\\\xc2\\\\x9b31mguide\.md" "manifest: manifest line [0-9]+: control character in path"
if grep -q $'\xc2\x9b' "$T/rejected.err"; then fail "a raw C1 control in the rejection"; fi

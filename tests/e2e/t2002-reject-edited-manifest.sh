#!/bin/bash
# One character of a file path changed in the signed manifest: the signature
# no longer matches; nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
grep -q '^file tools .* docs/guide\.md$' "$B2/manifest" || fail "manifest has no line for docs/guide.md"
sed -i 's|^\(file tools .* docs/\)guide\.md$|\1guidf.md|' "$B2/manifest"
grep -q 'docs/guidf\.md$' "$B2/manifest" || fail "the edit did not take"
assert_rejected "$B2" "signatures/$FPR_A\.asc|manifest" 'bad signature|does not match'

#!/bin/bash
# The only signature is by a key the import site does not trust (the good
# signature was removed); nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
FPR_M=$(al_key Mallory)
expect_exit 0 airlock --home "$EXP" sign "$B2" --key "$FPR_M"
[ -f "$B2/signatures/$FPR_M.asc" ] || fail "no signature by the untrusted key"
rm "$B2/signatures/$FPR_A.asc"
assert_rejected "$B2" "signatures/$FPR_M\.asc|${FPR_M:24}" 'threshold|not trusted|unknown key'

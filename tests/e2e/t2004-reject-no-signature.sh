#!/bin/bash
# A bundle with no signature at all; nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
rm "$B2"/signatures/*.asc
assert_rejected "$B2" "$B2" 'no signatures'

#!/bin/bash
# A pack part 100 bytes short.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
part=$(largest_part "$B2")
truncate -s -100 "$part"
assert_rejected "$B2" "packs/${part##*/}" 'truncated|short|bytes'

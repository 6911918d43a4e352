#!/bin/bash
# The site needs 2 signatures (officers A and B); bundle 2 has only A's.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base --threshold 2
rm "$B2/signatures/$FPR_B.asc"
assert_rejected "$B2" "$B2" 'threshold not met|1 of 2'

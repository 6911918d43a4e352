#!/bin/bash
# Sequences 1 and 2 imported; sequence 1 offered again is a replay.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
expect_exit 0 airlock --home "$IMP" import "$B2"
check_served_tree tools "$T/tree2"
capture_baseline "$T/tree2"
assert_rejected "$B1" "$B1" 'replay|older'

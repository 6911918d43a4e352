#!/bin/bash
# A second channel may not take over a source another channel serves: the
# served URL /tools/... belongs to the first channel.  Nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
say "the same officer exports source 'tools' on another channel"
expect_exit 0 airlock --home "$EXP" export --channel other --to "dir:$T/other" --sign "$FPR_A"
expect_exit 0 airlock --home "$IMP" trust add --channel other "$T/a.asc"
capture_baseline "$T/tree1"
assert_rejected "$T/other" "tools" "already served from channel"

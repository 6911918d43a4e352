#!/bin/bash
# One flipped byte in the middle of a pack part: rejected by its hash, before
# any archive is parsed; nothing promoted.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
part=$(largest_part "$B2")
size=$(stat -c %s "$part")
flip_byte "$part" $((size / 2))
echo "flipped byte $((size / 2)) of $part"
assert_rejected "$B2" "packs/${part##*/}" 'sha256|mismatch'

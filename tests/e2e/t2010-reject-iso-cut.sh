#!/bin/bash
# An ISO image cut in half (a bad burn, an interrupted copy).
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base --iso
cp "$B2" "$T/half.iso"
size=$(stat -c %s "$B2")
truncate -s $((size / 2)) "$T/half.iso"
echo "image cut from $size to $((size / 2)) bytes"
assert_rejected "$T/half.iso" 'half\.iso|packs/|manifest' 'truncat|short|beyond|past the end|end of|not a readable|ISO ?9660'

#!/bin/bash
# Content whose type is not what its name declares: a program named as
# text, and a text file named as a Debian package.  libmagic decides by
# content; the signed manifest only gives the name.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/content-lib.sh"
setup_accepted_base

cp /bin/true "$T/prog"
bundle_with docs/notes.txt "$T/prog"
assert_rejected "$B3" 'tools/docs/notes.txt' 'filetype: .*content is application/x-(pie-)?(executable|sharedlib)'

printf 'Package: fake\nVersion: 1\n' >"$T/text"
bundle_with pool/main/f/fake_1_all.deb "$T/text"
assert_rejected "$B3" 'tools/pool/main/f/fake_1_all.deb' 'filetype: .*text/plain.*debian'

say "control: the same names with the right content pass"
printf 'notes\n' >"$T/notes"
bundle_with docs/notes.txt "$T/notes"
expect_exit 0 airlock --home "$IMP" import --dry-run "$B3"

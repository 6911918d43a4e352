#!/bin/bash
# Size budgets are checked against the signed manifest before a byte is
# copied: an object over import.max-object-size, a bundle over
# import.max-bundle-size.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
cp "$IMP/airlock.conf" "$T/conf.orig"

say "bundle 2 carries a 300 KB object; the site allows 100 KB per object"
printf 'import.max-object-size = 100K\n' >>"$IMP/airlock.conf"
assert_rejected "$B2" "$B2" 'budget: object [0-9a-f]{64} is 300(\.0)? KiB, over the site.s import.max-object-size of 100(\.0)? KiB'
n=$(find "$IMP/quarantine" -name 'pack-*' | wc -l)
assert_eq "$n" 0 "packs copied into quarantine before the budget check"

say "the whole bundle over import.max-bundle-size"
cp "$T/conf.orig" "$IMP/airlock.conf"
printf 'import.max-bundle-size = 64K\n' >>"$IMP/airlock.conf"
assert_rejected "$B2" "$B2" 'budget: packs and objects come to .*, over the site.s import.max-bundle-size of 64(\.0)? KiB'

say "a misspelt setting stops the import with the line it is on"
cp "$T/conf.orig" "$IMP/airlock.conf"
printf 'import.max-bundel-size = 64K\n' >>"$IMP/airlock.conf"
expect_exit 1 airlock --home "$IMP" import "$B2"
assert_grep "$ERR" "airlock.conf' line [0-9]+: unknown setting 'import.max-bundel-size'"

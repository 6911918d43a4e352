#!/bin/bash
# A correctly signed manifest in which a file's path climbs out of its source
# with '..' components: first a renamed genuine file, then an added one.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
say "control: a genuine file renamed to a harmless path and re-signed is accepted"
cp -a "$B2" "$T/b2-control" && cp -a "$B2" "$T/b2-add"
forge rename-file "$T/b2-control" --source tools --path docs/guide.md --to docs/guide-renamed.md
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b2-control"

forge rename-file "$B2" --source tools --path docs/guide.md --to docs/../../etc/cron.d/evil
grep -q '^file tools 0644 [0-9a-f]* docs/\.\./\.\./etc/cron\.d/evil$' "$B2/manifest" || fail "the rename did not take"
assert_rejected "$B2" "'docs/\.\./\.\./etc/cron\.d/evil'" "manifest: manifest line [0-9]+: '\.\.' component in path"

say "an added file '../outside' with its own object and pack"
printf 'planted\n' >"$T/evil"
forge add-file "$T/b2-add" --source tools --path ../outside --content "$T/evil"
assert_rejected "$T/b2-add" "'\.\./outside'" "manifest: manifest line [0-9]+: '\.\.' component in path"

#!/bin/bash
# A correctly signed manifest in which a file's path is absolute (/etc/cron.d/evil).
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
forge rename-file "$B2" --source tools --path docs/guide.md --to /etc/cron.d/evil
grep -q '^file tools 0644 [0-9a-f]* /etc/cron\.d/evil$' "$B2/manifest" || fail "the rename did not take"
assert_rejected "$B2" "'/etc/cron\.d/evil'" "manifest: manifest line [0-9]+: absolute path"

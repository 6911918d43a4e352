#!/bin/bash
# A disk that fills up mid-import (a file size limit, `ulimit -f`, stands in
# for a small file system): a clear one-line error naming the file, exit 1
# (an operational error, not a verdict on the media), nothing promoted, no
# quarantine debris, the previous snapshot still served; with room again,
# the same media imports.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base

say "import with a 64 KiB file size limit (bundle 2 carries a 300 KB object)"
set +e
(ulimit -f 64 && exec "$AIRLOCK" --home "$IMP" import "$B2") >"$OUT" 2>"$ERR"
rc=$?
set -e
cat "$ERR"
assert_eq "$rc" 1 "exit code on a full disk"
n=$(grep -c '^airlock: ' "$ERR" || true)
assert_eq "$n" 1 "error lines"
assert_grep "$ERR" "cannot write '.*quarantine/import-[^']*'.*(disk is full|file size limit)"
served_state "$IMP" >"$T/state.after"
diff -u "$T/state.before" "$T/state.after" >&2 || fail "store or catalog changed by a failed import"
if find "$IMP/quarantine" -mindepth 1 -maxdepth 1 | grep -q .; then
	ls -la "$IMP/quarantine" >&2
	fail "a failed import left its quarantine folder (space a full disk needs back)"
fi
check_served_tree tools "$T/tree1"
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT result FROM import ORDER BY id DESC LIMIT 1")" error "recorded result"

say "with room again, the same media imports"
expect_exit 0 airlock --home "$IMP" import "$B2"
check_served_tree tools "$T/tree2"
expect_exit 0 airlock --home "$IMP" audit verify

#!/bin/bash
# The happy path on a USB-style folder: export, sign, trust, import, serve.
# The served bytes equal the source tree; HTTP HEAD, ETag, Range and 404
# behave; both audit logs verify; a second import of the same bundle is a
# no-op.
. "$(dirname "$0")/test-lib.sh"

say "export side"
al_export_home
FPR_A=$(al_key A)
echo "officer A: $FPR_A"
expect_exit 0 airlock --home "$EXP" key list
assert_contains "$OUT" "$FPR_A"
make_tree "$T/tree"
printf 'a name with a space\n' >"$T/tree/docs/release notes.txt"
expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/tree"
expect_exit 0 airlock --home "$EXP" source list
assert_contains "$OUT" tools
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/b1" --sign "$FPR_A"
[ -f "$T/b1/manifest" ] || fail "no manifest in the exported folder"
[ -f "$T/b1/signatures/$FPR_A.asc" ] || fail "no signatures/$FPR_A.asc in the exported folder"
ls "$T/b1/packs/"* >/dev/null || fail "no packs in the exported folder"
expect_exit 0 airlock --home "$EXP" key export "$FPR_A"
cp "$OUT" "$T/a.asc"
assert_contains "$T/a.asc" "BEGIN PGP PUBLIC KEY BLOCK"
assert_not_contains "$T/a.asc" "PRIVATE KEY"

say "inspect"
expect_exit 0 airlock --home "$EXP" inspect "$T/b1"
assert_contains "$OUT" "channel   $CHANNEL"
assert_contains "$OUT" "tools/bin/tool.sh"
assert_contains "$OUT" "0755"
expect_exit 0 airlock inspect --json "$T/b1"
assert_eq "$(json_get "$OUT" 'd["sequence"]')" 1 "inspect sequence"
assert_eq "$(json_get "$OUT" 'len(d["files"])')" "$(find "$T/tree" -type f | wc -l)" "inspect file count"

say "import side"
al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel "$CHANNEL" --threshold 1 "$T/a.asc"
expect_exit 0 airlock --home "$IMP" trust list
assert_contains "$OUT" "$FPR_A"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/b1"
[ -z "$(sqlite3 "$IMP/catalog.db" 'SELECT * FROM served')" ] || fail "--dry-run promoted something"
expect_exit 0 airlock --home "$IMP" import "$T/b1"
[ -n "$(sqlite3 "$IMP/catalog.db" "SELECT * FROM served WHERE source = 'tools'")" ] || fail "nothing served after import"

say "serve: every file byte for byte"
start_server "$IMP"
check_served_tree tools "$T/tree"

say "HTTP details"
blob=$T/tree/data/blob.bin
size=$(stat -c %s "$blob")
sum=$(sha256sum <"$blob" | cut -d' ' -f1)
curl -sS -I --max-time 10 "$SERVER_URL/tools/data/blob.bin" | tr -d '\r' >"$T/head"
cat "$T/head"
assert_grep "$T/head" '^HTTP/[0-9.]+ 200'
assert_grep "$T/head" "^content-length: $size\$"
assert_grep "$T/head" "^etag: \"$sum\"\$"
[ "$(http_code "$SERVER_URL/tools/data/blob.bin" -H "If-None-Match: \"$sum\"")" = 304 ] ||
	fail "If-None-Match with the ETag did not give 304"
code=$(curl -s --max-time 10 -r 0-9 -o "$T/range" -w '%{http_code}' "$SERVER_URL/tools/data/blob.bin")
assert_eq "$code" 206 "Range: bytes=0-9 status"
head -c 10 "$blob" | cmp -s - "$T/range" || fail "Range: bytes=0-9 did not give the first 10 bytes"
assert_eq "$(stat -c %s "$T/range")" 10 "Range body size"
assert_eq "$(http_code "$SERVER_URL/tools/no/such/file")" 404 "unknown path"
assert_eq "$(http_code "$SERVER_URL/nosource/README.txt")" 404 "unknown source"
code=$(http_code "$SERVER_URL/tools/../../catalog.db" --path-as-is)
case $code in 400 | 404) ;; *) fail "a '..' path gave $code, expected 400 or 404" ;; esac
fetch tools data/empty "$T/empty"
[ ! -s "$T/empty" ] || fail "the empty file is not served empty"
[ "$(http_code "$SERVER_URL/tools/README.txt" -X POST)" = 405 ] || fail "POST was not refused with 405"

say "audit logs"
expect_exit 0 airlock --home "$EXP" audit verify
expect_exit 0 airlock --home "$IMP" audit verify
expect_exit 0 airlock --home "$IMP" audit log
assert_contains "$OUT" import.accepted

say "the same bundle again is a no-op"
served_state "$IMP" >"$T/state1"
expect_exit 0 airlock --home "$IMP" import "$T/b1"
cat "$OUT" "$ERR" >"$T/again"
assert_grep "$T/again" "already imported"
served_state "$IMP" >"$T/state2"
diff -u "$T/state1" "$T/state2" || fail "a repeated import changed the served state"

stop_server
assert_eq "$SERVER_RC" 0 "airlock serve exit code after SIGTERM"

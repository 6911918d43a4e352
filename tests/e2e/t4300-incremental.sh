#!/bin/bash
# Incremental bundles: base(N-1) + increment(N) give exactly the served state
# of a full bundle of the same content; the increment carries only what the
# base lacks; an increment whose base is missing says which to import first.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

VFPR=$(new_key vendor "$T/vgpg")
gpg --homedir "$T/vgpg" --export "$VFPR" >"$T/vendor.gpg"
"$MKREPO" "$T/www/repo" "$T/vgpg" "$VFPR" --suite airtest >/dev/null || fail "mkrepo failed"
start_httpd "$T/www"

al_export_home
FPR_A=$(al_key A)
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
make_tree "$T/tree"
head -c 400000 /dev/urandom >"$T/tree/data/big.bin"
expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/tree"
expect_exit 0 airlock --home "$EXP" source add deb --apt "$HTTPD_URL/repo" --suite airtest \
	--keyring "$T/vendor.gpg" --package air-tools --with-depends
expect_exit 0 airlock --home "$EXP" fetch deb
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b1" --sign "$FPR_A"

say "a new release upstream and a changed tree"
printf 'changed in 2\n' >>"$T/tree/README.txt"
printf 'new in 2\n' >"$T/tree/docs/new-in-2.txt"
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b2" --sign "$FPR_A" --base 1
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b3" --sign "$FPR_A"
grep -q '^base 1$' "$T/b2/manifest" || fail "the increment's manifest does not name base 1"
grep -q '^base none$' "$T/b3/manifest" || fail "the full bundle names a base"
zero=$(grep -c '^object [0-9a-f]* [0-9]* 0$' "$T/b2/manifest" || true)
[ "$zero" -gt 0 ] || fail "the increment ships every object"
inc=$(du -sb "$T/b2/packs" | cut -f1)
full=$(du -sb "$T/b3/packs" | cut -f1)
echo "increment packs: $inc bytes, full packs: $full bytes, $zero objects left to the base"
[ "$inc" -lt $((full / 4)) ] || fail "the increment ($inc bytes) is not much smaller than the full bundle ($full)"

say "site A: the increment first is refused, naming the base"
al_import_home "$T/siteA"
expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
expect_exit 0 airlock --home "$IMP" trust vendor add test "$T/vendor.gpg"
expect_exit 1 airlock --home "$IMP" import "$T/b2"
assert_grep "$ERR" "import sequence 1 first"
expect_exit 0 airlock --home "$IMP" import "$T/b1"
expect_exit 0 airlock --home "$IMP" import "$T/b2"
SITE_A=$IMP

say "site B: the full bundle of the same content"
al_import_home "$T/siteB"
expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
expect_exit 0 airlock --home "$IMP" trust vendor add test "$T/vendor.gpg"
expect_exit 0 airlock --home "$IMP" import "$T/b3"

tree_of() { # HOME: the served tree, source|path|object|mode
	sqlite3 "$1/catalog.db" "SELECT f.source, f.path, f.object, f.mode FROM served s JOIN file f
		ON f.snapshot = s.snapshot AND f.source = s.source ORDER BY f.source, f.path"
}
tree_of "$SITE_A" >"$T/a.tree"
tree_of "$T/siteB" >"$T/b.tree"
[ -s "$T/a.tree" ] || fail "site A serves nothing"
diff -u "$T/a.tree" "$T/b.tree" >&2 || fail "base + increment and the full bundle serve different trees"
while IFS='|' read -r _ _ obj _; do
	[ -f "$SITE_A/store/${obj:0:2}/$obj" ] || fail "site A lacks object $obj that it serves"
done <"$T/a.tree"
echo "identical served trees: $(wc -l <"$T/a.tree") files"

#!/bin/bash
# The same content and settings give a byte-identical manifest and packs:
# two export homes, the tree copied to another folder with other mtimes,
# the same SOURCE_DATE_EPOCH.
. "$(dirname "$0")/test-lib.sh"

export SOURCE_DATE_EPOCH=1700000000
make_tree "$T/tree"
mkdir "$T/elsewhere"
cp -r "$T/tree" "$T/elsewhere/tree" # new mtimes, another path
touch -d '2001-01-01' "$T/elsewhere/tree/README.txt"
chmod 0755 "$T/elsewhere/tree/bin/tool.sh"

export_one() { # HOME TREE OUTDIR
	local home=$1 tree=$2 out=$3 fpr
	al_export_home "$home"
	expect_exit 0 airlock --home "$home" source add tools --dir "$tree"
	rc=0
	airlock --home "$home" export --channel "$CHANNEL" --to "dir:$out" >"$OUT" 2>"$ERR" || rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "unsigned export exited $rc: $(cat "$ERR"); signing instead"
		rm -rf "$out"
		fpr=$(al_key "X" "$home")
		expect_exit 0 airlock --home "$home" export --channel "$CHANNEL" --to "dir:$out" --sign "$fpr"
	fi
}

export_one "$T/e1" "$T/tree" "$T/out1"
export_one "$T/e2" "$T/elsewhere/tree" "$T/out2"

say "compare"
cmp "$T/out1/manifest" "$T/out2/manifest" || {
	diff -u "$T/out1/manifest" "$T/out2/manifest" | head -50 >&2
	fail "manifests differ"
}
(cd "$T/out1/packs" && ls) >"$T/p1"
(cd "$T/out2/packs" && ls) >"$T/p2"
diff -u "$T/p1" "$T/p2" || fail "different part files"
[ -s "$T/p1" ] || fail "no part files"
while read -r p; do
	cmp "$T/out1/packs/$p" "$T/out2/packs/$p" || fail "part $p differs"
done <"$T/p1"
echo "manifest and $(wc -l <"$T/p1") parts identical"

want=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)
grep -qx "created $want" "$T/out1/manifest" || fail "manifest 'created' is not SOURCE_DATE_EPOCH ($want)"

say "another SOURCE_DATE_EPOCH gives another manifest"
SOURCE_DATE_EPOCH=1700000001 export_one "$T/e3" "$T/tree" "$T/out3"
cmp -s "$T/out1/manifest" "$T/out3/manifest" && fail "SOURCE_DATE_EPOCH does not reach the manifest"
grep -qx "created $(date -u -d @1700000001 +%Y-%m-%dT%H:%M:%SZ)" "$T/out3/manifest" ||
	fail "manifest 'created' does not follow SOURCE_DATE_EPOCH"
true

#!/bin/bash
# Export to an ISO9660 image, cross-check it with stock tools (isoinfo,
# xorriso, gpgv, sha256sum, zstd, tar), verify it with airlock, import it
# and check the served bytes.
. "$(dirname "$0")/test-lib.sh"

al_export_home
FPR_A=$(al_key A)
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc"
make_tree "$T/tree"
expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/tree"
IMG=$T/b1.iso
expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "iso:$IMG" --sign "$FPR_A"
[ -s "$IMG" ] || fail "no image written"
assert_eq "$(( $(stat -c %s "$IMG") % 2048 ))" 0 "image size modulo the 2048-byte sector"

say "stock tools read the image"
isoinfo -d -i "$IMG" >"$T/pvd"
cat "$T/pvd"
assert_grep "$T/pvd" "Rock Ridge"
isoinfo -R -f -i "$IMG" >"$T/isoinfo.list"
cat "$T/isoinfo.list"
grep -qx /manifest "$T/isoinfo.list" || fail "isoinfo lists no /manifest"
grep -qx "/signatures/$FPR_A.asc" "$T/isoinfo.list" || fail "isoinfo lists no /signatures/$FPR_A.asc"
grep -qE '^/packs/p[0-9]{4}\.[0-9]{3}$' "$T/isoinfo.list" || fail "isoinfo lists no /packs/pNNNN.MMM"
xorriso -indev "$IMG" -find / -type f >"$T/xorriso.list" 2>"$T/xorriso.err" || {
	cat "$T/xorriso.err" >&2
	fail "xorriso cannot read the image"
}
tr -d "'" <"$T/xorriso.list" | sort >"$T/x1"
grep -v -e '^/packs$' -e '^/signatures$' "$T/isoinfo.list" | sort >"$T/x2"
diff -u "$T/x2" "$T/x1" || fail "isoinfo and xorriso list different files"

say "the manifest on the image is the one airlock reports"
isoinfo -R -x /manifest -i "$IMG" >"$T/manifest.iso"
expect_exit 0 airlock inspect --json "$IMG"
assert_eq "$(sha256sum <"$T/manifest.iso" | cut -d' ' -f1)" "$(json_get "$OUT" 'd["manifest"]')" "manifest sha256"
expect_exit 0 airlock inspect "$IMG"
assert_contains "$OUT" "manifest  sha256 $(sha256sum <"$T/manifest.iso" | cut -d' ' -f1)"

say "airlock verify"
expect_exit 0 airlock verify "$IMG" --keyring "$T/a.asc"
assert_contains "$OUT" "$FPR_A"
expect_exit 0 airlock verify "$IMG" --keyring "$T/a.asc" --json
assert_eq "$(json_get "$OUT" 'd["status"]')" ok "verify --json status"
assert_eq "$(json_get "$OUT" 'd["signers"][0]')" "$FPR_A" "verify --json signer"
expect_exit 3 airlock verify "$IMG" --keyring "$T/a.asc" --threshold 2
assert_grep "$ERR" "^airlock: rejected:.*threshold"

say "an auditor's check with stock tools only"
mkdir "$T/x"
xorriso -osirrox on -indev "$IMG" -extract / "$T/x" >/dev/null 2>"$T/xorriso.err" || {
	cat "$T/xorriso.err" >&2
	fail "xorriso cannot extract the image"
}
chmod -R u+w "$T/x"
cmp -s "$T/x/manifest" "$T/manifest.iso" || fail "xorriso and isoinfo extract different manifests"
gpg --batch --quiet --dearmor <"$T/a.asc" >"$T/a.gpg"
gpgv --homedir "$T/gpg" --keyring "$T/a.gpg" "$T/x/signatures/$FPR_A.asc" "$T/x/manifest" ||
	fail "gpgv does not accept the signature over the manifest"
nparts=0
while read -r _ pack index volume size sum name; do
	f=$T/x/packs/$name
	[ -f "$f" ] || fail "part $name listed in the manifest is not on the image"
	assert_eq "$(stat -c %s "$f")" "$size" "size of part $name"
	assert_eq "$(sha256sum <"$f" | cut -d' ' -f1)" "$sum" "sha256 of part $name"
	nparts=$((nparts + 1))
done < <(grep '^part ' "$T/x/manifest")
[ "$nparts" -gt 0 ] || fail "the manifest lists no parts"
[ "$(ls "$T/x/packs" | wc -l)" -eq "$nparts" ] || fail "the image holds parts the manifest does not list"

: >"$T/objects.tar"
while read -r _ id comp size sum; do
	parts=$(grep "^part $id " "$T/x/manifest" | awk '{print $7}' | sed "s|^|$T/x/packs/|")
	# shellcheck disable=SC2086
	assert_eq "$(cat $parts | sha256sum | cut -d' ' -f1)" "$sum" "sha256 of pack $id"
	rm -rf "$T/obj" && mkdir "$T/obj"
	case $comp in
	zstd) cat $parts | zstd -dc | tar -t >"$T/pack.list" && cat $parts | zstd -dc | tar -x -C "$T/obj" ;;
	none) cat $parts | tar -t >"$T/pack.list" && cat $parts | tar -x -C "$T/obj" ;;
	*) fail "pack $id: compression '$comp' unknown to this test" ;;
	esac
	echo "pack $id ($comp): $(wc -l <"$T/pack.list") objects"
	while read -r obj; do
		[[ $obj =~ ^[0-9a-f]{64}$ ]] || fail "pack $id holds '$obj', not an object hash"
		grep -q "^object $obj [0-9]* $id\$" "$T/x/manifest" || fail "pack $id holds $obj, which the manifest does not place there"
		assert_eq "$(sha256sum <"$T/obj/$obj" | cut -d' ' -f1)" "$obj" "content of object $obj"
	done <"$T/pack.list"
done < <(grep '^pack ' "$T/x/manifest")
# every file of the tree is an object of the manifest under its path
while IFS= read -r -d '' f; do
	f=${f#./}
	sum=$(sha256sum <"$T/tree/$f" | cut -d' ' -f1)
	grep -qF "file tools " "$T/x/manifest" || fail "the manifest has no file lines for source tools"
	grep -q "^file tools [0-7]* $sum $f\$" "$T/x/manifest" || fail "the manifest does not list tools/$f with sha256 $sum"
done < <(cd "$T/tree" && find . -type f -print0)

say "import the image and serve it"
al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel "$CHANNEL" --threshold 1 "$T/a.asc"
expect_exit 0 airlock --home "$IMP" import "$IMG"
start_server "$IMP"
check_served_tree tools "$T/tree"
expect_exit 0 airlock --home "$IMP" audit verify

#!/bin/bash
# The vendor chain is re-verified on import even inside a bundle the
# officers signed correctly: each way of tampering with the carried apt tree
# on the export side is refused with exit 3 naming the file and the check,
# and the served state stays as it was.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

VFPR=$(new_key vendor "$T/vgpg")
gpg --homedir "$T/vgpg" --export "$VFPR" >"$T/vendor.gpg"
"$MKREPO" "$T/www/repo" "$T/vgpg" "$VFPR" --suite airtest >/dev/null || fail "mkrepo failed"
R=$T/www/repo
start_httpd "$T/www"

al_export_home
FPR_A=$(al_key A)
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
expect_exit 0 airlock --home "$EXP" source add deb --apt "$HTTPD_URL/repo" --suite airtest \
	--keyring "$T/vendor.gpg" --package air-tools --with-depends
expect_exit 0 airlock --home "$EXP" fetch deb
TREE=$EXP/staging/apt/deb/tree
cp -a "$TREE" "$T/good-tree"

al_import_home
expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
expect_exit 0 airlock --home "$IMP" trust vendor add vendor "$T/vendor.gpg"
expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b1" --sign "$FPR_A"
expect_exit 0 airlock --home "$IMP" import "$T/b1"
served_state "$IMP" >"$T/state.before"
n=1

# tampered CASE ERE: export the (tampered) tree signed by the officer, import it: exit 3, ERE, nothing changed
tampered() {
	local c=$1 ere=$2
	n=$((n + 1))
	say "tampered apt tree inside a correctly signed bundle: $c"
	expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b$n" --sign "$FPR_A"
	expect_exit 3 airlock --home "$IMP" import "$T/b$n"
	grep -q '^airlock: rejected: .*: vendor: ' "$ERR" || { cat "$ERR" >&2; fail "$c: not refused by the vendor check"; }
	grep -qE -- "$ere" "$ERR" || { cat "$ERR" >&2; fail "$c: the message does not say /$ere/"; }
	echo "refused: $(cat "$ERR")"
	served_state "$IMP" >"$T/state.after"
	diff -u "$T/state.before" "$T/state.after" >&2 || fail "$c: a refused import changed the served state"
	rm -rf "$TREE" && cp -a "$T/good-tree" "$TREE"
}

sed -i 's/^Label: .*/Label: Forged/' "$TREE/dists/airtest/InRelease"
tampered inrelease "dists/airtest/InRelease': vendor signature: .*bad signature"

mkdir -p "$TREE/pool/main/e" && printf 'not a package\n' >"$TREE/pool/main/e/evil_1.0_amd64.deb"
tampered unindexed "pool/main/e/evil_1.0_amd64.deb': not a package of the signed index"

deb=pool/main/h/hello-air/hello-air_1.0-2_amd64.deb
rm "$TREE/$deb" && cp "$R/pool/main/h/hello-air/hello-air_1.0-1_amd64.deb" "$TREE/$deb"
tampered swapped-deb "hello-air_1.0-2_amd64.deb': size or sha256 differs from the signed index"

bh=$(ls "$TREE/dists/airtest/main/binary-amd64/by-hash/SHA256/")
mv "$TREE/dists/airtest/main/binary-amd64/by-hash/SHA256/$bh" \
	"$TREE/dists/airtest/main/binary-amd64/by-hash/SHA256/$(printf '%064d' 0)"
tampered by-hash "content does not match its by-hash name"

printf 'extra\n' >"$TREE/dists/airtest/main/extra-index"
tampered unlisted-dists "dists/airtest/main/extra-index': not listed in the signed Release"

#!/bin/bash
# Shared by the mirror scenarios (after test-lib.sh and apt-lib.sh): an
# upstream test repository carried whole into an import home $IMP, with a
# site publishing key.  Sets R (the upstream repository), VFPR, SITE_FPR,
# $T/site.gpg (the site key, binary, from the published keys/site.asc after
# publish_and_key).
mirror_setup() {
	VFPR=$(new_key vendor "$T/vgpg")
	gpg --homedir "$T/vgpg" --export "$VFPR" >"$T/vendor.gpg"
	"$MKREPO" "$T/www/repo" "$T/vgpg" "$VFPR" --suite airtest >/dev/null || fail "mkrepo failed"
	R=$T/www/repo
	start_httpd "$T/www"
	al_export_home
	FPR_A=$(al_key A)
	airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
	expect_exit 0 airlock --home "$EXP" source add deb --apt "$HTTPD_URL/repo" --suite airtest --component main \
		--arch amd64 --keyring "$T/vendor.gpg" --all
	expect_exit 0 airlock --home "$EXP" fetch
	expect_exit 0 airlock --home "$EXP" export --channel plant-a --to "dir:$T/b1" --sign "$FPR_A"
	stop_httpd
	al_import_home
	expect_exit 0 airlock --home "$IMP" trust add --channel plant-a "$T/a.asc"
	expect_exit 0 airlock --home "$IMP" trust vendor add testvendor "$T/vendor.gpg"
	expect_exit 0 airlock --home "$IMP" import "$T/b1"
	expect_exit 0 airlock --home "$IMP" key generate --name "Plant A mirror"
	SITE_FPR=$(airlock --home "$IMP" key list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["fpr"])')
	[ -n "$SITE_FPR" ] || fail "no site key fingerprint"
}

# site_key_from SERVER_URL: the published site key, dearmored for signed-by
site_key_from() {
	curl -sf "$1/keys/site.asc" >"$T/site.asc" || fail "no /keys/site.asc"
	gpg --batch --yes --dearmor -o "$T/site.gpg" "$T/site.asc" 2>/dev/null || fail "cannot dearmor site.asc"
}

# client NAME GROUP COMMAND...: an isolated apt client of GROUP's view of source deb
client() {
	local name=$1 group=$2
	shift 2
	"$APTC" "$T/client-$name" "deb [signed-by=$T/site.gpg] $SERVER_URL/groups/$group/deb airtest main" "$T/site.gpg" "$@"
}

# candidate NAME GROUP PKG: the version apt would install for that client ("(none)" if none)
candidate() {
	local v
	v=$(client "$1" "$2" apt-cache policy "$3" 2>/dev/null | awk '/Candidate:/ { print $2 }')
	echo "${v:-(none)}"
}

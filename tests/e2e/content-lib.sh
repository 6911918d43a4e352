# shellcheck shell=bash
# For the content-check tests (t25xx): bundle 3, a full bundle of the tree
# with one more file, exported and signed like bundle 2.
#   bundle_with PATH CONTENT-FILE   exports it to $B3
bundle_with() {
	local path=$1 content=$2
	rm -rf "$T/tree3" "$T/b3"
	cp -a "$T/tree2" "$T/tree3"
	mkdir -p "$(dirname "$T/tree3/$path")"
	cp "$content" "$T/tree3/$path"
	airlock --home "$EXP" source remove tools >/dev/null
	expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/tree3"
	expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/b3" --sign "$FPR_A"
	B3=$T/b3
}

# site_conf LINE...: append settings to the import home's airlock.conf
site_conf() {
	printf '%s\n' "$@" >>"$IMP/airlock.conf"
}

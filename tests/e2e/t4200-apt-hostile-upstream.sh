#!/bin/bash
# Hostile upstreams: each fetch is refused with a one-line message naming
# the file and the check, and nothing reaches the source's verified tree,
# so nothing can be bundled.  One source per case, so each starts clean.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT
export AIRLOCK_FETCH_BACKOFF_MS=50

VFPR=$(new_key vendor "$T/vgpg")
gpg --homedir "$T/vgpg" --export "$VFPR" >"$T/vendor.gpg"
IFPR=$(new_key intruder "$T/igpg")
echo '{}' >"$T/control.json"
mkdir -p "$T/www"
start_httpd "$T/www" --control "$T/control.json"
al_export_home

repo() { # CASE [mkrepo options]: a repository at /CASE, signed by the vendor
	local c=$1
	shift
	rm -rf "$T/www/$c"
	"$MKREPO" "$T/www/$c" "$T/vgpg" "$VFPR" --suite airtest "$@" >/dev/null || fail "mkrepo $c failed"
}
source_for() { # CASE
	expect_exit 0 airlock --home "$EXP" source add "$1" --apt "$HTTPD_URL/$1" --suite airtest \
		--keyring "$T/vendor.gpg" --package air-tools --with-depends
}
# refused CASE EXIT ERE [keep]: fetch fails with EXIT, one message matching ERE, no tree;
# the source is removed afterwards unless keep is given
refused() {
	local c=$1 code=$2 ere=$3 keep=${4:-}
	say "hostile upstream: $c"
	expect_exit "$code" airlock --home "$EXP" fetch --timeout 2 "$c"
	n=$(grep -c '^airlock: ' "$ERR" || true)
	[ "$n" -eq 1 ] || { cat "$ERR" >&2; fail "$c: expected one 'airlock:' line, got $n"; }
	grep -qE -- "$ere" "$ERR" || { cat "$ERR" >&2; fail "$c: the message does not say /$ere/"; }
	grep -q "source '$c'\|/$c/" "$ERR" || { cat "$ERR" >&2; fail "$c: the message does not name the source or file"; }
	echo "refused: $(cat "$ERR")"
	[ ! -e "$EXP/staging/apt/$c/tree" ] || fail "$c: a tree was written for a refused fetch"
	# only partial downloads may stay (partial/), to be resumed by the next fetch
	ls "$EXP/staging/apt/$c" 2>/dev/null | grep -v '^partial$' | grep -q . &&
		fail "$c: left files behind: $(ls "$EXP/staging/apt/$c")"
	# a finished file in partial/ was verified: its name is its own sha256
	while IFS= read -r f; do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] ||
			fail "$c: partial/$(basename "$f") is not what its name says"
	done < <(find "$EXP/staging/apt/$c/partial" -type f ! -name '*.part' 2>/dev/null)
	expect_exit 1 airlock --home "$EXP" export --channel "x-$c" --to "dir:$T/never-$c"
	assert_grep "$ERR" "has not been fetched"
	[ -n "$keep" ] || expect_exit 0 airlock --home "$EXP" source remove "$c"
}

# a good control case first: the harness accepts what it should
repo good
source_for good
expect_exit 0 airlock --home "$EXP" fetch good
[ -f "$EXP/staging/apt/good/tree/dists/airtest/InRelease" ] || fail "the good fetch wrote no tree"

repo badsig
sed -i 's/^Label: .*/Label: Forged/' "$T/www/badsig/dists/airtest/InRelease"
source_for badsig
refused badsig 3 'bad signature'

rm -rf "$T/www/otherkey"
"$MKREPO" "$T/www/otherkey" "$T/igpg" "$IFPR" --suite airtest >/dev/null || fail "mkrepo otherkey failed"
source_for otherkey
refused otherkey 3 'unknown key|threshold not met'

repo append --append-junk
source_for append
refused append 3 'text after the signature'

repo prepend --prepend-junk
source_for prepend
refused prepend 3 'text before the signed block'

repo expired --date '40 days ago' --valid-until 1
source_for expired
refused expired 3 'expired'

repo future --date '+3 days'
source_for future
refused future 3 'in the future'

repo md5 --md5-only
source_for md5
refused md5 3 'SHA256'

repo tindex --tamper-index
source_for tindex
refused tindex 3 'sha256 mismatch|size mismatch'

repo tdeb --tamper-deb hello-air
source_for tdeb
refused tdeb 3 'sha256 mismatch'

repo oversize
deb=/oversize/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb
printf '{"%s": {"oversize": 100000}}\n' "$deb" >"$T/control.json"
source_for oversize
refused oversize 3 'size mismatch|larger'

repo stall
deb=/stall/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb
printf '{"%s": {"stall": 100}}\n' "$deb" >"$T/control.json"
source_for stall
refused stall 1 'timed out' keep
part=$(find "$EXP/staging/apt/stall/partial" -name '*.part' -size +0 | head -n 1)
[ -n "$part" ] || fail "the stalled download left no partial file to resume"
say "the stall is over: the next fetch resumes the partial download"
echo '{}' >"$T/control.json"
expect_exit 0 airlock --home "$EXP" fetch --timeout 2 stall
grep -q "GET $deb .*206 range=bytes=[1-9][0-9]*-" "$T/httpd.log" ||
	{ grep -F "$deb" "$T/httpd.log" >&2; fail "the second fetch did not resume with a Range request"; }
[ -f "$EXP/staging/apt/stall/tree/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb" ] ||
	fail "the resumed package is not in the tree"
cmp "$EXP/staging/apt/stall/tree/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb" \
	"$T/www/stall/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb" || fail "the resumed package differs"
! find "$EXP/staging/apt/stall/partial" -type f | grep -q . || fail "partial/ keeps files after a good fetch"
echo "resumed: $(grep -F "$deb" "$T/httpd.log" | tail -n 1)"

say "rollback: an InRelease older than the last accepted one"
repo rollback --date '1 day ago'
source_for rollback
expect_exit 0 airlock --home "$EXP" fetch rollback
cp -a "$EXP/staging/apt/rollback/tree" "$T/tree-before"
repo rollback --date '3 days ago'
expect_exit 3 airlock --home "$EXP" fetch rollback
assert_grep "$ERR" "older than the last accepted"
diff -r "$T/tree-before" "$EXP/staging/apt/rollback/tree" >&2 || fail "a refused fetch changed the verified tree"
echo "refused: $(cat "$ERR"); the previous tree is untouched"

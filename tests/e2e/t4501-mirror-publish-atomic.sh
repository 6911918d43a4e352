#!/bin/bash
# Publishing is atomic for clients: one that read generation N's InRelease
# gets N's indexes by hash even after N+1 is published (deterministic
# interleaving with curl, then real apt-get updates racing publishes); the
# static tree for nginx is the same publication, hard-linked from the store,
# switched in one rename, and a real apt-get updates from it.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/apt-lib.sh"
. "$(dirname "$0")/apt-mirror-lib.sh"
al_rc=0
RACE_PID=
trap 'al_rc=$?; [ -z "$RACE_PID" ] || kill "$RACE_PID" 2>/dev/null; stop_httpd; (exit $al_rc); al_cleanup' EXIT

mirror_setup
expect_exit 0 airlock --home "$IMP" group add test
expect_exit 0 airlock --home "$IMP" approve hello-air=1.0-1 --group test
expect_exit 0 airlock --home "$IMP" publish
start_server "$IMP"
site_key_from "$SERVER_URL"
G=$SERVER_URL/groups/test/deb/dists/airtest

say "a client reads InRelease of publication 1; publication 2 changes the indexes"
curl -sf "$G/InRelease" >"$T/InRelease.1" || fail "no InRelease"
gpgv --keyring "$T/site.gpg" "$T/InRelease.1" 2>/dev/null || fail "InRelease 1 does not verify"
expect_exit 0 airlock --home "$IMP" approve hello-air=1.0-2 air-plus=2.0+dfsg-1~deb12u1 --group test
expect_exit 0 airlock --home "$IMP" publish
curl -sf "$G/InRelease" >"$T/InRelease.2"
cmp -s "$T/InRelease.1" "$T/InRelease.2" && fail "publication 2 served the same InRelease"

say "by path the index has changed under the old Release (the hazard) ..."
old=$(awk '$3 == "main/binary-amd64/Packages" { print $1 }' "$T/InRelease.1")
[ -n "$old" ] || fail "InRelease 1 lists no Packages"
now=$(curl -sf "$G/main/binary-amd64/Packages" | sha256sum | cut -d' ' -f1)
[ "$old" != "$now" ] || fail "the index did not change: the test would show nothing"
say "... but every index the old Release names is still served by hash, with matching content"
n=0
while read -r hash size path; do
	got=$(curl -sf "$G/$(dirname "$path")/by-hash/SHA256/$hash" | sha256sum | cut -d' ' -f1)
	assert_eq "$got" "$hash" "by-hash $path of publication 1 after publication 2"
	n=$((n + 1))
done < <(awk '/^SHA256:/ { on = 1; next } on && /^ / { print $1, $2, $3 } on && !/^ / { on = 0 }' "$T/InRelease.1")
assert_eq "$n" 3 "indexes named by the old Release (Packages, .gz, .xz)"
# two publications later they are gone: only the previous one is kept
expect_exit 0 airlock --home "$IMP" publish
expect_exit 0 airlock --home "$IMP" approve libair1=1:2.0-1 --group test
expect_exit 0 airlock --home "$IMP" publish
assert_eq "$(http_code "$G/main/binary-amd64/by-hash/SHA256/$old")" 404 "publication 1's index after publication 4"

say "real apt-get updates while publications switch under them: never a hash mismatch"
(
	for i in 1 2 3 4 5 6; do
		if [ $((i % 2)) = 1 ]; then
			airlock --home "$IMP" unapprove air-plus=2.0+dfsg-1~deb12u1 --group test >/dev/null 2>&1
		else
			airlock --home "$IMP" approve air-plus=2.0+dfsg-1~deb12u1 --group test >/dev/null 2>&1
		fi
		airlock --home "$IMP" publish >/dev/null 2>&1 || echo "publish $i failed" >>"$T/race.err"
	done
) &
RACE_PID=$!
for i in 1 2 3 4 5 6; do
	rm -rf "$T/client-race/var/lib/apt/lists"
	client race test update >"$T/race-$i.out" 2>&1 || { cat "$T/race-$i.out" >&2; fail "apt-get update $i during publishing failed"; }
	if grep -qi "mismatch" "$T/race-$i.out"; then cat "$T/race-$i.out" >&2; fail "hash mismatch in update $i"; fi
done
wait "$RACE_PID" || true
RACE_PID=
[ ! -s "$T/race.err" ] || fail "$(cat "$T/race.err")"
expect_exit 0 airlock --home "$IMP" audit verify

say "publish --static: the same views as a plain tree, switched atomically"
W=$T/www-static
mkdir -p "$W"
expect_exit 0 airlock --home "$IMP" publish --static "$W"
assert_contains "$OUT" "hard links"
[ -L "$W/current" ] || fail "$W/current is not a symlink"
gen1=$(readlink "$W/current")
curl -sf "$SERVER_URL/groups/test/deb/dists/airtest/InRelease" | cmp - "$W/current/groups/test/deb/dists/airtest/InRelease" ||
	fail "static InRelease differs from the served one"
curl -sf "$SERVER_URL/deb/dists/airtest/InRelease" | cmp - "$W/current/deb/dists/airtest/InRelease" ||
	fail "static upstream view differs"
cmp "$W/current/keys/site.asc" "$T/site.asc" || fail "static site key differs"
deb=$W/current/groups/test/deb/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb
cmp "$deb" "$R/pool/main/h/hello-air/hello-air_1.0-2_amd64.deb" || fail "static pool file differs from upstream"
obj=$(sha256sum "$deb" | cut -d' ' -f1)
assert_eq "$(stat -c %i "$deb")" "$(stat -c %i "$IMP/store/${obj:0:2}/$obj")" "static pool file is a hard link into the store"
say "a real apt-get against the static tree (any web server; here the test's)"
start_httpd "$W/current"
"$APTC" "$T/client-static" "deb [signed-by=$T/site.gpg] $HTTPD_URL/groups/test/deb airtest main" "$T/site.gpg" update >"$T/s.out" 2>&1 ||
	{ cat "$T/s.out" >&2; fail "apt-get update from the static tree failed"; }
v=$("$APTC" "$T/client-static" "deb [signed-by=$T/site.gpg] $HTTPD_URL/groups/test/deb airtest main" "$T/site.gpg" apt-cache policy hello-air | awk '/Candidate:/ { print $2 }')
assert_eq "$v" 1.0-2 "static tree's candidate"
stop_httpd
say "the next static publication switches current; the one before stays, older ones go"
expect_exit 0 airlock --home "$IMP" publish --static "$W"
gen2=$(readlink "$W/current")
[ "$gen1" != "$gen2" ] || fail "current did not switch"
[ -d "$W/$gen1" ] || fail "the previous tree was removed"
expect_exit 0 airlock --home "$IMP" publish --static "$W"
[ ! -d "$W/$gen1" ] || fail "a tree two publications old was kept"
say "two publications in one second: the second is still newer for apt's If-Modified-Since"
# SOURCE_DATE_EPOCH pins both to the same second (publish takes its time from it); last in
# this script, since it leaves the publication dated ahead of the clock
sde=$(($(date +%s) + 100))
SOURCE_DATE_EPOCH=$sde expect_exit 0 airlock --home "$IMP" publish
curl -sf -D "$T/h1" -o "$T/InRelease.a" "$G/InRelease" || fail "no InRelease"
lm1=$(tr -d '\r' <"$T/h1" | sed -n 's/^Last-Modified: //Ip')
[ -n "$lm1" ] || fail "no Last-Modified on InRelease"
expect_exit 0 airlock --home "$IMP" unapprove libair1=1:2.0-1 --group test
SOURCE_DATE_EPOCH=$sde expect_exit 0 airlock --home "$IMP" publish
code=$(curl -s -o "$T/InRelease.b" -w '%{http_code}' -H "If-Modified-Since: $lm1" "$G/InRelease")
assert_eq "$code" 200 "InRelease of a publication made in the same second, asked with the previous Last-Modified"
cmp -s "$T/InRelease.a" "$T/InRelease.b" && fail "the second publication served the first one's InRelease"
echo ok

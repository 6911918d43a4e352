#!/bin/bash
# `make demo`: the whole journey across the air gap on built-in demo content,
# every step shown and checked.  Exits 0 only when every step behaved as
# expected.  Needs AIRLOCK (the binary); everything happens in a temporary
# folder that is removed at the end.
. "$(dirname "$0")/e2e/test-lib.sh"
. "$(dirname "$0")/e2e/apt-lib.sh"
al_rc=0
trap 'al_rc=$?; stop_httpd; (exit $al_rc); al_cleanup' EXIT

NSTEP=0
BOLD= PLAIN=
if [ -t 1 ]; then
	BOLD=$'\033[1m' PLAIN=$'\033[0m'
fi
heading() {
	NSTEP=$((NSTEP + 1))
	printf '\n%s== %d. %s%s\n' "$BOLD" "$NSTEP" "$*" "$PLAIN"
}

# show N CMD...: print the command, run it, show its output, check its exit code.
show() {
	local want=$1 rc=0
	shift
	printf '$ %s\n' "${*//$T/\$DEMO}"
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	sed "s|$T|\$DEMO|g; s/^/    /" "$OUT" "$ERR"
	[ "$rc" -eq "$want" ] || fail "exit code $rc, expected $want"
	echo "    (exit $rc)"
}

echo "Airlock demo: a signed bundle carried across the air gap"
echo "(\$DEMO is a temporary folder: $T)"

heading "demo content: a small 'tools' tree"
mkdir -p "$T/tools/bin" "$T/tools/lib"
printf 'Demo tools 1.0\n\nbin/hello prints a greeting; lib/blob.bin is a binary payload.\n' >"$T/tools/README"
printf '#!/bin/sh\necho "hello from the other side of the air gap"\n' >"$T/tools/bin/hello"
chmod 0755 "$T/tools/bin/hello"
head -c 200000 /dev/urandom >"$T/tools/lib/blob.bin"
(cd "$T" && find tools -type f -exec ls -l {} + | sed 's/^/    /')

heading "demo upstream: a vendor's signed apt repository, served on 127.0.0.1"
VFPR=$(new_key "Demo Vendor" "$T/vendor-gnupg")
gpg --homedir "$T/vendor-gnupg" --export "$VFPR" >"$T/vendor-keyring.gpg"
"$MKREPO" "$T/www/vendor" "$T/vendor-gnupg" "$VFPR" --suite stable-updates --origin DemoVendor >/dev/null ||
	fail "cannot build the demo repository"
start_httpd "$T/www" >/dev/null
echo "    vendor key:  $VFPR"
echo "    repository:  $HTTPD_URL/vendor (InRelease signed by the vendor key; packages built with dpkg-deb)"

heading "export side: site home and two officer keys"
show 0 airlock --home "$T/export" init --export
gnupg_register "$T/export/gnupg"
EXP=$T/export
FPR_A=$(al_key A)
FPR_B=$(al_key B)
echo "    officer A: $FPR_A"
echo "    officer B: $FPR_B"
airlock --home "$EXP" key export "$FPR_A" >"$T/officer-a.asc"
airlock --home "$EXP" key export "$FPR_B" >"$T/officer-b.asc"
cat "$T/officer-a.asc" "$T/officer-b.asc" >"$T/officers.asc"

heading "register the sources: a folder, and the vendor's apt repository"
show 0 airlock --home "$EXP" source add tools --dir "$T/tools"
show 0 airlock --home "$EXP" source add vendor --apt "$HTTPD_URL/vendor" --suite stable-updates \
	--keyring "$T/vendor-keyring.gpg" --package air-tools --package hello-air=1.0-1 --with-depends

heading "fetch: the vendor's InRelease, index and packages, each verified"
show 0 airlock --home "$EXP" fetch vendor

heading "export to an ISO image, signed by officer A"
show 0 airlock --home "$EXP" export --channel demo --to "iso:$T/demo.iso" --sign "$FPR_A"

heading "officer B co-signs the same image (two-person rule)"
show 0 airlock --home "$EXP" sign "$T/demo.iso" --key "$FPR_B"

heading "inspect the image"
show 0 airlock --home "$EXP" inspect "$T/demo.iso"

heading "verify it with the two public keys, threshold 2"
show 0 airlock verify "$T/demo.iso" --keyring "$T/officers.asc" --threshold 2

heading "import side: site home trusting both officers, threshold 2"
show 0 airlock --home "$T/import" init --import
gnupg_register "$T/import/gnupg"
IMP=$T/import
# a real site installs ClamAV's databases (main.cvd, daily.cvd) and its YARA rules here
show 0 airlock --home "$IMP" scan-db update "$AL_FIXTURES/scan"
show 0 airlock --home "$IMP" trust add --channel demo --threshold 2 "$T/officer-a.asc" "$T/officer-b.asc"
show 0 airlock --home "$IMP" trust vendor add demovendor "$T/vendor-keyring.gpg"

heading "import the image"
show 0 airlock --home "$IMP" import "$T/demo.iso"

heading "serve on 127.0.0.1 and fetch a file"
start_server "$IMP"
URL=$SERVER_URL/tools/bin/hello
show 0 curl -sS -f -o "$T/fetched-hello" "$URL"
want=$(sha256sum <"$T/tools/bin/hello" | cut -d' ' -f1)
got=$(sha256sum <"$T/fetched-hello" | cut -d' ' -f1)
echo "    source tree: $want"
echo "    served:      $got"
[ "$want" = "$got" ] || fail "the served file differs from the source"
fetch tools lib/blob.bin "$T/fetched-blob"
cmp -s "$T/fetched-blob" "$T/tools/lib/blob.bin" || fail "the served binary differs from the source"
echo "    lib/blob.bin also matches ($(stat -c %s "$T/fetched-blob") bytes)"
echo "    served at $URL"

heading "a stock apt-get on the isolated network installs from the mirror"
LINE="deb [signed-by=$T/vendor-keyring.gpg] $SERVER_URL/vendor stable-updates main"
echo "    sources.list: ${LINE//$T/\$DEMO}"
show 0 "$APTC" "$T/client" "$LINE" "$T/vendor-keyring.gpg" update
show 0 "$APTC" "$T/client" "$LINE" "$T/vendor-keyring.gpg" download air-tools
mkdir -p "$T/client-root/var/lib/dpkg/info" "$T/client-root/var/lib/dpkg/updates"
touch "$T/client-root/var/lib/dpkg/status"
show 0 dpkg --root="$T/client-root" -i "$T/client/var/cache/apt/archives/"*.deb
show 0 "$T/client-root/usr/bin/air-tools"
for deb in "$T/client/var/cache/apt/archives/"*.deb; do
	# apt names a file with its epoch ("1%3a2.0-1"); pool file names carry none
	up=$(find "$T/www/vendor/pool" -name "$(basename "$deb" | sed 's/_[0-9]*%3a/_/')" | head -n 1)
	cmp -s "$deb" "$up" || fail "$(basename "$deb") differs from the vendor's"
	echo "    $(basename "$deb"): byte-identical to the vendor's, signature chain checked by apt"
done

heading "release 1.1: a new image (sequence 2), signed by A and co-signed by B"
cp -a "$T/tools" "$T/tools-1.0"
printf 'Demo tools 1.1\n\nbin/hello prints a friendlier greeting.\n' >"$T/tools/README"
printf '#!/bin/sh\necho "hello again from the other side of the air gap"\n' >"$T/tools/bin/hello"
show 0 airlock --home "$EXP" export --channel demo --to "iso:$T/demo-2.iso" --sign "$FPR_A"
show 0 airlock --home "$EXP" sign "$T/demo-2.iso" --key "$FPR_B"

heading "tamper: flip one byte inside a pack part of a copy of the new image"
cp "$T/demo-2.iso" "$T/tampered.iso"
part=$(isoinfo -R -f -i "$T/tampered.iso" | grep '^/packs/' | head -n 1)
[ -n "$part" ] || fail "no pack part on the image"
ext=$(iso_extent "$T/tampered.iso" "$part")
read -r off size <<<"$ext"
flip_byte "$T/tampered.iso" $((off + size / 2))
echo "    flipped the byte at offset $((off + size / 2)) (inside $part, $size bytes at $off)"
cmp -l "$T/demo-2.iso" "$T/tampered.iso" | sed 's/^/    cmp: /' || true

heading "verify the tampered image: rejected (exit 3)"
show 3 airlock verify "$T/tampered.iso" --keyring "$T/officers.asc" --threshold 2

heading "import the tampered image: rejected (exit 3), nothing promoted"
show 3 airlock --home "$IMP" import "$T/tampered.iso"
grep -q '^airlock: rejected:' "$ERR" || fail "no 'airlock: rejected:' verdict"

heading "the 1.0 file is still served"
show 0 curl -sS -f -o "$T/fetched-again" "$URL"
got=$(sha256sum <"$T/fetched-again" | cut -d' ' -f1)
echo "    served:      $got"
[ "$want" = "$got" ] || fail "the served file changed after the rejected import"

heading "import the genuine 1.1 image: the new version is served"
show 0 airlock --home "$IMP" import "$T/demo-2.iso"
show 0 curl -sS -f -o "$T/fetched-1.1" "$URL"
want2=$(sha256sum <"$T/tools/bin/hello" | cut -d' ' -f1)
got=$(sha256sum <"$T/fetched-1.1" | cut -d' ' -f1)
echo "    source tree: $want2"
echo "    served:      $got"
[ "$want2" = "$got" ] || fail "the served file is not the 1.1 one"

heading "the offline mirror: the site's publishing key and two computer groups"
show 0 airlock --home "$IMP" key generate --name "Plant A mirror"
show 0 airlock --home "$IMP" group add test
show 0 airlock --home "$IMP" group add pilot --after test
show 0 airlock --home "$IMP" pending

heading "approve: hello-air 1.0-1 for both groups, the 1.0-2 update for test only"
show 0 airlock --home "$IMP" approve hello-air=1.0-1 --group test --ref RFC-1
show 0 airlock --home "$IMP" approve hello-air=1.0-1 --group pilot --ref RFC-1
show 0 airlock --home "$IMP" approve hello-air=1.0-2 --group test --priority emergency --ref RFC-2291
heading "pilot comes after test: approving there first is refused"
show 1 airlock --home "$IMP" approve air-tools=1.0-1 --group pilot
show 0 airlock --home "$IMP" status

heading "publish: a site-signed apt repository per group, switched atomically"
show 0 airlock --home "$IMP" publish
show 0 curl -sS -f -o "$T/site.asc" "$SERVER_URL/keys/site.asc"
gpg --batch --yes --dearmor -o "$T/site.gpg" "$T/site.asc" 2>/dev/null || fail "cannot dearmor the site key"
show 0 curl -sS -f "$SERVER_URL/groups/pilot/vendor.sources"

heading "two clients in two groups see different approved versions"
declare -A seen
for g in test pilot; do
	GLINE="deb [signed-by=$T/site.gpg] $SERVER_URL/groups/$g/vendor stable-updates main"
	echo "    $g client: ${GLINE//$T/\$DEMO}"
	show 0 "$APTC" "$T/client-$g" "$GLINE" "$T/site.gpg" update
	show 0 "$APTC" "$T/client-$g" "$GLINE" "$T/site.gpg" apt-cache policy hello-air
	seen[$g]=$(awk '/Candidate:/ { print $2 }' "$OUT")
	echo "    $g client would install hello-air ${seen[$g]}"
done
[ "${seen[test]}" = 1.0-2 ] || fail "the test client sees hello-air '${seen[test]}', not 1.0-2"
[ "${seen[pilot]}" = 1.0-1 ] || fail "the pilot client sees hello-air '${seen[pilot]}', not 1.0-1"

heading "audit logs"
show 0 airlock --home "$EXP" audit verify
show 0 airlock --home "$IMP" audit verify
show 0 airlock --home "$IMP" audit log

heading "summary"
ok_line() { printf '    %-62s ok\n' "$*"; }
ok_line "exported to an ISO, signed by officer A, co-signed by officer B"
ok_line "verified with the officers' public keys (2 of 2)"
ok_line "imported (threshold 2) and served on $SERVER_URL"
ok_line "served bytes equal the source (sha256 ${want:0:16}...)"
ok_line "tampered 1.1 image rejected with exit 3; 1.0 still served"
ok_line "genuine 1.1 image accepted; the new version served"
ok_line "apt-get verified the vendor's InRelease via the mirror and installed air-tools"
ok_line "groups test and pilot: site-signed repositories, hello-air ${seen[test]} vs ${seen[pilot]}"
ok_line "audit logs intact on both sides"
stop_server
[ "$SERVER_RC" = 0 ] || fail "the server exited with $SERVER_RC"
echo
echo "demo finished: every step behaved as expected"

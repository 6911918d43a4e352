#!/bin/bash
# mkrepo.sh OUT_DIR GNUPG_HOME KEY_FPR [options]
#
# Build a real, signed test apt repository in OUT_DIR (created; must be empty
# or absent) from tiny binary packages made with dpkg-deb, indexed with
# apt-ftparchive and signed with the key KEY_FPR from GNUPG_HOME.  Stock apt
# installs from it.  Layout:
#
#   pool/main/<initial>/<source>/<name>_<version without epoch>_amd64.deb
#   dists/<suite>/Release, InRelease (clearsigned), Release.gpg (detached)
#   dists/<suite>/main/binary-amd64/Packages, Packages.gz, Packages.xz
#   dists/<suite>/main/binary-amd64/by-hash/SHA256/<hex>   (copy of each index)
#
# Packages (all Architecture: amd64):
#   hello-air     1.0-1 and 1.0-2               (two versions of one package)
#   libair1       1:2.0-1  (source libair)      (epoch; pool/main/liba/libair/)
#   air-tools     1.0-1    Depends: libair1 (>= 1:2.0) | libair-compat, hello-air
#   air-plus      2.0+dfsg-1~deb12u1            ('+' and '~' in the version)
#   air-mta       1.0-1    Provides: mail-transport-agent
#
# Options:
#   --suite S            suite name (default: airtest)
#   --codename C         codename (default: the suite)
#   --origin O           Origin (default: Airlock-Test); --label L (default: the origin)
#   --date WHEN          Release Date: anything `date -d` takes ("@1700000000",
#                        "2 days ago", "+1 day"); default: now, whole seconds
#   --valid-until DAYS   Valid-Until = Date + DAYS (may be negative); 0 leaves the
#                        field out (default: 30)
#   --md5-only           Release carries only MD5Sum (no SHA256, no Acquire-By-Hash,
#                        no by-hash/); otherwise, like Debian, MD5Sum and SHA256
#   --no-inrelease       publish only Release + Release.gpg (older repositories)
#   --second-key FPR     also sign with FPR (same GNUPG_HOME): two signatures in
#                        InRelease and in Release.gpg, as Debian's archive does
#   --append-junk        unsigned text after the InRelease signature
#   --prepend-junk       unsigned text before the InRelease's BEGIN line
#   --tamper-index       after signing, replace Packages.xz (and its by-hash copy)
#                        with a different, valid index: one that points
#                        hello-air 1.0-2 at other bytes (of the signed size
#                        when such a variant is found: only the hash differs)
#   --tamper-deb PKG     after indexing, change one byte of every .deb of PKG
#                        (the size stays the same; only the hash differs)
#
# Prints nothing on success but the summary line "mkrepo: OUT_DIR suite S, N
# packages".  Everything but the Release Date and the signatures is
# byte-for-byte reproducible (SOURCE_DATE_EPOCH=1700000000 inside the .debs);
# mtimes are fixed: pool/ at 1700000000, dists/ at the Release Date.
set -euo pipefail
export LC_ALL=C TZ=UTC
umask 022

die() { echo "mkrepo: $*" >&2; exit 2; }

[ $# -ge 3 ] || die "usage: mkrepo.sh OUT_DIR GNUPG_HOME KEY_FPR [options]"
OUT=$1 GHOME=$2 FPR=$3
shift 3
SUITE=airtest CODENAME='' ORIGIN=Airlock-Test LABEL='' WHEN='' VALID_DAYS=30 NO_INRELEASE= SECOND_KEY=
MD5_ONLY='' APPEND_JUNK='' PREPEND_JUNK='' TAMPER_INDEX='' TAMPER_DEB=''
while [ $# -gt 0 ]; do
	case $1 in
	--suite) SUITE=${2:?} && shift ;;
	--codename) CODENAME=${2:?} && shift ;;
	--origin) ORIGIN=${2:?} && shift ;;
	--label) LABEL=${2:?} && shift ;;
	--date) WHEN=${2:?} && shift ;;
	--valid-until) VALID_DAYS=${2:?} && shift ;;
	--md5-only) MD5_ONLY=1 ;;
	--no-inrelease) NO_INRELEASE=1 ;;
	--second-key) SECOND_KEY=${2:?} && shift ;;
	--append-junk) APPEND_JUNK=1 ;;
	--prepend-junk) PREPEND_JUNK=1 ;;
	--tamper-index) TAMPER_INDEX=1 ;;
	--tamper-deb) TAMPER_DEB=${2:?} && shift ;;
	*) die "unknown option '$1'" ;;
	esac
	shift
done
: "${CODENAME:=$SUITE}" "${LABEL:=$ORIGIN}"
[[ $VALID_DAYS =~ ^-?[0-9]+$ ]] || die "--valid-until takes a whole number of days"
for t in dpkg-deb apt-ftparchive gpg xz gzip sha256sum; do
	command -v "$t" >/dev/null || die "'$t' is missing (Debian packages: dpkg, apt-utils, gnupg, xz-utils, gzip, coreutils)"
done
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT")" ]; then
	die "'$OUT' exists and is not empty"
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
GHOME=$(cd "$GHOME" && pwd)

# Fixed time for everything inside the packages and indexes.
export SOURCE_DATE_EPOCH=1700000000
if [ -n "$WHEN" ]; then
	DATE_EPOCH=$(date -u -d "$WHEN" +%s) || die "bad --date '$WHEN'"
else
	DATE_EPOCH=$(date -u +%s)
fi
rfc() { date -u -d "@$1" '+%a, %d %b %Y %H:%M:%S UTC'; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mkrepo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

pool_dir() { # SOURCE -> pool/main/<initial>/<source>
	local s=$1 i=${1:0:1}
	case $s in lib?*) i=${s:0:4} ;; esac
	echo "pool/main/$i/$s"
}

# mkdeb NAME VERSION SOURCE [EXTRA CONTROL LINES...]
mkdeb() {
	local name=$1 ver=$2 src=$3 d f dir
	shift 3
	d=$WORK/build/${name}_$ver
	mkdir -p "$d/DEBIAN" "$d/usr/share/doc/$name" "$d/usr/bin"
	{
		echo "Package: $name"
		[ "$src" = "$name" ] || echo "Source: $src"
		echo "Version: $ver"
		echo "Architecture: amd64"
		echo "Maintainer: Airlock Tests <tests@airlock.invalid>"
		echo "Installed-Size: 8"
		for f in "$@"; do echo "$f"; done
		echo "Section: misc"
		echo "Priority: optional"
		echo "Description: airlock test package $name"
		echo " A tiny package made by tests/tools/mkrepo.sh, version $ver."
	} >"$d/DEBIAN/control"
	printf '%s %s\nbuilt for the airlock apt tests\n' "$name" "$ver" >"$d/usr/share/doc/$name/README"
	printf '#!/bin/sh\necho "%s %s"\n' "$name" "$ver" >"$d/usr/bin/$name"
	chmod 0755 "$d/usr/bin/$name"
	find "$d" -type d -exec chmod 0755 {} +
	find "$d" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
	dir=$OUT/$(pool_dir "$src")
	mkdir -p "$dir"
	f=$dir/${name}_${ver#*:}_amd64.deb
	dpkg-deb --root-owner-group -Zxz --build "$d" "$f" >/dev/null
	touch -d "@$SOURCE_DATE_EPOCH" "$f"
	NDEBS=$((NDEBS + 1))
}

NDEBS=0
mkdeb hello-air 1.0-1 hello-air
mkdeb hello-air 1.0-2 hello-air
mkdeb libair1 1:2.0-1 libair
mkdeb air-tools 1.0-1 air-tools "Depends: libair1 (>= 1:2.0) | libair-compat, hello-air"
mkdeb air-plus 2.0+dfsg-1~deb12u1 air-plus
mkdeb air-mta 1.0-1 air-mta "Provides: mail-transport-agent" "Conflicts: mail-transport-agent" \
	"Replaces: mail-transport-agent"

# Packages: apt-ftparchive, stanzas in a fixed order (by Filename); like Debian,
# MD5sum and SHA256 only.
BIN=dists/$SUITE/main/binary-amd64
mkdir -p "$OUT/$BIN"
sort_stanzas() {
	python3 -c 'import sys
st = [s for s in sys.stdin.read().split("\n\n") if s.strip()]
key = lambda s: [l for l in s.splitlines() if l.startswith("Filename: ")][0]
sys.stdout.write("".join(s.strip("\n") + "\n\n" for s in sorted(st, key=key)))'
}
(cd "$OUT" && apt-ftparchive -o APT::FTPArchive::SHA1=false -o APT::FTPArchive::SHA512=false packages pool) | sort_stanzas >"$OUT/$BIN/Packages"
[ "$(grep -c '^Package:' "$OUT/$BIN/Packages")" -eq "$NDEBS" ] || die "Packages has the wrong number of stanzas"

compress() { # DIR: Packages -> Packages.gz, Packages.xz (reproducible)
	gzip -9 -n -c "$1/Packages" >"$1/Packages.gz"
	xz -9 -c "$1/Packages" >"$1/Packages.xz"
}
compress "$OUT/$BIN"

by_hash() { # DIR: by-hash/SHA256/<hex> copy of every index in DIR
	local f h
	mkdir -p "$1/by-hash/SHA256"
	for f in Packages Packages.gz Packages.xz; do
		h=$(sha256sum "$1/$f" | cut -d' ' -f1)
		cp "$1/$f" "$1/by-hash/SHA256/$h"
	done
}
[ -n "$MD5_ONLY" ] || by_hash "$OUT/$BIN"

# Release
rel_opts=(
	-o "APT::FTPArchive::Release::Origin=$ORIGIN"
	-o "APT::FTPArchive::Release::Label=$LABEL"
	-o "APT::FTPArchive::Release::Suite=$SUITE"
	-o "APT::FTPArchive::Release::Codename=$CODENAME"
	-o "APT::FTPArchive::Release::Date=$(rfc "$DATE_EPOCH")"
	-o "APT::FTPArchive::Release::Architectures=amd64"
	-o "APT::FTPArchive::Release::Components=main"
	-o "APT::FTPArchive::Release::Description=Airlock test repository ($SUITE)"
)
# like Debian: MD5Sum and SHA256 only (so apt asks for by-hash/SHA256/<hex>)
rel_opts+=(-o APT::FTPArchive::Release::SHA1=false -o APT::FTPArchive::Release::SHA512=false)
if [ -n "$MD5_ONLY" ]; then
	rel_opts+=(-o APT::FTPArchive::Release::SHA256=false)
else
	rel_opts+=(-o APT::FTPArchive::Release::Acquire-By-Hash=yes)
fi
# only the indexes themselves, not the by-hash copies
(cd "$OUT/dists/$SUITE" && apt-ftparchive "${rel_opts[@]}" \
	-o APT::FTPArchive::Release::Default-Patterns=false \
	-o 'APT::FTPArchive::Release::Patterns::=Packages' \
	-o 'APT::FTPArchive::Release::Patterns::=Packages.gz' \
	-o 'APT::FTPArchive::Release::Patterns::=Packages.xz' \
	release .) >"$WORK/Release"
# apt-ftparchive takes Valid-Until only as ValidTime from the real clock; put
# the field right after Date, counted from the Release Date.
if [ "$VALID_DAYS" != 0 ]; then
	vu=$(rfc $((DATE_EPOCH + VALID_DAYS * 86400)))
	awk -v vu="$vu" '{ print } /^Date: / { print "Valid-Until: " vu }' "$WORK/Release" >"$OUT/dists/$SUITE/Release"
	grep -q '^Valid-Until: ' "$OUT/dists/$SUITE/Release" || die "no Valid-Until in Release"
else
	mv "$WORK/Release" "$OUT/dists/$SUITE/Release"
fi
grep -q 'main/binary-amd64/Packages.xz$' "$OUT/dists/$SUITE/Release" || die "Release lists no Packages.xz"
if [ -n "$MD5_ONLY" ]; then
	! grep -qE '^(SHA1|SHA256|SHA512):' "$OUT/dists/$SUITE/Release" || die "--md5-only left a strong hash in Release"
fi

# Sign
REL=$OUT/dists/$SUITE
g() { gpg --homedir "$GHOME" --batch --yes --quiet --pinentry-mode loopback --passphrase '' \
	--local-user "$FPR" ${SECOND_KEY:+--local-user "$SECOND_KEY"} --digest-algo SHA256 "$@"; }
g --clearsign -o "$REL/InRelease" "$REL/Release" || die "clearsign with $FPR failed"
g --detach-sign --armor -o "$REL/Release.gpg" "$REL/Release" || die "detached sign with $FPR failed"
[ -z "${NO_INRELEASE:-}" ] || rm -f "$REL/InRelease"

# Hostile variants
if [ -n "$APPEND_JUNK" ]; then
	printf 'Origin: Evil\nSHA256:\n 0000000000000000000000000000000000000000000000000000000000000000 1 main/binary-amd64/Packages.xz\n' >>"$REL/InRelease"
fi
if [ -n "$PREPEND_JUNK" ]; then
	{
		printf 'Origin: Evil\nSuite: %s\n\n' "$SUITE"
		cat "$REL/InRelease"
	} >"$WORK/InRelease" && mv "$WORK/InRelease" "$REL/InRelease"
fi
if [ -n "$TAMPER_INDEX" ]; then
	old=$(sha256sum "$OUT/$BIN/Packages.xz" | cut -d' ' -f1)
	want=$(stat -c %s "$OUT/$BIN/Packages.xz")
	# A valid index whose hello-air 1.0-2 stanza names other bytes; of the
	# same compressed size when one can be found (so only the hash tells).
	for c in $(seq 1 64); do
		python3 - "$OUT/$BIN/Packages" "$c" >"$WORK/Packages" <<'EOF'
import hashlib, sys
other = hashlib.sha256(b"tampered " + sys.argv[2].encode()).hexdigest()
out = []
for s in open(sys.argv[1]).read().split("\n\n"):
    if "Package: hello-air\n" in s and "Version: 1.0-2\n" in s:
        s = "\n".join("SHA256: " + other if l.startswith("SHA256: ") else l for l in s.split("\n"))
    out.append(s)
sys.stdout.write("\n\n".join(out))
EOF
		cmp -s "$WORK/Packages" "$OUT/$BIN/Packages" && die "--tamper-index changed nothing"
		xz -9 -c "$WORK/Packages" >"$WORK/Packages.xz"
		[ "$(stat -c %s "$WORK/Packages.xz")" != "$want" ] || break
	done
	cp "$WORK/Packages.xz" "$OUT/$BIN/Packages.xz"
	[ -n "$MD5_ONLY" ] || cp "$OUT/$BIN/Packages.xz" "$OUT/$BIN/by-hash/SHA256/$old"
fi
if [ -n "$TAMPER_DEB" ]; then
	n=0
	for f in "$OUT"/pool/main/*/*/"${TAMPER_DEB}"_*_amd64.deb; do
		[ -f "$f" ] || continue
		sz=$(stat -c %s "$f")
		off=$((sz - 20))
		b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
		# shellcheck disable=SC2059 # an octal escape built on purpose
		printf "\\$(printf '%03o' $((b ^ 0xff)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
		touch -d "@$SOURCE_DATE_EPOCH" "$f"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || die "--tamper-deb: no .deb of '$TAMPER_DEB'"
fi

# fixed mtimes: the pool at SOURCE_DATE_EPOCH, dists/ at the Release Date (so an
# If-Modified-Since from a client that saw an older Release still gets the new one)
find "$OUT/pool" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
find "$OUT/dists" -exec touch -h -d "@$DATE_EPOCH" {} +
echo "mkrepo: $OUT suite $SUITE, $NDEBS packages"

# shellcheck shell=bash
# Shared set-up for the end-to-end scenarios (tests/e2e/tNNNN-*.sh).
# Source it first thing; it turns on `set -euo pipefail`, gives the test a
# private temporary folder $T (short, so that gpg-agent sockets fit) and
# removes it on exit together with every gpg-agent and server the test
# started.  Helpers:
#
#   airlock ARGS...            the binary under test ($AIRLOCK)
#   al_export_home [DIR]       new export site home; sets EXP
#   al_import_home [DIR]       new import site home; sets IMP
#   al_key NAME [HOME]         new signing key in HOME (default $EXP); prints its fingerprint
#   expect_exit N CMD...       run CMD, keep its output in $OUT/$ERR, fail unless it exits N
#   assert_contains FILE TEXT  (assert_not_contains, assert_grep FILE ERE)
#   fail MSG                   stop the test with a message
#   make_tree DIR              demo content: text, nested folders, 300 KB binary, script, empty file
#   served_state HOME          canonical dump of the served catalog state and store/
#   start_server HOME          `airlock serve` on 127.0.0.1 (free port); sets SERVER_URL, SERVER_PID
#   stop_server                stop it; sets SERVER_RC
#   fetch SOURCE PATH OUT      GET $SERVER_URL/SOURCE/PATH into OUT (curl -f)
#   check_served_tree SOURCE DIR   every file of DIR is served byte for byte
#   flip_byte FILE OFFSET      invert one byte in place
#   iso_extent IMG PATH        "OFFSET SIZE" of a file's data inside an ISO image
#   setup_accepted_base [--iso] [--threshold K]
#                              sequence 1 imported and served, bundle 2 ($B2) built and
#                              known good (import --dry-run passes); baseline captured
#   capture_baseline TREE      remember the served state and which tree is served
#   assert_rejected MEDIA FILE_ERE CHECK_ERE
#                              (extra import options from the array AL_IMPORT_ARGS)
#                              import exits 3 with one "airlock: rejected:" line naming the
#                              file and the check; nothing changed; old files still served

set -euo pipefail
export LC_ALL=C TZ=UTC
unset AIRLOCK_HOME SOURCE_DATE_EPOCH

if [ -z "${AIRLOCK:-}" ]; then
	AIRLOCK=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/default/airlock
fi
case "$AIRLOCK" in /*) ;; *) AIRLOCK=$PWD/$AIRLOCK ;; esac
export AIRLOCK
AL_FIXTURES=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)

AL_MAIN_PID=$BASHPID
T=$(mktemp -d /tmp/al.XXXXXX)
mkdir -p "$T/tmp" "$T/gpg"
chmod 700 "$T/gpg"
# nothing in a test may touch the user's ~/.gnupg or leave files in /tmp
export TMPDIR=$T/tmp GNUPGHOME=$T/gpg
AL_GNUPG_HOMES=("$T/gpg")
SERVER_PID= SERVER_URL= SERVER_RC=
OUT=$T/cmd.out
ERR=$T/cmd.err
CHANNEL=stable
AL_IMPORT_ARGS=()

al_cleanup() {
	local rc=$? d
	[ "$BASHPID" = "$AL_MAIN_PID" ] || return 0
	set +e
	stop_server >/dev/null 2>&1
	# every GnuPG home: the registered ones and any that commands made on their own
	for d in "${AL_GNUPG_HOMES[@]}" $(find "$T" -name private-keys-v1.d -prune -printf '%h\n' 2>/dev/null); do
		[ -d "$d" ] && gpgconf --homedir "$d" --kill all >/dev/null 2>&1
	done
	if [ "$rc" -ne 0 ] && [ -n "${KEEP_TEST_DIR:-}" ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
	if [ "$rc" -eq 0 ]; then
		echo "PASS ${0##*/}"
	else
		echo "FAIL ${0##*/} (exit $rc)"
	fi
	exit "$rc"
}
trap al_cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '\n# %s\n' "$*"; }

fail() {
	local i
	{
		echo "FAIL: $*"
		for ((i = 1; i < ${#FUNCNAME[@]}; i++)); do
			echo "  at ${BASH_SOURCE[$i]##*/}:${BASH_LINENO[$((i - 1))]} ${FUNCNAME[$i]}"
		done
	} >&2
	exit 1
}

airlock() { "$AIRLOCK" "$@"; }

# expect_exit N CMD...: run CMD with stdout in $OUT and stderr in $ERR.
expect_exit() {
	local want=$1 rc=0
	shift
	echo "\$ $* (expect exit $want)"
	"$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
	if [ "$rc" -ne "$want" ]; then
		{
			echo "--- stdout:"
			head -c 4000 "$OUT"
			echo "--- stderr:"
			head -c 4000 "$ERR"
		} >&2
		fail "'$*' exited $rc, expected $want"
	fi
	return 0
}

assert_contains() {
	grep -qF -- "$2" "$1" || {
		echo "--- $1:" >&2
		head -c 4000 "$1" >&2
		fail "'$1' does not contain '$2'"
	}
}

assert_not_contains() {
	if grep -qF -- "$2" "$1"; then
		echo "--- $1:" >&2
		head -c 4000 "$1" >&2
		fail "'$1' contains '$2'"
	fi
}

assert_grep() { # FILE ERE (case-insensitive)
	grep -qiE -- "$2" "$1" || {
		echo "--- $1:" >&2
		head -c 4000 "$1" >&2
		fail "'$1' has no line matching /$2/"
	}
}

assert_eq() { # GOT WANT WHAT
	[ "$1" = "$2" ] || fail "${3:-value}: got '$1', expected '$2'"
}

# json_get FILE EXPR: a Python expression over the parsed document 'd'.
json_get() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
v = eval(sys.argv[2])
print(v if not isinstance(v, (dict, list)) else json.dumps(v))' "$1" "$2" ||
		fail "cannot read '$2' from the JSON in '$1'"
}

gnupg_register() { AL_GNUPG_HOMES+=("$1"); }

al_export_home() {
	EXP=${1:-$T/exp}
	expect_exit 0 airlock --home "$EXP" init --export
	gnupg_register "$EXP/gnupg"
}

# A new import home with the test scanner database (tests/fixtures/scan: one
# ClamAV signature and one YARA rule, each matching only a test marker).
al_import_home() {
	IMP=${1:-$T/imp}
	expect_exit 0 airlock --home "$IMP" init --import
	gnupg_register "$IMP/gnupg"
	expect_exit 0 airlock --home "$IMP" scan-db update "$AL_FIXTURES/scan"
}

# al_key NAME [HOME]: prints the new key's fingerprint (40 hex digits, uppercase).
al_key() {
	local name=$1 home=${2:-$EXP} fpr
	"$AIRLOCK" --home "$home" key generate --name "Officer $name" >"$T/key.out" 2>"$T/key.err" </dev/null || {
		cat "$T/key.out" "$T/key.err" >&2
		fail "key generate for '$name' failed"
	}
	fpr=$(grep -oE '\b[0-9A-Fa-f]{40}\b' "$T/key.out" | head -n 1 | tr a-f A-F || true)
	if [ -z "$fpr" ]; then
		cat "$T/key.out" "$T/key.err" >&2
		fail "key generate for '$name' printed no fingerprint"
	fi
	echo "$fpr"
}

# make_tree DIR: a small software tree with every kind of file a bundle carries.
make_tree() {
	local d=$1
	mkdir -p "$d/docs" "$d/bin" "$d/data" "$d/lib/nested/deeper"
	printf 'Demo tools\n==========\n\nA few tools carried across the air gap.\n' >"$d/README.txt"
	printf '# Guide\n\nRun bin/tool.sh to see the version.\n' >"$d/docs/guide.md"
	printf '1.0 first release\n' >"$d/docs/CHANGES"
	printf '[tool]\nlevel = 3\nname = deeper\n' >"$d/lib/nested/deeper/config.ini"
	printf '#!/bin/sh\necho "tool 1.0"\n' >"$d/bin/tool.sh"
	chmod 0755 "$d/bin/tool.sh"
	head -c 307200 /dev/urandom >"$d/data/blob.bin"
	: >"$d/data/empty"
}

# served_state HOME: what an import may change, in a form diff can compare.
served_state() {
	local h=$1
	[ -f "$h/catalog.db" ] || fail "no catalog in '$h'"
	sqlite3 "$h/catalog.db" <<'EOF'
.mode list
.print == served
SELECT * FROM served ORDER BY source;
.print == snapshot
SELECT * FROM snapshot ORDER BY id;
.print == file
SELECT * FROM file ORDER BY snapshot, source, path;
.print == object
SELECT * FROM object ORDER BY sha256;
EOF
	echo "== store"
	(
		cd "$h/store"
		find . -mindepth 1 -printf '%y %m %s %p\n' | sort
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum
	)
}

start_server() {
	local h=$1 base port i n log
	stop_server
	base=$((20000 + RANDOM % 30000))
	for ((i = 0; i < 20; i++)); do
		port=$((base + i))
		# something else answers there already
		if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$port/" 2>/dev/null; then
			continue
		fi
		log=$T/serve-$port.log
		"$AIRLOCK" --home "$h" serve --listen "127.0.0.1:$port" >"$log" 2>&1 </dev/null &
		SERVER_PID=$!
		SERVER_URL=http://127.0.0.1:$port
		SERVER_LOG=$log
		for ((n = 0; n < 100; n++)); do
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				break
			fi
			if curl -s -o /dev/null --max-time 1 "$SERVER_URL/" 2>/dev/null; then
				kill -0 "$SERVER_PID" 2>/dev/null || break
				echo "server $SERVER_PID on $SERVER_URL"
				return 0
			fi
			sleep 0.05
		done
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			cat "$log" >&2
			fail "airlock serve on port $port did not answer within 5 s"
		fi
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
		# a port taken between the probe and the bind: try the next one
		grep -qiE 'in use|bind' "$log" || {
			cat "$log" >&2
			fail "airlock serve exited at start"
		}
	done
	fail "no free port found for airlock serve"
}

stop_server() {
	local n
	[ -n "${SERVER_PID:-}" ] || return 0
	SERVER_RC=0
	if kill -TERM "$SERVER_PID" 2>/dev/null; then
		for ((n = 0; n < 100; n++)); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$SERVER_PID" 2>/dev/null; then
			echo "server $SERVER_PID ignored SIGTERM for 5 s; killing it" >&2
			kill -KILL "$SERVER_PID" 2>/dev/null || true
		fi
	fi
	wait "$SERVER_PID" 2>/dev/null || SERVER_RC=$?
	SERVER_PID=
	return 0
}

# Percent-encode a path (keeps '/').
urlencode() {
	local s=$1 out= c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[a-zA-Z0-9./_~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c" && out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

fetch() { # SOURCE PATH OUT
	[ -n "${SERVER_URL:-}" ] || fail "no server running"
	curl -sS -f --max-time 20 -o "$3" "$SERVER_URL/$1/$(urlencode "$2")" ||
		fail "GET $SERVER_URL/$1/$2 failed"
}

# http_code URL [CURL-ARGS...]: the status code only.
http_code() {
	local url=$1
	shift
	curl -s --max-time 20 -o /dev/null -w '%{http_code}' "$@" "$url" || true
}

check_served_tree() { # SOURCE DIR
	local src=$1 dir=$2 f n=0
	while IFS= read -r -d '' f; do
		f=${f#./}
		fetch "$src" "$f" "$T/fetched"
		cmp -s "$T/fetched" "$dir/$f" || fail "served $src/$f differs from $dir/$f"
		n=$((n + 1))
	done < <(cd "$dir" && find . -type f -print0 | sort -z)
	[ "$n" -gt 0 ] || fail "no files under '$dir'"
	echo "served: all $n files of $dir match"
}

flip_byte() { # FILE OFFSET
	local f=$1 off=$2 b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	[ -n "$b" ] || fail "'$f' has no byte at offset $off"
	printf "\\$(printf '%03o' $((b ^ 0xff)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

# iso_extent IMG PATH: byte offset and size of the file's data in the image.
iso_extent() {
	local line lba size
	line=$(xorriso -indev "$1" -find "$2" -exec report_lba -- 2>/dev/null | grep "^File data lba:" | head -n 1 || true)
	[ -n "$line" ] || fail "xorriso finds no '$2' in '$1'"
	lba=$(echo "$line" | awk -F, '{print $2}' | tr -d ' ')
	size=$(echo "$line" | awk -F, '{print $4}' | tr -d ' ')
	echo "$((lba * 2048)) $size"
}

# The bundle's largest part file under DIR/packs.
largest_part() {
	local p
	p=$(ls -S "$1/packs" 2>/dev/null | head -n 1 || true)
	[ -n "$p" ] || fail "no pack parts in '$1/packs'"
	echo "$1/packs/$p"
}

capture_baseline() { # TREE served as source 'tools'
	BASE_TREE=$1
	served_state "$IMP" >"$T/state.before"
	grep -q '^tools|' "$T/state.before" || fail "nothing served before the hostile import"
}

setup_accepted_base() {
	local kind=dir th=1 keys signs
	while [ $# -gt 0 ]; do
		case $1 in
		--iso) kind=iso ;;
		--threshold) th=$2 && shift ;;
		*) fail "setup_accepted_base: unknown option $1" ;;
		esac
		shift
	done
	say "base: export and import sequence 1"
	al_export_home
	al_import_home
	FPR_A=$(al_key A)
	airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc" || fail "key export failed"
	keys=("$T/a.asc")
	signs=(--sign "$FPR_A")
	if [ "$th" -ge 2 ]; then
		FPR_B=$(al_key B)
		airlock --home "$EXP" key export "$FPR_B" >"$T/b.asc" || fail "key export failed"
		keys+=("$T/b.asc")
		signs+=(--sign "$FPR_B")
	fi
	make_tree "$T/tree"
	cp -a "$T/tree" "$T/tree1"
	expect_exit 0 airlock --home "$EXP" source add tools --dir "$T/tree"
	expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "dir:$T/b1" "${signs[@]}"
	B1=$T/b1
	expect_exit 0 airlock --home "$IMP" trust add --channel "$CHANNEL" --threshold "$th" "${keys[@]}"
	expect_exit 0 airlock --home "$IMP" import "$B1"
	start_server "$IMP"
	check_served_tree tools "$T/tree1"

	say "base: bundle 2 (a changed tree), checked good with --dry-run"
	printf 'second release\n' >>"$T/tree/README.txt"
	printf '1.1 second release\n' >>"$T/tree/docs/CHANGES"
	printf 'new in 1.1\n' >"$T/tree/docs/new.txt"
	cp -a "$T/tree" "$T/tree2"
	if [ "$kind" = iso ]; then
		B2=$T/b2.iso
	else
		B2=$T/b2
	fi
	expect_exit 0 airlock --home "$EXP" export --channel "$CHANNEL" --to "$kind:$B2" "${signs[@]}"
	expect_exit 0 airlock --home "$IMP" import --dry-run "$B2"
	capture_baseline "$T/tree1"
}

# assert_rejected MEDIA FILE_ERE CHECK_ERE
assert_rejected() {
	local media=$1 file_re=$2 check_re=$3 line n
	say "hostile import of $media"
	expect_exit 3 airlock --home "$IMP" import ${AL_IMPORT_ARGS[@]+"${AL_IMPORT_ARGS[@]}"} "$media"
	cp "$ERR" "$T/rejected.err"
	n=$(grep -c '^airlock: rejected:' "$T/rejected.err" || true)
	if [ "$n" -ne 1 ]; then
		cat "$T/rejected.err" >&2
		fail "stderr has $n lines starting 'airlock: rejected:', expected exactly one"
	fi
	line=$(grep '^airlock: rejected:' "$T/rejected.err")
	echo "verdict: $line"
	grep -qE -- "$file_re" <<<"$line" || fail "the rejection does not name the file (/$file_re/): $line"
	grep -qiE -- "$check_re" <<<"$line" || fail "the rejection does not name the check (/$check_re/): $line"

	served_state "$IMP" >"$T/state.after"
	diff -u "$T/state.before" "$T/state.after" >&2 || fail "store or catalog changed by a rejected import"
	kill -0 "$SERVER_PID" 2>/dev/null || fail "the server died"
	check_served_tree tools "$BASE_TREE"

	# the rejection is on record, and the record keeps the chain intact
	n=$(sqlite3 "$IMP/catalog.db" "SELECT result FROM import ORDER BY id DESC LIMIT 1")
	assert_eq "$n" rejected "last import's recorded result"
	n=$(sqlite3 "$IMP/catalog.db" "SELECT action FROM audit ORDER BY seq DESC LIMIT 1")
	assert_eq "$n" import.rejected "last audit record"
	expect_exit 0 airlock --home "$IMP" audit verify

	# the machine-readable report says the same
	expect_exit 3 airlock --home "$IMP" import --json ${AL_IMPORT_ARGS[@]+"${AL_IMPORT_ARGS[@]}"} "$media"
	n=$(json_get "$OUT" 'd["result"]')
	assert_eq "$n" rejected "import --json result"
	served_state "$IMP" >"$T/state.after"
	diff -u "$T/state.before" "$T/state.after" >&2 || fail "store or catalog changed by a rejected import (--json)"
}

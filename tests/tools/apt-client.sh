#!/bin/bash
# apt-client.sh ROOT URL_LINE KEYRING [COMMAND [ARGS...]]
#
# A stock apt-get run as an isolated client under ROOT: it never reads or
# writes /etc/apt, /var/lib/apt, /var/cache/apt or /var/lib/dpkg.  Every call
# (re)creates
#
#   ROOT/etc/apt/{sources.list,apt.conf,sources.list.d,preferences.d,apt.conf.d,trusted.gpg.d}
#   ROOT/var/lib/apt/lists/partial  ROOT/var/cache/apt/archives/partial
#   ROOT/var/lib/dpkg/status (empty unless it exists)  ROOT/var/log/apt
#
# and writes ROOT/etc/apt/sources.list with URL_LINE, e.g.
#   deb [signed-by=/path/vendor.gpg] http://127.0.0.1:PORT/src suite main
# A line with no [options] gets [signed-by=KEYRING]; a line whose signed-by
# differs from KEYRING is refused (say what you mean).
#
# COMMAND:
#   (none)            set up only
#   update            apt-get update
#   download PKG...   apt-get install --download-only -y PKG...: the .debs land
#                     in ROOT/var/cache/apt/archives (the names apt gives them:
#                     an epoch's ':' is written %3a)
#   apt-get ARGS...   any apt-get command with the isolated options
#   apt-cache ARGS... any apt-cache command with the isolated options
#
# Exits non-zero, after printing apt's output, when apt exits non-zero or says
# anything suspicious: a line starting "W:", "E:" or "Err:" or "Ign:", or
# "GPG error", "NO_PUBKEY", "EXPKEYSIG", "Hash Sum mismatch", "is not signed",
# "not valid yet", "is expired", "no longer signed", "insecure".
# apt's output is also kept in ROOT/apt.log (the last call's).
set -euo pipefail
export LC_ALL=C

die() { echo "apt-client: $*" >&2; exit 2; }
[ $# -ge 3 ] || die "usage: apt-client.sh ROOT URL_LINE KEYRING [update | download PKG... | apt-get ARGS... | apt-cache ARGS...]"
ROOT=$1 LINE=$2 KEYRING=$3
shift 3
case $KEYRING in /*) ;; *) KEYRING=$PWD/$KEYRING ;; esac
[ -r "$KEYRING" ] || die "cannot read keyring '$KEYRING'"
mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd)

if [[ $LINE =~ ^deb(-src)?[[:space:]]+\[([^]]*)\] ]]; then
	if [[ ${BASH_REMATCH[2]} =~ signed-by=([^[:space:]]+) ]]; then
		[ "${BASH_REMATCH[1]}" = "$KEYRING" ] ||
			die "the line's signed-by (${BASH_REMATCH[1]}) is not KEYRING ($KEYRING)"
	fi
elif [[ $LINE =~ ^deb[[:space:]]+(.*)$ ]]; then
	LINE="deb [signed-by=$KEYRING] ${BASH_REMATCH[1]}"
else
	die "not a one-line apt source: '$LINE'"
fi

mkdir -p "$ROOT"/etc/apt/{sources.list.d,preferences.d,apt.conf.d,trusted.gpg.d} \
	"$ROOT"/var/lib/apt/lists/partial "$ROOT"/var/cache/apt/archives/partial \
	"$ROOT"/var/lib/dpkg/updates "$ROOT"/var/log/apt
printf '%s\n' "$LINE" >"$ROOT/etc/apt/sources.list"
[ -e "$ROOT/var/lib/dpkg/status" ] || : >"$ROOT/var/lib/dpkg/status"

# The same settings twice: in the APT_CONFIG file (read before anything else,
# so the system's /etc/apt/apt.conf.d is never read: Dir::Etc::Parts resolves
# under ROOT) and on the command line.
OPTS=(
	-o "Dir=$ROOT"
	-o "Dir::Etc=$ROOT/etc/apt"
	-o "Dir::Etc::sourcelist=$ROOT/etc/apt/sources.list"
	-o "Dir::Etc::sourceparts=$ROOT/etc/apt/sources.list.d"
	-o "Dir::Etc::parts=$ROOT/etc/apt/apt.conf.d"
	-o "Dir::Etc::preferencesparts=$ROOT/etc/apt/preferences.d"
	-o "Dir::Etc::trusted=$ROOT/etc/apt/trusted.gpg"
	-o "Dir::Etc::trustedparts=$ROOT/etc/apt/trusted.gpg.d"
	-o "Dir::State=$ROOT/var/lib/apt"
	-o "Dir::State::status=$ROOT/var/lib/dpkg/status"
	-o "Dir::Cache=$ROOT/var/cache/apt"
	-o "Dir::Log=$ROOT/var/log/apt"
	-o Debug::NoLocking=1
	-o APT::Architecture=amd64
	-o APT::Architectures::=amd64
	-o Acquire::Check-Valid-Until=true
	-o Acquire::Check-Date=true
	-o Acquire::Languages=none
	-o Acquire::GzipIndexes=false
	-o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false
	-o Acquire::Retries=0
	-o Acquire::http::Timeout=10
	-o Acquire::http::Proxy=DIRECT
	-o Acquire::AllowInsecureRepositories=false
	-o Acquire::AllowDowngradeToInsecureRepositories=false
	-o APT::Get::AllowUnauthenticated=false
	-o APT::Sandbox::User=root
	-o APT::Install-Recommends=false
	-o APT::Install-Suggests=false
	-o Binary::apt-get::APT::Keep-Downloaded-Packages=true
)
{
	for ((i = 1; i < ${#OPTS[@]}; i += 2)); do
		o=${OPTS[$i]}
		k=${o%%=*} v=${o#*=}
		case $k in
		*::) printf '%s { "%s"; };\n' "${k%::}" "$v" ;;
		*) printf '%s "%s";\n' "$k" "$v" ;;
		esac
	done
} >"$ROOT/etc/apt/apt.conf"
export APT_CONFIG=$ROOT/etc/apt/apt.conf
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy no_proxy NO_PROXY
export DEBIAN_FRONTEND=noninteractive

[ $# -gt 0 ] || exit 0
cmd=$1
shift
case $cmd in
update) run=(apt-get "${OPTS[@]}" update) ;;
download)
	[ $# -gt 0 ] || die "download: name at least one package"
	run=(apt-get "${OPTS[@]}" install --download-only -y "$@")
	;;
apt-get | apt-cache) run=("$cmd" "${OPTS[@]}" "$@") ;;
*) die "unknown command '$cmd'" ;;
esac

LOG=$ROOT/apt.log
rc=0
"${run[@]}" </dev/null >"$LOG" 2>&1 || rc=$?
cat "$LOG"
# APT_CLIENT_NO_INRELEASE=1: the repository has only Release + Release.gpg, so apt's
# "Ign: ... InRelease" before it falls back to them is expected, and only that one
ign_ok='^$'
[ -z "${APT_CLIENT_NO_INRELEASE:-}" ] || ign_ok='^Ign:[0-9]+ [^ ]+ [^ ]+ InRelease$'
bad=$(grep -vE "$ign_ok" "$LOG" | grep -nE '^(W|E|Err|Ign):|GPG error|NO_PUBKEY|EXPKEYSIG|KEYEXPIRED|BADSIG|Hash Sum mismatch|is not signed|not valid yet|is expired|no longer signed|insecure|[Uu]nauthenticated|cannot be authenticated|Clearsigned file' || true)
if [ "$rc" -ne 0 ] || [ -n "$bad" ]; then
	{
		echo "apt-client: '$cmd $*' FAILED (apt exit $rc)"
		[ -z "$bad" ] || printf '%s\n' "$bad" | sed 's/^/apt-client:   /'
	} >&2
	[ "$rc" -ne 0 ] && exit "$rc"
	exit 1
fi
exit 0

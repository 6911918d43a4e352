# shellcheck shell=bash
# Shared by the hostile-signature scenarios (t22NN, sourced after
# test-lib.sh): forge signatures with gpg itself in the export site's GnuPG
# home ($EXP/gnupg), and check what was forged before the importer sees it.
#
#   gx ARGS...                 gpg on $EXP/gnupg, batch, no passphrase
#   gpg_key NAME USAGE EXPIRE [EPOCH]
#                              new key made by gpg (at EPOCH via --faked-system-time
#                              when given); prints its primary fingerprint
#   gpg_subkey FPR [EPOCH]     add a signing subkey to FPR; prints its fingerprint
#   gpg_pub FPR OUT            export the public key (armored) to OUT
#   sign_manifest BUNDLE OUT GPG-OPTS...
#                              detached armored signature over BUNDLE/manifest
#   sig_packets SIG            `gpg --list-packets` of a file, into $T/packets
#   scratch_verify SIG DATA KEYFILE...
#                              gpg --verify in a fresh home holding only KEYFILEs;
#                              status lines in $T/verify.status, never fails itself
#   status_field KEYWORD N     field N of the first "[GNUPG:] KEYWORD" status line
#   now_epoch                  seconds since 1970

for t in gpg python3; do
	command -v "$t" >/dev/null || fail "'$t' is missing"
done

now_epoch() { date +%s; }

gx() {
	gpg --homedir "$EXP/gnupg" --batch --quiet --no-tty --pinentry-mode loopback --passphrase '' "$@"
}

# The fingerprints of a key in $EXP/gnupg, primary first.
key_fprs() {
	gx --with-colons --list-keys "$1" 2>/dev/null | awk -F: '/^fpr:/ { print $10 }'
}

gpg_key() { # NAME USAGE EXPIRE [EPOCH]
	local name=$1 usage=$2 expire=$3 at=${4:-} faked=() fpr
	[ -z "$at" ] || faked=(--faked-system-time "$at!")
	gx "${faked[@]}" --quick-gen-key "Officer $name" ed25519 "$usage" "$expire" >"$T/gpgkey.out" 2>&1 || {
		cat "$T/gpgkey.out" >&2
		fail "gpg could not generate key '$name'"
	}
	fpr=$(key_fprs "=Officer $name" | head -n 1)
	[ ${#fpr} -eq 40 ] || fail "no fingerprint for gpg key '$name'"
	echo "$fpr"
}

gpg_subkey() { # FPR [EPOCH]
	local fpr=$1 at=${2:-} faked=() sub
	[ -z "$at" ] || faked=(--faked-system-time "$at!")
	gx "${faked[@]}" --quick-add-key "$fpr" ed25519 sign never >"$T/gpgkey.out" 2>&1 || {
		cat "$T/gpgkey.out" >&2
		fail "gpg could not add a signing subkey to $fpr"
	}
	sub=$(key_fprs "$fpr" | sed -n 2p)
	[ ${#sub} -eq 40 ] || fail "no subkey fingerprint for $fpr"
	echo "$sub"
}

gpg_pub() { # FPR OUT
	gx --armor --export "$1" >"$2" 2>/dev/null || true
	[ -s "$2" ] || fail "cannot export public key $1"
}

sign_manifest() { # BUNDLE OUT GPG-OPTS...
	local b=$1 out=$2
	shift 2
	rm -f "$out"
	gx "$@" --armor --output "$out" --detach-sign "$b/manifest" 2>"$T/sign.err" || {
		cat "$T/sign.err" >&2
		fail "gpg could not sign $b/manifest ($*)"
	}
}

sig_packets() { # SIG
	gpg --homedir "$T/gpg" --batch --list-packets "$1" >"$T/packets" 2>/dev/null || true
	[ -s "$T/packets" ] || fail "gpg lists no packets in '$1'"
}

scratch_verify() { # SIG DATA KEYFILE...
	local sig=$1 data=$2 h
	shift 2
	h=$(mktemp -d "$T/vh.XXXX")
	chmod 700 "$h"
	gnupg_register "$h"
	gpg --homedir "$h" --batch --quiet --import "$@" >/dev/null 2>&1 || fail "cannot import $* into a scratch home"
	gpg --homedir "$h" --batch --status-fd 1 --verify "$sig" "$data" >"$T/verify.status" 2>"$T/verify.err" || true
}

status_field() { # KEYWORD N
	awk -v k="$1" -v n="$2" '$1 == "[GNUPG:]" && $2 == k { print $(n + 2); exit }' "$T/verify.status"
}

assert_status() { # KEYWORD: a status line that must be there
	grep -q "^\[GNUPG:\] $1\b" "$T/verify.status" || {
		cat "$T/verify.status" "$T/verify.err" >&2
		fail "gpg --verify gives no $1 status"
	}
}

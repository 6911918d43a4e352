#!/bin/bash
# Shared by the apt scenarios (sourced after test-lib.sh): the test vendor's
# key, the test HTTP server that plays the upstream repository, the tools.
TOOLS=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
MKREPO=$TOOLS/mkrepo.sh
APTC=$TOOLS/apt-client.sh
for t in dpkg-deb apt-ftparchive apt-get gpg gpgv xz; do
	command -v "$t" >/dev/null || fail "'$t' is missing (Debian packages: dpkg, apt-utils, apt, gnupg, gpgv, xz-utils)"
done

# new_key NAME HOME: a signing key in a fresh GnuPG home; prints its fingerprint
new_key() {
	mkdir -p "$2" && chmod 700 "$2"
	gnupg_register "$2"
	gpg --homedir "$2" --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-gen-key "$1 <$1@vendor.invalid>" ed25519 sign 1y 2>/dev/null || fail "gpg key generation failed"
	gpg --homedir "$2" --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'
}

HTTPD_PID=
# start_httpd DIR [HTTPD OPTIONS...]: serve DIR on 127.0.0.1; sets HTTPD_URL
start_httpd() {
	local n port=
	python3 "$TOOLS/httpd.py" --port 0 "$1" "${@:2}" >"$T/httpd.out" 2>"$T/httpd.log" </dev/null &
	HTTPD_PID=$!
	for ((n = 0; n < 100; n++)); do
		port=$(head -n 1 "$T/httpd.out" 2>/dev/null | grep -oE '[0-9]+$' || true)
		[ -z "$port" ] || break
		kill -0 "$HTTPD_PID" 2>/dev/null || break
		sleep 0.05
	done
	[ -n "$port" ] || { cat "$T/httpd.out" "$T/httpd.log" >&2; fail "the test HTTP server printed no port"; }
	HTTPD_URL=http://127.0.0.1:$port
	for ((n = 0; n < 100; n++)); do
		curl -s -o /dev/null --max-time 1 "$HTTPD_URL/" && break
		kill -0 "$HTTPD_PID" 2>/dev/null || { cat "$T/httpd.log" >&2; fail "the test HTTP server died"; }
		sleep 0.05
	done
	echo "httpd $HTTPD_PID on $HTTPD_URL"
}
stop_httpd() {
	[ -n "$HTTPD_PID" ] || return 0
	kill -TERM "$HTTPD_PID" 2>/dev/null || true
	wait "$HTTPD_PID" 2>/dev/null || true
	HTTPD_PID=
}

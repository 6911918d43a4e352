#!/bin/sh
# Install the Debian packages given as arguments when missing: as root with
# apt-get, otherwise print the exact command and stop.
missing=
for p in "$@"; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
	case "$s" in *"ok installed"*) ;; *) missing="$missing $p" ;; esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "airlock: installing missing Debian packages:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null || { echo "airlock: apt-get update failed" >&2; exit 1; }
	apt-get install -y -q --no-install-recommends $missing >/dev/null ||
		{ echo "airlock: apt-get install failed for:$missing" >&2; exit 1; }
	exit 0
fi
echo "airlock: missing Debian packages; run this, then try again:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1

#!/bin/bash
# The site's own scanner (scan.external): a verdict of "infected", a
# scanner that hangs past scan.external-timeout, and one that fails.  Each
# fails closed.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/content-lib.sh"
setup_accepted_base
cp "$IMP/airlock.conf" "$T/conf.orig"

mk_scanner() { # NAME BODY
	printf '#!/bin/sh\n%s\n' "$2" >"$T/$1"
	chmod +x "$T/$1"
}
mk_scanner slow 'sleep 30'
mk_scanner infected 'case "$1" in *) echo "SiteAV: Trojan.Test found in $2"; exit 1;; esac'
mk_scanner broken 'echo "licence expired" >&2; exit 7'

say "a scanner that hangs"
site_conf "scan.external = $T/slow {}" "scan.external-timeout = 1s"
assert_rejected "$B2" 'tools/' 'scan: .*external scanner timed out after 1 s'
pgrep -f "$T/slow" && fail "the hung scanner was left running"

say "a scanner that says infected"
cp "$T/conf.orig" "$IMP/airlock.conf"
site_conf "scan.external = $T/infected --scan {}"
assert_rejected "$B2" 'tools/' 'scan: .*external scanner: infected: SiteAV: Trojan.Test'

say "a scanner that fails"
cp "$T/conf.orig" "$IMP/airlock.conf"
site_conf "scan.external = $T/broken"
assert_rejected "$B2" 'tools/' 'scan: .*external scanner failed \(exit 7\)'

say "control: a clean verdict passes and is counted in the report"
mk_scanner clean 'exit 0'
cp "$T/conf.orig" "$IMP/airlock.conf"
site_conf "scan.external = $T/clean {}"
expect_exit 0 airlock --home "$IMP" import --dry-run --json "$B2"
[ "$(json_get "$OUT" 'd["scanners"]["external"]["clean"]')" -ge 1 ] || fail "no clean external verdicts reported"

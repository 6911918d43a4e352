#!/bin/bash
# A clean ClamAV and YARA run on a normal bundle: the report names the
# engines, their versions and the databases and rules it used.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
expect_exit 0 airlock --home "$IMP" import --json "$B2"
assert_eq "$(json_get "$OUT" 'd["result"]')" accepted "import result"
json_get "$OUT" '[c["check"] + ":" + c["result"] for c in d["checks"]]' >"$T/checks"
assert_contains "$T/checks" 'filetype:ok'
assert_contains "$T/checks" 'scan:ok'
engine=$(json_get "$OUT" 'd["scanners"]["clamav"]["engine"]')
[[ "$engine" =~ ^[0-9]+\.[0-9]+ ]] || fail "no ClamAV engine version in the report: '$engine'"
assert_eq "$(json_get "$OUT" 'd["scanners"]["clamav"]["signatures"]')" 1 "ClamAV signatures loaded"
json_get "$OUT" 'd["scanners"]["clamav"]["databases"]' >"$T/dbs"
assert_contains "$T/dbs" airlock-test.ndb
yara=$(json_get "$OUT" 'd["scanners"]["yara"]["engine"]')
[[ "$yara" =~ ^[0-9]+\.[0-9]+ ]] || fail "no YARA engine version in the report: '$yara'"
assert_eq "$(json_get "$OUT" 'd["scanners"]["yara"]["rules"]')" 1 "YARA rules"
report=$(json_get "$OUT" 'd["report"]')
assert_grep "$report.txt" "scan .*objects clean: ClamAV $engine with 1 signatures, YARA 1 rules"

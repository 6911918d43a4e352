#!/bin/bash
# A file that the site's YARA rule (tests/fixtures/scan/airlock-test.yar) matches.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/content-lib.sh"
setup_accepted_base

printf 'config = 1\n# AIRLOCK-YARA-TEST-RULE-9b2e\n' >"$T/hit"
bundle_with lib/settings.ini "$T/hit"
assert_rejected "$B3" 'tools/lib/settings.ini' "scan: .*YARA rule 'airlock_test_marker' matched"

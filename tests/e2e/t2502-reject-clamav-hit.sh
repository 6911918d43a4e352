#!/bin/bash
# A file that ClamAV's database (the test signature in tests/fixtures/scan)
# detects, deep inside an otherwise genuine, correctly signed bundle, and
# again inside a gzip archive (ClamAV unpacks what it scans).
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/content-lib.sh"
setup_accepted_base

printf 'harmless text\nAIRLOCK-TEST-SIGNATURE-NOT-MALWARE-4f1c\nmore text\n' >"$T/hit"
bundle_with lib/nested/payload.dat "$T/hit"
assert_rejected "$B3" 'tools/lib/nested/payload.dat' 'scan: .*ClamAV: Airlock.Test.Signature'

gzip -9 -c "$T/hit" >"$T/hit.gz"
bundle_with data/archive.gz "$T/hit.gz"
assert_rejected "$B3" 'tools/data/archive.gz' 'scan: .*ClamAV: Airlock.Test.Signature'

#!/bin/bash
# No scanner database, a stale one, and an encrypted archive: each fails
# closed rather than letting unscanned content through.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/content-lib.sh"
setup_accepted_base
cp "$IMP/airlock.conf" "$T/conf.orig"

say "no database installed"
mv "$IMP/scan-db" "$T/scan-db.saved"
assert_rejected "$B2" "$B2" 'scan: scan-db: no ClamAV database installed'
mv "$T/scan-db.saved" "$IMP/scan-db"

say "a database older than scan.max-db-age"
site_conf "scan.max-db-age = 1s"
sleep 2
assert_rejected "$B2" "$B2" 'scan: scan-db: .*(old|stale)'
cp "$T/conf.orig" "$IMP/airlock.conf"

say "an encrypted archive ClamAV cannot look into"
(cd "$T" && printf 'secret\n' >inner.txt && zip -q -P hunter2 enc.zip inner.txt)
bundle_with data/bundle.zip "$T/enc.zip"
assert_rejected "$B3" 'tools/data/bundle.zip' 'scan: .*ClamAV: .*Encrypted'

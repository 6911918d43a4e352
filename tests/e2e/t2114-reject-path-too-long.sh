#!/bin/bash
# A correctly signed manifest with a path component of 256 bytes, then a path
# of 4,097 bytes.  Controls: 255 and 4,096 bytes, exactly the limits, pass.
. "$(dirname "$0")/test-lib.sh"
. "$(dirname "$0")/forge-lib.sh"
setup_accepted_base
c=$(printf 'c%.0s' {1..255})
p=$(printf "$c/%.0s" {1..16})x # 16 * 256 + 1 = 4097 bytes
assert_eq "${#p}" 4097 "long path length"
for b in c255 c256 p4096 p4097; do cp -a "$B2" "$T/$b"; done

say "controls: a 255-byte component, a 4,096-byte path"
forge rename-file "$T/c255" --source tools --path docs/guide.md --to "docs/$c"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/c255"
forge rename-file "$T/p4096" --source tools --path docs/guide.md --to "${p:1}"
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/p4096"

forge rename-file "$T/c256" --source tools --path docs/guide.md --to "docs/c$c"
assert_rejected "$T/c256" "docs/c{80}" "manifest: manifest line [0-9]+: component too long \(256 bytes, limit 255\)"
forge rename-file "$T/p4097" --source tools --path docs/guide.md --to "$p"
assert_rejected "$T/p4097" "'c{80}" "manifest: manifest line [0-9]+: path too long \(4097 bytes, limit 4096\)"

#!/bin/bash
# A file on the volume that the manifest does not list: on a folder, and on
# an ISO image built with xorriso from the bundle plus the extra file.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
cp -a "$B2" "$T/b2x"
printf '[autorun]\nopen=evil.exe\n' >"$T/b2x/autorun.inf"
assert_rejected "$T/b2x" 'autorun\.inf' 'unlisted|not (listed|named)'

say "an extra, plausible-looking part in packs/"
cp -a "$B2" "$T/b2y"
cp "$(largest_part "$B2")" "$T/b2y/packs/p0009.001"
assert_rejected "$T/b2y" 'packs/p0009\.001' 'unlisted|not (listed|named)'

say "the same on an ISO image made by xorriso"
xorriso -as mkisofs -quiet -R -J -V AIRLOCK_STABLE_2 -o "$T/good.iso" "$B2" 2>"$T/xorriso.err" ||
	{ cat "$T/xorriso.err" >&2; fail "xorriso cannot build the control image"; }
# control: the same bundle as a stock-tool image passes every check
expect_exit 0 airlock --home "$IMP" import --dry-run "$T/good.iso"
xorriso -as mkisofs -quiet -R -J -V AIRLOCK_STABLE_2 -o "$T/extra.iso" "$T/b2x" 2>"$T/xorriso.err" ||
	{ cat "$T/xorriso.err" >&2; fail "xorriso cannot build the image"; }
isoinfo -R -f -i "$T/extra.iso" | grep -qx /autorun.inf || fail "the image lacks /autorun.inf"
assert_rejected "$T/extra.iso" 'autorun\.inf' 'unlisted|not (listed|named)'

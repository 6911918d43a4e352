#!/bin/bash
# Who signs a channel changes only through a policy change signed by the
# current threshold of the current signers: a new officer's bundle is
# refused until then (no fast-forward to a new signer set), a change signed
# by an outsider or by too few officers is refused, a replayed change is
# refused, and an accepted change takes effect for the next import.
. "$(dirname "$0")/test-lib.sh"
setup_accepted_base
FPR_C=$(al_key C)
airlock --home "$EXP" key export "$FPR_C" >"$T/c.asc"
airlock --home "$EXP" key export "$FPR_A" >"$T/a.asc"

say "a bundle signed only by a new officer, before any policy change"
cp -a "$B2" "$T/b2c"
rm "$T/b2c/signatures/"*
expect_exit 0 airlock --home "$EXP" sign "$T/b2c" --key "$FPR_C"
assert_rejected "$T/b2c" "$T/b2c" 'signatures: .*(trusted|threshold)'

say "an outsider's policy change, signed by the outsider"
exp=$EXP
al_export_home "$T/att"
EXP=$exp
FPR_M=$(al_key Mallory "$T/att")
airlock --home "$T/att" key export "$FPR_M" >"$T/m.asc"
expect_exit 0 airlock --home "$T/att" trust propose --channel "$CHANNEL" --threshold 1 --to "$T/pc-bad" \
	--sign "$FPR_M" "$T/m.asc"
trust_before=$(sqlite3 "$IMP/catalog.db" "SELECT channel, fpr FROM trust ORDER BY 1, 2; SELECT * FROM channel")
expect_exit 3 airlock --home "$IMP" trust apply "$T/pc-bad"
assert_grep "$ERR" "pc-bad': signatures: "
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT channel, fpr FROM trust ORDER BY 1, 2; SELECT * FROM channel")" \
	"$trust_before" "trust after a refused change"

say "a genuine change: officers A and C, two signatures needed; signed by A (the current threshold)"
expect_exit 0 airlock --home "$EXP" trust propose --channel "$CHANNEL" --threshold 2 --to "$T/pc" \
	--sign "$FPR_A" "$T/a.asc" "$T/c.asc"
assert_contains "$T/pc/policy" "threshold 2"
[ -f "$T/pc/keys/$FPR_C.asc" ] || fail "the change carries no key for the new signer"
# the site has never seen C's key: it must come from the change itself
gpg --homedir "$IMP/gnupg" --list-keys "$FPR_C" >/dev/null 2>&1 && fail "the kiosk already knows key C"

say "the same change with another key filed as the new signer's"
cp -a "$T/pc" "$T/pc-swap"
cp "$T/m.asc" "$T/pc-swap/keys/$FPR_C.asc"
expect_exit 3 airlock --home "$IMP" trust apply "$T/pc-swap"
assert_grep "$ERR" "pc-swap': policy: 'keys/$FPR_C.asc' does not hold exactly the key $FPR_C"

say "an expired change, and one made in the future"
expect_exit 0 airlock --home "$EXP" trust propose --channel "$CHANNEL" --threshold 1 --to "$T/pc-old" \
	--sign "$FPR_A" --expires 1s "$T/a.asc"
SOURCE_DATE_EPOCH=$(($(date +%s) + 10 * 86400)) expect_exit 0 airlock --home "$EXP" trust propose \
	--channel "$CHANNEL" --threshold 1 --to "$T/pc-future" --sign "$FPR_A" "$T/a.asc"
sleep 2
expect_exit 3 airlock --home "$IMP" trust apply "$T/pc-old"
assert_grep "$ERR" "pc-old': policy: expiry: the change expired at"
expect_exit 3 airlock --home "$IMP" trust apply "$T/pc-future"
assert_grep "$ERR" "pc-future': policy: clock: made at .*the clock looks wrong"
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT channel, fpr FROM trust ORDER BY 1, 2; SELECT * FROM channel")" \
	"$trust_before" "trust after refused changes"

say "the genuine change"
expect_exit 0 airlock --home "$IMP" trust apply "$T/pc"
assert_contains "$OUT" "now needs 2 of 2"
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT threshold FROM channel WHERE name = '$CHANNEL'")" 2 threshold
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT count(*) FROM trust WHERE channel = '$CHANNEL'")" 2 "trusted keys"
assert_eq "$(sqlite3 "$IMP/catalog.db" "SELECT action FROM audit ORDER BY seq DESC LIMIT 1")" trust.policy-change \
	"audit record"

say "the same change again is a replay"
expect_exit 3 airlock --home "$IMP" trust apply "$T/pc"
assert_grep "$ERR" "replay"

say "bundle 2 signed by A alone no longer meets the threshold"
assert_rejected "$B2" "$B2" 'signatures: .*threshold not met.*1 of 2'

say "a change signed by A alone is now one signature short"
expect_exit 0 airlock --home "$EXP" trust propose --channel "$CHANNEL" --threshold 1 --to "$T/pc2" \
	--sign "$FPR_A" "$T/a.asc"
expect_exit 3 airlock --home "$IMP" trust apply "$T/pc2"
assert_grep "$ERR" "pc2': signatures: .*threshold not met"
say "co-signed by C, it is accepted"
expect_exit 0 airlock --home "$EXP" trust cosign "$T/pc2" --key "$FPR_C"
expect_exit 0 airlock --home "$IMP" trust apply "$T/pc2"
assert_contains "$OUT" "now needs 1 of 1"

say "with the policy back to A alone, bundle 2 imports"
expect_exit 0 airlock --home "$IMP" import "$B2"
check_served_tree tools "$T/tree2"
expect_exit 0 airlock --home "$IMP" audit verify

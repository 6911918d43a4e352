# shellcheck shell=bash
# For the hostile-bundle scenarios (t21NN): source after test-lib.sh and
# setup_accepted_base.  The forging itself is tests/tools/forge.py.
FORGE=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)/forge.py

# forge SUBCOMMAND BUNDLE ARGS...: edit BUNDLE with forge.py, then re-sign its
# manifest with officer A's own key ($EXP/gnupg, $FPR_A, which the import site
# trusts).  Fails unless the manifest changed and gpg accepts the one new
# signature over it, so the import gets past the signature checks and only the
# check under test can stop it.
forge() {
	local sub=$1 b=$2
	shift 2
	cp "$b/manifest" "$T/manifest.before"
	python3 "$FORGE" "$sub" "$b" "$@" || fail "forge.py $sub failed"
	python3 "$FORGE" resign "$b" --gnupg "$EXP/gnupg" --key "$FPR_A" || fail "forge.py resign failed"
	cmp -s "$T/manifest.before" "$b/manifest" && fail "forging left the manifest unchanged"
	[ "$(ls "$b/signatures")" = "$FPR_A.asc" ] || fail "signatures/ does not hold exactly $FPR_A.asc"
	gpg --homedir "$EXP/gnupg" --batch --verify "$b/signatures/$FPR_A.asc" "$b/manifest" 2>"$T/gpg.err" ||
		{ cat "$T/gpg.err" >&2; fail "gpg does not accept the new signature"; }
}

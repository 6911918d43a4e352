#!/bin/bash
# Every command in the table answers --help with its usage, unknown commands
# and options are usage errors (exit 2), and every command has a man page
# that mandoc accepts without warnings.
. "$(dirname "$0")/test-lib.sh"
cd "$(dirname "$0")/../.." || fail "cannot cd to the repository"
export AIRLOCK_HOME=$T/no-home

say "the command table, from 'airlock --help'"
expect_exit 0 airlock --help
assert_contains "$OUT" "usage: airlock"
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }' "$OUT")
[ -n "$cmds" ] || fail "no commands listed by 'airlock --help'"
echo "commands:" $cmds
for want in init key source export sign inspect trust import serve verify audit; do
	grep -qx "$want" <<<"$cmds" || fail "'airlock --help' does not list '$want'"
done

expect_exit 2 airlock
expect_exit 2 airlock nosuch
assert_grep "$ERR" "nosuch"
expect_exit 0 airlock --version

missing=()
for c in $cmds; do
	say "airlock $c"
	expect_exit 0 airlock "$c" --help
	assert_contains "$OUT" "usage: airlock $c"
	[ ! -s "$ERR" ] || fail "'airlock $c --help' wrote to stderr: $(cat "$ERR")"
	expect_exit 0 airlock "$c" -h
	assert_contains "$OUT" "usage: airlock $c"
	expect_exit 2 airlock "$c" --no-such-option
	[ -s "$ERR" ] || fail "'airlock $c --no-such-option' explained nothing on stderr"
	[ -f "docs/man/airlock-$c.1" ] || missing+=("docs/man/airlock-$c.1")
done
[ -f docs/man/airlock.1 ] || missing+=(docs/man/airlock.1)
[ ${#missing[@]} -eq 0 ] || fail "missing man pages: ${missing[*]}"

say "man pages pass 'mandoc -T lint -W warning'"
for page in docs/man/airlock.1 $(for c in $cmds; do echo "docs/man/airlock-$c.1"; done); do
	rc=0
	mandoc -T lint -W warning "$page" >"$OUT" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$OUT" ]; then
		cat "$OUT" >&2
		fail "mandoc lint of $page: exit $rc"
	fi
	name=$(basename "$page" .1)
	grep -q "$name" "$page" || fail "$page does not name $name"
done
# the top page points at each command's page
for c in $cmds; do
	grep -q "airlock-$c" docs/man/airlock.1 || fail "docs/man/airlock.1 does not refer to airlock-$c"
done

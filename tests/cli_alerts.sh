#!/usr/bin/env bash
# lookout alerts: error paths as a user meets them (missing journal, a file that is not one,
# bad --since, unknown option), each one line on stderr naming the file or option, and the
# listing of an empty journal's absence. Listing real rows is in test_journal_cli.c, which
# writes a journal through the library first.
set -u
bin=$1
tmp=$(mktemp -d /tmp/cli_alerts.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # expected-status description command...
  local want=$1 what=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" != "$want" ]; then echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/err"; fail=1; fi
}
one_line() { [ "$(wc -l <"$tmp/err")" -eq 1 ] || { echo "FAIL: $1: stderr is not one line:"; cat "$tmp/err"; fail=1; }; }

check 0 "--help" "$bin" alerts --help
grep -q "^Usage: lookout alerts" "$tmp/out" || { echo "FAIL: --help prints no usage"; fail=1; }

check 2 "missing journal" "$bin" alerts --db "$tmp/none.sqlite"
grep -q "$tmp/none.sqlite" "$tmp/err" || { echo "FAIL: missing journal not named"; fail=1; }
one_line "missing journal"

# The default file is looked for in the working directory.
(cd "$tmp" && "$bin" alerts >"$tmp/out" 2>"$tmp/err"); st=$?
[ $st -eq 2 ] || { echo "FAIL: default journal absent: exit $st"; fail=1; }
grep -q "lookout-alerts.sqlite" "$tmp/err" || { echo "FAIL: default journal name not shown"; fail=1; }

echo "not a database" >"$tmp/poem.sqlite"
check 1 "not a journal" "$bin" alerts --db "$tmp/poem.sqlite"
grep -q "$tmp/poem.sqlite" "$tmp/err" || { echo "FAIL: bad journal not named"; fail=1; }
one_line "not a journal"

check 2 "bad --since" "$bin" alerts --db "$tmp/poem.sqlite" --since yesterday
grep -q "yesterday" "$tmp/err" || { echo "FAIL: bad --since value not shown"; fail=1; }
one_line "bad --since"
check 2 "bad --since date" "$bin" alerts --since 2026-13-01
check 2 "unknown option" "$bin" alerts --frobnicate
grep -q "unknown option '--frobnicate'" "$tmp/err" || { echo "FAIL: unknown option not named"; fail=1; }
one_line "unknown option"
check 2 "--db without a value" "$bin" alerts --db

[ $fail -eq 0 ] && echo "cli_alerts: all passed"
exit $fail

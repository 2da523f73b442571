#!/usr/bin/env bash
# Every command answers --help with exit 0; unknown commands and options give one clear line
# on stderr and exit 2.
set -u
bin=$1
fail=0
check() { # expected-status description command...
  local want=$1 what=$2; shift 2
  "$@" >/tmp/cli_help.out 2>/tmp/cli_help.err; local got=$?
  if [ "$got" != "$want" ]; then echo "FAIL: $what: exit $got, expected $want"; cat /tmp/cli_help.err; fail=1; fi
}
check 0 "lookout --help" "$bin" --help
grep -q "Commands:" /tmp/cli_help.out || { echo "FAIL: --help lists no commands"; fail=1; }
for c in $("$bin" --help | awk '/^Commands:/{f=1;next} f&&/^  [a-z]/{print $1} /^$/{f=0}'); do
  check 0 "lookout $c --help" "$bin" "$c" --help
  grep -qi "usage" /tmp/cli_help.out || { echo "FAIL: lookout $c --help prints no usage"; fail=1; }
done
check 2 "unknown command" "$bin" frobnicate
grep -q "unknown command 'frobnicate'" /tmp/cli_help.err || { echo "FAIL: no clear message for unknown command"; fail=1; }
[ "$(wc -l </tmp/cli_help.err)" -eq 1 ] || { echo "FAIL: unknown command message is not one line"; fail=1; }
check 2 "unknown top-level option" "$bin" --frobnicate
[ $fail -eq 0 ] && echo "cli_help: all passed"
exit $fail

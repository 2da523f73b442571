#!/usr/bin/env bash
# Browser test of the live display: starts a lookout server, then drives Debian's chromium with
# playwright-core (tests/browser/display.test.mjs): the page loads, >= 20 tracks are drawn, a
# residence alarm for a drone appears with a running countdown, clicking the track shows its
# details, and a screenshot is saved (browser-display.png in the test's working directory).
#
# Args (as every tests/cli_*.sh): lookout-binary source-dir shared-dir.
# The server: LOOKOUT_BROWSER_SERVER, a command line that serves the display and prints its URL
# (http://HOST:PORT/...). Default: the REAL `lookout demo --speed 10 --port 0` on a fresh alert
# journal (the whole pipeline: simulator, tracker, classifier, threat, journal, picture); its
# residence drones launch 120 s into the scenario, so the alarm comes after 12-25 s of wall
# time (the wait is bounded by LOOKOUT_TIMEOUT_S, 90 s here). Then a second, faster run on the
# TEST FIXTURE `test_http --fixture` (synthetic scene) with a token checks that the page passes
# the token on. LOOKOUT_BROWSER_SERVER=fixture runs the full check on the fixture instead.
# Skips (exit 77) when chromium, node or npm is missing, or when npm cannot install
# playwright-core.
set -u
bin=$1
src=$2
here=$PWD

for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then echo "SKIP: $tool not installed (needed for playwright-core)"; exit 77; fi
done
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "SKIP: $chromium not found (scripts/install-deps.sh check installs Debian's chromium)"; exit 77
fi

db_dir=$(mktemp -d /tmp/cli_browser.XXXXXX)
server_cmd=${LOOKOUT_BROWSER_SERVER:-demo}
[ "$server_cmd" = demo ] && server_cmd="$bin demo --speed 10 --port 0 --db $db_dir/alerts.sqlite"
[ "$server_cmd" = fixture ] && server_cmd="$here/test_http --fixture --port 0"
if [ ! -x "$here/test_http" ]; then
  echo "FAIL: test fixture $here/test_http not built"; exit 1
fi

# playwright-core from the lock file, installed in the build tree (the source tree stays clean).
work=$here/browser-test
mkdir -p "$work"
cp "$src/tests/browser/package.json" "$src/tests/browser/package-lock.json" "$src/tests/browser/display.test.mjs" "$work/"
if ! cmp -s "$work/package-lock.json" "$work/node_modules/.lookout-lock" 2>/dev/null; then
  if ! (cd "$work" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >npm.log 2>&1); then
    echo "SKIP: npm ci could not install playwright-core (no registry?):"; tail -5 "$work/npm.log"; exit 77
  fi
  cp "$work/package-lock.json" "$work/node_modules/.lookout-lock"
fi

log=$here/browser-server.log
# shellcheck disable=SC2086  # the command line is split into words on purpose
$server_cmd >"$log" 2>&1 &
server_pid=$!
stop_server() {
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$server_pid" 2>/dev/null && { echo "FAIL: server did not stop on SIGTERM"; kill -KILL "$server_pid"; }
  fi
  wait "$server_pid" 2>/dev/null
}
trap 'stop_server; rm -rf "$db_dir"' EXIT

url=
for _ in $(seq 300); do
  url=$(grep -o 'http://[^ ]*' "$log" | head -1)
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || { echo "FAIL: server exited:"; cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "FAIL: server printed no URL in 30 s:"; cat "$log"; exit 1; }
echo "server: $server_cmd -> $url"

shot=$here/browser-display.png
(cd "$work" && LOOKOUT_URL=$url LOOKOUT_SCREENSHOT=$shot LOOKOUT_TIMEOUT_S=${LOOKOUT_TIMEOUT_S:-90} CHROMIUM=$chromium node display.test.mjs)
rc=$?
[ $rc -ne 0 ] && { echo "--- server log"; tail -20 "$log"; exit $rc; }
stop_server

# With a token (on the fixture: quick): the page takes it from its URL and passes it to the
# WebSocket.
if [ "${LOOKOUT_BROWSER_SERVER:-demo}" = demo ]; then
  "$here/test_http" --fixture --port 0 --token "browser-test-token" >"$log" 2>&1 &
  server_pid=$!
  url=
  for _ in $(seq 300); do
    url=$(grep -o 'http://[^ ]*' "$log" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
  done
  case "$url" in *token=browser-test-token*) ;; *) echo "FAIL: token URL not printed: '$url'"; exit 1 ;; esac
  echo "server with token -> $url"
  (cd "$work" && LOOKOUT_URL=$url LOOKOUT_QUICK=1 LOOKOUT_SCREENSHOT=$here/browser-token.png CHROMIUM=$chromium node display.test.mjs)
  rc=$?
fi
exit $rc

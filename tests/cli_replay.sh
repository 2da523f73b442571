#!/usr/bin/env bash
# lookout replay -> lookout serve over loopback UDP: a simulated plots file (CSV) is encoded as
# CAT048 + CAT034 on the way and sent with its timing (sped up), serve receives every plot
# (lookout_plots_in_total equals the number of plots in the file, nothing dropped) and tracks
# them. The plots file goes through a temporary pcap, so the recording path is the one used.
# Also: the pacing follows the recording (30 s of plots at 10x take about 3 s), and bad
# destinations are refused with one line, exit 2.
# Args: lookout-binary source-dir shared-dir.
set -u
bin=$1
src=$2
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d /tmp/cli_replay.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
die() { echo "FAIL: $*"; exit 1; }

# ---- usage errors -------------------------------------------------------------------------
"$bin" replay --help | grep -q "^Usage: lookout replay" || { echo "FAIL: --help"; fail=1; }
: >"$tmp/empty.pcap"
for bad in "tcp://127.0.0.1:8600" "udp://127.0.0.1" "udp://127.0.0.1:0" "udp://127.0.0.1:70000" \
           "udp://example.org:8600" "udp://255.255.255.255:8600" "127.0.0.1:8600"; do
  "$bin" replay "$tmp/empty.pcap" --to "$bad" >/dev/null 2>"$tmp/err"; st=$?
  [ $st -eq 2 ] || { echo "FAIL: --to $bad: exit $st, expected 2"; fail=1; }
  [ "$(wc -l <"$tmp/err")" -le 2 ] && grep -q -- "--to" "$tmp/err" ||
    { echo "FAIL: --to $bad: unclear message: $(cat "$tmp/err")"; fail=1; }
done
"$bin" replay "$tmp/none.pcap" --to udp://127.0.0.1:8600 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: missing file not exit 2"; fail=1; }
"$bin" replay "$tmp/x.csv" --to udp://127.0.0.1:8600 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: csv without -c not exit 2"; fail=1; }
echo "ok   bad destinations and arguments refused (exit 2)"

# ---- 30 s of the green-zone scenario as plots ---------------------------------------------
"$bin" simulate "$src/scenarios/green-zone.yaml" --duration 30 -o "$tmp/plots.csv" 2>/dev/null ||
  die "simulate failed"
nplots=$(($(wc -l <"$tmp/plots.csv") - 1))
[ "$nplots" -gt 100 ] || die "only $nplots plots simulated"

cp "$src/scenarios/green-zone.yaml" "$tmp/site.yaml"
cat >>"$tmp/site.yaml" <<'EOF'

service:
  inputs:
    - {sensor: compound-radar, listen: "127.0.0.1:0", sources: ["127.0.0.1"]}
EOF
"$bin" serve -c "$tmp/site.yaml" --port 0 --db "$tmp/a.sqlite" --quiet >"$tmp/out" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q "display at" "$tmp/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$tmp/serve.log" | head -1)
port=$(sed -n 's/.*ASTERIX input udp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
[ -n "$url" ] && [ -n "$port" ] || die "serve did not start: $(cat "$tmp/serve.log")"

t0=$(date +%s.%N)
"$bin" replay "$tmp/plots.csv" -c "$tmp/site.yaml" --speed 10 --to "udp://127.0.0.1:$port" 2>"$tmp/replay.log" ||
  { echo "FAIL: replay failed: $(cat "$tmp/replay.log")"; fail=1; }
t1=$(date +%s.%N)
cat "$tmp/replay.log"
python3 - "$t0" "$t1" <<'EOF' || fail=1
import sys
wall = float(sys.argv[2]) - float(sys.argv[1])
# 30 s of plots at 10x: about 3 s (the first plots come a scan after the start). The upper
# bound leaves room for a loaded 2-core machine; unpaced, it takes a fraction of a second.
assert 2.0 <= wall <= 10.0, "replay took %.1f s for 30 s of data at 10x" % wall
print("ok   paced: 30 s of plots at 10x took %.1f s" % wall)
EOF

python3 - "$url" "$nplots" <<'EOF' || fail=1
import json, sys, time, urllib.request
url, nplots = sys.argv[1], int(sys.argv[2])
def metric(name):
    for ln in urllib.request.urlopen(url + "metrics").read().decode().splitlines():
        if ln.startswith(name + " "):
            return float(ln.split()[1])
    raise AssertionError(name + " missing")
deadline = time.time() + 5
while metric("lookout_plots_in_total") < nplots and time.time() < deadline:
    time.sleep(0.2)
got, dropped = metric("lookout_plots_in_total"), metric("lookout_dropped_packets_total")
assert got == nplots, "serve received %d plots of %d" % (got, nplots)
assert dropped == 0, "%d dropped" % dropped
time.sleep(1.5)  # the feed is silent: data time goes on, the last round is reported
d = json.load(urllib.request.urlopen(url + "api/tracks"))
conf = [t for t in d["tracks"] if t["status"] == "confirmed"]
assert len(conf) >= 10, "only %d confirmed tracks from the replayed feed" % len(conf)
# ASTERIX carries the time of day only: the recording's 01:00 UTC, on the receiver's date.
assert "T01:00:" in d["clock_utc"], "data time not the recording's time of day: " + d["clock_utc"]
print("ok   serve received all %d plots over UDP (0 dropped), %d confirmed tracks, clock %s" % (got, len(conf), d["clock_utc"]))
EOF

# --loop: the recording starts again and its time goes back; serve takes that as a restarted
# feed (tracks of the old pass ended, a fresh tracker) instead of refusing every later plot.
"$bin" replay "$tmp/plots.csv" -c "$tmp/site.yaml" --speed 20 --loop --to "udp://127.0.0.1:$port" 2>"$tmp/loop.log" &
rpid=$!
# Each pass takes about 1.5 s; wait for two restarts (up to 20 s on a loaded machine), then
# for the fresh tracker to hold tracks again, while the replay still runs.
for _ in $(seq 200); do
  [ "$(grep -c "the feed restarted" "$tmp/serve.log")" -ge 2 ] && break
  sleep 0.1
done
restarts=$(grep -c "the feed restarted" "$tmp/serve.log")
[ "$restarts" -ge 2 ] || { echo "FAIL: $restarts feed restarts seen for 2+ loops"; fail=1; }
python3 - "$url" <<'EOF' || fail=1
import json, urllib.request, sys, time
deadline = time.time() + 10
while True:
    d = json.load(urllib.request.urlopen(sys.argv[1] + "api/tracks"))
    if len(d["tracks"]) >= 5 or time.time() > deadline:
        break
    time.sleep(0.2)
assert len(d["tracks"]) >= 5, "only %d tracks after looping" % len(d["tracks"])
print("ok   replay --loop: serve restarted its feed each pass and still tracks (%d tracks)" % len(d["tracks"]))
EOF
kill -INT "$rpid"; wait "$rpid"; st=$?
[ $st -eq 0 ] || { echo "FAIL: replay --loop exit $st after SIGINT: $(cat "$tmp/loop.log")"; fail=1; }

kill -TERM "$pid"; wait "$pid"; st=$?; pid=
[ $st -eq 0 ] || { echo "FAIL: serve exit $st"; fail=1; }
grep -q "(0 refused)" "$tmp/serve.log" || { echo "FAIL: serve refused plots: $(grep refused "$tmp/serve.log")"; fail=1; }

[ $fail -eq 0 ] && echo "cli_replay: all checks passed"
exit $fail

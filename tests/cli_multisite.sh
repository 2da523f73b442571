#!/usr/bin/env bash
# `lookout multisite-demo` (and `lookout demo --sites N`): --help, usage errors, and a short run of two edge nodes, a fusion
# node and a display on a local three-server NATS cluster (50x real time, 40 s of scenario):
# every node handled plots, plots reached the fusion node through NATS, and the display
# received tracks and every alert transition the nodes raised.
# Skips (77) without nats-server. Args: lookout-binary source-dir shared-dir.
set -u
bin=$1
fail=0
die() { echo "FAIL: $*"; fail=1; }

out=$("$bin" multisite-demo --help) || die "--help exit status"
grep -q "^Usage: lookout multisite-demo" <<<"$out" || die "--help prints no Usage line"
"$bin" multisite-demo --sites 1 >/dev/null 2>&1; [ $? = 2 ] || die "--sites 1 is not a usage error"
"$bin" multisite-demo --bogus >/dev/null 2>&1; [ $? = 2 ] || die "unknown option is not a usage error"
# `lookout demo --sites N` is the same command.
err=$("$bin" demo --sites 1 2>&1); [ $? = 2 ] || die "demo --sites 1 is not a usage error"
grep -q "multisite-demo: --sites takes" <<<"$err" || die "demo --sites does not go to multisite-demo: $err"
err=$("$bin" multisite-demo --speed x 2>&1); [ $? = 2 ] || die "--speed x is not a usage error"
[ "$(wc -l <<<"$err")" = 1 ] || die "usage error is not one line: $err"

command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || { echo "SKIP: nats-server not installed"; exit 77; }
log=$(mktemp)
timeout 120 "$bin" multisite-demo --sites 2 --speed 50 --duration 40 --port 0 >"$log.out" 2>"$log" || die "run failed: $(tail -5 "$log")"
grep -q "display at http://127.0.0.1:" "$log" || die "no display URL"
for node in edge-1 edge-2 fusion; do
  line=$(grep -E "^  $node +[0-9]+ plots" "$log") || { die "no summary for $node"; continue; }
  plots=$(awk '{print $2}' <<<"$line")
  [ "$plots" -gt 100 ] || die "$node handled only $plots plots"
done
in=$(grep -E "^  fusion " "$log" | sed -E 's/.* ([0-9]+) in,.*/\1/')
[ "${in:-0}" -gt 100 ] || die "fusion node received ${in:-0} plot blocks from NATS"
alerts_nodes=$(grep -E "^  (edge-[12]|fusion) " "$log" | awk '{s += $4} END {print s}')
alerts_display=$(grep -E "^  display " "$log" | awk '{print $5}')
[ "$alerts_nodes" -gt 0 ] || die "no alert transitions at all"
[ "$alerts_display" = "$alerts_nodes" ] || die "display got $alerts_display alert transitions, nodes raised $alerts_nodes"
tracks=$(grep -E "^  display " "$log" | awk '{print $2}')
[ "$tracks" -gt 100 ] || die "display received $tracks track records"
[ $fail = 0 ] || { echo "--- stderr"; cat "$log"; }
rm -f "$log" "$log.out"
exit $fail

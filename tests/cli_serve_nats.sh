#!/usr/bin/env bash
# `lookout serve` in the roles of docs/multisite.md, on a local three-server NATS cluster:
# an edge (`nats.role: edge`, the two-sites scenario simulated at 5x), a fusion node
# (`role: fusion`, no inputs of its own: plots from NATS) and a display (`role: display`).
# The fusion node's and the display's /api/tracks hold tracks, the display's /api/alerts the
# edge's alerts, and the edge still warns locally; the nodes' /metrics carry their NATS
# counters (lookout_bus_*, lookout_role_*). Skips (77) without nats-server or curl.
# Args: lookout-binary source-dir shared-dir.
set -u
bin=$1 src=$2
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || { echo "SKIP: nats-server not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
dir=$(mktemp -d)
base=$((21000 + ($$ % 400) * 100))
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  bash "$src/tests/nats/cluster.sh" stop "$dir/nats" >/dev/null 2>&1
  rm -rf "$dir"
}
trap cleanup EXIT
fail=0
die() { echo "FAIL: $*"; fail=1; }

urls=$(timeout 60 bash "$src/tests/nats/cluster.sh" start "$dir/nats" "$base") || { echo "FAIL: cluster"; exit 1; }
servers="[$urls]"
node_yaml() { # role node: region.yaml plus a nats section
  cat "$src/scenarios/two-sites/region.yaml"
  printf '\nnats:\n  servers: %s\n  node: %s\n  role: %s\n  health_interval_s: 0\n  plot_window_s: 60\n' "$servers" "$2" "$1"
}
node_yaml edge edge-a >"$dir/edge.yaml"
node_yaml fusion fusion-a >"$dir/fusion.yaml"
node_yaml display display-a >"$dir/display.yaml"

start() { # name args...: start a serve in this shell (its pid is kept for the cleanup)
  local name=$1; shift
  "$bin" serve "$@" --port 0 --db "$dir/$name.sqlite" >"$dir/$name.out" 2>"$dir/$name.err" &
  pids+=($!)
}
url_of() { # name: wait for its display URL
  for _ in $(seq 100); do
    url=$(grep -o 'display at http://[0-9.:]*/' "$dir/$1.err" | sed 's/display at //')
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.1
  done
  echo "FAIL: $1 did not start: $(tail -3 "$dir/$1.err")" >&2
  return 1
}
start fusion -c "$dir/fusion.yaml"
start display -c "$dir/display.yaml"
fusion_url=$(url_of fusion) || exit 1
display_url=$(url_of display) || exit 1
metric() { # URL NAME: a node's /metrics value, or -1
  curl -s --max-time 5 "${1}metrics" | awk -v n="$2" 'index($0, n "{") == 1 { print $NF; f = 1; exit } END { if (!f) print -1 }'
}
# Both subscribers connected before the edge starts (boot order does not matter to the nodes,
# but the counts below want every plot); waits are for conditions, with deadlines, so a
# loaded machine only makes the test slower.
for _ in $(seq 300); do
  [ "$(metric "$fusion_url" lookout_bus_connected)" = 1 ] && [ "$(metric "$display_url" lookout_bus_connected)" = 1 ] && break
  sleep 0.1
done
start edge -c "$dir/edge.yaml" --simulate --speed 5
edge_url=$(url_of edge) || exit 1

count() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d[sys.argv[1]]))' "$2" < <(curl -s --max-time 5 "$1") 2>/dev/null || echo 0; }
# Seen at least once while the 18 s simulation runs: tracks at each node, alerts at the display.
et=0 ft=0 dt=0 da=0
for _ in $(seq 150); do
  [ "$et" -gt 0 ] || et=$(count "${edge_url}api/tracks" tracks)
  [ "$ft" -gt 0 ] || ft=$(count "${fusion_url}api/tracks" tracks)
  [ "$dt" -gt 0 ] || dt=$(count "${display_url}api/tracks" tracks)
  [ "$da" -gt 0 ] || da=$(count "${display_url}api/alerts" alerts)
  [ "$et" -gt 0 ] && [ "$ft" -gt 0 ] && [ "$dt" -gt 0 ] && [ "$da" -gt 0 ] && break
  sleep 0.2
done
echo "tracks: edge $et, fusion $ft, display $dt; display alerts $da"
[ "$et" -gt 0 ] || die "edge shows no tracks"
[ "$ft" -gt 0 ] || die "fusion node shows no tracks (plots over NATS)"
[ "$dt" -gt 0 ] || die "display shows no tracks (CAT062 over NATS)"
[ "$da" -gt 0 ] || die "display shows no alerts (alert stream)"
# The nodes' NATS counters are in their /metrics.
[ "$(metric "$edge_url" lookout_bus_connected)" = 1 ] || die "edge /metrics: lookout_bus_connected is not 1"
ep=$(metric "$edge_url" lookout_bus_plots_published_total)
fr=$(metric "$fusion_url" lookout_role_plots_received_total)
tp=$(metric "$edge_url" lookout_role_tracks_published_total)
echo "edge /metrics: $ep plot messages published, $tp track records; fusion /metrics: $fr plots received"
[ "${ep%%.*}" -gt 0 ] 2>/dev/null || die "edge /metrics: no plots published"
[ "${tp%%.*}" -gt 0 ] 2>/dev/null || die "edge /metrics: no tracks published"
[ "${fr%%.*}" -gt 0 ] 2>/dev/null || die "fusion /metrics: no plots received"
dr=$(metric "$display_url" lookout_display_track_records_total)
echo "display /metrics: $dr CAT062 track records"
[ "${dr%%.*}" -gt 0 ] 2>/dev/null || die "display /metrics: no CAT062 track records"
grep -q "role edge" "$dir/edge.err" || die "edge did not announce its role"
[ -s "$dir/edge.out" ] || die "edge printed no alert locally"
for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done  # (background jobs ignore SIGINT)
wait
grep -q "stopping" "$dir/edge.err" || die "edge did not stop cleanly"
[ $fail = 0 ] || { for n in edge fusion display; do echo "--- $n"; tail -5 "$dir/$n.err"; done; }
exit $fail

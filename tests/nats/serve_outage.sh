# Sourced by tests/cli_serve_nats_outage*.sh (bash): NATS stopped entirely under running
# `lookout serve` nodes, checked through their real /metrics and /api endpoints.
#
# An edge (`--simulate`, the two-sites scenario, a plot ring of OUTAGE_PLOT_BUFFER messages)
# and a fusion node run on a local three-server cluster. When the edge has published and the
# fusion node has received plots, the whole cluster is stopped for OUTAGE_S wall seconds; the
# edge keeps warning (alert lines on its stdout during the outage), its /metrics show plots
# dropped oldest-first (lookout_bus_plots_dropped_total > 0, the ring full), alerts pending,
# never dropped. The cluster restarts on the same ports and stores: the edge reconnects by
# itself (lookout_bus_connected 1, lookout_bus_reconnects_total >= 1), every alert transition
# it journalled is acknowledged by JetStream (alerts published = queued = journalled, none
# pending), every plot message was published or counted as dropped, and the fusion node
# receives plots again.
#
# Every wait is for a condition with a deadline (never a fixed sleep that assumes a speed),
# so a loaded machine only makes the test slower. Set by the caller: OUTAGE_S, SPEED,
# bin, src. Skips (77) without nats-server, curl or python3.
set -u
command -v nats-server >/dev/null || [ -x /usr/sbin/nats-server ] || { echo "SKIP: nats-server not installed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
OUTAGE_PLOT_BUFFER=${OUTAGE_PLOT_BUFFER:-20}
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
t_start=$SECONDS
elapsed() { echo $((SECONDS - t_start)); }

urls=$(timeout 60 bash "$src/tests/nats/cluster.sh" start "$dir/nats" "$base") || { echo "FAIL: cluster did not start"; exit 1; }
node_yaml() { # role node
  cat "$src/scenarios/two-sites/region.yaml"
  printf '\nnats:\n  servers: [%s]\n  node: %s\n  role: %s\n  health_interval_s: 0\n' "$urls" "$2" "$1"
  printf '  plot_window_s: 60\n  plot_buffer: %s\n  reconnect_wait_s: 0.2\n' "$OUTAGE_PLOT_BUFFER"
}
node_yaml edge edge-a >"$dir/edge.yaml"
node_yaml fusion fusion-a >"$dir/fusion.yaml"

start() { # name args...
  local name=$1; shift
  "$bin" serve "$@" --port 0 --db "$dir/$name.sqlite" >"$dir/$name.out" 2>"$dir/$name.err" &
  pids+=($!)
}
url_of() { # name: wait for its display URL
  for _ in $(seq 300); do
    url=$(grep -so 'display at http://[0-9.:]*/' "$dir/$1.err" | sed 's/display at //')
    [ -n "$url" ] && { echo "$url"; return 0; }
    sleep 0.1
  done
  echo "FAIL: $1 did not start: $(tail -3 "$dir/$1.err")" >&2
  return 1
}
# metric URL NAME: the value of NAME{node=...} (first series) from a node's /metrics, or -1.
metric() {
  curl -s --max-time 5 "${1}metrics" | awk -v n="$2" '
    index($0, n "{") == 1 || index($0, n " ") == 1 { print $NF; found = 1; exit }
    END { if (!found) print -1 }'
}
# wait_until SECONDS DESCRIPTION COMMAND...: poll every 0.2 s until COMMAND succeeds.
wait_until() {
  local limit=$1 what=$2; shift 2
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    "$@" && return 0
    sleep 0.2
  done
  die "after ${limit} s: $what"
  return 1
}
ge() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)' "$1" "$2"; }
gt() { python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)' "$1" "$2"; }
metric_ge() { ge "$(metric "$1" "$2")" "$3"; }
metric_gt() { gt "$(metric "$1" "$2")" "$3"; }
metric_is() { [ "$(metric "$1" "$2")" = "$3" ]; }
alert_lines() { grep -c . "$dir/edge.out" 2>/dev/null || echo 0; }

start fusion -c "$dir/fusion.yaml"
fusion_url=$(url_of fusion) || exit 1
wait_until 30 "fusion node connected" metric_ge "$fusion_url" lookout_bus_connected 1
start edge -c "$dir/edge.yaml" --simulate --speed "$SPEED"
edge_url=$(url_of edge) || exit 1

# Up and running: the edge publishes, the fusion node receives.
wait_until 60 "edge published plots" metric_gt "$edge_url" lookout_bus_plots_published_total 0
wait_until 60 "fusion node received plots" metric_gt "$fusion_url" lookout_role_plots_received_total 0
# (A ring this small could overflow on a starved machine even while NATS is up: reported only.)
dropped_up=$(metric "$edge_url" lookout_bus_plots_dropped_total)
[ "$dropped_up" = 0 ] || echo "note: the edge dropped $dropped_up plot messages before the outage"

bash "$src/tests/nats/cluster.sh" stop "$dir/nats"
down_at=$(elapsed)
lines_at_down=$(alert_lines)
echo "NATS stopped at ${down_at} s (edge alert lines so far: $lines_at_down)"
wait_until 30 "edge noticed the outage" metric_is "$edge_url" lookout_bus_connected 0
# While down: drops counted, oldest first, the ring stays full at its bound.
wait_until $((OUTAGE_S + 10)) "edge counted dropped plots" metric_gt "$edge_url" lookout_bus_plots_dropped_total 0
remaining=$((down_at + OUTAGE_S - $(elapsed)))
[ $remaining -gt 0 ] && sleep $remaining   # the outage's length itself is the test's subject
dropped=$(metric "$edge_url" lookout_bus_plots_dropped_total)
buffered=$(metric "$edge_url" lookout_bus_plots_buffered)
connected=$(metric "$edge_url" lookout_bus_connected)
lines_at_up=$(alert_lines)
fusion_rx_down=$(metric "$fusion_url" lookout_role_plots_received_total)
echo "after $(( $(elapsed) - down_at )) s down: edge dropped $dropped plot messages, $buffered buffered" \
     "(ring $OUTAGE_PLOT_BUFFER), connected $connected; alert lines $lines_at_down -> $lines_at_up"
[ "$connected" = 0 ] || die "edge says connected while every server is down"
gt "$dropped" 0 || die "no dropped plots in the edge's /metrics"
[ "$buffered" = "$OUTAGE_PLOT_BUFFER" ] || die "edge ring holds $buffered plot messages, not its bound $OUTAGE_PLOT_BUFFER"
[ "$lines_at_up" -gt "$lines_at_down" ] || die "edge raised no alert while NATS was down"

urls2=$(timeout 60 bash "$src/tests/nats/cluster.sh" start "$dir/nats" "$base") || { echo "FAIL: cluster did not restart"; exit 1; }
up_at=$(elapsed)
echo "NATS back at ${up_at} s"
wait_until 60 "edge reconnected" metric_ge "$edge_url" lookout_bus_connected 1
wait_until 10 "edge counted its reconnection" metric_ge "$edge_url" lookout_bus_reconnects_total 1
echo "edge reconnected by $(elapsed) s: $(metric "$edge_url" lookout_bus_plots_dropped_total) plot messages dropped so far"
wait_until 60 "fusion node received plots again" metric_gt "$fusion_url" lookout_role_plots_received_total "$fusion_rx_down"
# The edge's alert queue drains into JetStream: every transition it journalled, none dropped.
alerts_drained() {
  local pending queued published local_
  pending=$(metric "$edge_url" lookout_bus_alerts_pending)
  queued=$(metric "$edge_url" lookout_bus_alerts_queued_total)
  published=$(metric "$edge_url" lookout_bus_alerts_published_total)
  local_=$(metric "$edge_url" lookout_role_alerts_local_total)
  [ "$pending" = 0 ] && [ "$queued" = "$published" ] && [ "$queued" = "$local_" ] && gt "$queued" 0
}
wait_until 60 "edge alerts acknowledged by JetStream (pending $(metric "$edge_url" lookout_bus_alerts_pending))" alerts_drained
# Every plot message handed to the bus was published or counted as dropped (once the
# simulation is over nothing new comes in).
plots_accounted() {
  local q p d b
  q=$(metric "$edge_url" lookout_bus_plots_queued_total)
  p=$(metric "$edge_url" lookout_bus_plots_published_total)
  d=$(metric "$edge_url" lookout_bus_plots_dropped_total)
  b=$(metric "$edge_url" lookout_bus_plots_buffered)
  grep -q "scenario has ended" "$dir/edge.err" && [ "$b" = 0 ] &&
    python3 -c 'import sys; q,p,d=map(float,sys.argv[1:]); sys.exit(0 if q == p + d else 1)' "$q" "$p" "$d"
}
wait_until $((90 / ${SPEED%.*} + 60)) "edge plots published + dropped = queued after the run" plots_accounted
echo "edge: $(metric "$edge_url" lookout_bus_plots_queued_total) plot messages queued," \
     "$(metric "$edge_url" lookout_bus_plots_published_total) published," \
     "$(metric "$edge_url" lookout_bus_plots_dropped_total) dropped;" \
     "$(metric "$edge_url" lookout_bus_alerts_published_total) alerts acknowledged," \
     "$(metric "$edge_url" lookout_bus_reconnects_total) reconnection(s)"

for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
wait
pids=()
grep -q "stopping" "$dir/edge.err" || die "edge did not stop cleanly"
[ $fail = 0 ] || { for n in edge fusion; do echo "--- $n"; tail -5 "$dir/$n.err"; done; }
exit $fail

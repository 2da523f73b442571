#!/usr/bin/env bash
# Load test of the live service (issue 7), not part of ctest:
#   lookout simulate (birds-10000: 10,000 targets, one 1 s radar) -> a CAT048 feed file
#   lookout replay FEED --speed 1 -> UDP loopback -> lookout serve (with a WebSocket display
#   client connected that reads every push) -> /metrics.
# Checks: every plot sent arrived (lookout_plots_in_total == plots in the feed), nothing
# dropped (lookout_dropped_packets_total == 0 and the kernel's UDP receive-buffer error
# counter did not move), and prints the plot-to-track latency quantiles (receive time to the
# classified track report, wall clock) against the 50 ms p99 goal.
#
# Usage: bench/load_serve.sh [BUILD_DIR] [DURATION_S] [SCENARIO]
#   defaults: build-dev, 60, scenarios/birds-10000.yaml
# Environment: REPORT_S (service.report_interval_s, default 0.01), REORDER_S (tracker
# reorder_window_s, default 0), BATCH_S (tracker batch_window_s, default 0.01), WS=0 to run
# without the display client, KEEP=1 to keep the work directory.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build-dev}
dur=${2:-60}
scen=${3:-$here/scenarios/birds-10000.yaml}
bin=$build/lookout
[ -x "$bin" ] || { echo "no $bin: build first"; exit 2; }
command -v python3 >/dev/null || { echo "python3 needed"; exit 2; }
work=$(mktemp -d /tmp/load_serve.XXXXXX)
spid=
wspid=
cleanup() {
  [ -n "$wspid" ] && kill "$wspid" 2>/dev/null
  [ -n "$spid" ] && kill -TERM "$spid" 2>/dev/null && wait "$spid"
  [ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

# The feed: CAT048 + CAT034 as the radar would send them (pcap), via simulate's ASTERIX
# output when it has one, else a plots CSV that replay encodes on the way.
feed=$work/feed.pcap
if ! "$bin" simulate "$scen" --duration "$dur" --format asterix -o "$feed" 2>"$work/sim.log"; then
  feed=$work/feed.csv
  "$bin" simulate "$scen" --duration "$dur" -o "$feed" 2>"$work/sim.log" || { cat "$work/sim.log"; exit 1; }
fi
if [ "${feed##*.}" = csv ]; then
  nplots=$(($(wc -l <"$feed") - 1))
else
  nplots=$("$bin" decode "$feed" --json 2>/dev/null | grep -c '"cat": *48')
fi
echo "feed: $feed, $nplots plots over $dur s from $(basename "$scen")"

# The site: the scenario plus a UDP input and the latency settings.
port=$(python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
cp "$scen" "$work/site.yaml"
cat >>"$work/site.yaml" <<EOF

service:
  inputs:
    - {sensor: compound-radar, listen: "127.0.0.1:$port", sources: ["127.0.0.1"]}
  report_interval_s: ${REPORT_S:-0.01}
EOF
if ! grep -q '^tracker:' "$scen"; then
  cat >>"$work/site.yaml" <<EOF

tracker:
  reorder_window_s: ${REORDER_S:-0}
  batch_window_s: ${BATCH_S:-0.01}
EOF
fi

"$bin" serve -c "$work/site.yaml" --port 0 --db "$work/alerts.sqlite" --quiet >"$work/serve.out" 2>"$work/serve.log" &
spid=$!
for _ in $(seq 100); do grep -q "display at" "$work/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$work/serve.log" | head -1)
[ -n "$url" ] || { cat "$work/serve.log"; exit 1; }

# A display client: a minimal WebSocket reader (RFC 6455 handshake, frames read and counted).
if [ "${WS:-1}" = 1 ]; then
  python3 - "$url" "$work/ws.count" <<'EOF' &
import base64, os, socket, struct, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (u.hostname, u.port, key)).encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
assert b" 101 " in head.split(b"\r\n")[0], head
def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(1 << 20)
        if not d:
            raise SystemExit
        buf += d
msgs = octets = 0
while True:
    need(2)
    b1 = buf[1] & 0x7F
    off = 2
    if b1 == 126:
        need(4); b1 = struct.unpack(">H", buf[2:4])[0]; off = 4
    elif b1 == 127:
        need(10); b1 = struct.unpack(">Q", buf[2:10])[0]; off = 10
    need(off + b1)
    op = buf[0] & 0x0F
    buf = buf[off + b1:]
    if op in (1, 2, 0):
        msgs += 1
        octets += b1
        with open(sys.argv[2] + ".tmp", "w") as f:
            f.write("%d %d\n" % (msgs, octets))
        os.replace(sys.argv[2] + ".tmp", sys.argv[2])
EOF
  wspid=$!
  sleep 1
fi

rcvbuf_errors() { awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp; }
k0=$(rcvbuf_errors)
"$bin" replay "$feed" -c "$work/site.yaml" --speed 1 --to "udp://127.0.0.1:$port" 2>&1 | tail -1
sleep 2
k1=$(rcvbuf_errors)
curl -s "$url/metrics" >"$work/metrics.txt" 2>/dev/null || python3 -c "import urllib.request,sys;sys.stdout.write(urllib.request.urlopen('${url}metrics').read().decode())" >"$work/metrics.txt"
ws=$(cat "$work/ws.count" 2>/dev/null || echo "0 0")
python3 - "$work/metrics.txt" "$nplots" "$((k1 - k0))" "$ws" <<'EOF'
import sys
m = {}
for ln in open(sys.argv[1]):
    if ln.startswith("#") or not ln.strip():
        continue
    k, v = ln.rsplit(" ", 1)
    m[k] = float(v)
n = int(sys.argv[2]); kern = int(sys.argv[3]); wsm, wso = (int(x) for x in sys.argv[4].split())
got, dropped = m["lookout_plots_in_total"], m["lookout_dropped_packets_total"]
q = lambda x: 1e3 * m['lookout_plot_to_track_latency_seconds{quantile="%s"}' % x]
print("plots received   %d of %d (%s)" % (got, n, "all" if got == n else "MISSING %d" % (n - got)))
print("dropped          %d by the service, %d kernel receive-buffer errors (system-wide)" % (dropped, kern))
print("latency          p50 %.1f ms, p90 %.1f ms, p99 %.1f ms (goal p99 < 50 ms: %s)" % (q("0.5"), q("0.9"), q("0.99"), "met" if q("0.99") < 50 else "NOT met"))
print("tracks           %d confirmed, %d coasting at the end; %d created" % (m['lookout_tracks{status="confirmed"}'], m['lookout_tracks{status="coasting"}'], m["lookout_tracks_created_total"]))
print("display client   %d WebSocket messages, %.1f MB" % (wsm, wso / 1e6))
ok = got == n and dropped == 0 and kern == 0 and q("0.99") < 50
sys.exit(0 if ok else 1)
EOF
rc=$?
kill -TERM "$spid"; wait "$spid"; spid=
tail -2 "$work/serve.log"
uptime
exit $rc

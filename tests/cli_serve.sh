#!/usr/bin/env bash
# lookout serve against the real binary (issue 7's API test), with the simulator as the plot
# source and a UDP input configured for the same radar:
#   - /api/tracks parses and holds tracks; /metrics is valid Prometheus text (a small parser:
#     every sample line is NAME{LABELS} VALUE, every metric has a TYPE, counters are >= 0);
#   - datagrams from a sender that is not in the input's allow-list are counted as dropped in
#     /metrics (lookout_dropped_packets_total), malformed ones from an allowed sender too, and
#     the service keeps running; CAT062 datagrams arrive at the configured output;
#   - SIGTERM stops it cleanly (exit 0); a restart on the same journal shows the past alerts
#     at once and new alert ids continue after the old ones;
#   - a non-loopback --bind without a token is refused (exit 2, a message naming the token);
#     a bad service section is reported with its key path and line (exit 2).
# Args: lookout-binary source-dir shared-dir.
set -u
bin=$1
src=$2
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d /tmp/cli_serve.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
die() { echo "FAIL: $*"; [ -f "$tmp/err" ] && tail -20 "$tmp/err"; exit 1; }

# A CAT062 listener on a free port (python), for service.outputs.cat062.
python3 - "$tmp" <<'EOF' &
import socket, sys, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(os.path.join(sys.argv[1], "cat062.port"), "w").write(str(s.getsockname()[1]))
s.settimeout(60)
n = 0
first = None
try:
    while True:
        d, _ = s.recvfrom(65536)
        n += 1
        first = first or d[0]
        with open(os.path.join(sys.argv[1], "cat062.count"), "w") as f:
            f.write("%d %d\n" % (n, first))
except socket.timeout:
    pass
EOF
listener=$!
for _ in $(seq 50); do [ -s "$tmp/cat062.port" ] && break; sleep 0.1; done
[ -s "$tmp/cat062.port" ] || die "CAT062 listener did not start"

# The green-zone scenario with a service section: the radar's plots may come only from
# 127.0.0.2 (the test sends from 127.0.0.1, which must be refused).
cp "$src/scenarios/green-zone.yaml" "$tmp/site.yaml"
cat >>"$tmp/site.yaml" <<EOF

service:
  inputs:
    - {sensor: compound-radar, listen: "127.0.0.1:0", sources: ["127.0.0.2"]}
  outputs:
    cat062:
      - to: "127.0.0.1:$(cat "$tmp/cat062.port")"
  system: {sac: 0, sic: 7}
EOF

start_serve() { # log-file extra-args...
  local log=$1; shift
  "$bin" serve -c "$tmp/site.yaml" --port 0 --db "$tmp/alerts.sqlite" "$@" >"$tmp/out" 2>"$log" &
  pid=$!
  url=
  for _ in $(seq 100); do
    url=$(grep -o 'http://[^ ]*' "$log" | head -1)
    [ -n "$url" ] && break
    kill -0 "$pid" 2>/dev/null || die "serve exited early: $(cat "$log")"
    sleep 0.1
  done
  [ -n "$url" ] || die "serve printed no URL"
  udp_port=$(sed -n 's/.*ASTERIX input udp 127.0.0.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  [ -n "$udp_port" ] || die "serve printed no input port"
}

stop_serve() {
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && die "serve did not stop within 10 s of SIGTERM"
  wait "$pid"; local st=$?
  pid=
  [ $st -eq 0 ] || { echo "FAIL: serve exit $st after SIGTERM"; fail=1; }
}

# ---- first run --------------------------------------------------------------------------
start_serve "$tmp/err" --simulate --speed 20 --quiet
echo "serve: $url, ASTERIX input on udp port $udp_port"

python3 - "$url" "$udp_port" <<'EOF' || fail=1
import json, re, socket, struct, sys, time, urllib.request
url, port = sys.argv[1], int(sys.argv[2])
def get(path):
    with urllib.request.urlopen(url + path, timeout=10) as r:
        return r.headers.get("Content-Type", ""), r.read().decode()

def metrics():
    """A small Prometheus text-format (0.0.4) parser: returns {name: [(labels, value)]}."""
    ctype, text = get("metrics")
    assert ctype.startswith("text/plain"), ctype
    types, samples = {}, {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^"]*")*)?\})? ([-+0-9.eE]+|NaN|[+-]Inf)$')
    for ln in text.splitlines():
        if not ln:
            continue
        if ln.startswith("# TYPE "):
            _, _, name, kind = ln.split(" ", 3)
            assert kind in ("counter", "gauge", "summary", "histogram", "untyped"), ln
            types[name] = kind
            continue
        if ln.startswith("#"):
            assert ln.startswith("# HELP "), "bad comment: " + ln
            continue
        m = line_re.match(ln)
        assert m, "not a sample line: %r" % ln
        name, labels, value = m.group(1), m.group(3) or "", float(m.group(5))
        base = re.sub(r"_(sum|count)$", "", name)
        assert name in types or base in types, "no TYPE for " + name
        if types.get(name) == "counter":
            assert value >= 0, ln
        samples.setdefault(name, []).append((labels, value))
    return samples

def one(s, name, labels=""):
    for l, v in s.get(name, []):
        if l == labels:
            return v
    raise AssertionError("metric %s{%s} missing" % (name, labels))

# Tracks appear (the simulated radar at 20x).
deadline = time.time() + 40
while True:
    ctype, text = get("api/tracks")
    assert ctype.startswith("application/json"), ctype
    d = json.loads(text)
    if len(d["tracks"]) >= 5 or time.time() > deadline:
        break
    time.sleep(0.5)
assert len(d["tracks"]) >= 5, "only %d tracks after 40 s" % len(d["tracks"])
t = d["tracks"][0]
for k in ("id", "status", "class", "enu_m", "lat_deg", "lon_deg", "speed_mps", "trail"):
    assert k in t, "track without " + k
assert d["counts"]["tracks"] == len(d["tracks"])
print("ok   /api/tracks: %d tracks, clock %s, status %r" % (len(d["tracks"]), d["clock_utc"], d["status"]))

m0 = metrics()
assert one(m0, "lookout_plots_in_total") > 0
assert one(m0, "lookout_plot_to_track_latency_seconds_count") > 0
q99 = one(m0, "lookout_plot_to_track_latency_seconds", 'quantile="0.99"')
assert q99 > 0, q99
dropped0 = one(m0, "lookout_dropped_packets_total")
print("ok   /metrics parses: %d metrics, plots %d, latency p99 %.1f ms" % (len(m0), one(m0, "lookout_plots_in_total"), 1e3 * q99))

# A well-formed CAT048 plot of the configured radar (SAC 1, SIC 1), from a sender that is not
# allowed (127.0.0.1), ten times; then ten garbage datagrams from the allowed one.
rec = bytes([0xF0, 1, 1]) + struct.pack(">I", 128 * 3600)[1:] + bytes([0x20]) + struct.pack(">HH", 256 * 2, 1000)
block = bytes([48]) + struct.pack(">H", 3 + len(rec)) + rec
bad = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
bad.bind(("127.0.0.1", 0))
for _ in range(10):
    bad.sendto(block, ("127.0.0.1", port))
good = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
good.bind(("127.0.0.2", 0))
for _ in range(10):
    good.sendto(bytes([48, 0, 200, 0xFF, 0xFF]), ("127.0.0.1", port))
time.sleep(1.0)
m1 = metrics()
dropped1 = one(m1, "lookout_dropped_packets_total")
assert dropped1 - dropped0 >= 20, "dropped went %d -> %d for 20 refused datagrams" % (dropped0, dropped1)
ctype, text = get("api/health")
assert json.loads(text)["ok"] is True
print("ok   10 datagrams from a non-allowed sender and 10 malformed ones counted (dropped %d -> %d), still healthy" % (dropped0, dropped1))

# A flood of random garbage from the allowed sender: counted, the API stays responsive and
# the simulated plots keep flowing.
import random
random.seed(5)
plots1 = one(m1, "lookout_plots_in_total")
t0 = time.time()
for i in range(3000):
    n = random.randint(1, 1400)
    good.sendto(bytes([random.choice((48, 34, 62, 1))]) + bytes(random.getrandbits(8) for _ in range(n - 1)), ("127.0.0.1", port))
time.sleep(1.0)
ctype, text = get("api/health")
assert json.loads(text)["ok"] is True
m2 = metrics()
dropped2, plots2 = one(m2, "lookout_dropped_packets_total"), one(m2, "lookout_plots_in_total")
assert dropped2 - dropped1 >= 1000, "only %d of 3000 garbage datagrams counted" % (dropped2 - dropped1)
assert plots2 > plots1, "plots stopped flowing during the flood"
print("ok   3000 random datagrams in %.1f s: %d counted as dropped, API healthy, plots still flowing (%d -> %d)" % (time.time() - t0, dropped2 - dropped1, plots1, plots2))
EOF

# Let an alarm happen (the residence drones arrive after about 120 s of scenario time).
for _ in $(seq 150); do
  n=$(python3 -c "import json,urllib.request;print(len(json.load(urllib.request.urlopen('${url}api/alerts'))['alerts']))")
  [ "$n" -ge 1 ] && break
  sleep 0.2
done
[ "$n" -ge 1 ] || { echo "FAIL: no alert within 30 s"; fail=1; }
stop_serve
grep -q "lookout serve: stopping" "$tmp/err" || { echo "FAIL: no clean stop message"; fail=1; }
read -r n62 first62 <"$tmp/cat062.count" 2>/dev/null || n62=0
[ "${n62:-0}" -gt 0 ] && [ "${first62:-0}" = 62 ] || { echo "FAIL: no CAT062 datagram received ($n62, first octet ${first62:-none})"; fail=1; }
echo "ok   SIGTERM: clean stop (exit 0); $n62 CAT062 datagrams received"
kill "$listener" 2>/dev/null

max1=$(python3 -c "
import sqlite3; c=sqlite3.connect('$tmp/alerts.sqlite')
print(c.execute('select max(alert_id) from alert_transition').fetchone()[0])" 2>"$tmp/py.err") ||
  { echo "FAIL: journal unreadable: $(cat "$tmp/py.err")"; fail=1; max1=0; }

# ---- restart on the same journal ----------------------------------------------------------
start_serve "$tmp/err2" --simulate --speed 20 --quiet
grep -q "past transition" "$tmp/err2" || { echo "FAIL: restart does not mention past alerts"; fail=1; }
python3 - "$url" "$max1" <<'EOF' || fail=1
import json, sys, time, urllib.request
url, max1 = sys.argv[1], int(sys.argv[2])
alerts = json.load(urllib.request.urlopen(url + "api/alerts"))["alerts"]
old = [a for a in alerts if int(a["id"]) <= max1]
assert old, "past alerts not shown after the restart"
print("ok   restart: %d past alerts shown at once (journal max id %d)" % (len(old), max1))
deadline = time.time() + 40
while time.time() < deadline:
    alerts = json.load(urllib.request.urlopen(url + "api/alerts"))["alerts"]
    new = [int(a["id"]) for a in alerts if int(a["id"]) > max1]
    if new:
        break
    time.sleep(0.5)
assert new, "no new alert within 40 s"
assert min(new) == max1 + 1, "new ids start at %d, expected %d" % (min(new), max1 + 1)
print("ok   new alert ids continue after %d: %s" % (max1, sorted(new)[:5]))
EOF
stop_serve

# ---- refusals ----------------------------------------------------------------------------
"$bin" serve -c "$tmp/site.yaml" --simulate --bind 0.0.0.0 --port 0 --db "$tmp/x.sqlite" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || { echo "FAIL: non-local bind without token: exit $st, expected 2"; fail=1; }
grep -q "token" "$tmp/err" || { echo "FAIL: refusal does not mention the token: $(cat "$tmp/err")"; fail=1; }
echo "ok   --bind 0.0.0.0 without a token refused: $(head -1 "$tmp/err")"

sed 's/sensor: compound-radar/sensor: no-such-radar/' "$tmp/site.yaml" >"$tmp/bad.yaml"
"$bin" serve -c "$tmp/bad.yaml" --port 0 --db "$tmp/x.sqlite" >"$tmp/out" 2>"$tmp/err"; st=$?
[ $st -eq 2 ] || { echo "FAIL: bad service section: exit $st, expected 2"; fail=1; }
grep -q "service.inputs\[0\]" "$tmp/err" && grep -q ":[0-9]*:" "$tmp/err" ||
  { echo "FAIL: bad service section not reported with path and line: $(cat "$tmp/err")"; fail=1; }
echo "ok   bad service section: $(head -1 "$tmp/err")"

"$bin" serve --help | grep -q "^Usage: lookout serve" || { echo "FAIL: serve --help"; fail=1; }
"$bin" serve -c "$tmp/site.yaml" --bogus 2>/dev/null; [ $? -eq 2 ] || { echo "FAIL: unknown option not exit 2"; fail=1; }
[ $fail -eq 0 ] && echo "cli_serve: all checks passed"
exit $fail

#!/usr/bin/env bash
# lookout serve takes a radar's CAT034 sector crossings as the radar's clock: after plots, a
# sector crossing 1.5 s later moves data time (lookout_data_time_seconds) there at once, so
# the plots are processed without waiting for the next plots; one before the sensor's first
# plot, one behind data time and one far ahead of its last plot (100 s) are ignored.
# The checks compare data times, not wall-clock delays: without the sector message data time
# would move on only after 1 s of silence, and then by the wall clock (< 1.5 s here).
# Args: lookout-binary source-dir shared-dir.
set -u
bin=$1
src=$2
command -v python3 >/dev/null || { echo "SKIP: python3 not installed"; exit 77; }
tmp=$(mktemp -d /tmp/cli_serve_sectors.XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

cp "$src/scenarios/green-zone.yaml" "$tmp/site.yaml"
cat >>"$tmp/site.yaml" <<'EOF'

service:
  inputs:
    - {sensor: compound-radar, listen: "127.0.0.1:0", sources: ["127.0.0.1"]}
  report_interval_s: 0.01

tracker:
  reorder_window_s: 0
  batch_window_s: 0.01
EOF
"$bin" serve -c "$tmp/site.yaml" --port 0 --db "$tmp/a.sqlite" --quiet >"$tmp/out" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 100); do grep -q "display at" "$tmp/serve.log" && break; sleep 0.1; done
url=$(grep -o 'http://[^ ]*' "$tmp/serve.log" | head -1)
port=$(sed -n 's/.*ASTERIX input udp 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
[ -n "$url" ] && [ -n "$port" ] || { echo "FAIL: serve did not start: $(cat "$tmp/serve.log")"; exit 1; }

python3 - "$url" "$port" <<'EOF'
import socket, struct, sys, time, urllib.request
url, port = sys.argv[1], int(sys.argv[2])
def metric(name):
    for ln in urllib.request.urlopen(url + "metrics").read().decode().splitlines():
        if ln.startswith(name + " "):
            return float(ln.split()[1])
    raise AssertionError(name + " missing")
def tod(t):  # ASTERIX time of day, 1/128 s
    return struct.pack(">I", int(round((t % 86400) * 128)))[1:]
def plot_record(t, theta):  # CAT048: 010 SAC/SIC, 140 time, 020 PSR, 040 2 NM / theta
    return bytes([0xF0, 1, 1]) + tod(t) + bytes([0x20]) + struct.pack(">HH", 256 * 2, theta)
def sector(t, n):           # CAT034: 010 SAC/SIC, 000 sector crossing, 030 time, 020 sector
    rec = bytes([0xF0, 1, 1, 2]) + tod(t) + bytes([n * 32])
    return bytes([34]) + struct.pack(">H", 3 + len(rec)) + rec
def block48(recs):
    body = b"".join(recs)
    return bytes([48]) + struct.pack(">H", 3 + len(body)) + body
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
dest = ("127.0.0.1", port)
t0 = round(time.time() * 128) / 128.0

s.sendto(sector(t0 - 0.5, 7), dest)  # before any plot: ignored
s.sendto(block48([plot_record(t0 + k / 128.0, 1000 + 10 * k) for k in range(3)]), dest)
deadline = time.time() + 5
while metric("lookout_plots_in_total") < 3 and time.time() < deadline:
    time.sleep(0.05)
assert metric("lookout_plots_in_total") == 3, "the 3 plots did not arrive"
sent = time.time()
s.sendto(sector(t0 + 0.25, 2), dest)   # moves data time to t0 + 0.25
s.sendto(sector(t0 + 0.125, 1), dest)  # behind: ignored
s.sendto(sector(t0 + 100, 3), dest)    # far ahead of the last plot: ignored
s.sendto(sector(t0 + 1.5, 4), dest)    # the latest plausible one: data time t0 + 1.5
# Without the sector message, data time would move after 1 s of silence by the wall clock and
# reach t0 + 1.4 only some 2.4 s after the plots: look before that.
clock = 0
while time.time() < sent + 2.2:
    clock = metric("lookout_data_time_seconds")
    if clock >= t0 + 1.4:
        break
    time.sleep(0.05)
waited = time.time() - sent
assert clock >= t0 + 1.4, "data time %.3f s after the plots, expected the sector crossing's 1.5 s" % (clock - t0)
assert clock < t0 + 50, "a sector crossing 100 s ahead moved data time"
n = metric("lookout_plot_to_track_latency_seconds_count")
assert n == 3, "%d of 3 plots processed" % n
print("ok   sector crossings move data time: %.2f s after the plots (checked %.2f s after sending), "
      "3 plots processed; early, late and far-ahead ones ignored" % (clock - t0, waited))
EOF
rc=$?
kill -TERM "$pid"; wait "$pid"; st=$?; pid=
[ $st -eq 0 ] || { echo "FAIL: serve exit $st"; tail -5 "$tmp/serve.log"; exit 1; }
exit $rc

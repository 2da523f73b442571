#!/usr/bin/env bash
# lookout decode: prints every record of a real recording (text and --json), names the file and
# byte offset of bad data, refuses bad usage with exit 2. Args: lookout-binary source-dir shared-dir.
set -u
bin=$1
shared=$3
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rec="$shared/data/asterix/croatiacontrol-asterix/cat_034_048.pcap"
gps="$shared/data/asterix/reader_network/068test_bds30.gps"
if [ ! -f "$rec" ] || [ ! -f "$gps" ]; then echo "SKIP: $shared/data/asterix not found"; exit 77; fi

"$bin" decode "$rec" >"$tmp/out.txt" 2>"$tmp/err.txt" || { echo "FAIL: decode exit $?"; cat "$tmp/err.txt"; fail=1; }
[ "$(wc -l <"$tmp/out.txt")" -eq 162 ] || { echo "FAIL: expected 162 record lines, got $(wc -l <"$tmp/out.txt")"; fail=1; }
grep -q "CAT048 25/" "$tmp/out.txt" || { echo "FAIL: no CAT048 line"; fail=1; }
grep -q "north_marker\|sector_crossing" "$tmp/out.txt" || { echo "FAIL: no CAT034 line"; fail=1; }
grep -q "2016-05-05T07:35:5" "$tmp/out.txt" || { echo "FAIL: times not from the pcap capture date"; fail=1; }
grep -q "128 records\|162 records" "$tmp/err.txt" || { echo "FAIL: no summary on stderr"; cat "$tmp/err.txt"; fail=1; }

"$bin" decode "$gps" --json --date 2011-03-04 >"$tmp/out.jsonl" 2>/dev/null || { echo "FAIL: --json exit"; fail=1; }
[ "$(wc -l <"$tmp/out.jsonl")" -eq 2781 ] || { echo "FAIL: expected 2781 JSON lines"; fail=1; }
python3 - "$tmp/out.jsonl" <<'PY' || fail=1
import json, sys
n48 = n34 = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["cat"] == 48:
        n48 += 1
        assert "rho_nm" in o and "theta_deg" in o, o
        assert o["time"].startswith("2011-03-0"), o
    elif o["cat"] == 34:
        n34 += 1
if (n48, n34) != (1830, 951):
    print("FAIL: JSON counts", n48, n34); sys.exit(1)
PY

# Bad data: a cut block names the file and the byte offset.
head -c 30 "$shared/data/asterix/croatiacontrol-asterix/cat048.raw" >"$tmp/cut.raw"
"$bin" decode "$tmp/cut.raw" --format raw >/dev/null 2>"$tmp/err.txt"
grep -q "cut.raw: byte 0" "$tmp/err.txt" || { echo "FAIL: no file/offset in the error"; cat "$tmp/err.txt"; fail=1; }

# --plots / --tracks: the recording as data-model files, in time order.
"$bin" decode "$rec" --json 2>/dev/null >"$tmp/all.jsonl"
want=$(grep '"cat":48' "$tmp/all.jsonl" | grep -c rho_nm)
"$bin" decode "$rec" --plots "$tmp/plots.csv" 2>/dev/null || { echo "FAIL: --plots exit"; fail=1; }
[ "$(($(wc -l <"$tmp/plots.csv") - 1))" -eq "$want" ] || { echo "FAIL: --plots wrote $(wc -l <"$tmp/plots.csv") lines, want $want + header"; fail=1; }
head -1 "$tmp/plots.csv" | grep -q "range_m" || { echo "FAIL: plots CSV has no header"; fail=1; }
awk -F, 'NR>2 && $1 < prev {bad=1} NR>1 {prev=$1} END {exit bad}' "$tmp/plots.csv" || { echo "FAIL: plots not in time order"; fail=1; }
cat >"$tmp/site.yaml" <<'YAML'
site:
  name: test
  reference: {lat_deg: 45.8, lon_deg: 16.0}
sensors:
  - name: r13
    sac: 25
    sic: 13
    position: {lat_deg: 45.7, lon_deg: 16.1, height_m: 300}
YAML
want13=$(grep '"cat":48' "$tmp/all.jsonl" | grep '"sic":13,' | grep -c rho_nm)
"$bin" decode "$rec" --plots "$tmp/p13.jsonl" --site "$tmp/site.yaml" 2>/dev/null || { echo "FAIL: --site exit"; fail=1; }
[ "$(wc -l <"$tmp/p13.jsonl")" -eq "$want13" ] && [ "$want13" -gt 0 ] || { echo "FAIL: --site kept $(wc -l <"$tmp/p13.jsonl") plots, want $want13"; fail=1; }
"$bin" decode "$shared/data/asterix/croatiacontrol-asterix/cat_062_065.pcap" --tracks "$tmp/t.csv" 2>/dev/null || { echo "FAIL: --tracks exit"; fail=1; }
[ "$(wc -l <"$tmp/t.csv")" -eq 3 ] || { echo "FAIL: --tracks wrote $(wc -l <"$tmp/t.csv") lines, want 2 + header"; fail=1; }

# Live UDP on 127.0.0.1: two datagrams in, two JSON records out, then --count stops it.
"$bin" decode --listen "127.0.0.1:0" --count 2 --seconds 20 --json >"$tmp/live.jsonl" 2>"$tmp/live.err" &
pid=$!
for _ in $(seq 50); do grep -q listening "$tmp/live.err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*listening on udp port \([0-9]*\).*/\1/p' "$tmp/live.err")
python3 - "$port" "$shared/data/asterix/croatiacontrol-asterix/cat048.raw" <<'PY'
import socket, sys, time
data = open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(2):
    s.sendto(data, ("127.0.0.1", int(sys.argv[1])))
    time.sleep(0.05)
PY
wait $pid || { echo "FAIL: --listen exit status"; cat "$tmp/live.err"; fail=1; }
[ "$(grep -c '"cat":48' "$tmp/live.jsonl")" -eq 2 ] || { echo "FAIL: --listen did not decode 2 records"; cat "$tmp/live.err" "$tmp/live.jsonl"; fail=1; }

# Usage errors: exit 2 with one line.
"$bin" decode >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: no FILE should exit 2"; fail=1; }
"$bin" decode /nonexistent/file.pcap >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: missing file should exit 2"; fail=1; }
"$bin" decode "$rec" --format xml >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: bad format should exit 2"; fail=1; }
"$bin" decode "$rec" --date 2020-1 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: bad date should exit 2"; fail=1; }
"$bin" decode "$rec" --bogus >/dev/null 2>"$tmp/err.txt"; [ $? -eq 2 ] || { echo "FAIL: unknown option should exit 2"; fail=1; }
[ "$(wc -l <"$tmp/err.txt")" -eq 1 ] || { echo "FAIL: unknown option message not one line"; fail=1; }
[ $fail -eq 0 ] && echo "cli_decode: all passed"
exit $fail

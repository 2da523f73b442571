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

# Live UDP on 127.0.0.1: two datagrams in, two JSON records out, then --count stops it.
port=$((40000 + $$ % 20000))
"$bin" decode --listen "127.0.0.1:$port" --count 2 --seconds 20 --json >"$tmp/live.jsonl" 2>"$tmp/live.err" &
pid=$!
for _ in $(seq 50); do grep -q listening "$tmp/live.err" 2>/dev/null && break; sleep 0.1; done
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

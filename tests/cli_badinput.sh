#!/usr/bin/env bash
# Bad input as an operator meets it, for simulate, decode, alerts, run and demo: unknown
# options, an option without its value, missing files, a directory or /dev/null given as a
# file, a YAML file with a typo or a unit we do not take, a truncated YAML, a pcap and a raw
# recording cut in half, an output that cannot be written. Each must give a clear message on
# stderr naming where (the file, and line or byte offset or key path when the file was read),
# and the right exit status: 2 for usage (including a file that cannot be opened), 1 for work
# that failed. A recording cut in half still yields every record before the cut.
# Args: lookout-binary source-dir [shared-dir]
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")   # absolute: commands run in $tmp
src=$(cd "$2" && pwd)
[ -x "$bin" ] || { echo "cli_badinput: no binary at $1"; exit 1; }
tmp=$(mktemp -d /tmp/cli_badinput.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
scenario="$src/scenarios/crossing.yaml"

# check STATUS WHAT COMMAND...: run, capture, compare the exit status.
check() {
  local want=$1 what=$2; shift 2
  (cd "$tmp" && timeout 20 "$@" >"$tmp/out" 2>"$tmp/err"); local got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; sed 's/^/  | /' "$tmp/err" | head -5; fail=1
  fi
}
# says WHAT TEXT...: every TEXT appears on stderr.
says() {
  local what=$1; shift
  for want in "$@"; do
    grep -qF -- "$want" "$tmp/err" || { echo "FAIL: $what: stderr lacks '$want':"; sed 's/^/  | /' "$tmp/err" | head -5; fail=1; }
  done
}
# lines WHAT N: stderr has exactly N lines.
lines() {
  local n; n=$(wc -l <"$tmp/err")
  [ "$n" -eq "$2" ] || { echo "FAIL: $1: stderr has $n lines, expected $2:"; sed 's/^/  | /' "$tmp/err" | head -8; fail=1; }
}

# ---- inputs --------------------------------------------------------------------------------
mkdir "$tmp/adir"
printf 'site:\n  name: x\n  referense: {lat_deg: 1, lon_deg: 2}\n' >"$tmp/typo.yaml"
printf 'site:\n  name: x\n  reference: {lat_deg: 1, lon_deg: 2}\nsensors:\n  - {name: r, sac: 1, sic: 1, max_range_nm: 10}\n' >"$tmp/unit.yaml"
# Cut inside a flow mapping: the parser reports where it ran out.
head -c 2000 "$scenario" >"$tmp/trunc.yaml"
"$bin" simulate "$scenario" --duration 20 --format asterix -o "$tmp/rec.pcap" 2>/dev/null
"$bin" simulate "$scenario" --duration 20 --format asterix -o "$tmp/rec.raw" 2>/dev/null
[ -s "$tmp/rec.pcap" ] && [ -s "$tmp/rec.raw" ] || { echo "FAIL: cannot make the test recordings"; exit 1; }
head -c $(( $(stat -c %s "$tmp/rec.pcap") / 2 )) "$tmp/rec.pcap" >"$tmp/half.pcap"
head -c $(( $(stat -c %s "$tmp/rec.raw") / 2 + 3 )) "$tmp/rec.raw" >"$tmp/half.raw"
head -c 10 "$tmp/rec.pcap" >"$tmp/header.pcap"

# ---- simulate ------------------------------------------------------------------------------
check 2 "simulate unknown option" "$bin" simulate --frobnicate "$scenario"
says "simulate unknown option" "unknown option '--frobnicate'"; lines "simulate unknown option" 1
check 2 "simulate --duration without value" "$bin" simulate "$scenario" --duration
says "simulate --duration without value" "'--duration' needs a value"; lines "simulate --duration without value" 1
check 2 "simulate bad --duration" "$bin" simulate "$scenario" --duration -5
says "simulate bad --duration" "--duration" "'-5'"
check 2 "simulate missing file" "$bin" simulate "$tmp/none.yaml"
says "simulate missing file" "$tmp/none.yaml" "No such file"; lines "simulate missing file" 1
check 2 "simulate directory" "$bin" simulate "$tmp/adir"
says "simulate directory" "$tmp/adir" "Is a directory"; lines "simulate directory" 1
check 1 "simulate /dev/null" "$bin" simulate /dev/null
says "simulate /dev/null" "/dev/null" "empty file"; lines "simulate /dev/null" 1
check 1 "simulate YAML typo" "$bin" simulate "$tmp/typo.yaml"
says "simulate YAML typo" "typo.yaml:3:" "site.referense: unknown key" "reference"
check 1 "simulate wrong unit" "$bin" simulate "$tmp/unit.yaml"
says "simulate wrong unit" "unit.yaml:5:" "sensors[0].max_range_nm" "max_range_m or max_range_km"
check 1 "simulate truncated YAML" "$bin" simulate "$tmp/trunc.yaml"
says "simulate truncated YAML" "trunc.yaml:" "YAML syntax"; lines "simulate truncated YAML" 1
check 1 "simulate unwritable output" "$bin" simulate "$scenario" --duration 1 -o "$tmp/nodir/p.csv"
says "simulate unwritable output" "$tmp/nodir/p.csv" "No such file"

# ---- decode --------------------------------------------------------------------------------
check 2 "decode unknown option" "$bin" decode --frobnicate "$tmp/rec.pcap"
says "decode unknown option" "unknown option '--frobnicate'"; lines "decode unknown option" 1
check 2 "decode --date without value" "$bin" decode "$tmp/rec.pcap" --date
says "decode --date without value" "'--date' needs a value"
check 2 "decode bad --count" "$bin" decode --listen 127.0.0.1:0 --count many
says "decode bad --count" "--count" "'many'"
check 2 "decode bad --seconds" "$bin" decode --listen 127.0.0.1:0 --seconds -1
says "decode bad --seconds" "--seconds" "'-1'"
check 2 "decode missing file" "$bin" decode "$tmp/none.pcap"
says "decode missing file" "$tmp/none.pcap" "No such file"; lines "decode missing file" 1
check 2 "decode directory" "$bin" decode "$tmp/adir"
says "decode directory" "$tmp/adir" "Is a directory"; lines "decode directory" 1
check 0 "decode /dev/null" "$bin" decode /dev/null
says "decode /dev/null" "/dev/null" "0 records"
check 1 "decode pcap header only" "$bin" decode "$tmp/header.pcap"
says "decode pcap header only" "header.pcap" "truncated"
# A pcap cut in half: the packet where it stops is named, everything before it is printed.
check 1 "decode half pcap" "$bin" decode "$tmp/half.pcap"
says "decode half pcap" "half.pcap" "packet" "truncated"
n_half=$(wc -l <"$tmp/out")
"$bin" decode "$tmp/rec.pcap" >"$tmp/full.txt" 2>/dev/null
n_full=$(wc -l <"$tmp/full.txt")
if ! [ "$n_half" -gt 0 ] || ! [ "$n_half" -lt "$n_full" ]; then
  echo "FAIL: half pcap printed $n_half records (whole file: $n_full)"; fail=1
elif ! head -n "$n_half" "$tmp/full.txt" | cmp -s - "$tmp/out"; then
  echo "FAIL: the records before the cut differ from the whole file's"; fail=1
fi
# A raw recording cut in half: the byte offset of the broken block is named.
check 1 "decode half raw" "$bin" decode "$tmp/half.raw"
says "decode half raw" "half.raw: byte " "length"
[ "$(wc -l <"$tmp/out")" -gt 0 ] || { echo "FAIL: half raw printed nothing before the cut"; fail=1; }

# ---- alerts --------------------------------------------------------------------------------
check 2 "alerts directory" "$bin" alerts --db "$tmp/adir"
says "alerts directory" "$tmp/adir" "Is a directory"; lines "alerts directory" 1
check 2 "alerts --db without value" "$bin" alerts --db
says "alerts --db without value" "'--db' needs a value"
check 1 "alerts /dev/null" "$bin" alerts --db /dev/null
says "alerts /dev/null" "/dev/null" "not a lookout alert journal"; lines "alerts /dev/null" 1
"$bin" run -c "$scenario" --duration 60 --db "$tmp/j.sqlite" --quiet 2>/dev/null
head -c $(( $(stat -c %s "$tmp/j.sqlite") / 2 )) "$tmp/j.sqlite" >"$tmp/half.sqlite"
check 1 "alerts truncated journal" "$bin" alerts --db "$tmp/half.sqlite"
says "alerts truncated journal" "half.sqlite"; lines "alerts truncated journal" 1

# ---- run -----------------------------------------------------------------------------------
check 2 "run unknown option" "$bin" run -c "$scenario" --frobnicate
says "run unknown option" "unknown option '--frobnicate'"; lines "run unknown option" 1
check 2 "run without scenario" "$bin" run
says "run without scenario" "-c SCENARIO.yaml"
check 2 "run missing file" "$bin" run -c "$tmp/none.yaml"
says "run missing file" "$tmp/none.yaml" "No such file"; lines "run missing file" 1
check 2 "run directory" "$bin" run -c "$tmp/adir"
says "run directory" "$tmp/adir" "Is a directory"; lines "run directory" 1
check 1 "run YAML typo" "$bin" run -c "$tmp/typo.yaml" --db "$tmp/r.sqlite"
says "run YAML typo" "typo.yaml:3:" "site.referense"
check 1 "run unwritable journal" "$bin" run -c "$scenario" --duration 1 --db "$tmp/nodir/j.sqlite"
says "run unwritable journal" "$tmp/nodir/j.sqlite"; lines "run unwritable journal" 1
check 1 "run journal that is not one" "$bin" run -c "$scenario" --duration 1 --db "$tmp/typo.yaml"
says "run journal that is not one" "typo.yaml" "not a database"
check 1 "run unwritable tracks" "$bin" run -c "$scenario" --duration 1 --db "$tmp/r.sqlite" --tracks "$tmp/nodir/t.csv"
says "run unwritable tracks" "$tmp/nodir/t.csv" "No such file"; lines "run unwritable tracks" 1

# ---- demo (refused before the display starts) ---------------------------------------------
check 2 "demo unknown option" "$bin" demo --frobnicate
says "demo unknown option" "unknown option '--frobnicate'"; lines "demo unknown option" 1
check 2 "demo bad --port" "$bin" demo --port 99999
says "demo bad --port" "--port" "99999"
check 2 "demo missing scenario" "$bin" demo --scenario "$tmp/none.yaml" --port 0
says "demo missing scenario" "$tmp/none.yaml" "No such file"; lines "demo missing scenario" 1
check 2 "demo directory" "$bin" demo --scenario "$tmp/adir" --port 0
says "demo directory" "$tmp/adir" "Is a directory"; lines "demo directory" 1
check 1 "demo YAML typo" "$bin" demo --scenario "$tmp/typo.yaml" --port 0 --db "$tmp/d.sqlite"
says "demo YAML typo" "typo.yaml:3:" "site.referense"

[ $fail -eq 0 ] && echo "cli_badinput: all passed"
exit $fail

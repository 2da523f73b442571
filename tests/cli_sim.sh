#!/usr/bin/env bash
# lookout simulate as a user runs it: help, usage errors, output files, the summary, same seed
# -> same bytes, pacing with --speed, and a bad scenario named by key path and line.
# Args: lookout-binary source-dir shared-dir
set -u
bin=$1
src=$2
tmp=$(mktemp -d /tmp/cli_sim.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

"$bin" simulate --help >"$tmp/out" 2>&1 || bad "--help exit $?"
grep -q "^Usage: lookout simulate" "$tmp/out" || bad "--help prints no usage"

"$bin" simulate >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "no scenario: exit $rc, expected 2"
"$bin" simulate /nonexistent.yaml 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "missing file: exit $rc, expected 2"
[ "$(wc -l <"$tmp/err")" -eq 1 ] || bad "missing file: not one line"
"$bin" simulate "$src/scenarios/green-zone.yaml" --frobnicate 2>"$tmp/err"; rc=$?
[ $rc -eq 2 ] || bad "unknown option: exit $rc"
grep -q "frobnicate" "$tmp/err" || bad "unknown option not named"
"$bin" simulate "$src/scenarios/green-zone.yaml" --format asterix 2>"$tmp/err" >/dev/null; rc=$?
[ $rc -eq 2 ] || bad "--format asterix to standard output: exit $rc, expected 2"
grep -q "needs -o" "$tmp/err" || bad "--format asterix to standard output: no clear message"

# ASTERIX: CAT048 in a pcap; lookout decode reads back the same plots as the CSV run gives.
"$bin" simulate "$src/scenarios/green-zone.yaml" --duration 30 --format asterix -o "$tmp/g.pcap" 2>/dev/null \
  || bad "--format asterix run failed"
"$bin" simulate "$src/scenarios/green-zone.yaml" --duration 30 -o "$tmp/g.csv" 2>/dev/null || bad "csv run failed"
"$bin" decode "$tmp/g.pcap" --site "$src/scenarios/green-zone.yaml" --plots "$tmp/gd.csv" 2>/dev/null \
  || bad "lookout decode of the simulated pcap failed"
[ "$(wc -l <"$tmp/g.csv")" -gt 100 ] || bad "too few plots in 30 s"
[ "$(wc -l <"$tmp/g.csv")" -eq "$(wc -l <"$tmp/gd.csv")" ] || bad "ASTERIX round trip: plot counts differ"
# The same truth ids (the SP field carries them; times are on the 1/128 s ASTERIX grid, so
# plots within one tick may come back in another order).
tid() { awk -F, 'NR==1{for(i=1;i<=NF;i++) if($i=="truth_id") c=i; next} {print $c}' "$1"; }
[ "$(tid "$tmp/g.csv" | sort | md5sum)" = "$(tid "$tmp/gd.csv" | sort | md5sum)" ] || bad "ASTERIX round trip: truth ids differ"

# Two runs with the same seed give the same bytes; another seed does not.
run() { "$bin" simulate "$src/scenarios/green-zone.yaml" --duration 240 "$@"; }
run -o "$tmp/p1.csv" --truth "$tmp/t1.csv" 2>"$tmp/sum1" || bad "run 1 failed"
run -o "$tmp/p2.csv" --truth "$tmp/t2.csv" 2>/dev/null || bad "run 2 failed"
run -o "$tmp/p3.csv" --seed 99 2>/dev/null || bad "run 3 failed"
cmp -s "$tmp/p1.csv" "$tmp/p2.csv" || bad "same seed, different plots"
cmp -s "$tmp/t1.csv" "$tmp/t2.csv" || bad "same seed, different truth"
cmp -s "$tmp/p1.csv" "$tmp/p3.csv" && bad "another seed, same plots"
head -1 "$tmp/p1.csv" | grep -q "range_m" || bad "plots CSV has no header with range_m"
head -1 "$tmp/t1.csv" | grep -q "truth_id" || bad "truth CSV has no header with truth_id"
# Rockets at t=200 s and drones from t=120 s are in the truth with their classes.
grep -q ",rocket," "$tmp/t1.csv" || bad "no rocket in the truth"
grep -q ",fixed_wing," "$tmp/t1.csv" || bad "no fixed-wing drone in the truth"
for w in "plots" "false alarms" "thermal" "detections by class" "bird"; do
  grep -q "$w" "$tmp/sum1" || bad "summary lacks '$w'"
done
n=$(($(wc -l <"$tmp/p1.csv") - 1))
grep -q "plots $n:" "$tmp/sum1" || bad "summary plot count is not the file's ($n)"

# JSON lines by file name; plots to standard output by default.
run --duration 10 -o "$tmp/p.jsonl" 2>/dev/null || bad "jsonl run failed"
head -1 "$tmp/p.jsonl" | grep -q '^{' || bad "*.jsonl output is not JSON lines"
"$bin" simulate "$src/scenarios/green-zone.yaml" --duration 5 2>/dev/null | head -1 | grep -q "range_m" \
  || bad "no CSV on standard output"

# --speed paces the output: 2 simulated seconds at 4x take at least half a second.
start=$(date +%s%N)
"$bin" simulate "$src/scenarios/green-zone.yaml" --duration 2 --speed 4 -o "$tmp/s.csv" 2>/dev/null || bad "--speed run failed"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$elapsed_ms" -ge 400 ] || bad "--speed 4 ran 2 s of scenario in ${elapsed_ms} ms"

# A bad scenario: exit 1, the key path and the line.
sed 's/speed_mps: \[35, 45\], flight/XX/; s/  - {kind: fixed_wing, name: drone-fw-1, start_s: 120, speed_mps: \[35, 45\],/  - {kind: fixed_wing, name: drone-fw-1, start_s: 120, speed_mps: fast,/' \
  "$src/scenarios/green-zone.yaml" >"$tmp/bad.yaml"
line=$(grep -n "speed_mps: fast" "$tmp/bad.yaml" | cut -d: -f1)
[ -n "$line" ] || bad "could not make the bad scenario"
"$bin" simulate "$tmp/bad.yaml" -o "$tmp/b.csv" 2>"$tmp/err"; rc=$?
[ $rc -eq 1 ] || bad "bad scenario: exit $rc, expected 1"
grep -q "bad.yaml:$line:.*targets\[7\].speed_mps" "$tmp/err" || { bad "bad scenario: no key path and line"; cat "$tmp/err"; }

[ $fail -eq 0 ] && echo "cli_sim: all passed"
exit $fail

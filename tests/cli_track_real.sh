#!/usr/bin/env bash
# The tracker on real trajectories (scenarios/real-trajectories.yaml: ADS-B, UAV and rocket
# logs from ../shared replayed through the simulator's radar): the confirmed tracks' position
# RMS against truth must be below the plots' own position noise (the RMS over the detected
# plots of sqrt(sigma_range^2 + (r sigma_az)^2 + (r sigma_el)^2)), and the tracks pure.
# Skips (77) without ../shared. Args: lookout-binary source-dir shared-dir
set -u
bin=$1 src=$2 shared=${LOOKOUT_SHARED_DIR:-$3}
[ -d "$shared/data/trajectories" ] ||
  { echo "SKIP: $shared/data/trajectories not found (the real recordings are not here)"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export LOOKOUT_SHARED_DIR=$shared
"$bin" simulate "$src/scenarios/real-trajectories.yaml" -o "$dir/p.csv" --truth "$dir/t.csv" 2>/dev/null &&
  "$bin" track -c "$src/scenarios/real-trajectories.yaml" -i "$dir/p.csv" -o "$dir/k.csv" 2>/dev/null &&
  "$bin" eval --truth "$dir/t.csv" --tracks "$dir/k.csv" --plots "$dir/p.csv" --json >"$dir/e.json" ||
  { echo "FAIL: simulate, track or eval"; exit 1; }
noise=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; next }
  $h["truth_id"] != "" { r = $h["range_m"]; d = 0.017453292519943295
    a = r * $h["sigma_azimuth_deg"] * d; e = r * $h["sigma_elevation_deg"] * d
    s += $h["sigma_range_m"] ^ 2 + a * a + e * e; n++ }
  END { if (n) printf "%.2f", sqrt(s / n) }' "$dir/p.csv")
rms=$(jq .summary.pos_rms_m "$dir/e.json") purity=$(jq .summary.purity_mean "$dir/e.json")
echo "real trajectories: confirmed-track position RMS $rms m, plot noise RMS $noise m, purity $purity"
fail=0
[ -n "$noise" ] && awk -v a="$rms" -v b="$noise" 'BEGIN { exit !(a > 0 && a < b) }' ||
  { echo "FAIL: position RMS $rms not below the plot noise $noise"; fail=1; }
awk -v p="$purity" 'BEGIN { exit !(p >= 0.99) }' || { echo "FAIL: purity $purity"; fail=1; }
[ $fail -eq 0 ] && echo "cli_track_real: all passed"
exit $fail

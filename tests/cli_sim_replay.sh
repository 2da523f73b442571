#!/usr/bin/env bash
# lookout simulate on scenarios/real-trajectories.yaml: real ADS-B, UAV and rocket tracks from
# ../shared replayed through the radar model. Skips (77) without ../shared.
# Args: lookout-binary source-dir shared-dir
set -u
bin=$1
src=$2
shared=${LOOKOUT_SHARED_DIR:-$3}
if [ ! -d "$shared/data/trajectories" ]; then
  echo "SKIP: $shared/data/trajectories not found (the real recordings are not here)"
  exit 77
fi
tmp=$(mktemp -d /tmp/cli_sim_replay.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }
LOOKOUT_SHARED_DIR=$shared "$bin" simulate "$src/scenarios/real-trajectories.yaml" --duration 200 \
  -o "$tmp/p.csv" --truth "$tmp/t.csv" 2>"$tmp/err" || { bad "run failed"; cat "$tmp/err"; }
for c in helicopter light_aircraft airliner fixed_wing rocket; do
  grep -q ",$c," "$tmp/t.csv" || bad "no $c in the truth"
done
grep -q "truth: 6 objects" "$tmp/err" || bad "summary does not count 6 replayed objects"
# Every replayed object is seen by the radar (truth ids 1-6 appear in the plots).
for id in 1 2 3 4 5 6; do
  awk -F, -v id=$id 'NR==1{for(i=1;i<=NF;i++) if($i=="truth_id") c=i; next} $c==id{found=1} END{exit !found}' \
    "$tmp/p.csv" || bad "truth id $id never detected"
done
[ $fail -eq 0 ] && echo "cli_sim_replay: all passed"
exit $fail

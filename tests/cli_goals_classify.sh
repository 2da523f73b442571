#!/usr/bin/env bash
# Issue 5's classification goals on held-out seeds (never used for training or for choosing
# the model: scripts/train-classifier.sh), through the real binary: `lookout run` (simulator,
# tracker, built-in classifier) then `lookout eval --json` (confusion matrices at track ages
# 5/10/30 s, time from confirmation to the right class).
#
# Asserted (goals met, docs/classification.md):
#   - drone vs bird right for >= 95% of confirmed tracks at 10 s of track age, birds-vs-drones
#     seeds 11 and 12 pooled (truth drone or bird; right = the argmax class's group);
#   - and no class swept under the rug: fixed-wing drones >= 80%, birds >= 97% at 10 s,
#     multirotors >= 80% (they are what the 95% hides, and what the plots' Doppler spread,
#     the rotors' micro-Doppler, finds: see the docs). Floors sit under what is measured by a
#     margin of the sample size: 18 fixed-wing tracks (one track is 5.5%), 34 multirotor
#     tracks (one is 3%), so a tracker change that moves one track does not fail the test
#     while a real regression does (measured with classifier-v5: 15/18 and 32/34; without the
#     Doppler spread, v4: 15-17/18 and 6-10/34);
#   - rockets/mortars (rocket-salvo seeds 6, 7): every confirmed rocket track called rocket
#     within 3 scans (3 s) + one evaluation cadence (0.5 s) of confirmation (26 of 26 with
#     classifier-v4 and v5, whose vertical-rate gate rules out an airliner climbing at 45 m/s);
#   - the same birds-vs-drones seeds with a radar that does not measure the Doppler spread
#     (the scenario without `doppler_spread: true`): the pipeline judges such tracks with the
#     built-in model trained without it (classifier-v4), which finds 8 of 34 multirotors at
#     10 s where classifier-v5 alone finds none: asserted >= 4, and drone vs bird >= 95%;
#   - aircraft (airliner, helicopter) right at 10 s for >= 99% of the confirmed tracks,
#     green-zone seeds 6-8 pooled (6 of 6 with classifier-v4 and v5, its RCS from the radar equation
#     telling a 3-10 m^2 helicopter from a 0.05-0.5 m^2 fixed-wing drone).
# About 40 s on one core of a 2-core VM: label nosan.
set -u
bin=$1
src=$2
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read the JSON"; exit 77; }
tmp=$(mktemp -d /tmp/cli_goals_classify.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
run() { # scenario seed [scenario file]
  local d=$tmp/$1-$2 cfg=${3:-$src/scenarios/$1.yaml}
  mkdir -p "$d"
  "$bin" run -c "$cfg" --seed "$2" --db "$d/j.sqlite" --quiet \
    --tracks "$d/t.csv" --truth "$d/g.csv" --plots "$d/p.csv" 2>"$d/run.err" \
    || { echo "FAIL: lookout run $1 seed $2"; cat "$d/run.err"; exit 1; }
  "$bin" eval --truth "$d/g.csv" --tracks "$d/t.csv" --plots "$d/p.csv" \
    --site "$cfg" --alerts "$d/j.sqlite" --json >"$d/eval.json" 2>"$d/eval.err" \
    || { echo "FAIL: lookout eval $1 seed $2"; cat "$d/eval.err"; exit 1; }
}
for s in 11 12; do run birds-vs-drones $s; done
sed 's/, doppler_spread: true//' "$src/scenarios/birds-vs-drones.yaml" >"$tmp/no-spread.yaml"
grep -q doppler_spread "$tmp/no-spread.yaml" && { echo "FAIL: could not take doppler_spread out"; exit 1; }
for s in 11 12; do run no-spread-bvd $s "$tmp/no-spread.yaml"; done
for s in 6 7; do run rocket-salvo $s; done
for s in 6 7 8; do run green-zone $s; done

python3 - "$tmp" <<'PY'
import json, sys, glob, os
tmp = sys.argv[1]
group = {"multirotor": "drone", "fixed_wing": "drone", "bird": "bird", "airliner": "aircraft",
         "helicopter": "aircraft", "light_aircraft": "aircraft", "rocket": "rocket",
         "ground_vehicle": "vehicle", "clutter": "clutter", "unknown": "unknown"}
def load(pattern):
    return [json.load(open(p))["warnings"] for p in sorted(glob.glob(os.path.join(tmp, pattern, "eval.json")))]
def pooled(ws, age_s):
    m = {}
    for w in ws:
        for a in w["confusion"]:
            if a["age_s"] != age_s: continue
            for t, row in a["matrix"].items():
                for p, n in row.items():
                    m.setdefault(t, {}).setdefault(p, 0)
                    m[t][p] += n
    return m
fail = False
def check(ok, text, asserted=True):
    global fail
    tag = "ok  " if ok else ("FAIL" if asserted else "NOT MET (not asserted)")
    print(f"{tag} {text}")
    if asserted and not ok: fail = True

def group_right(m, groups):
    """Tracks whose truth is in `groups`, and those called a class of the truth's group."""
    n = right = 0
    for t, row in m.items():
        if group[t] not in groups: continue
        for p, k in row.items():
            n += k
            right += k if group[p] == group[t] else 0
    return n, right

bvd = load("birds-vs-drones-*")
for age in (5, 10, 30):
    m = pooled(bvd, age)
    n, right = group_right(m, ("drone", "bird"))
    rec = {t: (row.get(t, 0), sum(row.values())) for t, row in m.items()}
    print(f"birds-vs-drones 11-12, age {age} s: drone vs bird {right}/{n} = {100*right/n:.1f}%; per class right/tracks {rec}")
    if age == 10:
        for t in ("multirotor", "fixed_wing", "bird"):
            print(f"    {t:12s} -> {m.get(t, {})}")
        check(right >= 0.95 * n, f"drone vs bird at 10 s: {100*right/n:.1f}% >= 95%")
        for cls, floor in (("fixed_wing", 0.80), ("bird", 0.97), ("multirotor", 0.80)):
            r, k = rec.get(cls, (0, 0))
            check(k > 0 and r >= floor * k, f"{cls} at 10 s: {r}/{k} >= {100*floor:.0f}%")

ns = load("no-spread-bvd-*")
m = pooled(ns, 10)
n, right = group_right(m, ("drone", "bird"))
r, k = m.get("multirotor", {}).get("multirotor", 0), sum(m.get("multirotor", {}).values())
print(f"birds-vs-drones 11-12 without Doppler spread, age 10 s: drone vs bird {right}/{n}; multirotor {m.get('multirotor', {})}")
check(n > 0 and right >= 0.95 * n, f"without Doppler spread, drone vs bird at 10 s: {100*right/max(n,1):.1f}% >= 95%")
check(r >= 4, f"without Doppler spread, multirotors at 10 s: {r}/{k} >= 4 (the fallback model)")

gz = load("green-zone-*")
m = pooled(gz, 10)
n, right = group_right(m, ("aircraft",))
print(f"green-zone 6-8, age 10 s: aircraft (airliner, helicopter) {right}/{n}; matrix rows {{t: m[t] for t in m if group[t] == 'aircraft'}} = { {t: m[t] for t in m if group[t] == 'aircraft'} }")
check(n > 0 and right >= 0.99 * n, f"aircraft at 10 s: {right}/{n} >= 99%")

rs = load("rocket-salvo-*")
n = within = 0
for w in rs:
    d = w["time_to_class"]["rocket"]
    n += d["tracks"]
    within += sum(1 for a in d["ages_s"] if a <= 3.5)
    print(f"rocket-salvo: rocket tracks {d['tracks']}, called rocket {d['classified']} at ages {d['ages_s']} s")
check(within >= 0.85 * n, f"rockets called rocket within 3 scans (+0.5 s cadence) of confirmation: {within}/{n} >= 85%")
check(within == n, f"every rocket track within 3 scans: {within}/{n}")
sys.exit(1 if fail else 0)
PY

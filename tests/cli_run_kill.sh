#!/usr/bin/env bash
# Killing `lookout run` at any moment loses no alert that was published (issue 5): the real
# binary runs green-zone with --json (each alert transition is printed only after the journal
# made it durable), is killed with SIGKILL at a random moment, several times on the same
# journal (each restart recovers the WAL the kill left and continues the alert ids); then
# every complete alert line any round printed must be in the journal (`lookout alerts --json`),
# matched on alert id, transition, level and time.
set -u
bin=$1
src=$2
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to compare the JSON lines"; exit 77; }
tmp=$(mktemp -d /tmp/cli_run_kill.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
db=$tmp/journal.sqlite
rounds=6
RANDOM=$$ # a different schedule each run; the seed is printed for a failure's reproduction
echo "kill schedule seed $$"
# How long a whole run takes here (release, ASan, a loaded machine): the kills fall inside it.
t0=$(date +%s%N)
"$bin" run -c "$src/scenarios/green-zone.yaml" --db "$tmp/timing.sqlite" --quiet 2>/dev/null \
  || { echo "FAIL: lookout run green-zone"; exit 1; }
whole_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "a whole run takes ${whole_ms} ms"
for i in $(seq 1 $rounds); do
  "$bin" run -c "$src/scenarios/green-zone.yaml" --db "$db" --json >"$tmp/out.$i" 2>"$tmp/err.$i" &
  pid=$!
  # Somewhere between 5% and 90% of a whole run.
  delay_ms=$(( whole_ms * (5 + RANDOM % 86) / 100 ))
  delay=$(printf '%d.%03d' $((delay_ms / 1000)) $((delay_ms % 1000)))
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  echo "round $i: killed after $delay s, $(wc -l <"$tmp/out.$i") lines printed"
done
# One more round that runs to its end: the journal must still open and take more.
"$bin" run -c "$src/scenarios/green-zone.yaml" --db "$db" --json --duration 60 >"$tmp/out.last" 2>"$tmp/err.last" \
  || { echo "FAIL: the run after the kills failed:"; cat "$tmp/err.last"; fail=1; }

"$bin" alerts --db "$db" --json >"$tmp/journal.jsonl" 2>"$tmp/alerts.err" \
  || { echo "FAIL: lookout alerts on the killed journal:"; cat "$tmp/alerts.err"; exit 1; }

python3 - "$tmp/journal.jsonl" "$tmp"/out.* <<'PY' || fail=1
import json, sys
def key(o):
    return (o["alert_id"], o["transition"], o["level"], round(o["t"], 6))
stored = set()
for line in open(sys.argv[1]):
    stored.add(key(json.loads(line)))
printed = missing = partial = 0
for path in sys.argv[2:]:
    data = open(path).read()
    lines = data.split("\n")
    # A line without its newline was cut by the kill while being written: never published.
    if lines and lines[-1] != "":
        partial += 1
    for line in lines[:-1]:
        if not line.startswith("{"):
            continue
        printed += 1
        if key(json.loads(line)) not in stored:
            missing += 1
            print("FAIL: printed but not in the journal:", line[:200])
ids = [k[0] for k in stored]
print(f"{printed} alert lines printed, {len(stored)} transitions in the journal, "
      f"{missing} missing, {partial} cut lines")
if printed < 20:
    print("FAIL: too few alerts printed for the test to mean anything"); sys.exit(1)
if missing:
    sys.exit(1)
PY
exit $fail

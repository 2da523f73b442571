#!/usr/bin/env bash
# lookout eval --alerts: the journal and the JSON lines `lookout run --json` printed give the
# same warning figures; a bad alert line is reported with file and line and skipped; --alerts
# without --truth is a usage error. (The figures themselves: test_eval_warn.c, by hand.)
set -u
bin=$1
src=$2
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to compare the JSON"; exit 77; }
tmp=$(mktemp -d /tmp/cli_eval_warn.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
site=$src/scenarios/green-zone.yaml
"$bin" run -c "$site" --duration 330 --db "$tmp/j.sqlite" --json --tracks "$tmp/t.csv" \
  --truth "$tmp/g.csv" --plots "$tmp/p.csv" >"$tmp/alerts.jsonl" 2>"$tmp/run.err" \
  || { echo "FAIL: lookout run"; cat "$tmp/run.err"; exit 1; }
common=(--truth "$tmp/g.csv" --tracks "$tmp/t.csv" --plots "$tmp/p.csv" --site "$site" --json)
"$bin" eval "${common[@]}" --alerts "$tmp/j.sqlite" >"$tmp/a.json" 2>"$tmp/a.err" || { echo "FAIL: eval --alerts journal"; cat "$tmp/a.err"; fail=1; }
{ cat "$tmp/alerts.jsonl"; echo '{"alert_id": 1, "level": "loud"}'; } >"$tmp/bad.jsonl"
"$bin" eval "${common[@]}" --alerts "$tmp/bad.jsonl" >"$tmp/b.json" 2>"$tmp/b.err" || { echo "FAIL: eval --alerts jsonl"; cat "$tmp/b.err"; fail=1; }
n=$(wc -l <"$tmp/alerts.jsonl")
grep -q "bad.jsonl:$((n + 1)): error: alert" "$tmp/b.err" || { echo "FAIL: bad line not reported with its number:"; cat "$tmp/b.err"; fail=1; }
python3 - "$tmp/a.json" "$tmp/b.json" <<'PY' || fail=1
import json, sys
a = json.load(open(sys.argv[1]))["warnings"]
b = json.load(open(sys.argv[2]))["warnings"]
if a != b:
    print("FAIL: journal and JSON lines give different warning figures"); sys.exit(1)
s = a["summary"]
print("warning summary:", s)
if s["alerts"] < 10 or s["threats"] < 1 or not a["confusion"][1]["tracks"]:
    print("FAIL: too little in the run for the comparison to mean anything"); sys.exit(1)
PY
"$bin" eval --tracks "$tmp/t.csv" --alerts "$tmp/j.sqlite" >/dev/null 2>"$tmp/u.err"; st=$?
[ $st -eq 2 ] && [ "$(wc -l <"$tmp/u.err")" -eq 1 ] || { echo "FAIL: --alerts without --truth: exit $st"; cat "$tmp/u.err"; fail=1; }
"$bin" eval --help | grep -q -- "--alerts FILE" || { echo "FAIL: --help does not list --alerts"; fail=1; }
exit $fail

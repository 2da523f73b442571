#!/usr/bin/env bash
# lookout eval on the small truth/track pair in tests/data, whose GOSPA was computed by hand
# (c = 100 m, p = 2, alpha = 2, reports up to 2 s old; the full working is in
# tests/test_eval.c, test_eval_small_scenario):
#   t=1000: truth 1 missed (c^2/2 = 5000), truth 2 - track 11 at 50 m (2500):  sqrt(7500) = 86.6025
#   t=1001: truth 1 - track 7 at 5 m (25), truth 2 - track 8 at 10 m (100),
#           track 10 false (5000):                                           sqrt(5125) = 71.5891
#   t=1002: the same:                                                        sqrt(5125) = 71.5891
#   mean (86.6025 + 71.5891 + 71.5891) / 3 = 76.5936 m
# With --max-age 1, track 8 (1.5 s old at t=1002) drops out; truth 2 and false track 10 pair
# beyond the cut-off (c^2 = 10000) + 25: sqrt(10025) = 100.1249; mean 86.1055 m.
set -u
bin=$1
src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail=0
truth=$src/tests/data/eval_truth.csv
tracks=$src/tests/data/eval_tracks.csv
die() { echo "FAIL: $*"; fail=1; }

"$bin" eval --truth "$truth" --tracks "$tracks" --max-age 2 >"$out/table" 2>"$out/err" || die "eval exit $?"
grep -Eq "^  mean +76\.59 m" "$out/table" || { die "table lacks GOSPA mean 76.59 m"; cat "$out/table"; }
grep -Eq "position RMS +23\.45 m" "$out/table" || die "table lacks position RMS 23.45 m"
grep -Eq "false tracks +1 " "$out/table" || die "table lacks 1 false track"
[ -s "$out/err" ] && { die "eval wrote to stderr"; cat "$out/err"; }

"$bin" eval --truth "$truth" --tracks "$tracks" --max-age 2 --json >"$out/json" || die "eval --json exit $?"
grep -Eq '"gospa_mean_m": 76\.593583' "$out/json" || { die "json lacks gospa_mean_m 76.5936"; grep gospa_mean "$out/json"; }
grep -Eq '"gospa_m": 86\.60254' "$out/json" || die "json lacks step GOSPA 86.6025"
[ "$(grep -c '"gospa_m": 71\.58910' "$out/json")" -eq 2 ] || die "json lacks two steps at 71.5891"

"$bin" eval --truth "$truth" --tracks "$tracks" --max-age 1 --json >"$out/json1" || die "eval --max-age 1 exit $?"
grep -Eq '"gospa_mean_m": 86\.10552' "$out/json1" || die "--max-age 1: mean is not 86.1055"

# The default max age (twice the median report interval) is 2 s here: same mean.
"$bin" eval --truth "$truth" --tracks "$tracks" | grep -Eq "^  mean +76\.59 m" || die "default max age changes the result"

# With plots, first detection is the first plot of each object: truth 1 at 999.0 -> latency
# 1000.5 - 999.0 = 1.5 s; truth 2 at 1000.0 -> 0 s; mean 0.75 s. GOSPA is unchanged.
"$bin" eval --truth "$truth" --tracks "$tracks" --plots "$src/tests/data/eval_plots.csv" >"$out/tp" || die "eval --plots exit $?"
grep -Eq "latency to confirm +0\.75 s +mean, 1\.50 s max" "$out/tp" || { die "--plots: latency is not 0.75/1.50 s"; grep latency "$out/tp"; }
grep -Eq "^  mean +76\.59 m" "$out/tp" || die "--plots changed GOSPA"

# With a site (tests/data/eval_site.yaml: coverage 5..600 m), truth 1 is detectable from its
# first sample (latency 0.5 s) and truth 2, 1000 m out, never: 1 of 2 objects has a latency.
"$bin" eval --truth "$truth" --tracks "$tracks" --site "$src/tests/data/eval_site.yaml" >"$out/ts" || die "eval --site exit $?"
grep -Eq "latency to confirm +0\.50 s +mean, 0\.50 s max \(1 of 2 objects tracked\)" "$out/ts" || { die "--site: latency is not 0.5 s for 1 of 2"; grep latency "$out/ts"; }
check_site_missing() { "$bin" eval --tracks "$tracks" --site /nonexistent/site.yaml >/dev/null 2>&1; }
check_site_missing; [ $? -eq 2 ] || die "missing site file: exit is not 2"

# JSON lines input gives the same result.
"$bin" eval --truth "$truth" --tracks "${tracks%.csv}.jsonl" | grep -Eq "^  mean +76\.59 m" || die "JSON lines tracks give another result"

"$bin" eval --truth "$truth" --tracks "$tracks" --plot "$out/eval.svg" >/dev/null || die "eval --plot exit $?"
grep -q "</svg>" "$out/eval.svg" || die "svg not complete"
[ "$(grep -c "<polyline" "$out/eval.svg")" -ge 6 ] || die "svg lacks truth/track/GOSPA lines"
grep -q "track 10" "$out/eval.svg" || die "svg legend lacks track 10"

# Usage errors: one line on stderr, exit 2.
check_usage() { # description args...
  local what=$1; shift
  "$bin" eval "$@" >/dev/null 2>"$out/uerr"; local rc=$?
  [ $rc -eq 2 ] || die "$what: exit $rc, expected 2"
  [ "$(wc -l <"$out/uerr")" -eq 1 ] || { die "$what: not one line on stderr"; cat "$out/uerr"; }
}
check_usage "unknown option" --tracks "$tracks" --frobnicate
check_usage "missing file" --truth /nonexistent/truth.csv --tracks "$tracks"
check_usage "missing --tracks" --truth "$truth"
check_usage "bad cutoff" --tracks "$tracks" --cutoff -3
check_usage "bad alpha" --tracks "$tracks" --alpha 3
check_usage "missing value" --tracks
grep -q "nonexistent" <("$bin" eval --truth /nonexistent/truth.csv --tracks "$tracks" 2>&1) || die "missing file not named"
"$bin" eval --help | grep -q "^Usage: lookout eval" || die "--help prints no usage"

# A file with a bad record: reported with line and field, skipped, exit 0.
sed 's/^1001\.5,7,confirmed,18,/1001.5,7,confirmed,eighteen,/' "$tracks" >"$out/bad.csv"
"$bin" eval --truth "$truth" --tracks "$out/bad.csv" >/dev/null 2>"$out/berr" || die "bad record made eval fail"
grep -q "bad.csv:9:4: error: x_m" "$out/berr" || { die "bad record not reported with line/column/field"; cat "$out/berr"; }

[ $fail -eq 0 ] && echo "cli_eval: all passed"
exit $fail

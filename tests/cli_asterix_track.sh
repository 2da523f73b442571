#!/usr/bin/env bash
# Issue 6: a simulated scenario written as CAT048 (pcap and raw) and tracked from it gives the
# same tracks as tracked from the CSV plots of the same run.
#
# `lookout simulate` writes every plot at the CAT048 wire resolution in every format
# (lo_cat048_wire_plot), the CSV plot writer prints numbers that read back to the same bits
# (angles through long double), and the recording reader keeps plots of equal time in recorded
# order. So "the same" is taken literally: the track files are byte for byte equal, for a
# one-radar scenario (green-zone) and a two-radar one (two-sites/region). A control shows the
# check has teeth: nudging one plot's range by a tenth of a millimetre changes the tracks.
# Also: `track --format asterix` writes CAT062 that `lookout decode` reads back, one record per
# track report.
# Args: lookout-binary source-dir shared-dir.
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
tmp=$(mktemp -d /tmp/cli_asterix_track.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail=0
scen=$src/scenarios/green-zone.yaml
cd "$tmp" || exit 1

# same_tracks NAME SCENARIO DURATION: CSV, pcap and raw recordings of one run tracked alike.
same_tracks() {
    local name=$1 sc=$2 dur=$3
    "$bin" simulate "$sc" --duration "$dur" -o "$name.csv" 2>/dev/null || { echo "FAIL: $name: simulate csv"; return 1; }
    "$bin" simulate "$sc" --duration "$dur" --format asterix -o "$name.pcap" 2>/dev/null ||
        { echo "FAIL: $name: simulate asterix pcap"; return 1; }
    "$bin" simulate "$sc" --duration "$dur" --format asterix -o "$name.ast" 2>/dev/null ||
        { echo "FAIL: $name: simulate asterix raw"; return 1; }
    # A raw recording has no dates: the scenario's start date resolves its times of day.
    local date
    date=$(sed -n 's/^ *start: *\([0-9]\{4\}-[0-9][0-9]-[0-9][0-9]\).*/\1/p' "$sc" | head -1)
    [ -n "$date" ] || { echo "FAIL: $name: no simulation.start date in $sc"; return 1; }
    "$bin" track -c "$sc" -i "$name.csv" -o "t_${name}_csv.csv" 2>"$name.log" ||
        { echo "FAIL: $name: track csv"; cat "$name.log"; return 1; }
    "$bin" track -c "$sc" -i "$name.pcap" -o "t_${name}_pcap.csv" 2>/dev/null || { echo "FAIL: $name: track pcap"; return 1; }
    "$bin" track -c "$sc" -i "$name.ast" --date "$date" -o "t_${name}_raw.csv" 2>/dev/null ||
        { echo "FAIL: $name: track raw (--date $date)"; return 1; }
    local reports confirmed
    reports=$(($(wc -l <"t_${name}_csv.csv") - 1))
    confirmed=$(awk -F, 'NR > 1 && $3 == "confirmed" {print $2}' "t_${name}_csv.csv" | sort -u | wc -l)
    if [ "$reports" -lt 100 ] || [ "$confirmed" -lt 3 ]; then
        echo "FAIL: $name: too little tracked to compare ($reports reports, $confirmed confirmed tracks)"
        return 1
    fi
    local ok=0
    if ! cmp -s "t_${name}_csv.csv" "t_${name}_pcap.csv"; then
        echo "FAIL: $name: CSV and CAT048 pcap give different tracks"
        diff "t_${name}_csv.csv" "t_${name}_pcap.csv" | head -4
        ok=1
    fi
    cmp -s "t_${name}_pcap.csv" "t_${name}_raw.csv" || { echo "FAIL: $name: pcap and raw recordings give different tracks"; ok=1; }
    [ $ok -eq 0 ] && echo "ok   $name: CSV, CAT048 pcap and raw give byte-identical tracks" \
        "($reports reports, $confirmed confirmed tracks; $(cat "$name.log"))"
    return $ok
}
same_tracks green "$scen" 120 || fail=1
same_tracks twosites "$src/scenarios/two-sites/region.yaml" 60 || fail=1

# Control: the comparison sees a change far below the plots' accuracy. Nudge the range of the
# first plot (a target's, tracked from the start) by 0.1 mm (the sub-LSB change that the wire
# resolution and the exact CSV numbers rule out) and the tracks are no longer byte-identical.
awk -F, -v OFS=, 'NR == 1 {print; next} !done && $3 != "" {$3 = sprintf("%.4f", $3 + 0.0001); done = 1} {print}' \
    green.csv >green_nudged.csv
"$bin" track -c "$scen" -i green_nudged.csv -o t_nudged.csv 2>/dev/null || { echo "FAIL: track nudged csv"; fail=1; }
if cmp -s t_green_csv.csv t_nudged.csv; then
    echo "FAIL: control: a 0.1 mm range change left the tracks byte-identical (the check has no teeth)"
    fail=1
else
    echo "ok   control: a 0.1 mm change of one plot's range changes the track file"
fi

# CAT062 out: one record per track report.
"$bin" track -c "$scen" -i green.pcap --format asterix -o t062.pcap 2>/dev/null || { echo "FAIL: track --format asterix"; fail=1; }
n062=$("$bin" decode t062.pcap 2>/dev/null | grep -c ' CAT062 ')
nrep=$(($(wc -l <t_green_pcap.csv) - 1))
[ "$n062" -eq "$nrep" ] && echo "ok   --format asterix: $n062 CAT062 records for $nrep track reports" ||
  { echo "FAIL: $n062 CAT062 records for $nrep track reports"; fail=1; }
"$bin" track -c "$scen" -i green.pcap --format asterix 2>/dev/null; [ $? -eq 2 ] ||
  { echo "FAIL: --format asterix to stdout not refused"; fail=1; }
[ $fail -eq 0 ] && echo "cli_asterix_track: all checks passed"
exit $fail

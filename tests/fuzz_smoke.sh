#!/usr/bin/env bash
# Short fuzz run for `make check` (not a ctest): for every built libFuzzer harness, replay its
# seed corpus (fuzz/corpus/<name>), then fuzz for SECONDS from a temporary copy of the corpus
# plus the real recordings in ../shared/data/asterix that fit the harness (read at run time,
# never copied into the repository). Usage: fuzz_smoke.sh FUZZ-BUILD-DIR [SECONDS]
set -u
dir=${1:?fuzz build dir}
secs=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
shared="$root/../shared/data/asterix"
shopt -s nullglob
harnesses=("$dir"/fuzz/fuzz_*)
[ ${#harnesses[@]} -gt 0 ] || { echo "fuzz_smoke: no harnesses in $dir/fuzz"; exit 1; }
for f in "${harnesses[@]}"; do
  [ -x "$f" ] || continue
  n=$(basename "$f")
  mkdir -p "$root/fuzz/corpus/$n"
  tmp=$(mktemp -d)
  cp -r "$root/fuzz/corpus/$n/." "$tmp/"
  case $n in
    fuzz_pcap) pats=("*.pcap") ;;
    fuzz_gps) pats=("*.gps") ;;
    fuzz_ff) pats=("*.ff" "*.FF") ;;
    fuzz_raw|fuzz_cat048|fuzz_cat034|fuzz_cat062) pats=("*.raw" "*.bin" "*.ast") ;;
    *) pats=() ;;
  esac
  nreal=0
  if [ -d "$shared" ]; then
    for p in "${pats[@]}"; do
      for r in "$shared"/*/$p; do
        # small files only: they are fuzz seeds, big ones would slow every mutation
        if [ "$(stat -c %s "$r")" -le 200000 ]; then cp "$r" "$tmp/real_$(basename "$r")"; nreal=$((nreal + 1)); fi
      done
    done
  fi
  echo "== $n: replay $(ls "$root/fuzz/corpus/$n" | wc -l) seeds + $nreal real recordings, fuzz ${secs} s"
  if ! "$f" -runs=0 "$tmp" >"$tmp.log" 2>&1; then
    tail -40 "$tmp.log"; rm -rf "$tmp" "$tmp.log"; exit 1
  fi
  if ! "$f" -max_total_time="$secs" -rss_limit_mb=2048 "$tmp" >"$tmp.log" 2>&1; then
    echo "fuzz_smoke: $n found a crash:"; tail -40 "$tmp.log"; rm -rf "$tmp" "$tmp.log"; exit 1
  fi
  grep -E "^Done" "$tmp.log" | tail -1
  rm -rf "$tmp" "$tmp.log"
done
echo "fuzz_smoke: all harnesses passed"

#!/usr/bin/env bash
# A fuzz campaign: ONE libFuzzer worker at a time under `nice -n 19`, alternating the
# structured and raw harnesses in slices until a deadline, restarting after each crash.
#
#   native/fuzz/run_campaign.sh BUILD_DIR WORK_DIR SECONDS [SLICE_SECONDS]
#
# BUILD_DIR: a build with -DEDGENET_BUILD_FUZZERS=ON -DEDGENET_SANITIZE=address,undefined
# and clang (see README.md). WORK_DIR keeps the corpora (corpus-structured, corpus-raw),
# crash artifacts (artifacts/) and logs (log-*.txt) across runs. Findings a harness hits
# are saved as artifacts; structured ones are also written as .enet files (artifacts/*.enet)
# so they can go to regressions/. ENET_FUZZ_SKIP_KNOWN=1 (default here) steps around the
# two findings the `hardening` branch fixes (model_gen.c).
set -uo pipefail
BUILD="$(cd "$1" && pwd)"; WORK="$2"; TOTAL="$3"; SLICE="${4:-600}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export ENET_FUZZ_SKIP_KNOWN="${ENET_FUZZ_SKIP_KNOWN:-1}"
mkdir -p "$WORK"/{corpus-structured,corpus-raw,artifacts,seeds-structured,seeds-raw}
[ -n "$(ls -A "$WORK/seeds-structured")" ] || "$BUILD/fuzz/gen_seeds" "$WORK/seeds-structured" "$WORK/seeds-raw" 8
end=$(( $(date +%s) + TOTAL ))
turn=0
while [ "$(date +%s)" -lt "$end" ]; do
  left=$(( end - $(date +%s) )); t=$(( left < SLICE ? left : SLICE ))
  # Three slices structured for one raw: the generator reaches prepare/invoke far more often.
  if [ $(( turn % 4 )) -eq 3 ]; then h=fuzz_raw; corpus="$WORK/corpus-raw"; seeds="$WORK/seeds-raw"
  else h=fuzz_structured; corpus="$WORK/corpus-structured"; seeds="$WORK/seeds-structured"; fi
  log="$WORK/log-$h.txt"
  echo "== $(date -u +%H:%M:%S) $h for ${t}s" >> "$log"
  nice -n 19 "$BUILD/fuzz/$h" -timeout=10 -rss_limit_mb=3072 -malloc_limit_mb=4096 -max_len=8192 -max_total_time="$t" \
    -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$h-" "$corpus" "$seeds" >> "$log" 2>&1
  rc=$?
  if [ "$h" = fuzz_structured ]; then
    for a in "$WORK"/artifacts/fuzz_structured-*; do
      case "$a" in *.enet) continue ;; esac
      [ -e "$a.enet" ] || "$BUILD/fuzz/gen_seeds" --emit "$a" "$a.enet"
    done
  fi
  echo "== exit $rc" >> "$log"
  turn=$((turn + 1))
done

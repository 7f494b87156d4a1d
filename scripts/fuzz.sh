#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz (docs/security-fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS]        each harness for SECONDS (default 60), one after another
#
# Configures build-fuzz/ with clang and WEFT_FUZZ=ON (the libraries the harnesses link are
# compiled there with clang, coverage instrumentation, ASan and UBSan), builds the harnesses and
# runs each over its checked-in corpus tests/fuzz/corpus/<harness>/. New inputs go to a scratch
# directory (build-fuzz/fuzz-runs/<harness>/new), crashes to build-fuzz/fuzz-runs/<harness>/.
# A crash does not end a harness's run: it is recorded and the harness restarts for the time
# left (at most 5 crashes each). Prints per harness the executions, exec/s, coverage and the
# reproducer of every crash; exits 1 if anything crashed.
#
# Environment:
#   FUZZ_HARNESSES="csv template"  run only these (default: every harness)
#   FUZZ_MERGE=1                   merge new inputs back into the corpus (-merge=1: only the
#                                  ones that add coverage)
#   FUZZ_SEED=1                    first merge seeds from tests/fuzz/make_seeds.py into the corpus
#   FUZZ_NICE=19                   niceness of the fuzzers (default 19: other builds go first)
#   FUZZ_BUILD_DIR=...             build directory (default build-fuzz)
#   FUZZ_NO_BUILD=1                use the harnesses already in FUZZ_BUILD_DIR/tests/fuzz
# Reproduce a crash: build-fuzz/tests/fuzz/fuzz_<harness> CRASH_FILE
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
corpus_root=$root/tests/fuzz/corpus
runs=$build/fuzz-runs
all="template csv ndjson json_xml content output_planning config job_options gateway"
harnesses=${FUZZ_HARNESSES:-$all}
nice_level=${FUZZ_NICE:-19}

"$root/scripts/setup.sh"
if ! command -v clang++ >/dev/null; then
  # Only fuzzing needs clang (libFuzzer); the test command replays the corpora with gcc.
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get install -y -q --no-install-recommends clang >&2 ||
    { echo "fuzz: clang++ is missing and could not be installed (apt-get install clang)" >&2; exit 2; }
fi

if [[ ${FUZZ_NO_BUILD:-0} == 1 ]]; then
  :
elif [[ ! -f $build/CMakeCache.txt ]]; then
  launcher=()
  command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER=clang++ -DWEFT_FUZZ=ON -DWEFT_WERROR=OFF "${launcher[@]}" >/dev/null
fi
if [[ ${FUZZ_NO_BUILD:-0} != 1 ]]; then
  targets=()
  for h in $harnesses; do targets+=("fuzz_$h"); done
  nice -n "$nice_level" cmake --build "$build" -j"${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"
fi

max_len_of() {
  case $1 in
    template) echo 4096 ;;  # deep nesting and doubling partials are known (issue 11, job limits)
    *) echo 16384 ;;
  esac
}

# The last "cov: N ft: M" figures libFuzzer printed in a log.
coverage_of() { grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$1" | tail -1 || true; }

summary=()
failed=0
for h in $harnesses; do
  bin=$build/tests/fuzz/fuzz_$h
  corpus=$corpus_root/$h
  out=$runs/$h
  mkdir -p "$corpus" "$out/new"
  if [[ ${FUZZ_SEED:-0} == 1 ]]; then
    seeds=$build/seeds
    rm -rf "$seeds/$h"
    python3 "$root/tests/fuzz/make_seeds.py" "$seeds" >/dev/null
    if [[ -d $seeds/$h ]]; then
      nice -n "$nice_level" "$bin" -merge=1 -max_len="$(max_len_of "$h")" "$corpus" "$seeds/$h" \
        >"$out/seed.log" 2>&1
    fi
  fi
  execs=0
  crashes=()
  start=$(date +%s)
  attempt=0
  while :; do
    left=$((seconds - ($(date +%s) - start)))
    ((left > 0)) || break
    attempt=$((attempt + 1))
    log=$out/run-$attempt.log
    set +e
    nice -n "$nice_level" "$bin" -max_total_time="$left" -max_len="$(max_len_of "$h")" \
      -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$out/" \
      "$out/new" "$corpus" >"$log" 2>&1
    rc=$?
    set -e
    n=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$' || true)
    if [[ -z $n ]]; then  # no final stats after a crash: take the last status line
      n=$(grep -Eo '^#[0-9]+' "$log" | tail -1 | tr -d '#' || true)
    fi
    execs=$((execs + ${n:-0}))
    cov=$(coverage_of "$log")
    [[ -n $cov ]] && last_cov=$cov
    if ((rc != 0)); then
      artifact=$(grep -Eo "Test unit written to [^ ]+" "$log" | tail -1 | awk '{print $5}' || true)
      reason=$(grep -Em1 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error|terminate called' "$log" || true)
      crashes+=("${artifact:-"(no reproducer; see $log)"}: ${reason:-exit $rc}")
      ((${#crashes[@]} < 5)) || break
    else
      break
    fi
  done
  elapsed=$(($(date +%s) - start))
  ((elapsed > 0)) || elapsed=1
  if [[ ${FUZZ_MERGE:-0} == 1 ]] && [[ -n $(ls -A "$out/new") ]]; then
    nice -n "$nice_level" "$bin" -merge=1 -max_len="$(max_len_of "$h")" "$corpus" "$out/new" \
      >"$out/merge.log" 2>&1
  fi
  line=$(printf '%-16s %10d execs %7d exec/s  %-22s corpus %4d files' "$h" "$execs" \
    $((execs / elapsed)) "${last_cov:-cov: ? ft: ?}" "$(ls "$corpus" | wc -l)")
  if ((${#crashes[@]} > 0)); then
    failed=1
    line+="  CRASHED ${#crashes[@]}x"
    for c in "${crashes[@]}"; do line+=$'\n'"    $c"; done
  else
    line+="  ok"
  fi
  echo "$line"
  summary+=("$line")
  unset last_cov
done

echo
echo "fuzz: ${seconds}s per harness; logs and crashes under $runs"
printf '%s\n' "${summary[@]}"
exit $failed

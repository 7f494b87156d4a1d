#!/usr/bin/env bash
# Scheduler scale by simulation (docs/benchmark.md "Scheduler scale (simulation)"): builds
# weft_scheduler_sim and runs the real scheduler actor with simulated engines (16 a node:
# 12 merge, 4 weaver) and a simulated store (0.2-2 ms a request, one at a time) for
# 1, 8, 64 and 256 nodes and a large job of 1k, 100k and 1M records, with 8 medium and
# 32 small jobs arriving with it. Prints a Markdown table, one row a run.
#
#   scripts/bench_sim.sh [--nodes "1 8 64 256"] [--records "1000 100000 1000000"]
#                        [--work-us 20000] [--record-us 0] [--store-us 200-2000]
#                        [--prefetch "2"]
#                        [--deadline-s 45]
# --prefetch: batches a simulated engine holds (take, as a node's engines; the default 2 is
# [scheduler] prefetch's); a list runs the matrix once per value; 0 is the one-batch
# want/done protocol of before prefetch. --record-us: work per record of a batch on top of
# --work-us (a batch of the scheduler's size then takes as long as its records).
set -euo pipefail
cd "$(dirname "$0")/.."
nodes="1 8 64 256"
records="1000 100000 1000000"
work_us=20000
record_us=0
deadline_s=45
store_us=200-2000
prefetch=2
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) nodes="$2"; shift 2 ;;
    --records) records="$2"; shift 2 ;;
    --work-us) work_us="$2"; shift 2 ;;
    --record-us) record_us="$2"; shift 2 ;;
    --store-us) store_us="$2"; shift 2 ;;
    --deadline-s) deadline_s="$2"; shift 2 ;;
    --prefetch) prefetch="$2"; shift 2 ;;
    *) echo "usage: scripts/bench_sim.sh [--nodes LIST] [--records LIST] [--work-us U] [--record-us R] [--store-us LO-HI] [--prefetch LIST] [--deadline-s S]" >&2; exit 2 ;;
  esac
done
build=${WEFT_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" weft_scheduler_sim >/dev/null
sim="$build/tests/bench/weft_scheduler_sim"
status=0
for p in $prefetch; do
  echo
  echo "prefetch ${p}, work per batch ${work_us} µs + ${record_us} µs a record, store ${store_us} µs a request, deadline ${deadline_s} s a run"
  echo
  "$sim" --header
  for n in $nodes; do
    for r in $records; do
      "$sim" --nodes "$n" --records "$r" --work-us "$work_us" --record-us "$record_us" --store-us "$store_us" \
        --prefetch "$p" --deadline-s "$deadline_s" 2>/dev/null || status=1
    done
  done
done
exit $status

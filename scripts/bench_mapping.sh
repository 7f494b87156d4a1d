#!/usr/bin/env bash
# Mapping throughput per data format (docs/benchmark.md "Mapping throughput"): builds
# weft_mapping_bench and runs it on N sample invoices (default 100,000) written as CSV, NDJSON,
# a JSON array and XML. Prints a Markdown table: records/s and MB/s per format.
#
#   scripts/bench_mapping.sh [--records N]
set -euo pipefail
cd "$(dirname "$0")/.."
records=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records="$2"; shift 2 ;;
    *) echo "usage: scripts/bench_mapping.sh [--records N]" >&2; exit 2 ;;
  esac
done
build=${WEFT_BUILD_DIR:-build}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" weft_mapping_bench >/dev/null
work=$(mktemp -d /tmp/weft-mapping-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$build/tests/bench/weft_mapping_bench" --records "$records" --dir "$work"

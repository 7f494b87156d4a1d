#!/usr/bin/env bash
# The benchmark command (README, docs/benchmark.md). Measures, in one run on
# the same data and machine:
#   (a) the machine's limit: records/s of the render+layout code in a bare
#       loop on one core (weft_bare_loop), times the engines that fit the cores;
#   (b) records/s of an N-record PDF job through a real node, submit to done;
#   (c) their ratio;
#   (d) p50 and p99 submit-to-output latency of one-record jobs;
#   (e) the node's peak memory (VmHWM) for the N-record job and, with
#       --million, for a 1,000,000-record job;
#   (f) PDF layout against WeasyPrint, side by side on the same K sample invoices
#       (invoice.html.mustache, default K=200): pages per CPU second of our layout + PDF code
#       in the bare loop (weft_bare_loop), and of WeasyPrint (scripts/bench_weasyprint.sh;
#       skipped with a message when `weasyprint` is not installed).
#
#   scripts/bench.sh [--records N] [--latency-jobs M] [--layout-docs K] [--layout-only]
#                    [--million] [--cluster] [--sweep] [--http]
#
# --layout-only runs (f) alone (no node).#
# --cluster also runs scripts/bench_cluster.sh (scheduling overhead per batch,
# failover times, one node against three); --sweep also runs scripts/bench_sweep.sh
# (job throughput while a sweep deletes a million rows, against without); --http also runs
# scripts/bench_http.sh (one-record jobs over the REST API with polling against the CAF client)
# and bench_http.sh --load (a large job alone and under 200 status requests per second).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/test_port.sh"
build=${WEFT_BUILD_DIR:-$root/build}
records=100000
latency_jobs=200
million=0
cluster=0
sweep=0
http=0
layout_docs=200
layout_only=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --latency-jobs) latency_jobs=$2; shift 2 ;;
    --million) million=1; shift ;;
    --cluster) cluster=1; shift ;;
    --sweep) sweep=1; shift ;;
    --http) http=1; shift ;;
    --layout-docs) layout_docs=$2; shift 2 ;;
    --layout-only) layout_only=1; shift ;;
    *) echo "usage: bench.sh [--records N] [--latency-jobs M] [--layout-docs K] [--layout-only] [--million] [--cluster] [--sweep] [--http]" >&2; exit 2 ;;
  esac
done
case $layout_docs in '' | *[!0-9]* | 0) echo "bench: --layout-docs needs a number >= 1" >&2; exit 2 ;; esac
targets="weft_gen_invoices weft_bare_loop weft_weasyprint_input"
[ "$layout_only" = 1 ] || targets="caf-node $targets"
WEFT_TARGETS="$targets" "$root/scripts/build.sh"

node="$build/runtime/caf-node"
tmpl="$root/actors/document/samples/invoice.mustache"
work=$(mktemp -d /tmp/weft-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
cores=$(nproc)

# A single node on the embedded default with one merge and one weaver engine
# per core: the engines that fit the cores.
start_node() {  # start_node DIR -> sets node_pid, node_port
  local dir=$1
  mkdir -p "$dir"
  (umask 077; head -c 32 /dev/urandom | base64 >"$dir/cluster.secret")
  weft_test_port node_port
  cat >"$dir/weft.toml" <<TOML
[cluster]
name = "bench"
secret_file = "cluster.secret"
[files]
root = "files"
[log]
level = "warn"
[[node]]
name = "bench"
role = "master"
listen = "127.0.0.1:$node_port"
merge_engines = $cores
weaver_engines = $cores
TOML
  "$node" run --config "$dir/weft.toml" 2>"$dir/node.log" &
  node_pid=$!
  pids+=("$node_pid")
  for _ in $(seq 1 200); do
    grep -q "listening on" "$dir/node.log" 2>/dev/null && return 0
    python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$node_port)))" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "bench: node did not start" >&2; cat "$dir/node.log" >&2; exit 1
}
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$1/status"; }
submit() {  # submit DIR DATA -> prints "seconds records_per_s"
  "$node" submit --connect "127.0.0.1:$node_port" --config "$1/weft.toml" --data "$2" \
    --template "$tmpl" --format pdf --wait --timeout-ms 60000 2>&1 >/dev/null |
    sed -n 's/.* records in \([0-9.]*\) s (\([0-9]*\) records\/s).*/\1 \2/p'
}

# (f) The layout engine against WeasyPrint on the same K invoices (the records of
# weft_gen_invoices --seed 42, which weft_weasyprint_input also generates), each on one core,
# as pages per CPU second.
layout_compare() {
  echo "bench: (f) PDF layout of $layout_docs HTML invoices: bare loop, then WeasyPrint"
  "$build/actors/document/weft_gen_invoices" --count "$layout_docs" --out "$work/layout.ndjson"
  local out
  out=$("$build/tests/bench/weft_bare_loop" --data "$work/layout.ndjson" \
    --template "$root/actors/document/samples/invoice.html.mustache" \
    --resources "$root/actors/document/samples/resources" --per-file 1000 --out "$work/layout")
  local pages cpu rate
  pages=$(sed -n 's/^bare_loop_pages=//p' <<<"$out")
  cpu=$(sed -n 's/^bare_loop_cpu_seconds=//p' <<<"$out")
  rate=$(sed -n 's/^bare_loop_pages_per_cpu_s=//p' <<<"$out")
  layout_line="Weft layout + PDF (bare loop):  $rate pages per CPU second ($pages pages, $cpu CPU s)"
  if ! command -v weasyprint >/dev/null; then
    weasy_line="WeasyPrint:                     skipped: weasyprint is not installed (apt-get install weasyprint; scripts/setup.sh installs it)"
    ratio_line="ratio Weft / WeasyPrint:        not measured"
    return
  fi
  out=$("$root/scripts/bench_weasyprint.sh" "$layout_docs")
  local w_pages w_cpu w_rate w_version
  w_version=$(sed -n 's/^weasyprint_version=//p' <<<"$out")
  w_pages=$(sed -n 's/.*weasyprint_pages=\([0-9]*\).*/\1/p' <<<"$out")
  w_cpu=$(sed -n 's/.*weasyprint_cpu_s=\([0-9.]*\).*/\1/p' <<<"$out")
  w_rate=$(sed -n 's/^weasyprint_pages_per_s_per_core=//p' <<<"$out")
  weasy_line=$(printf '%-32s%s' "WeasyPrint $w_version:" "$w_rate pages per CPU second ($w_pages pages, $w_cpu CPU s)")
  ratio_line="ratio Weft / WeasyPrint:        $(python3 -c "print(f'{$rate / $w_rate:.1f}')")   (target >= 10)"
}

if [ "$layout_only" = 1 ]; then
  layout_compare
  cat <<REPORT

Weft benchmark (layout only) — $(date -u +%FT%TZ), $cores cores, $(git -C "$root" rev-parse --short HEAD)
(f) PDF layout, $layout_docs sample invoices (invoice.html.mustache), one core each:
    $layout_line
    $weasy_line
    $ratio_line
REPORT
  exit 0
fi

echo "bench: generating $records invoices"
"$build/actors/document/weft_gen_invoices" --count "$records" --out "$work/data.ndjson"
echo "bench: (a) bare loop on one core"
bare=$("$build/tests/bench/weft_bare_loop" --data "$work/data.ndjson" --template "$tmpl" --out "$work/bare" |
  sed -n 's/bare_loop_records_per_s=//p')
limit=$((bare * cores))

echo "bench: (b) $records-record PDF job through a node"
start_node "$work/n1"
read -r job_s job_rate < <(submit "$work/n1" "$work/data.ndjson")
peak_100k=$(peak_kib "$node_pid")

# Two records: the first whose text is Latin only, and the first with CJK text (its PDF embeds
# Noto Sans CJK subsets: Cairo copies the 20 MB font's tables for every output file, so a
# one-record job with CJK text pays that whole copy — measured apart).
echo "bench: (d) $latency_jobs one-record jobs with Latin text, $latency_jobs with CJK text"
python3 - "$work/data.ndjson" "$work/latin.ndjson" "$work/cjk.ndjson" <<'PY'
import sys
latin = cjk = None
for line in open(sys.argv[1], encoding="utf-8"):
    if latin is None and all(ord(c) < 0x250 for c in line):
        latin = line
    if cjk is None and any(0x3000 <= ord(c) <= 0x9fff for c in line):
        cjk = line
    if latin and cjk:
        break
open(sys.argv[2], "w", encoding="utf-8").write(latin or "")
open(sys.argv[3], "w", encoding="utf-8").write(cjk or latin or "")
PY
for kind in latin cjk; do
  : >"$work/lat-$kind.txt"
  for _ in $(seq 1 "$latency_jobs"); do
    read -r s _ < <(submit "$work/n1" "$work/$kind.ndjson")
    echo "$s" >>"$work/lat-$kind.txt"
  done
done
kill -TERM "$node_pid"; wait "$node_pid" || true

layout_compare

peak_1m="(not measured: add --million)"
if [ "$million" = 1 ]; then
  echo "bench: (e) 1000000-record job"
  "$build/actors/document/weft_gen_invoices" --count 1000000 --out "$work/million.ndjson"
  start_node "$work/n2"
  read -r m_s m_rate < <(submit "$work/n2" "$work/million.ndjson")
  peak_1m="$(( $(peak_kib "$node_pid") / 1024 )) MiB (job: $m_s s, $m_rate records/s)"
  kill -TERM "$node_pid"; wait "$node_pid" || true
fi

percentiles() {  # percentiles FILE -> "p50 X ms, p99 Y ms over N jobs"
  sort -n "$1" >"$1.sorted"
  local n p50 p99
  n=$(wc -l <"$1.sorted")
  p50=$(sed -n "$(( (n + 1) / 2 ))p" "$1.sorted")
  p99=$(sed -n "$(( (n * 99 + 99) / 100 ))p" "$1.sorted")
  python3 -c "print(f'p50 {$p50*1000:.1f} ms, p99 {$p99*1000:.1f} ms over $n jobs')"
}
n=$latency_jobs
lat_latin=$(percentiles "$work/lat-latin.txt")
lat_cjk=$(percentiles "$work/lat-cjk.txt")
ratio=$(python3 -c "print(f'{$job_rate / $limit:.2f}')")

cat <<REPORT

Weft benchmark — $(date -u +%FT%TZ), $cores cores, $(git -C "$root" rev-parse --short HEAD)
(a) bare loop, render+layout (pdf), one core:   $bare records/s; limit x$cores engines = $limit records/s
(b) $records-record PDF job through the node:   $job_rate records/s ($job_s s submit to done)
(c) ratio node / limit:                          $ratio   (target >= 0.9)
(d) one-record job latency, submit to done:      Latin text: $lat_latin (target p50 < 3 ms, p99 < 10 ms)
                                                 CJK text:   $lat_cjk
(e) node peak memory (VmHWM):                    $((peak_100k / 1024)) MiB after the $records-record job and $((2 * n)) small jobs; 1M records: $peak_1m
(f) PDF layout, $layout_docs sample invoices (invoice.html.mustache), one core each:
    $layout_line
    $weasy_line
    $ratio_line
REPORT
if [ "$cluster" = 1 ]; then "$root/scripts/bench_cluster.sh" --records "$records"; fi
if [ "$sweep" = 1 ]; then "$root/scripts/bench_sweep.sh"; fi
if [ "$http" = 1 ]; then "$root/scripts/bench_http.sh"; "$root/scripts/bench_http.sh" --load; fi

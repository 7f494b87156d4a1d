#!/usr/bin/env bash
# Merging while mapping, off against on in one run (docs/benchmark.md "Merging overlaps
# mapping"): an N-record job through one node on the embedded default (one merge and one
# weaver engine per core), submit to done, alternately with `[scheduler] merge_while_mapping`
# false (the default: merging starts when the file is mapped) and true, R rounds. A fresh node
# for every run. Prints one line per run and the medians.
#
#   scripts/bench_overlap.sh [--records 100000] [--format txt|pdf] [--rounds 3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
records=100000
format=txt
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    *) echo "usage: bench_overlap.sh [--records N] [--format txt|pdf] [--rounds R]" >&2; exit 2 ;;
  esac
done
WEFT_TARGETS="caf-node weft_gen_invoices" "$root/scripts/build.sh"
node=$build/runtime/caf-node
. "$root/scripts/test_port.sh"
work=$(mktemp -d /tmp/weft-bench-overlap.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
cores=$(nproc)
"$build/actors/document/weft_gen_invoices" --count "$records" --out "$work/data.ndjson"
weft_test_port port
(umask 077; head -c 32 /dev/urandom | base64 >"$work/cluster.secret")
cat >"$work/weft.toml" <<TOML
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
listen = "127.0.0.1:$port"
merge_engines = $cores
weaver_engines = $cores
[scheduler]
merge_while_mapping = MWM
TOML

# one LABEL true|false -> prints "LABEL seconds records/s"
one() {
  rm -rf "$work/files"
  sed "s/^merge_while_mapping = .*/merge_while_mapping = $2/" "$work/weft.toml" >"$work/run.toml"
  "$node" run --config "$work/run.toml" 2>"$work/node.log" &
  pid=$!
  for _ in $(seq 1 200); do grep -q "listening on" "$work/node.log" && break; sleep 0.05; done
  local line
  line=$("$node" submit --connect "127.0.0.1:$port" --config "$work/run.toml" \
    --data "$work/data.ndjson" --template "$root/actors/document/samples/invoice.mustache" \
    --format "$format" --wait --timeout-ms 600000 2>&1 >/dev/null | tail -1)
  kill -TERM "$pid"; wait "$pid" || true; pid=""
  sed -n "s/.* records in \([0-9.]*\) s (\([0-9]*\) records\/s).*/$1 \1 \2/p" <<<"$line"
}

echo "bench_overlap: $records records, $format, $cores cores, $rounds rounds, $(git -C "$root" rev-parse --short HEAD)"
for _ in $(seq 1 "$rounds"); do
  one before false | tee -a "$work/runs"
  one after true | tee -a "$work/runs"
done
python3 - "$work/runs" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    label, s, rate = line.split()
    runs.setdefault(label, []).append((float(s), int(rate)))
b = statistics.median(r for _, r in runs["before"])
a = statistics.median(r for _, r in runs["after"])
print(f"median records/s: before {b:.0f}, after {a:.0f}, after/before {a / b:.2f}")
PY

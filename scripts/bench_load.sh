#!/usr/bin/env bash
# Many small jobs at once against one node on the embedded default (SQLite), as a
# web shop would send them (issue 15, docs/benchmark.md "Concurrent small jobs"):
#
#   scripts/bench_load.sh [--clients C] [--jobs J] [--records R] [--http]
#
# C clients (default 20), each submitting J jobs (default 10) of R records (default 3)
# with --wait, one after another. Prints jobs/s, submit-to-done p50/p99 (client
# start-up excluded, and apart with it); fails when a job failed or was lost. The
# node's log is kept when something failed. --http: the clients use the REST API
# (POST /v1/jobs, then the long poll GET /v1/jobs/{id}?wait=10) from threads of one process, so no
# client process starts: jobs/s is the node's rate.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/test_port.sh"
build=${WEFT_BUILD_DIR:-$root/build}
clients=20
jobs=10
records=3
http=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clients) clients=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --records) records=$2; shift 2 ;;
    --http) http=1; shift ;;
    *) echo "usage: bench_load.sh [--clients C] [--jobs J] [--records R] [--http]" >&2; exit 2 ;;
  esac
done
WEFT_TARGETS="caf-node weft_gen_invoices" "$root/scripts/build.sh"
node="$build/runtime/caf-node"
work=$(mktemp -d /tmp/weft-load.XXXXXX)
node_pid=""
keep=0
cleanup() {
  [ -n "$node_pid" ] && { kill -TERM "$node_pid" 2>/dev/null || true; wait "$node_pid" 2>/dev/null || true; }
  if [ "$keep" = 1 ]; then echo "load: the node's log is in $work/node.log" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
cores=$(nproc)
(umask 077; head -c 32 /dev/urandom | base64 >"$work/cluster.secret")
weft_test_port port
weft_test_port http_port
http_line=""
[ "$http" = 1 ] && http_line="http_listen = \"127.0.0.1:$http_port\""
cat >"$work/weft.toml" <<TOML
[cluster]
name = "load"
secret_file = "cluster.secret"
[files]
root = "files"
[log]
level = "info"
[[node]]
name = "load"
role = "master"
listen = "127.0.0.1:$port"
$http_line
merge_engines = $cores
weaver_engines = $cores
TOML
"$build/actors/document/weft_gen_invoices" --count "$records" --out "$work/data.ndjson"
token=""
[ "$http" = 1 ] && token=$("$node" token create load --scope submit --config "$work/weft.toml" 2>/dev/null)
"$node" run --config "$work/weft.toml" 2>"$work/node.log" &
node_pid=$!
for _ in $(seq 1 200); do
  grep -q "listening on" "$work/node.log" 2>/dev/null && break
  sleep 0.05
done
grep -q "listening on" "$work/node.log" || { echo "load: the node did not start" >&2; cat "$work/node.log" >&2; exit 1; }
echo "load: $(date -u +%FT%TZ), $cores cores, $(git -C "$root" rev-parse --short HEAD)"
if [ "$http" = 1 ]; then
  set -- --http "http://127.0.0.1:$http_port" "$token"
else
  set -- "$node" "$work/weft.toml" "$port"
fi
if ! python3 "$root/scripts/bench_load.py" "$@" \
  "$root/actors/document/samples/invoice.mustache" "$work/data.ndjson" "$clients" "$jobs"; then
  keep=1
  exit 1
fi

#!/usr/bin/env bash
# The demo command (README): installs what is missing, builds, generates
# several thousand realistic invoices, runs a single node on the embedded
# SQLite default, submits the job with the sample invoice template, shows the
# progress, prints where the PDFs are, their pages and the records per second,
# and stops the node. Leaves no process behind.
#
#   scripts/demo.sh [RECORDS]      (default 5000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
records=${1:-5000}
WEFT_TARGETS="caf-node weft_gen_invoices" "$root/scripts/build.sh"

work=${WEFT_DEMO_DIR:-$root/demo-out}
rm -rf "$work/files" "$work/pdf"
mkdir -p "$work"
(umask 077 && [ -s "$work/cluster.secret" ] || head -c 32 /dev/urandom | base64 >"$work/cluster.secret")
. "$root/scripts/test_port.sh"
weft_test_port port
# The REST API (docs/api.md) on 127.0.0.1:8080 unless WEFT_DEMO_HTTP_PORT says otherwise.
http_port=${WEFT_DEMO_HTTP_PORT:-8080}
cat >"$work/weft.toml" <<TOML
# The embedded default: one node, SQLite under [files].root.
[cluster]
name = "demo"
secret_file = "cluster.secret"

[files]
root = "files"

[[node]]
name = "demo"
role = "master"
listen = "127.0.0.1:$port"
http_listen = "127.0.0.1:$http_port"
merge_engines = 2
weaver_engines = 2
TOML

node="$build/runtime/caf-node"
echo "demo: generating $records invoices"
"$build/actors/document/weft_gen_invoices" --count "$records" --out "$work/invoices.ndjson"
"$node" check --config "$work/weft.toml" >/dev/null

"$node" run --config "$work/weft.toml" 2>"$work/node.log" &
pid=$!
stop_node() { kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }
trap stop_node EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/node.log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/node.log" >&2; exit 1; }
  sleep 0.1
done

echo "demo: node listening on 127.0.0.1:$port (log: $work/node.log); submitting"
"$node" submit --connect "127.0.0.1:$port" --config "$work/weft.toml" \
  --data "$work/invoices.ndjson" --template "$root/actors/document/samples/invoice.html.mustache" \
  --resources "$root/actors/document/samples/resources" \
  --format pdf --name invoices --wait --out "$work/pdf" | tee "$work/outputs.txt"

# The same node over HTTP: a read token (shown once) and the job list.
token=$("$node" token create "demo-$(date +%s)" --scope read --config "$work/weft.toml" 2>/dev/null)
echo "demo: HTTP API on http://127.0.0.1:$http_port (docs/api.md); the jobs:"
echo "  curl -s -H 'Authorization: Bearer $token' http://127.0.0.1:$http_port/v1/jobs"
if command -v curl >/dev/null; then
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$http_port/v1/jobs?limit=1" | head -c 400
  echo
fi

stop_node
trap - EXIT
echo "demo: PDFs in $work/pdf/ (the node's copies under $work/files/jobs/); node stopped"

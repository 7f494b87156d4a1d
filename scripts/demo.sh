#!/usr/bin/env bash
# The demo command (README): builds Weft and runs a single node on the
# embedded SQLite default, then stops it cleanly with SIGTERM.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
"$root/scripts/build.sh"

work=${WEFT_DEMO_DIR:-$root/demo-out}
mkdir -p "$work/files"
umask 077
[ -s "$work/cluster.secret" ] || head -c 32 /dev/urandom | base64 >"$work/cluster.secret"
cat >"$work/weft.toml" <<TOML
[cluster]
name = "demo"
secret_file = "cluster.secret"

[files]
root = "files"

[[node]]
name = "demo"
role = "master"
listen = "127.0.0.1:0"
advertise = "127.0.0.1:0"
merge_engines = 2
weaver_engines = 1
database_sweep = true
TOML

node="$build/runtime/caf-node"
"$node" check --config "$work/weft.toml" >/dev/null
"$node" run --config "$work/weft.toml" 2>"$work/node.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" "$work/node.log" && break
  kill -0 $pid 2>/dev/null || { cat "$work/node.log" >&2; exit 1; }
  sleep 0.1
done
grep "listening on" "$work/node.log"
kill -TERM $pid
wait $pid
trap - EXIT
echo "demo: node started on the embedded default ($work/files/weft.db) and stopped cleanly"

#!/usr/bin/env bash
# The scheduling overhead per batch (bench_cluster.sh (f): no-op engines, one-record
# batches, submit to done / batches) for several `[scheduler] prefetch` values in one run,
# on one SQLite node and on a master plus two extensions on MariaDB (docs/benchmark.md,
# "Prefetch and grouped completions"). Starts its own disposable MariaDB server.
#
#   scripts/bench_prefetch.sh [--batches B] [--prefetch "1 2 4"] [--node PATH]
#
# A prefetch value of "base" leaves the key out: for --node, a caf-node built from a
# commit before the key existed (the "before" figure).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
batches=2000
values="1 2 4"
node=""
while [ $# -gt 0 ]; do
  case "$1" in
    --batches) batches=$2; shift 2 ;;
    --prefetch) values=$2; shift 2 ;;
    --node) node=$2; shift 2 ;;
    *) echo "usage: bench_prefetch.sh [--batches B] [--prefetch \"1 2 4\"] [--node PATH]" >&2; exit 2 ;;
  esac
done
WEFT_TARGETS="caf-node weft_gen_invoices" "$root/scripts/build.sh"
node=${node:-$build/runtime/caf-node}
. "$root/scripts/bench_common.sh"
bench_start prefetch
mpass=$(cat "$WEFT_TEST_MARIADB_PASSWORD_FILE")
"$build/actors/document/weft_gen_invoices" --count "$batches" --out "$work/small.ndjson"

# run NAME P NODES... -> prints µs per batch
run() {
  local name=$1 p=$2; shift 2
  local d=$work/$name ports=() port n
  mkdir -p "$d"
  for n in "$@"; do weft_test_port port; ports+=("$port"); done
  (umask 077; head -c 32 /dev/urandom | base64 >"$d/cluster.secret")
  {
    printf '[cluster]\nname = "bench"\nsecret_file = "cluster.secret"\nheartbeat = "100ms"\nnode_timeout = "500ms"\n'
    if [ $# -gt 1 ]; then
      mariadb --no-defaults -h127.0.0.1 -P"$mport" -uweft -p"$mpass" -e "CREATE DATABASE weft_$name"
      printf '[database]\nurl = "mariadb://weft@127.0.0.1:%s/weft_%s"\npassword_file = "%s"\n' "$mport" "$name" "$WEFT_TEST_MARIADB_PASSWORD_FILE"
    fi
    printf '[files]\nroot = "files"\n[log]\nlevel = "info"\n[scheduler]\nmin_batch_size = 1\nmax_batch_size = 1\n'
    if [ "$p" != base ]; then printf 'prefetch = %s\n' "$p"; fi
    local i=0
    for n in "$@"; do
      printf '[[node]]\nname = "%s"\nrole = "%s"\nlisten = "127.0.0.1:%s"\nmerge_engines = 1\nweaver_engines = 1\n' \
        "$n" "$([ $i = 0 ] && echo master || echo extension)" "${ports[$i]}"
      i=$((i + 1))
    done
  } >"$d/weft.toml"
  for n in "$@"; do
    WEFT_BENCH_NOOP_ENGINES=1 "$node" run --config "$d/weft.toml" --node "$n" >/dev/null 2>"$d/$n.log" &
    pids+=($!)
    if [ "$n" = master ]; then
      for _ in $(seq 1 600); do grep -q "listening on" "$d/master.log" 2>/dev/null && break; sleep 0.05; done
    fi
  done
  for n in "${@:2}"; do
    for _ in $(seq 1 600); do grep -q "node '$n' joined" "$d/master.log" && break; sleep 0.05; done
  done
  local t
  t=$("$node" submit --connect "127.0.0.1:${ports[0]}" --config "$d/weft.toml" --data "$work/small.ndjson" \
    --template "$root/actors/document/samples/invoice.mustache" --format txt --timeout-ms 60000 --wait 2>&1 >/dev/null |
    sed -n 's/.* records in \([0-9.]*\) s (.*/\1/p')
  for p2 in "${pids[@]}"; do kill -TERM "$p2" 2>/dev/null || true; done
  wait 2>/dev/null || true
  pids=()
  python3 -c "print(f'{$t / $batches * 1e6:.0f}')"
}

echo
echo "Weft prefetch benchmark — $(date -u +%FT%TZ), $(nproc) cores, $("$node" --version 2>/dev/null | head -1)"
echo "(f) scheduling overhead per batch, no-op engines, $batches one-record batches, 1 merge + 1 weaver engine per node:"
for p in $values; do
  one=$(run "s_$p" "$p" master)
  three=$(run "m_$p" "$p" master ext1 ext2)
  echo "      prefetch $p:   one node, SQLite $one µs   master + 2 extensions, MariaDB $three µs"
done

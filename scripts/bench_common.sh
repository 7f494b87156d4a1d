# Sourced (not run) by the benchmarks that start their own processes and a
# disposable MariaDB server: scripts/bench_cluster.sh, scripts/bench_sweep.sh.
# Expects $root. Provides:
#   bench_start NAME   a fresh $work directory and a MariaDB server under it
#                      ($mport, and the WEFT_TEST_MARIADB_* exports of mariadb.sh);
#                      at exit the processes in $pids and the server are stopped and
#                      $work removed (kept, with the nodes' logs, when
#                      WEFT_BENCH_KEEP=1);
#   weft_test_port VAR a loopback port reserved for the life of the benchmark
#                      (scripts/test_port.sh; never inside $(…)).

bench_cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  "$root/scripts/mariadb.sh" stop "$work/mdb" >/dev/null 2>&1 || true
  if [ "${WEFT_BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: kept $work (WEFT_BENCH_KEEP=1)" >&2
  else
    rm -rf "$work"
  fi
}

bench_start() {
  work=$(mktemp -d "/tmp/weft-bench-$1.XXXXXX")
  pids=()
  trap bench_cleanup EXIT
  eval "$("$root/scripts/mariadb.sh" start "$work/mdb")"
  mport=${WEFT_TEST_MARIADB_URL##*:}
  mport=${mport%%/*}
}

. "$root/scripts/test_port.sh"

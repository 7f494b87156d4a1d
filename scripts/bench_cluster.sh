#!/usr/bin/env bash
# The cluster part of the benchmark (scripts/bench.sh --cluster, docs/benchmark.md):
#   (f) scheduling overhead per batch with no-op engines (durable state), on one
#       SQLite node and on a master plus two extensions on MariaDB;
#   (g) time from an extension's SIGKILL, and from its SIGSTOP, until its
#       batches are handed out again;
#   (h) an N-record job on one node against the same job on a master and two
#       extensions on the same machine (same cores: the cost of clustering);
#   (i) master take-over: from the active master's SIGKILL (and SIGSTOP) until the
#       standby candidate holds the lease and hands out its first batch, with the
#       defaults and with node_timeout 250 ms; and the cost of the fence on the
#       scheduler's writes (weft_completion_bench: fenced against unfenced writes).
# Starts its own disposable MariaDB server (scripts/mariadb.sh).
#
#   scripts/bench_cluster.sh [--records N] [--batches B] [--tls | --takeover]
#
# --takeover: only (i) and the fence's cost.
# --tls: instead, the cost of mutual TLS (docs/cluster.md): (f) and (h) on a master
# and two extensions, each without and with TLS in one run, and the time an extension
# takes to connect to the master (TCP, TLS and BASP handshakes, from its log).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
records=100000
batches=3000
tls_compare=0
tls=0
only_takeover=0
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --batches) batches=$2; shift 2 ;;
    --tls) tls_compare=1; shift ;;
    --takeover) only_takeover=1; shift ;;
    *) echo "usage: bench_cluster.sh [--records N] [--batches B] [--tls | --takeover]" >&2; exit 2 ;;
  esac
done
WEFT_TARGETS="caf-node weft_gen_invoices weft_completion_bench" "$root/scripts/build.sh"
node="$build/runtime/caf-node"
tmpl="$root/actors/document/samples/invoice.mustache"
. "$root/scripts/bench_common.sh"
bench_start cluster
mpass=$(cat "$WEFT_TEST_MARIADB_PASSWORD_FILE")
sql() { mariadb --no-defaults -h127.0.0.1 -P"$mport" -uweft -p"$mpass" -N -B "$1" -e "$2"; }
now() { date +%s.%N; }

# topology DIR DB|sqlite EXTENSIONS BATCH_SIZE [ENGINES_PER_NODE]
# $timing: the [cluster] timing lines (default heartbeat 100 ms, node_timeout 500 ms);
# $standby=1 adds a second master candidate "master2" (docs/cluster.md "Master failover").
timing='heartbeat = "100ms"\nnode_timeout = "500ms"\n'
standby=0
topology() {
  local dir=$1 db=$2 exts=$3 bsize=$4 engines=${5:-1}
  local ports=() port i
  for i in $(seq 0 $((exts + standby))); do weft_test_port port; ports+=("$port"); done
  mkdir -p "$dir"
  (umask 077; head -c 32 /dev/urandom | base64 >"$dir/cluster.secret")
  {
    printf '[cluster]\nname = "bench"\nsecret_file = "cluster.secret"\n'"$timing"'retry_initial = "100ms"\n'
    if [ "$db" != sqlite ]; then
      sql weft "CREATE DATABASE $db"
      printf '[database]\nurl = "mariadb://weft@127.0.0.1:%s/%s"\npassword_file = "%s"\n' "$mport" "$db" "$WEFT_TEST_MARIADB_PASSWORD_FILE"
    fi
    printf '[files]\nroot = "files"\n[log]\nlevel = "info"\n'
    printf '[scheduler]\nmin_batch_size = %s\nmax_batch_size = %s\n' "$bsize" "$bsize"
    if [ "$tls" = 1 ]; then  # one CA, one node certificate for every node (and the client)
      "$node" certs create-ca "$dir/pki" >/dev/null
      "$node" certs create-node "$dir/pki" node --host 127.0.0.1 >/dev/null
      printf '[tls]\nca_file = "pki/ca.pem"\ncert_file = "pki/node.pem"\nkey_file = "pki/node.key"\n'
    fi
    printf '[[node]]\nname = "master"\nrole = "master"\nlisten = "127.0.0.1:%s"\nmerge_engines = %s\nweaver_engines = %s\n' "${ports[0]}" "$engines" "$engines"
    if [ "$standby" = 1 ]; then
      printf 'master_priority = 10\n[[node]]\nname = "master2"\nrole = "master"\nmaster_priority = 5\nlisten = "127.0.0.1:%s"\nmerge_engines = %s\nweaver_engines = %s\n' "${ports[$((exts + 1))]}" "$engines" "$engines"
    fi
    for i in $(seq 1 "$exts"); do
      printf '[[node]]\nname = "ext%s"\nrole = "extension"\nlisten = "127.0.0.1:%s"\nmerge_engines = %s\nweaver_engines = %s\n' "$i" "${ports[$i]}" "$engines" "$engines"
    done
  } >"$dir/weft.toml"
}
master_port() { sed -n '/name = "master"/,/listen/p' "$1/weft.toml" | sed -n 's/listen = "127.0.0.1:\([0-9]*\)"/\1/p'; }
start() {  # start DIR NODE [env...] -> sets last_pid
  local dir=$1 name=$2; shift 2
  env "$@" "$node" run --config "$dir/weft.toml" --node "$name" >/dev/null 2>"$dir/$name.log" &
  last_pid=$!
  pids+=("$last_pid")
}
wait_log() {  # wait_log FILE PATTERN
  for _ in $(seq 1 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "bench: timed out waiting for '$2' in $1" >&2; tail "$1" >&2; exit 1
}
submit() {  # submit DIR DATA [args] -> "seconds"
  local dir=$1 data=$2; shift 2
  "$node" submit --connect "127.0.0.1:$(master_port "$dir")" --config "$dir/weft.toml" --data "$data" \
    --template "$tmpl" --timeout-ms 60000 --wait "$@" 2>&1 >/dev/null |
    sed -n 's/.* records in \([0-9.]*\) s (.*/\1/p'
}
stop_all() { for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }

"$build/actors/document/weft_gen_invoices" --count "$batches" --out "$work/small.ndjson"
"$build/actors/document/weft_gen_invoices" --count "$records" --out "$work/data.ndjson"

if [ "$tls_compare" = 1 ]; then
  # three_nodes NAME ENV... -> starts master, ext1, ext2 of $work/NAME and waits for the joins
  three_nodes() {
    local dir=$work/$1; shift
    start "$dir" master "$@"
    wait_log "$dir/master.log" "listening on"
    start "$dir" ext1 "$@"
    start "$dir" ext2 "$@"
    wait_log "$dir/master.log" "node 'ext1' joined"
    wait_log "$dir/master.log" "node 'ext2' joined"
  }
  handshake() {  # the extensions' connect times (ms) from their logs
    sed -n 's/.*connected to the master at .* in \([0-9.]*\) ms.*/\1/p' "$1"/ext*.log | paste -sd' '
  }
  for tls in 0 1; do
    echo "bench: TLS=$tls (f) $batches one-record batches, no-op engines, 3 nodes"
    topology "$work/f$tls" "weft_f$tls" 2 1
    three_nodes "f$tls" WEFT_BENCH_NOOP_ENGINES=1
    t=$(submit "$work/f$tls" "$work/small.ndjson" --format txt)
    declare "overhead_$tls=$(python3 -c "print(f'{$t / $batches * 1e6:.0f}')")"
    declare "connect_$tls=$(handshake "$work/f$tls")"
    stop_all
    echo "bench: TLS=$tls (h) $records-record PDF job, 3 nodes"
    topology "$work/h$tls" "weft_h$tls" 2 1000 1
    three_nodes "h$tls"
    declare "job_$tls=$(submit "$work/h$tls" "$work/data.ndjson" --format pdf)"
    stop_all
  done
  cat <<REPORT

Weft TLS cost — $(date -u +%FT%TZ), $(nproc) cores, $(git -C "$root" rev-parse --short HEAD)
(f) scheduling overhead per batch, master + 2 extensions, MariaDB, no-op engines:
      plain TCP $overhead_0 µs, mutual TLS $overhead_1 µs
(h) $records-record PDF job, master + 2 extensions (1+1 engines each):
      plain TCP $job_0 s, mutual TLS $job_1 s, ratio $(python3 -c "print(f'{$job_1 / $job_0:.2f}')")
an extension connecting to the master (TCP + TLS + BASP handshakes, ms, each join of (f)):
      plain TCP $connect_0; mutual TLS $connect_1
REPORT
  exit 0
fi

if [ "$only_takeover" = 0 ]; then
echo "bench: (f) scheduling overhead, no-op engines, $batches batches of one record"
# One SQLite node.
topology "$work/f1" sqlite 0 1
start "$work/f1" master WEFT_BENCH_NOOP_ENGINES=1
wait_log "$work/f1/master.log" "listening on"
t=$(submit "$work/f1" "$work/small.ndjson" --format txt)
overhead_sqlite=$(python3 -c "print(f'{$t / $batches * 1e6:.0f}')")
stop_all
# Master and two extensions, MariaDB.
topology "$work/f3" weft_f3 2 1
start "$work/f3" master WEFT_BENCH_NOOP_ENGINES=1
wait_log "$work/f3/master.log" "listening on"
start "$work/f3" ext1 WEFT_BENCH_NOOP_ENGINES=1
start "$work/f3" ext2 WEFT_BENCH_NOOP_ENGINES=1
wait_log "$work/f3/master.log" "node 'ext1' joined"
wait_log "$work/f3/master.log" "node 'ext2' joined"
t=$(submit "$work/f3" "$work/small.ndjson" --format txt)
overhead_mariadb=$(python3 -c "print(f'{$t / $batches * 1e6:.0f}')")
stop_all
# The durable part alone: one fenced completion, no actors, no messages.
completion_sqlite=$("$build/tests/bench/weft_completion_bench" "sqlite:$work/completion.db" "$batches" |
  sed -n 's/.* \([0-9]*\) us per batch.*/\1/p')
sql weft "CREATE DATABASE weft_cb"
completion_mariadb=$("$build/tests/bench/weft_completion_bench" "mariadb://weft@127.0.0.1:$mport/weft_cb" \
  "$WEFT_TEST_MARIADB_PASSWORD_FILE" "$batches" | sed -n 's/.* \([0-9]*\) us per batch.*/\1/p')

echo "bench: (g) failover: SIGKILL and SIGSTOP of an extension mid-job"
failover() {  # failover DIR SIGNAL -> sets failover_ms: from the signal to the first batch handed out again
  local dir=$1 sig=$2
  start "$dir" master
  wait_log "$dir/master.log" "listening on"
  start "$dir" ext1
  local e1=$last_pid
  start "$dir" ext2
  wait_log "$dir/master.log" "node 'ext1' joined"
  wait_log "$dir/master.log" "node 'ext2' joined"
  submit "$dir" "$work/data.ndjson" --format txt >/dev/null 2>&1 &
  local sub=$!
  wait_log "$dir/master.log" "merge batches of"
  sleep 0.3  # let ext1 take batches (a measurement pause, not synchronisation)
  local t0; t0=$(now)
  kill -"$sig" "$e1"
  wait_log "$dir/master.log" "goes back to the queue as attempt"
  local line; line=$(grep -m1 "goes back to the queue as attempt" "$dir/master.log")
  local t1; t1=$(date -d "$(echo "$line" | cut -c1-23 | tr T ' ')" +%s.%N)
  wait "$sub" || true
  kill -CONT "$e1" 2>/dev/null || true
  stop_all
  failover_ms=$(python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')")
}
topology "$work/g1" weft_g1 2 50
failover "$work/g1" KILL
kill_ms=$failover_ms
topology "$work/g2" weft_g2 2 50
failover "$work/g2" STOP
stop_ms=$failover_ms
fi

echo "bench: (i) master take-over: SIGKILL and SIGSTOP of the active master mid-job"
log_time() { date -d "$(echo "$1" | cut -c1-23 | tr T ' ')" +%s.%N; }
candidate_port() {  # candidate_port DIR NAME
  sed -n "/name = \"$2\"/,/listen/p" "$1/weft.toml" | sed -n 's/listen = "127.0.0.1:\([0-9]*\)"/\1/p'
}
# Waits until FILE has more than N lines matching PATTERN; prints the (N+1)th.
wait_nth() {  # wait_nth FILE PATTERN N
  for _ in $(seq 1 600); do
    if [ "$(grep -c "$2" "$1" 2>/dev/null || true)" -gt "$3" ]; then
      grep "$2" "$1" | sed -n "$(($3 + 1))p"; return 0
    fi
    sleep 0.05
  done
  echo "bench: timed out waiting for '$2' in $1" >&2; tail "$1" >&2; return 1
}
takeover() {  # takeover DIR DB SIGNAL -> sets lease_ms and first_ms (from the signal)
  # The active master is whoever holds the lease when the job runs (on a loaded machine
  # a renewal may stall and the lease move before the job starts): that one is stopped,
  # and the other candidate's next take-over and first batch are timed.
  local dir=$1 db=$2 sig=$3
  start "$dir" master
  local p_master=$last_pid
  wait_log "$dir/master.log" "listening on"
  start "$dir" master2
  local p_master2=$last_pid
  start "$dir" ext1
  wait_log "$dir/ext1.log" "joined the master"
  wait_log "$dir/master2.log" "joined the master"
  local both; both="127.0.0.1:$(candidate_port "$dir" master),127.0.0.1:$(candidate_port "$dir" master2)"
  "$node" submit --connect "$both" --config "$dir/weft.toml" --data "$work/data.ndjson" \
    --template "$tmpl" --timeout-ms 60000 --wait --format txt >/dev/null 2>&1 &
  local sub=$!
  for _ in $(seq 1 600); do
    grep -q "merge batches of" "$dir/master.log" "$dir/master2.log" && break; sleep 0.05
  done
  sleep 0.3  # let the engines take batches (a measurement pause, not synchronisation)
  local active; active=$(sql "$db" "SELECT holder FROM leases WHERE name = 'scheduler'")
  local other=master2 victim=$p_master
  if [ "$active" = master2 ]; then other=master victim=$p_master2; fi
  local n_take n_first
  n_take=$(grep -c "taking over as the master" "$dir/$other.log" || true)
  n_first=$(grep -c "first batch handed out" "$dir/$other.log" || true)
  local t0; t0=$(now)
  kill -"$sig" "$victim"
  local first_line take_line
  if ! first_line=$(wait_nth "$dir/$other.log" "first batch handed out" "$n_first") ||
     ! take_line=$(wait_nth "$dir/$other.log" "taking over as the master" "$n_take"); then
    echo "bench:   $sig of $active: no take-over by $other measured (its log above)" >&2
    lease_ms=failed first_ms=failed
    kill "$sub" 2>/dev/null || true
    stop_all
    return 0
  fi
  local t1; t1=$(log_time "$take_line")
  local t2; t2=$(log_time "$first_line")
  echo "bench:   $sig of the active master $active; $other took over" >&2
  kill "$sub" 2>/dev/null || true
  wait "$sub" 2>/dev/null || true
  kill -CONT "$victim" 2>/dev/null || true
  stop_all
  lease_ms=$(python3 -c "print(f'{($t1 - $t0) * 1000:.0f}')")
  first_ms=$(python3 -c "print(f'{($t2 - $t0) * 1000:.0f}')")
  echo "bench:   lease taken after $lease_ms ms, first batch after $first_ms ms" >&2
}
standby=1
timing=''  # the defaults: heartbeat 250 ms, node_timeout 1 s, master_lease 1.5 s
topology "$work/i1" weft_i1 1 50
takeover "$work/i1" weft_i1 KILL
i_kill_lease=$lease_ms i_kill_first=$first_ms
topology "$work/i2" weft_i2 1 50
takeover "$work/i2" weft_i2 STOP
i_stop_lease=$lease_ms i_stop_first=$first_ms
timing='heartbeat = "100ms"\nnode_timeout = "250ms"\n'
topology "$work/i3" weft_i3 1 50
takeover "$work/i3" weft_i3 KILL
i_fast_lease=$lease_ms i_fast_first=$first_ms
topology "$work/i4" weft_i4 1 50
takeover "$work/i4" weft_i4 STOP
i_fast_stop_lease=$lease_ms i_fast_stop_first=$first_ms
standby=0
timing='heartbeat = "100ms"\nnode_timeout = "500ms"\n'
# The fence on the scheduler's writes: the same write with and without it.
fence_figures() {  # the bench's "fenced X us, unfenced Y us" as "X Y"
  sed -n 's/.*fenced \([0-9]*\) us, unfenced \([0-9]*\) us per write.*/\1 \2/p'
}
read -r fence_sqlite unfence_sqlite < <("$build/tests/bench/weft_completion_bench" \
  "sqlite:$work/fence.db" "$batches" | fence_figures)
sql weft "CREATE DATABASE weft_fence"
read -r fence_mariadb unfence_mariadb < <("$build/tests/bench/weft_completion_bench" \
  "mariadb://weft@127.0.0.1:$mport/weft_fence" "$WEFT_TEST_MARIADB_PASSWORD_FILE" "$batches" |
  fence_figures)
takeover_report() {
  cat <<REPORT
(i) active master SIGKILL / SIGSTOP -> lease taken / first batch handed out by the new master:
      SIGKILL, defaults (master_lease 1.5 s):  $i_kill_lease ms / $i_kill_first ms   (target < 2000)
      SIGSTOP, defaults:                       $i_stop_lease ms / $i_stop_first ms   (target < 2000)
      SIGKILL, node_timeout 250 ms:            $i_fast_lease ms / $i_fast_first ms   (target < 1000)
      SIGSTOP, node_timeout 250 ms:            $i_fast_stop_lease ms / $i_fast_stop_first ms   (target < 1000)
    a scheduler write (one batch's new attempt) fenced / unfenced ($batches each):
      SQLite $fence_sqlite / $unfence_sqlite µs, MariaDB $fence_mariadb / $unfence_mariadb µs
REPORT
}
if [ "$only_takeover" = 1 ]; then
  echo
  echo "Weft master take-over — $(date -u +%FT%TZ), $(nproc) cores, $(git -C "$root" rev-parse --short HEAD)"
  takeover_report
  exit 0
fi

echo "bench: (h) $records records: one node against a master and two extensions"
topology "$work/h1" weft_h1 0 1000 2
start "$work/h1" master
wait_log "$work/h1/master.log" "listening on"
one=$(submit "$work/h1" "$work/data.ndjson" --format pdf)
stop_all
topology "$work/h3" weft_h3 2 1000 1
start "$work/h3" master
wait_log "$work/h3/master.log" "listening on"
start "$work/h3" ext1
start "$work/h3" ext2
wait_log "$work/h3/master.log" "node 'ext2' joined"
wait_log "$work/h3/master.log" "node 'ext1' joined"
three=$(submit "$work/h3" "$work/data.ndjson" --format pdf)
stop_all

cat <<REPORT

Weft cluster benchmark — $(date -u +%FT%TZ), $(nproc) cores, $(git -C "$root" rev-parse --short HEAD)
(f) scheduling overhead per batch, no-op engines, durable state ($batches one-record batches, submit to done / batches):
      one node, SQLite:                 $overhead_sqlite µs   (target <= 50)
      master + 2 extensions, MariaDB:   $overhead_mariadb µs   (target <= 200)
    of which the fenced completion in the database alone (weft_completion_bench):
      SQLite $completion_sqlite µs, MariaDB $completion_mariadb µs
(g) extension SIGKILL -> its batches handed out again:   $kill_ms ms   (target < 1000)
    extension SIGSTOP -> its batches handed out again:   $stop_ms ms   (node_timeout 500 ms; target < 1000)
$(takeover_report)
(h) $records-record PDF job: one node (2+2 engines, MariaDB) $one s; master + 2 extensions (1+1 engines each, same machine) $three s; ratio $(python3 -c "print(f'{$three / $one:.2f}')")
REPORT

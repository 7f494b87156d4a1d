#!/usr/bin/env bash
# The sweep part of the benchmark (scripts/bench.sh --sweep, docs/benchmark.md "Job
# throughput during a sweep"): the records/s of a PDF job while the clean-up service's
# database sweep deletes a million rows, against the same job without a sweep.
#
#   scripts/bench_sweep.sh [--records N] [--rows R] [--rounds K] [--batch-size B]
#
# On its own disposable MariaDB server (scripts/mariadb.sh), with one node (a master on
# loopback, on a reserved port (scripts/test_port.sh), one merge and one weaver engine per
# core, the clean-up schedule set never to fire):
#   1. a warm-up N-record job (default 50,000) through the node; its rows are the model;
#   2. fill: ceil(R / N) copies of that finished job (jobs, records, batches, content and
#      outputs rows, server-side INSERT ... SELECT), finished two days ago, far beyond the
#      retention of one hour: R (default 1,000,000) records, exactly what the database
#      sweep deletes;
#   3. K rounds (default 3), each: fill, (b) the N-record job alone, (c) `caf-node cleanup
#      run` started, and once its sweep row is `running` the same job submitted; the round
#      counts only if the sweep started before the job and ended after it, and deleted at
#      least R records. InnoDB's purge of earlier deletes is waited for before each job.
#   4. the medians: job records/s without and with the sweep, the ratio (the median of the
#      rounds' ratios: each round's two jobs run back to back, which cancels slow drifts of
#      a shared machine), the sweep's duration and rows deleted.
# `--batch-size` is `[cleanup] batch_size` (default 1000, rows per delete transaction).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BUILD_DIR:-$root/build}
records=50000
rows=1000000
rounds=3
batch_size=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --records) records=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --batch-size) batch_size=$2; shift 2 ;;
    *) echo "usage: bench_sweep.sh [--records N] [--rows R] [--rounds K] [--batch-size B]" >&2; exit 2 ;;
  esac
done
WEFT_TARGETS="caf-node weft_gen_invoices" "$root/scripts/build.sh"
node="$build/runtime/caf-node"
tmpl="$root/actors/document/samples/invoice.mustache"
. "$root/scripts/bench_common.sh"
bench_start sweep
# The script's own queries go through the root socket: `SHOW ENGINE INNODB STATUS` needs it.
sql() { mariadb --no-defaults --socket="$WEFT_TEST_MARIADB_ROOT_SOCKET" -uroot -N -B weft -e "$1"; }
median() { python3 -c 'import statistics,sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }
cores=$(nproc)

weft_test_port port
(umask 077; head -c 32 /dev/urandom | base64 >"$work/cluster.secret")
cat >"$work/weft.toml" <<TOML
[cluster]
name = "bench-sweep"
secret_file = "cluster.secret"
[database]
url = "mariadb://weft@127.0.0.1:$mport/weft"
password_file = "$WEFT_TEST_MARIADB_PASSWORD_FILE"
[files]
root = "files"
[log]
level = "warn"
[cleanup]
schedule = "0 0 31 2 *"   # never fires: this script starts every sweep
lock_at_most = "10m"
lock_at_least = "0s"
batch_size = $batch_size
retain = { jobs = "1h", content = "1h", outputs = "1h" }
orphan_min_age = "1h"
[[node]]
name = "master"
role = "master"
listen = "127.0.0.1:$port"
merge_engines = $cores
weaver_engines = $cores
TOML
"$node" run --config "$work/weft.toml" 2>"$work/node.log" &
pids+=("$!")
listening() { python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; }
for _ in $(seq 1 600); do listening && break; sleep 0.05; done
listening || { echo "bench: the node did not start" >&2; cat "$work/node.log" >&2; exit 1; }

submit() {  # submit -> "job_id seconds records_per_s"
  local out
  out=$("$node" submit --connect "127.0.0.1:$port" --config "$work/weft.toml" --data "$work/data.ndjson" \
    --template "$tmpl" --format pdf --wait --timeout-ms 600000 2>&1 >/dev/null) ||
    { echo "bench: the job failed: $out" >&2; exit 1; }
  out=$(sed -n 's/.*job \([0-9]*\) done: .* records in \([0-9.]*\) s (\([0-9]*\) records\/s).*/\1 \2 \3/p' <<<"$out")
  [ -n "$out" ] || { echo "bench: no job summary from caf-node submit" >&2; exit 1; }
  echo "$out"
}

# Waits until InnoDB has purged the rows deleted so far (history list below 1,000), so that
# the purge of one sweep does not run into the next measurement.
quiesce() {
  local n
  for _ in $(seq 1 1200); do
    n=$(sql "SHOW ENGINE INNODB STATUS" | grep -o 'History list length [0-9]*' | grep -o '[0-9]*$')
    [ "${n:-0}" -lt 1000 ] && return 0
    sleep 0.1
  done
  echo "bench: InnoDB purge still has $n undo logs after 120 s; measuring anyway" >&2
}

"$build/actors/document/weft_gen_invoices" --count "$records" --out "$work/data.ndjson"
echo "bench: warm-up $records-record job (the model of the rows to sweep)"
res=$(submit); read -r model _ _ <<<"$res"
model_records=$(sql "SELECT COUNT(*) FROM records WHERE job_id = $model")
[ "$model_records" = "$records" ] ||
  { echo "bench: job $model kept $model_records records, not $records" >&2; exit 1; }
copies=$(( (rows + records - 1) / records ))

# One SQL script that copies the model job `copies` times, every column of every table
# but the job id (read from information_schema, so a new column is copied too).
columns() {  # columns TABLE -> the columns but id / job_id, comma-separated
  sql "SELECT GROUP_CONCAT(column_name ORDER BY ordinal_position) FROM information_schema.columns
       WHERE table_schema = 'weft' AND table_name = '$1' AND column_name NOT IN ('id', 'job_id')"
}
job_cols=$(columns jobs)
job_exprs=$(tr ',' '\n' <<<"$job_cols" | sed -e 's/^state$/'"'"'done'"'"'/' \
  -e 's/^\(submitted_at\|started_at\|finished_at\|updated_at\)$/@old/' | paste -sd,)
{
  echo "SET @old = UTC_TIMESTAMP(6) - INTERVAL 2 DAY;"
  for _ in $(seq 1 "$copies"); do
    echo "INSERT INTO jobs ($job_cols) SELECT $job_exprs FROM jobs WHERE id = $model;"
    echo "SET @j = LAST_INSERT_ID();"
    for t in records batches content outputs; do
      c=$(columns "$t")
      echo "INSERT INTO $t (job_id, $c) SELECT @j, $c FROM $t WHERE job_id = $model;"
    done
  done
} >"$work/fill.sql"
fill() {  # -> seconds
  local t0; t0=$(date +%s.%N)
  mariadb --no-defaults --socket="$WEFT_TEST_MARIADB_ROOT_SOCKET" -uroot weft <"$work/fill.sql"
  python3 -c "import time; print(f'{time.time() - $t0:.1f}')"
}
per_job=$(sql "SELECT (SELECT COUNT(*) FROM records WHERE job_id = $model) +
  (SELECT COUNT(*) FROM batches WHERE job_id = $model) + (SELECT COUNT(*) FROM content WHERE job_id = $model) +
  (SELECT COUNT(*) FROM outputs WHERE job_id = $model) + 1")
echo "bench: each round sweeps $copies finished jobs: $((copies * per_job)) rows ($((copies * records)) records)"

lock_waits() { sql "SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'" | cut -f2; }
base_rates=(); sweep_rates=(); ratios=(); sweep_secs=(); sweep_rows=(); fills=(); waits=0
for r in $(seq 1 "$rounds"); do
  fills+=("$(fill)")
  quiesce
  res=$(submit); read -r _ bsec brate <<<"$res"
  base_rates+=("$brate")
  quiesce
  waits0=$(lock_waits)
  "$node" cleanup run --config "$work/weft.toml" --node master >"$work/sweep.$r.json" 2>"$work/sweep.$r.err" &
  sweep_pid=$!
  for _ in $(seq 1 600); do
    [ "$(sql "SELECT COUNT(*) FROM sweeps WHERE status = 'running'")" -gt 0 ] && break
    kill -0 "$sweep_pid" 2>/dev/null || break
    sleep 0.05
  done
  res=$(submit); read -r sjob ssec srate <<<"$res"
  wait "$sweep_pid" || { echo "bench: the sweep failed: $(cat "$work/sweep.$r.json" "$work/sweep.$r.err")" >&2; exit 1; }
  waits=$((waits + $(lock_waits) - waits0))
  IFS=$'\t' read -r sub fin < <(sql "SELECT CAST(submitted_at AS CHAR), CAST(finished_at AS CHAR) FROM jobs WHERE id = $sjob")
  # Checks the sweep (its JSON answer) against the job's timestamps, both on the database clock.
  read -r secs deleted deleted_records verdict < <(python3 - "$work/sweep.$r.json" "$sub $fin" "$rows" <<'PY'
import json, sys
from datetime import datetime
s = json.load(open(sys.argv[1]))
parse = lambda t: datetime.fromisoformat(t)
sub, fin = (parse(" ".join(sys.argv[2].split()[i:i + 2])) for i in (0, 2))
start, end = parse(s["started_at"]), parse(s["finished_at"])
rows = sum(s.get(k, 0) for k in ("jobs_deleted", "records_deleted", "batches_deleted",
                                  "content_deleted", "outputs_deleted"))
ok = s["status"] == "done" and start <= sub and end >= fin and s["records_deleted"] >= int(sys.argv[3])
why = "overlap" if ok else (f"status {s['status']}" if s["status"] != "done" else
      "started after the job" if start > sub else "ended before the job" if end < fin else "too few records")
print(f"{(end - start).total_seconds():.1f}", rows, s["records_deleted"], why)
PY
)
  if [ "$verdict" != overlap ]; then
    echo "bench: round $r does not count: the sweep $verdict (sweep $(cat "$work/sweep.$r.json"); job $sub .. $fin)" >&2
    exit 1
  fi
  sweep_rates+=("$srate"); sweep_secs+=("$secs"); sweep_rows+=("$deleted")
  ratios+=("$(python3 -c "print(f'{$srate / $brate:.2f}')")")
  echo "bench: round $r: without a sweep $brate records/s ($bsec s); during the sweep $srate records/s ($ssec s), ratio ${ratios[-1]}; the sweep deleted $deleted rows ($deleted_records records) in $secs s (fill ${fills[-1]} s)"
  quiesce
done

base=$(median "${base_rates[@]}"); during=$(median "${sweep_rates[@]}"); ratio=$(median "${ratios[@]}")
cat <<REPORT

Weft sweep benchmark — $(date -u +%FT%TZ), $cores cores, $(git -C "$root" rev-parse --short HEAD), MariaDB $(sql "SELECT VERSION()")
$records-record PDF job on one node ($cores merge + $cores weaver engines); sweep: batch_size $batch_size, $copies finished jobs per round; $rounds rounds, medians:
(i)   job without a sweep:          $(printf '%.0f' "$base") records/s   (rounds: ${base_rates[*]})
(ii)  job during the sweep:         $(printf '%.0f' "$during") records/s   (rounds: ${sweep_rates[*]})
(iii) ratio with / without:         $(printf '%.2f' "$ratio")   (median of the rounds: ${ratios[*]}; target >= 0.8)
(iv)  sweep duration:               $(median "${sweep_secs[@]}") s   (rounds: ${sweep_secs[*]}); rows deleted per sweep: $(median "${sweep_rows[@]}" | cut -d. -f1) ($((copies * records)) records)
      InnoDB row lock waits while the sweeps and the jobs ran: $waits
REPORT

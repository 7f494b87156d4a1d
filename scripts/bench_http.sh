#!/usr/bin/env bash
# One-record jobs over the REST API (docs/api.md) against the CAF client, on one
# node (embedded SQLite), in one run: submit to done, p50 and p99.
#   HTTP: POST /v1/jobs, then GET /v1/jobs/{id} every 10 ms until done (the
#         polling an HTTP client does; there is no --wait over HTTP);
#   CAF:  caf-node submit --wait (a process per job, as bench.sh (d) measures it).
#
#
#   scripts/bench_http.sh [JOBS]      (default 100; called by scripts/bench.sh --http)
#
# With --load: one large job (RECORDS records, PDF) on the same node, run twice — alone, then
# while 200 GET /v1/jobs/{id} requests a second (open loop: 8 threads, one request each every
# 40 ms, bounded by the job's end and 15 minutes) hit the node's API; prints the job's
# records/s both times and the status requests' achieved rate, p50/p99 latency and failures.
#
#   scripts/bench_http.sh --load [RECORDS]   (default 100000)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/test_port.sh"
build=${WEFT_BUILD_DIR:-$root/build}
mode=latency
if [ "${1:-}" = "--load" ]; then
  mode=load
  shift
fi
jobs=${1:-100}
records=${1:-100000}
WEFT_TARGETS="caf-node" "$root/scripts/build.sh"
node="$build/runtime/caf-node"
work=$(mktemp -d /tmp/weft-bench-http.XXXXXX)
weft_test_port node_port
weft_test_port http_port
head -c 32 /dev/urandom | base64 >"$work/cluster.secret"
chmod 600 "$work/cluster.secret"
cat >"$work/weft.toml" <<TOML
[cluster]
name = "benchhttp"
secret_file = "cluster.secret"

[files]
root = "files"

[[node]]
name = "solo"
role = "master"
listen = "127.0.0.1:$node_port"
http_listen = "127.0.0.1:$http_port"
merge_engines = 2
weaver_engines = 1
TOML
token=$("$node" token create bench --scope submit --config "$work/weft.toml" 2>/dev/null)
"$node" run --config "$work/weft.toml" 2>"$work/node.log" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
printf 'id,name\n1,Ada\n' >"$work/one.csv"
printf 'Hello {{name}}\n' >"$work/one.mustache"
# Both measurements start once the node's API is ready (GET /readyz: 200), within 60 s.
python3 - "$http_port" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 60
while True:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/readyz", timeout=2) as r:
            if r.status == 200:
                break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("bench_http: the node's API did not become ready")
    time.sleep(0.1)
PY
if [ "$mode" = load ]; then
python3 - "$work" "$http_port" "$token" "$records" <<'PY'
import statistics, sys, threading, time
import requests
work, http_port, token, records = sys.argv[1:5]
records = int(records)
base = f"http://127.0.0.1:{http_port}"
auth = {"Authorization": f"Bearer {token}"}
data = ("id,name,city\n" + "".join(f"{i},Customer {i},Town {i % 97}\n"
                                   for i in range(records))).encode()
tmpl = b"Invoice {{id}} for {{name}} of {{city}}\n\nThank you for your order.\n"

def submit():
    r = requests.post(f"{base}/v1/jobs", headers=auth, timeout=120,
                      files=[("data", ("big.csv", data)), ("template", ("big.mustache", tmpl)),
                             ("format", (None, "pdf"))])
    r.raise_for_status()
    return r.json()["id"]

def state(job):
    return requests.get(f"{base}/v1/jobs/{job}", headers=auth, timeout=30).json()["state"]

def run(load):
    job = submit()
    t0 = time.monotonic()
    lat, failed, stop = [], [0], threading.Event()
    lock = threading.Lock()

    def hammer():
        s = requests.Session()
        nxt = time.monotonic()
        while not stop.is_set() and time.monotonic() - t0 < 900:
            a = time.monotonic()
            try:
                ok = s.get(f"{base}/v1/jobs/{job}", headers=auth, timeout=10).status_code == 200
            except requests.RequestException:
                ok = False
            b = time.monotonic()
            with lock:
                lat.append(b - a)
                failed[0] += 0 if ok else 1
            nxt += 0.040
            time.sleep(max(0.0, nxt - time.monotonic()))

    threads = [threading.Thread(target=hammer) for _ in range(8 if load else 0)]
    for t in threads:
        t.start()
    while state(job) not in ("done", "failed", "cancelled") and time.monotonic() - t0 < 900:
        time.sleep(0.5)
    took = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join()
    end = state(job)
    if end != "done":
        sys.exit(f"bench_http: the large job ended {end}")
    return took, lat, failed[0]

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

alone, _, _ = run(False)
print(f"bench_http --load: {records}-record PDF job alone: {alone:.1f} s, {records / alone:.0f} records/s")
loaded, lat, failed = run(True)
print(f"bench_http --load: the same job under 200 status requests/s: {loaded:.1f} s, "
      f"{records / loaded:.0f} records/s ({(loaded / alone - 1) * 100:+.0f} %)")
print(f"bench_http --load: {len(lat)} GET /v1/jobs/{{id}} in {loaded:.1f} s = {len(lat) / loaded:.0f}/s, "
      f"p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
      f"max {max(lat) * 1000:.0f} ms, {failed} failed")
PY
exit 0
fi
python3 - "$node" "$work" "$node_port" "$http_port" "$token" "$jobs" <<'PY'
import statistics, subprocess, sys, time
import requests
node, work, node_port, http_port, token, jobs = sys.argv[1:7]
jobs = int(jobs)
base = f"http://127.0.0.1:{http_port}"
auth = {"Authorization": f"Bearer {token}"}
data = open(f"{work}/one.csv", "rb").read()
tmpl = open(f"{work}/one.mustache", "rb").read()
session = requests.Session()

def http_job():
    t0 = time.monotonic()
    r = session.post(f"{base}/v1/jobs", headers=auth, timeout=30,
                     files=[("data", ("one.csv", data)), ("template", ("one.mustache", tmpl)),
                            ("format", (None, "txt"))])
    r.raise_for_status()
    url = base + r.json()["url"]
    while True:
        j = session.get(url, headers=auth, timeout=30).json()
        if j["state"] in ("done", "failed", "cancelled"):
            if j["state"] != "done":
                sys.exit(f"bench_http: job ended {j['state']}")
            return time.monotonic() - t0
        time.sleep(0.01)

def caf_job():
    t0 = time.monotonic()
    subprocess.run([node, "submit", "--connect", f"127.0.0.1:{node_port}", "--config", f"{work}/weft.toml",
                    "--data", f"{work}/one.csv", "--template", f"{work}/one.mustache", "--format", "txt",
                    "--wait"], check=True, capture_output=True, timeout=60)
    return time.monotonic() - t0

def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]

for name, fn in (("http", http_job), ("caf", caf_job)):
    fn()  # warm-up
    times = [fn() for _ in range(jobs)]
    print(f"bench_http: {name:4s} {jobs} one-record jobs: p50 {pct(times, 50) * 1000:.0f} ms, "
          f"p99 {pct(times, 99) * 1000:.0f} ms, mean {statistics.mean(times) * 1000:.0f} ms")
PY

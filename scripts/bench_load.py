#!/usr/bin/env python3
"""Concurrent small jobs against one node (scripts/bench_load.sh runs it).

CLIENTS threads each submit JOBS small jobs one after another with `caf-node submit
--wait`, as a web shop's workers would. Reports jobs/s over the wall time, the
submit-to-done latency the client measures (p50/p99, client start-up excluded) and
the latency with the client process's start-up, and every failed submission.
Exit status 1 when a job failed or was lost.

With --http BASE TOKEN TEMPLATE DATA CLIENTS JOBS the clients use the REST API instead
(docs/api.md): POST /v1/jobs, then GET /v1/jobs/{id}?wait=10 (a long poll, asked again
until the job ended); no process starts, so jobs/s is the node's own rate.
"""
import re
import subprocess
import sys
import threading
import time


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, (len(values) * p) // 100)]


def run_clients(clients, client):
    """Runs `client` in CLIENTS threads at once; returns the wall time they took."""
    start = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


def counts(what, clients, jobs, done, failed):
    """Prints how many jobs were done, failed and answered twice (`done`: (id, ...))."""
    ids = [d[0] for d in done]
    print(f"load: {clients} {what} x {jobs} jobs: {len(done)} done, {len(failed)} failed, "
          f"{len(ids) - len(set(ids))} job ids answered twice")


def outcome(clients, jobs, done, failed):
    """Prints the failures; the exit status: 1 when a job failed or was lost."""
    for f in failed[:10]:
        print("load: FAILED:", f)
    return 1 if failed or len(done) != clients * jobs else 0


def http_main():
    import requests

    base, token, template, data, clients, jobs = sys.argv[2:8]
    clients, jobs = int(clients), int(jobs)
    auth = {"Authorization": f"Bearer {token}"}
    body = open(data, "rb").read()
    tmpl = open(template, "rb").read()
    done, failed = [], []
    lock = threading.Lock()

    def client():
        session = requests.Session()
        for _ in range(jobs):
            start = time.monotonic()
            try:
                r = session.post(f"{base}/v1/jobs", headers=auth, timeout=60,
                                 files=[("data", ("data.ndjson", body)),
                                        ("template", ("invoice.mustache", tmpl)),
                                        ("format", (None, "txt"))])
                r.raise_for_status()
                job = r.json()["id"]
                while True:
                    j = session.get(f"{base}/v1/jobs/{job}?wait=10", headers=auth,
                                    timeout=60).json()
                    if j["state"] in ("done", "failed", "cancelled"):
                        break
                    if time.monotonic() - start > 60:
                        raise RuntimeError(f"job {job} not done within 60 s")
                wall = time.monotonic() - start
                with lock:
                    if j["state"] == "done":
                        done.append((job, wall))
                    else:
                        failed.append(f"job {job} {j['state']}: {j.get('error', '')}")
            except Exception as e:  # noqa: BLE001 - every failure is reported
                with lock:
                    failed.append(str(e))

    wall = run_clients(clients, client)
    counts("HTTP clients", clients, jobs, done, failed)
    if done:
        lat = [d[1] for d in done]
        print(f"load: {len(done) / wall:.1f} jobs/s over {wall:.2f} s wall")
        print(f"load: submit to done (POST, then GET ?wait=10): p50 "
              f"{pct(lat, 50) * 1000:.0f} ms, p99 {pct(lat, 99) * 1000:.0f} ms")
    return outcome(clients, jobs, done, failed)


def main():
    if sys.argv[1] == "--http":
        return http_main()
    node, config, port, template, data, clients, jobs = sys.argv[1:8]
    clients, jobs = int(clients), int(jobs)
    done, failed = [], []
    lock = threading.Lock()

    def client():
        for _ in range(jobs):
            start = time.monotonic()
            run = subprocess.run(
                [node, "submit", "--connect", f"127.0.0.1:{port}", "--config", config,
                 "--data", data, "--template", template, "--format", "txt", "--wait",
                 "--timeout-ms", "60000"],
                capture_output=True, text=True)
            wall = time.monotonic() - start
            m = re.search(r"job (\d+) done: \d+ records in ([0-9.]+) s", run.stderr)
            with lock:
                if run.returncode == 0 and m:
                    done.append((int(m.group(1)), float(m.group(2)), wall))
                else:
                    failed.append((run.stderr.strip().splitlines() or ["(no output)"])[-1])

    wall = run_clients(clients, client)
    counts("clients", clients, jobs, done, failed)
    n = len(done)
    if n:
        lat = [d[1] for d in done]
        full = [d[2] for d in done]
        print(f"load: {n / wall:.1f} jobs/s over {wall:.2f} s wall (client start-up included)")
        print(f"load: submit to done (client start-up excluded): p50 {pct(lat, 50) * 1000:.0f} ms, "
              f"p99 {pct(lat, 99) * 1000:.0f} ms")
        print(f"load: with the client's start-up: p50 {pct(full, 50) * 1000:.0f} ms, "
              f"p99 {pct(full, 99) * 1000:.0f} ms")
    return outcome(clients, jobs, done, failed)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""The REST API (docs/api.md) against real caf-node processes on loopback.

  http_api_test.py --caf-node PATH --port-tool PATH solo      one node, embedded SQLite
  http_api_test.py --caf-node PATH --port-tool PATH cluster   master + 2 extensions on MariaDB
                                                              (WEFT_TEST_MARIADB_URL, _PASSWORD_FILE)
  http_api_test.py --caf-node PATH --port-tool PATH haproxy   the same three nodes behind HAProxy, run
                                                              with docs/operations.md's example config

Every check waits for a condition with a deadline; a failed check prints what was
expected and what came, the nodes' logs, and exits 1.
"""

import argparse
import csv
import hashlib
import io
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import requests

CHECKS = 0


class TestFailure(Exception):
    pass


def check(condition, what):
    global CHECKS
    CHECKS += 1
    if not condition:
        raise TestFailure(what)


def wait_for(what, predicate, timeout=60.0, interval=0.1):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except (requests.RequestException, OSError) as e:
            last = e
        time.sleep(interval)
    raise TestFailure(f"timed out after {timeout} s waiting for {what} (last: {last!r})")


def json_error(resp, status, code):
    """The response is `status` with the JSON error body of `code`."""
    check(resp.status_code == status,
          f"{resp.request.method} {resp.request.url}: want {status}, got {resp.status_code}: {resp.text[:300]}")
    check(resp.headers.get("Content-Type", "").startswith("application/json"),
          f"error without a JSON content type: {resp.headers}")
    body = resp.json()
    check(isinstance(body.get("error"), dict), f"no error object: {body}")
    check(body["error"].get("code") == code, f"want code {code}, got {body}")
    check(isinstance(body["error"].get("message"), str) and body["error"]["message"],
          f"no message: {body}")


class Ports:
    """Ports reserved by tests/support's allocator for the life of this test."""

    def __init__(self, tool, count):
        self.proc = subprocess.Popen([tool, str(count), "--hold"], stdout=subprocess.PIPE, text=True)
        self.ports = [int(self.proc.stdout.readline()) for _ in range(count)]

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(10)


class Cluster:
    def __init__(self, caf_node, root, names, ports, database="", extra=""):
        self.caf_node = caf_node
        self.root = root
        self.names = names
        self.procs = {}
        self.logs = {}
        self.http = {}
        os.makedirs(os.path.join(root, "files"), exist_ok=True)
        with open(os.path.join(root, "cluster.secret"), "w") as f:
            f.write("http-api-test-secret-0123456789abcdef\n")
        os.chmod(os.path.join(root, "cluster.secret"), 0o600)
        lines = ['[cluster]', 'name = "httptest"', 'secret_file = "cluster.secret"', '',
                 '[files]', 'root = "files"', '', database, extra, '']
        for i, name in enumerate(names):
            self.http[name] = f"http://127.0.0.1:{ports[2 * i + 1]}"
            lines += ['[[node]]', f'name = "{name}"', f'role = "{"master" if i == 0 else "extension"}"',
                      f'listen = "127.0.0.1:{ports[2 * i]}"', f'http_listen = "127.0.0.1:{ports[2 * i + 1]}"',
                      'merge_engines = 2', 'weaver_engines = 1', '']
        self.config = os.path.join(root, "weft.toml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines))

    def start(self, name):
        log = open(os.path.join(self.root, f"{name}.log"), "ab")
        self.logs[name] = log.name
        self.procs[name] = subprocess.Popen([self.caf_node, "run", "--config", self.config, "--node", name],
                                            stdout=log, stderr=subprocess.STDOUT)

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()

    def token(self, name, scope, expires=None):
        cmd = [self.caf_node, "token", "create", name, "--scope", scope, "--config", self.config]
        if expires:
            cmd += ["--expires", expires]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"token create failed: {out.stderr}")
        token = out.stdout.strip()
        check(token.startswith("weft_") and len(token) == 69, f"odd token {token!r}")
        return token

    def dump_logs(self):
        for name, path in self.logs.items():
            print(f"----- {name} log (last 60 lines) -----")
            with open(path, errors="replace") as f:
                print("".join(f.readlines()[-60:]))


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def csv_data(records):
    rows = ["id,name,amount"] + [f"{i},Customer {i},{i * 3}.50" for i in range(1, records + 1)]
    return ("\n".join(rows) + "\n").encode()


TEMPLATE = b"Invoice {{id}} for {{name}}: {{amount}} EUR\n"


def submit(base, token, records=5, key=None, fmt="txt", name="invoices", extra_fields=None,
           template=None):
    headers = auth(token)
    if key:
        headers["Idempotency-Key"] = key
    fields = {"format": (None, fmt), "name": (None, name)}
    fields.update(extra_fields or {})
    files = [("data", ("data.csv", csv_data(records), "text/csv")),
             ("template", ("invoice.mustache", template or TEMPLATE, "text/plain"))]
    return requests.post(f"{base}/v1/jobs", headers=headers,
                         files=files + [(k, v) for k, v in fields.items()], timeout=60)


def wait_job(base, token, job, states=("done",), timeout=120):
    def finished():
        r = requests.get(f"{base}/v1/jobs/{job}", headers=auth(token), timeout=10)
        if r.status_code != 200:
            return None
        j = r.json()
        return j if j.get("state") in states + ("failed", "cancelled", "done") else None
    j = wait_for(f"job {job} to finish", finished, timeout)
    check(j["state"] in states, f"job {job} ended {j['state']}, want {states}: {j}")
    return j


def raw_exchange(port, data, read_timeout=15):
    """Sends `data` on a fresh connection and reads until the server closes it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=read_timeout)
    try:
        s.sendall(data)
        chunks = []
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
        return b"".join(chunks)
    finally:
        s.close()


def parse_raw(reply):
    head, _, body = reply.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return status, head.decode(errors="replace"), body


# -- the checks --------------------------------------------------------------------------


def check_health(base, node):
    r = requests.get(f"{base}/healthz", timeout=10)
    check(r.status_code == 200 and r.json()["node"] == node, f"healthz: {r.status_code} {r.text}")
    wait_for(f"{node} ready", lambda: requests.get(f"{base}/readyz", timeout=10).status_code == 200)
    r = requests.get(f"{base}/readyz", timeout=10)
    check(r.json()["status"] == "ready", f"readyz: {r.text}")


def check_auth(base, tokens):
    json_error(requests.get(f"{base}/v1/jobs", timeout=10), 401, "unauthorized")
    json_error(requests.get(f"{base}/v1/jobs", headers=auth("weft_" + "0" * 64), timeout=10), 401,
               "unauthorized")
    json_error(requests.get(f"{base}/v1/jobs", headers={"Authorization": "Basic eDp5"}, timeout=10),
               401, "unauthorized")
    json_error(submit(base, tokens["read"]), 403, "forbidden")
    json_error(requests.delete(f"{base}/v1/jobs/1", headers=auth(tokens["read"]), timeout=10), 403,
               "forbidden")
    json_error(requests.get(f"{base}/v1/jobs", headers=auth(tokens["revoked"]), timeout=10), 401,
               "unauthorized")
    json_error(requests.get(f"{base}/v1/jobs", headers=auth(tokens["expired"]), timeout=10), 401,
               "unauthorized")
    check(requests.get(f"{base}/v1/jobs", headers=auth(tokens["read"]), timeout=10).status_code == 200,
          "a read token lists jobs")


def check_not_found(base, token):
    json_error(requests.get(f"{base}/v1/jobs/999999", headers=auth(token), timeout=10), 404, "not_found")
    json_error(requests.get(f"{base}/v1/jobs/abc", headers=auth(token), timeout=10), 404, "not_found")
    json_error(requests.get(f"{base}/v1/nothing", headers=auth(token), timeout=10), 404, "not_found")
    json_error(requests.put(f"{base}/v1/jobs", headers=auth(token), timeout=10), 405,
               "method_not_allowed")


def check_job_flow(submit_base, follow_base, tokens):
    """Submit on one node, follow on another, download with Range."""
    r = submit(submit_base, tokens["submit"], records=30)
    check(r.status_code == 202, f"submit: {r.status_code} {r.text}")
    job = r.json()["id"]
    check(r.json()["url"] == f"/v1/jobs/{job}" and r.headers["Location"] == f"/v1/jobs/{job}",
          f"submit answer: {r.text} {r.headers}")
    j = wait_job(follow_base, tokens["read"], job)
    check(j["records"] == 30 if "records" in j else True, f"records: {j}")
    outs = requests.get(f"{follow_base}/v1/jobs/{job}/outputs", headers=auth(tokens["read"]), timeout=10)
    check(outs.status_code == 200 and outs.json()["outputs"], f"outputs: {outs.text}")
    out = outs.json()["outputs"][0]
    url = follow_base + out["url"]
    whole = requests.get(url, headers=auth(tokens["read"]), timeout=30)
    check(whole.status_code == 200, f"download: {whole.status_code} {whole.text[:200]}")
    check(int(whole.headers["Content-Length"]) == len(whole.content) == out["bytes"],
          f"length {whole.headers.get('Content-Length')} / {len(whole.content)} / {out['bytes']}")
    text = whole.content.decode()
    check(all(f"Invoice {i} for Customer {i}:" in text for i in range(1, 31)), "every record rendered")
    check(sum(text.count(f"Invoice {i} for") for i in range(1, 31)) == 30, "each record exactly once")
    etag = whole.headers["ETag"]
    part = requests.get(url, headers={**auth(tokens["read"]), "Range": "bytes=10-29"}, timeout=10)
    check(part.status_code == 206 and part.content == whole.content[10:30],
          f"range: {part.status_code} {part.content!r}")
    check(part.headers["Content-Range"] == f"bytes 10-29/{len(whole.content)}", part.headers)
    tail = requests.get(url, headers={**auth(tokens["read"]), "Range": "bytes=-7"}, timeout=10)
    check(tail.status_code == 206 and tail.content == whole.content[-7:], f"suffix range: {tail.content!r}")
    json_error(requests.get(url, headers={**auth(tokens["read"]), "Range": f"bytes={len(whole.content) + 5}-"},
                            timeout=10), 416, "range_not_satisfiable")
    same = requests.get(url, headers={**auth(tokens["read"]), "If-None-Match": etag}, timeout=10)
    check(same.status_code == 304, f"If-None-Match: {same.status_code}")
    json_error(requests.get(follow_base + f"/v1/jobs/{job}/outputs/nope.txt", headers=auth(tokens["read"]),
                            timeout=10), 404, "not_found")
    listed = requests.get(f"{follow_base}/v1/jobs?state=done&limit=1", headers=auth(tokens["read"]), timeout=10)
    check(listed.status_code == 200 and len(listed.json()["jobs"]) == 1, f"list: {listed.text[:300]}")
    return job


def check_paging(base, token, jobs):
    seen = []
    url = f"{base}/v1/jobs?limit=2"
    while url:
        r = requests.get(url, headers=auth(token), timeout=10)
        check(r.status_code == 200, f"page: {r.text}")
        page = r.json()
        check(len(page["jobs"]) <= 2, "a page has at most limit jobs")
        seen += [j["id"] for j in page["jobs"]]
        url = base + page["next"] if page["next"] else None
    check(seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)), f"pages: {seen}")
    check(set(jobs) <= set(seen), f"every job on some page: {jobs} in {seen}")
    json_error(requests.get(f"{base}/v1/jobs?state=sleeping", headers=auth(token), timeout=10), 400,
               "bad_request")


def check_idempotency(base, token):
    a = submit(base, token, records=3, key="order-4711")
    b = submit(base, token, records=3, key="order-4711")
    check(a.status_code == 202 and b.status_code == 202, f"{a.text} {b.text}")
    check(a.json()["id"] == b.json()["id"], f"same key, same job: {a.text} {b.text}")
    check(a.json()["replayed"] is False and b.json()["replayed"] is True, f"{a.text} {b.text}")
    c = submit(base, token, records=3, key="order-4712")
    check(c.json()["id"] != a.json()["id"], "another key, another job")
    return [a.json()["id"], c.json()["id"]] + check_idempotency_race(base, token)


def check_idempotency_race(base, token, rounds=5, racers=3):
    """Requests with one Idempotency-Key sent at the same instant (threads released by a
    barrier) create exactly one job: every one answers its id, one of them not replayed."""
    jobs = []
    for round_no in range(rounds):
        key = f"race-{os.getpid()}-{round_no}"
        name = f"race{os.getpid()}r{round_no}"
        barrier = threading.Barrier(racers)
        answers = [None] * racers

        def racer(i):
            barrier.wait(30)
            for _ in range(50):  # 429 (max_requests) is retried after a moment
                r = submit(base, token, records=2, key=key, name=name)
                if r.status_code != 429:
                    break
                time.sleep(0.05)
            answers[i] = r

        threads = [threading.Thread(target=racer, args=(i,)) for i in range(racers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        check(all(a is not None and a.status_code == 202 for a in answers),
              f"racing submits: {[(a.status_code, a.text[:200]) if a is not None else None for a in answers]}")
        ids = {a.json()["id"] for a in answers}
        check(len(ids) == 1, f"one key, one job: answers name {ids}")
        check(sum(1 for a in answers if a.json()["replayed"] is False) == 1,
              f"exactly one answer created it: {[a.text for a in answers]}")
        named = []
        url = f"{base}/v1/jobs?limit=1000"
        while url:
            page = requests.get(url, headers=auth(token), timeout=10).json()
            named += [j["id"] for j in page["jobs"] if j.get("name") == name]
            url = base + page["next"] if page["next"] else None
        check(named == list(ids), f"exactly one job row named {name}: {named}, answered {ids}")
        jobs += named
    return jobs


def check_cancel(base, follow_base, tokens):
    r = submit(base, tokens["submit"], records=30000, fmt="pdf", name="big")
    check(r.status_code == 202, f"submit big: {r.text}")
    job = r.json()["id"]
    c = requests.delete(f"{follow_base}/v1/jobs/{job}", headers=auth(tokens["submit"]), timeout=30)
    check(c.status_code == 200, f"cancel: {c.status_code} {c.text}")
    wait_job(follow_base, tokens["read"], job, states=("cancelled",))
    json_error(requests.delete(f"{base}/v1/jobs/999999", headers=auth(tokens["submit"]), timeout=10), 404,
               "not_found")
    return job


def check_long_poll(base, tokens, drain):
    """GET /v1/jobs/{id}?wait=S holds the answer until the job ended or S seconds passed."""
    read = auth(tokens["read"])
    for bad in ("-1", "11", "soon", "1e9", "nan"):
        json_error(requests.get(f"{base}/v1/jobs/1?wait={bad}", headers=read, timeout=10), 400,
                   "bad_request")
    json_error(requests.get(f"{base}/v1/jobs/999999?wait=2", headers=read, timeout=30), 404,
               "not_found")
    # Drained, the node runs nothing: the job cannot end, and a wait of 1.5 s is held that long.
    drain(True)
    try:
        r = submit(base, tokens["submit"], records=200, name="long-poll")
        check(r.status_code == 202, f"submit: {r.text}")
        job = r.json()["id"]
        wait_for(f"job {job} known to the scheduler", lambda: requests.get(
            f"{base}/v1/jobs/{job}", headers=read, timeout=10).json()["state"] != "queued", timeout=30)
        t0 = time.monotonic()
        held = requests.get(f"{base}/v1/jobs/{job}?wait=1.5", headers=read, timeout=30)
        took = time.monotonic() - t0
        check(held.status_code == 200 and held.json()["state"] not in ("done", "failed", "cancelled"),
              f"held answer: {held.status_code} {held.text[:300]}")
        check(took >= 1.4, f"a wait of 1.5 s on a job that cannot end answered after {took:.2f} s")
    finally:
        drain(False)
    # Undrained, it runs: a wait of 10 s is answered when it ends, not after 10 s.
    t0 = time.monotonic()
    polls = 0
    while True:
        polls += 1
        j = requests.get(f"{base}/v1/jobs/{job}?wait=10", headers=read, timeout=60).json()
        if j["state"] in ("done", "failed", "cancelled") or polls >= 5:
            break
    took = time.monotonic() - t0
    check(j["state"] == "done", f"job {job} ended {j['state']}")
    check(took < 9.5, f"the long poll answered {took:.2f} s after the job could run ({polls} polls)")
    print(f"long poll: held 1.5 s while drained; answered {took * 1000:.0f} ms after the undrain, "
          f"{polls} request(s)")


def check_bad_jobs(base, token):
    r = requests.post(f"{base}/v1/jobs", headers=auth(token),
                      files=[("data", ("data.csv", csv_data(2), "text/csv"))], timeout=10)
    json_error(r, 400, "invalid_job")
    r = submit(base, token, extra_fields={"split_every": (None, "ten")})
    json_error(r, 400, "invalid_job")
    r = submit(base, token, fmt="docx")
    json_error(r, 400, "invalid_job")
    r = requests.post(f"{base}/v1/jobs", headers={**auth(token), "Content-Type": "application/json"},
                      data="{}", timeout=10)
    json_error(r, 415, "unsupported_media_type")
    r = requests.post(f"{base}/v1/jobs", headers=auth(token),
                      files=[("data", ("../../etc/passwd", b"x", "text/plain"))], timeout=10)
    json_error(r, 400, "bad_upload")


# CSS outside the subset after a multi-line section: reported at the template's line 5.
LAYOUT_TEMPLATE = (b'<html><body>\n{{#id}}\n<b>{{name}}</b>\n{{/id}}\n'
                   b'<p style="colour: red">{{amount}}</p>\n</body></html>\n')


def check_layout_warnings(base, token):
    """A PDF job's layout warnings in GET /v1/jobs/{id}; the form field strict fails the job."""
    r = submit(base, token, fmt="pdf", template=LAYOUT_TEMPLATE, extra_fields={"split_every": (None, "2")})
    check(r.status_code == 202, f"layout job: {r.status_code} {r.text[:200]}")
    j = wait_job(base, token, r.json()["id"])
    hits = [w for w in j["warnings"] if 'template line 5:11: CSS: property "colour"' in w]
    check(len(hits) == 1, f"the template's warning once: {j['warnings']}")
    r = submit(base, token, fmt="pdf", template=LAYOUT_TEMPLATE, extra_fields={"strict": (None, "true")})
    check(r.status_code == 202, f"strict job: {r.status_code} {r.text[:200]}")
    j = wait_job(base, token, r.json()["id"], states=("failed",))
    check("template line 5:11" in j["error"], f"strict error names the template line: {j['error']}")
    json_error(submit(base, token, extra_fields={"strict": (None, "maybe")}), 400, "invalid_job")


def check_render(base, token):
    r = requests.post(f"{base}/v1/render", headers=auth(token),
                      json={"template": "Hello {{name}}!", "record": {"name": "Ada"}, "format": "txt"}, timeout=30)
    check(r.status_code == 200 and "Hello Ada!" in r.text, f"render txt: {r.status_code} {r.text[:200]}")
    r = requests.post(f"{base}/v1/render", headers=auth(token),
                      json={"template": "Hello {{name}}!", "record": {"name": "Ada"}}, timeout=30)
    check(r.status_code == 200 and r.content.startswith(b"%PDF") and
          r.headers["Content-Type"] == "application/pdf", f"render pdf: {r.status_code}")
    json_error(requests.post(f"{base}/v1/render", headers=auth(token),
                             json={"template": "{{#open}}", "record": {}}, timeout=30), 422, "render_failed")
    json_error(requests.post(f"{base}/v1/render", headers=auth(token), data="not json", timeout=30), 400,
               "bad_request")


def check_cluster_views(base, token, nodes):
    for view in ("nodes", "engines", "capacity", "sweeps"):
        r = requests.get(f"{base}/v1/cluster/{view}", headers=auth(token), timeout=30)
        check(r.status_code == 200, f"{view}: {r.status_code} {r.text[:300]}")
        r.json()
    listed = requests.get(f"{base}/v1/cluster/nodes", headers=auth(token), timeout=30).json()
    names = {n["name"] for n in listed["nodes"]}
    check(set(nodes) <= names, f"nodes: {names}")


def check_openapi(base):
    r = requests.get(f"{base}/v1/openapi.json", timeout=10)
    check(r.status_code == 200 and r.json()["openapi"].startswith("3."), "openapi document")


def check_limits(base, port, tokens, limits):
    # 413: a body larger than [http] max_body_size, refused from its Content-Length.
    big = json.dumps({"template": "x" * (limits["max_body_size"] + 10), "record": {}})
    json_error(requests.post(f"{base}/v1/render", headers=auth(tokens["submit"]), data=big, timeout=30), 413,
               "payload_too_large")
    # 413: an upload larger than [limits] max_upload_size.
    files = [("data", ("data.csv", b"a,b\n" + b"1,2\n" * (limits["max_upload_size"] // 4 + 10), "text/csv")),
             ("template", ("t.mustache", TEMPLATE, "text/plain"))]
    json_error(requests.post(f"{base}/v1/jobs", headers=auth(tokens["submit"]), files=files, timeout=30), 413,
               "payload_too_large")
    # 413 on a chunked upload (no Content-Length): counted as it arrives.
    def chunks():
        yield b"--b\r\nContent-Disposition: form-data; name=\"data\"; filename=\"d.csv\"\r\n\r\n"
        for _ in range(limits["max_upload_size"] // 65536 + 4):
            yield b"1" * 65536
    r = requests.post(f"{base}/v1/jobs", headers={**auth(tokens["submit"]),
                                                  "Content-Type": "multipart/form-data; boundary=b"},
                      data=chunks(), timeout=30)
    json_error(r, 413, "payload_too_large")
    # 408: a header that never ends.
    started = time.monotonic()
    reply = raw_exchange(port, b"GET /v1/jobs HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    status, head, body = parse_raw(reply)
    check(status == 408, f"slow header: {reply[:300]!r}")
    check(json.loads(body)["error"]["code"] == "request_timeout", f"408 body: {body!r}")
    check(time.monotonic() - started < limits["header_timeout_s"] + 5, "answered at the header timeout")
    # 408: a body that never comes (after a valid token).
    reply = raw_exchange(port, (f"POST /v1/render HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['submit']}\r\n"
                                "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{").encode())
    status, head, body = parse_raw(reply)
    check(status == 408 and json.loads(body)["error"]["code"] == "request_timeout", f"slow body: {reply[:300]!r}")
    # 429: [http] max_requests requests held open (their bodies never come), then one more.
    held = []
    for _ in range(limits["max_requests"]):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"POST /v1/render HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Authorization: Bearer " + tokens["submit"].encode() + b"\r\nContent-Length: 50\r\n\r\n")
        held.append(s)
    try:
        def refused():
            r = requests.get(f"{base}/v1/jobs", headers=auth(tokens["read"]), timeout=10)
            return [r] if r.status_code == 429 else None  # a Response is falsy when not ok
        r = wait_for("a request past [http] max_requests to be refused", refused,
                     timeout=limits["body_timeout_s"])[0]
        json_error(r, 429, "too_many_requests")
        check(r.headers.get("Retry-After") == "1", f"Retry-After: {r.headers}")
    finally:
        for s in held:
            s.close()
    # Served again once they are gone.
    wait_for("requests served again",
             lambda: requests.get(f"{base}/v1/jobs", headers=auth(tokens["read"]), timeout=10).status_code == 200,
             timeout=30)


def token_cli(cluster):
    tokens = {s: cluster.token(f"t-{s}", s) for s in ("read", "submit", "admin")}
    tokens["revoked"] = cluster.token("t-revoked", "admin")
    out = subprocess.run([cluster.caf_node, "token", "revoke", "t-revoked", "--config", cluster.config],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"revoke: {out.stderr}")
    tokens["expired"] = cluster.token("t-expired", "admin", expires="1ms")
    dup = subprocess.run([cluster.caf_node, "token", "create", "t-read", "--scope", "read", "--config",
                          cluster.config], capture_output=True, text=True, timeout=60)
    check(dup.returncode != 0 and "exists" in dup.stderr, f"duplicate name: {dup.stderr}")
    bad = subprocess.run([cluster.caf_node, "token", "create", "x", "--scope", "root", "--config",
                          cluster.config], capture_output=True, text=True, timeout=60)
    check(bad.returncode == 2 and "--scope" in bad.stderr, f"bad scope: {bad.returncode} {bad.stderr}")
    listed = subprocess.run([cluster.caf_node, "token", "list", "--config", cluster.config],
                            capture_output=True, text=True, timeout=60)
    states = {t["name"]: t["state"] for t in json.loads(listed.stdout)["tokens"]}
    check(states.get("t-revoked") == "revoked" and states.get("t-read") == "valid", f"list: {states}")
    check("token_hash" not in listed.stdout and tokens["read"] not in listed.stdout, "list shows no secret")
    return tokens


LIMITS = {"max_body_size": 4096, "max_upload_size": 1 << 20, "max_requests": 3,
          "header_timeout_s": 1, "body_timeout_s": 3}
LIMITS_TOML = ("[http]\nmax_body_size = 4096\nmax_requests = 3\nheader_timeout = \"1s\"\n"
               "body_timeout = \"3s\"\n\n[limits]\nmax_upload_size = 1048576\n")


def check_plain_remote_refused(args, root, ports):
    """Without [tls], `check` refuses a non-loopback http_listen at its line and column."""
    c = Cluster(args.caf_node, os.path.join(root, "remote"), ["solo"], ports.ports)
    with open(c.config) as f:
        text = f.read().replace('http_listen = "127.0.0.1:', 'http_listen = "0.0.0.0:')
    with open(c.config, "w") as f:
        f.write(text)
    line = next(i for i, l in enumerate(text.split("\n"), 1) if l.startswith("http_listen"))
    r = subprocess.run([args.caf_node, "check", "--config", c.config], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 2 and f"weft.toml:{line}:" in r.stderr and "http_listen" in r.stderr and
          "allow_plain_remote" in r.stderr, f"check of a remote plain API: {r.returncode} {r.stderr}")
    with open(c.config, "w") as f:
        f.write(text.replace("[[node]]", "[http]\nallow_plain_remote = true\n\n[[node]]", 1))
    r = subprocess.run([args.caf_node, "check", "--config", c.config], capture_output=True, text=True,
                       timeout=60)
    check(r.returncode == 0, f"allow_plain_remote: {r.returncode} {r.stderr}")


def upload_prefix(node):
    """uploads/http-<12 hex of SHA-256(node name)>-<nonce>: a node's HTTP upload areas."""
    return "http-" + hashlib.sha256(node.encode()).hexdigest()[:12] + "-"


def upload_area(uploads, node):
    """An upload area as a node that crashed mid-request leaves it."""
    d = os.path.join(uploads, upload_prefix(node) + "0123456789abcdef")
    os.makedirs(d)
    with open(os.path.join(d, "data.csv"), "w") as f:
        f.write("id\n1\n")
    return d


def run_solo(args, root, ports):
    check_plain_remote_refused(args, root, ports)
    cluster = Cluster(args.caf_node, root, ["solo"], ports.ports, extra=LIMITS_TOML)
    try:
        tokens = token_cli(cluster)
        # Upload areas a crash left: this node's are removed at start-up, another node's stay
        # (it may be uploading into the shared file store right now).
        uploads = os.path.join(root, "files", "uploads")
        mine, other = upload_area(uploads, "solo"), upload_area(uploads, "someone-else")
        cluster.start("solo")
        base = cluster.http["solo"]
        port = int(base.rsplit(":", 1)[1])
        wait_for("the API to answer", lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200)
        check(not os.path.exists(mine), f"the crashed run's upload area {mine} removed at start-up")
        check(os.path.isfile(os.path.join(other, "data.csv")), "another node's upload area kept")
        check_health(base, "solo")
        check_openapi(base)
        check_auth(base, tokens)
        check_not_found(base, tokens["read"])
        jobs = [check_job_flow(base, base, tokens)]
        jobs += check_idempotency(base, tokens["submit"])
        check_paging(base, tokens["read"], jobs)
        check_bad_jobs(base, tokens["submit"])
        check_layout_warnings(base, tokens["submit"])
        check_render(base, tokens["submit"])
        check_cluster_views(base, tokens["read"], ["solo"])
        check_cancel(base, base, tokens)

        def drain(on):
            r = subprocess.run([args.caf_node, "drain", "--node", "solo", "--config", cluster.config,
                                "--connect", f"127.0.0.1:{ports.ports[0]}"] + ([] if on else ["--off"]),
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 0, f"drain {on}: {r.stdout} {r.stderr}")

        check_long_poll(base, tokens, drain)
        check_limits(base, port, tokens, LIMITS)
        # Every request's upload area is gone once it was answered (the losers of the
        # Idempotency-Key races and the refused uploads included).
        prefix = upload_prefix("solo")
        wait_for("no upload area left after the requests",
                 lambda: not [n for n in os.listdir(uploads) if n.startswith(prefix)], timeout=15)
        # The node logged the refused tokens with the client's address.
        with open(cluster.logs["solo"], errors="replace") as f:
            log = f.read()
        check("unknown, expired or revoked token refused" in log and "127.0.0.1" in log,
              "refused tokens logged with the address")
        check_health(base, "solo")
    except Exception:
        cluster.dump_logs()
        raise
    finally:
        cluster.stop()


def run_tls(args, root, ports):
    """With [tls] the API speaks HTTPS with the node's certificate."""
    certs = os.path.join(root, "tls")
    for cmd in (["certs", "create-ca", certs], ["certs", "create-node", certs, "solo", "--host", "127.0.0.1"]):
        r = subprocess.run([args.caf_node] + cmd, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"{cmd}: {r.stderr}")
    tls = (f'[tls]\nca_file = "{certs}/ca.pem"\ncert_file = "{certs}/solo.pem"\n'
           f'key_file = "{certs}/solo.key"\n')
    cluster = Cluster(args.caf_node, os.path.join(root, "tls-node"), ["solo"], ports.ports, extra=tls)
    try:
        token = cluster.token("t-tls", "read")
        cluster.start("solo")
        base = cluster.http["solo"].replace("http://", "https://")
        ca = f"{certs}/ca.pem"
        wait_for("the HTTPS API", lambda: requests.get(f"{base}/healthz", verify=ca, timeout=2).status_code == 200)
        r = requests.get(f"{base}/v1/jobs", headers=auth(token), verify=ca, timeout=10)
        check(r.status_code == 200 and "jobs" in r.json(), f"jobs over HTTPS: {r.status_code} {r.text[:200]}")
        json_error(requests.get(f"{base}/v1/jobs", verify=ca, timeout=10), 401, "unauthorized")
        try:
            requests.get(f"{base}/healthz", timeout=10)  # the system's CAs do not know ours
            check(False, "a client without the cluster's CA must not trust the node")
        except requests.exceptions.SSLError:
            pass
        plain = None
        try:
            plain = requests.get(cluster.http["solo"] + "/healthz", timeout=10)
        except requests.RequestException:
            pass
        check(plain is None or plain.status_code != 200, "no plain HTTP on the HTTPS port")
    except Exception:
        cluster.dump_logs()
        raise
    finally:
        cluster.stop()


def fresh_mariadb():
    url = os.environ.get("WEFT_TEST_MARIADB_URL")
    password_file = os.environ.get("WEFT_TEST_MARIADB_PASSWORD_FILE")
    if not url or not password_file:
        raise TestFailure("the cluster case (label mariadb) needs WEFT_TEST_MARIADB_URL and "
                          "WEFT_TEST_MARIADB_PASSWORD_FILE: eval \"$(scripts/mariadb.sh start /tmp/weft-mdb)\"")
    u = urllib.parse.urlparse(url)
    name = f"weft_http{os.getpid()}"
    with open(password_file) as f:
        password = f.readline().strip()
    subprocess.run(["mariadb", "--no-defaults", "-h", u.hostname, "-P", str(u.port or 3306), "-u", u.username,
                    f"-p{password}", "-e", f"DROP DATABASE IF EXISTS {name}; CREATE DATABASE {name} "
                    "CHARACTER SET utf8mb4"], check=True, timeout=60)
    toml = (f'[database]\nurl = "mariadb://{u.username}@{u.hostname}:{u.port or 3306}/{name}"\n'
            f'password_file = "{password_file}"\n')
    drop = ["mariadb", "--no-defaults", "-h", u.hostname, "-P", str(u.port or 3306), "-u", u.username,
            f"-p{password}", "-e", f"DROP DATABASE IF EXISTS {name}"]
    return toml, drop


def run_cluster(args, root, ports):
    database, drop = fresh_mariadb()
    names = ["master", "ext1", "ext2"]
    cluster = Cluster(args.caf_node, root, names, ports.ports, database=database, extra=LIMITS_TOML)
    try:
        tokens = token_cli(cluster)
        for n in names:
            cluster.start(n)
        for n in names:
            base = cluster.http[n]
            wait_for(f"{n}'s API", lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200)
            check_health(base, n)
        master, ext1, ext2 = (cluster.http[n] for n in names)
        check_openapi(ext1)
        check_auth(ext1, tokens)
        check_not_found(ext2, tokens["read"])
        # Submitted through an extension, followed and downloaded through the master.
        jobs = [check_job_flow(ext1, master, tokens)]
        jobs.append(check_job_flow(master, ext2, tokens))
        jobs += check_idempotency(ext2, tokens["submit"])
        # A long poll through an extension: forwarded to the master's scheduler.
        r = submit(ext1, tokens["submit"], records=3000, name="long-poll")
        check(r.status_code == 202, f"submit: {r.text}")
        polls, t0 = 0, time.monotonic()
        while True:
            polls += 1
            j = requests.get(f"{ext2}/v1/jobs/{r.json()['id']}?wait=10", headers=auth(tokens["read"]),
                             timeout=60).json()
            if j["state"] in ("done", "failed", "cancelled") or polls >= 12:
                break
        check(j["state"] == "done", f"long-poll job ended {j['state']}: {j}")
        print(f"long poll through ext2: done after {time.monotonic() - t0:.2f} s, {polls} request(s)")
        check_paging(master, tokens["read"], jobs)
        check_render(ext2, tokens["submit"])
        check_cluster_views(ext1, tokens["read"], names)
        # Cancelled through the other extension: forwarded to the master's scheduler.
        check_cancel(ext1, ext2, tokens)
        check_limits(ext1, int(ext1.rsplit(":", 1)[1]), tokens, LIMITS)
        # A draining extension is not ready (503 with its reason), then ready again.
        r = subprocess.run([args.caf_node, "drain", "--node", "ext2", "--config", cluster.config, "--connect",
                            f"127.0.0.1:{ports.ports[0]}"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"drain: {r.stdout} {r.stderr}")
        r = wait_for("ext2 not ready while draining",
                     lambda: (lambda x: [x] if x.status_code == 503 else None)(
                         requests.get(f"{ext2}/readyz", timeout=10)), timeout=30)[0]
        check(r.json()["error"]["code"] == "draining", f"readyz draining: {r.text}")
        r = subprocess.run([args.caf_node, "drain", "--node", "ext2", "--off", "--config", cluster.config, "--connect",
                            f"127.0.0.1:{ports.ports[0]}"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"undrain: {r.stdout} {r.stderr}")
        wait_for("ext2 ready again", lambda: requests.get(f"{ext2}/readyz", timeout=10).status_code == 200)
    except Exception:
        cluster.dump_logs()
        raise
    finally:
        cluster.stop()
        subprocess.run(drop, timeout=60)


# -- HAProxy in front of the nodes (docs/operations.md "HAProxy in front of the nodes") ----


def haproxy_config(doc, listen_port, servers, stats_socket):
    """docs/operations.md's example, with only its addresses and socket path replaced."""
    with open(doc) as f:
        blocks = re.findall(r"```haproxy\n(.*?)```", f.read(), re.S)
    check(len(blocks) == 1, f"docs/operations.md has one haproxy example (found {len(blocks)})")
    cfg = blocks[0]
    replaced = {}

    def sub(pattern, value, text):
        new, n = re.subn(pattern, value, text)
        replaced[pattern] = n
        return new

    cfg = sub(r"bind 0\.0\.0\.0:8080", f"bind 127.0.0.1:{listen_port}", cfg)
    cfg = sub(r"/run/haproxy/weft\.sock", stats_socket, cfg)
    for i, port in enumerate(servers):
        cfg = sub(rf"server node{i + 1} 10\.0\.0\.1{i}:8080 check",
                  f"server node{i + 1} 127.0.0.1:{port} check", cfg)
    check(all(n >= 1 for n in replaced.values()), f"the example changed: replacements {replaced}")
    check(not re.search(r"10\.0\.0\.|0\.0\.0\.0", cfg), "every address of the example replaced")
    return cfg


class HAProxy:
    def __init__(self, root, cfg):
        self.config = os.path.join(root, "haproxy.cfg")
        self.socket = None
        with open(self.config, "w") as f:
            f.write(cfg)
        r = subprocess.run(["haproxy", "-c", "-f", self.config], capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, f"haproxy -c refused the config: {r.stdout} {r.stderr}")
        self.log = os.path.join(root, "haproxy.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(["haproxy", "-db", "-f", self.config], stdout=log, stderr=subprocess.STDOUT)

    def stats(self, sock_path):
        """{server name: row} from `show stat` on the admin socket."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(sock_path)
        try:
            s.sendall(b"show stat\n")
            data = b""
            while True:
                c = s.recv(65536)
                if not c:
                    break
                data += c
        finally:
            s.close()
        text = data.decode().lstrip("# ")
        rows = csv.DictReader(io.StringIO(text))
        return {r["svname"]: r for r in rows if r["pxname"] == "weft_nodes" and r["svname"].startswith("node")}

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()

    def dump_log(self):
        print("----- haproxy log (last 40 lines) -----")
        with open(self.log, errors="replace") as f:
            print("".join(f.readlines()[-40:]))


def run_haproxy(args, root, ports):
    """Three nodes behind HAProxy with the documented config: requests and a job through
    HAProxy; a drained node is marked down by its /readyz checks, and the others keep
    answering every request; undrained, it is back."""
    database, drop = fresh_mariadb()
    names = ["master", "ext1", "ext2"]
    cluster = Cluster(args.caf_node, root, names, ports.ports, database=database)
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs", "operations.md")
    sock = os.path.join(root, "haproxy.sock")
    proxy = None
    try:
        tokens = {s: cluster.token(f"t-{s}", s) for s in ("read", "submit")}
        for n in names:
            cluster.start(n)
        for n in names:
            base = cluster.http[n]
            wait_for(f"{n}'s API", lambda: requests.get(f"{base}/healthz", timeout=2).status_code == 200)
            check_health(base, n)
        node_ports = [int(cluster.http[n].rsplit(":", 1)[1]) for n in names]
        proxy = HAProxy(root, haproxy_config(doc, ports.ports[6], node_ports, sock))
        lb = f"http://127.0.0.1:{ports.ports[6]}"
        states = lambda: {k: v["status"] for k, v in proxy.stats(sock).items()}
        wait_for("haproxy sees the three nodes UP", lambda: states() == {"node1": "UP", "node2": "UP", "node3": "UP"},
                 timeout=30)
        before = {k: int(v["stot"]) for k, v in proxy.stats(sock).items()}
        for _ in range(30):
            r = requests.get(f"{lb}/v1/jobs?limit=1", headers=auth(tokens["read"]), timeout=10)
            check(r.status_code == 200 and "jobs" in r.json(), f"through haproxy: {r.status_code} {r.text[:200]}")
        after = {k: int(v["stot"]) for k, v in proxy.stats(sock).items()}
        check(all(after[k] > before[k] for k in before), f"round robin reached every node: {before} -> {after}")
        check_job_flow(lb, lb, tokens)

        # node3 (ext2) drained: its /readyz says 503, HAProxy marks it DOWN.
        drain = [args.caf_node, "drain", "--node", "ext2", "--config", cluster.config, "--connect",
                 f"127.0.0.1:{ports.ports[0]}"]
        r = subprocess.run(drain, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"drain: {r.stdout} {r.stderr}")
        t0 = time.monotonic()
        wait_for("haproxy marks the drained node3 DOWN", lambda: states().get("node3", "").startswith("DOWN"),
                 timeout=30)
        print(f"haproxy marked the drained node DOWN after {time.monotonic() - t0:.2f} s")
        check(states()["node1"] == "UP" and states()["node2"] == "UP", f"the others stay UP: {states()}")
        with open(proxy.log, errors="replace") as f:
            check("node3 is DOWN" in f.read(), "haproxy's log says node3 is DOWN")
        before = {k: int(v["stot"]) for k, v in proxy.stats(sock).items()}
        for _ in range(30):
            r = requests.get(f"{lb}/v1/jobs?limit=1", headers=auth(tokens["read"]), timeout=10)
            check(r.status_code == 200, f"through haproxy with node3 down: {r.status_code} {r.text[:200]}")
        job = check_job_flow(lb, lb, tokens)
        after = {k: int(v["stot"]) for k, v in proxy.stats(sock).items()}
        check(after["node3"] == before["node3"], f"no request sent to the DOWN node3: {before} -> {after}")
        check(after["node1"] > before["node1"] and after["node2"] > before["node2"],
              f"the others took the requests: {before} -> {after}")
        j = requests.get(f"{lb}/v1/jobs/{job}", headers=auth(tokens["read"]), timeout=10).json()
        check(j["state"] == "done", f"the job submitted through haproxy completed: {j}")

        r = subprocess.run(drain + ["--off"], capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"undrain: {r.stdout} {r.stderr}")
        wait_for("haproxy marks node3 UP again", lambda: states().get("node3") == "UP", timeout=30)

        # 50 jobs submitted through HAProxy (4 clients, each job with its Idempotency-Key and
        # retried on a failure as a client does) while node3 (ext2) is drained and node2
        # (ext1) SIGKILLed: every job completes with every record exactly once, one job per
        # key, and no request is answered 5xx once HAProxy marked both down.
        answers, lock = [], threading.Lock()  # (monotonic time answered, status)
        jobs = {}

        def client(keys):
            for key in keys:
                for attempt in range(20):
                    try:
                        r = submit(lb, tokens["submit"], records=7, key=key, name=key)
                        status = r.status_code
                    except requests.RequestException:
                        r, status = None, 0
                    with lock:
                        answers.append((time.monotonic(), status))
                    if status == 202:
                        with lock:
                            jobs.setdefault(key, set()).add(r.json()["id"])
                        break
                    time.sleep(0.2)  # a client's back-off before its retry

        keys = [f"storm-{os.getpid()}-{i}" for i in range(50)]
        clients = [threading.Thread(target=client, args=(keys[i::4],)) for i in range(4)]
        for t in clients:
            t.start()
        wait_for("the first 10 jobs accepted", lambda: len(jobs) >= 10, timeout=60)
        r = subprocess.run(drain, capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"drain: {r.stdout} {r.stderr}")
        cluster.procs["ext1"].kill()
        cluster.procs["ext1"].wait(10)
        t0 = time.monotonic()
        wait_for("haproxy marks node2 (killed) and node3 (drained) DOWN",
                 lambda: states().get("node2", "").startswith("DOWN") and
                 states().get("node3", "").startswith("DOWN"), timeout=30)
        down_at = time.monotonic()
        print(f"haproxy marked the killed and the drained node DOWN after {down_at - t0:.2f} s")
        for t in clients:
            t.join(300)
        check(sorted(jobs) == sorted(keys), f"every key got a job: {len(jobs)} of {len(keys)}")
        check(all(len(ids) == 1 for ids in jobs.values()), f"one job per key: {jobs}")
        ids = sorted(next(iter(v)) for v in jobs.values())
        check(len(set(ids)) == 50, "50 distinct jobs")
        late = [st for at, st in answers if at > down_at and (st >= 500 or st == 0)]
        check(late == [], f"no 5xx (or dropped request) after haproxy marked the nodes down: {late}")
        early = [st for at, st in answers if st != 202]
        print(f"{len(answers)} submit requests, {len(early)} not accepted (all before the nodes "
              f"were marked down: {sorted(set(early))}), retried")
        for job in ids:
            j = wait_job(lb, tokens["read"], job, timeout=180)
            outs = requests.get(f"{lb}/v1/jobs/{job}/outputs", headers=auth(tokens["read"]), timeout=10).json()
            text = "".join(requests.get(lb + o["url"], headers=auth(tokens["read"]), timeout=30).text
                           for o in outs["outputs"])
            check(all(text.count(f"Invoice {i} for Customer {i}:") == 1 for i in range(1, 8)),
                  f"job {job}: every record exactly once: {text[:300]!r}")
        with open(proxy.log, errors="replace") as f:
            log = f.read()
        check("node2 is DOWN" in log and "node3 is DOWN" in log, "haproxy's log says both are DOWN")
        for _ in range(30):
            r = requests.get(f"{lb}/v1/jobs?limit=1", headers=auth(tokens["read"]), timeout=10)
            check(r.status_code == 200, f"through haproxy with node2 and node3 down: {r.status_code} {r.text[:200]}")
    except Exception:
        cluster.dump_logs()
        if proxy:
            proxy.dump_log()
        raise
    finally:
        if proxy:
            proxy.stop()
        cluster.stop()
        subprocess.run(drop, timeout=60)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--caf-node", required=True)
    p.add_argument("--port-tool", required=True)
    p.add_argument("case", choices=["solo", "cluster", "haproxy"])
    args = p.parse_args()
    root = tempfile.mkdtemp(prefix=f"weft-http-{args.case}.")
    ports = Ports(args.port_tool, {"solo": 2, "cluster": 6, "haproxy": 7}[args.case])
    try:
        if args.case == "solo":
            run_solo(args, root, ports)
            run_tls(args, root, ports)
        elif args.case == "cluster":
            run_cluster(args, root, ports)
        else:
            run_haproxy(args, root, ports)
    except TestFailure as e:
        print(f"FAILED: {e}")
        print(f"(files kept in {root})")
        return 1
    finally:
        ports.close()
    print(f"http_api_test {args.case}: {CHECKS} checks passed")
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

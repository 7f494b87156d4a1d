"""webhook_test: a job's callback_url is POSTed when the job ends (docs/operations.md
"Webhooks"): signed with the cluster's webhook key, retried with back-off while the
receiver refuses, recorded in the database with its attempts, resumed and delivered
once after a master restart; callback URLs that are not http(s) or name a host outside
[webhooks].allowed_hosts are refused at submit; a job submitted over HTTP is signed with
its token's webhook secret (another token's secret does not verify it); the dispatcher
reads the small webhook_requests table, emptied as deliveries are created.

    webhook_test.py CAF_NODE
"""

import hashlib
import hmac
import http.server
import json
import os
import re
import sqlite3
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weft_ops  # noqa: E402

CAF_NODE = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("CAF_NODE", "caf-node")


class receiver:
    """A webhook receiver on an ephemeral loopback port: answers 503 while `refuse`
    holds, else 200; keeps every request (headers, body, the answer given)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []
        self.refuse = True
        outer = self

        class handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with outer.lock:
                    status = 503 if outer.refuse else 200
                    outer.requests.append({"path": self.path, "headers": dict(self.headers),
                                           "body": body, "status": status})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def of_delivery(self, delivery_id):
        with self.lock:
            return [r for r in self.requests if r["headers"].get("X-Weft-Delivery") == delivery_id]

    def for_job(self, job_id):
        with self.lock:
            return [r for r in self.requests if json.loads(r["body"])["job_id"] == job_id]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def write_inputs(d):
    data = os.path.join(d, "people.csv")
    with open(data, "w") as f:
        f.write("name,city\n" + "".join("P%d,Town%d\n" % (i, i) for i in range(5)))
    tmpl = os.path.join(d, "letter.mustache")
    with open(tmpl, "w") as f:
        f.write("Dear {{name}} of {{city}}\n")
    return data, tmpl


class webhook_test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rx = receiver()
        cls.http_port = weft_ops.reserve_port()
        cls.c = weft_ops.cluster(
            CAF_NODE, [("master", "master", 1, 1, 'http_listen = "127.0.0.1:%d"' % cls.http_port)],
            extra='[webhooks]\nfirst_retry = "100ms"\nmax_backoff = "400ms"\n'
                  'retry_for = "2m"\ntimeout = "2s"\nallowed_hosts = "127.0.0.1, localhost"\n')
        cls.data, cls.tmpl = write_inputs(cls.c.dir)
        cls.c.start("master")
        cls.wait_serving()
        key = weft_ops.subprocess.run([CAF_NODE, "webhook-key", "--config", cls.c.topology],
                                      capture_output=True, text=True, check=True)
        cls.key = key.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop_all()
        cls.rx.close()

    @classmethod
    def wait_serving(cls):
        weft_ops.wait_for("the master to answer the shell",
                          lambda: cls.c.client("shell", "-c", "nodes", "--json",
                                               timeout=10).returncode == 0, timeout=60)

    def submit(self, url, wait=True):
        args = ["submit", "--template", self.tmpl, "--data", self.data, "--format", "txt",
                "--callback-url", url]
        if wait:
            args.append("--wait")
        r = self.c.client(*args)
        return r

    def db(self):
        return sqlite3.connect(os.path.join(self.c.dir, "store", "weft.db"), timeout=10)

    def test_1_signed_retried_while_refused_then_delivered_and_recorded(self):
        self.rx.refuse = True
        r = self.submit(self.rx.url("/hook?source=weft"))
        self.assertEqual(r.returncode, 0, r.stderr)
        job_id = int(r.stdout.split()[0])
        # Refused three times, then accepted.
        weft_ops.wait_for("three refused attempts", lambda: len(self.rx.for_job(job_id)) >= 3)
        self.rx.refuse = False
        got = weft_ops.wait_for("the delivery", lambda: [
            q for q in self.rx.for_job(job_id) if q["status"] == 200])
        reqs = self.rx.for_job(job_id)
        self.assertGreaterEqual(len(reqs), 4)
        ok = got[0]
        delivery = ok["headers"]["X-Weft-Delivery"]
        self.assertEqual(ok["path"], "/hook?source=weft")
        # The same delivery id and body on every attempt, attempts numbered 1, 2, ...
        self.assertEqual({q["headers"]["X-Weft-Delivery"] for q in reqs}, {delivery})
        self.assertEqual({q["body"] for q in reqs}, {ok["body"]})
        self.assertEqual([int(q["headers"]["X-Weft-Attempt"]) for q in reqs],
                         list(range(1, len(reqs) + 1)))
        # Signed with the cluster's webhook key over the exact body.
        want = "sha256=" + hmac.new(self.key.encode(), ok["body"], hashlib.sha256).hexdigest()
        self.assertEqual(ok["headers"]["X-Weft-Signature"], want)
        self.assertEqual(ok["headers"]["Content-Type"], "application/json")
        body = json.loads(ok["body"])
        self.assertEqual(body["event"], "job.finished")
        self.assertEqual(body["delivery_id"], delivery)
        self.assertEqual(body["state"], "done")
        self.assertEqual(body["job"]["records"], 5)
        # Back-off: attempts are not sent back to back (first_retry 100 ms, doubling).
        # Recorded: the delivery and each attempt with the receiver's status.
        def recorded():
            with self.db() as db:
                row = db.execute("SELECT state, attempts, last_status, delivery_id FROM "
                                 "webhook_deliveries WHERE job_id = ?", (job_id,)).fetchone()
                return row if row and row[0] == "delivered" else None
        row = weft_ops.wait_for("the delivery recorded as delivered", recorded)
        self.assertEqual(row[1], len(reqs))
        self.assertEqual(row[2], 200)
        self.assertEqual(row[3], delivery)
        with self.db() as db:
            statuses = [s for (s,) in db.execute(
                "SELECT a.status FROM webhook_attempts a JOIN webhook_deliveries d "
                "ON d.id = a.delivery WHERE d.job_id = ? ORDER BY a.attempt", (job_id,))]
        self.assertEqual(statuses, [q["status"] for q in reqs])
        print("job %d: %d attempts (%s), delivered" % (job_id, len(reqs),
              ",".join(str(s) for s in statuses)))

    def test_2_pending_delivery_resumed_once_after_a_master_restart(self):
        self.rx.refuse = True
        r = self.submit(self.rx.url("/restart"))
        self.assertEqual(r.returncode, 0, r.stderr)
        job_id = int(r.stdout.split()[0])
        weft_ops.wait_for("a refused attempt", lambda: len(self.rx.for_job(job_id)) >= 1)
        before = self.rx.for_job(job_id)[0]["headers"]["X-Weft-Delivery"]
        self.c.stop("master")
        self.rx.refuse = False
        refused_before_restart = len(self.rx.for_job(job_id))
        self.c.start("master")
        got = weft_ops.wait_for("the delivery after the restart", lambda: [
            q for q in self.rx.for_job(job_id) if q["status"] == 200], timeout=60)
        self.assertEqual(got[0]["headers"]["X-Weft-Delivery"], before)
        self.assertEqual(int(got[0]["headers"]["X-Weft-Attempt"]), refused_before_restart + 1)
        self.wait_serving()
        # Delivered once: no further attempt once it was accepted (the dispatcher polls twice
        # a second; a job submitted now and delivered shows at least a round has passed).
        r2 = self.submit(self.rx.url("/after"))
        job2 = int(r2.stdout.split()[0])
        weft_ops.wait_for("a later job's delivery",
                          lambda: [q for q in self.rx.for_job(job2) if q["status"] == 200])
        self.assertEqual(len([q for q in self.rx.for_job(job_id) if q["status"] == 200]), 1)

    def test_3_callback_urls_that_are_not_http_or_not_allowed_are_refused(self):
        for url, words in [("ftp://127.0.0.1/x", "scheme 'ftp' is not http or https"),
                           ("file:///etc/passwd", "scheme 'file' is not http or https"),
                           ("http://169.254.169.254/latest", "not in [webhooks].allowed_hosts"),
                           ("http://user@127.0.0.1/x", "user information")]:
            r = self.submit(url, wait=False)
            self.assertNotEqual(r.returncode, 0, url)
            self.assertIn(words, r.stderr, url)

    def token(self, name):
        r = weft_ops.subprocess.run([CAF_NODE, "token", "create", name, "--scope", "submit",
                                     "--config", self.c.topology], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        secret = re.search(r"webhook signing secret: (whsec_[0-9a-f]{64})\n", r.stderr)
        self.assertIsNotNone(secret, r.stderr)
        return r.stdout.strip(), secret.group(1)

    def test_4_http_jobs_are_signed_with_their_tokens_secret(self):
        import requests
        tok_a, secret_a = self.token("hooks-a")
        tok_b, secret_b = self.token("hooks-b")
        self.assertNotEqual(secret_a, secret_b)
        self.assertNotIn(secret_a, [self.key, "whsec_" + self.key])
        self.rx.refuse = False
        base = "http://127.0.0.1:%d" % self.http_port
        weft_ops.wait_for("the HTTP API", lambda: requests.get(base + "/healthz", timeout=2).ok)
        with open(self.data, "rb") as d, open(self.tmpl, "rb") as t:
            r = requests.post(base + "/v1/jobs", headers={"Authorization": "Bearer " + tok_a},
                              files=[("data", ("people.csv", d.read(), "text/csv")),
                                     ("template", ("letter.mustache", t.read(), "text/plain")),
                                     ("format", (None, "txt")),
                                     ("callback_url", (None, self.rx.url("/token")))], timeout=60)
        self.assertEqual(r.status_code, 202, r.text)
        job_id = r.json()["id"]
        got = weft_ops.wait_for("the token-signed delivery", lambda: [
            q for q in self.rx.for_job(job_id) if q["status"] == 200], timeout=60)
        body, sig = got[0]["body"], got[0]["headers"]["X-Weft-Signature"]
        sign = lambda key: "sha256=" + hmac.new(key.encode(), body, hashlib.sha256).hexdigest()
        self.assertTrue(hmac.compare_digest(sig, sign(secret_a)), "token A's secret verifies it")
        self.assertFalse(hmac.compare_digest(sig, sign(secret_b)), "token B's secret does not")
        self.assertFalse(hmac.compare_digest(sig, sign(self.key)), "nor the cluster key")
        self.assertEqual(got[0]["path"], "/token")
        with self.db() as db:
            signing = db.execute("SELECT signing FROM webhook_deliveries WHERE job_id = ?",
                                 (job_id,)).fetchone()
            token_id = db.execute("SELECT id FROM api_tokens WHERE name = 'hooks-a'").fetchone()
        self.assertEqual(signing[0], "token:%d" % token_id[0])

    def test_6_shell_token_commands_make_working_tokens(self):
        import requests
        base = "http://127.0.0.1:%d" % self.http_port
        r = self.c.client("shell", "-c", "token create shell-made --scope read --expires 1h")
        self.assertEqual(r.returncode, 0, r.stderr)
        token = re.search(r"token: +(weft_[0-9a-f]{64})\n", r.stdout)
        secret = re.search(r"webhook signing secret: (whsec_[0-9a-f]{64})\n", r.stdout)
        self.assertIsNotNone(token, r.stdout)
        self.assertIsNotNone(secret, r.stdout)
        auth = {"Authorization": "Bearer " + token.group(1)}
        self.assertEqual(requests.get(base + "/v1/jobs", headers=auth, timeout=10).status_code, 200)
        listed = self.c.client("shell", "-c", "token list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        self.assertRegex(listed.stdout, r"shell-made +read +valid")
        self.assertNotIn(token.group(1), listed.stdout)
        again = self.c.client("shell", "-c", "token create shell-made --scope read")
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("a token named 'shell-made' exists", again.stdout + again.stderr)
        bad = self.c.client("shell", "-c", "token create x --scope root")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("--scope must be read, submit or admin", bad.stdout + bad.stderr)
        r = self.c.client("shell", "-c", "token revoke shell-made")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(requests.get(base + "/v1/jobs", headers=auth, timeout=10).status_code, 401)

    def test_5_the_dispatcher_reads_only_pending_requests(self):
        # A CAF-submitted job with a callback: its request row goes once the delivery exists.
        self.rx.refuse = False
        r = self.submit(self.rx.url("/requests"))
        self.assertEqual(r.returncode, 0, r.stderr)
        job_id = int(r.stdout.split()[0])
        weft_ops.wait_for("the delivery", lambda: [
            q for q in self.rx.for_job(job_id) if q["status"] == 200])
        with self.db() as db:
            left = db.execute("SELECT COUNT(*) FROM webhook_requests").fetchone()[0]
            signing = db.execute("SELECT signing FROM webhook_deliveries WHERE job_id = ?",
                                 (job_id,)).fetchone()[0]
        self.assertEqual(left, 0, "every finished job's request row is removed")
        self.assertEqual(signing, "cluster")


if __name__ == "__main__":
    unittest.main(verbosity=2)

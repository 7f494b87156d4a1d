"""metrics_http_test: GET /metrics on a node's HTTP port, parsed by Prometheus's own text
parser (Debian's python3-prometheus-client), with counters that match the jobs run
(docs/operations.md "Metrics").

    metrics_http_test.py CAF_NODE
"""

import os
import subprocess
import sys
import unittest

import requests
from prometheus_client.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weft_ops  # noqa: E402

CAF_NODE = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("CAF_NODE", "caf-node")
JOBS = [(5, "txt"), (7, "pdf"), (11, "txt")]  # records, format


def samples(text):
    """{(name, frozenset(labels)): value} of every sample, and the families by name."""
    out, families = {}, {}
    for fam in text_string_to_metric_families(text):
        families[fam.name] = fam
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out, families


def total(values, name, **labels):
    return sum(v for (n, l), v in values.items()
               if n == name and all((k, str(w)) in l for k, w in labels.items()))


class metrics_http_test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.http_port = weft_ops.reserve_port()
        cls.c = weft_ops.cluster(CAF_NODE, [
            ("master", "master", 2, 1, 'http_listen = "127.0.0.1:%d"' % cls.http_port)])
        cls.c.start("master")
        cls.base = "http://127.0.0.1:%d" % cls.http_port
        weft_ops.wait_for("the node's /healthz",
                          lambda: requests.get(cls.base + "/healthz", timeout=2).ok, timeout=60)
        tok = subprocess.run([CAF_NODE, "token", "create", "prometheus", "--scope", "read",
                              "--config", cls.c.topology], capture_output=True, text=True)
        assert tok.returncode == 0, tok.stderr
        cls.token = tok.stdout.strip().splitlines()[-1]
        cls.auth = {"Authorization": "Bearer " + cls.token}
        cls.records = 0
        for n, fmt in JOBS:
            data = os.path.join(cls.c.dir, "d%d.csv" % n)
            with open(data, "w") as f:
                f.write("name\n" + "".join("N%d\n" % i for i in range(n)))
            tmpl = os.path.join(cls.c.dir, "t.mustache")
            with open(tmpl, "w") as f:
                f.write("Hello {{name}}\n")
            r = cls.c.client("submit", "--template", tmpl, "--data", data, "--format", fmt,
                             "--wait")
            assert r.returncode == 0, r.stderr
            cls.records += n

    @classmethod
    def tearDownClass(cls):
        cls.c.stop_all()

    def scrape(self):
        r = requests.get(self.base + "/metrics", headers=self.auth, timeout=10)
        self.assertEqual(r.status_code, 200, r.text)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
        return r.text

    def test_metrics_needs_a_token(self):
        r = requests.get(self.base + "/metrics", timeout=10)
        self.assertEqual(r.status_code, 401)

    def test_counters_match_the_jobs_run(self):
        values, families = samples(self.scrape())
        print("families: %d, samples: %d" % (len(families), len(values)))
        self.assertEqual(total(values, "weft_node_info", node="master", role="master"), 1)
        self.assertEqual(total(values, "weft_records_merged_total", node="master",
                               engine="merge"), self.records)
        self.assertEqual(total(values, "weft_documents_woven_total", node="master"),
                         self.records)
        self.assertGreaterEqual(total(values, "weft_pages_total", node="master"), 7)
        self.assertEqual(total(values, "weft_jobs_finished_total", state="done"), len(JOBS))
        self.assertEqual(total(values, "weft_jobs", state="done"), len(JOBS))
        self.assertEqual(total(values, "weft_jobs", state="failed"), 0)
        # Batch duration histograms per phase: every accepted batch observed once.
        merged = total(values, "weft_batches_total", phase="merge", result="accepted")
        self.assertGreaterEqual(merged, len(JOBS))
        self.assertEqual(total(values, "weft_batch_duration_seconds_count", phase="merge"), merged)
        self.assertEqual(families["weft_batch_duration_seconds"].type, "histogram")
        self.assertEqual(total(values, "weft_batch_duration_seconds_bucket", phase="merge",
                               le="+Inf"), merged)
        self.assertGreater(total(values, "weft_batch_duration_seconds_count", phase="weave"), 0)
        # Cluster figures read from the database at scrape time.
        self.assertEqual(total(values, "weft_engines", state="active", type="merge"), 2)
        self.assertEqual(total(values, "weft_engines", state="active", type="weaver"), 1)
        self.assertEqual(total(values, "weft_remote_engines_expected", type="merge"), 0)
        self.assertEqual(total(values, "weft_nodes", state="up", role="master"), 1)
        self.assertEqual(total(values, "weft_queued_batches"), 0)
        self.assertIn("weft_lease_holder", families)
        # HTTP requests by route and status: this test's own requests are counted.
        before = total(values, "weft_http_requests_total", route="/metrics", status="200")
        values2, _ = samples(self.scrape())
        self.assertGreaterEqual(
            total(values2, "weft_http_requests_total", route="/metrics", status="200"), before + 1)
        self.assertGreaterEqual(
            total(values2, "weft_http_requests_total", route="/metrics", status="401"), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)

"""status_page_test: the node's status page at / in headless Chromium (Debian's chromium)
against a running cluster: the DOM shows the nodes and a running job's progress; a
screenshot is kept as a test artefact (docs/operations.md "The status page").

    status_page_test.py CAF_NODE ARTEFACT_DIR
"""

import os
import re
import subprocess
import sys
import unittest

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weft_ops  # noqa: E402

CAF_NODE = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("CAF_NODE", "caf-node")
ARTEFACTS = sys.argv.pop(1) if len(sys.argv) > 1 else "/tmp"
CHROMIUM = ["chromium", "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
            "--disable-dev-shm-usage", "--virtual-time-budget=8000"]


class status_page_test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.http_port = weft_ops.reserve_port()
        cls.c = weft_ops.cluster(CAF_NODE, [
            ("master", "master", 1, 1, 'http_listen = "127.0.0.1:%d"' % cls.http_port)])
        cls.c.start("master")
        cls.base = "http://127.0.0.1:%d" % cls.http_port
        weft_ops.wait_for("the node's /healthz",
                          lambda: requests.get(cls.base + "/healthz", timeout=2).ok, timeout=60)
        tok = subprocess.run([CAF_NODE, "token", "create", "status", "--scope", "read",
                              "--config", cls.c.topology], capture_output=True, text=True)
        assert tok.returncode == 0, tok.stderr
        cls.token = tok.stdout.strip().splitlines()[-1]
        # A job large enough to be running while the page is read.
        data = os.path.join(cls.c.dir, "many.csv")
        with open(data, "w") as f:
            f.write("name,city\n" + "".join("Person %d,Town %d\n" % (i, i % 97)
                                            for i in range(200000)))
        tmpl = os.path.join(cls.c.dir, "t.mustache")
        with open(tmpl, "w") as f:
            f.write("Dear {{name}} of {{city}},\n\nthis is a long letter.\n")
        r = cls.c.client("submit", "--template", tmpl, "--data", data, "--format", "pdf")
        assert r.returncode == 0, r.stderr
        cls.job = int(r.stdout.split()[0])
        auth = {"Authorization": "Bearer " + cls.token}
        weft_ops.wait_for("the job to be merging", lambda: requests.get(
            "%s/v1/jobs/%d" % (cls.base, cls.job), headers=auth, timeout=5
        ).json().get("state") in ("merging", "weaving"), timeout=120)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop_all()

    def test_page_files_are_served_without_a_token_and_hold_no_data(self):
        for path, kind in [("/", "text/html"), ("/status.js", "text/javascript"),
                           ("/status.css", "text/css")]:
            r = requests.get(self.base + path, timeout=5)
            self.assertEqual(r.status_code, 200, path)
            self.assertTrue(r.headers["Content-Type"].startswith(kind), path)
        self.assertNotIn("http://", requests.get(self.base + "/", timeout=5).text.replace(
            "http://www.w3.org", ""))  # no CDN

    def test_dom_shows_the_nodes_and_the_running_job_with_its_progress(self):
        url = "%s/#token=%s" % (self.base, self.token)
        dom = subprocess.run(CHROMIUM + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=120).stdout
        with open(os.path.join(ARTEFACTS, "status_page.html"), "w") as f:
            f.write(dom)
        self.assertIn('data-loaded="true"', dom)
        self.assertRegex(dom, r'<tr data-node="master" data-state="up">')
        # The master sends no heartbeat to itself: its row says so instead of a growing age.
        master_row = re.search(r'<tr data-node="master"[^>]*>(.*?)</tr>', dom, re.S).group(1)
        self.assertIn("(master)", master_row)
        self.assertNotRegex(master_row, r"\d+ ms")
        row = re.search(r'<tr data-job="%d" data-state="(\w+)">(.*?)</tr>' % self.job, dom, re.S)
        self.assertIsNotNone(row, "the running job's row")
        self.assertIn(row.group(1), ("merging", "weaving"))
        bars = re.findall(r'role="progressbar" aria-valuenow="(\d+)" data-done="(\d+)" '
                          r'data-total="(\d+)"', row.group(2))
        self.assertEqual(len(bars), 3, row.group(2))
        self.assertEqual(int(bars[0][2]), 200000)  # records
        shot = os.path.join(ARTEFACTS, "status_page.png")
        subprocess.run(CHROMIUM + ["--window-size=1400,1000", "--screenshot=" + shot, url],
                       capture_output=True, timeout=120)
        self.assertTrue(os.path.getsize(shot) > 10000, "screenshot " + shot)
        print("DOM %d bytes; job %d %s, bars %s; screenshot %s" % (
            len(dom), self.job, row.group(1), bars, shot))


if __name__ == "__main__":
    unittest.main(verbosity=2)

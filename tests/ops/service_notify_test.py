"""service_notify_test: the node speaks systemd's notify protocol (docs/operations.md "The
systemd unit"): READY=1 once it serves, WATCHDOG=1 every half WatchdogSec while its actors
answer (none while the process is frozen, again after it is thawed, none at all without
a watchdog), STOPPING=1 when it stops. The service manager is played by a Unix datagram
socket given to the node as NOTIFY_SOCKET, with WATCHDOG_USEC as systemd sets it.

    service_notify_test.py CAF_NODE
"""

import os
import signal
import socket
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import weft_ops  # noqa: E402

CAF_NODE = sys.argv.pop(1) if len(sys.argv) > 1 else os.environ.get("CAF_NODE", "caf-node")


def stopped(pid):
    """Every thread of the process is stopped (state T in /proc)."""
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
            if f.read().rsplit(")", 1)[1].split()[0] != "T":
                return False
    return True


class manager:
    """The notify socket: collects each datagram with the time it came."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="weft-notify-")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.settimeout(0.05)
        self.messages = []

    def drain(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except socket.timeout:
                return
            self.messages.append((time.monotonic(), data.decode()))

    def lines(self, since=0.0):
        self.drain()
        return [m for t, m in self.messages if t >= since]

    def count(self, line, since=0.0):
        return sum(1 for m in self.lines(since) if line in m.split("\n"))

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)


class service_notify_test(unittest.TestCase):
    def run_node(self, env):
        c = weft_ops.cluster(CAF_NODE, [("master", "master", 1, 1, "")])
        m = manager()
        p = c.start("master", env=dict(env, NOTIFY_SOCKET=m.path))
        self.addCleanup(m.close)
        self.addCleanup(c.stop_all)
        weft_ops.wait_for("READY=1", lambda: m.count("READY=1") == 1, timeout=60)
        return c, m, p

    def test_watchdog_pings_while_the_node_answers(self):
        c, m, p = self.run_node({"WATCHDOG_USEC": "400000"})  # WatchdogSec=400ms: a ping per 200 ms
        start = time.monotonic()
        weft_ops.wait_for("five WATCHDOG=1", lambda: m.count("WATCHDOG=1", start) >= 5, timeout=10)
        took = time.monotonic() - start
        self.assertLess(took, 3.0, "pings come every half interval")
        # Frozen: no ping (systemd would restart it after WatchdogSec); thawed: pings again.
        os.kill(p.pid, signal.SIGSTOP)
        weft_ops.wait_for("the node stopped", lambda: stopped(p.pid), timeout=10)
        m.drain()  # a ping sent before the stop is in the socket now
        frozen = time.monotonic()
        deadline = frozen + 1.0
        while time.monotonic() < deadline:
            m.drain()
        self.assertEqual(m.count("WATCHDOG=1", frozen), 0, "no ping while the process is frozen")
        os.kill(p.pid, signal.SIGCONT)
        thawed = time.monotonic()
        weft_ops.wait_for("pings after the thaw", lambda: m.count("WATCHDOG=1", thawed) >= 2,
                          timeout=10)
        c.stop("master")
        self.assertEqual(m.count("STOPPING=1"), 1)
        self.assertEqual(p.returncode, 0)

    def test_no_watchdog_pings_without_watchdog_usec(self):
        env = {"WATCHDOG_USEC": ""}
        c, m, p = self.run_node(env)
        # The node answers the shell (a round trip through its actors) many times over the
        # interval it would have pinged in: still no WATCHDOG=1.
        for _ in range(3):
            r = c.client("shell", "-c", "nodes", "--json", timeout=30)
            self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(m.count("WATCHDOG=1"), 0)
        c.stop("master")
        self.assertEqual(m.count("STOPPING=1"), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)

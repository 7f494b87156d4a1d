"""Helpers the ops system tests share (tests/ops/*.py): reserved loopback ports
(the same lock files as tests/support/test_port.hpp), a cluster directory with
its topology and secret, caf-node processes, and waiting with a deadline.
Standard library only; run by /usr/bin/python3 (Debian's, with
python3-prometheus-client and python3-requests)."""

import fcntl
import os
import random
import signal
import socket
import subprocess
import tempfile
import time

_held = []  # lock descriptors: held until the process exits (children inherit them)


def reserve_port():
    """A loopback port no other test holds (flock on $WEFT_TEST_PORT_DIR/PORT.lock),
    outside the ephemeral range, free when handed out."""
    lock_dir = os.environ.get("WEFT_TEST_PORT_DIR", "/tmp/weft-test-ports")
    os.makedirs(lock_dir, exist_ok=True)
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            lo, hi = map(int, f.read().split())
    except OSError:
        lo, hi = 32768, 60999
    candidates = [p for p in range(10000, 65536) if not lo <= p <= hi]
    random.shuffle(candidates)
    for port in candidates[:5000]:
        fd = os.open(os.path.join(lock_dir, "%d.lock" % port), os.O_CREAT | os.O_RDWR, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            os.close(fd)
            continue
        finally:
            s.close()
        os.set_inheritable(fd, True)
        _held.append(fd)
        return port
    raise RuntimeError("no free test port")


def wait_for(what, predicate, timeout=30.0, interval=0.05):
    """Polls predicate() until it returns a true value (returned) or `timeout`
    seconds pass (AssertionError naming `what`)."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - reported if it never succeeds
            last_error = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s (last error: %r)"
                         % (timeout, what, last_error))


class cluster:
    """A cluster directory: secret, file store, topology; nodes started from it."""

    def __init__(self, caf_node, nodes, extra="", database=""):
        self.caf_node = caf_node
        self.dir = tempfile.mkdtemp(prefix="weft-ops-")
        self.secret = os.path.join(self.dir, "cluster.secret")
        with open(self.secret, "w") as f:
            f.write("ops-test-secret-0123456789abcdef\n")
        os.chmod(self.secret, 0o600)
        self.ports = {}
        self.procs = {}
        self.logs = {}
        lines = ['[cluster]', 'name = "ops"', 'secret_file = "cluster.secret"',
                 'heartbeat = "200ms"', 'node_timeout = "2s"', '',
                 '[files]', 'root = "store"', '']
        if database:
            lines += [database, '']
        lines += [extra, '']
        for name, role, merge, weaver, more in nodes:
            self.ports[name] = reserve_port()
            lines += ['[[node]]', 'name = "%s"' % name, 'role = "%s"' % role,
                      'listen = "127.0.0.1:%d"' % self.ports[name],
                      'merge_engines = %d' % merge, 'weaver_engines = %d' % weaver, more, '']
        self.topology = os.path.join(self.dir, "weft.toml")
        with open(self.topology, "w") as f:
            f.write("\n".join(lines))

    def start(self, name, env=None):
        e = dict(os.environ)
        e.update(env or {})
        with open(os.path.join(self.dir, name + ".log"), "ab") as log:
            self.logs[name] = log.name
            self.procs[name] = subprocess.Popen(
                [self.caf_node, "run", "--config", self.topology, "--node", name],
                stdout=log, stderr=subprocess.STDOUT, env=e, pass_fds=tuple(_held))
        return self.procs[name]

    def stop(self, name, sig=signal.SIGTERM, timeout=20):
        p = self.procs.get(name)
        if p is None or p.poll() is not None:
            return
        p.send_signal(sig)
        p.wait(timeout=timeout)

    def stop_all(self):
        for name in list(self.procs):
            try:
                self.stop(name)
            except subprocess.TimeoutExpired:
                self.procs[name].kill()

    def client(self, *args, node=None, timeout=120):
        """Runs a caf-node client command against `node` (default: the first)."""
        node = node or next(iter(self.ports))
        cmd = [self.caf_node] + list(args[:1]) + [
            "--connect", "127.0.0.1:%d" % self.ports[node], "--secret-file", self.secret
        ] + list(args[1:])
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)

    def log_text(self, name):
        with open(self.logs[name], errors="replace") as f:
            return f.read()

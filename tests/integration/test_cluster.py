"""Three ringmail nodes sharing one real Redis (`[cluster]`): a suppression made on one node is
refused at RCPT on the other within a second (for mail it relays: 127.0.0.1 may), and lifted there too; failed logins spread over
both nodes reach the block threshold as if they were one; relaying to one sink, the three keep
to one site limit of 4 connections and 50 messages a second; `ringmail cluster status` lists the
nodes."""

import imaplib
import shutil
import smtplib
import subprocess
import time
import unittest

import threading

import harness
from harness import Server, free_port
from sink import Sink


class CountingSink(Sink):
    """A sink that counts the connections open at once, and the most there were."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = self.most = 0
        super().__init__()

    def _serve(self, conn, peer):
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
        try:
            super()._serve(conn, peer)
        finally:
            with self.lock:
                self.open -= 1


def start_redis():
    port = free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() != "PONG":
        if time.time() > deadline:
            raise RuntimeError("redis-server did not start")
        time.sleep(0.05)
    return proc, port


def node(name, redis_port, sink_port=None):
    relay = [] if sink_port is None else [
        "[delivery]", "max_connections_per_destination = 4", 'max_rate_per_destination = "50/s"',
        "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{sink_port}"']
    sections = "\n".join(relay + [
        "[auth]", "allow_plaintext_auth = true", "ip_failures_before_delay = 100",
        "ip_failures_before_block = 4", "account_failures_before_delay = 100",
        "[cluster]", f'redis = "redis://127.0.0.1:{redis_port}/0"', f'node = "{name}"', "lease_secs = 3",
    ])
    server = Server(shards=1, hostname="mx.test", sections=sections)
    server.start()
    server.cli("domain", "add", "mx.test")
    server.add_user("ann@mx.test")
    return server


def rcpt(server, address):
    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as s:
        s.ehlo("client.test")
        s.mail("someone@elsewhere.test")
        return s.rcpt(address)[0]


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class Cluster(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis, cls.redis_port = start_redis()
        cls.sink = CountingSink()
        cls.a = node("node-a", cls.redis_port, cls.sink.port)
        cls.b = node("node-b", cls.redis_port, cls.sink.port)
        cls.c = node("node-c", cls.redis_port, cls.sink.port)

    @classmethod
    def tearDownClass(cls):
        cls.sink.close()
        for server in (cls.a, cls.b, cls.c):
            server.stop()
            server.cleanup()
        cls.redis.terminate()
        cls.redis.wait()

    def test_a_suppression_on_one_node_is_refused_on_the_other(self):
        self.assertEqual(rcpt(self.b, "gone@far.test"), 250, "control: accepted before")
        self.a.cli("suppression", "add", "gone@far.test")
        started = time.time()
        while rcpt(self.b, "gone@far.test") == 250:
            self.assertLess(time.time() - started, 1.0, "node b still accepts after a second:\n" + self.a.log() + self.b.log())
            time.sleep(0.05)
        self.assertIn(b"gone@far.test", self.b.cli("suppression", "list").stdout)
        self.a.cli("suppression", "del", "gone@far.test")
        started = time.time()
        while rcpt(self.b, "gone@far.test") != 250:
            self.assertLess(time.time() - started, 2.0, "the lifted suppression did not reach node b")
            time.sleep(0.05)

    def test_failed_logins_over_both_nodes_count_as_one(self):
        def login(server, password):
            imap = imaplib.IMAP4("127.0.0.1", server.imap_port, timeout=10)
            try:
                imap.login("ann@mx.test", password)
                imap.logout()
                return "ok"
            except imaplib.IMAP4.abort as e:
                return "blocked" if "UNAVAILABLE" in str(e) or "Too many" in str(e) else f"abort {e}"
            except imaplib.IMAP4.error:
                return "invalid"

        self.assertEqual(login(self.a, "secret-password"), "ok", "control: the password works")
        # Four failures, two on each node: the threshold of one node is four.
        for server in (self.a, self.b, self.a, self.b):
            self.assertEqual(login(server, "wrong"), "invalid")
        self.assertEqual(login(self.a, "secret-password"), "blocked", "node a counts node b's failures")
        self.assertEqual(login(self.b, "secret-password"), "blocked")

    def test_three_nodes_keep_to_one_site_limit_of_4_connections_and_50_per_second(self):
        per_node = 60
        def inject(server, tag):
            with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as s:
                for i in range(per_node):
                    s.sendmail("load@elsewhere.test", [f"r{tag}{i}@far.test"], f"Subject: {tag}{i}\r\n\r\nhi\r\n")
        threads = [threading.Thread(target=inject, args=(n, t)) for n, t in ((self.a, "a"), (self.b, "b"), (self.c, "c"))]
        for t in threads:
            t.start()
        total = 3 * per_node
        first = last = None
        deadline = time.time() + 60
        while len(self.sink.messages()) < total:
            if first is None and self.sink.messages():
                first = time.time()
            self.assertLess(time.time(), deadline, f"{len(self.sink.messages())} of {total} arrived")
            time.sleep(0.005)
        last = time.time()
        for t in threads:
            t.join()
        self.assertLessEqual(self.sink.most, 4, "the sink saw more connections at once than the site's limit")
        self.assertGreaterEqual(self.sink.most, 2, "control: the nodes did deliver in parallel")
        rate = (total - 1) / (last - first)
        # The limit is the cluster's (not 3 x 50), and reached: a node whose sessions sit idle
        # gives their leases to the nodes that wait.
        print(f"  cluster relay: {rate:.1f} msgs/s, {self.sink.most} connections at most")
        self.assertLess(abs(rate - 50), 5, f"{rate:.1f} msgs/s against a limit of 50")
        recipients = [r for m in self.sink.messages() for r in m["rcpts"]]
        self.assertEqual(len(recipients), total, "every message once")
        self.assertEqual(len(set(recipients)), total, "none twice")

    def test_cluster_status_lists_both_nodes(self):
        deadline = time.time() + 5
        while True:
            out = self.a.cli("cluster", "status").stdout.decode()
            if "node-a" in out and "node-b" in out:
                break
            self.assertLess(time.time(), deadline, out)
            time.sleep(0.2)
        self.assertTrue(out.startswith("node\tlast_seen_secs"), out)


if __name__ == "__main__":
    unittest.main()

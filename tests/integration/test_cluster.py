"""Three ringmail nodes sharing one real Redis (`[cluster]`): a suppression made on one node is
refused at RCPT on the other within a second (for mail it relays: 127.0.0.1 may), and lifted
there too; failed logins spread over both nodes reach the block threshold as if they were one;
relaying to one sink, the three keep to one site limit of 4 connections and 50 messages a
second; a node killed with its leases held gives them back within the lease time; Redis stopped
mid-run loses and doubles nothing; `ringmail cluster status` lists the nodes."""

import imaplib
import re
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
    """A sink that counts the connections open at once, and the most there were. While
    `holding` is set, a message from `hold@...` gets no reply (its connection stays busy);
    once cleared, the held ones are hung up on and later ones accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = self.most = 0
        self.holding = threading.Event()
        super().__init__()

    def on_message(self, envelope):
        if "<hold@" not in envelope["mail"] or not self.holding.is_set():
            return True
        while self.holding.is_set():
            time.sleep(0.05)
        return False

    def _serve(self, conn, peer):
        with self.lock:
            self.open += 1
            self.most = max(self.most, self.open)
        try:
            super()._serve(conn, peer)
        finally:
            with self.lock:
                self.open -= 1


LEASE_SECS = 3


def start_redis(port=None):
    port = port or free_port()
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
        "[cluster]", f'redis = "redis://127.0.0.1:{redis_port}/0"', f'node = "{name}"', f"lease_secs = {LEASE_SECS}",
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
        self.sink.most = self.sink.open
        def inject(server, tag):
            with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as s:
                for i in range(per_node):
                    s.sendmail("load@elsewhere.test", [f"r{tag}{i}@far.test"], f"Subject: {tag}{i}\r\n\r\nhi\r\n")
        threads = [threading.Thread(target=inject, args=(n, t)) for n, t in ((self.a, "a"), (self.b, "b"), (self.c, "c"))]
        for t in threads:
            t.start()
        total = 3 * per_node
        # The sink is the class's: count this test's messages only.
        arrived = lambda: [r for m in self.sink.messages() for r in m["rcpts"] if re.search(r"<r[abc]\d+@", r)]  # noqa: E731
        first = last = None
        deadline = time.time() + 60
        while len(arrived()) < total:
            if first is None and arrived():
                first = time.time()
            self.assertLess(time.time(), deadline, f"{len(arrived())} of {total} arrived")
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
        recipients = arrived()
        self.assertEqual(len(recipients), total, "every message once")
        self.assertEqual(len(set(recipients)), total, "none twice")

    def test_kill_9_of_a_node_holding_leases_gives_them_back_within_the_lease_time(self):
        self.sink.holding.set()
        try:
            with smtplib.SMTP("127.0.0.1", self.c.port, timeout=30) as s:
                for i in range(4):
                    s.sendmail("hold@elsewhere.test", [f"held{i}@far.test"], f"Subject: held {i}\r\n\r\nhi\r\n")
            deadline = time.time() + 10
            while self.sink.open < 4:
                self.assertLess(time.time(), deadline, f"node c opened {self.sink.open} connections, not 4")
                time.sleep(0.02)
            with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as s:
                s.sendmail("load@elsewhere.test", ["after-kill@far.test"], "Subject: after\r\n\r\nhi\r\n")
            arrived = lambda: any("after-kill@" in r for m in self.sink.messages() for r in m["rcpts"])  # noqa: E731
            time.sleep(1.5)
            self.assertFalse(arrived(), "control: node a must wait while node c holds all 4 leases")
            self.c.kill9()
            killed = time.time()
            while not arrived():
                self.assertLess(time.time() - killed, LEASE_SECS + 2, "node c's leases were not given back")
                time.sleep(0.02)
            print(f"  leases back after the kill: {time.time() - killed:.1f} s (lease_secs = {LEASE_SECS})")
        finally:
            self.sink.holding.clear()
            if self.c.proc.poll() is not None:
                self.c.start()
        # Node c never had its 250s: its restarted queue delivers the four, once each.
        deadline = time.time() + 30
        held = lambda: sorted(r for m in self.sink.messages() for r in m["rcpts"] if "held" in r)  # noqa: E731
        while len(held()) < 4:
            self.assertLess(time.time(), deadline, f"after the restart: {held()}")
            time.sleep(0.05)
        self.assertEqual(held(), [f"RCPT TO:<held{i}@far.test>" for i in range(4)])

    def test_redis_stopped_mid_run_loses_and_doubles_nothing(self):
        per_node, total = 100, 300
        self.sink.most = 0
        def inject(server, tag):
            with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as s:
                for i in range(per_node):
                    s.sendmail("load@elsewhere.test", [f"out{tag}{i}@far.test"], f"Subject: {tag}{i}\r\n\r\nhi\r\n")
        threads = [threading.Thread(target=inject, args=(n, t)) for n, t in ((self.a, "a"), (self.b, "b"), (self.c, "c"))]
        for t in threads:
            t.start()
        arrived = lambda: [r for m in self.sink.messages() for r in m["rcpts"] if "<out" in r]  # noqa: E731
        leases = lambda: subprocess.run(  # noqa: E731
            ["redis-cli", "-p", str(self.redis_port), "--scan", "--pattern", "ringmail:lease:*"],
            capture_output=True, text=True).stdout.split()
        deadline = time.time() + 60
        while len(arrived()) < 40:
            self.assertLess(time.time(), deadline, f"{len(arrived())} arrived before the outage")
            time.sleep(0.01)
        self.assertTrue(leases(), "control: the leases are in Redis before it stops")
        self.redis.terminate()
        self.redis.wait()
        before, self.sink.most = len(arrived()), self.sink.open
        time.sleep(2)
        during, most_away = len(arrived()) - before, self.sink.most
        self.assertGreater(during, 10, "mail stopped flowing while Redis was away")
        self.redis, _ = start_redis(self.redis_port)
        back = time.time()
        shared_again = False
        self.sink.most = self.sink.open
        while len(arrived()) < total:
            shared_again = shared_again or bool(leases())
            self.assertLess(time.time(), deadline, f"{len(arrived())} of {total} arrived")
            time.sleep(0.02)
        for t in threads:
            t.join()
        print(f"  {during} messages in 2 s without Redis, {most_away} connections at most then;"
              f" {self.sink.most} after it came back ({len(arrived())} after {time.time() - back:.1f} s)")
        self.assertTrue(shared_again, "no lease was taken in Redis after it came back")
        self.assertEqual(len(arrived()), total, "every message once")
        self.assertEqual(len(set(arrived())), total, "none twice")
        self.assertLessEqual(most_away, 4, "the nodes' shares kept to the site's limit")
        self.assertLessEqual(self.sink.most, 4, "the shared limit applies again")

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

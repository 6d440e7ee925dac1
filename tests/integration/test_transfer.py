"""`ringmail queue transfer`: a node drains its queue into another node. 1,000 messages that node
A could not deliver (its route leads to a closed port) move to node B, which relays them to a
sink: each arrives once, whole, and A's queue is empty afterwards. A node that refuses the
transfer leaves the mail queued on A, with nothing returned to the senders."""

import re
import smtplib
import subprocess
import threading
import time
import unittest

from harness import BIN, Server, free_port
from sink import Sink

MESSAGES = 1000


def summary(server):
    """(recipients, of which deferred) in the server's queue, per `queue summary`."""
    lines = [line.split("\t") for line in server.cli("queue", "summary").stdout.decode().splitlines()[1:] if line]
    return sum(int(f[1]) for f in lines), sum(int(f[2]) for f in lines)


def queued(server):
    return summary(server)[0]


def transfer(server, to, wait):
    return subprocess.run([BIN, "--config", server.config, "queue", "transfer", "--to", to, "--wait", str(wait)],
                          capture_output=True, text=True, timeout=wait + 60)


class QueueTransfer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        # Node A's own way out is a closed port: everything stays queued there, deferred for an hour.
        cls.a = Server(shards=1, hostname="mx.a.test", sections="\n".join([
            "[delivery]", "retry_schedule_secs = [3600]", "poll_interval_ms = 200", "connect_timeout_secs = 2",
            "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{free_port()}"'])).start()
        cls.b = Server(shards=1, hostname="mx.b.test", sections="\n".join([
            "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{cls.sink.port}"'])).start()
        # Node C lets nobody relay: it refuses a transfer.
        cls.c = Server(shards=1, hostname="mx.c.test", extra="relay_networks = []").start()

    @classmethod
    def tearDownClass(cls):
        cls.sink.close()
        for server in (cls.a, cls.b, cls.c):
            server.cleanup()

    def arrived(self):
        return [r for m in self.sink.messages() for r in m["rcpts"] if re.search(r"<t\d+-\d+@", r)]

    def test_1000_queued_messages_move_to_another_node_none_lost_or_doubled(self):
        def inject(part):
            with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as s:
                for i in range(MESSAGES // 4):
                    to = f"t{part}-{i}@far.test"
                    s.sendmail("sender@elsewhere.test", [to], f"Subject: {to}\r\n\r\nbody of {to}\r\n")
        threads = [threading.Thread(target=inject, args=(p,)) for p in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        deadline = time.time() + 60
        while summary(self.a) != (MESSAGES, MESSAGES):
            self.assertLess(time.time(), deadline, "node A did not try (and defer) every message")
            time.sleep(0.2)
        self.assertEqual(queued(self.a), MESSAGES, "control: node A holds every message")
        self.assertEqual(self.arrived(), [], "control: nothing reached the sink through node A")

        refused = transfer(self.a, f"127.0.0.1:{self.c.port}", 3)
        self.assertNotEqual(refused.returncode, 0, "a refused transfer must fail")
        self.assertIn("refused the transfer", refused.stderr + refused.stdout)
        self.assertEqual(queued(self.a), MESSAGES, "a refused transfer keeps the mail queued, and returns none")

        started = time.time()
        moved = transfer(self.a, f"127.0.0.1:{self.b.port}", 120)
        took = time.time() - started
        self.assertEqual(moved.returncode, 0, moved.stderr)
        self.assertIn(f"{MESSAGES} of {MESSAGES} recipients handed to", moved.stdout)
        self.assertEqual(queued(self.a), 0, "node A's queue is empty")
        deadline = time.time() + 60
        while len(self.arrived()) < MESSAGES:
            self.assertLess(time.time(), deadline, f"{len(self.arrived())} of {MESSAGES} reached the sink")
            time.sleep(0.1)
        time.sleep(1)
        arrived = self.arrived()
        print(f"  {MESSAGES} messages transferred in {took:.1f} s")
        self.assertEqual(len(arrived), MESSAGES, "none twice")
        self.assertEqual(len(set(arrived)), MESSAGES, "every one once")
        for m in self.sink.messages():
            to = m["rcpts"][0].split("<", 1)[1].split(">", 1)[0]
            self.assertIn(f"body of {to}".encode(), m["data"], "the message arrives whole")
            self.assertIn(b"mx.a.test", m["data"], "the trace of node A is kept")


if __name__ == "__main__":
    unittest.main()

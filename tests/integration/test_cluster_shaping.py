"""Traffic shaping across a cluster: two nodes share one Redis and send to the same remote MX
(a real nameserver, dnsmasq, says far.test's MX is mx.far.test on 127.0.0.1, where a sink
answers scripted replies). A Gmail-style `421 4.7.28` that node A gets suspends the site on
node B too, within a couple of seconds: B lists the action, holds its own mail for the site
without connecting, and delivers it once the suspension ends."""

import os
import shutil
import signal
import smtplib
import time
import unittest

import harness
from harness import Server, wait_for
from test_cluster import start_redis
from test_shaping import ScriptedSink

SUSPEND_SECS = 8
RULES = f"""
[[rule]]
name = "gmail-rate-limited"
mx = ["far.test"]
code = 421
status = "4.7.28"
action = "suspend"
duration = "{SUSPEND_SECS}s"
"""


def node(name, redis_port, dns_port, sink_port):
    server = Server(shards=1, hostname=f"{name}.a.test", sections="\n".join([
        "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]',
        "[delivery]", f"port = {sink_port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
        "connect_timeout_secs = 2", 'shaping = "SHAPING"',
        "[cluster]", f'redis = "redis://127.0.0.1:{redis_port}/0"', f'node = "{name}"']))
    rules = os.path.join(server.dir, "shaping.toml")
    with open(rules, "w") as f:
        f.write(RULES)
    with open(server.config) as f:
        config = f.read()
    with open(server.config, "w") as f:
        f.write(config.replace('"SHAPING"', f'"{rules}"'))
    server.start()
    server.cli("domain", "add", f"{name}.a.test")
    return server


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class ClusterShapingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis, redis_port = start_redis()
        cls.dnsmasq, dns_port = harness.start_dnsmasq(
            ["--mx-host=far.test,mx.far.test,10", "--host-record=mx.far.test,127.0.0.1"])
        cls.sink = ScriptedSink()
        cls.a = node("node-a", redis_port, dns_port, cls.sink.port)
        cls.b = node("node-b", redis_port, dns_port, cls.sink.port)

    @classmethod
    def tearDownClass(cls):
        for server in (cls.a, cls.b):
            server.cleanup()
        cls.sink.close()
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()
        cls.redis.terminate()
        cls.redis.wait()

    def send(self, server, subject):
        message = f"From: x@{server.port}.test\r\nSubject: {subject}\r\n\r\n{subject}\r\n"
        with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
            c.sendmail("sender@elsewhere.test", ["bob@far.test"], message)

    def delivered(self, subject):
        return [m for m in self.sink.messages() if f"Subject: {subject}".encode() in m["data"]]

    def active(self, server):
        listing = server.cli("shaping", "list").stdout.decode()
        return [line for line in listing.splitlines() if line.startswith("active\t")]

    def test_a_suspension_one_node_meets_holds_on_the_other(self):
        self.assertEqual(self.active(self.b), [], "control: nothing in force on node b")
        self.sink.script = ["421 4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail"]
        self.send(self.a, "from a")
        wait_for("node a suspends the site", lambda: self.active(self.a))
        fired_at = time.time()
        held = wait_for("node b holds it too", lambda: self.active(self.b), timeout=5)
        self.assertLess(time.time() - fired_at, 3, "within a couple of seconds")
        self.assertIn("mx.far.test", held[0])
        self.assertIn("rule=gmail-rate-limited", held[0])
        self.assertIn("shaping rule gmail-rate-limited", self.b.cli("queue", "suspended").stdout.decode())
        seen = len(self.sink.mail_times)
        self.send(self.b, "from b")
        time.sleep(2)
        self.assertEqual(len(self.sink.mail_times), seen, "node b does not connect while the site is suspended")
        self.assertFalse(self.delivered("from b"))
        wait_for("both delivered after the suspension", lambda: self.delivered("from a") and self.delivered("from b"),
                 timeout=SUSPEND_SECS + 20)


if __name__ == "__main__":
    unittest.main()

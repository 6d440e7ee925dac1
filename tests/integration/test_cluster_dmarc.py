"""DMARC aggregate reports from a cluster: two nodes on one real Redis check mail from
reported.test (one node's from 127.0.0.2, the other's from 127.0.0.3), and the domain gets one
report per period from the cluster, counting what both saw, not one from each node."""

import gzip
import re
import shutil
import signal
import smtplib
import time
import unittest
from email import message_from_bytes, policy

import harness
from harness import Server
from sink import Sink
from test_cluster import start_redis

REPORT_SECS = 2


def node(name, redis_port, dns_port, sink_port):
    server = Server(shards=1, hostname=f"{name}.far.test", extra='relay_networks = ["127.0.0.1/32"]', sections="\n".join([
        "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]', "timeout_ms = 500",
        "[mailauth]", f"dmarc_report_interval_secs = {REPORT_SECS}",
        "[[route]]", 'domain = "sink.test"', f'host = "127.0.0.1:{sink_port}"',
        "[cluster]", f'redis = "redis://127.0.0.1:{redis_port}/0"', f'node = "{name}"', "lease_secs = 3",
    ]))
    server.start()
    server.cli("domain", "add", "far.test")
    server.add_user("bob@far.test")
    return server


@unittest.skipUnless(shutil.which("redis-server"), "redis-server is not installed")
class ClusterDmarcReports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.redis, cls.redis_port = start_redis()
        cls.dns, dns_port = harness.start_dnsmasq([f"--txt-record={name},{text}" for name, text in [
            ("reported.test", "v=spf1 ip4:127.0.0.0/24 -all"),
            ("_dmarc.reported.test", "v=DMARC1; p=none; rua=mailto:dmarc@sink.test"),
            ("reported.test._report._dmarc.sink.test", "v=DMARC1"),
        ]])
        cls.sink = Sink()
        cls.a = node("node-a", cls.redis_port, dns_port, cls.sink.port)
        cls.b = node("node-b", cls.redis_port, dns_port, cls.sink.port)

    @classmethod
    def tearDownClass(cls):
        cls.sink.close()
        for server in (cls.a, cls.b):
            server.cleanup()
        cls.dns.send_signal(signal.SIGTERM)
        cls.dns.wait()
        cls.redis.terminate()
        cls.redis.wait()

    def send(self, server, source, subject):
        message = (f"From: <news@reported.test>\r\nTo: <bob@far.test>\r\nSubject: {subject}\r\n"
                   f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nhello\r\n")
        with smtplib.SMTP("127.0.0.1", server.port, timeout=30, source_address=(source, 0)) as c:
            c.sendmail("list@reported.test", ["bob@far.test"], message)

    def reports(self):
        """(begin, XML) of every DMARC report about reported.test the sink has."""
        out = []
        for m in self.sink.messages():
            msg = message_from_bytes(m["data"], policy=policy.default)
            if not str(msg["Subject"]).startswith("Report Domain: reported.test "):
                continue
            part = next(p for p in msg.walk() if p.get_content_type() == "application/gzip")
            xml = gzip.decompress(part.get_payload(decode=True)).decode()
            out.append((re.search(r"<begin>(\d+)</begin>", xml)[1], xml))
        return out

    def test_one_report_per_period_counts_what_every_node_saw(self):
        # Send early in a period, so that all five fall in one.
        while time.time() % REPORT_SECS > 0.3:
            time.sleep(0.01)
        for i in range(3):
            self.send(self.a, "127.0.0.2", f"a{i}")
        for i in range(2):
            self.send(self.b, "127.0.0.3", f"b{i}")
        counted = lambda: sum(int(c) for _, x in self.reports() for c in re.findall(r"<count>(\d+)</count>", x))  # noqa: E731
        deadline = time.time() + 30
        while counted() < 5:
            self.assertLess(time.time(), deadline, f"the reports count {counted()} of 5 messages")
            time.sleep(0.2)
        time.sleep(3 * REPORT_SECS)
        reports = self.reports()
        begins = [b for b, _ in reports]
        print(f"  {len(reports)} report(s) for periods {begins}")
        self.assertEqual(counted(), 5, "every message counted once")
        self.assertEqual(len(begins), len(set(begins)), "one report per period from the cluster, not one per node")
        xml = "\n".join(x for _, x in reports)
        self.assertIn("<source_ip>127.0.0.2</source_ip>", xml, "node a's mail is reported")
        self.assertIn("<source_ip>127.0.0.3</source_ip>", xml, "node b's mail is reported")
        if len(reports) == 1:
            self.assertIn("<source_ip>127.0.0.3</source_ip>", reports[0][1], "one report holds both nodes' rows")


if __name__ == "__main__":
    unittest.main()

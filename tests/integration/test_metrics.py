"""Prometheus metrics as an operator reads them: a scraper fetches GET /metrics from the
token-free `metrics_listen` address with urllib while real mail flows (a local delivery, mail
relayed to a sink that takes one recipient and bounces another, a destination that is down,
a domain found through a real nameserver), and the counters move as they should against the
values read before. promtool, Prometheus's own linter, must accept the output."""

import imaplib
import re
import signal
import smtplib
import ssl
import subprocess
import time
import unittest
import urllib.error
import urllib.request

import harness
from harness import Server, free_port
from sink import Sink

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?')


def parse(text):
    """[(name, {label: value}, number)] of every sample line."""
    samples = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, number = m.groups()
        unescape = lambda v: re.sub(r'\\(.)', lambda e: "\n" if e.group(1) == "n" else e.group(1), v)  # noqa: E731
        samples.append((name, {k: unescape(v) for k, v in LABEL.findall(labels or "")}, float(number)))
    return samples


def total(samples, name, **labels):
    """The sum of the samples of `name` whose labels include `labels` (a callable tests a value)."""
    def matches(have):
        return all(callable(want) and want(have.get(k, "")) or have.get(k) == want for k, want in labels.items())
    return sum(v for n, have, v in samples if n == name and matches(have))


def fetch(port, path="/metrics", token=None):
    """(status, Content-Type, body) of a GET."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


class Metrics(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink(refuse=("gone@far.test",))
        # dns.test's MX is mx.dns.test (127.0.0.1), answered with a TTL so the shard caches it.
        cls.dnsmasq, dns_port = harness.start_dnsmasq([
            "--local-ttl=300", "--mx-host=dns.test,mx.dns.test,10", "--host-record=mx.dns.test,127.0.0.1"])
        cls.http_port, cls.metrics_port, cls.down_port = free_port(), free_port(), free_port()
        cls.server = Server(shards=2, hostname="mx.test", sections="\n".join([
            "[http]", f'listen = ["127.0.0.1:{cls.http_port}"]', f'metrics_listen = ["127.0.0.1:{cls.metrics_port}"]',
            "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]',
            "[delivery]", f"port = {cls.sink.port}", "connect_timeout_secs = 2",
            "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{cls.sink.port}"',
            "[[route]]", 'domain = "down.test"', f'host = "127.0.0.1:{cls.down_port}"',
        ]))
        cls.server.start()
        cls.server.cli("domain", "add", "example.test")
        cls.server.add_user("bob@example.test", "right-password")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.sink.close()
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()

    def scrape(self):
        status, kind, text = fetch(self.metrics_port)
        self.assertEqual(status, 200, text)
        self.assertTrue(kind.startswith("text/plain"), kind)
        return text

    def wait_for(self, what, check, timeout=30):
        deadline = time.time() + timeout
        while True:
            samples = parse(self.scrape())
            if check(samples):
                return samples
            if time.time() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.server.log()}")
            time.sleep(0.3)

    def send(self, recipients, subject):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("alice@app.test", recipients, f"From: alice@app.test\r\nSubject: {subject}\r\n\r\nbody\r\n")

    def test_counters_move_as_mail_flows(self):
        before = parse(self.scrape())
        moved = lambda now, name, **labels: total(now, name, **labels) - total(before, name, **labels)  # noqa: E731
        sink_site = lambda site: site.endswith(f":{self.sink.port}")  # noqa: E731
        self.send(["bob@example.test"], "local")
        self.send(["ok@far.test", "gone@far.test"], "relayed")
        self.send(["stuck@down.test"], "down")
        outcomes = "ringmail_delivery_outcomes_total"
        now = self.wait_for("the delivered, bounced and deferred outcomes", lambda now: (
            moved(now, outcomes, outcome="delivered", site=sink_site) >= 1
            and moved(now, outcomes, outcome="bounced", site=sink_site) >= 1
            and moved(now, outcomes, outcome="deferred", site=f"127.0.0.1:{self.down_port}") >= 1))
        self.assertEqual(moved(now, outcomes, outcome="bounced", classification="bad-mailbox"), 1, "550 5.1.1")
        self.assertEqual(moved(now, "ringmail_messages_received_total", protocol="smtp"), 3)
        self.assertEqual(moved(now, "ringmail_messages_received_total", protocol="submission"), 0, "control")
        self.assertGreaterEqual(moved(now, "ringmail_delivery_attempts_total"), 2)
        self.assertGreaterEqual(moved(now, "ringmail_delivery_transactions_total", tls="false"), 1, "the sink has no TLS")
        self.assertEqual(moved(now, "ringmail_delivery_transactions_total", tls="true"), 0)
        self.assertGreaterEqual(moved(now, "ringmail_connections_accepted_total", protocol="smtp"), 3)
        self.assertGreaterEqual(total(now, "ringmail_connections_open", protocol="http"), 1, "this scrape's own")
        self.assertEqual(moved(now, "ringmail_connections_refused_total"), 0)
        self.assertGreater(moved(now, "ringmail_journal_commit_duration_seconds_count"), 0)
        self.assertGreater(moved(now, "ringmail_journal_group_ops_count"), 0)
        self.assertGreaterEqual(moved(now, "ringmail_journal_commit_duration_seconds_bucket", le="+Inf"), 1)
        self.assertEqual(total(now, "ringmail_journal_write_failures_total"), 0)

        # The recipient for the host that is down waits in the queue, under its site.
        down = f"127.0.0.1:{self.down_port}"
        now = self.wait_for("the queued recipient under its site",
                            lambda now: total(now, "ringmail_queue_recipients", site=down) == 1)
        self.assertGreaterEqual(total(now, "ringmail_queue_oldest_age_seconds", site=down), 0)
        self.assertEqual(total(now, "ringmail_queue_scan_complete"), 1)
        self.assertEqual(total(now, "ringmail_queue_recipients", site=sink_site), 0, "delivered mail left the queue")

        # A domain found through DNS: the MX is asked once, then the shard's cache answers.
        self.send(["one@dns.test"], "dns one")
        self.wait_for("the first dns.test delivery", lambda now: moved(
            now, outcomes, outcome="delivered", site=lambda s: s.startswith("mx.dns.test:")) >= 1)
        self.send(["two@dns.test"], "dns two")
        now = self.wait_for("the second dns.test delivery", lambda now: moved(
            now, outcomes, outcome="delivered", site=lambda s: s.startswith("mx.dns.test:")) >= 2)
        self.assertGreaterEqual(moved(now, "ringmail_dns_queries_total", type="MX"), 1)
        self.assertGreaterEqual(moved(now, "ringmail_dns_queries_total", type="A"), 1)
        self.assertGreaterEqual(moved(now, "ringmail_dns_cache_hits_total", type="MX"), 1)
        self.assertEqual(total(now, "ringmail_dns_query_failures_total", type="MX"), 0)

    def test_login_failures_are_counted_by_protocol(self):
        failures = lambda samples: total(samples, "ringmail_login_failures_total", protocol="imap")  # noqa: E731
        before = parse(self.scrape())
        context = ssl.create_default_context(cafile=self.server.cert_path)
        context.check_hostname = False  # the certificate names mx.test; imaplib asks for 127.0.0.1
        with imaplib.IMAP4_SSL("127.0.0.1", self.server.imaps_port, ssl_context=context, timeout=30) as m:
            with self.assertRaises(imaplib.IMAP4.error):
                m.login("bob@example.test", "wrong-password")
        with imaplib.IMAP4_SSL("127.0.0.1", self.server.imaps_port, ssl_context=context, timeout=30) as m:
            m.login("bob@example.test", "right-password")
        now = parse(self.scrape())
        self.assertEqual(failures(now) - failures(before), 1, "one wrong password, one right")
        self.assertEqual(total(now, "ringmail_login_failures_total", protocol="imap", reason="invalid")
                         - total(before, "ringmail_login_failures_total", protocol="imap", reason="invalid"), 1)

    def test_the_process_is_described(self):
        samples = parse(self.scrape())
        self.assertEqual(total(samples, "ringmail_build_info"), 1)
        started = total(samples, "ringmail_start_time_seconds")
        self.assertTrue(time.time() - 3600 < started <= time.time(), started)

    def test_promtool_accepts_the_output(self):
        # Families with samples: delivery outcomes and the queue.
        self.send(["ok@far.test", "gone@far.test", "stuck@down.test"], "for promtool")
        self.wait_for("a bounce to lint", lambda now: total(
            now, "ringmail_delivery_outcomes_total", outcome="bounced") >= 1)
        checked = subprocess.run(["promtool", "check", "metrics"], input=self.scrape().encode(),
                                 capture_output=True, timeout=60)
        self.assertEqual(checked.returncode, 0, checked.stdout.decode() + checked.stderr.decode())

    def test_the_api_listener_wants_a_metrics_token(self):
        status, _, _ = fetch(self.http_port)
        self.assertEqual(status, 401)
        out = self.server.cli("api-token", "add", "prometheus", "--scope", "metrics").stdout.decode()
        status, kind, text = fetch(self.http_port, token=out.split()[0])
        self.assertEqual(status, 200, text)
        self.assertIn("# TYPE ringmail_messages_received_total counter", text)
        status, _, _ = fetch(self.metrics_port, "/api/v1/queue")
        self.assertEqual(status, 404, "the metrics address serves nothing else")


if __name__ == "__main__":
    unittest.main()

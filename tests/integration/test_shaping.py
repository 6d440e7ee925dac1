"""Traffic shaping against a remote MX that answers what the big providers answer: a real
nameserver (dnsmasq) says far.test's MX is mx.far.test and near.test's is mx.near.test (two
sites), both on 127.0.0.1, where a sink replies to MAIL with scripted codes. A Gmail-style `421 4.7.28` must suspend the site for the rule's time
(no connection in between), then delivery resumes; a bounce rule returns what is queued for
its site; a reply no rule matches is only retried."""

import os
import signal
import smtplib
import threading
import time
import unittest

import harness
from harness import Server, wait_for
from sink import Sink

SUSPEND_SECS = 4
RULES = f"""
# Replaces the shipped Gmail rule by name, for a test domain and a short time.
[[rule]]
name = "gmail-rate-limited"
mx = ["far.test"]
code = 421
status = "4.7.28"
action = "suspend"
duration = "{SUSPEND_SECS}s"

[[rule]]
name = "near-blocked"
mx = ["near.test"]
text = "(?i)blocked for spam"
action = "bounce"
duration = "1h"
"""


class ScriptedSink(Sink):
    """Answers MAIL with the replies in `script` (one per MAIL), then accepts; records when."""

    def __init__(self):
        super().__init__()
        self.script = []
        self.mail_times = []
        self.lock = threading.Lock()

    def on_mail(self, line):
        with self.lock:
            self.mail_times.append(time.time())
            return self.script.pop(0) if self.script else None


class ShapingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dnsmasq, dns_port = harness.start_dnsmasq(
            ["--mx-host=far.test,mx.far.test,10", "--host-record=mx.far.test,127.0.0.1",
             "--mx-host=near.test,mx.near.test,10", "--host-record=mx.near.test,127.0.0.1"])
        cls.sink = ScriptedSink()
        cls.server = Server(shards=2, hostname="mx.a.test", sections="\n".join([
            "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]',
            "[delivery]", f"port = {cls.sink.port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "connect_timeout_secs = 2", 'shaping = "shaping.toml"']))
        with open(os.path.join(cls.server.dir, "shaping.toml"), "w") as f:
            f.write(RULES)
        # The rules file lives in the server's own directory, known once it is made.
        with open(cls.server.config) as f:
            config = f.read()
        with open(cls.server.config, "w") as f:
            f.write(config.replace('shaping = "shaping.toml"', f'shaping = "{cls.server.dir}/shaping.toml"'))
        cls.server.start()
        cls.server.cli("domain", "add", "a.test")
        cls.server.add_user("alice@a.test")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.sink.close()
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()

    def send(self, subject, to="bob@far.test"):
        message = f"From: alice@a.test\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{subject} body\r\n"
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("alice@a.test", [to], message)

    def delivered(self, subject):
        return [m for m in self.sink.messages() if f"Subject: {subject}".encode() in m["data"]]


    def test_a_gmail_style_421_suspends_the_site_for_the_rules_time_then_delivery_resumes(self):
        self.sink.script = ["421 4.7.28 [192.0.2.1] Our system has detected an unusual rate of unsolicited mail"]
        started, seen = time.time(), len(self.sink.mail_times)
        self.send("first")
        fired = wait_for("the shaping event", lambda: [e for e in self.server.events("shaping")
                                                       if e["rule"] == "gmail-rate-limited"])
        self.assertEqual((fired[0]["action"], fired[0]["site"]), ("suspend", "mx.far.test:%d" % self.sink.port))
        self.assertIn("4.7.28", fired[0]["reply"])
        listing = self.server.cli("shaping", "list").stdout.decode()
        self.assertIn("active\tmx.far.test", listing, listing)
        self.assertIn("rule=gmail-rate-limited", listing)
        self.assertIn("rule\tyahoo-tss04\tmx=yahoodns.net", listing, "the shipped rules are listed too")
        suspended = self.server.cli("queue", "suspended").stdout.decode()
        self.assertIn("shaping rule gmail-rate-limited", suspended)
        self.send("second")
        # While suspended, nothing connects: the retries (every second) are held back.
        time.sleep(SUSPEND_SECS / 2)
        self.assertEqual(len(self.sink.mail_times), seen + 1, "no MAIL while the site is suspended")
        wait_for("both delivered after the suspension", lambda: self.delivered("first") and self.delivered("second"))
        self.assertGreaterEqual(self.sink.mail_times[seen + 1] - self.sink.mail_times[seen], SUSPEND_SECS - 1,
                                "the next attempt waited for the suspension to end")
        self.assertLess(time.time() - started, SUSPEND_SECS + 20)
        deferrals = [e for e in self.server.events("deferral") if "is suspended" in e["reply"]]
        self.assertTrue(deferrals, "mail held back by the suspension is deferred with its reason")

    def test_a_reply_no_rule_matches_is_only_retried(self):
        before = len(self.server.events("shaping"))
        self.sink.script = ["451 4.3.0 temporary trouble"]
        self.send("control")
        wait_for("the control delivered on retry", lambda: self.delivered("control"))
        self.assertEqual(len(self.server.events("shaping")), before, "no rule fired")

    def test_a_bounce_rule_returns_the_sites_mail_to_the_sender(self):
        self.sink.script = ["421 4.7.1 You are blocked for spam"]
        self.send("bounced", to="carol@near.test")
        wait_for("the bounce rule", lambda: [e for e in self.server.events("shaping") if e["rule"] == "near-blocked"])
        bounce = wait_for("the bounce event", lambda: [e for e in self.server.events("bounce")
                                                       if e["recipient"] == "carol@near.test"])
        self.assertIn("bounced by shaping rule near-blocked", bounce[0]["reply"])
        self.assertFalse(self.delivered("bounced"))
        report = wait_for("the report in alice's INBOX", lambda: [r for r in self.server.mail_list("alice@a.test")
                                                                 if "Undelivered" in r[2] or "failure" in r[2].lower()])
        self.assertTrue(report)


if __name__ == "__main__":
    unittest.main()

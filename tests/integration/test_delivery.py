"""Outbound delivery between two real ringmail servers: A relays for its local users; a real
nameserver (dnsmasq) says far.test's MX is B on 127.0.0.1; B is the remote MX. Messages must
arrive at B (over STARTTLS), permanent failures must come back to the sender as RFC 3464
reports, and temporary failures must be retried until they succeed."""

import contextlib
import email
import email.policy
import json
import os
import signal
import smtplib
import time
import unittest

import harness
from harness import Server


def start_dnsmasq():
    """far.test's MX is mx.far.test, which is 127.0.0.1."""
    return harness.start_dnsmasq(["--mx-host=far.test,mx.far.test,10", "--host-record=mx.far.test,127.0.0.1"])


def make_pair(dns_port, max_concurrent=100, delivery="", b_limits=None):
    """B (the MX of far.test, with bob) and A (relaying for alice@a.test, delivering to B)."""
    b = Server(shards=1, hostname="mx.far.test", limits=b_limits)
    a = Server(shards=2, hostname="mx.a.test", sections="\n".join([
        "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]',
        "[delivery]", f"port = {b.port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
        "connect_timeout_secs = 2", f"max_concurrent = {max_concurrent}", delivery]))
    return a, b


def setup_users(a, b):
    a.cli("domain", "add", "a.test")
    a.add_user("alice@a.test")
    b.cli("domain", "add", "far.test")
    b.add_user("bob@far.test")


@contextlib.contextmanager
def running_pair(**options):
    """A nameserver, B and A running with their users; everything is stopped afterwards."""
    dnsmasq, dns_port = start_dnsmasq()
    a, b = make_pair(dns_port, **options)
    try:
        b.start()
        a.start()
        setup_users(a, b)
        yield a, b
    finally:
        a.cleanup()
        b.cleanup()
        dnsmasq.send_signal(signal.SIGTERM)
        dnsmasq.wait()


def send(server, to, subject, sender="alice@a.test"):
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
        c.sendmail(sender, to, f"From: {sender}\r\nTo: {', '.join(to)}\r\nSubject: {subject}\r\n\r\n"
                               f"{subject} body\r\n.leading dot\r\n")


def queue_for_bob(server, prefix, count):
    """Sends `count` messages to bob@far.test, subjects "PREFIX 0", "PREFIX 1", ..."""
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
        for i in range(count):
            c.sendmail("alice@a.test", ["bob@far.test"], f"Subject: {prefix} {i}\r\n\r\nbody {i}\r\n")


def wait_for(what, check, timeout=30):
    deadline = time.time() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def find(server, address, subject):
    rows = [r for r in server.mail_list(address) if r[2] == subject]
    return server.mail_cat(address, rows[0][0]) if rows else None


def bounce_mentioning(server, text):
    """A bounce report in alice's INBOX that contains `text`."""
    for uid, _, subject in server.mail_list("alice@a.test"):
        if subject == "Undelivered Mail Returned to Sender":
            raw = server.mail_cat("alice@a.test", uid)
            if text.encode() in raw:
                return raw
    return None


class DeliveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dnsmasq, cls.dns_port = start_dnsmasq()
        cls.a, cls.b = make_pair(cls.dns_port)
        cls.b.start()
        cls.a.start()
        setup_users(cls.a, cls.b)

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()
        cls.b.cleanup()
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()

    def test_relayed_mail_arrives_at_the_mx_over_tls(self):
        send(self.a, ["bob@far.test"], "outbound one")
        raw = wait_for("delivery to B", lambda: find(self.b, "bob@far.test", "outbound one"))
        self.assertIn(b"outbound one body\r\n.leading dot\r\n", raw, "dot-stuffing undone, body intact")
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        received = msg.get_all("Received")
        self.assertIn("by mx.far.test (ringmail) with ESMTPS", received[0], "A used STARTTLS to B")
        self.assertIn("by mx.a.test (ringmail)", received[1])
        self.assertEqual(msg["Return-Path"], "<alice@a.test>")
        wait_for("A's queue to empty", lambda: self.a.cli("queue", "list").stdout == b"")

    def test_unknown_recipient_bounces_to_the_sender(self):
        send(self.a, ["nobody@far.test", "bob@far.test"], "half bounce")
        wait_for("bob's copy", lambda: find(self.b, "bob@far.test", "half bounce"))
        raw = wait_for("the bounce", lambda: bounce_mentioning(self.a, "nobody@far.test"))
        report = email.message_from_bytes(raw, policy=email.policy.default)
        self.assertEqual(report.get_content_type(), "multipart/report")
        self.assertEqual(report["Return-Path"], "<>")
        text = raw.decode()
        self.assertIn("Final-Recipient: rfc822; nobody@far.test", text)
        self.assertIn("Status: 5.1.1", text)
        self.assertIn("Remote-MTA: dns; mx.far.test", text)
        self.assertIn("Subject: half bounce", text, "the original headers come back")
        self.assertNotIn("bob@far.test\r\nAction", text, "the delivered recipient is not reported")
        wait_for("A's queue to empty", lambda: self.a.cli("queue", "list").stdout == b"")

        # The dead address is suppressed: the next message to it is refused at RCPT.
        suppressed = self.a.cli("suppression", "list").stdout.decode()
        self.assertIn("nobody@far.test\t", suppressed)
        self.assertIn("5.1.1", suppressed)
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.ehlo("client.test")
            c.mail("alice@a.test")
            code, text = c.rcpt("nobody@far.test")
            self.assertEqual(code, 550)
            self.assertIn(b"bounced before", text)
            self.assertEqual(c.rcpt("bob@far.test")[0], 250, "other recipients are unaffected")
        self.a.cli("suppression", "del", "nobody@far.test")
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.ehlo("client.test")
            c.mail("alice@a.test")
            self.assertEqual(c.rcpt("nobody@far.test")[0], 250, "lifted")

    def test_the_event_log_records_reception_delivery_and_bounce(self):
        def queued_id(rcpt):
            with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
                c.ehlo("client.test")
                c.mail("alice@a.test")
                c.rcpt(rcpt)
                code, text = c.data(b"Subject: events\r\n\r\nevents body\r\n")
                self.assertEqual(code, 250)
                return text.decode().rsplit(" ", 1)[1]

        def events():
            path = os.path.join(self.a.data_dir, "events.log")
            with open(path) as f:
                return [json.loads(line) for line in f]

        def event(kind, id):
            return next((e for e in events() if e["event"] == kind and e["id"] == id), None)

        good, bad = queued_id("bob@far.test"), queued_id("gone-away@far.test")
        reception = wait_for("the reception event", lambda: event("reception", good))
        self.assertEqual((reception["sender"], reception["recipients"], reception["peer"]),
                         ("alice@a.test", ["bob@far.test"], "127.0.0.1"))
        delivery = wait_for("the delivery event", lambda: event("delivery", good))
        self.assertEqual((delivery["recipient"], delivery["mx"], delivery["ip"], delivery["attempt"]),
                         ("bob@far.test", "mx.far.test", "127.0.0.1", 1))
        self.assertTrue(delivery["tls"].startswith("TLSv1.3"), delivery)
        self.assertTrue(delivery["reply"].startswith("250"), delivery)
        bounce = wait_for("the bounce event", lambda: event("bounce", bad))
        self.assertEqual((bounce["status"], bounce["classification"]), ("5.1.1", "bad-mailbox"))
        self.assertIsInstance(bounce["time"], int)

    def test_a_domain_that_does_not_exist_bounces_at_once(self):
        send(self.a, ["someone@gone.test"], "no such domain")
        raw = wait_for("the bounce", lambda: bounce_mentioning(self.a, "someone@gone.test"))
        self.assertIn(b"Status: 5.1.2", raw)
        self.assertIn(b"Host or domain name not found", raw)


class RetryTest(unittest.TestCase):
    def test_temporary_failures_are_retried_until_delivered(self):
        with running_pair() as (a, b):
            self.assertEqual(b.stop(), 0)  # the MX is down
            send(a, ["bob@far.test"], "retried")
            def deferred():
                queue = a.cli("queue", "list").stdout.decode()
                return queue if "attempts=0" not in queue and "attempts=" in queue else None

            queue = wait_for("a deferral", deferred)
            self.assertIn("<alice@a.test> -> <bob@far.test>", queue)
            self.assertIn("127.0.0.1", queue, "the last error names the address tried")
            b.start()  # the MX is back
            raw = wait_for("delivery after the retry", lambda: find(b, "bob@far.test", "retried"))
            self.assertIn(b"retried body", raw)
            wait_for("A's queue to empty", lambda: a.cli("queue", "list").stdout == b"")
            self.assertEqual(len([r for r in b.mail_list("bob@far.test") if r[2] == "retried"]), 1, "once")


class QueueAdminTest(unittest.TestCase):
    def test_summary_show_delete_bounce_and_retry(self):
        with running_pair() as (a, b):
            self.assertEqual(b.stop(), 0)
            a.stop()
            # Deferred for an hour: only an administrator's retry can bring these forward.
            with open(a.config) as f:
                config = f.read().replace("retry_schedule_secs = [1]", "retry_schedule_secs = [3600]")
            with open(a.config, "w") as f:
                f.write(config)
            a.start()
            for subject in ["keep", "drop", "return"]:
                send(a, ["bob@far.test"], subject)

            def listing():
                rows = [line.split() for line in a.cli("queue", "list").stdout.decode().splitlines()]
                return rows if len(rows) == 3 and all(r[2] == "attempts=1" for r in rows) else None

            rows = wait_for("three deferrals", listing)
            summary = a.cli("queue", "summary").stdout.decode().splitlines()
            self.assertEqual(summary[0].split("\t")[:3], ["domain", "recipients", "deferred"])
            self.assertEqual(summary[1].split("\t")[:3], ["far.test", "3", "3"])
            ids = {}
            for row in rows:
                shown = a.cli("queue", "show", row[0]).stdout.decode()
                subject = next(line for line in shown.splitlines() if line.startswith("Subject: "))[9:]
                ids[subject] = row[0]
                self.assertIn("<bob@far.test> due=", shown)
            self.assertIn("1 recipients deleted", a.cli("queue", "delete", ids["drop"]).stdout.decode())
            self.assertIn("returned to <alice@a.test>", a.cli("queue", "bounce", ids["return"]).stdout.decode())
            report = wait_for("the report", lambda: bounce_mentioning(a, "Subject: return"))
            self.assertIn(b"Status: 5.0.0", report)
            self.assertIsNone(bounce_mentioning(a, "Subject: drop"), "delete tells nobody")
            self.assertNotEqual(a.cli("queue", "retry", check=False).returncode, 0, "retry needs an id or a domain")
            b.start()
            self.assertIn("1 recipients due now", a.cli("queue", "retry", "--domain", "far.test").stdout.decode())
            wait_for("the retried message", lambda: find(b, "bob@far.test", "keep"))
            wait_for("an empty queue", lambda: a.cli("queue", "list").stdout == b"")
            self.assertEqual([s for _, _, s in b.mail_list("bob@far.test")], ["keep"])


class DestinationLimitTest(unittest.TestCase):
    def test_connections_per_destination_keep_within_the_mx_limit(self):
        # B takes one connection per client address; A must never open a second one to it.
        limits = {"max_connections_per_ip": 1}
        with running_pair(delivery="max_connections_per_destination = 1", b_limits=limits) as (a, b):
            self.assertEqual(b.stop(), 0)
            queue_for_bob(a, "limited", 20)
            b.start()
            wait_for("all 20", lambda: len(b.mail_list("bob@far.test")) == 20, timeout=60)
            self.assertNotIn("Too many connections", a.log(tail=None),
                             "B never had to refuse A: A kept to one connection at a time")

    def test_an_overloaded_destination_gets_fewer_connections(self):
        # B takes one connection per client address and answers 421 to more; A starts with 20.
        with running_pair(b_limits={"max_connections_per_ip": 1}) as (a, b):
            self.assertEqual(b.stop(), 0)
            queue_for_bob(a, "busy", 20)
            b.start()
            wait_for("all 20", lambda: len(b.mail_list("bob@far.test")) == 20, timeout=90)
            log = a.log(tail=None)
            self.assertIn("Too many connections", log, "B did push back")
            self.assertIn("destination overloaded: backing off", log)


class SiteTest(unittest.TestCase):
    """far.test and near.test share one mail exchanger (a site), or have mail exchangers of
    their own under shared.test. B takes one connection per client address and refuses more
    with 421; A allows one connection per destination."""

    def deliver_to_both(self, sites, mx=("mx.shared.test", "mx.shared.test"), extra=()):
        """Queues 10 messages for each domain while B is down, starts B, waits for all 20;
        returns A's log. `mx`: the mail exchangers of far.test and near.test."""
        dnsmasq, dns_port = harness.start_dnsmasq([
            f"--mx-host=far.test,{mx[0]},10", f"--mx-host=near.test,{mx[1]},10",
            *(f"--host-record={host},127.0.0.1" for host in set(mx))])
        b = Server(shards=1, hostname="mx.shared.test", limits={"max_connections_per_ip": 1})
        a = Server(shards=1, hostname="mx.a.test", sections="\n".join([
            "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]',
            "[delivery]", f"port = {b.port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "connect_timeout_secs = 2", "max_connections_per_destination = 1", f"sites = {sites}", *extra,
            # From 127.0.0.2: B's count for 127.0.0.1 includes the harness's probe as B starts.
            "[[pool]]", 'name = "out"', 'addresses = ["127.0.0.2"]', "[[route]]", 'domain = "*"', 'pool = "out"']))
        try:
            b.start()
            a.start()
            a.cli("domain", "add", "a.test")
            a.add_user("alice@a.test")
            for domain, user in (("far.test", "bob"), ("near.test", "carol")):
                b.cli("domain", "add", domain)
                b.add_user(f"{user}@{domain}")
            self.assertEqual(b.stop(), 0)
            with smtplib.SMTP("127.0.0.1", a.port, timeout=30) as c:
                for i in range(10):
                    for to in ("bob@far.test", "carol@near.test"):
                        c.sendmail("alice@a.test", [to], f"Subject: site {i}\r\n\r\nbody {i}\r\n")
            b.start()
            wait_for("all 20", lambda: len(b.mail_list("bob@far.test")) + len(b.mail_list("carol@near.test")) == 20,
                     timeout=90)
            return a.log(tail=None)
        finally:
            a.cleanup()
            b.cleanup()
            dnsmasq.send_signal(signal.SIGTERM)
            dnsmasq.wait()

    def test_domains_sharing_mail_exchangers_share_the_connection_limit(self):
        self.assertNotIn("Too many connections", self.deliver_to_both("true"),
                         "B never had to refuse A: one connection for the two domains together")

    def test_without_sites_each_domain_has_a_connection_of_its_own(self):
        # The control: the same run with sites off opens two connections, and B refuses one.
        self.assertIn("Too many connections", self.deliver_to_both("false"))

    def test_an_mx_entry_rolls_sites_under_one_domain_into_one(self):
        own = ("mx1.shared.test", "mx2.shared.test")
        rolled_up = ["[[delivery.destination]]", 'mx = "shared.test"', "max_connections = 1"]
        self.assertNotIn("Too many connections", self.deliver_to_both("true", own, rolled_up),
                         "one connection for the two sites under shared.test")

    def test_sites_with_mail_exchangers_of_their_own_are_separate(self):
        # The control for the roll-up: without the mx entry, two sites, two connections.
        self.assertIn("Too many connections", self.deliver_to_both("true", ("mx1.shared.test", "mx2.shared.test")))


class CrashTest(unittest.TestCase):
    def test_kill_9_while_delivering_loses_nothing_and_resends_at_most_what_was_in_flight(self):
        count = 200
        # 30 messages a minute at first, so that the kill surely comes while mail is queued.
        slow = 'max_rate_per_destination = "30/min"'
        with running_pair(max_concurrent=4, delivery=slow) as (a, b):
            queue_for_bob(a, "crash", count)
            wait_for("some deliveries", lambda: len(b.mail_list("bob@far.test")) >= 10, timeout=60)
            a.kill9()
            delivered_before = len(b.mail_list("bob@far.test"))
            self.assertLess(delivered_before, count, "the kill must come while mail is still queued")
            with open(a.config) as f:
                config = f.read().replace(slow, 'max_rate_per_destination = "0"')
            with open(a.config, "w") as f:
                f.write(config)
            a.start()
            wait_for("A's queue to empty", lambda: a.cli("queue", "list").stdout == b"", timeout=120)
            subjects = [s for _, _, s in b.mail_list("bob@far.test")]
            self.assertEqual(set(subjects), {f"crash {i}" for i in range(count)}, "nothing lost")
            duplicates = len(subjects) - count
            # Two shards, each with at most 4 deliveries in flight when the kill came.
            self.assertLessEqual(duplicates, 8, f"{duplicates} resent (delivered before the kill: {delivered_before})")


if __name__ == "__main__":
    unittest.main()

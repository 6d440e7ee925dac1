"""Delivery status notifications (RFC 3461/3464) end to end: NOTIFY, RET, ENVID and ORCPT from
the sender are honoured in the reports and passed on to servers that offer DSN; delay reports
come once; suppressed recipients bounce at once when so configured; 8-bit mail goes to a server
without 8BITMIME re-encoded as 7-bit (mail we sign is re-encoded before signing, so the
signature holds), or bounces when its headers are 8-bit. The remote side is
the in-test SMTP server of sink.py."""

import email
import email.policy
import smtplib
import unittest

from harness import Server, free_port
from sink import Sink
from test_delivery import wait_for
from test_mailauth import dkimpy_verify


def reports(server, subject_prefix=""):
    """[(subject, message)] of the reports in alice's INBOX."""
    out = []
    for uid, _, subject in server.mail_list("alice@a.test"):
        if subject.startswith(("Undelivered Mail", "Delayed Mail", "Successful Mail")) and \
                subject.startswith(subject_prefix):
            raw = server.mail_cat("alice@a.test", uid)
            out.append((subject, email.message_from_bytes(raw, policy=email.policy.default)))
    return out


def status_fields(report):
    """The message/delivery-status part as text."""
    for part in report.walk():
        if part.get_content_type() == "message/delivery-status":
            return part.as_string()
    raise AssertionError("no message/delivery-status part")


class DsnTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.plain = Sink(refuse={"gone@plain.test", "gone2@plain.test"})
        cls.dsn = Sink(extensions=("8BITMIME", "DSN"))
        cls.seven_bit = Sink(extensions=("SIZE 1000000",))
        closed = free_port()
        routes = []
        for domain, port in [("plain.test", cls.plain.port), ("dsn.test", cls.dsn.port),
                             ("old.test", cls.seven_bit.port), ("slow.test", closed)]:
            routes += ["[[route]]", f'domain = "{domain}"', f'host = "127.0.0.1:{port}"']
        cls.a = Server(shards=1, hostname="mx.a.test", sections="\n".join([
            "[delivery]", "retry_schedule_secs = [1]", "poll_interval_ms = 200", "connect_timeout_secs = 2",
            "delay_warning_secs = 2", 'suppressed = "bounce"', *routes]))
        out = cls.a.cli("dkim", "generate", "signed.test", "--selector", "s1", "--algorithm", "rsa").stdout.decode()
        cls.dkim_records = {"s1._domainkey.signed.test": "".join(out.split('"')[1::2])}
        cls.a.start()
        cls.a.cli("domain", "add", "a.test")
        cls.a.add_user("alice@a.test")
        cls.a.add_user("bob@a.test")

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()
        for sink in (cls.plain, cls.dsn, cls.seven_bit):
            sink.close()

    def send(self, subject, rcpts, mail_options=(), body="body\r\n"):
        """rcpts: [(address, [options])]."""
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.ehlo("client.test")
            code, _ = c.mail("alice@a.test", list(mail_options))
            self.assertEqual(code, 250)
            for address, options in rcpts:
                code, text = c.rcpt(address, list(options))
                self.assertEqual(code, 250, text)
            code, _ = c.data(f"From: alice@a.test\r\nSubject: {subject}\r\n\r\n{body}".encode())
            self.assertEqual(code, 250)

    def queue_empty(self):
        return self.a.cli("queue", "list").stdout == b""

    def test_notify_never_silences_the_failure_report_of_that_recipient_only(self):
        self.send("never", [("gone@plain.test", ["NOTIFY=NEVER"]), ("gone2@plain.test", [])])
        wait_for("the queue to empty", self.queue_empty)
        found = [r for s, r in reports(self.a, "Undelivered") if "never" in r.as_string()]
        self.assertEqual(len(found), 1)
        fields = status_fields(found[0])
        self.assertIn("Final-Recipient: rfc822; gone2@plain.test", fields)
        self.assertNotIn("gone@plain.test", fields)

    def test_ret_full_envid_and_orcpt_shape_the_failure_report(self):
        self.send("full return", [("gone@plain.test", ["NOTIFY=FAILURE", "ORCPT=rfc822;Gone+2Bx@plain.test"])],
                  mail_options=["RET=FULL", "ENVID=batch+2042"], body="the whole body comes back\r\n")
        report = wait_for("the report", lambda: [r for s, r in reports(self.a, "Undelivered")
                                                  if "full return" in r.as_string()])[0]
        fields = status_fields(report)
        self.assertIn("Original-Envelope-Id: batch+2042", fields)
        self.assertIn("Original-Recipient: rfc822; Gone+2Bx@plain.test", fields)
        self.assertIn("Action: failed", fields)
        self.assertIn("Status: 5.1.1", fields)
        returned = [p for p in report.walk() if p.get_content_type() == "message/rfc822"]
        self.assertEqual(len(returned), 1, "RET=FULL returns the message, not only its headers")
        self.assertIn("the whole body comes back", returned[0].as_string())

    def test_success_notify_to_a_server_without_dsn_gives_a_relayed_report(self):
        self.send("tell me", [("carol@plain.test", ["NOTIFY=SUCCESS"])])
        report = wait_for("the relayed report", lambda: [r for s, r in reports(self.a, "Successful")
                                                         if "tell me" in r.as_string()])[0]
        fields = status_fields(report)
        self.assertIn("Final-Recipient: rfc822; carol@plain.test", fields)
        self.assertIn("Action: relayed", fields)
        self.assertTrue(any(b"Subject: tell me" in m["data"] for m in self.plain.messages()))

    def test_success_notify_for_a_local_recipient_gives_a_delivered_report(self):
        self.send("local success", [("bob@a.test", ["NOTIFY=SUCCESS", "ORCPT=rfc822;Bob@a.test"])],
                  mail_options=["ENVID=local+201"])
        self.send("local quiet", [("bob@a.test", [])])
        # The report is committed before the 250, so it is there already.
        found = [r for s, r in reports(self.a, "Successful") if "local success" in r.as_string()]
        self.assertEqual(len(found), 1)
        fields = status_fields(found[0])
        self.assertIn("Original-Envelope-Id: local+201", fields)
        self.assertIn("Original-Recipient: rfc822; Bob@a.test\nFinal-Recipient: rfc822; bob@a.test\n"
                      "Action: delivered\nStatus: 2.0.0", fields)
        self.assertFalse([r for s, r in reports(self.a) if "local quiet" in r.as_string()])
        self.assertEqual(sorted(s for _, _, s in self.a.mail_list("bob@a.test")), ["local quiet", "local success"])

    def test_dsn_parameters_are_passed_on_to_a_server_that_offers_dsn(self):
        self.send("passed on", [("carol@dsn.test", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;carol@dsn.test"])],
                  mail_options=["RET=HDRS", "ENVID=id+20one"])
        wait_for("delivery", lambda: any(b"Subject: passed on" in m["data"] for m in self.dsn.messages()))
        message = [m for m in self.dsn.messages() if b"Subject: passed on" in m["data"]][0]
        self.assertEqual(message["mail"], "MAIL FROM:<alice@a.test> RET=HDRS ENVID=id+20one")
        self.assertEqual(message["rcpts"], ["RCPT TO:<carol@dsn.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;carol@dsn.test"])
        wait_for("the queue to empty", self.queue_empty)
        self.assertFalse([r for s, r in reports(self.a) if "passed on" in r.as_string()],
                         "the next server reports success itself")

    def test_a_delayed_recipient_gets_one_delay_report(self):
        self.send("slow going", [("dave@slow.test", [])])
        report = wait_for("the delay report", lambda: [r for s, r in reports(self.a, "Delayed")
                                                       if "slow going" in r.as_string()])[0]
        self.assertIn("Action: delayed", status_fields(report))
        wait_for("more attempts", lambda: "attempts=4" in self.a.cli("queue", "list").stdout.decode(), timeout=60)
        self.assertEqual(len([r for s, r in reports(self.a, "Delayed") if "slow going" in r.as_string()]), 1)
        self.a.cli("queue", "delete", "--domain", "slow.test")

    def test_a_suppressed_recipient_bounces_at_once(self):
        self.a.cli("suppression", "add", "dead@plain.test", "--reason", "550 5.1.1 it was gone last week")
        self.send("to the dead", [("dead@plain.test", [])])
        report = wait_for("the bounce", lambda: [r for s, r in reports(self.a, "Undelivered")
                                                 if "to the dead" in r.as_string()])[0]
        self.assertIn("suppressed", status_fields(report))
        self.assertFalse([m for m in self.plain.messages() if "dead@plain.test" in " ".join(m["rcpts"])],
                         "never sent")

    def test_8bit_mail_is_downgraded_for_a_server_without_8bitmime(self):
        self.send("downgrade me", [("erin@old.test", [])], mail_options=["BODY=8BITMIME"],
                  body="gr\u00fc\u00dfe = greetings\r\n")
        sent = wait_for("the downgraded message", lambda: [m for m in self.seven_bit.messages()
                                                           if b"Subject: downgrade me" in m["data"]])[0]
        self.assertRegex(sent["mail"], r"^MAIL FROM:<alice@a\.test> SIZE=\d+$", "no BODY=8BITMIME")
        self.assertTrue(sent["data"].isascii())
        self.assertIn(b"Content-Transfer-Encoding: quoted-printable\r\n", sent["data"])
        parsed = email.message_from_bytes(sent["data"], policy=email.policy.default)
        self.assertEqual(parsed.get_payload(decode=True), "gr\u00fc\u00dfe = greetings\r\n".encode())
        wait_for("the queue to empty", self.queue_empty)
        self.assertFalse([r for s, r in reports(self.a) if "downgrade me" in r.as_string()], "no bounce")

    def test_8bit_mail_we_sign_is_made_7bit_first_so_the_signature_survives(self):
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.ehlo("client.test")
            self.assertEqual(c.mail("alice@a.test", ["BODY=8BITMIME"])[0], 250)
            self.assertEqual(c.rcpt("erin@old.test")[0], 250)
            self.assertEqual(c.rcpt("alice@a.test")[0], 250)
            code, _ = c.data("From: ceo@signed.test\r\nSubject: signed eight bit\r\n\r\n"
                             "gr\u00fc\u00dfe\r\n".encode())
            self.assertEqual(code, 250)
        sent = wait_for("the signed message", lambda: [m for m in self.seven_bit.messages()
                                                       if b"Subject: signed eight bit" in m["data"]])[0]
        self.assertTrue(sent["data"].isascii())
        self.assertTrue(sent["data"].startswith(b"DKIM-Signature:"), sent["data"][:200])
        self.assertEqual(dkimpy_verify(sent["data"], self.dkim_records), [True], "dkimpy accepts the signature")
        parsed = email.message_from_bytes(sent["data"], policy=email.policy.default)
        self.assertEqual(parsed.get_payload(decode=True), "gr\u00fc\u00dfe\r\n".encode())
        local = wait_for("the local copy", lambda: [uid for uid, _, subject in self.a.mail_list("alice@a.test")
                                                    if subject == "signed eight bit"])
        copy = email.message_from_bytes(self.a.mail_cat("alice@a.test", local[0]), policy=email.policy.default)
        self.assertEqual(copy.get_payload(decode=True), "gr\u00fc\u00dfe\r\n".encode(), "the same text locally")

    def test_8bit_headers_bounce_for_a_server_without_8bitmime(self):
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.ehlo("client.test")
            self.assertEqual(c.mail("alice@a.test", ["BODY=8BITMIME"])[0], 250)
            self.assertEqual(c.rcpt("erin@old.test")[0], 250)
            code, _ = c.data("From: alice@a.test\r\nSubject: eight bit header \u00fc\r\n\r\nbody\r\n".encode())
            self.assertEqual(code, 250)
        report = wait_for("the bounce", lambda: [r for s, r in reports(self.a, "Undelivered")
                                                 if "eight bit header" in r.as_string()])[0]
        self.assertIn("Status: 5.6.3", status_fields(report))
        self.assertFalse([m for m in self.seven_bit.messages() if b"eight bit header" in m["data"]])


if __name__ == "__main__":
    unittest.main()

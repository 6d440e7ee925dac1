"""Sending with Python's smtplib and swaks, reading back with `ringmail mail list/cat`."""

import email
import email.policy
import shutil
import smtplib
import subprocess
import unittest
from email.message import EmailMessage

from harness import Server, unreachable_route


class SmtplibTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(sections=unreachable_route("far.example")).start()
        s = cls.server
        s.cli("domain", "add", "example.com")
        for user in ["alice@example.com", "bob@example.com", "carol@example.com"]:
            s.add_user(user)
        s.cli("alias", "add", "team@example.com", "alice@example.com", "bob@example.com", "ext@far.example")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def send(self, msg, to, sender="sender@outside.example"):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            return c.send_message(msg, from_addr=sender, to_addrs=to)

    def message(self, subject, body="Hello there.\n"):
        m = EmailMessage()
        m["From"] = "Sender <sender@outside.example>"
        m["To"] = "bob@example.com"
        m["Subject"] = subject
        m.set_content(body)
        return m

    def stored(self, address, subject):
        rows = [r for r in self.server.mail_list(address) if r[2] == subject]
        self.assertEqual(len(rows), 1, f"{subject!r} in {address}: {self.server.mail_list(address)}")
        raw = self.server.mail_cat(address, rows[0][0])
        self.assertEqual(len(raw), rows[0][1], "listed size is the stored size")
        return email.message_from_bytes(raw, policy=email.policy.default)

    def test_message_arrives_intact(self):
        body = "Line one\n.leading dot\n..two dots\n" + "x" * 5000 + "\n"
        self.assertEqual(self.send(self.message("intact", body), ["bob@example.com"]), {})
        got = self.stored("bob@example.com", "intact")
        self.assertEqual(got.get_content().replace("\r\n", "\n"), body, "stored with CRLF, content unchanged")
        self.assertEqual(got["Return-Path"], "<sender@outside.example>")
        self.assertIn("by mx.test (ringmail) with ESMTP", got["Received"])

    def test_alias_fans_out_and_queues_remote_target(self):
        self.send(self.message("fan-out"), ["team@example.com", "carol@example.com"])
        for user in ["alice@example.com", "bob@example.com", "carol@example.com"]:
            self.stored(user, "fan-out")
        queue = self.server.cli("queue", "list").stdout.decode()
        self.assertIn("<sender@outside.example> -> <ext@far.example>", queue)

    def test_refused_recipients_are_reported(self):
        with self.assertRaises(smtplib.SMTPRecipientsRefused) as ctx:
            self.send(self.message("nobody"), ["nobody@example.com"])
        code, text = ctx.exception.recipients["nobody@example.com"]
        self.assertEqual(code, 550)
        self.assertIn(b"5.1.1", text)
        # One good and one bad recipient: delivered to the good one, the bad one reported.
        refused = self.send(self.message("partial"), ["carol@example.com", "nobody@example.com"])
        self.assertEqual(refused["nobody@example.com"][0], 550)
        self.stored("carol@example.com", "partial")

    def test_8bit_and_smtputf8(self):
        m = self.message("utf8 ☃", "Grüße, 雪\n")
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.ehlo()
            self.assertTrue(c.has_extn("smtputf8"))
            c.send_message(m, from_addr="sender@outside.example", to_addrs=["bob@example.com"],
                           mail_options=["SMTPUTF8", "BODY=8BITMIME"])
        rows = [r for r in self.server.mail_list("bob@example.com") if "utf8" in r[2]]
        self.assertEqual(len(rows), 1)

    def test_many_messages_on_one_connection(self):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            for i in range(50):
                c.send_message(self.message(f"reuse {i}"), from_addr="s@outside.example", to_addrs=["carol@example.com"])
        subjects = {r[2] for r in self.server.mail_list("carol@example.com")}
        self.assertTrue({f"reuse {i}" for i in range(50)} <= subjects)

    def test_swaks(self):
        self.assertIsNotNone(shutil.which("swaks"), "swaks is missing: scripts/test installs it")
        r = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.server.port}", "--to", "alice@example.com",
                            "--from", "swaks@outside.example", "--header", "Subject: from swaks", "--body", "swaks body"],
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        got = self.stored("alice@example.com", "from swaks")
        self.assertIn("swaks body", got.get_content())

    def test_relay_denied_for_outside_networks(self):
        # A second server whose relay_networks exclude loopback behaves like port 25 facing the world.
        s = Server(extra='relay_networks = ["192.0.2.0/24"]').start()
        try:
            s.add_user("bob@mx.test")
            with smtplib.SMTP("127.0.0.1", s.port, timeout=30) as c:
                c.ehlo("outside.example")
                c.mail("spammer@outside.example")
                code, text = c.rcpt("victim@far.example")
                self.assertEqual((code, text), (550, b"5.7.1 <victim@far.example>: Relay access denied"))
                self.assertEqual(c.rcpt("bob@mx.test")[0], 250)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()

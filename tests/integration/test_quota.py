"""Storage quotas (RFC 9208's STORAGE resource): `ringmail user quota` sets an account's limit;
over it, SMTP refuses mail for the account at RCPT with `552 5.2.2` (also when the declared
SIZE would not fit), IMAP APPEND and COPY answer `NO [OVERQUOTA]`, and GETQUOTAROOT/GETQUOTA
report usage and limit in KiB. Expunging makes room again; an account without a quota takes
everything."""

import imaplib
import re
import smtplib
import ssl
import unittest

from harness import Server

PASSWORD = "quota-password-1"


def message(subject, size):
    return f"From: bob@outside.example\r\nSubject: {subject}\r\n\r\n" + "x" * size + "\r\n"


class QuotaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(shards=2).start()
        cls.server.cli("domain", "add", "example.com")
        for user in ("full@example.com", "free@example.com"):
            cls.server.add_user(user, PASSWORD)
        cls.ctx = ssl.create_default_context(cafile=cls.server.cert_path)
        cls.ctx.check_hostname = False  # the certificate names mx.test; the chain is verified

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def imap(self, user):
        m = imaplib.IMAP4_SSL("127.0.0.1", self.server.imaps_port, ssl_context=self.ctx)
        m.login(user, PASSWORD)
        return m

    def test_over_quota_mail_is_refused_and_expunging_makes_room(self):
        s = self.server
        self.assertIn("no quota", s.cli("user", "quota", "full@example.com").stdout.decode())
        out = s.cli("user", "quota", "full@example.com", "20K").stdout.decode()
        self.assertRegex(out, r"full@example.com: 0\.00 MiB of 0\.02 MiB \(0%\)")
        self.assertNotEqual(s.cli("user", "quota", "full@example.com", "lots", check=False).returncode, 0)
        with smtplib.SMTP("127.0.0.1", s.port, timeout=30) as c:
            c.sendmail("bob@outside.example", ["full@example.com"], message("fits", 12_000))
            # SIZE declares more than the room left: refused before DATA.
            code, reply = c.docmd("MAIL FROM:<bob@outside.example> SIZE=15000")
            self.assertEqual(code, 250)
            code, reply = c.docmd("RCPT TO:<full@example.com>")
            self.assertEqual((code, reply.decode()[:5]), (552, "5.2.2"), reply)
            code, _ = c.docmd("RCPT TO:<free@example.com>")
            self.assertEqual(code, 250, "an account without a quota takes it")
            c.rset()
            # Without SIZE, a message is taken while the account is under its quota, even one
            # that takes it over.
            self.assertEqual(c.mail("bob@outside.example")[0], 250)
            self.assertEqual(c.rcpt("full@example.com")[0], 250)
            self.assertEqual(c.data(message("fills", 9_000))[0], 250)
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as refused:
                c.sendmail("bob@outside.example", ["full@example.com"], message("over", 10))
            self.assertEqual(refused.exception.recipients["full@example.com"][0], 552)
        m = self.imap("full@example.com")
        self.assertIn(b"QUOTA=RES-STORAGE", m.capability()[1][0])
        typ, data = m.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], [b'INBOX ""'])
        used, limit = map(int, re.match(rb'"" \(STORAGE (\d+) (\d+)\)', data[1][0]).groups())
        self.assertEqual(limit, 20)
        self.assertGreaterEqual(used, 20, "two messages of 12 and 9 KB")
        typ, data = m.append("INBOX", None, None, message("appended", 100).encode())
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        m.select("INBOX")
        typ, data = m.copy("1", "Archive")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(m.uid("MOVE", "1", "Archive")[0], "OK", "a MOVE adds nothing")
        self.assertEqual(m._simple_command("SETQUOTA", '""', "(STORAGE 1000)")[0], "NO")
        m.store("1:*", "+FLAGS", r"(\Deleted)")
        m.expunge()
        typ, data = m.getquota('""')
        used = int(re.match(rb'"" \(STORAGE (\d+) 20\)', data[0]).group(1))
        self.assertLess(used, 20, "expunged mail no longer counts")
        m.logout()
        with smtplib.SMTP("127.0.0.1", s.port, timeout=30) as c:
            c.sendmail("bob@outside.example", ["full@example.com"], message("room again", 10))
        s.cli("user", "quota", "full@example.com", "none")
        self.assertIn("no quota", s.cli("user", "quota", "full@example.com").stdout.decode())


if __name__ == "__main__":
    unittest.main()

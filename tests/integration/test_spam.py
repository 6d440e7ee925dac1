"""The spam filter end to end: GTUBE refused at DATA, spam from the public corpus filed in Junk
(seen over IMAP) with X-Spam headers while ham reaches INBOX, a logged-in user's spam refused on
submission, users teaching the filter by moving mail in and out of Junk over IMAP, and the
`ringmail spam train|test|stats` commands. Clients bind to 127.0.0.2, outside relay_networks."""

import gzip
import imaplib
import os
import re
import smtplib
import ssl
import tempfile
import time
import unittest

from harness import Server

PASSWORD = "spam-password-1"
USER = "alice@example.com"
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"
CORPUS = os.path.join(os.path.dirname(__file__), "..", "data", "spam", "spamassassin-2002.mbox.gz")


def corpus():
    """(label, message bytes) of the packed SpamAssassin 2002 corpus (mboxrd)."""
    with gzip.open(CORPUS) as f:
        data = f.read()
    out = []
    for chunk in re.split(rb"^From (ham|spam)@spamassassin-2002\.invalid [^\n]*\n", data, flags=re.M)[1:]:
        out.append(chunk)
    pairs = [(out[i].decode(), re.sub(rb"^>(>*From )", rb"\1", out[i + 1], flags=re.M)) for i in range(0, len(out), 2)]
    return pairs


class SpamTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(shards=1, extra='relay_networks = ["127.0.0.1/32"]')
        cls.s.start()
        cls.s.cli("domain", "add", "example.com")
        cls.s.add_user(USER, PASSWORD)
        cls.ctx = ssl.create_default_context(cafile=cls.s.cert_path)
        cls.messages = corpus()

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def send(self, message, source="127.0.0.2"):
        with smtplib.SMTP("127.0.0.1", self.s.port, timeout=30, source_address=(source, 0)) as c:
            c.sendmail("sender@outside.example", [USER], message)

    def imap(self):
        m = imaplib.IMAP4("127.0.0.1", self.s.imap_port, timeout=30)
        m.host = "mx.test"
        m.starttls(ssl_context=self.ctx)
        m.login(USER, PASSWORD)
        return m

    def spam_test(self, *messages):
        """`ringmail spam test` on the messages: (score, verdict) each."""
        with tempfile.TemporaryDirectory() as d:
            paths = []
            for i, m in enumerate(messages):
                path = os.path.join(d, f"m{i}.eml")
                with open(path, "wb") as f:
                    f.write(m)
                paths.append(path)
            out = self.s.cli("spam", "test", *paths).stdout.decode()
        lines = [line.split("\t") for line in out.splitlines()]
        return [(float(fields[1]), fields[2]) for fields in lines]

    def test_gtube_is_refused_at_data(self):
        with self.assertRaises(smtplib.SMTPDataError) as e:
            self.send(f"From: sender@outside.example\r\nSubject: test\r\n\r\n{GTUBE}\r\n")
        self.assertEqual(e.exception.smtp_code, 550)
        self.assertIn(b"5.7.1 Message refused as spam", e.exception.smtp_error)

    def test_spam_goes_to_junk_and_ham_to_inbox_with_headers(self):
        spam = next(m for label, m in self.messages if label == "spam" and b"Subject: " in m and len(m) < 20000
                    and self.spam_test(m)[0][1] == "junk")
        ham = next(m for label, m in self.messages if label == "ham" and len(m) < 20000
                   and self.spam_test(m)[0][1] == "ham")
        self.send(spam)
        self.send(ham)
        m = self.imap()
        m.select("Junk", readonly=True)
        typ, data = m.fetch("*", "(BODY.PEEK[HEADER.FIELDS (X-SPAM-STATUS X-SPAM-SCORE X-SPAM-SYMBOLS)])")
        headers = data[0][1].decode()
        self.assertRegex(headers, r"X-Spam-Status: Yes, score=[\d.]+ required=6\.0")
        self.assertIn("BAYES_SPAM", headers)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("*", "(BODY.PEEK[HEADER.FIELDS (X-SPAM-STATUS)])")
        self.assertRegex(data[0][1].decode(), r"X-Spam-Status: No, score=-?[\d.]+ required=6\.0")
        m.logout()

    def test_logged_in_users_spam_is_refused_on_submission(self):
        with smtplib.SMTP("127.0.0.1", self.s.submission_port, timeout=30) as c:
            c._host = "mx.test"
            c.starttls(context=self.ctx)
            c.login(USER, PASSWORD)
            with self.assertRaises(smtplib.SMTPDataError) as e:
                c.sendmail(USER, ["someone@elsewhere.example"], f"From: {USER}\r\nSubject: x\r\n\r\n{GTUBE}\r\n")
            self.assertEqual(e.exception.smtp_code, 550)
            c.sendmail(USER, [USER], f"From: {USER}\r\nSubject: hello\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                                     "Message-ID: <ok@example.com>\r\n\r\nlunch at noon?\r\n")

    def learned(self):
        out = self.s.cli("spam", "stats").stdout.decode()
        spam, ham = re.search(r"learned here: (-?\d+) spam, (-?\d+) ham", out).groups()
        return int(spam), int(ham)

    def test_moving_mail_in_and_out_of_junk_over_imap_trains_the_filter(self):
        self.send("From: a@outside.example\r\nSubject: weekly digest\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                  "Message-ID: <digest@outside.example>\r\n\r\nyour weekly digest of cheap offers\r\n")
        before = self.learned()
        m = self.imap()
        m.select("INBOX")
        typ, data = m.uid("SEARCH", None, "SUBJECT", '"weekly digest"')
        uid = data[0].split()[-1].decode()
        typ, data = m.uid("MOVE", uid, "Junk")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.learned(), (before[0] + 1, before[1]), "moving into Junk teaches spam")
        m.select("Junk")
        typ, data = m.uid("SEARCH", None, "SUBJECT", '"weekly digest"')
        uid = data[0].split()[-1].decode()
        m.uid("MOVE", uid, "INBOX")
        self.assertEqual(self.learned(), (before[0] + 1, before[1] + 1), "moving out of Junk teaches ham")
        m.select("INBOX")
        typ, data = m.uid("SEARCH", None, "SUBJECT", '"weekly digest"')
        m.uid("COPY", data[0].split()[-1].decode(), "Archive")
        self.assertEqual(self.learned(), (before[0] + 1, before[1] + 1), "other moves teach nothing")
        m.logout()

    def test_train_and_test_commands(self):
        spam = [m for label, m in self.messages if label == "spam"][:30]
        ham = [m for label, m in self.messages if label == "ham"][:60]
        before = self.learned()
        with tempfile.TemporaryDirectory() as d:
            for name, messages in (("spam", spam), ("ham", ham)):
                os.makedirs(os.path.join(d, name))
                for i, m in enumerate(messages):
                    with open(os.path.join(d, name, f"{i}.eml"), "wb") as f:
                        f.write(m)
            mbox = os.path.join(d, "more.mbox")
            with open(mbox, "wb") as f:
                for m in spam[:5]:
                    f.write(b"From someone@example Mon Jan  1 00:00:00 2024\n" + m + b"\n")
            out = self.s.cli("spam", "train", "--spam", os.path.join(d, "spam"), mbox,
                             "--ham", os.path.join(d, "ham")).stdout.decode()
        self.assertIn("as spam", out)
        self.assertEqual(self.learned(), (before[0] + 35, before[1] + 60))
        results = self.spam_test(f"Subject: t\r\n\r\n{GTUBE}\r\n".encode(), ham[0])
        self.assertEqual(results[0][1], "reject")
        self.assertGreater(results[0][0], 15)
        self.assertEqual(results[1][1], "ham")


if __name__ == "__main__":
    unittest.main()

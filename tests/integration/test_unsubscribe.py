"""One-click unsubscribe (RFC 8058) and complaint reports (RFC 5965) for a bulk sender: mail
from news.a.test (a `[[bulk_sender]]`) leaves for far.test's MX, a sink on 127.0.0.1 behind a
real nameserver (dnsmasq), carrying `List-Unsubscribe:` and `List-Unsubscribe-Post:` that its
DKIM signature covers (checked by dkimpy). A one-click POST to the link, a mail to the mailto
address, or an ARF report about the message suppresses that recipient for news.a.test only;
a GET, a forged token and a report without a token suppress nobody."""

import json
import re
import signal
import smtplib
import unittest
import urllib.error
import urllib.request

import harness
from harness import Server, wait_for
from sink import Sink
from test_mailauth import dkimpy_verify

ARF = """From: <fbl@provider.test>\r
To: <fbl@mx.a.test>\r
Subject: Complaint\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=feedback-report; boundary="b1"\r
\r
--b1\r
Content-Type: text/plain\r
\r
A user of ours marked this message as spam.\r
--b1\r
Content-Type: message/feedback-report\r
\r
Feedback-Type: abuse\r
User-Agent: ProviderFBL/1.0\r
Version: 1\r
\r
--b1\r
Content-Type: text/rfc822-headers\r
\r
{headers}\r
--b1--\r
"""


class UnsubscribeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.http_port = harness.free_port()
        cls.server = Server(shards=2, hostname="mx.a.test", limits={"max_message_size": 100_000}, sections="\n".join([
            "[delivery]", f"port = {cls.sink.port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "[http]", f'listen = ["127.0.0.1:{cls.http_port}"]',
            "[[bulk_sender]]", 'domain = "news.a.test"',
            "[unsubscribe]", f'url = "http://127.0.0.1:{cls.http_port}"',
            "[feedback]", 'addresses = ["fbl@mx.a.test"]']))
        out = cls.server.cli("dkim", "generate", "news.a.test", "--selector", "s1", "--algorithm", "rsa")
        text = out.stdout.decode()
        cls.records = {"s1._domainkey.news.a.test": "".join(p for i, p in enumerate(text.split('"')) if i % 2 == 1)}
        cls.dnsmasq, dns_port = harness.start_dnsmasq(
            ["--mx-host=far.test,mx.far.test,10", "--host-record=mx.far.test,127.0.0.1"])
        with open(cls.server.config, "a") as f:
            f.write(f'[dns]\nnameservers = ["127.0.0.1:{dns_port}"]\n')
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.sink.close()
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()

    def send(self, to, subject, sender="bounces@news.a.test", author="news@news.a.test"):
        message = (f"From: {author}\r\nTo: {to}\r\nSubject: {subject}\r\n"
                   f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n{subject} body\r\n")
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail(sender, [to], message)

    def received(self, subject):
        found = [m["data"] for m in self.sink.messages() if f"Subject: {subject}\r\n".encode() in m["data"]]
        return found[0] if found else None

    def header(self, raw, name):
        head = raw.split(b"\r\n\r\n", 1)[0].decode()
        match = re.search(rf"^{name}:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head, re.M | re.I)
        return match and match[1].replace("\r\n", "").strip()

    def suppressed(self, address):
        listing = self.server.cli("suppression", "list").stdout.decode()
        return [line for line in listing.splitlines() if line.startswith(address + "\t")]

    def refused(self, to, sender="bounces@news.a.test"):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.ehlo()
            self.assertEqual(c.mail(sender)[0], 250)
            return c.rcpt(to)[0]


    def test_one_click_post_unsubscribes_and_the_signature_covers_both_fields(self):
        self.send("bob@far.test", "newsletter 1")
        raw = wait_for("the newsletter at the MX", lambda: self.received("newsletter 1"))
        self.assertEqual(self.header(raw, "List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
        links = self.header(raw, "List-Unsubscribe")
        url = re.search(r"<(http://[^>]+)>", links)[1]
        self.assertIn("<mailto:unsubscribe@mx.a.test?subject=unsubscribe%20", links)
        signed = self.header(raw, "DKIM-Signature").replace(" ", "")
        h = re.search(r"h=([^;]+)", signed)[1].lower().split(":")
        self.assertIn("list-unsubscribe", h)
        self.assertIn("list-unsubscribe-post", h)
        self.assertEqual(dkimpy_verify(raw, self.records), [True], "dkimpy verifies the signature")
        # A GET (a link scanner, a browser) shows the button and unsubscribes nobody.
        page = urllib.request.urlopen(url, timeout=10).read().decode()
        self.assertIn('name="List-Unsubscribe" value="One-Click"', page)
        self.assertEqual(self.suppressed("bob@far.test"), [], "not after a GET")
        forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(urllib.request.Request(forged, data=b"List-Unsubscribe=One-Click"), timeout=10)
        self.assertEqual(e.exception.code, 404, "a forged token")
        self.assertEqual(self.suppressed("bob@far.test"), [])
        answer = urllib.request.urlopen(urllib.request.Request(url, data=b"List-Unsubscribe=One-Click"), timeout=10)
        self.assertEqual(answer.status, 200)
        self.assertIn("for=news.a.test", self.suppressed("bob@far.test")[0])
        self.assertEqual(self.refused("bob@far.test"), 550, "news.a.test mail to bob is refused now")
        self.assertEqual(self.refused("bob@far.test", sender="alice@mx.a.test"), 250, "other senders' is not")
        event = wait_for("the event", lambda: [e for e in self.server.events("unsubscribe") if e["address"] == "bob@far.test"])
        self.assertEqual((event[0]["domain"], event[0]["via"]), ("news.a.test", "one-click"))

    def test_a_complaint_report_suppresses_the_recipient_it_names(self):
        self.send("carol@far.test", "newsletter 2")
        raw = wait_for("the newsletter at the MX", lambda: self.received("newsletter 2"))
        headers = raw.split(b"\r\n\r\n", 1)[0].decode()
        # Control: the same report with the token altered (in both links) suppresses nobody.
        token = re.search(r"/unsubscribe/([A-Za-z0-9_.-]+)", headers)[1]
        forged = headers.replace(token, token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("fbl@provider.test", ["fbl@mx.a.test"], ARF.format(headers=forged))
        self.assertEqual(self.suppressed("carol@far.test"), [], "a forged token")
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("fbl@provider.test", ["fbl@mx.a.test"], ARF.format(headers=headers))
        self.assertIn("complained", self.suppressed("carol@far.test")[0])
        self.assertEqual(self.refused("carol@far.test"), 550)
        complaint = [e for e in self.server.events("complaint") if e["address"] == "carol@far.test"]
        self.assertEqual((complaint[0]["feedback_type"], complaint[0]["reporter"]), ("abuse", "ProviderFBL/1.0"))
        self.assertEqual(self.server.mail_list("postmaster@mx.a.test"), [], "reports are not stored")

    def test_mail_to_the_mailto_address_unsubscribes(self):
        self.send("erin@far.test", "newsletter 3")
        raw = wait_for("the newsletter at the MX", lambda: self.received("newsletter 3"))
        token = re.search(r"subject=unsubscribe%20([A-Za-z0-9_.-]+)", self.header(raw, "List-Unsubscribe"))[1]
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("erin@far.test", ["unsubscribe@mx.a.test"], f"Subject: unsubscribe {token}\r\n\r\n\r\n")
        self.assertIn("(mail)", self.suppressed("erin@far.test")[0])

    def test_mail_to_several_recipients_gets_a_link_for_each(self):
        readers = ["gina@far.test", "hank@far.test", "ivy@far.test"]
        message = ("From: news@news.a.test\r\nTo: readers@news.a.test\r\nSubject: digest\r\n"
                   "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\ndigest body\r\n")
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("bounces@news.a.test", readers, message)
        copies = wait_for("a copy for each reader", lambda: len(
            [m for m in self.sink.messages() if b"Subject: digest\r\n" in m["data"]]) == 3 and
            [m for m in self.sink.messages() if b"Subject: digest\r\n" in m["data"]])
        urls = {}
        for copy in copies:
            self.assertEqual(len(copy["rcpts"]), 1, "one recipient per copy: its link is its own")
            reader = copy["rcpts"][0].split("<")[1].split(">")[0]
            self.assertEqual(dkimpy_verify(copy["data"], self.records), [True], f"{reader}'s copy verifies")
            links = self.header(copy["data"], "List-Unsubscribe")
            urls[reader] = re.search(r"<(http://[^>]+)>", links)[1]
        self.assertEqual(sorted(urls), readers)
        self.assertEqual(len(set(urls.values())), 3, "three different tokens")
        post = urllib.request.Request(urls["hank@far.test"], data=b"List-Unsubscribe=One-Click")
        self.assertEqual(urllib.request.urlopen(post, timeout=10).status, 200)
        self.assertIn("for=news.a.test", self.suppressed("hank@far.test")[0], "hank's link unsubscribes hank")
        self.assertEqual(self.suppressed("gina@far.test") + self.suppressed("ivy@far.test"), [], "and nobody else")

    def test_bulk_mail_too_large_to_copy_per_recipient_gets_no_link_at_all(self):
        readers = ["kim@far.test", "lee@far.test", "max@far.test"]
        body = "A long digest line.\r\n" * 3000  # 63 KB: two more copies would pass max_message_size
        message = f"From: news@news.a.test\r\nTo: readers@news.a.test\r\nSubject: big digest\r\n\r\n{body}"
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("bounces@news.a.test", readers, message)
        copies = wait_for("the digest at the MX", lambda: [m for m in self.sink.messages()
                                                           if b"Subject: big digest\r\n" in m["data"]])
        self.assertEqual(len(copies), 1, "one copy for all three")
        self.assertEqual(len(copies[0]["rcpts"]), 3)
        self.assertIsNone(self.header(copies[0]["data"], "List-Unsubscribe"), "no link naming one reader for all")

    def test_mail_of_other_senders_gets_no_unsubscribe_fields(self):
        self.send("dave@far.test", "personal", sender="alice@mx.a.test", author="alice@mx.a.test")
        raw = wait_for("the mail at the MX", lambda: self.received("personal"))
        self.assertIsNone(self.header(raw, "List-Unsubscribe"))

    def senders(self):
        """`ringmail senders`: domain -> (delivered, complaints, rate)."""
        found = {}
        for line in self.server.cli("senders").stdout.decode().splitlines():
            if line.startswith("#"):
                continue
            domain, delivered, complaints, rate = line.split("\t")[:4]
            found[domain] = (int(delivered.split("=")[1]), int(complaints.split("=")[1]), rate.split("=")[1])
        return found

    def test_the_complaint_rate_per_sending_domain_is_kept_and_shown(self):
        before = self.senders()
        news, alice = before.get("news.a.test", (0, 0, "-")), before.get("mx.a.test", (0, 0, "-"))
        for i in range(4):
            self.send(f"reader{i}@far.test", f"rate {i}")
        self.send("frank@far.test", "rate control", sender="alice@mx.a.test", author="alice@mx.a.test")
        raws = [wait_for(f"newsletter {i} at the MX", lambda i=i: self.received(f"rate {i}")) for i in range(4)]
        wait_for("the control at the MX", lambda: self.received("rate control"))
        headers = raws[0].split(b"\r\n\r\n", 1)[0].decode()
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("fbl@provider.test", ["fbl@mx.a.test"], ARF.format(headers=headers))
        wait_for("the complaint counted", lambda: self.senders().get("news.a.test", (0, 0))[1] == news[1] + 1)
        after = self.senders()
        delivered, complaints, rate = after["news.a.test"]
        self.assertEqual(delivered, news[0] + 4, "each newsletter recipient delivered counts once")
        self.assertEqual(rate, f"{100 * complaints / delivered:.2f}%")
        self.assertEqual(after["mx.a.test"][:2], (alice[0] + 1, alice[1]), "another sender domain counts apart")
        listing = self.server.cli("senders").stdout.decode()
        self.assertIn("over 0.3%", [l for l in listing.splitlines() if l.startswith("news.a.test")][0],
                      "a complaint in a few deliveries is over what Gmail allows")
        # The same over the HTTP API, and it survives a restart (RocksDB, not memory).
        token = self.server.cli("api-token", "add", "reader", "--scope", "read").stdout.decode().split()[0]
        self.server.stop()
        self.server.start()
        request = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/api/v1/senders?hours=24")
        request.add_header("Authorization", f"Bearer {token}")
        body = json.loads(urllib.request.urlopen(request, timeout=10).read())
        row = [r for r in body["senders"] if r["domain"] == "news.a.test"][0]
        self.assertEqual((row["delivered"], row["complaints"]), (delivered, complaints))
        self.assertAlmostEqual(row["complaint_rate"], complaints / delivered)
        bad = urllib.request.Request(f"http://127.0.0.1:{self.http_port}/api/v1/senders?hours=0")
        bad.add_header("Authorization", f"Bearer {token}")
        with self.assertRaises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(bad, timeout=10)
        self.assertEqual(e.exception.code, 400)


if __name__ == "__main__":
    unittest.main()

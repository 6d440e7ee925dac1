"""Email authentication end to end against a real nameserver (dnsmasq): SPF at MAIL FROM, DKIM
and DMARC at the end of DATA, the Authentication-Results header, the DMARC policy (reject,
quarantine into Junk), and DKIM signing of outbound mail that B and an independent verifier
(dkimpy, Debian's python3-dkim) accept. Mail from other servers comes from 127.0.0.2, which is
outside relay_networks, so it is checked; mail from 127.0.0.1 is our own and signed."""

import base64
import email
import gzip
import json
import email.policy
import os
import re
import signal
import smtplib
import subprocess
import tempfile
import time
import unittest

import harness
from harness import Dialogue, Server
from sink import Sink
from test_delivery import find, wait_for

SYSTEM_PYTHON = "/usr/bin/python3"  # where Debian's python3-dkim is installed
REPORT_SECS = 2  # DMARC aggregate report period of the checking server


def start_dnsmasq(txt_records, extra=()):
    """A nameserver with these TXT records (and any other dnsmasq `extra` arguments)."""
    return harness.start_dnsmasq([*extra, *(f"--txt-record={name},{text}" for name, text in txt_records)])


def rsa_key(directory):
    """A fresh 2048-bit RSA key: (PEM path, DKIM public key record)."""
    path = os.path.join(directory, "dkim.pem")
    subprocess.run(["openssl", "genrsa", "-out", path, "2048"], check=True, capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", path, "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return path, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


def dkimpy_sign(message, key_path, domain, selector):
    script = ("import sys, dkim; m = sys.stdin.buffer.read(); k = open(sys.argv[1], 'rb').read();"
              "sys.stdout.buffer.write(dkim.sign(m, sys.argv[3].encode(), sys.argv[2].encode(), k,"
              " include_headers=[b'from', b'to', b'subject', b'date']) + m)")
    return subprocess.run([SYSTEM_PYTHON, "-c", script, key_path, domain, selector], input=message,
                          check=True, capture_output=True).stdout


def dkimpy_verify(message, records):
    """dkimpy's verdict on every DKIM signature of `message`, with `records` as its DNS."""
    script = """
import sys, json, dkim
records = json.loads(sys.argv[1])
m = sys.stdin.buffer.read()
d = dkim.DKIM(m)
n = len([l for l in m.split(b"\\r\\n\\r\\n")[0].split(b"\\r\\n") if l.lower().startswith(b"dkim-signature:")])
dns = lambda name, timeout=5: records.get(name.decode().rstrip("."), "").encode()
def verdict(i):
    try:
        return d.verify(idx=i, dnsfunc=dns)
    except dkim.DKIMException:
        return False
print(json.dumps([verdict(i) for i in range(n)]))
"""
    out = subprocess.run([SYSTEM_PYTHON, "-c", script, json.dumps(records)], input=message, check=True,
                         capture_output=True).stdout
    return json.loads(out)


def auth_results(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    return " ".join(msg.get_all("Authentication-Results") or []).replace("\r\n", " ").replace("\n", " ")


class InboundChecksTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ringmail-dkim-")
        cls.key, record = rsa_key(cls.tmp)
        cls.dns, port = start_dnsmasq([
            ("spf-pass.test", "v=spf1 ip4:127.0.0.2 -all"),
            ("spf-fail.test", "v=spf1 ip4:192.0.2.1 -all"),
            ("_dmarc.spf-fail.test", "v=DMARC1; p=reject"),
            ("softfail.test", "v=spf1 ip4:192.0.2.1 ~all"),
            ("quarantine.test", "v=spf1 ?all"),
            ("_dmarc.quarantine.test", "v=DMARC1; p=quarantine"),
            ("_dmarc.reject.test", "v=DMARC1; p=reject"),
            ("_dmarc.signed.test", "v=DMARC1; p=reject; adkim=s"),
            ("sel._domainkey.signed.test", record),
            ("reported.test", "v=spf1 ip4:127.0.0.2 -all"),
            ("_dmarc.reported.test", "v=DMARC1; p=none; rua=mailto:dmarc@far.test"),
            ("reported.test._report._dmarc.far.test", "v=DMARC1"),
            ("_dmarc.unauthorized.test", "v=DMARC1; p=none; rua=mailto:dmarc@far.test"),
        ])
        cls.b = Server(shards=1, hostname="mx.far.test", extra='relay_networks = ["127.0.0.1/32"]',
                       sections=f'[dns]\nnameservers = ["127.0.0.1:{port}"]\ntimeout_ms = 500\n'
                                f'[mailauth]\ndmarc_report_interval_secs = {REPORT_SECS}')
        cls.b.start()
        cls.b.cli("domain", "add", "far.test")
        cls.b.add_user("bob@far.test")
        cls.b.add_user("dmarc@far.test")

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()
        cls.dns.send_signal(signal.SIGTERM)
        cls.dns.wait()

    def send(self, mail_from, header_from, subject, sign=False, extra=""):
        """Sends from 127.0.0.2 (another server); returns (code, text) of the end of DATA."""
        message = (f"{extra}From: <{header_from}>\r\nTo: <bob@far.test>\r\nSubject: {subject}\r\n"
                   f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nhello from {header_from}\r\n").encode()
        if sign:
            message = dkimpy_sign(message, self.key, "signed.test", "sel")
        with smtplib.SMTP("127.0.0.1", self.b.port, timeout=30, source_address=("127.0.0.2", 0)) as c:
            c.ehlo("mail.spf-pass.test")
            code, text = c.mail(mail_from)
            if code != 250:
                return code, text.decode()
            self.assertEqual(c.rcpt("bob@far.test")[0], 250)
            code, text = c.data(message)
            return code, text.decode()

    def test_spf_pass_is_recorded_in_authentication_results(self):
        code, _ = self.send("alice@spf-pass.test", "alice@spf-pass.test", "spf pass")
        self.assertEqual(code, 250)
        results = auth_results(find(self.b, "bob@far.test", "spf pass"))
        self.assertIn("mx.far.test;", results)
        self.assertIn("spf=pass", results)
        self.assertIn("smtp.mailfrom=alice@spf-pass.test", results)
        self.assertIn("dkim=none", results)
        self.assertIn("dmarc=none", results)

    def test_spf_fail_of_a_dmarc_reject_domain_is_refused_at_mail_from(self):
        code, text = self.send("mallory@spf-fail.test", "mallory@spf-fail.test", "forged")
        self.assertEqual(code, 550)
        self.assertIn("5.7.23", text)

    def test_authentication_results_forged_with_our_name_are_removed(self):
        forged = "Authentication-Results: MX.FAR.TEST;\r\n\tdkim=pass header.d=bank.test\r\n"
        other = "Authentication-Results: relay.example; spf=pass\r\n"
        code, _ = self.send("alice@spf-pass.test", "alice@spf-pass.test", "forged results", extra=forged + other)
        self.assertEqual(code, 250)
        raw = find(self.b, "bob@far.test", "forged results")
        self.assertNotIn(b"bank.test", raw)
        self.assertIn(b"Authentication-Results: relay.example; spf=pass", raw, "other servers' results stay")
        self.assertEqual(raw.count(b"Authentication-Results: mx.far.test"), 1, "only our own")

    def test_spf_softfail_is_only_recorded(self):
        code, _ = self.send("carol@softfail.test", "carol@softfail.test", "soft")
        self.assertEqual(code, 250)
        self.assertIn("spf=softfail", auth_results(find(self.b, "bob@far.test", "soft")))

    def test_dmarc_reject_without_an_aligned_pass_is_refused_after_data(self):
        code, text = self.send("alice@spf-pass.test", "ceo@reject.test", "phish")
        self.assertEqual(code, 550)
        self.assertIn("5.7.1", text)
        self.assertIn("DMARC policy of reject.test", text)
        self.assertIsNone(find(self.b, "bob@far.test", "phish"))

    def test_dmarc_quarantine_files_the_message_into_junk(self):
        code, _ = self.send("news@quarantine.test", "news@quarantine.test", "dubious")
        self.assertEqual(code, 250)
        self.assertIsNone(find(self.b, "bob@far.test", "dubious"), "not in INBOX")
        rows = [r for r in self.b.mail_list("bob@far.test", mailbox="Junk") if r[2] == "dubious"]
        self.assertEqual(len(rows), 1)
        raw = self.b.mail_cat("bob@far.test", rows[0][0], mailbox="Junk")
        self.assertIn("dmarc=fail", auth_results(raw))

    def test_an_aligned_dkim_signature_passes_dmarc_reject(self):
        code, _ = self.send("bounces@spf-pass.test", "ceo@signed.test", "signed", sign=True)
        self.assertEqual(code, 250)
        results = auth_results(find(self.b, "bob@far.test", "signed"))
        self.assertIn("dkim=pass", results)
        self.assertIn("header.d=signed.test", results)
        self.assertIn("header.s=sel", results)
        self.assertIn("dmarc=pass", results)

    def reports(self, domain):
        """The XML documents of the DMARC reports about `domain` in dmarc@far.test's INBOX."""
        out = []
        for uid, _, subject in self.b.mail_list("dmarc@far.test"):
            if subject.startswith(f"Report Domain: {domain} "):
                msg = email.message_from_bytes(self.b.mail_cat("dmarc@far.test", uid), policy=email.policy.default)
                part = next(p for p in msg.walk() if p.get_content_type() == "application/gzip")
                self.assertTrue(part.get_filename().startswith(f"mx.far.test!{domain}!"))
                out.append(gzip.decompress(part.get_payload(decode=True)).decode())
        return out

    def test_dmarc_aggregate_reports_go_to_authorized_rua_addresses(self):
        self.send("list@reported.test", "news@reported.test", "reported one")
        self.send("list@unauthorized.test", "news@unauthorized.test", "not reported")
        self.send("list@reported.test", "news@reported.test", "reported two")

        def counted():
            counts = [int(c) for x in self.reports("reported.test") for c in re.findall(r"<count>(\d+)</count>", x)]
            return sum(counts) == 2
        wait_for("reports covering both messages", counted, timeout=30)
        xml = "\n".join(self.reports("reported.test"))
        self.assertIn("<source_ip>127.0.0.2</source_ip>", xml)
        self.assertIn("<domain>reported.test</domain>", xml)
        self.assertIn("<p>none</p>", xml)
        self.assertIn("<disposition>none</disposition><dkim>fail</dkim><spf>pass</spf>", xml)
        self.assertIn("<header_from>reported.test</header_from>", xml)
        time.sleep(2 * REPORT_SECS)
        self.assertEqual(self.reports("unauthorized.test"), [], "far.test never agreed to take its reports")

    def test_a_signature_verifies_when_the_message_comes_in_bdat_chunks(self):
        message = dkimpy_sign(b"From: <ceo@signed.test>\r\nTo: <bob@far.test>\r\nSubject: chunked\r\n"
                              b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nfirst  line \r\n\r\nlast\r\n\r\n",
                              self.key, "signed.test", "sel")
        cut = [0, 40, message.index(b"\r\n\r\n") + 2, message.index(b"\r\n\r\n") + 9, len(message)]
        d = Dialogue(self.b.port, source=("127.0.0.2", 0))
        try:
            d.read_reply()
            d.cmd("EHLO mail.spf-pass.test")
            self.assertTrue(d.cmd("MAIL FROM:<bounces@spf-pass.test>").startswith("250"))
            self.assertTrue(d.cmd("RCPT TO:<bob@far.test>").startswith("250"))
            for i, (start, end) in enumerate(zip(cut, cut[1:])):
                last = " LAST" if i == len(cut) - 2 else ""
                d.send(f"BDAT {end - start}{last}\r\n".encode() + message[start:end])
                self.assertTrue(d.read_reply()[1][-1].startswith("250"))
        finally:
            d.close()
        results = auth_results(find(self.b, "bob@far.test", "chunked"))
        self.assertIn("dkim=pass", results)
        self.assertIn("dmarc=pass", results)

    def test_mail_from_relay_networks_is_not_checked(self):
        with smtplib.SMTP("127.0.0.1", self.b.port, timeout=30) as c:
            c.sendmail("ceo@reject.test", ["bob@far.test"], "From: ceo@reject.test\r\nSubject: internal\r\n\r\nx\r\n")
        self.assertNotIn("Authentication-Results", find(self.b, "bob@far.test", "internal").decode())


def dkimpy_arc_verify(message, records):
    """dkimpy's ARC chain validation (cv) of `message`, with `records` as its DNS."""
    script = """
import sys, json, dkim
records = json.loads(sys.argv[1])
dns = lambda name, timeout=5: records.get(name.decode().rstrip("."), "").encode()
cv, results, comment = dkim.arc_verify(sys.stdin.buffer.read(), dnsfunc=dns)
print(json.dumps([cv.decode(), comment]))
"""
    out = subprocess.run([SYSTEM_PYTHON, "-c", script, json.dumps(records)], input=message, check=True,
                         capture_output=True).stdout
    return json.loads(out)


class ArcTest(unittest.TestCase):
    def test_forwarded_mail_is_sealed_and_the_seal_validates(self):
        sink = Sink()
        dns, port = start_dnsmasq([("sender.test", "v=spf1 ip4:127.0.0.2 -all"),
                                   ("_dmarc.sender.test", "v=DMARC1; p=reject")])
        b = Server(shards=1, hostname="mx.far.test", extra='relay_networks = ["127.0.0.1/32"]',
                   sections="\n".join([f'[dns]\nnameservers = ["127.0.0.1:{port}"]\ntimeout_ms = 500',
                                       "[delivery]\nretry_schedule_secs = [1]\npoll_interval_ms = 200",
                                       "[[route]]", 'domain = "sink.test"', f'host = "127.0.0.1:{sink.port}"']))
        try:
            out = b.cli("dkim", "generate", "far.test", "--selector", "arc", "--algorithm", "rsa").stdout.decode()
            record = "".join(part for i, part in enumerate(out.split('"')) if i % 2 == 1)
            b.start()
            b.cli("domain", "add", "far.test")
            b.cli("alias", "add", "list@far.test", "carol@sink.test")
            with smtplib.SMTP("127.0.0.1", b.port, timeout=30, source_address=("127.0.0.2", 0)) as c:
                c.sendmail("alice@sender.test", ["list@far.test"],
                           "From: alice@sender.test\r\nTo: list@far.test\r\nSubject: via the list\r\n\r\nhi\r\n")
            wait_for("the forwarded copy", lambda: sink.messages())
            data = sink.messages()[0]["data"].replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")
            head = data.split(b"\r\n\r\n")[0].decode()
            self.assertIn("ARC-Seal: i=1;", head)
            self.assertIn("cv=none", head)
            self.assertIn("ARC-Authentication-Results: i=1; mx.far.test;", head)
            self.assertIn("spf=pass", head.split("ARC-Message-Signature")[0] + head)
            cv, comment = dkimpy_arc_verify(data, {"arc._domainkey.far.test": record})
            self.assertEqual(cv, "pass", comment)
        finally:
            b.cleanup()
            sink.close()
            dns.send_signal(signal.SIGTERM)
            dns.wait()


class SigningTest(unittest.TestCase):
    def test_outbound_mail_is_signed_and_both_verifiers_accept_it(self):
        b = Server(shards=1, hostname="mx.far.test", extra='relay_networks = ["127.0.0.1/32"]')
        a = Server(shards=1, hostname="mx.a.test")
        dns = None
        try:
            records = {}
            for selector, algorithm in [("s1", "ed25519"), ("s2", "rsa")]:
                out = a.cli("dkim", "generate", "a.test", "--selector", selector, "--algorithm", algorithm)
                text = out.stdout.decode()
                value = "".join(part for i, part in enumerate(text.split('"')) if i % 2 == 1)
                self.assertTrue(value.startswith("v=DKIM1;"), text)
                records[f"{selector}._domainkey.a.test"] = value
            dns, port = start_dnsmasq(list(records.items()) + [("a.test", "v=spf1 ip4:127.0.0.2 -all"),
                                                               ("_dmarc.a.test", "v=DMARC1; p=reject")],
                                      extra=["--mx-host=far.test,mx.far.test,10",
                                             "--host-record=mx.far.test,127.0.0.1"])
            for server in (a, b):
                with open(server.config, "a") as f:
                    f.write(f'[dns]\nnameservers = ["127.0.0.1:{port}"]\n')
            with open(a.config, "a") as f:
                # From 127.0.0.2, so that B treats A as another server and checks its mail.
                f.write(f"[delivery]\nport = {b.port}\nretry_schedule_secs = [1]\npoll_interval_ms = 200\n"
                        '[[pool]]\nname = "out"\naddresses = ["127.0.0.2"]\n[[route]]\ndomain = "*"\npool = "out"\n')
            b.start()
            a.start()
            a.cli("domain", "add", "a.test")
            a.add_user("alice@a.test")
            b.cli("domain", "add", "far.test")
            b.add_user("bob@far.test")
            with smtplib.SMTP("127.0.0.1", a.port, timeout=30) as c:
                c.sendmail("alice@a.test", ["bob@far.test"],
                           "From: Alice <alice@a.test>\r\nTo: bob@far.test\r\nSubject: signed by a\r\n"
                           "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nsigned body\r\n")
            raw = wait_for("delivery to B", lambda: find(b, "bob@far.test", "signed by a"))
            results = auth_results(raw)
            self.assertIn("dkim=pass", results)
            self.assertIn("header.s=s1", results)
            self.assertIn("header.s=s2", results)
            self.assertNotIn("dkim=fail", results)
            self.assertIn("spf=pass", results)
            self.assertIn("dmarc=pass", results)
            self.assertEqual(dkimpy_verify(raw, records), [True, True], "dkimpy accepts both signatures")
            tampered = raw.replace(b"signed body", b"signed b0dy")
            self.assertEqual(dkimpy_verify(tampered, records), [False, False])
        finally:
            a.cleanup()
            b.cleanup()
            if dns:
                dns.send_signal(signal.SIGTERM)
                dns.wait()


if __name__ == "__main__":
    unittest.main()

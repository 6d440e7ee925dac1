"""DANE (RFC 7672) on outbound delivery, against a real validating resolver: Debian's unbound,
trusting the keys of a zone signed with ldns-signzone and served by a second unbound
(dnssec.py), with `[dns] dnssec = true`. SMTP servers on 127.0.0.x play each destination's MX.
A certificate that matches the MX host's TLSA records (DANE-EE by its key, DANE-TA by the CA
in its chain) delivers over TLS; a certificate matching none, a stripped STARTTLS and a TLSA
answer whose signature is bogus each keep the mail queued with the reason, the MX never sent
the message. Records that did not validate (an unsigned zone) are ignored as RFC 7672 says,
and so is a validated domain without TLSA records; TLSA records that are all unusable still
require TLS. The sessions are reported (RFC 8460) to the MX host's `_smtp._tls` address."""

import email
import email.policy
import gzip
import hashlib
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import time
import unittest

import dnssec
from harness import Server, free_port
from sink import Sink
from test_delivery import wait_for
from test_mta_sts import make_ca


def der(pem_path, *, public_key=False):
    """The DER of a certificate, or of its SubjectPublicKeyInfo."""
    cert = subprocess.run(["openssl", "x509", "-in", pem_path, "-outform", "DER"], check=True,
                          capture_output=True).stdout
    if not public_key:
        return cert
    pem_key = subprocess.run(["openssl", "x509", "-in", pem_path, "-noout", "-pubkey"], check=True,
                             capture_output=True).stdout
    return subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem_key, check=True,
                          capture_output=True).stdout


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class DaneTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ringmail-dane-")
        ca_pem, issue = make_ca(cls.dir)
        cls.mx_port = port = free_port()
        # 127.0.0.2: a certificate for mx.ta.dane.test from the test CA, sent with the CA;
        # 127.0.0.3: another certificate from the same CA; 127.0.0.4: no STARTTLS.
        issue(["mx.ta.dane.test", "mx.ee.dane.test"])
        chained = os.path.join(cls.dir, "chained.pem")
        with open(chained, "w") as out:
            out.write(open(os.path.join(cls.dir, "mx.ta.dane.test.pem")).read() + open(ca_pem).read())
        good = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        good.load_cert_chain(chained, os.path.join(cls.dir, "mx.ta.dane.test.key"))
        cls.sinks = {
            "127.0.0.2": Sink(host="127.0.0.2", port=port, tls=good),
            "127.0.0.3": Sink(host="127.0.0.3", port=port, tls=issue(["mx.wrong.dane.test"])),
            "127.0.0.4": Sink(host="127.0.0.4", port=port),
        }
        good_key = sha256(der(os.path.join(cls.dir, "mx.ta.dane.test.pem"), public_key=True))
        wrong_key = sha256(der(os.path.join(cls.dir, "mx.wrong.dane.test.pem"), public_key=True))
        ca = sha256(der(ca_pem))

        def destination(name, ip, tlsa=None):
            records = [f"{name} 300 IN MX 10 mx.{name}", f"mx.{name} 300 IN A {ip}"]
            return records + ([f"_{port}._tcp.mx.{name} 300 IN TLSA {tlsa}"] if tlsa else [])

        signed = (destination("ee", "127.0.0.2", f"3 1 1 {good_key}")
                  + destination("ta", "127.0.0.2", f"2 0 1 {ca}")
                  # the certificate at .3 is not the one the records name
                  + destination("wrong", "127.0.0.3", f"3 1 1 {good_key}")
                  + destination("stripped", "127.0.0.4", f"3 1 1 {good_key}")
                  + destination("bogus", "127.0.0.2", f"3 1 1 {good_key}")
                  + destination("none", "127.0.0.4")
                  # PKIX-EE is unusable for SMTP: TLS is still required
                  + destination("pkix", "127.0.0.4", f"1 1 1 {good_key}")
                  + [f'_smtp._tls.mx.{name} 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@a.test"'
                     for name in ("ee", "wrong")])
        unsigned = [f"@ 300 IN MX 10 mx", "mx 300 IN A 127.0.0.3", f"_{port}._tcp.mx 300 IN TLSA 3 1 1 {good_key}"]
        cls.resolver = dnssec.start({
            "dane.test": dnssec.Zone(signed, corrupt=[f"_{port}._tcp.mx.bogus"]),
            "plain.test": dnssec.Zone(unsigned, signed=False),
        }, cls.dir)
        cls.a = Server(shards=2, hostname="mx.a.test", sections="\n".join([
            "[dns]", f'nameservers = ["127.0.0.1:{cls.resolver.port}"]', "dnssec = true",
            "[delivery]", f"port = {port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "connect_timeout_secs = 2", "mta_sts = false", "tls_report_interval_secs = 2"]))
        cls.a.start()
        cls.a.cli("domain", "add", "a.test")
        cls.a.add_user("alice@a.test")
        cls.a.add_user("tlsrpt@a.test")

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()
        cls.resolver.stop()
        for sink in cls.sinks.values():
            sink.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def send(self, domain, subject):
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.sendmail("alice@a.test", [f"user@{domain}"], f"From: alice@a.test\r\nSubject: {subject}\r\n\r\nhello\r\n")

    def received(self, subject):
        """The sink sessions, at any MX, that took a message with `subject`."""
        return [s for sink in self.sinks.values() for s in sink.sessions for m in s["messages"]
                if f"Subject: {subject}".encode() in m["data"]]

    def queued(self, domain):
        lines = self.a.cli("queue", "list").stdout.decode().splitlines()
        return [line for line in lines if f"<user@{domain}>" in line and "attempts=0" not in line]

    def events(self, domain, kind):
        with open(os.path.join(self.a.data_dir, "events.log")) as f:
            return [e for e in map(json.loads, f) if e.get("domain") == domain and e["event"] == kind]

    def assert_delivered(self, domain, subject, tls, policy):
        self.send(domain, subject)
        sessions = wait_for(f"delivery to {domain}", lambda: self.received(subject))
        self.assertEqual(sessions[0]["tls"], tls)
        event = wait_for("the delivery event", lambda: self.events(domain, "delivery"))
        self.assertEqual(event[0]["tls_policy"], policy)

    def assert_waits(self, domain, subject, reason):
        self.send(domain, subject)
        lines = wait_for(f"a deferral of {domain}", lambda: self.queued(domain))
        self.assertIn(reason, lines[0])
        time.sleep(1.5)  # a retry too
        self.assertEqual(self.received(subject), [], "the MX never got the message")
        self.assertTrue(self.queued(domain), "still queued")

    def test_dane_ee_delivers_over_tls_to_the_key_the_records_name(self):
        self.assert_delivered("ee.dane.test", "dane ee", True, "dane")
        event = self.events("ee.dane.test", "delivery")[0]
        self.assertEqual(event["tls_cert"], "mx.ta.dane.test mx.ee.dane.test", "the certificate's names")

    def test_dane_ta_delivers_through_a_chain_to_the_named_ca(self):
        self.assert_delivered("ta.dane.test", "dane ta", True, "dane")

    def test_a_certificate_matching_no_record_defers(self):
        self.assert_waits("wrong.dane.test", "dane wrong", "TLS handshake failed")
        self.assertEqual(self.events("wrong.dane.test", "deferral")[0]["tls_policy"], "dane")

    def test_a_stripped_starttls_defers(self):
        self.assert_waits("stripped.dane.test", "dane stripped", "TLS is required")

    def test_a_bogus_tlsa_answer_defers_without_contacting_the_mx(self):
        before = len(self.sinks["127.0.0.2"].sessions)
        self.assert_waits("bogus.dane.test", "dane bogus", "DANE: the TLSA lookup of mx.bogus.dane.test failed")
        self.assertEqual(len(self.sinks["127.0.0.2"].sessions), before, "no session was opened to the MX")

    def test_only_unusable_records_still_require_tls(self):
        self.assert_waits("pkix.dane.test", "dane pkix", "TLS is required")

    def test_records_that_did_not_validate_and_no_records_change_nothing(self):
        # plain.test is unsigned: its TLSA record would refuse the certificate at .3, but it is
        # not believed, and the mail goes out with opportunistic TLS as before.
        self.assert_delivered("plain.test", "dane insecure", True, "none")
        self.assert_delivered("none.dane.test", "dane no records", False, "none")

    def test_dns_lookup_shows_each_hosts_records(self):
        out = self.a.cli("dns", "lookup", "ee.dane.test").stdout.decode()
        self.assertIn("DANE: mx.ee.dane.test: TLSA 3 1 1 ", out)
        out = self.a.cli("dns", "lookup", "bogus.dane.test").stdout.decode()
        self.assertIn("DANE: mx.bogus.dane.test: the TLSA lookup failed", out)
        self.assertIn("DANE: not used (the MX records are not DNSSEC-validated)",
                      self.a.cli("dns", "lookup", "plain.test").stdout.decode())
        self.assertIn("DANE: mx.none.dane.test: no validated TLSA records",
                      self.a.cli("dns", "lookup", "none.dane.test").stdout.decode())

    def mailed_reports(self, domain):
        found = []
        for uid, _, subject in self.a.mail_list("tlsrpt@a.test"):
            if subject.startswith(f"Report Domain: {domain} Submitter: mx.a.test"):
                msg = email.message_from_bytes(self.a.mail_cat("tlsrpt@a.test", uid), policy=email.policy.default)
                part = next(p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip")
                found.append(json.loads(gzip.decompress(part.get_content())))
        return found

    def test_y_sessions_are_reported_to_the_mx_hosts_tls_reporting_address(self):
        self.send("ee.dane.test", "dane report ee")
        self.send("wrong.dane.test", "dane report wrong")
        ee = wait_for("a report about mx.ee.dane.test", lambda: [
            r for r in self.mailed_reports("mx.ee.dane.test")
            if r["policies"][0]["summary"]["total-successful-session-count"]])
        policy = ee[0]["policies"][0]["policy"]
        self.assertEqual((policy["policy-type"], policy["policy-domain"]), ("tlsa", "mx.ee.dane.test"))
        self.assertTrue(policy["policy-string"][0].startswith("3 1 1 "), policy)
        wrong = wait_for("a report about mx.wrong.dane.test", lambda: [
            r for r in self.mailed_reports("mx.wrong.dane.test")
            if r["policies"][0]["summary"]["total-failure-session-count"]])
        details = wrong[0]["policies"][0]["failure-details"]
        self.assertEqual({d["result-type"] for d in details}, {"tlsa-invalid"})
        self.assertEqual(details[0]["receiving-ip"], "127.0.0.3")


if __name__ == "__main__":
    unittest.main()

"""MTA-STS (RFC 8461) on outbound delivery, against a real nameserver (dnsmasq), a local HTTPS
policy server with certificates from a test CA, and SMTP servers on 127.0.0.x that play each
destination's MX. With an `enforce` policy, mail goes only to an MX the policy names, over TLS
with a certificate valid for it: the good path delivers; a certificate for another name, a
stripped STARTTLS and an MX the policy does not name each keep the mail queued with the
reason. A `testing` policy delivers as before. A policy once fetched is kept in the store: with
its TXT record gone, its server down and the MX moved to a host without TLS, even after a
restart, the mail still waits. The sessions' outcomes come back as TLS reports (RFC 8460) to
the addresses each domain's `_smtp._tls` record names: by mail and by HTTPS POST; the reports
others mail to our report address are read and listed by `ringmail tls-reports`."""

import email
import email.message
import email.policy
import gzip
import http.server
import json
import os
import shutil
import signal
import smtplib
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import Server, free_port
from sink import Sink
from test_delivery import wait_for

# Each destination's MX host, the loopback address it has, and the names its certificate holds
# (None: the MX offers no STARTTLS).
MX = {
    "good.test": ("mx.good.test", "127.0.0.2", ["mx.good.test", "mx.kept.test"]),
    "wrongname.test": ("mx.wrongname.test", "127.0.0.3", ["other.test"]),
    "stripped.test": ("mx.stripped.test", "127.0.0.4", None),
    "notlisted.test": ("evil.notlisted.test", "127.0.0.5", ["evil.notlisted.test"]),
    "testing.test": ("mx.testing.test", "127.0.0.4", None),
    "nopolicy.test": ("mx.nopolicy.test", "127.0.0.4", None),
    "kept.test": ("mx.kept.test", "127.0.0.2", None),
    "nofetch.test": ("mx.nofetch.test", "127.0.0.4", None),
    "testwrong.test": ("mx.testwrong.test", "127.0.0.3", ["other.test"]),
}
# Announces a policy that its server does not have (404).
ANNOUNCED_ONLY = ["nofetch.test"]
POLICIES = {
    "good.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.good.test\r\nmax_age: 86400\r\n",
    "wrongname.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.wrongname.test\r\nmax_age: 86400\r\n",
    "stripped.test": "version: STSv1\r\nmode: enforce\r\nmx: *.stripped.test\r\nmax_age: 86400\r\n",
    "notlisted.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.notlisted.test\r\nmax_age: 86400\r\n",
    "testing.test": "version: STSv1\r\nmode: testing\r\nmx: mx.testing.test\r\nmax_age: 86400\r\n",
    "kept.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.kept.test\r\nmax_age: 86400\r\n",
    "testwrong.test": "version: STSv1\r\nmode: testing\r\nmx: mx.testwrong.test\r\nmax_age: 86400\r\n",
}


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_ca(directory):
    """A CA and a function that issues it certificates; returns (ca.pem path, issue)."""
    ca_key, ca_pem = os.path.join(directory, "ca.key"), os.path.join(directory, "ca.pem")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_pem, "-days", "2",
            "-subj", "/CN=ringmail test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")

    def issue(names):
        stem = os.path.join(directory, names[0])
        openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", stem + ".key", "-out", stem + ".csr",
                "-subj", f"/CN={names[0]}")
        ext = stem + ".ext"
        with open(ext, "w") as f:
            f.write("subjectAltName=" + ",".join(f"{'IP' if n[0].isdigit() else 'DNS'}:{n}" for n in names) + "\n")
            f.write("extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        openssl("x509", "-req", "-in", stem + ".csr", "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
                "-out", stem + ".pem", "-days", "2", "-extfile", ext)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(stem + ".pem", stem + ".key")
        return context

    return ca_pem, issue


class PolicyServer:
    """HTTPS on 127.0.0.1 serving /.well-known/mta-sts.txt of the domain in the Host header,
    and taking TLS reports POSTed to /tlsrpt (kept in `posted`)."""

    def __init__(self, context, port=0):
        posted = self.posted = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                posted.append((self.path, self.headers.get("Content-Type"), body))
                self.send_response(200 if self.path == "/tlsrpt" else 404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):
                domain = self.headers.get("Host", "").split(":")[0].removeprefix("mta-sts.")
                policy = POLICIES.get(domain)
                if self.path != "/.well-known/mta-sts.txt" or policy is None:
                    self.send_error(404)
                    return
                body = policy.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def dns_records(report_port, with_policies=True):
    records = []
    for domain, (mx, ip, _) in MX.items():
        records += [f"--mx-host={domain},{mx},10", f"--host-record={mx},{ip}"]
        if with_policies and (domain in POLICIES or domain in ANNOUNCED_ONLY):
            records += [f"--txt-record=_mta-sts.{domain},v=STSv1; id=20261204T1",
                        f"--host-record=mta-sts.{domain},127.0.0.1"]
    for domain in ("good.test", "wrongname.test", "nofetch.test", "testwrong.test"):
        records.append(f"--txt-record=_smtp._tls.{domain},v=TLSRPTv1; rua=mailto:tlsrpt@a.test")
    records.append(f"--txt-record=_smtp._tls.stripped.test,v=TLSRPTv1; rua=https://127.0.0.1:{report_port}/tlsrpt")
    return records


def report_json(gzipped):
    return json.loads(gzip.decompress(gzipped))


class MtaStsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ringmail-mta-sts-")
        ca_pem, issue = make_ca(cls.dir)
        cls.policy_server = PolicyServer(issue([f"mta-sts.{d}" for d in [*POLICIES, *ANNOUNCED_ONLY]]))
        cls.report_server = PolicyServer(issue(["127.0.0.1"]))
        cls.mx_port = free_port()
        cls.sinks = {}
        for _, ip, names in MX.values():
            if ip not in cls.sinks:
                cls.sinks[ip] = Sink(host=ip, port=cls.mx_port, tls=issue(names) if names else None)
        cls.dns, cls.dns_port = harness.start_dnsmasq(dns_records(cls.report_server.port))
        cls.a = Server(shards=2, hostname="mx.a.test", sections="\n".join([
            "[dns]", f'nameservers = ["127.0.0.1:{cls.dns_port}"]',
            "[delivery]", f"port = {cls.mx_port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "connect_timeout_secs = 2", f"mta_sts_port = {cls.policy_server.port}", f'tls_ca_file = "{ca_pem}"',
            "mta_sts_timeout_secs = 5", "tls_report_interval_secs = 2",
            "[mailauth]", 'tls_report_addresses = ["tlsrpt@a.test"]']))
        cls.a.start()
        cls.a.cli("domain", "add", "a.test")
        cls.a.add_user("alice@a.test")
        cls.a.add_user("tlsrpt@a.test")

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()
        cls.dns.send_signal(signal.SIGTERM)
        cls.dns.wait()
        cls.policy_server.close()
        cls.report_server.close()
        for sink in cls.sinks.values():
            sink.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def send(self, domain, subject):
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.sendmail("alice@a.test", [f"user@{domain}"], f"From: alice@a.test\r\nSubject: {subject}\r\n\r\nhello\r\n")

    def received(self, domain, subject):
        """The sink sessions that took a message with `subject` (for `domain`'s MX)."""
        sink = self.sinks[MX[domain][1]]
        return [s for s in sink.sessions for m in s["messages"] if f"Subject: {subject}".encode() in m["data"]]

    def queued(self, domain):
        """A's queue lines for `domain`'s recipient that have been tried."""
        lines = self.a.cli("queue", "list").stdout.decode().splitlines()
        return [line for line in lines if f"<user@{domain}>" in line and "attempts=0" not in line]

    def events(self, domain):
        path = os.path.join(self.a.data_dir, "events.log")
        with open(path) as f:
            return [e for e in map(json.loads, f) if e.get("domain") == domain]

    def test_an_enforced_policy_delivers_over_verified_tls(self):
        self.send("good.test", "sts good")
        sessions = wait_for("delivery to good.test", lambda: self.received("good.test", "sts good"))
        self.assertTrue(sessions[0]["tls"], "delivered over STARTTLS")
        event = wait_for("the delivery event", lambda: [e for e in self.events("good.test") if e["event"] == "delivery"])
        self.assertEqual(event[0]["tls_policy"], "mta-sts")

    def test_received_tls_reports_are_read_and_listed(self):
        rfc_example = {  # RFC 8460 4.5, one failure detail more
            "organization-name": "Company-X",
            "date-range": {"start-datetime": "2016-04-01T00:00:00Z", "end-datetime": "2016-04-01T23:59:59Z"},
            "contact-info": "sts-reporting@company-x.example",
            "report-id": "5065427c-23d3-47ca-b6e0-946ea0e8c4be",
            "policies": [{
                "policy": {"policy-type": "sts", "policy-string": ["version: STSv1", "mode: testing"],
                           "policy-domain": "company-y.example", "mx-host": ["*.mail.company-y.example"]},
                "summary": {"total-successful-session-count": 5326, "total-failure-session-count": 303},
                "failure-details": [
                    {"result-type": "certificate-expired", "sending-mta-ip": "2001:db8:abcd:0012::1",
                     "receiving-mx-hostname": "mx1.mail.company-y.example", "failed-session-count": 100},
                    {"result-type": "starttls-not-supported", "sending-mta-ip": "2001:db8:abcd:0013::1",
                     "receiving-mx-hostname": "mx2.mail.company-y.example", "failed-session-count": 203}]}]}
        msg = email.message.EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = "noreply@company-x.example", "tlsrpt@a.test", "Report Domain: company-y.example"
        msg.set_content("This is an aggregate TLS report from company-x.example")
        msg.add_attachment(gzip.compress(json.dumps(rfc_example).encode()), maintype="application",
                           subtype="tlsrpt+gzip", filename="company-x.example!company-y.example!1459468800!1459555199.json.gz")
        msg.replace_header("Content-Type", msg["Content-Type"].replace("multipart/mixed", "multipart/report") + '; report-type="tlsrpt"')
        with smtplib.SMTP("127.0.0.1", self.a.port, timeout=30) as c:
            c.sendmail("noreply@company-x.example", ["tlsrpt@a.test"], msg.as_bytes())
            c.sendmail("someone@company-x.example", ["tlsrpt@a.test"], b"Subject: not a report\r\n\r\nhello\r\n")
        listed = wait_for("the report listed", lambda: [line for line in self.a.cli("tls-reports").stdout.decode().splitlines()
                                                        if "Company-X" in line])
        self.assertEqual(len(listed), 1, listed)
        self.assertIn("5065427c-23d3-47ca-b6e0-946ea0e8c4be 2016-04-01T00:00:00Z..2016-04-01T23:59:59Z company-y.example sts "
                      "successful=5326 failed=303 certificate-expired=100 starttls-not-supported=203", listed[0])
        self.assertNotIn("Company-X", self.a.cli("tls-reports", "--domain", "other.example").stdout.decode())
        subjects = [subject for _, _, subject in self.a.mail_list("tlsrpt@a.test")]
        self.assertIn("not a report", subjects, "mail to the report address is delivered as usual")

    def test_dns_lookup_shows_the_policy_and_where_reports_go(self):
        out = self.a.cli("dns", "lookup", "notlisted.test").stdout.decode()
        self.assertIn("MTA-STS: policy 20261204T1: mode enforce, max_age 86400, mx mx.notlisted.test", out)
        self.assertIn("MTA-STS: evil.notlisted.test NOT in the policy", out)
        self.assertIn("TLS reports: not asked for", out)
        out = self.a.cli("dns", "lookup", "good.test").stdout.decode()
        self.assertIn("MTA-STS: mx.good.test allowed", out)
        self.assertIn("TLS reports to: mailto:tlsrpt@a.test", out)
        self.assertIn("MTA-STS: no policy", self.a.cli("dns", "lookup", "nopolicy.test").stdout.decode())

    def assert_waits(self, domain, subject, reason):
        self.send(domain, subject)
        lines = wait_for(f"a deferral of {domain}", lambda: self.queued(domain))
        self.assertIn(reason, lines[0])
        self.assertIn("MTA-STS", lines[0])
        time.sleep(1.5)  # a retry too
        self.assertEqual(self.received(domain, subject), [], "nothing reached the MX")
        self.assertTrue(self.queued(domain), "still queued")

    def test_a_certificate_for_another_name_defers(self):
        self.assert_waits("wrongname.test", "sts wrong name", "certificate")

    def test_a_stripped_starttls_defers(self):
        self.assert_waits("stripped.test", "sts stripped", "TLS")

    def test_an_mx_the_policy_does_not_name_defers_without_being_contacted(self):
        self.assert_waits("notlisted.test", "sts not listed", "allows none of its MX hosts (evil.notlisted.test)")
        self.assertEqual(self.sinks["127.0.0.5"].sessions, [], "the MX was never contacted")
        events = [e for e in self.events("notlisted.test") if e["event"] == "deferral"]
        self.assertEqual(events[0]["tls_policy"], "mta-sts")

    def test_a_testing_policy_and_no_policy_deliver_as_before(self):
        self.send("testing.test", "sts testing")
        self.send("nopolicy.test", "sts none")
        for domain, subject, policy in (("testing.test", "sts testing", "mta-sts-testing"),
                                        ("nopolicy.test", "sts none", "none")):
            sessions = wait_for(f"delivery to {domain}", lambda: self.received(domain, subject))
            self.assertFalse(sessions[0]["tls"], "the MX offers no TLS: plain text, as before")
            events = wait_for("the event", lambda: [e for e in self.events(domain) if e["event"] == "delivery"])
            self.assertEqual(events[0]["tls_policy"], policy)

    def mailed_reports(self, domain):
        """The TLS reports about `domain` in tlsrpt@a.test's INBOX: (message, report JSON)."""
        found = []
        for uid, _, subject in self.a.mail_list("tlsrpt@a.test"):
            if subject.startswith(f"Report Domain: {domain} Submitter: mx.a.test"):
                msg = email.message_from_bytes(self.a.mail_cat("tlsrpt@a.test", uid), policy=email.policy.default)
                part = next(p for p in msg.walk() if p.get_content_type() == "application/tlsrpt+gzip")
                found.append((msg, report_json(part.get_content())))
        return found

    def test_y_tls_reports_count_each_domains_sessions(self):
        self.send("good.test", "sts report good")
        self.send("wrongname.test", "sts report wrong")
        self.send("stripped.test", "sts report stripped")

        def summed(reports, field):
            return sum(r["policies"][0]["summary"][field] for _, r in reports)

        good = wait_for("a report with good.test's successes",
                        lambda: (r := self.mailed_reports("good.test")) and summed(r, "total-successful-session-count") and r)
        msg, report = good[0]
        self.assertEqual(msg["TLS-Report-Domain"], "good.test")
        self.assertIn('report-type="tlsrpt"', msg["Content-Type"])
        policy = report["policies"][0]["policy"]
        self.assertEqual((policy["policy-type"], policy["policy-domain"], policy["mx-host"]),
                         ("sts", "good.test", ["mx.good.test"]))
        self.assertIn("mode: enforce", policy["policy-string"])
        self.assertEqual(summed(good, "total-failure-session-count"), 0)

        wrong = wait_for("a report with wrongname.test's failures",
                         lambda: (r := self.mailed_reports("wrongname.test")) and summed(r, "total-failure-session-count") and r)
        details = [d for _, r in wrong for d in r["policies"][0]["failure-details"]]
        self.assertEqual({d["result-type"] for d in details}, {"certificate-host-mismatch"})
        self.assertEqual(details[0]["receiving-mx-hostname"], "mx.wrongname.test")
        self.assertEqual(details[0]["receiving-ip"], "127.0.0.3")

        posted = wait_for("a POSTed report for stripped.test", lambda: self.report_server.posted)
        path, content_type, body = posted[0]
        self.assertEqual((path, content_type), ("/tlsrpt", "application/tlsrpt+gzip"))
        report = report_json(body)
        self.assertEqual(report["policies"][0]["policy"]["policy-domain"], "stripped.test")
        self.assertEqual(report["policies"][0]["failure-details"][0]["result-type"], "starttls-not-supported")
        self.assertEqual(self.mailed_reports("stripped.test"), [], "its record asks for HTTPS only")

        # testing: the certificate is for another name; delivered over TLS all the same, and reported.
        self.send("testwrong.test", "sts report testing")
        sessions = wait_for("delivery to testwrong.test", lambda: self.received("testwrong.test", "sts report testing"))
        self.assertTrue(sessions[0]["tls"])
        testing = wait_for("a report of the testing policy's failure",
                           lambda: (r := self.mailed_reports("testwrong.test")) and summed(r, "total-failure-session-count") and r)
        details = [d for _, r in testing for d in r["policies"][0]["failure-details"]]
        self.assertEqual({d["result-type"] for d in details}, {"certificate-host-mismatch"})
        self.assertIn("mode: testing", testing[0][1]["policies"][0]["policy"]["policy-string"])

        self.send("nofetch.test", "sts report no fetch")
        sessions = wait_for("delivery to nofetch.test", lambda: self.received("nofetch.test", "sts report no fetch"))
        self.assertFalse(sessions[0]["tls"], "no policy could be had: delivered as before")
        nofetch = wait_for("a report of the failed fetch", lambda: self.mailed_reports("nofetch.test"))
        reported = nofetch[0][1]["policies"][0]
        self.assertEqual(reported["policy"]["policy-type"], "no-policy-found")
        self.assertEqual({d["result-type"] for d in reported["failure-details"]}, {"sts-policy-fetch-error"},
                         "the fetch failed; the session without a policy is not reported")
        self.assertEqual(self.mailed_reports("nopolicy.test"), [], "no policy, no report")

    def test_z_a_kept_policy_survives_a_blocked_fetch_a_missing_record_and_a_restart(self):
        self.send("kept.test", "sts kept 1")
        # The policy's MX is the good sink (its certificate names mx.kept.test).
        wait_for("the first delivery", lambda: self.received("kept.test", "sts kept 1"))
        # The attacker: no TXT record, no policy server, mx.kept.test now a host without TLS.
        self.dns.send_signal(signal.SIGTERM)
        self.dns.wait()
        MX["kept.test"] = ("mx.kept.test", "127.0.0.4", None)
        self.dns, _ = harness.start_dnsmasq(dns_records(self.report_server.port, with_policies=False),
                                            port=self.dns_port)
        self.policy_server.close()
        self.a.stop()
        self.a.start()
        self.send("kept.test", "sts kept 2")
        lines = wait_for("a deferral of kept.test", lambda: self.queued("kept.test"))
        self.assertIn("kept from an earlier fetch", lines[0])
        self.assertEqual(self.received("kept.test", "sts kept 2"), [], "the host without TLS got nothing")


if __name__ == "__main__":
    unittest.main()

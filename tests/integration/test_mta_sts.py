"""MTA-STS (RFC 8461) on outbound delivery, against a real nameserver (dnsmasq), a local HTTPS
policy server with certificates from a test CA, and SMTP servers on 127.0.0.x that play each
destination's MX. With an `enforce` policy, mail goes only to an MX the policy names, over TLS
with a certificate valid for it: the good path delivers; a certificate for another name, a
stripped STARTTLS and an MX the policy does not name each keep the mail queued with the
reason. A `testing` policy delivers as before. A policy once fetched is kept in the store: with
its TXT record gone, its server down and the MX moved to a host without TLS, even after a
restart, the mail still waits."""

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
}
POLICIES = {
    "good.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.good.test\r\nmax_age: 86400\r\n",
    "wrongname.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.wrongname.test\r\nmax_age: 86400\r\n",
    "stripped.test": "version: STSv1\r\nmode: enforce\r\nmx: *.stripped.test\r\nmax_age: 86400\r\n",
    "notlisted.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.notlisted.test\r\nmax_age: 86400\r\n",
    "testing.test": "version: STSv1\r\nmode: testing\r\nmx: mx.testing.test\r\nmax_age: 86400\r\n",
    "kept.test": "version: STSv1\r\nmode: enforce\r\nmx: mx.kept.test\r\nmax_age: 86400\r\n",
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
            f.write("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) + "\n")
            f.write("extendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
        openssl("x509", "-req", "-in", stem + ".csr", "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
                "-out", stem + ".pem", "-days", "2", "-extfile", ext)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(stem + ".pem", stem + ".key")
        return context

    return ca_pem, issue


class PolicyServer:
    """HTTPS on 127.0.0.1 serving /.well-known/mta-sts.txt of the domain in the Host header."""

    def __init__(self, context, port=0):
        class Handler(http.server.BaseHTTPRequestHandler):
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


def dns_records(with_policies=True):
    records = []
    for domain, (mx, ip, _) in MX.items():
        records += [f"--mx-host={domain},{mx},10", f"--host-record={mx},{ip}"]
        if with_policies and domain in POLICIES:
            records += [f"--txt-record=_mta-sts.{domain},v=STSv1; id=20261204T1",
                        f"--host-record=mta-sts.{domain},127.0.0.1"]
    return records


class MtaStsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ringmail-mta-sts-")
        ca_pem, issue = make_ca(cls.dir)
        cls.policy_server = PolicyServer(issue([f"mta-sts.{d}" for d in POLICIES]))
        cls.mx_port = free_port()
        cls.sinks = {}
        for _, ip, names in MX.values():
            if ip not in cls.sinks:
                cls.sinks[ip] = Sink(host=ip, port=cls.mx_port, tls=issue(names) if names else None)
        cls.dns, cls.dns_port = harness.start_dnsmasq(dns_records())
        cls.a = Server(shards=2, hostname="mx.a.test", sections="\n".join([
            "[dns]", f'nameservers = ["127.0.0.1:{cls.dns_port}"]',
            "[delivery]", f"port = {cls.mx_port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "connect_timeout_secs = 2", f"mta_sts_port = {cls.policy_server.port}", f'tls_ca_file = "{ca_pem}"',
            "mta_sts_timeout_secs = 5"]))
        cls.a.start()
        cls.a.cli("domain", "add", "a.test")
        cls.a.add_user("alice@a.test")

    @classmethod
    def tearDownClass(cls):
        cls.a.cleanup()
        cls.dns.send_signal(signal.SIGTERM)
        cls.dns.wait()
        cls.policy_server.close()
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

    def test_z_a_kept_policy_survives_a_blocked_fetch_a_missing_record_and_a_restart(self):
        self.send("kept.test", "sts kept 1")
        # The policy's MX is the good sink (its certificate names mx.kept.test).
        wait_for("the first delivery", lambda: self.received("kept.test", "sts kept 1"))
        # The attacker: no TXT record, no policy server, mx.kept.test now a host without TLS.
        self.dns.send_signal(signal.SIGTERM)
        self.dns.wait()
        MX["kept.test"] = ("mx.kept.test", "127.0.0.4", None)
        self.dns, _ = harness.start_dnsmasq(dns_records(with_policies=False), port=self.dns_port)
        self.policy_server.close()
        self.a.stop()
        self.a.start()
        self.send("kept.test", "sts kept 2")
        lines = wait_for("a deferral of kept.test", lambda: self.queued("kept.test"))
        self.assertIn("kept from an earlier fetch", lines[0])
        self.assertEqual(self.received("kept.test", "sts kept 2"), [], "the host without TLS got nothing")


if __name__ == "__main__":
    unittest.main()

"""Routes and pools: a relay host (smarthost) with AUTH over required TLS, the TLS policy of a
route (certificates verified against a private CA with `verify`), and source-address pools with their own EHLO name, against a second real ringmail and an
in-test SMTP server that offers no STARTTLS."""

import email
import email.policy
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Server
from sink import Sink
from test_delivery import find, wait_for

FAST = "\n".join(["[delivery]", "retry_schedule_secs = [1]", "poll_interval_ms = 200", "connect_timeout_secs = 2"])


def routed_server(routes):
    """A (mx.a.test, relaying for alice@a.test) with the given [[route]]/[[pool]] tables."""
    a = Server(shards=1, hostname="mx.a.test", sections=FAST + "\n" + routes)
    a.start()
    a.cli("domain", "add", "a.test")
    a.add_user("alice@a.test")
    return a


def send(server, to, subject):
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
        c.sendmail("alice@a.test", [to], f"From: alice@a.test\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{subject}\r\n")


def queued_error(server, text):
    """The queue listing, if some queued recipient's last error contains `text`."""
    listing = server.cli("queue", "list").stdout.decode()
    return listing if text in listing else None


class SmarthostTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Server(shards=1, hostname="mx.far.test").start()
        cls.b.cli("domain", "add", "far.test")
        cls.b.add_user("bob@far.test")
        cls.b.cli("user", "add", "relay@far.test", "--send-as-anyone", "--password-stdin", input=b"relay-password\n")

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()

    def smarthost(self, password):
        return routed_server("\n".join([
            "[[route]]", 'domain = "*"', f'host = "127.0.0.1:{self.b.submission_port}"', 'tls = "required"',
            'user = "relay@far.test"', f'password = "{password}"']))

    def test_mail_goes_through_the_relay_host_logged_in_over_tls(self):
        a = self.smarthost("relay-password")
        try:
            send(a, "bob@far.test", "via smarthost")
            raw = wait_for("delivery through B", lambda: find(self.b, "bob@far.test", "via smarthost"))
            received = email.message_from_bytes(raw, policy=email.policy.default).get_all("Received")
            self.assertIn("from mx.a.test", received[0])
            self.assertIn("with ESMTPSA", received[0], "A logged in at B's submission port over TLS")
            wait_for("A's queue to empty", lambda: a.cli("queue", "list").stdout == b"")
        finally:
            a.cleanup()

    def test_a_refused_login_keeps_the_mail_queued_with_the_reason(self):
        a = self.smarthost("wrong-password")
        try:
            send(a, "bob@far.test", "bad login")
            listing = wait_for("a deferral", lambda: queued_error(a, "login as relay@far.test failed: 535"))
            self.assertIn("<bob@far.test>", listing)
            self.assertIsNone(find(self.b, "bob@far.test", "bad login"))
        finally:
            a.cleanup()


class TlsPolicyTest(unittest.TestCase):
    def test_required_tls_never_sends_to_a_server_without_starttls(self):
        sink = Sink()
        a = routed_server("\n".join([
            "[[route]]", 'domain = "sink.test"', f'host = "127.0.0.1:{sink.port}"', 'tls = "required"']))
        try:
            send(a, "carol@sink.test", "secret")
            wait_for("a deferral", lambda: queued_error(a, "TLS is required, but the server does not offer STARTTLS"))
            self.assertTrue(sink.sessions, "A did connect")
            self.assertFalse([c for s in sink.sessions for c in s["commands"] if c.startswith("MAIL")],
                             "no MAIL command went over the plain connection")
        finally:
            a.cleanup()
            sink.close()

    def test_tls_none_delivers_in_plain_text_even_when_starttls_is_offered(self):
        b = Server(shards=1, hostname="mx.far.test").start()
        b.cli("domain", "add", "far.test")
        b.add_user("bob@far.test")
        a = routed_server("\n".join([
            "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{b.port}"', 'tls = "none"']))
        try:
            send(a, "bob@far.test", "plain on purpose")
            raw = wait_for("delivery to B", lambda: find(b, "bob@far.test", "plain on purpose"))
            received = email.message_from_bytes(raw, policy=email.policy.default).get_all("Received")
            self.assertIn("with ESMTP ", received[0])
            self.assertNotIn("ESMTPS", received[0])
        finally:
            a.cleanup()
            b.cleanup()


class VerifiedTlsTest(unittest.TestCase):
    """`tls = "verify"`: B's certificate comes from a private CA; A sends only when it trusts
    that CA (`[delivery] tls_ca_file`) and the certificate names the host A connects to."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ringmail-ca-")
        cls.ca = os.path.join(cls.dir, "ca.pem")
        cert, key = os.path.join(cls.dir, "b.pem"), os.path.join(cls.dir, "b.key")
        run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)
        ca_key = os.path.join(cls.dir, "ca.key")
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=Test CA", "-keyout", ca_key, "-out", cls.ca,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
        # Another CA, trusted where B's must not be (so the test does not hang on whether this
        # host has a system trust store).
        cls.other_ca = os.path.join(cls.dir, "other-ca.pem")
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=Other CA", "-keyout", os.path.join(cls.dir, "other.key"), "-out", cls.other_ca,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign")
        csr = os.path.join(cls.dir, "b.csr")
        run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=mx.far.test",
            "-keyout", key, "-out", csr)
        ext = os.path.join(cls.dir, "ext.cnf")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:mx.far.test\nextendedKeyUsage=serverAuth\n")
        run("x509", "-req", "-in", csr, "-CA", cls.ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
            "-extfile", ext, "-out", cert)
        cls.b = Server(shards=1, hostname="mx.far.test", sections=f'[tls]\ncert = "{cert}"\nkey = "{key}"').start()
        cls.b.cli("domain", "add", "far.test")
        cls.b.add_user("bob@far.test")

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def relay(self, ca_file):
        route = ["[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{self.b.port}"', 'tls = "verify"']
        return routed_server("\n".join([f'tls_ca_file = "{ca_file}"'] + route))

    def test_a_certificate_from_a_trusted_ca_for_the_host_is_accepted(self):
        a = self.relay(self.ca)
        try:
            send(a, "bob@far.test", "verified")
            raw = wait_for("delivery to B", lambda: find(self.b, "bob@far.test", "verified"))
            received = email.message_from_bytes(raw, policy=email.policy.default).get_all("Received")
            self.assertIn("with ESMTPS", received[0])
        finally:
            a.cleanup()

    def test_an_untrusted_certificate_keeps_the_mail_queued(self):
        a = self.relay(self.other_ca)
        try:
            send(a, "bob@far.test", "not trusted")
            listing = wait_for("a deferral", lambda: queued_error(a, "TLS handshake failed"))
            self.assertIn("UnknownIssuer", listing)
            self.assertIsNone(find(self.b, "bob@far.test", "not trusted"))
        finally:
            a.cleanup()


class ShutdownTest(unittest.TestCase):
    def test_sigterm_stops_the_server_while_a_delivery_waits_on_a_silent_server(self):
        silent = socket.socket()
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # accepts connections (the kernel does) and never says a word
        a = routed_server("\n".join([
            "[[route]]", 'domain = "silent.test"', f'host = "127.0.0.1:{silent.getsockname()[1]}"']))
        try:
            send(a, "carol@silent.test", "stuck")
            held = []
            wait_for("the attempt to connect", lambda: accept_one(silent, held))
            started = time.time()
            self.assertEqual(a.stop(timeout=30), 0)
            self.assertLess(time.time() - started, 20, "the stuck attempt does not hold the shutdown")
        finally:
            a.cleanup()
            silent.close()


def accept_one(listener, held):
    """Takes a waiting connection into `held` (kept open, never answered); false if none."""
    listener.settimeout(0.1)
    try:
        held.append(listener.accept()[0])
        return True
    except OSError:
        return False


class ReuseTest(unittest.TestCase):
    """An open session carries the next message to the same server: RSET goes ahead of the
    next envelope (in the same write, as the sink offers PIPELINING), and a server that hung
    up in between costs a new connection, not a deferral."""

    def deliver_three(self, sink):
        a = routed_server("\n".join(["[[route]]", 'domain = "sink.test"', f'host = "127.0.0.1:{sink.port}"']))
        try:
            for i in range(3):
                send(a, "carol@sink.test", f"reuse {i}")
                wait_for(f"message {i}", lambda: len(sink.messages()) == i + 1)
            return a.log(tail=None)
        finally:
            a.cleanup()
            sink.close()

    def test_the_next_message_goes_on_the_same_session_after_rset(self):
        sink = Sink(extensions=("PIPELINING", "8BITMIME"))
        self.deliver_three(sink)
        self.assertEqual(len(sink.sessions), 1, "one connection for the three messages")
        verbs = [c.split(" ")[0] for c in sink.sessions[0]["commands"]]
        self.assertEqual(verbs, ["EHLO"] + ["MAIL", "RCPT", "DATA"] + ["RSET", "MAIL", "RCPT", "DATA"] * 2)
        self.assertEqual(sink.sessions[0]["pipelined"], ["MAIL", "RCPT"] + ["RSET", "MAIL", "RCPT"] * 2,
                         "RSET came in one write with the envelope: no round trip of its own")

    def test_a_server_that_hung_up_while_idle_costs_a_new_connection_not_a_deferral(self):
        sink = Sink(extensions=("PIPELINING", "8BITMIME"), hang_up_after_message=True)
        log = self.deliver_three(sink)
        self.assertEqual(len(sink.sessions), 3)
        self.assertEqual([s["commands"][0].split(" ")[0] for s in sink.sessions], ["EHLO"] * 3)
        self.assertEqual([m["data"].split(b"Subject: ")[1].split(b"\r\n")[0] for m in sink.messages()],
                         [b"reuse 0", b"reuse 1", b"reuse 2"])
        self.assertNotIn("deferred", log)


class PoolTest(unittest.TestCase):
    def test_a_pool_connects_from_its_addresses_in_turn_with_its_own_ehlo_name(self):
        sink = Sink()
        a = routed_server("\n".join([
            "[[pool]]", 'name = "second"', 'addresses = ["127.0.0.2", "127.0.0.3"]', 'ehlo = "out.a.test"',
            "[[route]]", 'domain = "sink.test"', f'host = "127.0.0.1:{sink.port}"', 'pool = "second"']))
        try:
            for i in range(4):
                send(a, "carol@sink.test", f"pooled {i}")
            wait_for("four messages at the sink", lambda: len(sink.messages()) == 4)
            used = [s for s in sink.sessions if s["messages"]]
            self.assertEqual({s["peer"] for s in used}, {"127.0.0.2", "127.0.0.3"}, "both addresses, in turn")
            self.assertEqual({s["helo"] for s in used}, {"out.a.test"})
            self.assertTrue(all(b"Subject: pooled" in m["data"] for m in sink.messages()))
        finally:
            a.cleanup()
            sink.close()


if __name__ == "__main__":
    unittest.main()

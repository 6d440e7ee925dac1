"""TLS and authenticated submission, with real clients: smtplib (STARTTLS on 587, implicit TLS on
465), swaks, curl and openssl s_client. Certificates are checked, not ignored: clients trust the
server's self-signed certificate through its file and check the host name mx.test."""

import os
import signal
import smtplib
import socket
import ssl
import subprocess
import time
import unittest
from email.message import EmailMessage

from harness import Dialogue, Server, unreachable_route

PASSWORD = "alice-password-1"


def tls_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


def message(subject, sender="alice@example.com", to="bob@example.com"):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m.set_content(f"{subject} body\n")
    return m


def plain_auth(client, user, password):
    """Exactly one AUTH PLAIN attempt (smtplib's login() would retry with every mechanism)."""
    client.user, client.password = user, password
    return client.auth("PLAIN", client.auth_plain)[0]


def setup_accounts(server):
    server.cli("domain", "add", "example.com")
    server.add_user("alice@example.com", PASSWORD)
    server.add_user("bob@example.com")
    server.cli("alias", "add", "sales@example.com", "alice@example.com")


class SubmissionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Port 25 faces "the world": loopback is not a relay network here.
        cls.server = Server(extra="relay_networks = []", sections=unreachable_route("far.example")).start()
        setup_accounts(cls.server)
        cls.ctx = tls_context(cls.server.cert_path)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def smtp(self, port=None):
        c = smtplib.SMTP("127.0.0.1", port or self.server.submission_port, timeout=30)
        c._host = "mx.test"  # the name checked against the certificate
        return c

    def stored(self, address, subject):
        rows = [r for r in self.server.mail_list(address) if r[2] == subject]
        self.assertEqual(len(rows), 1, f"{subject!r} in {address}")
        return self.server.mail_cat(address, rows[0][0])

    def test_starttls_login_and_send_on_587(self):
        with self.smtp() as c:
            c.ehlo("client.test")
            self.assertTrue(c.has_extn("starttls"))
            self.assertFalse(c.has_extn("auth"), "no AUTH offered in clear text")
            c.starttls(context=self.ctx)
            c.ehlo("client.test")
            self.assertFalse(c.has_extn("starttls"))
            self.assertEqual(c.esmtp_features["auth"].split(), ["PLAIN", "LOGIN"])
            c.login("alice@example.com", PASSWORD)
            refused = c.send_message(message("via 587"), to_addrs=["bob@example.com", "carol@far.example"])
            self.assertEqual(refused, {})
        raw = self.stored("bob@example.com", "via 587").decode()
        self.assertIn("with ESMTPSA id", raw)
        self.assertRegex(raw, r"\(using TLSv1\.3 with cipher TLS13_[A-Z0-9_]+\)")
        queue = self.server.cli("queue", "list").stdout.decode()
        self.assertIn("<alice@example.com> -> <carol@far.example>", queue, "authenticated users may relay")

    def test_implicit_tls_on_465_with_login_mechanism(self):
        with self._smtps() as c:
            c.ehlo("client.test")
            self.assertFalse(c.has_extn("starttls"))
            c.user, c.password = "alice@example.com", PASSWORD
            code, _ = c.auth("LOGIN", c.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235)
            c.send_message(message("via 465"), to_addrs=["bob@example.com"])
        self.assertIn("with ESMTPSA", self.stored("bob@example.com", "via 465").decode())

    def _smtps(self):
        c = smtplib.SMTP_SSL(context=self.ctx, timeout=30)
        c._host = "mx.test"
        c.connect("127.0.0.1", self.server.submissions_port)
        return c

    def test_auth_and_mail_before_tls_are_refused(self):
        d = Dialogue(self.server.submission_port)
        d.read_reply()
        d.send("EHLO client.test\r\n")
        code, lines = d.read_reply()
        self.assertEqual(code, 250)
        self.assertFalse(any(line[4:].startswith("AUTH") for line in lines), lines)
        self.assertEqual(d.cmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUuY29tAHg="),
                         "538 5.7.11 Encryption required: use STARTTLS first")
        self.assertEqual(d.cmd("MAIL FROM:<alice@example.com>"), "530 5.7.0 Authentication required")
        d.close()

    def test_wrong_password_and_unknown_user(self):
        for user, password in [("alice@example.com", "wrong-password"), ("nobody@example.com", PASSWORD)]:
            with self.smtp() as c:
                c.starttls(context=self.ctx)
                c.ehlo("client.test")
                with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                    plain_auth(c, user, password)
                self.assertEqual(e.exception.smtp_code, 535)
                self.assertIn(b"5.7.8", e.exception.smtp_error)

    def test_a_changed_password_is_not_served_from_the_login_cache(self):
        self.server.add_user("carol@example.com", "carol-old-password")

        def login(password):
            with self.smtp() as c:
                c.starttls(context=self.ctx)
                c.ehlo("client.test")
                try:
                    return plain_auth(c, "carol@example.com", password)
                except smtplib.SMTPAuthenticationError as e:
                    return e.smtp_code

        self.assertEqual(login("carol-old-password"), 235)
        self.assertEqual(login("carol-old-password"), 235, "the cached login")
        self.server.cli("user", "passwd", "carol@example.com", "--password-stdin", input=b"carol-new-password\n")
        self.assertEqual(login("carol-old-password"), 535, "the old password must stop working at once")
        self.assertEqual(login("carol-new-password"), 235)

    def test_relay_without_auth_is_refused_on_25_and_587(self):
        with self.smtp(self.server.port) as c:
            c.starttls(context=self.ctx)
            c.ehlo("client.test")
            c.mail("someone@outside.example")
            code, text = c.rcpt("carol@far.example")
            self.assertEqual(code, 550)
            self.assertIn(b"5.7.1", text)
            self.assertEqual(c.rcpt("bob@example.com")[0], 250, "inbound mail for local users still works")
        with self.smtp() as c:
            c.starttls(context=self.ctx)
            c.ehlo("client.test")
            self.assertEqual(c.mail("alice@example.com")[0], 530)

    def test_senders_the_user_does_not_own_are_refused(self):
        with self.smtp() as c:
            c.starttls(context=self.ctx)
            c.login("alice@example.com", PASSWORD)
            code, text = c.mail("bob@example.com")
            self.assertEqual(code, 553)
            self.assertIn(b"5.7.1", text)
            for own in ["alice@example.com", "Alice+tag@example.com", "sales@example.com"]:
                c.rset()
                self.assertEqual(c.mail(own)[0], 250, own)

    def test_commands_pipelined_after_starttls_are_discarded(self):
        s = socket.create_connection(("127.0.0.1", self.server.port), timeout=10)
        f = s.makefile("rb")
        self.assertTrue(f.readline().startswith(b"220"))
        s.sendall(b"EHLO client.test\r\n")
        while not f.readline().startswith(b"250 "):
            pass
        # The injection: a MAIL command in the same packet as STARTTLS, before the handshake.
        s.sendall(b"STARTTLS\r\nEHLO injected.test\r\nMAIL FROM:<injected@outside.example>\r\n")
        self.assertTrue(f.readline().startswith(b"220 2.0.0"))
        t = self.ctx.wrap_socket(s, server_hostname="mx.test")
        tf = t.makefile("rb")
        # The first answer over TLS must be the one to our first command over TLS.
        t.sendall(b"NOOP\r\n")
        self.assertEqual(tf.readline(), b"250 2.0.0 OK\r\n", "replies to injected commands came back")
        t.sendall(b"EHLO client.test\r\n")
        while not (line := tf.readline()).startswith(b"250 "):
            pass
        t.sendall(b"RCPT TO:<bob@example.com>\r\n")
        self.assertEqual(tf.readline(), b"503 5.5.1 Need MAIL command\r\n",
                         "the injected MAIL must not have been executed")
        t.close()

    def test_garbage_instead_of_a_handshake_closes_only_that_connection(self):
        s = socket.create_connection(("127.0.0.1", self.server.submissions_port), timeout=10)
        s.sendall(b"EHLO this is not TLS\r\n" * 10)
        s.settimeout(10)
        data = b""
        try:
            while chunk := s.recv(4096):
                data += chunk
        except ConnectionResetError:
            pass
        self.assertNotIn(b"250", data)
        s.close()
        with self._smtps() as c:
            self.assertEqual(c.ehlo("client.test")[0], 250, "the server still serves others")

    def test_swaks_starttls_and_implicit_tls(self):
        for port, tls in [(self.server.submission_port, "--tls"), (self.server.submissions_port, "--tlsc")]:
            subject = f"swaks {tls}"
            r = subprocess.run(["swaks", "--server", f"127.0.0.1:{port}", tls, "--auth", "PLAIN",
                                "--auth-user", "alice@example.com", "--auth-password", PASSWORD,
                                "--from", "alice@example.com", "--to", "bob@example.com",
                                "--header", f"Subject: {subject}", "--body", "hello"],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
            self.assertIn("ESMTPSA", self.stored("bob@example.com", subject).decode())

    def test_curl_ssl_reqd_verifies_the_certificate(self):
        port = self.server.submission_port
        body = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: from curl\r\n\r\ncurl body\r\n"
        r = subprocess.run(["curl", "--silent", "--show-error", "--ssl-reqd", "--cacert", self.server.cert_path,
                            "--resolve", f"mx.test:{port}:127.0.0.1", f"smtp://mx.test:{port}",
                            "--user", f"alice@example.com:{PASSWORD}", "--mail-from", "alice@example.com",
                            "--mail-rcpt", "bob@example.com", "--upload-file", "-"],
                           input=body.encode(), capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(b"curl body", self.stored("bob@example.com", "from curl"))

    def test_openssl_sees_tls12_and_tls13_only_and_a_valid_certificate(self):
        def s_client(*flags):
            return subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect",
                                   f"127.0.0.1:{self.server.port}", "-servername", "mx.test",
                                   "-CAfile", self.server.cert_path, "-verify_hostname", "mx.test",
                                   "-verify_return_error", *flags],
                                  input=b"QUIT\r\n", capture_output=True, timeout=30)
        for version, name in [("-tls1_3", "TLSv1.3"), ("-tls1_2", "TLSv1.2")]:
            r = s_client(version)
            out = r.stdout.decode()
            self.assertEqual(r.returncode, 0, out + r.stderr.decode())
            self.assertIn(f"Protocol  : {name}" if "Protocol  :" in out else name, out)
            self.assertIn("Verify return code: 0 (ok)", out)
        for old in ["-tls1_1", "-tls1"]:
            r = s_client(old)
            self.assertNotEqual(r.returncode, 0, f"{old} must be refused")
        san = subprocess.run(["openssl", "x509", "-in", self.server.cert_path, "-noout", "-ext", "subjectAltName"],
                             capture_output=True).stdout.decode()
        self.assertIn("DNS:mx.test", san)


def make_cert(dir, name):
    cert, key = os.path.join(dir, f"{name}.crt"), os.path.join(dir, f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}"], check=True, capture_output=True)
    return cert, key


def served_fingerprint(port, servername):
    r = subprocess.run(["openssl", "s_client", "-starttls", "smtp", "-connect", f"127.0.0.1:{port}",
                        "-servername", servername], input=b"QUIT\r\n", capture_output=True, timeout=30)
    pem = r.stdout.decode()
    start, end = pem.index("-----BEGIN CERTIFICATE-----"), pem.index("-----END CERTIFICATE-----") + 25
    return subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem[start:end].encode(),
                          capture_output=True, check=True).stdout.decode().strip()


def file_fingerprint(path):
    return subprocess.run(["openssl", "x509", "-in", path, "-noout", "-fingerprint", "-sha256"],
                          capture_output=True, check=True).stdout.decode().strip()


class CertificateTest(unittest.TestCase):
    def test_configured_sni_certificates_and_sighup_reload(self):
        server = Server(shards=1)
        try:
            certs = os.path.join(server.dir, "certs")
            os.makedirs(certs)
            main_cert, main_key = make_cert(certs, "mx.test")
            other_cert, other_key = make_cert(certs, "other.test")
            with open(server.config) as f:
                config = f.read()
            config = config.replace("[limits]", f'[tls]\ncert = "{main_cert}"\nkey = "{main_key}"\n'
                                                f'[[tls.sni]]\nname = "other.test"\ncert = "{other_cert}"\n'
                                                f'key = "{other_key}"\n[limits]')
            with open(server.config, "w") as f:
                f.write(config)
            server.start()
            self.assertFalse(os.path.exists(server.cert_path), "no self-signed certificate when one is configured")
            self.assertEqual(served_fingerprint(server.port, "mx.test"), file_fingerprint(main_cert))
            self.assertEqual(served_fingerprint(server.port, "other.test"), file_fingerprint(other_cert))
            self.assertEqual(served_fingerprint(server.port, "unknown.test"), file_fingerprint(main_cert))

            # A renewal: new files in place, SIGHUP, new handshakes get the new certificate.
            old = file_fingerprint(main_cert)
            make_cert(certs, "mx.test")
            self.assertNotEqual(file_fingerprint(main_cert), old)
            server.proc.send_signal(signal.SIGHUP)
            deadline = time.time() + 10
            while served_fingerprint(server.port, "mx.test") != file_fingerprint(main_cert):
                self.assertLess(time.time(), deadline, "certificate not reloaded after SIGHUP")
                time.sleep(0.2)

            # A broken renewal keeps the working certificate.
            with open(main_key, "w") as f:
                f.write("not a key\n")
            server.proc.send_signal(signal.SIGHUP)
            time.sleep(0.5)
            self.assertEqual(served_fingerprint(server.port, "mx.test"), file_fingerprint(main_cert))
            self.assertIsNone(server.proc.poll(), "still running")
        finally:
            server.cleanup()


class BruteForceTest(unittest.TestCase):
    def test_failed_logins_are_delayed_then_refused(self):
        server = Server(shards=1, smtp_extra="auth = true", sections="\n".join([
            "[auth]", "ip_failures_before_delay = 2", "ip_failures_before_block = 4", "delay_secs = 1"]))
        try:
            server.start()
            setup_accounts(server)
            ctx = tls_context(server.cert_path)

            def attempt(password):
                with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
                    c._host = "mx.test"
                    c.starttls(context=ctx)
                    c.ehlo("client.test")
                    t0 = time.time()
                    try:
                        code = plain_auth(c, "alice@example.com", password)
                    except smtplib.SMTPAuthenticationError as e:
                        code = e.smtp_code
                    except smtplib.SMTPServerDisconnected:
                        code = 421
                    return code, time.time() - t0

            self.assertEqual(attempt(PASSWORD)[0], 235, "port 25 takes AUTH when configured")
            first, fast = attempt("guess-1")
            self.assertEqual(first, 535)
            self.assertEqual(attempt("guess-2")[0], 535)
            code, slow = attempt("guess-3")
            self.assertEqual(code, 535)
            self.assertGreaterEqual(slow, 1.0, "past the delay threshold answers are slowed down")
            self.assertEqual(attempt("guess-4")[0], 535)
            self.assertEqual(attempt(PASSWORD)[0], 421, "blocked: even the right password is refused")
            d = Dialogue(server.port)
            d.read_reply()
            self.assertEqual(d.cmd("EHLO client.test")[:3], "250", "the address may still deliver mail")
            d.close()
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()

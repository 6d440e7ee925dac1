"""POP3 with real clients: Python's poplib (STLS and POP3S), curl and fetchmail, plus scripted
dialogues for every command and error. Messages arrive over SMTP first, so what POP3 returns is
compared with what was sent and with what `ringmail mail cat` shows."""

import base64
import os
import poplib
import smtplib
import socket
import ssl
import subprocess
import time
import unittest

from harness import Server

PASSWORD = "pop-password-1"


class Pop3s(poplib.POP3_SSL):
    """POP3 over implicit TLS to 127.0.0.1, checking the certificate for mx.test."""

    def __init__(self, port, context):
        super().__init__("127.0.0.1", port, context=context, timeout=30)

    def _create_socket(self, timeout):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout)
        return self.context.wrap_socket(sock, server_hostname="mx.test")


def multiline(command):
    """Whether a successful answer to `command` is a multi-line response."""
    words = command.split()
    verb = words[0].upper()
    return verb in ("CAPA", "RETR", "TOP") or (verb in ("LIST", "UIDL", "AUTH") and len(words) == 1)


class Pop3Test(unittest.TestCase):
    def setUp(self):
        self.server = Server(shards=1).start()
        s = self.server
        s.cli("domain", "add", "example.com")
        s.add_user("alice@example.com", PASSWORD)
        self.ctx = ssl.create_default_context(cafile=s.cert_path)
        self.bodies = [
            "Subject: one\r\n\r\nfirst message\r\n",
            "Subject: two\r\n\r\n.leading dot line\r\n..two dots\r\nend\r\n",
            "Subject: three\r\n\r\n" + "line\r\n" * 50,
        ]
        with smtplib.SMTP("127.0.0.1", s.port, timeout=30) as c:
            for body in self.bodies:
                c.sendmail("sender@outside.example", ["alice@example.com"], body)

    def tearDown(self):
        self.server.cleanup()

    def pop(self):
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=30)
        p.host = "mx.test"  # the name STLS checks the certificate against
        p.stls(context=self.ctx)
        return p

    def login(self):
        p = self.pop()
        p.user("alice@example.com")
        p.pass_(PASSWORD)
        return p

    def stored(self):
        """[(uid, raw bytes)] of INBOX as the admin CLI sees it."""
        return [(uid, self.server.mail_cat("alice@example.com", uid)) for uid, _, _ in
                self.server.mail_list("alice@example.com")]

    def test_poplib_stat_list_uidl_retr_top(self):
        p = self.login()
        stored = self.stored()
        count, size = p.stat()
        self.assertEqual(count, 3)
        self.assertEqual(size, sum(len(raw) for _, raw in stored))
        _, listing, _ = p.list()
        self.assertEqual([line.split() for line in listing],
                         [[str(i + 1).encode(), str(len(raw)).encode()] for i, (_, raw) in enumerate(stored)])
        _, uidls, _ = p.uidl()
        uids = [int(line.split()[1].split(b".")[1]) for line in uidls]
        self.assertEqual(uids, [uid for uid, _ in stored], "UIDL carries the IMAP UID")
        for i, (_, raw) in enumerate(stored):
            _, lines, octets = p.retr(i + 1)
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", raw, "byte-stuffing undone by the client")
            self.assertTrue(raw.endswith(self.bodies[i].encode()))
        _, top, _ = p.top(2, 1)
        self.assertEqual(top[-2:], [b"", b".leading dot line"])
        self.assertNotIn(b"..two dots", top)
        p.quit()
        p = self.login()
        self.assertEqual(p.uidl()[1], uidls, "UIDL is stable across sessions")
        p.quit()

    def test_dele_rset_and_quit_applies_deletions(self):
        p = self.login()
        p.dele(1)
        with self.assertRaises(poplib.error_proto):
            p.retr(1)
        p.rset()
        p.retr(1)
        p.dele(1)
        p.dele(3)
        self.assertEqual(p.stat()[0], 1)
        self.assertEqual(p.list()[1][0].split()[0], b"2", "numbers stay fixed within a session")
        self.assertIn(b"2 messages deleted", p.quit())
        self.assertEqual([s for _, _, s in self.server.mail_list("alice@example.com")], ["two"])

    def test_a_dropped_connection_deletes_nothing(self):
        p = self.login()
        p.dele(1)
        p.dele(2)
        p.file.close()
        p.sock.close()
        # The lock goes with the connection, as soon as the server sees it closed.
        deadline = time.time() + 10
        while True:
            try:
                p = self.login()
                break
            except poplib.error_proto as e:
                self.assertIn(b"[IN-USE]", e.args[0])
                self.assertLess(time.time(), deadline, "the lock of a dropped session was never released")
                time.sleep(0.1)
        self.assertEqual(p.stat()[0], 3)
        p.quit()

    def test_second_session_gets_in_use(self):
        p = self.login()
        q = self.pop()
        q.user("alice@example.com")
        with self.assertRaises(poplib.error_proto) as e:
            q.pass_(PASSWORD)
        self.assertIn(b"[IN-USE]", e.exception.args[0])
        p.quit()
        q.user("alice@example.com")
        q.pass_(PASSWORD)
        q.quit()

    def test_pop3s_and_auth_plain(self):
        p = Pop3s(self.server.pop3s_port, self.ctx)
        caps = p.capa()
        self.assertEqual(caps.get("SASL"), ["PLAIN"])
        self.assertNotIn("STLS", caps, "already TLS")
        resp = p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0alice@example.com\0" + PASSWORD.encode()).decode())
        self.assertTrue(resp.startswith(b"+OK"), resp)
        self.assertEqual(p.stat()[0], 3)
        p.quit()

    def dialogue(self, lines, tls=True):
        """Sends each line and returns the first line of each answer (plus the greeting)."""
        s = socket.create_connection(("127.0.0.1", self.server.pop3s_port if tls else self.server.pop3_port),
                                     timeout=10)
        if tls:
            s = self.ctx.wrap_socket(s, server_hostname="mx.test")
        f = s.makefile("rb")
        answers = [f.readline().decode().rstrip("\r\n")]
        for line in lines:
            s.sendall(line.encode() + b"\r\n")
            first = f.readline().decode().rstrip("\r\n")
            answers.append(first)
            if first.startswith("+OK") and multiline(line):
                while f.readline() != b".\r\n":
                    pass
        s.close()
        return answers

    def test_scripted_dialogue_every_error(self):
        a = self.dialogue([
            "STAT", "RETR 1", "PASS x", "USER alice@example.com", "PASS wrong-password",
            "USER alice@example.com", f"PASS {PASSWORD}", "RETR 9", "RETR 0", "DELE 1", "DELE 1", "LIST 1",
            "TOP 1", "XTND", "STLS", "USER bob", "NOOP", "RSET", "LIST 1", "QUIT"])
        self.assertTrue(a[0].startswith("+OK mx.test POP3"), a[0])
        want = ["-ERR Log in first", "-ERR Log in first", "-ERR Send USER first", "+OK Send PASS",
                "-ERR [AUTH] Authentication failed", "+OK Send PASS", "+OK Logged in, 3 messages",
                "-ERR No such message", "-ERR No such message", "+OK Message 1 deleted", "-ERR No such message",
                "-ERR No such message", "-ERR Syntax: TOP msg n", "-ERR Unknown command", "-ERR STLS is not possible now",
                "-ERR Already logged in", "+OK", "+OK", "+OK 1 ", "+OK Bye"]
        for got, expected in zip(a[1:], want):
            self.assertTrue(got.startswith(expected), f"{got!r} should start with {expected!r}")
        self.assertEqual(self.server.mail_list("alice@example.com")[0][2], "one", "RSET undid the DELE")

    def test_no_login_before_stls(self):
        a = self.dialogue(["CAPA", "USER alice@example.com", "AUTH PLAIN AGEAYg==", "QUIT"], tls=False)
        self.assertEqual(a[2], "-ERR [AUTH] Plaintext authentication disallowed on non-secure connections: use STLS")
        self.assertTrue(a[3].startswith("-ERR [AUTH] Plaintext"), a[3])
        s = socket.create_connection(("127.0.0.1", self.server.pop3_port), timeout=10)
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"CAPA\r\n")
        caps = []
        while (line := f.readline()) != b".\r\n":
            caps.append(line.strip().decode())
        self.assertIn("STLS", caps)
        self.assertNotIn("USER", caps)
        self.assertIn("UIDL", caps)
        s.close()

    def test_curl_retrieves_over_pop3s_and_stls(self):
        for scheme, port, extra in [("pop3s", self.server.pop3s_port, []),
                                    ("pop3", self.server.pop3_port, ["--ssl-reqd"])]:
            r = subprocess.run(["curl", "--silent", "--show-error", "--cacert", self.server.cert_path,
                                "--resolve", f"mx.test:{port}:127.0.0.1", *extra,
                                "--user", f"alice@example.com:{PASSWORD}", f"{scheme}://mx.test:{port}/2"],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            self.assertEqual(r.stdout, self.stored()[1][1], scheme)

    def test_fetchmail_fetches_and_deletes(self):
        out = os.path.join(self.server.dir, "fetched.bsmtp")
        rc = os.path.join(self.server.dir, "fetchmailrc")
        with open(rc, "w") as f:
            f.write(f'poll mx.test via 127.0.0.1 port {self.server.pop3_port} protocol pop3\n'
                    f'  user "alice@example.com" there password "{PASSWORD}" is "local" here\n'
                    f'  sslproto "TLS1.2+" sslcertck sslcertfile "{self.server.cert_path}" sslcommonname "mx.test"\n'
                    f'  bsmtp "{out}"\n')
        os.chmod(rc, 0o600)
        r = subprocess.run(["fetchmail", "--fetchmailrc", rc, "--nodetach", "--nosyslog", "-a",
                            "--pidfile", os.path.join(self.server.dir, "fetchmail.pid")],
                           capture_output=True, timeout=120, env={**os.environ, "FETCHMAILHOME": self.server.dir})
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        with open(out, "rb") as f:
            fetched = f.read()
        for body in ["first message", "..leading dot line", "line\r\n"]:
            self.assertIn(body.encode(), fetched)  # BSMTP re-stuffs dots for its own DATA
        self.assertEqual(self.server.mail_list("alice@example.com"), [], "fetchmail deleted what it fetched")


if __name__ == "__main__":
    unittest.main()

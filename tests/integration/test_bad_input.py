"""Bad input gets the protocol's proper reply: never a crash, a hang, or a half-stored message."""

import socket
import time
import unittest

from harness import Dialogue, Server

LIMITS = {
    "max_message_size": 2000,
    "max_recipients": 3,
    "max_connections_per_ip": 4,
    "max_errors": 5,
    "command_timeout_secs": 2,
    "data_timeout_secs": 2,
}


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(limits=LIMITS).start()
        for user in ["bob", "big", "nul", "smuggle", "cut", "bare"]:
            cls.server.add_user(f"{user}@mx.test")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def connect(self):
        d = Dialogue(self.server.port)
        self.assertEqual(d.read_reply()[0], 220)
        return d

    def transaction(self, d, rcpt):
        self.assertEqual(d.cmd("EHLO c.example")[:3], "250")
        self.assertEqual(d.cmd("MAIL FROM:<a@b.example>"), "250 2.1.0 OK")
        self.assertEqual(d.cmd(f"RCPT TO:<{rcpt}>"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("DATA")[:3], "354")

    def count(self, user):
        return len(self.server.mail_list(f"{user}@mx.test"))

    def test_overlong_command_lines(self):
        d = self.connect()
        self.assertEqual(d.cmd("NOOP " + "x" * 2000), "500 5.5.2 Line too long")
        # An overlong line that arrives in pieces, without a line end for a while.
        d.send("NOOP " + "y" * 3000)
        time.sleep(0.2)
        d.send("z" * 3000 + "\r\n")
        self.assertEqual(d.read_reply()[1][-1], "500 5.5.2 Line too long")
        self.assertEqual(d.cmd("NOOP"), "250 2.0.0 OK", "the session stays in sync")
        d.close()

    def test_nul_and_garbage_commands(self):
        d = self.connect()
        self.assertEqual(d.cmd("NOOP \x00"), "500 5.5.2 Invalid characters in command")
        d.send(b"\xff\xfe\r\n")
        self.assertEqual(d.read_reply()[1][-1], "500 5.5.2 Invalid characters in command")
        self.assertEqual(d.cmd("XYZZY"), "500 5.5.1 Command not recognized")
        self.assertEqual(d.cmd("MAIL FROM:<broken"), "501 5.5.4 Syntax: path must be in <>")
        d.close()

    def test_too_many_errors_disconnects(self):
        d = self.connect()
        for _ in range(4):
            self.assertEqual(d.cmd("BOGUS")[:3], "500")
        d.send("BOGUS\r\n")
        code, lines = d.read_reply()
        self.assertEqual(lines[-1], "500 5.5.1 Command not recognized")
        self.assertEqual(d.read_reply()[1][-1], "421 4.7.0 Too many errors, closing connection")
        self.assertTrue(d.closed())

    def test_too_many_recipients(self):
        d = self.connect()
        d.cmd("EHLO c.example")
        d.cmd("MAIL FROM:<a@b.example>")
        for _ in range(3):
            self.assertEqual(d.cmd("RCPT TO:<bob@mx.test>"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("RCPT TO:<bob@mx.test>"), "452 4.5.3 Too many recipients")
        d.close()

    def test_message_over_size_limit_is_refused_and_session_survives(self):
        d = self.connect()
        self.transaction(d, "big@mx.test")
        d.send(("Subject: big\r\n\r\n" + ("0123456789" * 10 + "\r\n") * 30) + ".\r\n")
        self.assertEqual(d.read_reply()[1][-1], "552 5.3.4 Message size exceeds fixed maximum message size")
        self.assertEqual(d.cmd("NOOP"), "250 2.0.0 OK")
        self.assertEqual(self.count("big"), 0)
        d.close()

    def test_nul_in_message_is_refused(self):
        d = self.connect()
        self.transaction(d, "nul@mx.test")
        d.send(b"Subject: nul\r\n\r\na\x00b\r\n.\r\n")
        self.assertEqual(d.read_reply()[1][-1], "554 5.6.0 Message contains NUL characters")
        self.assertEqual(self.count("nul"), 0)
        d.close()

    def test_smtp_smuggling_is_impossible(self):
        d = self.connect()
        self.transaction(d, "smuggle@mx.test")
        d.send("Subject: outer\r\n\r\nouter body\n.\r\nMAIL FROM:<admin@mx.test>\r\nRCPT TO:<smuggle@mx.test>\r\n"
               "DATA\r\nSubject: smuggled\r\n\r\nevil\r\n.\r\n")
        self.assertRegex(d.read_reply()[1][-1], r"^250 2\.0\.0 OK: queued as")
        self.assertEqual(d.cmd("NOOP"), "250 2.0.0 OK", "no other reply was pending")
        rows = self.server.mail_list("smuggle@mx.test")
        self.assertEqual([r[2] for r in rows], ["outer"])
        raw = self.server.mail_cat("smuggle@mx.test", rows[0][0])
        self.assertIn(b"outer body\r\n\r\nMAIL FROM:<admin@mx.test>\r\n", raw, "smuggled text is content, bare LF normalised")
        self.assertNotIn(b"\n.\r\n", raw.replace(b"\r\n", b"\r\r"))
        d.close()

    def test_bare_line_endings_are_normalised(self):
        d = self.connect()
        self.transaction(d, "bare@mx.test")
        d.send(b"Subject: bare\n\none\ntwo\rthree\r\n.\r\n")
        self.assertEqual(d.read_reply()[0], 250)
        raw = self.server.mail_cat("bare@mx.test", self.server.mail_list("bare@mx.test")[0][0])
        self.assertTrue(raw.endswith(b"Subject: bare\r\n\r\none\r\ntwo\r\nthree\r\n"), raw)
        d.close()

    def test_disconnect_in_data_stores_nothing(self):
        d = self.connect()
        self.transaction(d, "cut@mx.test")
        d.send("Subject: cut\r\n\r\nhalf a message")
        d.sock.shutdown(socket.SHUT_RDWR)
        d.close()
        time.sleep(0.3)
        self.assertEqual(self.count("cut"), 0)
        self.assertEqual(self.connect().cmd("NOOP"), "250 2.0.0 OK", "the server is still serving")

    def test_idle_client_times_out(self):
        d = self.connect()
        code, lines = d.read_reply()
        self.assertEqual(lines[-1], "421 4.4.2 Timeout exceeded, closing connection")
        self.assertTrue(d.closed())

    def test_slow_data_times_out(self):
        d = self.connect()
        self.transaction(d, "cut@mx.test")
        d.send("Subject: slow\r\n")
        self.assertEqual(d.read_reply()[1][-1], "421 4.4.2 Timeout exceeded, closing connection")
        self.assertEqual(self.count("cut"), 0)

    def test_connections_per_ip_limit(self):
        held = [self.connect() for _ in range(4)]
        extra = Dialogue(self.server.port)
        self.assertEqual(extra.read_reply()[1][-1], "421 4.7.0 Too many connections, try again later")
        self.assertTrue(extra.closed())
        for d in held:
            d.close()
        time.sleep(0.2)
        self.assertEqual(self.connect().cmd("NOOP"), "250 2.0.0 OK", "slots are freed on close")

    def test_pipelining_without_ehlo_is_refused(self):
        d = self.connect()
        d.cmd("HELO old.example")
        d.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@mx.test>\r\n")
        self.assertEqual(d.read_reply()[1][-1], "503 5.5.0 Improper use of SMTP command pipelining")
        self.assertEqual(d.read_reply()[1][-1], "503 5.5.1 Need MAIL command")
        d.close()


if __name__ == "__main__":
    unittest.main()

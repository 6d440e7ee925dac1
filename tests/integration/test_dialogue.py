"""Scripted SMTP dialogues over a raw socket: every reply code and enhanced status checked."""

import unittest

from harness import Dialogue, Server


class DialogueTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.server.add_user("bob@mx.test")
        cls.server.cli("domain", "add", "example.org")
        cls.server.add_user("carol@example.org")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def connect(self):
        d = Dialogue(self.server.port)
        code, lines = d.read_reply()
        self.assertEqual(code, 220)
        self.assertIn("mx.test ESMTP", lines[0])
        return d

    def test_ehlo_advertises_extensions(self):
        d = self.connect()
        d.send("EHLO client.example\r\n")
        code, lines = d.read_reply()
        self.assertEqual(code, 250)
        self.assertEqual(lines[0], "250-mx.test greets client.example")
        keywords = [l[4:] for l in lines[1:]]
        for ext in ["PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "CHUNKING", "SMTPUTF8", "DSN"]:
            self.assertIn(ext, keywords)
        self.assertIn("SIZE 26214400", keywords)
        self.assertTrue(lines[-1].startswith("250 "))

    def test_full_transaction_with_exact_replies(self):
        d = self.connect()
        self.assertEqual(d.cmd("HELO client.example"), "250 mx.test greets client.example")
        self.assertEqual(d.cmd("MAIL FROM:<alice@sender.example>"), "250 2.1.0 OK")
        self.assertEqual(d.cmd("RCPT TO:<bob@mx.test>"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("RCPT TO:<Carol@Example.ORG>"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("DATA"), "354 End data with <CR><LF>.<CR><LF>")
        reply = d.cmd("Subject: dialogue\r\n\r\nhello\r\n.")
        self.assertRegex(reply, r"^250 2\.0\.0 OK: queued as [0-9A-F]{32}$")
        self.assertEqual(d.cmd("NOOP"), "250 2.0.0 OK")
        self.assertEqual(d.cmd("RSET"), "250 2.0.0 OK")
        self.assertTrue(d.cmd("VRFY bob").startswith("252 2.5.0"))
        self.assertTrue(d.cmd("HELP").startswith("214 2.0.0"))
        self.assertEqual(d.cmd("QUIT"), "221 2.0.0 Bye")
        self.assertTrue(d.closed())
        subjects = [s for _, _, s in self.server.mail_list("carol@example.org")]
        self.assertIn("dialogue", subjects)

    def test_sequence_errors(self):
        d = self.connect()
        self.assertEqual(d.cmd("MAIL FROM:<a@b.example>"), "503 5.5.1 Send EHLO or HELO first")
        d.cmd("EHLO c.example")
        self.assertEqual(d.cmd("RCPT TO:<bob@mx.test>"), "503 5.5.1 Need MAIL command")
        self.assertEqual(d.cmd("DATA"), "503 5.5.1 Need MAIL command")
        d.cmd("MAIL FROM:<a@b.example>")
        self.assertEqual(d.cmd("MAIL FROM:<a@b.example>"), "503 5.5.1 Nested MAIL command")
        self.assertEqual(d.cmd("DATA"), "554 5.5.1 No valid recipients")
        d.send("BDAT 3 LAST\r\nabc")
        self.assertEqual(d.read_reply()[0], 554, "a refused chunk is still consumed")
        self.assertEqual(d.cmd("NOOP"), "250 2.0.0 OK")
        d.close()

    def test_recipient_policy(self):
        d = self.connect()
        d.cmd("EHLO c.example")
        d.cmd("MAIL FROM:<a@b.example>")
        self.assertEqual(d.cmd("RCPT TO:<nobody@mx.test>"),
                         "550 5.1.1 <nobody@mx.test>: Recipient address rejected: User unknown")
        # Loopback is in relay_networks by default, so remote domains are queued...
        self.assertEqual(d.cmd("RCPT TO:<someone@remote.example>"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("RCPT TO:<bob+tag@mx.test>"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("RCPT TO:<bad address>"), "501 5.1.3 Bad address syntax: missing @domain")
        self.assertEqual(d.cmd("RCPT TO:<x@y.example> NOTIFY=NEVER ORCPT=rfc822;x+2By@y.example"), "250 2.1.5 OK")
        self.assertEqual(d.cmd("RCPT TO:<x@y.example> NOTIFY=NEVER,DELAY"), "501 5.5.4 Bad value for NOTIFY")
        self.assertEqual(d.cmd("RCPT TO:<x@y.example> XNOTIFY=1"), "555 5.5.4 Unsupported parameter XNOTIFY")
        self.assertEqual(d.cmd("RCPT TO:<ü@mx.test>"), "553 5.6.7 Non-ASCII address requires SMTPUTF8")
        d.close()

    def test_size_declared_too_large(self):
        d = self.connect()
        d.cmd("EHLO c.example")
        self.assertEqual(d.cmd("MAIL FROM:<a@b.example> SIZE=999999999"),
                         "552 5.3.4 Message size exceeds fixed maximum message size")
        self.assertEqual(d.cmd("MAIL FROM:<a@b.example> SIZE=100"), "250 2.1.0 OK")
        d.close()

    def test_bdat_chunks(self):
        d = self.connect()
        d.cmd("EHLO c.example")
        d.cmd("MAIL FROM:<a@b.example> BODY=8BITMIME")
        d.cmd("RCPT TO:<bob@mx.test>")
        part1 = b"Subject: chunked\r\n\r\nfirst "
        part2 = b"second\r\n.not stuffed\r\n"
        d.send(b"BDAT %d\r\n" % len(part1) + part1)
        self.assertEqual(d.read_reply()[1][-1], "250 2.0.0 %d octets received" % len(part1))
        d.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
        self.assertRegex(d.read_reply()[1][-1], r"^250 2\.0\.0 OK: queued as")
        rows = self.server.mail_list("bob@mx.test")
        uid = [u for u, _, s in rows if s == "chunked"][0]
        body = self.server.mail_cat("bob@mx.test", uid)
        self.assertTrue(body.endswith(part1 + part2), body)
        d.close()

    def test_pipelined_transaction(self):
        d = self.connect()
        d.cmd("EHLO c.example")
        d.send("MAIL FROM:<a@b.example>\r\nRCPT TO:<bob@mx.test>\r\nRCPT TO:<nobody@mx.test>\r\nDATA\r\n")
        replies = [d.read_reply()[0] for _ in range(4)]
        self.assertEqual(replies, [250, 250, 550, 354])
        d.send("Subject: pipelined\r\n\r\nx\r\n.\r\nQUIT\r\n")
        self.assertEqual(d.read_reply()[0], 250)
        self.assertEqual(d.read_reply()[0], 221)
        self.assertTrue(d.closed())

    def test_received_and_return_path_headers(self):
        d = self.connect()
        d.cmd("EHLO trace.example")
        d.cmd("MAIL FROM:<alice@sender.example>")
        d.cmd("RCPT TO:<bob@mx.test>")
        d.cmd("DATA")
        reply = d.cmd("Subject: trace\r\n\r\nbody\r\n.")
        msg_id = reply.rsplit(" ", 1)[1]
        uid = [u for u, _, s in self.server.mail_list("bob@mx.test") if s == "trace"][0]
        raw = self.server.mail_cat("bob@mx.test", uid).decode()
        self.assertTrue(raw.startswith("Return-Path: <alice@sender.example>\r\nReceived: from trace.example ([127.0.0.1])\r\n"
                                       "\tby mx.test (ringmail) with ESMTP id " + msg_id + "\r\n\tfor <bob@mx.test>; "), raw)
        self.assertTrue(raw.endswith("Subject: trace\r\n\r\nbody\r\n"))


if __name__ == "__main__":
    unittest.main()

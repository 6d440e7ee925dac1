"""Memory a client can make the server spend. IMAP FETCH and POP3 RETR stream their replies,
so a client that reads a large mailbox slowly holds about one message in the server, not the
whole reply (the server's RSS is sampled while it reads); a fast reader gets every octet. SMTP
sessions share one budget of message octets in memory ([limits] message_memory): a message
that does not fit is read to its end and answered 452 4.3.1, MAIL with a SIZE that does not
fit too, while one that fits still gets 250, and a session that ends gives its share back."""

import imaplib
import poplib
import re
import smtplib
import socket
import ssl
import threading
import time
import unittest

from harness import Dialogue, Server

MIB = 1 << 20
PASSWORD = "memory-password-1"
USER = "alice@example.com"
PLAINTEXT = "[auth]\nallow_plaintext_auth = true"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class PeakRss:
    """The server's largest RSS (KiB) seen every 10 ms while the block runs."""

    def __init__(self, pid):
        self.pid, self.peak, self.running = pid, rss_kib(pid), True

    def __enter__(self):
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.01)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def message(n, size, dots=False):
    """About `size` octets with lines that differ per message; `dots`: every line starts with a
    dot, so POP3 stuffs each one (also across the server's 64 KiB pieces)."""
    first = "." if dots else ""
    line = (f"{first}{n:06d} " + "abcdefghijklmnopqrstuvwxyz0123456789" * 3)[:70] + "\r\n"
    head = f"From: <bob@outside.example>\r\nTo: <{USER}>\r\nSubject: big {n}\r\n\r\n"
    return (head + line * max(1, (size - len(head)) // len(line))).encode()


class ImapReader:
    """A raw IMAP client that reads responses with their literals."""

    def __init__(self, sock):
        self.sock, self.buf = sock, bytearray()

    def fill(self, n=65536):
        chunk = self.sock.recv(n)
        if not chunk:
            raise ConnectionError("closed")
        self.buf += chunk

    def line(self):
        start = 0
        while (end := self.buf.find(b"\r\n", start)) < 0:
            start = max(0, len(self.buf) - 1)
            self.fill()
        line = bytes(self.buf[:end])
        del self.buf[:end + 2]
        return line

    def octets(self, n):
        while len(self.buf) < n:
            self.fill(max(65536, n - len(self.buf)))
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def cmd(self, tag, text):
        """Sends `tag text`; reads (literals skipped) up to the tagged response, which is OK."""
        self.sock.sendall(f"{tag} {text}\r\n".encode())
        while True:
            line = self.line()
            if literal := re.search(rb"\{(\d+)\}$", line):
                self.octets(int(literal.group(1)))
            elif line.startswith(tag.encode() + b" "):
                assert line.startswith(tag.encode() + b" OK"), line
                return

    def login(self):
        self.cmd("a", f"LOGIN {USER} {PASSWORD}")
        self.cmd("b", "SELECT INBOX")
        return self


class ImapPop3Memory(unittest.TestCase):
    COUNT, SIZE = 10, 4 * MIB

    @classmethod
    def setUpClass(cls):
        cls.server = Server(shards=2, sections=PLAINTEXT).start()
        s = cls.server
        s.cli("domain", "add", "example.com")
        s.add_user(USER, PASSWORD)
        cls.ctx = ssl.create_default_context(cafile=s.cert_path)
        cls.bodies = [message(n, cls.SIZE, dots=n == 1) for n in range(cls.COUNT)] + [message(99, 2000)]
        with smtplib.SMTP("127.0.0.1", s.port, timeout=60) as c:
            for body in cls.bodies:
                c.sendmail("bob@outside.example", [USER], body)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def imap(self, rcvbuf=None):
        sock = socket.socket()
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", self.server.imap_port))
        r = ImapReader(sock)
        r.line()  # greeting
        return r.login()

    def settle(self):
        """Warms the server up (a fast FETCH of one large message) and returns its RSS."""
        r = self.imap()
        r.cmd("w", "FETCH 1 (BODY.PEEK[])")
        r.sock.close()
        time.sleep(0.5)
        return rss_kib(self.server.proc.pid)

    def test_a_slow_reader_of_a_large_mailbox_holds_about_one_message(self):
        before = self.settle()
        r = self.imap(rcvbuf=16 * 1024)
        with PeakRss(self.server.proc.pid) as rss:
            r.sock.sendall(b"f FETCH 1:* (BODY.PEEK[])\r\n")
            read, stop = 0, time.time() + 3
            while time.time() < stop:
                read += len(r.sock.recv(16 * 1024))
                time.sleep(0.005)
        r.sock.close()
        growth = (rss.peak - before) / 1024
        mailbox = self.COUNT * self.SIZE / MIB
        self.assertGreater(read, self.SIZE, "the reader got past the first message")
        self.assertLess(read, self.COUNT * self.SIZE // 2, "the reader was slow")
        # Building the reply whole costs the mailbox twice over (bodies and output).
        self.assertLess(growth, 24, f"RSS grew {growth:.0f} MiB for a slow FETCH of a {mailbox:.0f} MiB mailbox")
        self.assertEqual(self.server.proc.poll(), None)

    def test_a_fast_reader_gets_every_octet_of_every_message(self):
        sock = self.ctx.wrap_socket(socket.create_connection(("127.0.0.1", self.server.imaps_port), timeout=30),
                                    server_hostname="mx.test")
        r = ImapReader(sock)
        r.line()
        r.login()
        sock.sendall(b"f FETCH 1:* (UID RFC822.SIZE BODY.PEEK[] FLAGS)\r\n")
        for n, sent in enumerate(self.bodies, start=1):
            head = r.line()
            m = re.fullmatch(rb"\* (\d+) FETCH \(UID (\d+) RFC822.SIZE (\d+) BODY\[\] \{(\d+)\}", head)
            self.assertIsNotNone(m, head)
            self.assertEqual(int(m.group(1)), n)
            self.assertEqual(m.group(3), m.group(4), "the literal is the whole message")
            body = r.octets(int(m.group(4)))
            self.assertTrue(body.endswith(sent), f"message {n} arrived byte-exact")
            self.assertRegex(r.line(), rb"^ FLAGS \([^)]*\)\)$", "the items after the literal follow it")
        self.assertTrue(r.line().startswith(b"f OK"))
        # Partial and BINARY fetches of a large message take the same path.
        sock.sendall(b"p FETCH 3 (BODY.PEEK[]<1000.3000000> BINARY.PEEK[])\r\n")
        head = r.line()
        self.assertTrue(head.endswith(b"BODY[]<1000> {3000000}"), head)
        whole = self.stored(3)
        self.assertEqual(r.octets(3000000), whole[1000:3001000])
        self.assertEqual(r.line(), b" BINARY[] {%d}" % len(whole))
        self.assertEqual(r.octets(len(whole)), whole)
        self.assertEqual(r.line(), b")")
        self.assertTrue(r.line().startswith(b"p OK"))
        sock.close()

    def stored(self, n):
        """Message `n` as stored, through a second connection."""
        other = self.imap()
        other.sock.sendall(b"s FETCH %d (BODY.PEEK[])\r\n" % n)
        size = int(re.search(rb"\{(\d+)\}$", other.line()).group(1))
        body = other.octets(size)
        other.sock.close()
        return body

    def test_pop3_retr_streams_byte_stuffed_and_exact(self):
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=30)
        p.user(USER)
        p.pass_(PASSWORD)
        for n in (1, 2, len(self.bodies)):  # message 2 has a dot at the start of every line
            resp, lines, _ = p.retr(n)
            got = b"\r\n".join(lines) + b"\r\n"
            self.assertTrue(got.endswith(self.bodies[n - 1]), f"RETR {n} unstuffs to the message")
            self.assertEqual(resp, b"+OK %d octets" % len(got))
        _, lines, _ = p.top(2, 3)
        self.assertEqual(lines[-3:], [line.rstrip(b"\r") for line in self.bodies[1].split(b"\n")[4:7]])
        p.quit()

    def test_pop3_slow_retr_holds_about_one_message(self):
        before = self.settle()
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        sock.settimeout(30)
        sock.connect(("127.0.0.1", self.server.pop3_port))
        sock.sendall(f"USER {USER}\r\nPASS {PASSWORD}\r\n".encode())
        replies = b""
        while replies.count(b"\r\n") < 3:
            replies += sock.recv(4096)
        self.assertIn(b"Logged in", replies)
        with PeakRss(self.server.proc.pid) as rss:
            sock.sendall(b"".join(b"RETR %d\r\n" % n for n in range(1, self.COUNT + 1)))
            stop = time.time() + 2
            while time.time() < stop:
                sock.recv(16 * 1024)
                time.sleep(0.005)
        sock.close()
        growth = (rss.peak - before) / 1024
        self.assertLess(growth, 24, f"RSS grew {growth:.0f} MiB for slow pipelined RETRs")


def code(d, line):
    """The reply code to a command line sent over the Dialogue `d`."""
    return int(d.cmd(line)[:3])


class SmtpMessageMemory(unittest.TestCase):
    BUDGET = 2 * MIB

    @classmethod
    def setUpClass(cls):
        # Parts larger than any message here: these messages are held in memory as they arrive
        # (test_message_parts.py has the ones that go to the store in parts).
        limits = {"message_memory": cls.BUDGET, "message_part_size": 16 * MIB}
        cls.server = Server(shards=2, limits=limits).start()
        cls.server.cli("domain", "add", "example.com")
        cls.server.add_user(USER, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_imap_append_literals_share_the_budget(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.imap_port, timeout=30)
        m.host = "mx.test"
        m.starttls(ssl_context=ssl.create_default_context(cafile=self.server.cert_path))
        m.login(USER, PASSWORD)
        big = b"Subject: too big for the budget\r\n\r\n" + b"x" * (self.BUDGET + MIB) + b"\r\n"
        typ, data = m.append("INBOX", None, None, big)
        self.assertEqual(typ, "NO")
        self.assertIn(b"[UNAVAILABLE]", data[0])
        # Control: what fits is appended, and each append gives its octets back.
        for n in range(3):
            fits = f"Subject: fits {n}\r\n\r\n".encode() + b"y" * MIB + b"\r\n"
            self.assertEqual(m.append("INBOX", None, None, fits)[0], "OK")
        m.select("INBOX", readonly=True)
        typ, data = m.search(None, "SUBJECT", '"fits"')
        self.assertEqual(len(data[0].split()), 3)
        m.logout()

    def session(self):
        d = Dialogue(self.server.port, timeout=30)
        self.assertEqual(d.read_reply()[0], 220)
        self.assertEqual(code(d, "EHLO client.example"), 250)
        return d

    def open_data(self, d, mail="MAIL FROM:<bob@outside.example>"):
        self.assertEqual(code(d, mail), 250)
        self.assertEqual(code(d, f"RCPT TO:<{USER}>"), 250)
        self.assertEqual(code(d, "DATA"), 354)

    def send_message(self, d, size):
        """A whole transaction; returns the final reply."""
        self.open_data(d)
        d.send(message(size, size) + b".\r\n")
        return d.read_reply()

    def test_a_message_over_the_budget_gets_452_and_a_small_one_250(self):
        d = self.session()
        reply, lines = self.send_message(d, 3 * MIB)
        self.assertEqual(reply, 452, lines)
        self.assertIn("4.3.1", lines[0])
        self.assertEqual(self.send_message(d, 5000)[0], 250, "the budget was given back; in step with the stream")
        self.assertEqual(code(d, "NOOP"), 250)
        d.close()

    def test_a_size_that_does_not_fit_is_refused_at_mail(self):
        d = self.session()
        self.assertTrue(d.cmd("MAIL FROM:<bob@outside.example> SIZE=3000000").startswith("452 4.3.1"))
        self.assertEqual(code(d, "MAIL FROM:<bob@outside.example> SIZE=3000"), 250)
        d.close()
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
                c.sendmail("bob@outside.example", [USER], message(1, 3 * MIB))
            self.assertEqual(refused.exception.smtp_code, 452)
            c.sendmail("bob@outside.example", [USER], message(2, 5000))

    def test_bdat_over_the_budget_gets_452_and_stays_in_step(self):
        d = self.session()
        self.assertEqual(code(d, "MAIL FROM:<bob@outside.example>"), 250)
        self.assertEqual(code(d, f"RCPT TO:<{USER}>"), 250)
        chunk = message(7, 2 * MIB)[:MIB]
        d.send(b"BDAT %d\r\n" % MIB + chunk)
        self.assertEqual(d.read_reply()[0], 250)
        d.send(b"BDAT %d\r\n" % MIB + chunk + b"BDAT %d LAST\r\n" % MIB + chunk)
        self.assertEqual(d.read_reply()[0], 250)
        reply, lines = d.read_reply()
        self.assertEqual((reply, lines[0][4:9]), (452, "4.3.1"))
        small = message(8, 3000)
        self.assertEqual(code(d, "MAIL FROM:<bob@outside.example>"), 250)
        self.assertEqual(code(d, f"RCPT TO:<{USER}>"), 250)
        d.send(b"BDAT %d LAST\r\n" % len(small) + small)
        self.assertEqual(d.read_reply()[0], 250)
        d.close()

    def test_the_budget_is_shared_and_given_back_when_a_session_ends(self):
        a = self.session()
        self.open_data(a)
        a.send(message(3, 1536 * 1024))  # held, not finished
        time.sleep(0.5)
        b = self.session()
        self.assertEqual(code(b, "MAIL FROM:<bob@outside.example> SIZE=1000000"), 452, "the other session's octets count")
        reply, lines = self.send_message(b, MIB)
        self.assertEqual(reply, 452, lines)
        a.send(b".\r\n")
        self.assertEqual(a.read_reply()[0], 250)
        self.assertEqual(self.send_message(b, MIB)[0], 250)
        # A session that hangs up in the middle of DATA gives its share back too.
        self.open_data(a)
        a.send(message(4, 1536 * 1024))
        time.sleep(0.3)
        a.close()
        time.sleep(0.3)
        self.assertEqual(self.send_message(b, 1536 * 1024)[0], 250)
        b.close()


if __name__ == "__main__":
    unittest.main()

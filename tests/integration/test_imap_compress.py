"""COMPRESS=DEFLATE (RFC 4978) with a client that speaks it through Python's zlib (raw DEFLATE,
a sync flush after each command, as the RFC's example client does): after `OK DEFLATE active`
both directions are compressed, a command pipelined right behind COMPRESS is read as
compressed, a message fetched arrives whole, a second COMPRESS is refused with
COMPRESSIONACTIVE and an unknown mechanism with BAD."""

import re
import smtplib
import socket
import unittest
import zlib

from harness import OneAccount
from test_imap import message



class Compressed:
    """An IMAP client over TLS that turns DEFLATE on."""

    def __init__(self, port, context):
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock = context.wrap_socket(sock, server_hostname="mx.test")
        self.inflate = None
        self.deflate = None
        self.buf = b""
        self.raw_in = 0
        self.line()

    def send(self, text):
        data = text.encode() if isinstance(text, str) else text
        if self.deflate:
            data = self.deflate.compress(data) + self.deflate.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.raw_in += len(chunk)
            self.buf += self.inflate.decompress(chunk) if self.inflate else chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        literal = re.search(rb"\{(\d+)\}$", line)
        if not literal:
            return line.decode("latin-1")
        n = int(literal.group(1))
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            self.raw_in += len(chunk)
            self.buf += self.inflate.decompress(chunk) if self.inflate else chunk
        octets, self.buf = self.buf[:n], self.buf[n:]
        return (line + b"\r\n" + octets).decode("latin-1") + self.line()

    def until(self, tag):
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].startswith(tag + " "):
                return lines

    def cmd(self, tag, text):
        self.send(f"{tag} {text}\r\n")
        return self.until(tag)

    def start(self, pipelined=b""):
        """COMPRESS DEFLATE, with `pipelined` (plain) sent compressed right behind it."""
        self.deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
        behind = self.deflate.compress(pipelined) + self.deflate.flush(zlib.Z_SYNC_FLUSH) if pipelined else b""
        self.sock.sendall(b"z COMPRESS DEFLATE\r\n" + behind)
        # The OK itself is not compressed; what follows it is.
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        ok, rest = self.buf.split(b"\r\n", 1)
        self.inflate = zlib.decompressobj(-15)
        self.buf = self.inflate.decompress(rest)
        return ok.decode()


class CompressTest(OneAccount):
    USER = "erin@example.com"
    PASSWORD = "compress-password-1"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.body = ("The same line, over and over, compresses well.\r\n" * 2000)
        with smtplib.SMTP("127.0.0.1", cls.server.port, timeout=30) as c:
            c.sendmail("bob@outside.example", [cls.USER], message("compressible", body=cls.body))

    def client(self):
        c = Compressed(self.server.imaps_port, self.ctx)
        self.assertNotIn("COMPRESS=DEFLATE", c.cmd("c0", "CAPABILITY")[0], "not before login")
        lines = c.cmd("L", f"LOGIN {self.USER} {self.PASSWORD}")
        self.assertIn("COMPRESS=DEFLATE", lines[-1])
        return c

    def test_both_directions_are_compressed_after_ok(self):
        c = self.client()
        self.assertEqual(c.start(pipelined=b"n NOOP\r\n"), "z OK DEFLATE active")
        self.assertEqual(c.until("n")[-1], "n OK NOOP completed", "the pipelined command was inflated")
        self.assertIn("* 1 EXISTS", c.cmd("s", "SELECT INBOX"))
        before = c.raw_in
        fetched = "\n".join(c.cmd("f", "FETCH 1 BODY.PEEK[TEXT]"))
        self.assertIn(self.body, fetched, "the message arrives whole")
        self.assertLess(c.raw_in - before, len(self.body) / 10, "the reply came compressed")
        self.assertIn("[COMPRESSIONACTIVE]", c.cmd("z2", "COMPRESS DEFLATE")[-1])
        self.assertEqual(c.cmd("o", "LOGOUT")[-1], "o OK LOGOUT completed")

    def test_an_unknown_mechanism_is_refused_and_nothing_changes(self):
        c = self.client()
        self.assertTrue(c.cmd("z", "COMPRESS X-SNAPPY")[-1].startswith("z BAD"))
        self.assertEqual(c.cmd("n", "NOOP")[-1], "n OK NOOP completed", "still uncompressed")


if __name__ == "__main__":
    unittest.main()

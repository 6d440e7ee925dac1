"""UTF8=ACCEPT (RFC 6855) and IMAP4rev2's UTF-8 mailbox names: a client that enables either
sends and sees names in UTF-8, an IMAP4rev1 client sees the same mailboxes in modified UTF-7
(RFC 3501 5.1.3, the RFC's own example name), and `APPEND ... UTF8 (~{n})` stores a message
whose header fields are UTF-8."""

import unittest

from harness import OneAccount
from test_imap import Raw

RFC_NAME = "~peter/mail/\u53f0\u5317/\u65e5\u672c\u8a9e"
RFC_MUTF7 = "~peter/mail/&U,BTFw-/&ZeVnLIqe-"


def utf8(lines):
    """Lines as the test client reads them (latin-1) back as the UTF-8 the server sent."""
    return [line.encode("latin-1").decode("utf-8") for line in lines]


def listed(lines):
    return [line.split('"/" ', 1)[1] for line in utf8(lines) if line.startswith("* LIST")]


class Utf8Test(OneAccount):
    USER = "fay@example.com"
    PASSWORD = "utf8-password-1"

    def raw(self, enable=None):
        r = Raw(self.server.imaps_port, self.ctx)
        lines = r.cmd("L", f"LOGIN {self.USER} {self.PASSWORD}")
        self.assertIn("UTF8=ACCEPT", lines[-1])
        if enable:
            self.assertEqual(r.cmd("E", f"ENABLE {enable}")[0], f"* ENABLED {enable}")
        return r

    def send(self, r, tag, text):
        """`text` in UTF-8 (a literal for what is not ASCII)."""
        r.sock.sendall(f"{tag} {text}\r\n".encode())
        return r.until(tag)

    def test_both_kinds_of_client_see_the_same_mailboxes(self):
        old = self.raw()
        self.assertTrue(old.cmd("c", f"CREATE {RFC_MUTF7}")[-1].startswith("c OK"))
        self.assertTrue(old.cmd("c2", 'CREATE "Gr&APw-n"')[-1].startswith("c2 OK"))
        new = self.raw("UTF8=ACCEPT")
        names = listed(self.send(new, "l", 'LIST "" "*"'))
        self.assertTrue(any(RFC_NAME in n for n in names), names)
        self.assertTrue(any("Gr\u00fcn" in n for n in names), names)
        self.assertIn("* 0 EXISTS", self.send(new, "s", f'SELECT "{RFC_NAME}"'))
        self.assertTrue(self.send(new, "c", 'CREATE "Caf\u00e9 & Cr\u00e8me"')[-1].startswith("c OK"))
        old_names = listed(old.cmd("l", 'LIST "" "*"'))
        self.assertIn("Caf&AOk- &- Cr&AOg-me", " ".join(old_names), old_names)
        self.assertFalse(any("\u00e9" in n for n in old_names), "a rev1 client never sees UTF-8 names")
        status = self.send(new, "st", 'STATUS "Caf\u00e9 & Cr\u00e8me" (MESSAGES)')
        self.assertIn("Caf\u00e9 & Cr\u00e8me", utf8(status)[0])
        rev2 = self.raw("IMAP4rev2")
        self.assertTrue(any("Gr\u00fcn" in n for n in listed(self.send(rev2, "l", 'LIST "" "Gr*"'))))

    def test_append_utf8_stores_utf8_header_fields(self):
        new = self.raw("UTF8=ACCEPT")
        message = "From: J\u00f6rg <j@example.org>\r\nSubject: Gr\u00fc\u00dfe aus K\u00f6ln\r\n\r\nHallo\r\n".encode()
        new.sock.sendall(b"a APPEND INBOX UTF8 (~{%d+}\r\n" % len(message) + message + b")\r\n")
        self.assertTrue(new.until("a")[-1].startswith("a OK [APPENDUID"))
        self.send(new, "s", "SELECT INBOX")
        raw = new.sock
        raw.sendall(b"f FETCH * BODY.PEEK[HEADER.FIELDS (SUBJECT)]\r\n")
        fetched = new.until("f")
        text = "\n".join(fetched).encode("latin-1").decode("utf-8")
        self.assertIn("Subject: Gr\u00fc\u00dfe aus K\u00f6ln", text)


if __name__ == "__main__":
    unittest.main()

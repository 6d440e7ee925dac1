"""CATENATE (RFC 4469) as the RFC's example uses it: a client edits a draft on the server by
appending a new message made of URLs of the old one's header and parts (RFC 5092 IMAP URLs,
by UIDVALIDITY, UID and section) and TEXT literals of its own, without downloading the body.
The result is exactly those octets joined; a URL that names nothing is `NO [BADURL ...]` and
appends nothing; a relative URL names the selected mailbox."""

import re
import unittest

from harness import OneAccount
from test_imap import Raw

HEADER = ("From: Hal <hal@example.com>\r\nTo: ann@example.org\r\nSubject: draft\r\nMIME-Version: 1.0\r\n"
          "Content-Type: multipart/mixed; boundary=\"XX\"\r\n\r\n")
PART1 = "Content-Type: text/plain\r\n\r\nThe first version of the text.\r\n"
PART2 = "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJDREVGRw==\r\n"
DRAFT = HEADER + "--XX\r\n" + PART1 + "--XX\r\n" + PART2 + "--XX--\r\n"


class CatenateTest(OneAccount):
    USER = "hal@example.com"
    PASSWORD = "catenate-password-1"

    def draft(self, r):
        r.send(f"d APPEND Drafts (\\Draft) {{{len(DRAFT)}+}}\r\n{DRAFT}\r\n")
        done = r.until("d")[-1]
        validity, uid = re.search(r"APPENDUID (\d+) (\d+)", done).groups()
        return validity, uid

    def fetch_last(self, r, mailbox):
        r.cmd("s", f"SELECT {mailbox}")
        lines = r.cmd("f", "FETCH * BODY.PEEK[]")
        return re.search(r"BODY\[\] \{\d+\}\r\n(.*)\)$", "\n".join(lines[:-1]), re.S).group(1)

    def test_a_draft_is_rebuilt_from_its_parts_on_the_server(self):
        r = Raw(self.server.imaps_port, self.ctx)
        self.assertIn(" CATENATE", r.cmd("L", f"LOGIN {self.USER} {self.PASSWORD}")[-1])
        validity, uid = self.draft(r)
        base = f"/Drafts;UIDVALIDITY={validity}/;UID={uid}"
        new_text = "Content-Type: text/plain\r\n\r\nThe second version of the text.\r\n"
        sep = "--XX\r\n"
        r.send(f'c APPEND Drafts (\\Draft) CATENATE (URL "{base}/;section=HEADER" TEXT {{{len(sep)}+}}\r\n{sep}'
               f' TEXT {{{len(new_text + sep)}+}}\r\n{new_text + sep}'
               f' URL "{base}/;section=2.MIME" URL "{base}/;section=2" TEXT {{10+}}\r\n\r\n--XX--\r\n)\r\n')
        self.assertTrue(r.until("c")[-1].startswith("c OK [APPENDUID"))
        rebuilt = self.fetch_last(r, "Drafts")
        expected = HEADER + sep + new_text + sep + PART2 + "--XX--\r\n"
        self.assertEqual(rebuilt, expected, "the old header and attachment around the new text")
        # Relative to the selected mailbox, with a partial range.
        r.send(f'p APPEND Drafts CATENATE (URL ";UID={uid}/;section=1/;partial=4.5")\r\n')
        self.assertTrue(r.until("p")[-1].startswith("p OK"))
        self.assertEqual(self.fetch_last(r, "Drafts"), "first")
        r.close()

    def test_a_url_that_names_nothing_appends_nothing(self):
        r = Raw(self.server.imaps_port, self.ctx)
        r.cmd("L", f"LOGIN {self.USER} {self.PASSWORD}")
        r.cmd("c", "CREATE Empty")
        validity, uid = self.draft(r)
        for url in (f"/Drafts;UIDVALIDITY={validity}/;UID={int(uid) + 1000}",
                    f"/Drafts;UIDVALIDITY={int(validity) + 1}/;UID={uid}",
                    f"/Drafts;UIDVALIDITY={validity}/;UID={uid}/;section=9",
                    "/Nowhere/;UID=1"):
            r.send(f'b APPEND Empty CATENATE (TEXT {{3+}}\r\nabc URL "{url}")\r\n')
            self.assertIn("[BADURL", r.until("b")[-1], url)
        self.assertIn("* 0 EXISTS", r.cmd("x", "EXAMINE Empty"), "nothing appended")
        # Control: the same with a good URL is stored.
        r.send(f'g APPEND Empty CATENATE (TEXT {{3+}}\r\nabc URL "/Drafts;UIDVALIDITY={validity}/;UID={uid}")\r\n')
        self.assertTrue(r.until("g")[-1].startswith("g OK"))
        r.close()


if __name__ == "__main__":
    unittest.main()

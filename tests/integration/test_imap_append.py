"""MULTIAPPEND (RFC 3502) with the RFC's own dialogue: one APPEND carries several messages,
each with its flags and date, over synchronizing and non-synchronizing literals; every message
is stored, in order with consecutive UIDs (one APPENDUID uid-set, RFC 4315), or none is."""

import re
import unittest

from harness import OneAccount
from test_imap import Raw

FIRST = ("Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\n"
         "Subject: afternoon meeting\r\nTo: mooch@owatagu.example\r\n\r\n"
         "Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n")
SECOND = ("Date: Mon, 7 Feb 1994 22:43:04 -0800 (PST)\r\nFrom: Joe Mooch <mooch@OWaTaGu.example>\r\n"
          "Subject: Re: afternoon meeting\r\nTo: foobar@blurdybloop.example\r\n\r\n"
          "3:30 is fine with me.\r\n")


class MultiappendTest(OneAccount):
    USER = "dora@example.com"
    PASSWORD = "append-password-1"

    def raw(self):
        r = Raw(self.server.imaps_port, self.ctx)
        lines = r.cmd("L", f"LOGIN {self.USER} {self.PASSWORD}")
        self.assertIn(" MULTIAPPEND", lines[-1], "advertised once logged in")
        return r

    def test_the_rfc_3502_example_stores_both_messages_in_one_append(self):
        r = self.raw()
        r.cmd("c", "CREATE saved-messages")
        # RFC 3502 section 6: the client waits for "+" before each synchronizing literal.
        r.send(f"A003 APPEND saved-messages (\\Seen) {{{len(FIRST)}}}\r\n")
        self.assertTrue(r.line().startswith("+"))
        r.send(FIRST + f' (\\Seen) "07-Feb-1994 22:43:04 -0800" {{{len(SECOND)}}}\r\n')
        self.assertTrue(r.line().startswith("+"))
        r.send(SECOND + "\r\n")
        done = r.until("A003")[-1]
        found = re.match(r"A003 OK \[APPENDUID (\d+) (\d+):(\d+)\]", done)
        self.assertTrue(found, done)
        first, last = int(found.group(2)), int(found.group(3))
        self.assertEqual(last, first + 1, "consecutive UIDs")
        lines = r.cmd("s", "SELECT saved-messages")
        self.assertIn("* 2 EXISTS", lines)
        fetched = r.cmd("f", "UID FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        text = "\n".join(fetched)
        self.assertIn(f"UID {first} ", re.search(r"\* 1 FETCH .*", text).group(0))
        # The same instant as the date given (the zone is not kept).
        self.assertIn('INTERNALDATE " 8-Feb-1994 06:43:04 +0000"', text, "the second message's date")
        self.assertEqual(len(re.findall(r"FLAGS \(\\Seen[ )]", text)), 2, text)
        self.assertLess(text.index("Subject: afternoon meeting"), text.index("Subject: Re: afternoon meeting"))
        r.close()

    def test_one_bad_message_stores_none(self):
        r = self.raw()
        r.cmd("c", "CREATE atomic")
        r.send(f"B1 APPEND atomic {{{len(FIRST)}+}}\r\n{FIRST} {{0+}}\r\n\r\n")
        self.assertTrue(r.until("B1")[-1].startswith("B1 NO"), "an empty message is refused")
        self.assertIn("* 0 EXISTS", r.cmd("s", "EXAMINE atomic"), "and the first was not stored either")
        # Control: the same first message alone is stored.
        r.send(f"B2 APPEND atomic {{{len(FIRST)}+}}\r\n{FIRST}\r\n")
        self.assertTrue(r.until("B2")[-1].startswith("B2 OK [APPENDUID"))
        r.send(f"B3 APPEND nowhere {{{len(FIRST)}+}}\r\n{FIRST} {{{len(SECOND)}+}}\r\n{SECOND}\r\n")
        self.assertIn("[TRYCREATE]", r.until("B3")[-1])
        r.close()


if __name__ == "__main__":
    unittest.main()

"""SAVEDATE (RFC 8514): the date a message was saved into its mailbox, apart from its internal
date. A message APPENDed with a date in 1994 keeps that INTERNALDATE while its SAVEDATE is now;
a COPY gets a save date of its own; SAVEDBEFORE/SAVEDON/SAVEDSINCE search by it (BEFORE, the
control, still by the internal date), and SAVEDATESUPPORTED matches every message."""

import datetime
import re
import time
import unittest

from harness import OneAccount
from test_imap import Raw

MESSAGE = "Subject: old news\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nfrom 1994\r\n"


def imap_day(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%d-%b-%Y")


class SavedateTest(OneAccount):
    USER = "gus@example.com"
    PASSWORD = "savedate-password-1"

    def test_save_dates_are_kept_apart_from_internal_dates(self):
        r = Raw(self.server.imaps_port, self.ctx)
        self.assertIn(" SAVEDATE", r.cmd("L", f"LOGIN {self.USER} {self.PASSWORD}")[-1])
        r.cmd("c", "CREATE Archive")
        before = time.time()
        r.send(f'a APPEND INBOX "07-Feb-1994 21:52:25 -0800" {{{len(MESSAGE)}+}}\r\n{MESSAGE}\r\n')
        self.assertTrue(r.until("a")[-1].startswith("a OK"))
        r.cmd("s", "SELECT INBOX")
        line = r.cmd("f", "FETCH 1 (INTERNALDATE SAVEDATE)")[0]
        self.assertIn('INTERNALDATE " 8-Feb-1994 05:52:25 +0000"', line)
        saved = re.search(r'SAVEDATE "([^"]+)"', line)
        self.assertTrue(saved, line)
        when = datetime.datetime.strptime(saved.group(1).strip(), "%d-%b-%Y %H:%M:%S %z").timestamp()
        self.assertLessEqual(abs(when - before), 5, "saved now, not in 1994")
        today, yesterday = imap_day(before), imap_day(before - 86400)
        self.assertEqual(r.cmd("q1", f"SEARCH SAVEDON {today}")[0], "* SEARCH 1")
        self.assertEqual(r.cmd("q2", f"SEARCH SAVEDSINCE {yesterday}")[0], "* SEARCH 1")
        self.assertEqual(r.cmd("q3", f"SEARCH SAVEDBEFORE {today}")[0], "* SEARCH")
        self.assertEqual(r.cmd("q4", f"SEARCH BEFORE {yesterday}")[0], "* SEARCH 1", "control: the internal date")
        self.assertEqual(r.cmd("q5", "SEARCH SAVEDATESUPPORTED")[0], "* SEARCH 1")
        time.sleep(1.1)
        r.cmd("cp", "COPY 1 Archive")
        r.cmd("s2", "SELECT Archive")
        copy = r.cmd("f2", "FETCH 1 (INTERNALDATE SAVEDATE)")[0]
        self.assertIn('INTERNALDATE " 8-Feb-1994 05:52:25 +0000"', copy, "a copy keeps the internal date")
        self.assertNotEqual(re.search(r'SAVEDATE "([^"]+)"', copy).group(1), saved.group(1),
                            "and is saved when it was copied")
        r.close()


if __name__ == "__main__":
    unittest.main()

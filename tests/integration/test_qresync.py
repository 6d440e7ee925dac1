"""QRESYNC (RFC 7162 3.2) with scripted dialogues: after ENABLE QRESYNC, `SELECT ... (QRESYNC
(uidvalidity modseq [known-uids]))` tells a returning client what went (`VANISHED (EARLIER)`)
and what changed (FETCH with MODSEQ) since its modseq, expunges come as `VANISHED` with the
new HIGHESTMODSEQ on EXPUNGE's OK, and `UID FETCH ... (CHANGEDSINCE n VANISHED)` reports
what went among the UIDs asked about. The expunge tombstones live in RocksDB: they survive a
restart, and once swept (`[imap] keep_vanished_days`) the client is told every UID the mailbox
no longer holds, never less."""

import re
import smtplib
import ssl
import time
import unittest

from harness import Server
from test_imap import Raw, message

PASSWORD = "qresync-password-1"
USER = "carol@example.com"


def number(pattern, lines):
    for line in lines:
        found = re.search(pattern, line)
        if found:
            return int(found.group(1))
    raise AssertionError(f"{pattern} not in {lines}")


def changes(lines):
    """The VANISHED and FETCH responses of a reply."""
    return [line for line in lines if line.startswith("* VANISHED") or re.match(r"\* \d+ FETCH ", line)]


class QresyncServer(unittest.TestCase):
    imap_extra = ""

    @classmethod
    def setUpClass(cls):
        cls.server = Server(shards=2, imap_extra=cls.imap_extra).start()
        cls.server.cli("domain", "add", "example.com")
        cls.server.add_user(USER, PASSWORD)
        cls.ctx = ssl.create_default_context(cafile=cls.server.cert_path)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def deliver(self, count, prefix):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            for i in range(count):
                c.sendmail("bob@outside.example", [USER], message(f"{prefix} {i}"))

    def raw(self, qresync=True):
        r = Raw(self.server.imaps_port, self.ctx)
        self.assertEqual(r.cmd("L", f"LOGIN {USER} {PASSWORD}")[-1][:4], "L OK")
        if qresync:
            self.assertEqual(r.cmd("E", "ENABLE QRESYNC"), ["* ENABLED QRESYNC", "E OK ENABLE completed"])
        return r

    def mailbox(self, name, count):
        """A fresh mailbox of `count` messages: its UIDVALIDITY and HIGHESTMODSEQ."""
        r = self.raw(qresync=False)
        self.assertTrue(r.cmd("c", f"CREATE {name}")[-1].startswith("c OK"))
        r.cmd("s", "SELECT INBOX")
        r.cmd("d", r"STORE 1:* +FLAGS.SILENT (\Deleted)")
        r.cmd("x", "EXPUNGE")
        self.deliver(count, name)
        r.cmd("m", f"MOVE 1:* {name}")
        lines = r.cmd("s2", f"SELECT {name}")
        self.assertIn(f"* {count} EXISTS", lines)
        r.close()
        return number(r"UIDVALIDITY (\d+)", lines), number(r"HIGHESTMODSEQ (\d+)", lines)


class QresyncTest(QresyncServer):
    def test_select_tells_a_returning_client_what_went_and_what_changed(self):
        uv, before = self.mailbox("Resync", 10)
        # Someone else (no QRESYNC) expunges UIDs 3 and 7 and flags UID 4.
        other = self.raw(qresync=False)
        other.cmd("s", "SELECT Resync")
        other.cmd("d", r"UID STORE 3,7 +FLAGS.SILENT (\Deleted)")
        self.assertEqual(other.cmd("x", "EXPUNGE"), ["* 7 EXPUNGE", "* 3 EXPUNGE", "x OK EXPUNGE completed"])
        other.cmd("f", r"UID STORE 4 +FLAGS.SILENT (\Flagged)")
        latest = number(r"HIGHESTMODSEQ (\d+)", other.cmd("s2", "SELECT Resync"))
        other.close()

        r = self.raw()
        # Without ENABLE QRESYNC first, the parameter is refused (RFC 7162 3.2.5).
        plain = self.raw(qresync=False)
        self.assertEqual(plain.cmd("q", f"SELECT Resync (QRESYNC ({uv} {before}))")[-1][:5], "q BAD")
        plain.close()

        lines = r.cmd("q1", f"SELECT Resync (QRESYNC ({uv} {before}))")
        self.assertEqual(lines[-1], "q1 OK [READ-WRITE] SELECT completed")
        self.assertIn("* 8 EXISTS", lines)
        self.assertEqual(changes(lines), ["* VANISHED (EARLIER) 3,7",
                                          rf"* 3 FETCH (UID 4 FLAGS (\Flagged) MODSEQ ({latest}))"])
        self.assertLess(lines.index("* VANISHED (EARLIER) 3,7"), len(lines) - 1)
        # Selecting again from the modseq it now has: nothing to tell. CLOSED comes first.
        lines = r.cmd("q2", f"SELECT Resync (QRESYNC ({uv} {latest}))")
        self.assertEqual(lines[0], "* OK [CLOSED] Previous mailbox closed")
        self.assertEqual(changes(lines), [])
        # Another UIDVALIDITY: the client's cache is void, nothing is resynchronised.
        self.assertEqual(changes(r.cmd("q3", f"SELECT Resync (QRESYNC ({uv + 1} {before}))")), [])
        # Known UIDs narrow both VANISHED and FETCH (RFC 7162 3.2.5's known-uids).
        self.assertEqual(changes(r.cmd("q4", f"EXAMINE Resync (QRESYNC ({uv} {before} 5:7))")),
                         ["* VANISHED (EARLIER) 7"])
        self.assertEqual(changes(r.cmd("q5", f"EXAMINE Resync (QRESYNC ({uv} {before} 1:4 (1,3 1,4)))")),
                         ["* VANISHED (EARLIER) 3", rf"* 3 FETCH (UID 4 FLAGS (\Flagged) MODSEQ ({latest}))"])
        r.close()

    def test_expunges_come_as_vanished_and_uid_fetch_reports_what_went(self):
        uv, before = self.mailbox("Vanish", 6)
        r = self.raw()
        watcher = self.raw()
        r.cmd("s", "SELECT Vanish")
        watcher.cmd("s", "SELECT Vanish")
        r.cmd("d", r"UID STORE 1:3 +FLAGS.SILENT (\Deleted)")
        lines = r.cmd("x", "UID EXPUNGE 1:3")
        self.assertEqual(lines[0], "* VANISHED 1:3")
        after_first = number(r"x OK \[HIGHESTMODSEQ (\d+)\]", lines)
        self.assertGreater(after_first, before)
        # The other QRESYNC session hears of it as VANISHED too, and its message numbers follow.
        lines = watcher.cmd("n", "NOOP")
        self.assertEqual(lines, ["* VANISHED 1:3", "n OK NOOP completed"])
        self.assertRegex(watcher.cmd("u", "FETCH 1 (UID)")[0], r"^\* 1 FETCH \(UID 4 MODSEQ \(\d+\)\)$")
        r.cmd("d2", r"UID STORE 5 +FLAGS.SILENT (\Deleted)")
        second = number(r"x2 OK \[HIGHESTMODSEQ (\d+)\]", r.cmd("x2", "EXPUNGE"))
        watcher.cmd("n2", "NOOP")

        # RFC 7162 3.2.6: UID FETCH (CHANGEDSINCE m VANISHED) within the UIDs asked about.
        self.assertEqual(changes(r.cmd("f1", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before} VANISHED)")),
                         ["* VANISHED (EARLIER) 1:3,5"])
        self.assertEqual(changes(r.cmd("f2", f"UID FETCH 2:5 (FLAGS) (CHANGEDSINCE {after_first} VANISHED)")),
                         ["* VANISHED (EARLIER) 5"])
        self.assertEqual(r.cmd("f3", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {second} VANISHED)"),
                         ["f3 OK FETCH completed"])
        # A flag change shows beside what went.
        r.cmd("t", r"UID STORE 6 +FLAGS.SILENT (\Seen)")
        lines = changes(r.cmd("f4", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {after_first} VANISHED)"))
        self.assertEqual(lines[0], "* VANISHED (EARLIER) 5")
        self.assertRegex(lines[1], r"^\* 2 FETCH \(UID 6 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$")
        # VANISHED needs UID FETCH and CHANGEDSINCE, and QRESYNC enabled.
        self.assertEqual(r.cmd("b1", f"FETCH 1:* (FLAGS) (CHANGEDSINCE {before} VANISHED)")[-1][:6], "b1 BAD")
        self.assertEqual(r.cmd("b2", "UID FETCH 1:* (FLAGS) (VANISHED)")[-1][:6], "b2 BAD")
        plain = self.raw(qresync=False)
        plain.cmd("s", "SELECT Vanish")
        self.assertEqual(plain.cmd("b3", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {before} VANISHED)")[-1][:6],
                         "b3 BAD")
        # A session without QRESYNC keeps getting EXPUNGE.
        r.cmd("d3", r"UID STORE 4 +FLAGS.SILENT (\Deleted)")
        r.cmd("x3", "EXPUNGE")
        self.assertIn("* 1 EXPUNGE", plain.cmd("n", "NOOP"))
        for c in (r, watcher, plain):
            c.close()

    def test_a_fetch_past_a_pending_expunge_keeps_highestmodseq_below_it(self):
        # RFC 7162 3.2.10: during STORE by number the expunge cannot be told; a client resynchronising
        # later from the HIGHESTMODSEQ it was given must still learn of it.
        uv, before = self.mailbox("Pending", 2)
        r = self.raw()
        r.cmd("s", "SELECT Pending")
        other = self.raw(qresync=False)
        other.cmd("s", "SELECT Pending")
        other.cmd("d", r"UID STORE 1 +FLAGS.SILENT (\Deleted)")
        other.cmd("x", "EXPUNGE")
        lines = r.cmd("t", r"STORE 2 +FLAGS (kw)")
        modseq = number(r"MODSEQ \((\d+)\)", lines)
        reported = number(r"\* OK \[HIGHESTMODSEQ (\d+)\]", lines)
        self.assertLess(reported, modseq)
        self.assertNotIn("VANISHED", " ".join(lines))
        fresh = self.raw()
        self.assertIn("* VANISHED (EARLIER) 1", fresh.cmd("q", f"SELECT Pending (QRESYNC ({uv} {reported}))"))
        self.assertIn("* VANISHED 1", r.cmd("n", "NOOP"))
        for c in (r, other, fresh):
            c.close()

    def test_tombstones_survive_a_restart(self):
        uv, before = self.mailbox("Durable", 3)
        r = self.raw()
        r.cmd("s", "SELECT Durable")
        r.cmd("d", r"UID STORE 2 +FLAGS.SILENT (\Deleted)")
        r.cmd("x", "EXPUNGE")
        r.close()
        self.server.kill9()
        self.server.start()
        r = self.raw()
        self.assertEqual(changes(r.cmd("q", f"SELECT Durable (QRESYNC ({uv} {before}))")),
                         ["* VANISHED (EARLIER) 2"])
        r.close()


class SweptTombstonesTest(QresyncServer):
    """`keep_vanished_days = 0`: tombstones go at the next sweep (every second here)."""
    imap_extra = "keep_vanished_days = 0\nkeep_expunged_secs = 4\n"

    def test_a_client_older_than_the_tombstones_is_told_every_missing_uid(self):
        uv, before = self.mailbox("Swept", 5)
        r = self.raw()
        r.cmd("s", "SELECT Swept")
        r.cmd("d", r"UID STORE 2 +FLAGS.SILENT (\Deleted)")
        middle = number(r"HIGHESTMODSEQ (\d+)", r.cmd("x", "EXPUNGE"))
        time.sleep(3)  # the sweep drops that tombstone, and the mailbox's floor rises to it
        r.cmd("d2", r"UID STORE 4 +FLAGS.SILENT (\Deleted)")
        r.cmd("x2", "EXPUNGE")
        fresh = self.raw()
        # From before the floor: every UID below UIDNEXT the mailbox lacks (2 and 4), none missed.
        self.assertEqual(changes(fresh.cmd("q1", f"EXAMINE Swept (QRESYNC ({uv} {before}))")),
                         ["* VANISHED (EARLIER) 2,4"])
        # From after it: the tombstones still kept, exactly.
        self.assertEqual(changes(fresh.cmd("q2", f"EXAMINE Swept (QRESYNC ({uv} {middle}))")),
                         ["* VANISHED (EARLIER) 4"])
        for c in (r, fresh):
            c.close()


if __name__ == "__main__":
    unittest.main()

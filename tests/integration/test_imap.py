"""IMAP with real clients (Python's imaplib, curl, mbsync, fetchmail) and scripted dialogues
with exact responses: login rules, mailbox commands, FETCH/STORE/SEARCH/COPY/MOVE/APPEND, two
sessions on one mailbox seeing each other's changes, IDLE pushing new mail, and bad input
answered with BAD/NO rather than a hang or a crash."""

import imaplib
import os
import re
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from harness import Server

PASSWORD = "imap-password-1"
USER = "alice@example.com"


def message(subject, body="hello\r\n", sender="bob@outside.example", extra=""):
    return (f"From: Bob <{sender}>\r\nTo: {USER}\r\nSubject: {subject}\r\n"
            f"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@outside.example>\r\n"
            f"{extra}\r\n{body}")


class Raw:
    """A line-oriented IMAP client over implicit TLS for exact-response dialogues."""

    def __init__(self, port, context):
        sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        self.sock = context.wrap_socket(sock, server_hostname="mx.test")
        self.buf = b""
        self.greeting = self.line()

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        literal = re.search(rb"\{(\d+)\}$", line)
        if not literal:
            return line.decode("latin-1")
        # A literal: its octets, then the rest of the response line after them.
        n = int(literal.group(1))
        while len(self.buf) < n:
            self.buf += self.sock.recv(65536)
        octets, self.buf = self.buf[:n], self.buf[n:]
        return (line + b"\r\n" + octets).decode("latin-1") + self.line()

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, tag, text):
        """Sends `tag text` and returns every line up to and including the tagged one."""
        self.send(f"{tag} {text}\r\n")
        return self.until(tag)

    def until(self, tag):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(tag + " "):
                return lines

    def close(self):
        self.sock.close()


class ImapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(shards=2).start()
        s = cls.server
        s.cli("domain", "add", "example.com")
        s.add_user(USER, PASSWORD)
        cls.ctx = ssl.create_default_context(cafile=s.cert_path)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def setUp(self):
        # Each test starts with an empty INBOX and no extra mailboxes.
        m = self.login()
        m.select("INBOX")
        m.store("1:*", "+FLAGS.SILENT", r"(\Deleted)") if self.count(m) else None
        m.expunge()
        for name in self.names(m):
            if name not in ("INBOX", "Sent", "Drafts", "Junk", "Trash", "Archive"):
                m.delete(f'"{name}"')
        for box in ("Sent", "Drafts", "Junk", "Trash", "Archive"):
            m.select(box)
            if self.count(m):
                m.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
                m.expunge()
        m.logout()

    def count(self, m):
        typ, data = m.search(None, "ALL")
        return len(data[0].split())

    def names(self, m):
        typ, data = m.list('""', '"*"')
        return sorted((re.match(rb'\(.*?\) "/" "?(.*?)"?$', d).group(1).decode() for d in data), key=len, reverse=True)

    def deliver(self, *bodies):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            for body in bodies:
                c.sendmail("bob@outside.example", [USER], body)

    def login(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.imap_port, timeout=30)
        m.host = "mx.test"  # the name STARTTLS checks the certificate against
        m.starttls(ssl_context=self.ctx)
        m.login(USER, PASSWORD)
        return m

    def raw(self):
        r = Raw(self.server.imaps_port, self.ctx)
        self.assertEqual(r.cmd("L", f"LOGIN {USER} {PASSWORD}")[-1][:4], "L OK")
        return r

    # --- login ---------------------------------------------------------------------------

    def test_login_needs_tls_and_capabilities_follow_state(self):
        m = imaplib.IMAP4("127.0.0.1", self.server.imap_port, timeout=30)
        self.assertIn("LOGINDISABLED", m.capabilities)
        self.assertIn("STARTTLS", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error) as e:
            m.login(USER, PASSWORD)
        self.assertIn("PRIVACYREQUIRED", str(e.exception))
        m.host = "mx.test"
        m.starttls(ssl_context=self.ctx)
        self.assertNotIn("STARTTLS", m.capabilities)
        self.assertIn("AUTH=PLAIN", m.capabilities)
        with self.assertRaises(imaplib.IMAP4.error):
            m.login(USER, "wrong password")
        typ, data = m.login(USER, PASSWORD)
        self.assertIn(b"CONDSTORE", data[0])
        m.logout()

    def test_authenticate_plain_with_and_without_initial_response(self):
        r = Raw(self.server.imaps_port, self.ctx)
        self.assertTrue(r.greeting.startswith("* OK [CAPABILITY IMAP4rev1"))
        import base64
        token = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
        self.assertRegex(r.cmd("a", f"AUTHENTICATE PLAIN {token}")[-1], r"^a OK \[CAPABILITY .*\] Logged in$")
        r.close()
        r = Raw(self.server.imaps_port, self.ctx)
        r.send("b AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r.line(), "+ ")
        r.send(token + "\r\n")
        self.assertTrue(r.until("b")[-1].startswith("b OK"))
        self.assertEqual(r.cmd("c", "LOGOUT"), ["* BYE Logging out", "c OK LOGOUT completed"])

    # --- scripted dialogues ---------------------------------------------------------------

    def test_select_dialogue_is_exact(self):
        self.deliver(message("one"), message("two"))
        r = self.raw()
        lines = r.cmd("s", "SELECT INBOX")
        self.assertEqual(lines[0], r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft)")
        self.assertEqual(lines[1], r"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft \*)] Flags permitted")
        self.assertEqual(lines[2], "* 2 EXISTS")
        self.assertEqual(lines[3], "* 2 RECENT", "this session is the first to see them")
        self.assertEqual(lines[4], "* OK [UNSEEN 1] First unseen")
        self.assertRegex(lines[5], r"^\* OK \[UIDVALIDITY \d+\] UIDs valid$")
        self.assertRegex(lines[6], r"^\* OK \[UIDNEXT \d+\] Predicted next UID$")
        self.assertRegex(lines[7], r"^\* OK \[HIGHESTMODSEQ \d+\] Highest$")
        self.assertRegex(lines[8], r"^\* OK \[MAILBOXID \([\w-]+\)\] Ok$")
        self.assertEqual(lines[9], "s OK [READ-WRITE] SELECT completed")
        uids = [int(x) for x in r.cmd("u", "UID SEARCH ALL")[0].split()[2:]]
        self.assertEqual(len(uids), 2)
        self.assertEqual(r.cmd("f", "FETCH 1:2 (FLAGS)"),
                         [r"* 1 FETCH (FLAGS (\Recent))", r"* 2 FETCH (FLAGS (\Recent))", "f OK FETCH completed"])
        other = self.raw()
        self.assertIn("* 0 RECENT", other.cmd("s", "SELECT INBOX"), "a message is recent in one session only")
        other.close()
        self.assertEqual(r.cmd("t", r"STORE 2 +FLAGS (\Flagged $Work)"),
                         [r"* FLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work)",
                          r"* OK [PERMANENTFLAGS (\Answered \Flagged \Deleted \Seen \Draft $Work \*)] Flags permitted",
                          r"* 2 FETCH (FLAGS (\Flagged $Work \Recent))", "t OK STORE completed"])
        self.assertEqual(r.cmd("t2", r"UID STORE %d -FLAGS.SILENT ($Work)" % uids[1]), ["t2 OK STORE completed"])
        self.assertEqual(r.cmd("k", "SEARCH KEYWORD $Work"), ["* SEARCH", "k OK SEARCH completed"])
        self.assertEqual(r.cmd("k2", "SEARCH FLAGGED SUBJECT two"), ["* SEARCH 2", "k2 OK SEARCH completed"])
        self.assertEqual(r.cmd("k3", "SEARCH OR SUBJECT one NOT FLAGGED"), ["* SEARCH 1", "k3 OK SEARCH completed"])
        self.assertEqual(r.cmd("e", "UID SEARCH RETURN (MIN COUNT) ALL"),
                         [f'* ESEARCH (TAG "e") UID MIN {uids[0]} COUNT 2', "e OK SEARCH completed"])
        self.assertEqual(r.cmd("x", "FETCH 3 FLAGS")[-1], "x BAD Invalid message number")
        self.assertEqual(r.cmd("c", "CLOSE"), ["c OK CLOSE completed"])
        self.assertEqual(r.cmd("n", "FETCH 1 FLAGS"), ["n BAD Select a mailbox first"])
        r.close()

    def test_fetch_sections_envelope_and_bodystructure(self):
        mime = ("From: Bob <bob@outside.example>\r\nTo: alice@example.com\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\n"
                "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <m@x>\r\nMIME-Version: 1.0\r\n"
                "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
                "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain part\r\n"
                "--b1\r\nContent-Type: application/octet-stream; name=\"a.bin\"\r\nContent-Transfer-Encoding: base64\r\n"
                "\r\nAAECAw==\r\n--b1--\r\n")
        self.deliver(mime)
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        lines = r.cmd("f", "FETCH 1 (ENVELOPE BODYSTRUCTURE)")
        self.assertIn('"=?UTF-8?Q?caf=C3=A9?=" (("Bob" NIL "bob" "outside.example"))', lines[0])
        # The CRLF before a boundary belongs to the boundary (RFC 2046 5.1.1): the part is 10 octets.
        self.assertIn('("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "7BIT" 10 0 NIL NIL NIL NIL)', lines[0])
        self.assertIn('("APPLICATION" "OCTET-STREAM" ("NAME" "a.bin") NIL NIL "BASE64" 8 NIL NIL NIL NIL)', lines[0])
        self.assertIn('"MIXED" ("BOUNDARY" "b1")', lines[0])
        self.assertEqual(r.cmd("b", "FETCH 1 (BODY.PEEK[1] BINARY.PEEK[2] BINARY.SIZE[2])")[0],
                         "* 1 FETCH (BODY[1] {10}\r\nplain part BINARY[2] ~{4}\r\n\x00\x01\x02\x03 BINARY.SIZE[2] 4)")
        self.assertEqual(r.cmd("p", "FETCH 1 (BODY.PEEK[1]<6.100>)")[0], "* 1 FETCH (BODY[1]<6> {4}\r\npart)")
        lines = r.cmd("h", "FETCH 1 (BODY[HEADER.FIELDS (message-id)])")
        self.assertEqual(lines[0], "* 1 FETCH (BODY[HEADER.FIELDS (message-id)] {21}\r\nMessage-ID: <m@x>\r\n\r\n"
                                   r" FLAGS (\Seen \Recent))", "a non-PEEK fetch sets \\Seen and says so")
        self.assertEqual(r.cmd("f2", "FETCH 1 (FLAGS)")[0], r"* 1 FETCH (FLAGS (\Seen \Recent))")
        r.close()

    def test_sent_date_keys_compare_the_day_written_whatever_the_zone(self):
        # RFC 3501 6.4.4: SENTBEFORE/SENTON/SENTSINCE use the Date field's date, disregarding
        # time and time zone. 23:30 at -0500 on 30 Nov is 1 Dec in UTC; 00:30 at +0200 on 2 Dec
        # is 1 Dec in UTC; the +0000 control is the same day either way.
        for subject, date in (("west", "Mon, 30 Nov 2026 23:30:00 -0500"), ("east", "Wed, 2 Dec 2026 00:30:00 +0200"),
                              ("utc", "Tue, 1 Dec 2026 12:00:00 +0000")):
            self.deliver(f"From: bob@outside.example\r\nSubject: {subject}\r\nDate: {date}\r\n\r\nhi\r\n")
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        for n, (key, want) in enumerate([("SENTON 30-Nov-2026", "1"), ("SENTON 1-Dec-2026", "3"), ("SENTON 2-Dec-2026", "2"),
                                         ("SENTBEFORE 1-Dec-2026", "1"), ("SENTSINCE 2-Dec-2026", "2"),
                                         ("SENTSINCE 1-Dec-2026 BODY hi", "2 3")]):
            for attempt in ("cold", "warm"):
                self.assertEqual(r.cmd(f"d{n}{attempt}", f"SEARCH {key}")[0].rstrip(), f"* SEARCH {want}", f"{key} ({attempt})")

    def test_cached_summaries_answer_like_the_messages(self):
        # ENVELOPE/BODYSTRUCTURE alone and the From/To/Cc/Bcc/Subject/date keys come from the
        # shared summary cache; with a body item or a body key the message itself is read. Both
        # must give the same answers, cold and warm, in any session.
        later = ("From: Bob <bob@outside.example>\r\nTo: Alice <alice@example.com>\r\nSubject: lunch\r\n"
                 "X-Team: blue\r\nDate: Tue, 1 Dec 2026 09:00:00 +0000\r\n\r\nsee you\r\n")
        self.deliver(message("=?UTF-8?Q?Caf=C3=A9_menu?=", extra="Cc: Carol <carol@cc.example>\r\n"),
                     message("Quarterly REPORT", body="the numbers are in\r\n", sender="dave@numbers.example"),
                     later)
        r = self.raw()
        r.cmd("s", "SELECT INBOX")

        def structure(lines):
            return [line[line.index("ENVELOPE ("):] for line in lines[:-1]]

        cold = r.cmd("a", "FETCH 1:* (ENVELOPE BODYSTRUCTURE)")
        self.assertEqual(len(cold), 4, cold)
        self.assertEqual(r.cmd("b", "FETCH 1:* (ENVELOPE BODYSTRUCTURE)")[:-1], cold[:-1])
        self.assertEqual(structure(r.cmd("c", "FETCH 1:* (BODY.PEEK[TEXT] ENVELOPE BODYSTRUCTURE)")), structure(cold))
        self.assertIn('"=?UTF-8?Q?Caf=C3=A9_menu?=" (("Bob" NIL "bob" "outside.example"))', cold[0])
        self.assertIn('(("Carol" NIL "carol" "cc.example"))', cold[0])

        searches = [("SUBJECT caf\u00e9", "1"), ("SUBJECT CAF\u00c9", "1"), ("SUBJECT report", "2"),
                    ("FROM dave@NUMBERS", "2"), ("CC carol", "1"), ('CC ""', "1"), ('BCC ""', ""),
                    ("HEADER Subject lunch", "3"), ("TO alice", "1 2 3"), ("SENTSINCE 1-Dec-2026", "3"),
                    ("SENTBEFORE 1-Dec-2026", "1 2"), ("NOT FROM outside.example", "2"), ("OR SUBJECT lunch CC carol", "1 3"),
                    ("HEADER X-Team blue", "3"), ("SUBJECT report BODY numbers", "2"), ("TEXT carol", "1")]
        for n, (key, want) in enumerate(searches):
            if key.isascii():
                command = f"SEARCH {key}"
            else:
                name, word = key.split(" ", 1)
                command = f"SEARCH CHARSET UTF-8 {name} {{{len(word.encode())}+}}\r\n{word}"
            for attempt in ("cold", "warm"):
                got = r.cmd(f"s{n}", command)
                self.assertEqual(got[0].rstrip(), f"* SEARCH {want}".rstrip(), f"{key} ({attempt})")
        other = self.raw()
        other.cmd("s", "EXAMINE INBOX")
        self.assertEqual(other.cmd("f", "FETCH 1:* (ENVELOPE BODYSTRUCTURE)")[:-1], cold[:-1])
        self.assertEqual(other.cmd("t", "SEARCH SUBJECT report")[0], "* SEARCH 2")
        other.close()
        r.close()

    def test_bad_input_gets_bad_and_the_session_goes_on(self):
        r = self.raw()
        lines = r.cmd("a", "FROBNICATE")
        self.assertEqual(len(lines), 1)
        self.assertTrue(lines[0].startswith("a BAD"), lines)
        self.assertTrue(r.cmd("b", "FETCH")[-1].startswith("b BAD"))
        r.send("\r\n")
        self.assertTrue(r.line().startswith("* BAD"))
        r.send("c APPEND INBOX {999999999}\r\n")
        self.assertEqual(r.line(), "c NO [TOOBIG] Literal of 999999999 octets is too big")
        r.send("d LOGIN {5}\r\n")
        self.assertEqual(r.line(), "+ Ready for literal data")
        r.send("x\0y\r\n x\r\n")
        self.assertTrue(r.until("d")[-1].startswith("d BAD"))
        self.assertEqual(r.cmd("e", "NOOP"), ["e OK NOOP completed"])
        r.send("f SELECT " + "x" * 100000 + "\r\n")
        self.assertTrue(r.line().startswith("* BAD"))
        self.assertEqual(r.cmd("g", "NOOP"), ["g OK NOOP completed"])
        r.close()

    def test_append_with_literal_plus_then_copy_move_and_uidplus(self):
        r = self.raw()
        body = message("appended").encode()
        r.send(f"a APPEND Drafts (\\Draft) \"23-Nov-2026 10:11:12 +0000\" {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
        done = r.until("a")[-1]
        m = re.match(r"a OK \[APPENDUID (\d+) (\d+)\] APPEND completed", done)
        self.assertTrue(m, done)
        self.assertEqual(r.cmd("s", "SELECT Drafts")[2], "* 1 EXISTS")
        self.assertEqual(r.cmd("f", "FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)")[0],
                         f'* 1 FETCH (FLAGS (\\Draft \\Recent) INTERNALDATE "23-Nov-2026 10:11:12 +0000" RFC822.SIZE {len(body)})')
        self.assertRegex(r.cmd("c", "COPY 1 Archive")[-1], r"^c OK \[COPYUID \d+ 1 \d+\] COPY completed$")
        self.assertEqual(r.cmd("c2", "COPY 1 Nowhere")[-1], "c2 NO [TRYCREATE] No such mailbox")
        lines = r.cmd("m", "MOVE 1 Trash")
        self.assertRegex(lines[0], r"^\* OK \[COPYUID \d+ 1 \d+\] Moved$")
        self.assertEqual(lines[1:], ["* 1 EXPUNGE", "m OK MOVE completed"])
        status = r.cmd("st", "STATUS Trash (MESSAGES UNSEEN SIZE)")
        self.assertEqual(status[0], f"* STATUS Trash (MESSAGES 1 UNSEEN 1 SIZE {len(body)})")
        r.close()

    def test_move_and_copy_into_the_selected_mailbox_itself(self):
        # RFC 6851 3.3: a MOVE into the selected mailbox is no error; the message gets a new
        # UID (COPYUID says which) and the old one is expunged.
        self.deliver(message("stays"))
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        old = int(r.cmd("f", "FETCH 1 (UID)")[0].split("UID ")[1].rstrip(")"))
        lines = r.cmd("m", "MOVE 1 INBOX")
        moved = re.match(r"\* OK \[COPYUID \d+ (\d+) (\d+)\] Moved$", lines[0])
        self.assertTrue(moved, lines)
        new = int(moved.group(2))
        self.assertEqual((int(moved.group(1)), new > old), (old, True), lines)
        self.assertIn("* 1 EXPUNGE", lines)
        self.assertEqual(lines[-1], "m OK MOVE completed")
        self.assertEqual(r.cmd("f2", "FETCH 1:* (UID)")[:-1], [f"* 1 FETCH (UID {new})"])
        self.assertRegex(r.cmd("c", f"UID COPY {new} INBOX")[-1], rf"^c OK \[COPYUID \d+ {new} \d+\] COPY completed$")
        self.assertEqual(r.cmd("st", "STATUS INBOX (MESSAGES)")[0], "* STATUS INBOX (MESSAGES 2)")
        r.close()

    def test_mailbox_hierarchy_subscriptions_and_special_use(self):
        r = self.raw()
        self.assertRegex(r.cmd("c", "CREATE Projects/2026/Q4")[0], r"^c OK \[MAILBOXID \([\w-]+\)\] CREATE completed$")
        self.assertEqual(r.cmd("c2", "CREATE Projects")[-1], "c2 NO [ALREADYEXISTS] mailbox Projects exists already")
        self.assertEqual(r.cmd("l", 'LIST "" Projects/%'),
                         [r'* LIST (\HasChildren) "/" Projects/2026', "l OK LIST completed"])
        self.assertEqual(r.cmd("r", "RENAME Projects Work"), ["r OK RENAME completed"])
        self.assertEqual(r.cmd("l2", 'LIST "" "Work*"'),
                         [r'* LIST (\HasChildren) "/" Work', r'* LIST (\HasChildren) "/" Work/2026',
                          r'* LIST (\HasNoChildren) "/" Work/2026/Q4', "l2 OK LIST completed"])
        self.assertEqual(r.cmd("u", "SUBSCRIBE Work/2026"), ["u OK SUBSCRIBE completed"])
        self.assertEqual(r.cmd("ls", 'LSUB "" "*"'), ['* LSUB () "/" Work/2026', "ls OK LSUB completed"])
        self.assertEqual(r.cmd("le", 'LIST (SUBSCRIBED) "" "*" RETURN (CHILDREN)'),
                         [r'* LIST (\HasChildren \Subscribed) "/" Work/2026', "le OK LIST completed"])
        self.assertEqual(r.cmd("u2", "UNSUBSCRIBE Work/2026"), ["u2 OK UNSUBSCRIBE completed"])
        special = r.cmd("sp", 'LIST (SPECIAL-USE) "" "*"')
        self.assertEqual(special, [r'* LIST (\HasNoChildren \Archive) "/" Archive',
                                   r'* LIST (\HasNoChildren \Drafts) "/" Drafts',
                                   r'* LIST (\HasNoChildren \Junk) "/" Junk', r'* LIST (\HasNoChildren \Sent) "/" Sent',
                                   r'* LIST (\HasNoChildren \Trash) "/" Trash', "sp OK LIST completed"])
        lines = r.cmd("st", 'LIST "" INBOX RETURN (STATUS (MESSAGES UIDVALIDITY))')
        self.assertEqual(lines[0], r'* LIST (\HasNoChildren) "/" INBOX')
        self.assertRegex(lines[1], r"^\* STATUS INBOX \(MESSAGES 0 UIDVALIDITY \d+\)$")
        self.assertEqual(r.cmd("d", "DELETE INBOX")[-1], "d NO [CANNOT] INBOX cannot be deleted")
        self.assertEqual(r.cmd("d2", "DELETE Nope")[-1], "d2 NO [NONEXISTENT] mailbox Nope does not exist")
        self.assertEqual(r.cmd("n", "NAMESPACE"), ['* NAMESPACE (("" "/")) NIL NIL', "n OK NAMESPACE completed"])
        r.close()

    def test_condstore_modseq_and_unchangedsince(self):
        self.deliver(message("c1"), message("c2"))
        r = self.raw()
        self.assertEqual(r.cmd("e", "ENABLE CONDSTORE"), ["* ENABLED CONDSTORE", "e OK ENABLE completed"])
        r.cmd("s", "SELECT INBOX (CONDSTORE)")
        first = r.cmd("f", "FETCH 1:2 (MODSEQ)")
        modseqs = [int(re.search(r"MODSEQ \((\d+)\)", line).group(1)) for line in first[:2]]
        lines = r.cmd("t", r"STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\Seen)" % modseqs[0])
        new = int(re.search(r"MODSEQ \((\d+)\)", lines[0]).group(1))
        self.assertGreater(new, max(modseqs))
        self.assertEqual(r.cmd("t2", r"STORE 1 (UNCHANGEDSINCE %d) -FLAGS (\Seen)" % modseqs[0])[-1],
                         "t2 OK [MODIFIED 1] Conditional STORE failed for some messages")
        self.assertEqual(r.cmd("c", f"FETCH 1:* (FLAGS) (CHANGEDSINCE {new - 1})"),
                         [f"* 1 FETCH (FLAGS (\\Seen \\Recent) MODSEQ ({new}))", "c OK FETCH completed"])
        self.assertEqual(r.cmd("m", f"SEARCH MODSEQ {new}"), [f"* SEARCH 1 (MODSEQ {new})", "m OK SEARCH completed"])
        r.close()

    def test_address_keys_match_the_address_however_the_field_spells_it(self):
        # imaptest's search-addresses forms: a display name, quotes, comments, white space
        # around the @; the last one is the control that must not match.
        froms = ["User From <user-from@domain.org>", '"User From" <user-from@domain.org>',
                 "user-from @ domain.org (User From)", '"user-from"@domain.org',
                 "=?UTF-8?Q?User_From?= <user-from@Domain.ORG>", "Other <other-user@domain.org>"]
        for n, sender in enumerate(froms):
            self.deliver(f"From: {sender}\r\nTo: {USER}\r\nSubject: from {n}\r\n\r\nhi\r\n")
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        for attempt in ("cold", "warm"):
            self.assertEqual(r.cmd(f"f{attempt}", "SEARCH FROM user-from@domain.org")[0], "* SEARCH 1 2 3 4 5")
        self.assertEqual(r.cmd("n", 'SEARCH FROM "user from"')[0], "* SEARCH 1 2 3 5")
        self.assertEqual(r.cmd("h", "SEARCH HEADER FROM user-from@domain.org")[0], "* SEARCH 1 2 3 4 5")
        self.assertEqual(r.cmd("o", "SEARCH FROM other-user@domain.org")[0], "* SEARCH 6")
        r.close()

    def test_modseq_with_min_max_and_after_a_plain_select(self):
        self.deliver(message("m1"), message("m2"), message("m3"))
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        # The first CONDSTORE enabling command on a mailbox selected without it reports the
        # highest mod-sequence (RFC 7162 3.1).
        lines = r.cmd("f", "FETCH 1 (MODSEQ)")
        self.assertRegex(lines[0], r"^\* OK \[HIGHESTMODSEQ \d+\]")
        self.assertEqual(len([line for line in r.cmd("f2", "FETCH 1 (MODSEQ)") if "HIGHESTMODSEQ" in line]), 0,
                         "only once")
        r.cmd("t", r"STORE 2 +FLAGS.SILENT (\Flagged)")
        modseqs = {}
        for line in r.cmd("a", "FETCH 1:3 (MODSEQ)")[:3]:
            number, modseq = re.match(r"\* (\d+) FETCH \(MODSEQ \((\d+)\)", line).groups()
            modseqs[int(number)] = int(modseq)
        self.assertGreater(modseqs[2], max(modseqs[1], modseqs[3]))
        # RFC 7162 3.1.5: MIN/MAX alone report the MODSEQ of the messages they return.
        self.assertEqual(r.cmd("m1", "SEARCH RETURN (MIN) MODSEQ 1")[0],
                         f'* ESEARCH (TAG "m1") MIN 1 MODSEQ {modseqs[1]}')
        self.assertEqual(r.cmd("m2", "SEARCH RETURN (MAX) MODSEQ 1")[0],
                         f'* ESEARCH (TAG "m2") MAX 3 MODSEQ {modseqs[3]}')
        self.assertEqual(r.cmd("m3", "SEARCH RETURN (MIN MAX) MODSEQ 1")[0],
                         f'* ESEARCH (TAG "m3") MIN 1 MAX 3 MODSEQ {max(modseqs[1], modseqs[3])}')
        self.assertEqual(r.cmd("m4", "SEARCH RETURN (MIN COUNT) MODSEQ 1")[0],
                         f'* ESEARCH (TAG "m4") MIN 1 COUNT 3 MODSEQ {modseqs[2]}', "COUNT: over all of them")
        r.close()

    def test_subscribed_children_show_through_their_parents(self):
        r = self.raw()
        for name in ("Foo/Bar", "Foo/Baz", "Top"):
            r.cmd("c", f"CREATE {name}")
        r.cmd("u", "SUBSCRIBE Foo/Bar")
        r.cmd("u2", "SUBSCRIBE Top")
        r.cmd("u3", "SUBSCRIBE Gone/Child")  # subscribed, neither it nor its parent exists
        # RFC 5258 3.5 / example 5.9: a parent whose child is subscribed comes with CHILDINFO.
        self.assertEqual(r.cmd("l", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'),
                         [r'* LIST (\HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))',
                          r'* LIST (\HasNoChildren \Subscribed) "/" Top',
                          r'* LIST (\NonExistent) "/" Gone ("CHILDINFO" ("SUBSCRIBED"))', "l OK LIST completed"])
        self.assertEqual(r.cmd("l2", 'LIST (SUBSCRIBED) "" "%"'),
                         [r'* LIST (\HasNoChildren \Subscribed) "/" Top', "l2 OK LIST completed"], "control")
        # RFC 3501 6.3.9: LSUB % shows the unsubscribed parent as \Noselect.
        self.assertEqual(sorted(r.cmd("ls", 'LSUB "" "%"')[:-1]),
                         sorted([r'* LSUB (\Noselect) "/" Foo', r'* LSUB () "/" Top', r'* LSUB (\Noselect) "/" Gone']))
        self.assertEqual(sorted(r.cmd("ls2", 'LSUB "" "*"')[:-1]),
                         sorted([r'* LSUB () "/" Foo/Bar', r'* LSUB () "/" Top', r'* LSUB (\Noselect) "/" Gone/Child']))
        for name in ("Gone/Child", "Foo/Bar", "Top"):
            r.cmd("x", f"UNSUBSCRIBE {name}")
        r.close()

    def test_sort_and_thread_as_rfc_5256_orders_and_groups(self):
        mails = [  # (From, Subject, Date, extra fields)
            ("Aaron <zed@x.example>", "apple", "Thu, 1 Jan 2026 10:00:00 +0000", "Message-ID: <a@x>\r\n"),
            ("Amy <amy@y.example>", "Re: apple", "Sat, 3 Jan 2026 10:00:00 +0000",
             "Message-ID: <b@x>\r\nReferences: <a@x>\r\n"),
            ("bob <bob@z.example>", "banana", "Fri, 2 Jan 2026 10:00:00 +0000", "Message-ID: <c@x>\r\n"),
            ("<carl@w.example>", "Fwd: Re: apple", "Sun, 4 Jan 2026 10:00:00 +0000",
             "Message-ID: <d@x>\r\nIn-Reply-To: <b@x>\r\n"),
            ("Dan <dan@v.example>", "[list]  banana", "Mon, 5 Jan 2026 10:00:00 +0000",
             "Message-ID: <e@x>\r\nReferences: <nowhere@x>\r\n"),
        ]
        self.deliver(*[f"From: {f}\r\nTo: {USER}\r\nSubject: {s}\r\nDate: {d}\r\n{x}\r\nhi\r\n"
                       for f, s, d, x in mails])
        r = self.raw()
        caps = r.cmd("c", "CAPABILITY")[0]
        self.assertIn("SORT=DISPLAY ESORT", caps)
        self.assertRegex(caps, r" APPENDLIMIT=\d+")
        r.cmd("s", "SELECT INBOX")
        for n, (criteria, want) in enumerate([
                ("DATE", "1 3 2 4 5"), ("REVERSE DATE", "5 4 2 3 1"), ("SUBJECT", "1 2 4 3 5"),
                ("SUBJECT REVERSE DATE", "4 2 1 5 3"), ("FROM", "2 3 4 5 1"), ("DISPLAYFROM", "1 2 3 4 5"),
                ("ARRIVAL", "1 2 3 4 5")]):
            self.assertEqual(r.cmd(f"o{n}", f"SORT ({criteria}) UTF-8 ALL"), [f"* SORT {want}", f"o{n} OK SORT completed"])
        self.assertEqual(r.cmd("k", "SORT (DATE) UTF-8 FROM amy")[0], "* SORT 2")
        # ESORT (RFC 5267): MIN and MAX in sort order, ALL in sort order.
        self.assertEqual(r.cmd("e", "SORT RETURN (MIN MAX COUNT ALL) (DATE) UTF-8 ALL")[0],
                         '* ESEARCH (TAG "e") MIN 1 MAX 5 COUNT 5 ALL 1,3,2,4:5')
        uids = r.cmd("u", "UID SEARCH ALL")[0].split()[2:]
        self.assertEqual(r.cmd("us", "UID SORT (REVERSE DATE) UTF-8 ALL")[0],
                         "* SORT " + " ".join(uids[i - 1] for i in (5, 4, 2, 3, 1)))
        self.assertEqual(r.cmd("b", "SORT (DATE) KOI8-R ALL")[-1], "b NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset")
        # REFERENCES: 1 <- 2 <- 4 by References/In-Reply-To; 5's parent is missing, and it
        # shares its base subject with 3 (neither a reply): siblings under a dummy.
        self.assertEqual(r.cmd("t", "THREAD REFERENCES UTF-8 ALL")[0], "* THREAD (1 2 4)((3)(5))")
        # ORDEREDSUBJECT: by base subject; the first of each group is the parent of the rest.
        self.assertEqual(r.cmd("t2", "THREAD ORDEREDSUBJECT UTF-8 ALL")[0], "* THREAD (1 (2)(4))(3 5)")
        self.assertEqual(r.cmd("t3", "THREAD REFERENCES UTF-8 SUBJECT banana")[0], "* THREAD ((3)(5))")
        r.close()

    def test_within_searches_by_the_age_of_the_internal_date(self):
        r = self.raw()
        for n, date in enumerate(['"01-Jan-2020 10:00:00 +0000" ', ""]):
            body = message(f"age {n}").encode()
            r.send(f"a{n} APPEND INBOX {date}{{{len(body)}+}}\r\n".encode() + body + b"\r\n")
            self.assertIn("OK", r.until(f"a{n}")[-1])
        r.cmd("s", "SELECT INBOX")
        self.assertIn("WITHIN", r.cmd("c", "CAPABILITY")[0])
        self.assertEqual(r.cmd("y", "SEARCH YOUNGER 3600")[0], "* SEARCH 2")
        self.assertEqual(r.cmd("o", "SEARCH OLDER 3600")[0], "* SEARCH 1")
        self.assertEqual(r.cmd("b", "SEARCH OLDER 3600 YOUNGER 3600")[0], "* SEARCH")
        self.assertEqual(r.cmd("z", "SEARCH YOUNGER 0")[-1][:5], "z BAD")
        r.close()

    def test_preview_is_the_start_of_what_a_reader_sees(self):
        self.deliver(message("plain", body="Hello   Alice,\r\n\r\nthe report is attached.\r\n"),
                     message("html", body="<html><style>p{}</style><p>Big &amp; <b>bold</b> news</p></html>\r\n",
                             extra="Content-Type: text/html\r\n"))
        r = self.raw()
        self.assertIn("PREVIEW", r.cmd("c", "CAPABILITY")[0])
        r.cmd("s", "SELECT INBOX")
        self.assertEqual(r.cmd("p", "FETCH 1:2 (PREVIEW)")[:2],
                         ['* 1 FETCH (PREVIEW "Hello Alice, the report is attached.")',
                          '* 2 FETCH (PREVIEW "Big & bold news")'])
        self.assertEqual(r.cmd("l", "FETCH 2 (PREVIEW (LAZY))")[0], '* 2 FETCH (PREVIEW "Big & bold news")')
        # The same text whether it comes from the cached summary or the message read whole.
        self.assertIn('PREVIEW "Hello Alice, the report is attached."', r.cmd("w", "FETCH 1 (PREVIEW BODY.PEEK[])")[0])
        r.close()

    def test_object_ids_are_stable_and_shared_by_copies(self):
        self.deliver(message("object one"), message("object two"))
        r = self.raw()
        self.assertIn("OBJECTID", r.cmd("c", "CAPABILITY")[0])
        created = r.cmd("m", "CREATE Objects")[-1]
        mailbox_id = re.match(r"m OK \[MAILBOXID \(([\w-]+)\)\] CREATE completed", created).group(1)
        self.assertEqual(r.cmd("st", "STATUS Objects (MAILBOXID)")[0], f"* STATUS Objects (MAILBOXID ({mailbox_id}))")
        r.cmd("rn", "RENAME Objects Renamed")
        self.assertIn(f"* OK [MAILBOXID ({mailbox_id})] Ok", r.cmd("s", "SELECT Renamed"), "kept across RENAME")
        selected = r.cmd("s2", "SELECT INBOX")
        self.assertTrue(any(line.startswith("* OK [MAILBOXID (") and mailbox_id not in line for line in selected))
        lines = r.cmd("f", "FETCH 1:2 (EMAILID THREADID)")
        ids = [re.match(r"\* \d FETCH \(EMAILID \(([\w-]+)\) THREADID NIL\)", line).group(1) for line in lines[:2]]
        self.assertNotEqual(ids[0], ids[1])
        r.cmd("cp", "COPY 1 Renamed")
        self.assertEqual(r.cmd("se", f"SEARCH EMAILID {ids[1]}")[0], "* SEARCH 2")
        r.cmd("s3", "SELECT Renamed")
        self.assertIn(f"EMAILID ({ids[0]})", r.cmd("f2", "FETCH 1 (EMAILID)")[0], "a copy has the same EMAILID")
        r.close()

    def test_searchres_saves_a_result_for_later_commands(self):
        self.deliver(*[message(f"res {n}") for n in range(1, 6)])
        r = self.raw()
        self.assertIn("SEARCHRES", r.cmd("c", "CAPABILITY")[0])
        r.cmd("s", "SELECT INBOX")
        r.cmd("f", r"STORE 2,4 +FLAGS.SILENT (\Flagged)")
        # RFC 5182 examples: SAVE alone answers nothing; $ then names the saved messages.
        self.assertEqual(r.cmd("a", "SEARCH RETURN (SAVE) FLAGGED"), ["a OK SEARCH completed"])
        lines = r.cmd("b", "FETCH $ (UID)")
        self.assertEqual([line.split()[1] for line in lines[:-1]], ["2", "4"])
        self.assertEqual(r.cmd("c2", "SEARCH $ SUBJECT \"res 4\"")[0], "* SEARCH 4")
        self.assertEqual(r.cmd("d", "SEARCH RETURN (SAVE MIN) UNFLAGGED")[0], '* ESEARCH (TAG "d") MIN 1')
        self.assertEqual(r.cmd("e", "SEARCH $")[0], "* SEARCH 1 3 5")
        self.assertEqual(r.cmd("g", "SORT RETURN (SAVE) (REVERSE ARRIVAL) UTF-8 FLAGGED"), ["g OK SORT completed"])
        self.assertEqual(r.cmd("h", "UID SEARCH UID $")[0].split()[2:], r.cmd("h2", "UID SEARCH FLAGGED")[0].split()[2:])
        # A failing search leaves $ empty.
        self.assertIn("BADCHARSET", r.cmd("i", "SEARCH RETURN (SAVE) CHARSET KOI8-R ALL")[-1])
        self.assertEqual(r.cmd("j", "SEARCH $")[0], "* SEARCH")
        r.close()

    # --- two sessions -----------------------------------------------------------------------

    def test_two_sessions_see_each_others_changes_at_the_right_points(self):
        self.deliver(message("a"), message("b"), message("c"))
        one, two = self.raw(), self.raw()
        one.cmd("s", "SELECT INBOX")
        two.cmd("s", "SELECT INBOX")
        self.assertEqual(two.cmd("d", r"STORE 2 +FLAGS.SILENT (\Deleted)"), ["d OK STORE completed"])
        self.assertEqual(two.cmd("x", "EXPUNGE"), ["* 2 EXPUNGE", "x OK EXPUNGE completed"])
        self.assertEqual(two.cmd("f", r"STORE 1 +FLAGS (\Flagged)"),
                         [r"* 1 FETCH (FLAGS (\Flagged))", "f OK STORE completed"])
        # A FETCH by number must not shift message numbers: no EXPUNGE yet, but flags may come.
        lines = one.cmd("a", "FETCH 3 (UID)")
        self.assertNotIn("EXPUNGE", " ".join(lines))
        self.assertTrue(lines[-1].startswith("a OK"))
        self.assertTrue(any(line.startswith(r"* 1 FETCH (FLAGS (\Flagged \Recent) UID") for line in lines), lines)
        self.deliver(message("d"))
        time.sleep(0.3)
        lines = one.cmd("n", "NOOP")
        self.assertIn("* 2 EXPUNGE", lines)
        self.assertIn("* 3 EXISTS", lines)
        self.assertLess(lines.index("* 2 EXPUNGE"), lines.index("* 3 EXISTS"))
        self.assertEqual(lines[-1], "n OK NOOP completed")
        self.assertEqual(one.cmd("n2", "NOOP"), ["n2 OK NOOP completed"], "reported once")
        # Both agree on the mailbox now.
        searched = [[line for line in r.cmd("u", "UID SEARCH ALL") if line.startswith("* SEARCH")] for r in (one, two)]
        self.assertEqual(searched[0], searched[1])
        self.assertEqual(len(searched[0][0].split()), 5, "three messages: a, c and d")
        one.close()
        two.close()

    def test_idle_pushes_new_mail_and_expunges(self):
        self.deliver(message("first"))
        r = self.raw()
        r.cmd("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        self.assertEqual(r.line(), "+ idling")
        self.deliver(message("second"))
        self.assertEqual(r.line(), "* 2 EXISTS")
        other = self.raw()
        other.cmd("s", "SELECT INBOX")
        other.cmd("d", r"STORE 1 +FLAGS.SILENT (\Deleted)")
        other.cmd("x", "EXPUNGE")
        seen = []
        while "* 1 EXPUNGE" not in seen:
            seen.append(r.line())
        r.send("DONE\r\n")
        self.assertEqual(r.until("i")[-1], "i OK IDLE terminated")
        other.close()
        r.close()

    # --- real clients -------------------------------------------------------------------------

    def test_imaplib_round_trip(self):
        self.deliver(message("hello world", body="the body text\r\n"))
        m = self.login()
        typ, data = m.select("INBOX")
        self.assertEqual(data, [b"1"])
        typ, data = m.search(None, "TEXT", '"body text"')
        self.assertEqual(data, [b"1"])
        typ, data = m.fetch("1", "(RFC822)")
        self.assertIn(b"the body text", data[0][1])
        self.assertIn(b"Subject: hello world", data[0][1])
        typ, data = m.uid("SEARCH", None, "UNSEEN")
        self.assertEqual(data, [b""], "RFC822 set \\Seen")
        m.append("Sent", r"(\Seen)", None, message("sent one").encode())
        typ, data = m.status("Sent", "(MESSAGES)")
        self.assertEqual(data, [b"Sent (MESSAGES 1)"])
        self.deliver(message("Re: hello world", extra="In-Reply-To: <hello.world@outside.example>\r\n"))
        m.noop()
        self.assertEqual(m.sort("(REVERSE SIZE)", "UTF-8", "ALL"), ("OK", [b"2 1"]))
        self.assertEqual(m.thread("REFERENCES", "UTF-8", "ALL"), ("OK", [b"(1 2)"]))
        m.logout()

    def test_curl_lists_and_fetches(self):
        self.deliver(message("curl me", body="fetched by curl\r\n"))
        out = subprocess.run(["curl", "-s", "--ssl-reqd", "--cacert", self.server.cert_path, "--resolve",
                              f"mx.test:{self.server.imap_port}:127.0.0.1", "-u", f"{USER}:{PASSWORD}",
                              f"imap://mx.test:{self.server.imap_port}/INBOX;MAILINDEX=1"],
                             capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b"fetched by curl", out.stdout)
        out = subprocess.run(["curl", "-s", "-k", "-u", f"{USER}:{PASSWORD}",
                              f"imaps://127.0.0.1:{self.server.imaps_port}/"], capture_output=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(b'"/" Sent', out.stdout)

    def test_mbsync_syncs_both_ways(self):
        self.deliver(message("from server 1"), message("from server 2"))
        with tempfile.TemporaryDirectory() as d:
            maildir = os.path.join(d, "mail")
            os.makedirs(os.path.join(maildir, "INBOX", "cur"))
            for sub in ("new", "tmp"):
                os.makedirs(os.path.join(maildir, "INBOX", sub))
            local = os.path.join(maildir, "INBOX", "new", "1700000000.1.local")
            with open(local, "w") as f:
                f.write(message("from laptop"))
            rc = os.path.join(d, "mbsyncrc")
            with open(rc, "w") as f:
                f.write(f"""IMAPAccount ringmail
Host 127.0.0.1
Port {self.server.imaps_port}
User {USER}
Pass {PASSWORD}
SSLType IMAPS
CertificateFile {self.server.cert_path}
SystemCertificates no

IMAPStore remote
Account ringmail

MaildirStore local
Path {maildir}/
Inbox {maildir}/INBOX

Channel inbox
Far :remote:INBOX
Near :local:INBOX
Create Both
Sync All
Expunge Both
SyncState *
""")
            run = subprocess.run(["mbsync", "-c", rc, "-V", "inbox"], capture_output=True, timeout=120)
            self.assertEqual(run.returncode, 0, run.stdout.decode()[-2000:] + run.stderr.decode()[-2000:])
            local_files = [f for sub in ("cur", "new") for f in os.listdir(os.path.join(maildir, "INBOX", sub))]
            self.assertEqual(len(local_files), 3, "two messages came down")
        m = self.login()
        m.select("INBOX")
        typ, data = m.search(None, "SUBJECT", '"from laptop"')
        self.assertEqual(len(data[0].split()), 1, "the laptop's message went up")
        m.logout()

    def test_fetchmail_over_imap(self):
        self.deliver(message("for fetchmail", body="fetchmail body\r\n"))
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, "out.mbox")
            rc = os.path.join(d, "fetchmailrc")
            with open(rc, "w") as f:
                f.write(f'poll 127.0.0.1 service {self.server.imaps_port} protocol IMAP user "{USER}" '
                        f'password "{PASSWORD}" ssl sslcertck sslcertfile "{self.server.cert_path}" '
                        f'sslcommonname mx.test keep mda "cat >> {out}"\n')
            os.chmod(rc, 0o600)
            run = subprocess.run(["fetchmail", "-f", rc, "--nodetach", "--nosyslog", "-v"],
                                 capture_output=True, timeout=120, env={**os.environ, "HOME": d})
            self.assertEqual(run.returncode, 0, run.stdout.decode()[-3000:] + run.stderr.decode()[-2000:])
            with open(out, "rb") as f:
                self.assertIn(b"fetchmail body", f.read())



class OwnServerTest(unittest.TestCase):
    """A test with a server of its own (started with `IMAP_EXTRA` keys for [imap]) and USER."""

    IMAP_EXTRA = ""

    def setUp(self):
        self.server = Server(shards=2, imap_extra=self.IMAP_EXTRA).start()
        self.server.cli("domain", "add", "example.com")
        self.server.add_user(USER, PASSWORD)
        self.ctx = ssl.create_default_context(cafile=self.server.cert_path)

    def tearDown(self):
        self.server.cleanup()


class ImapConcurrencyTest(OwnServerTest):
    """Several sessions, on both shards, change one mailbox at random at the same time; each
    tracks the message count from its own untagged EXISTS/EXPUNGE responses. At the end every
    session's count must match the server's, and all sessions must agree on UIDs and flags."""

    def test_random_concurrent_sessions_stay_consistent(self):
        import random
        sessions = 6
        seconds = 6
        errors = []
        counts = {}
        quiet = threading.Barrier(sessions, timeout=60)

        def track(count, lines):
            for line in lines:
                m = re.match(r"\* (\d+) (EXISTS|EXPUNGE)$", line)
                if m and m.group(2) == "EXISTS":
                    if int(m.group(1)) < count:
                        raise AssertionError(f"EXISTS went down without EXPUNGE: {line} after {count}")
                    count = int(m.group(1))
                elif m:
                    if not 1 <= int(m.group(1)) <= count:
                        raise AssertionError(f"EXPUNGE of a number the client does not have: {line} ({count})")
                    count -= 1
                fetched = re.match(r"\* (\d+) FETCH", line)
                if fetched and not 1 <= int(fetched.group(1)) <= count:
                    raise AssertionError(f"FETCH of a number the client does not have: {line} ({count})")
            return count

        def worker(n):
            rng = random.Random(n)
            try:
                r = Raw(self.server.imaps_port, self.ctx)
                r.cmd("L", f"LOGIN {USER} {PASSWORD}")
                lines = r.cmd("S", "SELECT INBOX")
                count = int(next(line.split()[1] for line in lines if line.endswith(" EXISTS")))
                deadline = time.time() + seconds
                i = 0
                while time.time() < deadline:
                    i += 1
                    tag = f"t{i}"
                    op = rng.random()
                    if op < 0.25 or count < 3:
                        body = message(f"s{n} m{i}").encode()
                        r.send(f"{tag} APPEND INBOX {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
                        lines = r.until(tag)
                    elif op < 0.45:
                        flag = rng.choice([r"\Seen", r"\Flagged", "$Work", r"\Deleted"])
                        lines = r.cmd(tag, f"STORE {rng.randint(1, count)} {rng.choice('+-')}FLAGS ({flag})")
                    elif op < 0.55:
                        lines = r.cmd(tag, "EXPUNGE")
                    elif op < 0.65:
                        lines = r.cmd(tag, f"UID MOVE {rng.randint(1, 50)}:{rng.randint(50, 100)} Archive")
                    elif op < 0.85:
                        lines = r.cmd(tag, f"FETCH {rng.randint(1, count)}:* (UID FLAGS)")
                    else:
                        lines = r.cmd(tag, "NOOP")
                    if not re.match(rf"{tag} (OK|NO) ", lines[-1]):
                        raise AssertionError(f"{tag}: {lines[-1]}")
                    count = track(count, lines)
                # Everyone stops changing things; then every view must be the same.
                quiet.wait()
                lines = r.cmd("N", "NOOP")
                count = track(count, lines)
                uids = r.cmd("U", "UID SEARCH ALL")
                uids = next(line for line in uids if line.startswith("* SEARCH")).split()[2:]
                fetched = [line for line in r.cmd("F", "FETCH 1:* (UID FLAGS)") if " FETCH " in line] if count else []
                # \Recent belongs to the one session that saw a message first.
                counts[n] = (count, uids, [f.replace(" \\Recent", "").replace("\\Recent", "") for f in fetched])
                r.cmd("O", "LOGOUT")
            except Exception as e:  # reported below with the session number
                errors.append(f"session {n}: {e!r}")
                quiet.abort()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(len(counts), sessions)
        for n, (count, uids, fetched) in counts.items():
            self.assertEqual(count, len(uids), f"session {n} counted {count}, the server has {len(uids)}")
            self.assertEqual((uids, fetched), (counts[0][1], counts[0][2]), f"session {n} disagrees with session 0")
        r = Raw(self.server.imaps_port, self.ctx)
        r.cmd("L", f"LOGIN {USER} {PASSWORD}")
        final = r.cmd("E", "EXAMINE INBOX")
        exists = int(next(line.split()[1] for line in final if line.endswith(" EXISTS")))
        uids = next(line for line in r.cmd("U", "UID SEARCH ALL") if line.startswith("* SEARCH")).split()[2:]
        self.assertEqual(exists, len(uids))
        self.assertEqual(uids, sorted(uids, key=int), "UIDs ascend with message numbers")
        status = r.cmd("S", "STATUS INBOX (MESSAGES)")[0]
        self.assertEqual(status, f"* STATUS INBOX (MESSAGES {exists})", "the counters agree with the messages")
        self.assertEqual(uids, counts[0][1])
        r.close()


class ImapManySessionsTest(OwnServerTest):
    """Fifty clients on one mailbox at once (issue 22): a session that has not been told of an
    expunge yet can still read what it sees (RFC 2180 4.1.1), and a FETCH never answers NO."""

    def test_fifty_sessions_fetch_store_expunge_and_append_without_expungeissued(self):
        import random
        sessions, seconds = 50, 8
        r = Raw(self.server.imaps_port, self.ctx)
        r.cmd("L", f"LOGIN {USER} {PASSWORD}")
        for i in range(100):
            body = f"Subject: tok-seed-{i}\r\n\r\ntok-seed-{i}\r\n".encode()
            r.send(f"a{i} APPEND INBOX {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
            r.until(f"a{i}")
        r.close()
        errors, refused, fetched = [], [], [0]
        start = threading.Barrier(sessions, timeout=60)

        def session(rng):
            r = Raw(self.server.imaps_port, self.ctx)
            r.cmd("L", f"LOGIN {USER} {PASSWORD}")
            lines = r.cmd("S", "SELECT INBOX")
            return r, int(next(line.split()[1] for line in lines if line.endswith(" EXISTS")))

        def worker(n):
            rng = random.Random(n)
            try:
                start.wait()
                r, count = session(rng)
                deadline = time.time() + seconds
                i = 0
                while time.time() < deadline:
                    i += 1
                    tag, op = f"t{i}", rng.random()
                    if op < 0.15 or count < 5:
                        body = f"Subject: tok-{n}-{i}\r\n\r\ntok-{n}-{i}\r\n".encode()
                        r.send(f"{tag} APPEND INBOX {{{len(body)}+}}\r\n".encode() + body + b"\r\n")
                        lines = r.until(tag)
                    elif op < 0.30:
                        lines = r.cmd(tag, f"STORE {rng.randint(1, count)} +FLAGS.SILENT (\\Deleted)")
                    elif op < 0.40:
                        lines = r.cmd(tag, "EXPUNGE")
                    elif op < 0.85:
                        first = rng.randint(1, count)
                        lines = r.cmd(tag, f"FETCH {first}:{min(count, first + 5)} "
                                           "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])")
                        for line in lines:
                            # (other sessions' flag changes come as FETCH responses too)
                            if re.match(r"\* \d+ FETCH \(", line) and "BODY[" in line:
                                fetched[0] += 1
                                tokens = re.findall(r"tok-[\w-]+", line)
                                if len(tokens) != 2 or tokens[0] != tokens[1]:
                                    errors.append(f"session {n}: a message read wrong: {line[:300]!r}")
                        if not lines[-1].startswith(f"{tag} OK"):
                            refused.append(lines[-1])
                    elif op < 0.95:
                        lines = r.cmd(tag, "NOOP")
                    else:
                        r.cmd(tag, "LOGOUT")
                        r.close()
                        r, count = session(rng)
                        continue
                    if not re.match(rf"{tag} (OK|NO) ", lines[-1]):
                        raise AssertionError(f"{tag}: {lines[-1]}")
                    for line in lines:
                        if m := re.match(r"\* (\d+) EXISTS$", line):
                            count = int(m.group(1))
                        elif re.match(r"\* \d+ EXPUNGE$", line):
                            count -= 1
                r.cmd("O", "LOGOUT")
            except Exception as e:  # reported below with the session number
                errors.append(f"session {n}: {e!r}")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(sessions)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertGreater(fetched[0], 500, "the sessions did read messages")
        self.assertEqual(refused, [], f"{len(refused)} FETCH commands were not answered OK")


class ImapExpungedBodiesTest(OwnServerTest):
    """The body of a message another session expunged stays readable for
    `[imap] keep_expunged_secs` (RFC 2180 4.1.1), then is deleted."""

    IMAP_EXTRA = "keep_expunged_secs = 2"

    def test_a_session_not_told_of_an_expunge_reads_the_message_until_it_is_deleted(self):
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            for subject in ("one", "two"):
                c.sendmail("bob@outside.example", [USER], message(subject, body=f"body of {subject}\r\n"))
        a, b = Raw(self.server.imaps_port, self.ctx), Raw(self.server.imaps_port, self.ctx)
        for r in (a, b):
            r.cmd("L", f"LOGIN {USER} {PASSWORD}")
            r.cmd("S", "SELECT INBOX")
        self.assertEqual(b.cmd("d", r"STORE 1 +FLAGS.SILENT (\Deleted)")[-1], "d OK STORE completed")
        self.assertEqual(b.cmd("x", "EXPUNGE")[0], "* 1 EXPUNGE")
        lines = a.cmd("f", "FETCH 1:2 (BODY.PEEK[TEXT])")
        self.assertIn("body of one", lines[0], "A was not told: it still reads message 1")
        self.assertIn("body of two", lines[1])
        self.assertEqual(lines[-1], "f OK FETCH completed")
        time.sleep(4)  # longer than keep_expunged_secs and the sweep after it
        lines = a.cmd("g", "FETCH 1:2 (BODY.PEEK[TEXT])")
        self.assertEqual(len(lines), 2, lines)
        self.assertIn("body of two", lines[0], "the live message is answered")
        self.assertEqual(lines[-1], "g OK [EXPUNGEISSUED] FETCH completed; some messages were deleted meanwhile")
        self.assertEqual(a.cmd("h", "FETCH 1 (BODY.PEEK[TEXT])")[-1],
                         "h NO [EXPUNGEISSUED] The messages were deleted meanwhile")
        self.assertEqual(a.cmd("n", "NOOP")[0], "* 1 EXPUNGE")
        self.assertIn("body of two", a.cmd("i", "FETCH 1 (BODY.PEEK[TEXT])")[0])
        a.close()
        b.close()


if __name__ == "__main__":
    unittest.main()

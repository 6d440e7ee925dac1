"""Large incoming messages go to the store in parts while they arrive ([limits]
message_part_size): a session holds about one part, so more message octets than the message
memory can arrive at once; every octet is stored as sent, over DATA and BDAT; a message that is
not stored (too large, a NUL, the client gone) leaves no part behind, and one cut off by kill -9
is removed when the server starts again."""

import imaplib
import re
import smtplib
import ssl
import threading
import time
import unittest

from harness import Dialogue, Server

KIB, MIB = 1 << 10, 1 << 20
USER = "carol@example.com"
PASSWORD = "parts-password-1"
DROPPED = re.compile(r"dropped=(\d+).*removed the parts|removed the parts.*dropped=(\d+)")


def content(n, size):
    """About `size` octets; every other line starts with a dot (stuffed on the wire)."""
    head = f"From: <dave@outside.example>\r\nTo: <{USER}>\r\nSubject: parts {n}\r\n\r\n".encode()
    lines = []
    total = len(head)
    i = 0
    while total < size:
        line = (f"{'.' if i % 2 else ''}{n:04d}-{i:07d} " + "0123456789abcdef" * 4 + "\r\n").encode()
        lines.append(line)
        total += len(line)
        i += 1
    return head + b"".join(lines)


def stuffed(message):
    """`message` as DATA sends it, end marker included."""
    return re.sub(rb"(?m)^\.", b"..", message) + b".\r\n"


def session(port):
    d = Dialogue(port, timeout=60)
    assert d.read_reply()[0] == 220
    assert d.cmd("EHLO client.example").startswith("250")
    return d


def open_data(d):
    assert d.cmd("MAIL FROM:<dave@outside.example>").startswith("250")
    assert d.cmd(f"RCPT TO:<{USER}>").startswith("250")
    assert d.cmd("DATA").startswith("354")


def dropped_at_start(server):
    """What the last start logged as removed parts of unfinished messages (0 if nothing)."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", server.log(tail=None))
    found = [m.group(1) or m.group(2) for m in DROPPED.finditer(log)]
    return int(found[-1]) if found else 0


class MessagesInParts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        limits = {"message_part_size": 64 * KIB, "message_memory": 8 * MIB, "max_message_size": 6 * MIB}
        cls.server = Server(shards=2, limits=limits).start()
        cls.server.cli("domain", "add", "example.com")
        cls.server.add_user(USER, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def fetch_all(self):
        """{subject: stored message} of the INBOX."""
        m = imaplib.IMAP4("127.0.0.1", self.server.imap_port, timeout=60)
        m.host = "mx.test"
        m.starttls(ssl_context=ssl.create_default_context(cafile=self.server.cert_path))
        m.login(USER, PASSWORD)
        m.select("INBOX", readonly=True)
        typ, data = m.fetch("1:*", "(BODY.PEEK[])")
        m.logout()
        self.assertEqual(typ, "OK")
        stored = {}
        for item in data:
            if isinstance(item, tuple):
                # The message's own Subject, not one quoted in a report's body.
                head = item[1].split(b"\r\n\r\n", 1)[0]
                subject = re.search(rb"\r\nSubject: ([^\r]*)", head).group(1).decode()
                stored[subject] = item[1]
        return stored

    def test_a_data_and_a_bdat_message_in_many_parts_arrive_octet_for_octet(self):
        by_data, by_bdat, small = content(1, 3 * MIB), content(2, 2 * MIB + 12345), content(3, 2000)
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=60) as c:
            c.sendmail("dave@outside.example", [USER], by_data)
            c.sendmail("dave@outside.example", [USER], small)
        d = session(self.server.port)
        self.assertTrue(d.cmd("MAIL FROM:<dave@outside.example>").startswith("250"))
        self.assertTrue(d.cmd(f"RCPT TO:<{USER}>").startswith("250"))
        # Chunks that do not line up with the parts, pipelined.
        pieces = [by_bdat[i:i + 300_001] for i in range(0, len(by_bdat), 300_001)]
        for i, piece in enumerate(pieces):
            last = " LAST" if i == len(pieces) - 1 else ""
            d.send(b"BDAT %d%s\r\n" % (len(piece), last.encode()) + piece)
        replies = [d.read_reply() for _ in pieces]
        self.assertTrue(all(code == 250 for code, _ in replies), replies)
        d.close()
        stored = self.fetch_all()
        for subject, sent in (("parts 1", by_data), ("parts 2", by_bdat), ("parts 3", small)):
            got = stored[subject]
            self.assertTrue(got.endswith(sent), f"{subject}: stored content differs from what was sent")
            self.assertTrue(got.startswith(b"Return-Path:") and b"\r\nReceived: from " in got[:len(got) - len(sent)])

    def test_more_message_octets_than_the_message_memory_arrive_at_once(self):
        # Six 2 MiB messages in flight together: 12 MiB against a budget of 8 MiB, which only
        # has to cover each message's checks at its end.
        sessions = [session(self.server.port) for _ in range(6)]
        messages = [content(10 + i, 2 * MIB) for i in range(6)]
        for d, m in zip(sessions, messages):
            open_data(d)
            d.send(stuffed(m)[:-3])
        time.sleep(0.5)
        replies = [None] * 6

        def finish(i):
            sessions[i].send(b".\r\n")
            replies[i] = sessions[i].read_reply()

        threads = [threading.Thread(target=finish, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r[0] for r in replies], [250] * 6, replies)
        for d in sessions:
            d.close()
        stored = self.fetch_all()
        for i, m in enumerate(messages):
            self.assertTrue(stored[f"parts {10 + i}"].endswith(m))


    def test_a_success_report_of_a_message_in_parts_returns_its_header_fields(self):
        # NOTIFY=SUCCESS for a local recipient: the report is made from the header fields in the
        # message's first part (RET=HDRS), without reading the whole message back for it.
        sent = content(30, 2 * MIB)
        d = session(self.server.port)
        self.assertTrue(d.cmd(f"MAIL FROM:<{USER}> RET=FULL").startswith("250"))
        self.assertTrue(d.cmd(f"RCPT TO:<{USER}> NOTIFY=SUCCESS").startswith("250"))
        self.assertTrue(d.cmd("DATA").startswith("354"))
        d.send(stuffed(sent))
        self.assertEqual(d.read_reply()[0], 250)
        d.close()
        reports = [uid for uid, _, subject in self.server.mail_list(USER) if subject == "Successful Mail Delivery Report"]
        self.assertEqual(len(reports), 1, "committed before the 250")
        report = self.server.mail_cat(USER, reports[0])
        self.assertIn(b"Subject: parts 30", report, "the original header fields come back")
        self.assertIn(b"Action: delivered", report)
        self.assertLess(len(report), 64 * KIB, "headers only, not the 2 MiB message")
        self.assertTrue(self.fetch_all()["parts 30"].endswith(sent), "the message itself is whole")


class PartsOfMessagesNotStored(unittest.TestCase):
    def test_refused_and_abandoned_messages_leave_no_parts_and_kill_9_is_cleaned_at_start(self):
        limits = {"message_part_size": 64 * KIB, "max_message_size": 2 * MIB}
        server = Server(shards=1, limits=limits).start()
        try:
            server.cli("domain", "add", "example.com")
            server.add_user(USER, PASSWORD)
            d = session(server.port)
            open_data(d)
            d.send(stuffed(content(20, 3 * MIB)))
            self.assertEqual(d.read_reply()[0], 552, "over max_message_size")
            open_data(d)
            nul = content(21, MIB)
            d.send(stuffed(nul[:500_000] + b"\0" + nul[500_000:]))
            self.assertEqual(d.read_reply()[0], 554, "a NUL octet")
            open_data(d)
            d.send(stuffed(content(22, MIB))[:700_000])
            time.sleep(0.3)
            d.close()  # gone in the middle of DATA
            time.sleep(0.3)
            with smtplib.SMTP("127.0.0.1", server.port, timeout=60) as c:
                c.sendmail("dave@outside.example", [USER], content(23, MIB))  # control: stored
            server.stop()
            server.start()
            self.assertEqual(dropped_at_start(server), 0, "the sessions removed what they had written")

            d = session(server.port)
            open_data(d)
            d.send(stuffed(content(24, MIB))[:800_000])
            time.sleep(0.5)
            server.kill9()
            server.start()
            self.assertEqual(dropped_at_start(server), 1, "the message cut off by kill -9")
            subjects = [s for _, _, s in server.mail_list(USER)]
            self.assertEqual(subjects, ["parts 23"], "only the control was stored")
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()

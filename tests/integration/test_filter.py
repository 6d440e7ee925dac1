"""Filtering of mail from other servers: a client listed on a DNS blocklist (dnsmasq serves the
zone) is refused before the greeting with the zone's text; the local allow list exempts it;
the local block list refuses networks at connect and senders at MAIL FROM. Clients bind to
127.0.0.2 and up, outside relay_networks; 127.0.0.1 is our own and never filtered."""

import email.message
import getpass
import hashlib
import os
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

from harness import Dialogue, Server, free_port
from test_delivery import wait_for
from test_mailauth import start_dnsmasq


class BlocklistTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns, port = start_dnsmasq([("2.0.0.127.bl.test", "Listed for testing; see https://bl.test/127.0.0.2")],
                                      extra=["--host-record=2.0.0.127.bl.test,127.0.0.2",
                                             "--host-record=5.0.0.127.bl.test,127.255.255.254"])
        cls.s = Server(shards=1, hostname="mx.far.test", extra='relay_networks = ["127.0.0.1/32"]',
                       sections=f'[dns]\nnameservers = ["127.0.0.1:{port}"]\ntimeout_ms = 500\n'
                                '[dnsbl]\nzones = ["bl.test"]')
        cls.s.start()
        cls.s.cli("domain", "add", "far.test")
        cls.s.add_user("bob@far.test")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        cls.dns.send_signal(signal.SIGTERM)
        cls.dns.wait()

    def greeting(self, source):
        d = Dialogue(self.s.port, source=(source, 0))
        try:
            code, lines = d.read_reply()
            return lines[-1], d.closed()
        finally:
            d.close()

    def test_a_listed_client_is_refused_before_the_greeting_with_the_zone_text(self):
        line, closed = self.greeting("127.0.0.2")
        self.assertEqual(line, "554 5.7.1 Service unavailable; client [127.0.0.2] blocked using bl.test: "
                               "Listed for testing; see https://bl.test/127.0.0.2")
        self.assertTrue(closed)

    def test_unlisted_and_error_answers_and_our_own_clients_are_greeted(self):
        self.assertTrue(self.greeting("127.0.0.3")[0].startswith("220 "))
        self.assertTrue(self.greeting("127.0.0.5")[0].startswith("220 "), "127.255.255.254 is an error code")
        self.assertTrue(self.greeting("127.0.0.1")[0].startswith("220 "))

    def test_the_allow_list_exempts_and_the_block_list_refuses(self):
        self.s.cli("allow", "add", "127.0.0.2")
        try:
            wait_for("the allow list to apply", lambda: self.greeting("127.0.0.2")[0].startswith("220 "), timeout=15)
        finally:
            self.s.cli("allow", "del", "127.0.0.2")
        self.s.cli("block", "add", "127.0.0.6/32")
        self.assertIn(b"127.0.0.6", self.s.cli("block", "list").stdout)
        try:
            wait_for("the block list to apply",
                     lambda: self.greeting("127.0.0.6")[0] == "554 5.7.1 Client [127.0.0.6] blocked by local policy",
                     timeout=15)
        finally:
            self.s.cli("block", "del", "127.0.0.6")

    def test_a_blocked_sender_domain_is_refused_at_mail_from(self):
        self.s.cli("block", "add", "Spammer.Test")
        try:
            def refused():
                d = Dialogue(self.s.port, source=("127.0.0.3", 0))
                try:
                    d.read_reply()
                    d.cmd("EHLO client.test")
                    return d.cmd("MAIL FROM:<x@mail.spammer.test>")
                finally:
                    d.close()
            wait_for("the sender to be refused", lambda: refused().startswith("550 5.7.1"), timeout=15)
            self.assertEqual(refused(), "550 5.7.1 <x@mail.spammer.test>: Sender address blocked by local policy")
            d = Dialogue(self.s.port)
            try:
                d.read_reply()
                d.cmd("EHLO us.test")
                self.assertTrue(d.cmd("MAIL FROM:<x@mail.spammer.test>").startswith("250"), "our own are not filtered")
            finally:
                d.close()
        finally:
            self.s.cli("block", "del", "spammer.test")

    def test_bad_entries_are_refused_by_the_cli(self):
        r = self.s.cli("block", "add", "not an entry", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not a network, a domain or an address", r.stderr + r.stdout)


EICAR = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def with_attachment(name, data):
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "alice@far.test", "bob@far.test", f"attached {name}"
    msg.set_content("see attached")
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes().replace(b"\n", b"\r\n")


def send_to(server, message):
    """Sends `message` to bob@far.test; (code, text) of the end of DATA."""
    with smtplib.SMTP("127.0.0.1", server.port, timeout=30) as c:
        try:
            c.sendmail("alice@far.test", ["bob@far.test"], message)
            return 250, ""
        except smtplib.SMTPDataError as e:
            return e.smtp_code, e.smtp_error.decode()


class AntivirusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ringmail-av-")
        ndb = os.path.join(cls.tmp, "custom.ndb")
        with open(ndb, "w") as f:
            f.write("Test.Custom.Pattern:0:*:" + b"not a real virus, a pattern".hex() + "\n")
        hdb = os.path.join(cls.tmp, "custom.hdb")
        sample = b"a whole file known by its hash"
        with open(hdb, "w") as f:
            f.write(f"{hashlib.md5(sample).hexdigest()}:{len(sample)}:Test.Custom.Hash\n")
        cls.s = Server(shards=1, hostname="mx.far.test", sections=f'[antivirus]\ndatabases = ["{ndb}", "{hdb}"]')
        cls.s.start()
        cls.s.cli("domain", "add", "far.test")
        cls.s.add_user("bob@far.test")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def send(self, message):
        return send_to(self.s, message)

    def test_eicar_in_a_base64_attachment_is_refused(self):
        code, text = self.send(with_attachment("eicar.com", EICAR.encode()))
        self.assertEqual((code, text), (554, "5.7.1 Message refused: infected with Eicar-Test-Signature"))
        self.assertEqual([r for r in self.s.mail_list("bob@far.test") if r[2] == "attached eicar.com"], [])

    def test_eicar_inside_a_zip_inside_a_zip_is_refused(self):
        import io
        import zipfile
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("eicar.com", EICAR + " " * 4096)
        outer = io.BytesIO()
        with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("inner.zip", inner.getvalue())
        self.assertNotIn(EICAR.encode(), outer.getvalue(), "compressed, the raw bytes do not show it")
        code, text = self.send(with_attachment("archive.zip", outer.getvalue()))
        self.assertEqual((code, text), (554, "5.7.1 Message refused: infected with Eicar-Test-Signature"))

    def test_custom_pattern_and_hash_signatures_are_found(self):
        code, text = self.send(with_attachment("p.bin", b"header bytes not a real virus, a pattern trailer"))
        self.assertEqual(code, 554)
        self.assertIn("Test.Custom.Pattern", text)
        code, text = self.send(with_attachment("h.bin", b"a whole file known by its hash"))
        self.assertEqual(code, 554)
        self.assertIn("Test.Custom.Hash", text)

    def test_clean_mail_is_delivered(self):
        self.assertEqual(self.send(with_attachment("clean.bin", b"just data"))[0], 250)
        self.assertTrue([r for r in self.s.mail_list("bob@far.test") if r[2] == "attached clean.bin"])


def start_clamd(directory, signatures):
    """clamd (Debian's clamav-daemon) on a free port with only `signatures` (an .ndb text)."""
    db = os.path.join(directory, "db")
    os.makedirs(db, exist_ok=True)
    with open(os.path.join(db, "test.ndb"), "w") as f:
        f.write(signatures)
    port = free_port()
    conf = os.path.join(directory, "clamd.conf")
    with open(conf, "w") as f:
        f.write(f"Foreground yes\nDatabaseDirectory {db}\nTCPSocket {port}\nTCPAddr 127.0.0.1\n"
                f"LogFile {directory}/clamd.log\nPidFile {directory}/clamd.pid\nUser {getpass.getuser()}\n")
    proc = subprocess.Popen(["clamd", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("clamd did not start")
            time.sleep(0.2)


class ClamdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ringmail-clamd-")
        pattern = b"only clamd knows this pattern".hex()
        cls.clamd, port = start_clamd(cls.tmp, f"Test.Clamd.Pattern:0:*:{pattern}\n")
        cls.s = Server(shards=1, hostname="mx.far.test", sections=f'[antivirus]\nclamd = "127.0.0.1:{port}"')
        cls.closed = Server(shards=1, hostname="mx.far.test",
                            sections=f'[antivirus]\nclamd = "127.0.0.1:{free_port()}"\nclamd_fail_open = false')
        for s in (cls.s, cls.closed):
            s.start()
            s.cli("domain", "add", "far.test")
            s.add_user("bob@far.test")

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()
        cls.closed.cleanup()
        cls.clamd.terminate()
        cls.clamd.wait()

    def send(self, server, message):
        return send_to(server, message)

    def test_clamd_finds_what_the_built_in_scanner_does_not_know(self):
        code, text = self.send(self.s, with_attachment("x.bin", b"xx only clamd knows this pattern xx"))
        self.assertEqual(code, 554)
        self.assertIn("infected with Test.Clamd.Pattern", text)
        self.assertEqual(self.send(self.s, with_attachment("y.bin", b"harmless"))[0], 250)

    def test_an_unreachable_clamd_defers_mail_when_it_must_not_be_skipped(self):
        code, text = self.send(self.closed, with_attachment("z.bin", b"harmless"))
        self.assertEqual((code, text), (451, "4.7.1 Virus scanner unavailable, try again later"))


if __name__ == "__main__":
    unittest.main()

"""Filtering of mail from other servers: a client listed on a DNS blocklist (dnsmasq serves the
zone) is refused before the greeting with the zone's text; the local allow list exempts it;
the local block list refuses networks at connect and senders at MAIL FROM. Clients bind to
127.0.0.2 and up, outside relay_networks; 127.0.0.1 is our own and never filtered."""

import signal
import unittest

from harness import Dialogue, Server
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


if __name__ == "__main__":
    unittest.main()

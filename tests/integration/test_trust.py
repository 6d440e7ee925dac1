"""Trust boundaries, tried as an attacker would: header forgeries of a domain that publishes SPF
-all and DMARC p=reject (victim.test), sent from another server (127.0.0.2) whose own domain
(attacker.test) passes SPF; logged-in users and restricted relay networks that put someone
else's address in From; and the postmaster and abuse mailboxes RFC 5321 and RFC 2142 require.
Each class has a control that must pass: an honest message from the same attacker domain
arrives, a user's own address and a granted one are accepted."""

import signal
import smtplib
import ssl
import unittest

import harness
from harness import Server
from test_mailauth import auth_results


def find(server, address, subject, mailbox="INBOX"):
    rows = [r for r in server.mail_list(address, mailbox) if r[2] == subject]
    return server.mail_cat(address, rows[0][0], mailbox) if rows else None

PASSWORD = "secret-password"


def message(header, subject):
    return (f"{header}To: <bob@far.test>\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
            f"Message-ID: <{abs(hash(subject))}@attacker.test>\r\n\r\nhello\r\n").encode()


class ForgedAuthorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns, port = harness.start_dnsmasq([
            "--txt-record=victim.test,v=spf1 -all",
            "--txt-record=_dmarc.victim.test,v=DMARC1; p=reject",
            "--txt-record=attacker.test,v=spf1 ip4:127.0.0.2 -all",
        ])
        dns = f'[dns]\nnameservers = ["127.0.0.1:{port}"]\ntimeout_ms = 500\n'
        cls.b = Server(shards=1, hostname="mx.far.test", extra='relay_networks = ["127.0.0.1/32"]', sections=dns)
        cls.junk = Server(shards=1, hostname="mx.far.test", extra='relay_networks = ["127.0.0.1/32"]',
                          sections=dns + '[mailauth]\nambiguous_author = "junk"\n')
        for server in (cls.b, cls.junk):
            server.start()
            server.cli("domain", "add", "far.test")
            server.add_user("bob@far.test")

    @classmethod
    def tearDownClass(cls):
        cls.b.cleanup()
        cls.junk.cleanup()
        cls.dns.send_signal(signal.SIGTERM)
        cls.dns.wait()

    def send(self, header, subject, server=None):
        """Sends from 127.0.0.2 with an SPF-passing envelope; (code, text) of the end of DATA."""
        server = server or self.b
        with smtplib.SMTP("127.0.0.1", server.port, timeout=30, source_address=("127.0.0.2", 0)) as c:
            c.ehlo("mail.attacker.test")
            self.assertEqual(c.mail("a@attacker.test")[0], 250)
            self.assertEqual(c.rcpt("bob@far.test")[0], 250)
            code, text = c.data(message(header, subject))
            return code, text.decode()

    def subjects(self, server, mailbox="INBOX"):
        return [row[2] for row in server.mail_list("bob@far.test", mailbox)]

    def assert_refused(self, headers, prefix, why):
        """Each of `headers` (name: header fields) is refused with 550 5.7.1 saying `why`, and
        none reaches the INBOX."""
        for name, header in headers.items():
            with self.subTest(name):
                code, text = self.send(header, f"{prefix} {name}")
                self.assertEqual(code, 550, text)
                self.assertIn("5.7.1", text)
                self.assertIn(why, text)
        delivered = self.subjects(self.b)
        for name in headers:
            self.assertNotIn(f"{prefix} {name}", delivered)

    def test_an_honest_message_from_the_attacker_domain_arrives(self):
        code, _ = self.send("From: Alice <a@attacker.test>\r\n", "honest")
        self.assertEqual(code, 250)
        results = auth_results(find(self.b, "bob@far.test", "honest"))
        self.assertIn("spf=pass", results)
        self.assertIn("dmarc=none", results)
        self.assertIn("header.from=attacker.test", results)

    def test_header_forgeries_are_refused(self):
        forgeries = {
            "two from fields": "From: boss@victim.test\r\nFrom: a@attacker.test\r\n",
            "space before the colon": "From : boss@victim.test\r\nFrom: a@attacker.test\r\n",
            "folded name": "From\r\n : boss@victim.test\r\nFrom: a@attacker.test\r\n",
            "two mailboxes": "From: a@attacker.test, boss@victim.test\r\n",
            "route": "From: <@attacker.test:boss@victim.test>\r\n",
            "text after the address": "From: <a@attacker.test>boss@victim.test\r\n",
            "quoted pair": "From: <\"boss@victim.test\\\"\"@attacker.test>\r\n",
            "encoded word in the address": "From: <=?utf-8?q?boss=40victim.test?=@attacker.test>\r\n",
            "no from": "Sender: a@attacker.test\r\n",
            "group": "From: Victim staff: boss@victim.test;\r\n",
            "unbalanced quote": "From: \"boss@victim.test <a@attacker.test>\r\n",
        }
        self.assert_refused(forgeries, "forged", "ambiguous")

    def test_a_victim_shown_elsewhere_gets_its_own_dmarc_policy(self):
        shown = {
            "display name": "From: \"boss@victim.test\" <a@attacker.test>\r\n",
            "encoded display name": "From: =?utf-8?q?boss=40victim.test?= <a@attacker.test>\r\n",
            "sender": "From: a@attacker.test\r\nSender: boss@victim.test\r\n",
            "resent-from": "Resent-From: boss@victim.test\r\nFrom: a@attacker.test\r\n",
        }
        self.assert_refused(shown, "shown", "DMARC policy of victim.test")

    def test_with_the_junk_setting_an_ambiguous_author_is_filed_into_junk(self):
        code, _ = self.send("From: boss@victim.test\r\nFrom: a@attacker.test\r\n", "junked", server=self.junk)
        self.assertEqual(code, 250)
        self.assertNotIn("junked", self.subjects(self.junk))
        self.assertIn("junked", self.subjects(self.junk, "Junk"))
        raw = find(self.junk, "bob@far.test", "junked", mailbox="Junk")
        results = auth_results(raw)
        self.assertIn("dmarc=permerror", results)
        self.assertIn("ambiguous author: several From fields", results)
        self.assertNotIn("dmarc=pass", results)
        self.assertNotIn("dmarc=none", results)
        code, _ = self.send("From: a@attacker.test\r\n", "junk control", server=self.junk)
        self.assertEqual(code, 250)
        self.assertIn("junk control", self.subjects(self.junk))


class SendAsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s = Server(shards=1, extra='relay_networks = ["127.0.0.1/32"]\n'
                                       '[[relay_network]]\nnetwork = "127.0.0.3/32"\n'
                                       'sender_domains = ["app.test"]')
        cls.s.start()
        cls.s.cli("domain", "add", "corp.test")
        for user in ("ann@corp.test", "ben@corp.test", "robot@corp.test"):
            cls.s.add_user(user)
        cls.s.cli("alias", "add", "sales@corp.test", "ann@corp.test")
        cls.s.cli("user", "grant", "ann@corp.test", "--send-as", "ceo@corp.test")
        cls.s.cli("user", "grant", "ann@corp.test", "--send-as", "@news.test")
        cls.s.cli("user", "grant", "robot@corp.test", "--send-as-anyone")
        cls.ctx = ssl.create_default_context(cafile=cls.s.cert_path)

    @classmethod
    def tearDownClass(cls):
        cls.s.cleanup()

    def submit(self, user, mail_from, header):
        """Submits as `user` on 587; (code, text) of the end of DATA (or of MAIL)."""
        with smtplib.SMTP("127.0.0.1", self.s.submission_port, timeout=30) as c:
            c._host = "mx.test"
            c.starttls(context=self.ctx)
            c.login(user, PASSWORD)
            code, text = c.mail(mail_from)
            if code != 250:
                return code, text.decode()
            self.assertEqual(c.rcpt("ben@corp.test")[0], 250)
            code, text = c.data(f"{header}Subject: x\r\n\r\nhi\r\n".encode())
            return code, text.decode()

    def test_own_addresses_and_grants_are_accepted(self):
        allowed = [
            ("ann@corp.test", "From: Ann <ann@corp.test>\r\n"),
            ("ann@corp.test", "From: ann+news@corp.test\r\n"),
            ("ann@corp.test", "From: sales@corp.test\r\n"),
            ("ann@corp.test", "From: ceo@corp.test\r\nSender: ann@corp.test\r\n"),
            ("ann@corp.test", "From: letters@news.test\r\n"),
            ("robot@corp.test", "From: anybody@anywhere.test\r\n"),
        ]
        for user, header in allowed:
            with self.subTest(header):
                self.assertEqual(self.submit(user, user, header)[0], 250)

    def test_a_colleagues_address_is_refused_naming_it(self):
        refused = [
            "From: Ben <ben@corp.test>\r\n",
            "From: ann@corp.test\r\nSender: ben@corp.test\r\n",
            "From: ceo@other.test\r\n",
            "From: ann@corp.test\r\nFrom: ben@corp.test\r\n",
        ]
        for header in refused:
            with self.subTest(header):
                code, text = self.submit("ann@corp.test", "ann@corp.test", header)
                self.assertEqual(code, 550, text)
                self.assertIn("5.7.1", text)
        code, text = self.submit("ann@corp.test", "ann@corp.test", "From: ben@corp.test\r\n")
        self.assertIn("ben@corp.test", text)
        self.assertIn("not owned by user ann@corp.test", text)

    def test_revoking_a_grant_takes_it_back(self):
        self.s.cli("user", "grant", "ben@corp.test", "--send-as", "ann@corp.test")
        self.assertEqual(self.submit("ben@corp.test", "ben@corp.test", "From: ann@corp.test\r\n")[0], 250)
        self.s.cli("user", "revoke", "ben@corp.test", "--send-as", "ann@corp.test")
        self.assertEqual(self.submit("ben@corp.test", "ben@corp.test", "From: ann@corp.test\r\n")[0], 550)

    def relay(self, source, mail_from, header):
        with smtplib.SMTP("127.0.0.1", self.s.port, timeout=30, source_address=(source, 0)) as c:
            c.ehlo("app.test")
            code, text = c.mail(mail_from)
            if code != 250:
                return code, text.decode()
            self.assertEqual(c.rcpt("someone@elsewhere.test")[0], 250, "a relay network relays")
            code, text = c.data(f"{header}Subject: x\r\n\r\nhi\r\n".encode())
            return code, text.decode()

    def test_a_restricted_relay_network_sends_only_as_its_domains(self):
        self.assertEqual(self.relay("127.0.0.3", "bounces@app.test", "From: news@mail.app.test\r\n")[0], 250)
        code, text = self.relay("127.0.0.3", "bounces@app.test", "From: billing@corp.test\r\n")
        self.assertEqual(code, 550, text)
        code, text = self.relay("127.0.0.3", "bounces@corp.test", "From: news@app.test\r\n")
        self.assertEqual(code, 553, text)
        # Control: an unrestricted relay network is trusted as before.
        self.assertEqual(self.relay("127.0.0.1", "x@corp.test", "From: billing@corp.test\r\n")[0], 250)


class PostmasterTest(unittest.TestCase):
    def test_postmaster_and_abuse_are_accepted_for_every_local_domain(self):
        s = Server(shards=1)
        try:
            s.start()
            s.cli("domain", "add", "corp.test")
            s.add_user("ann@corp.test")
            s.cli("domain", "add", "shop.test", "--postmaster", "ann@corp.test")
            with smtplib.SMTP("127.0.0.1", s.port, timeout=30) as c:
                c.ehlo("client.elsewhere.test")
                for rcpt in ["<postmaster>", "<PostMaster>", "<postmaster@corp.test>", "<abuse@corp.test>",
                             "<postmaster@mx.test>", "<abuse@shop.test>", "<postmaster@shop.test>"]:
                    self.assertEqual(c.docmd("MAIL FROM:<a@elsewhere.test>")[0], 250)
                    code, text = c.docmd(f"RCPT TO:{rcpt}")
                    self.assertEqual(code, 250, f"{rcpt}: {text}")
                    code, text = c.data(f"From: a@elsewhere.test\r\nSubject: to {rcpt}\r\n\r\nhi\r\n")
                    self.assertEqual(code, 250, text)
                self.assertEqual(c.docmd("MAIL FROM:<a@elsewhere.test>")[0], 250)
                self.assertEqual(c.docmd("RCPT TO:<nobody@corp.test>")[0], 550, "control: other unknown users")
            server_box = [row[2] for row in s.mail_list("postmaster@mx.test")]
            self.assertEqual(sorted(server_box), sorted(f"to {r}" for r in
                             ["<postmaster>", "<PostMaster>", "<postmaster@corp.test>", "<abuse@corp.test>",
                              "<postmaster@mx.test>"]))
            self.assertEqual(sorted(row[2] for row in s.mail_list("ann@corp.test")),
                             ["to <abuse@shop.test>", "to <postmaster@shop.test>"], "the postmaster named at add")
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()

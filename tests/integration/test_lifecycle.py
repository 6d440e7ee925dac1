"""Start-up, SIGTERM shutdown, configuration errors, and the admin commands online and offline."""

import os
import smtplib
import stat
import subprocess
import time
import unittest

from harness import BIN, Dialogue, Server


class ShutdownTest(unittest.TestCase):
    def test_sigterm_answers_421_and_exits_0(self):
        s = Server().start()
        try:
            s.add_user("bob@mx.test")
            idle = Dialogue(s.port)
            idle.read_reply()
            idle.cmd("EHLO c.example")
            in_data = Dialogue(s.port)
            in_data.read_reply()
            in_data.cmd("EHLO c.example")
            in_data.cmd("MAIL FROM:<a@b.example>")
            in_data.cmd("RCPT TO:<bob@mx.test>")
            in_data.cmd("DATA")
            in_data.send("Subject: unfinished\r\n")
            time.sleep(0.2)
            t0 = time.time()
            self.assertEqual(s.stop(), 0)
            self.assertLess(time.time() - t0, 8)
            for d in (idle, in_data):
                self.assertEqual(d.read_reply()[1][-1], "421 4.3.2 Service shutting down, try again later")
                self.assertTrue(d.closed())
            self.assertEqual(s.mail_list("bob@mx.test"), [], "the aborted message was not stored")
        finally:
            s.cleanup()


class ConfigTest(unittest.TestCase):
    def run_bin(self, *args):
        return subprocess.run([BIN, *args], capture_output=True, timeout=30)

    def test_defaults_print_and_check(self):
        out = self.run_bin("config", "defaults")
        self.assertEqual(out.returncode, 0)
        text = out.stdout.decode()
        for key in ["hostname", "data_dir", "shards", "relay_networks", "[smtp]", "listen", "[limits]",
                    "max_message_size", "max_recipients", "max_connections", "max_connections_per_ip",
                    "command_timeout_secs", "data_timeout_secs"]:
            self.assertIn(key, text)
        s = Server()
        try:
            with open(s.config, "w") as f:
                f.write(text)
            r = self.run_bin("--config", s.config, "config", "check")
            self.assertEqual(r.returncode, 0, r.stderr)
        finally:
            s.cleanup()

    def test_bad_files_name_the_key_and_line(self):
        s = Server()
        try:
            for content, line, key in [
                ('hostname = "mx.test"\n[limits]\nmax_recipents = 5\n', 3, "max_recipents"),
                ('shards = "two"\n', 1, "shards"),
                ('[smtp]\nlisten = ["not-an-address"]\n', 2, "listen"),
            ]:
                with open(s.config, "w") as f:
                    f.write(content)
                r = self.run_bin("--config", s.config, "config", "check")
                err = r.stderr.decode()
                self.assertNotEqual(r.returncode, 0)
                self.assertIn(f"line {line}", err)
                self.assertIn(key, err)
                self.assertIn(s.config, err)
            r = self.run_bin("--config", s.config, "serve")
            self.assertNotEqual(r.returncode, 0, "serve refuses a bad file too")
        finally:
            s.cleanup()


class AdminTest(unittest.TestCase):
    def test_offline_then_online_administration(self):
        s = Server()
        try:
            # Offline: the CLI opens the store itself.
            s.cli("domain", "add", "example.net")
            s.add_user("ann@example.net")
            r = s.cli("user", "add", "x@unknown.example", "--password-stdin", input=b"long-password\n", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"not a local domain", r.stderr)
            s.start()
            # Online: the same commands go over the admin socket.
            mode = stat.S_IMODE(os.stat(os.path.join(s.dir, "data", "admin.sock")).st_mode)
            self.assertEqual(mode, 0o600)
            s.add_user("ben@example.net")
            dup = s.cli("user", "add", "ben@example.net", "--password-stdin", input=b"long-password\n", check=False)
            self.assertIn(b"exists already", dup.stderr)
            short = s.cli("user", "passwd", "ben@example.net", "--password-stdin", input=b"short\n", check=False)
            self.assertIn(b"at least 8", short.stderr)
            s.cli("user", "passwd", "ben@example.net", "--password-stdin", input=b"another-long-one\n")
            # The first start made the server's postmaster.
            users = ["ann@example.net", "ben@example.net", "postmaster@mx.test"]
            self.assertEqual(s.cli("user", "list").stdout.decode().split(), users)
            self.assertEqual(s.cli("domain", "list").stdout.decode().split(), ["example.net"])
            s.cli("alias", "add", "@example.net", "ann@example.net")
            self.assertIn("@example.net -> ann@example.net", s.cli("alias", "list").stdout.decode())
            with smtplib.SMTP("127.0.0.1", s.port, timeout=10) as c:
                c.sendmail("a@outside.example", ["anything@example.net", "ben@example.net"], "Subject: hi\r\n\r\nx\r\n")
            self.assertEqual([r[2] for r in s.mail_list("ann@example.net")], ["hi"], "catch-all delivered")
            self.assertEqual([r[2] for r in s.mail_list("ben@example.net")], ["hi"])
            missing = s.cli("mail", "cat", "ben@example.net", "99", check=False)
            self.assertNotEqual(missing.returncode, 0)
            s.cli("user", "del", "ben@example.net")
            self.assertEqual(s.cli("user", "list").stdout.decode().split(), ["ann@example.net", "postmaster@mx.test"])
            busy = s.cli("domain", "del", "example.net", check=False)
            self.assertIn(b"still has account", busy.stderr)
            self.assertEqual(s.stop(), 0)
            # After a clean stop the data is still there, read offline.
            self.assertEqual([r[2] for r in s.mail_list("ann@example.net")], ["hi"])
        finally:
            s.cleanup()

    def test_second_server_on_same_data_refuses_to_start(self):
        s = Server().start()
        try:
            r = subprocess.run([BIN, "--config", s.config, "serve"], capture_output=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"another ringmail running", r.stderr)
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()

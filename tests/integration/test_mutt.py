"""mutt against ringmail's IMAP with its header cache, `imap_qresync`, `imap_condstore` and
`imap_deflate` on, driven through a pseudo-terminal (`script`) with pushed keys. A first run
(COMPRESS=DEFLATE and ENABLE QRESYNC) moves a message to Archive. Between runs another client
flags one message and expunges another; the second run resynchronises from its cache with
`UID FETCH ... (CHANGEDSINCE n VANISHED)`, learns of both, and moves the flagged message, by
the flag it learned that way, to a folder of its own."""

import imaplib
import os
import re
import shutil
import smtplib
import ssl
import subprocess
import tempfile
import unittest

from harness import OneAccount

@unittest.skipUnless(shutil.which("mutt") and shutil.which("script"), "mutt is not installed (scripts/deps.sh)")
class MuttTest(OneAccount):
    USER = "ivy@example.com"
    PASSWORD = "mutt-password-1"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with smtplib.SMTP("127.0.0.1", cls.server.port, timeout=30) as c:
            for i in range(4):
                c.sendmail("bob@outside.example", [cls.USER],
                           f"From: bob@outside.example\r\nTo: {cls.USER}\r\nSubject: hello {i}\r\n\r\nbody {i}\r\n")
        cls.home = tempfile.mkdtemp(prefix="ringmail-mutt-")
        shutil.copy(cls.server.cert_path, os.path.join(cls.home, ".mutt_certificates"))
        with open(os.path.join(cls.home, "muttrc"), "w") as f:
            f.write(f'set folder="imaps://{cls.USER}@127.0.0.1:{cls.server.imaps_port}/"\nset spoolfile="+INBOX"\n'
                    f'set imap_pass="{cls.PASSWORD}"\nset header_cache="{cls.home}/hcache"\n'
                    "set imap_qresync=yes\nset imap_condstore=yes\nset imap_deflate=yes\n"
                    "set confirmappend=no\nset confirmcreate=no\nset delete=yes\nset quit=yes\nset move=no\n"
                    "set ssl_verify_host=no\n")

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.home, ignore_errors=True)

    def mutt(self, keys):
        """Runs mutt on INBOX with `keys` pushed; its debug log (the IMAP dialogue)."""
        log = os.path.join(self.home, ".muttdebug0")
        if os.path.exists(log):
            os.unlink(log)
        command = f"mutt -d 2 -F {self.home}/muttrc -e 'push \"{keys}\"'"
        done = subprocess.run(["script", "-qec", command, "/dev/null"], capture_output=True, timeout=60,
                              stdin=subprocess.DEVNULL, env={**os.environ, "HOME": self.home, "TERM": "xterm"})
        self.assertEqual(done.returncode, 0, done.stdout[-500:])
        with open(log, errors="replace") as f:
            return f.read()

    def imap(self):
        ctx = ssl.create_default_context(cafile=self.server.cert_path)
        ctx.check_hostname = False
        im = imaplib.IMAP4_SSL("127.0.0.1", self.server.imaps_port, ssl_context=ctx)
        im.login(self.USER, self.PASSWORD)
        return im

    def subjects(self, im, mailbox):
        im.select(mailbox)
        _, data = im.search(None, "ALL")
        found = []
        for n in data[0].split():
            _, parts = im.fetch(n, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            found.append(parts[0][1].decode().strip())
        return found

    def test_mutt_moves_mail_and_resynchronises_with_qresync(self):
        log = self.mutt("<tag-pattern>~s hello.1<enter><tag-prefix><save-message>=Archive<enter><sync-mailbox><quit>")
        self.assertIn("COMPRESS DEFLATE", log)
        self.assertIn("ENABLE QRESYNC", log)
        im = self.imap()
        self.assertEqual(self.subjects(im, "Archive"), ["Subject: hello 1"])
        self.assertEqual(self.subjects(im, "INBOX"), ["Subject: hello 0", "Subject: hello 2", "Subject: hello 3"])
        # Another client changes the mailbox between mutt's sessions.
        im.select("INBOX")
        _, uids = im.uid("SEARCH", None, "ALL")
        first, _, last = uids[0].split()
        im.uid("STORE", last, "+FLAGS", r"(\Flagged)")
        im.uid("STORE", first, "+FLAGS", r"(\Deleted)")
        im.expunge()
        im.logout()
        log = self.mutt("<tag-pattern>~F<enter><tag-prefix><save-message>=Flagged<enter><sync-mailbox><quit>")
        fetch = re.search(r"UID FETCH \S+ \(FLAGS\) \(CHANGEDSINCE \d+ VANISHED\)", log)
        self.assertTrue(fetch, "mutt resynchronised from its cache with QRESYNC")
        self.assertRegex(log, rf"VANISHED \(EARLIER\) {first.decode()}\b", "and learned of the expunge")
        im = self.imap()
        self.assertEqual(self.subjects(im, "Flagged"), ["Subject: hello 3"], "the flag came through the resync")
        self.assertEqual(self.subjects(im, "INBOX"), ["Subject: hello 2"])
        im.logout()


if __name__ == "__main__":
    unittest.main()

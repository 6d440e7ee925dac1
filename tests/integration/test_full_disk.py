"""A full disk: the server answers 451 4.3.0, keeps running, recovers once there is room again,
and loses nothing it acknowledged.

The data directory lives on a small tmpfs, so this test needs root (to mount); it is skipped,
and reported as skipped, otherwise.
"""

import os
import subprocess
import time
import unittest

from harness import Dialogue, Server

TMPFS_MIB = 24
MESSAGE_KIB = 512


def message(n):
    line = f"message {n} " + "x" * 60 + "\r\n"
    body = line * (MESSAGE_KIB * 1024 // len(line))
    return f"Subject: disk-{n}\r\n\r\n{body}".encode()


def can_mount():
    return os.geteuid() == 0


@unittest.skipUnless(can_mount(), "needs root to mount a small tmpfs")
class FullDiskTest(unittest.TestCase):
    def setUp(self):
        self.server = Server(shards=1)
        self.mount = os.path.join(self.server.dir, "data")
        os.makedirs(self.mount)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_MIB}m", "tmpfs", self.mount],
                           capture_output=True)
        if r.returncode != 0:
            self.skipTest(f"cannot mount tmpfs: {r.stderr.decode().strip()}")

    def tearDown(self):
        self.server.cleanup_process()
        subprocess.run(["umount", "-l", self.mount], capture_output=True)
        self.server.cleanup()

    def send(self, d, n):
        """One transaction; returns the final reply line."""
        self.assertTrue(d.cmd("MAIL FROM:<load@outside.example>").startswith("250"))
        self.assertTrue(d.cmd("RCPT TO:<disk@mx.test>").startswith("250"))
        self.assertTrue(d.cmd("DATA").startswith("354"))
        d.send(message(n) + b".\r\n")
        return d.read_reply()[1][-1]

    def test_disk_full_answers_451_and_keeps_every_acknowledged_message(self):
        s = self.server.start()
        s.add_user("disk@mx.test")
        d = Dialogue(s.port, timeout=60)
        d.read_reply()
        d.cmd("EHLO client.test")
        acked, refusal = [], None
        for n in range(4 * TMPFS_MIB * 1024 // MESSAGE_KIB):
            last = self.send(d, n)
            if last.startswith("250"):
                acked.append(n)
            else:
                refusal = last
                break
        self.assertIsNotNone(refusal, "the disk never filled up")
        self.assertTrue(refusal.startswith("451 4.3.0"), refusal)
        self.assertGreater(len(acked), 0)
        # The session and the server survive the failure.
        self.assertTrue(d.cmd("NOOP").startswith("250"))

        # Once there is room again, the same server takes mail again without a restart.
        subprocess.run(["mount", "-o", f"remount,size={4 * TMPFS_MIB}m", self.mount], check=True)
        deadline = time.time() + 60
        while True:
            last = self.send(d, 9999)
            if last.startswith("250"):
                acked.append(9999)
                break
            self.assertTrue(last.startswith("451 4.3.0"), last)
            self.assertLess(time.time(), deadline, "the store did not recover from the full disk")
            time.sleep(1)
        self.assertEqual(d.cmd("QUIT")[:3], "221")
        d.close()
        self.assertEqual(s.stop(), 0, s.log())

        # After a restart: every acknowledged message is there, byte for byte, and only those.
        s.start()
        rows = s.mail_list("disk@mx.test")
        stored = {subject: uid for uid, _size, subject in rows}
        self.assertEqual(len(rows), len(acked), "no duplicates")
        self.assertEqual(sorted(stored), sorted(f"disk-{n}" for n in acked))
        for n in acked:
            raw = s.mail_cat("disk@mx.test", stored[f"disk-{n}"])
            self.assertTrue(raw.endswith(message(n)), f"disk-{n} differs")

if __name__ == "__main__":
    unittest.main()

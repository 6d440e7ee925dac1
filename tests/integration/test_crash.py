"""kill -9 under load: every message answered 250 is there after restart, intact, once."""

import smtplib
import threading
import time
import unittest
from email.message import EmailMessage

from harness import Server

THREADS = 8
PER_THREAD = 400  # upper bound; the kill comes first


def body_for(subject):
    return f"{subject}\n" + (subject + " payload line\n") * 40


class CrashTest(unittest.TestCase):
    def test_kill_9_loses_no_acknowledged_message(self):
        server = Server(shards=2)
        try:
            server.start()
            server.add_user("crash@mx.test")
            acked, lock, stop = [], threading.Lock(), threading.Event()

            def sender(t):
                try:
                    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as c:
                        for i in range(PER_THREAD):
                            if stop.is_set():
                                return
                            subject = f"crash-{t}-{i}"
                            m = EmailMessage()
                            m["Subject"] = subject
                            m.set_content(body_for(subject))
                            c.send_message(m, from_addr="load@outside.example", to_addrs=["crash@mx.test"])
                            with lock:
                                acked.append(subject)
                except (smtplib.SMTPException, OSError):
                    return  # the server died mid-conversation: expected

            threads = [threading.Thread(target=sender, args=(t,)) for t in range(THREADS)]
            for th in threads:
                th.start()
            deadline = time.time() + 20
            while time.time() < deadline:
                with lock:
                    if len(acked) >= 150:
                        break
                time.sleep(0.02)
            server.kill9()
            stop.set()
            for th in threads:
                th.join(30)
            with lock:
                acked_now = list(acked)
            self.assertGreater(len(acked_now), 20, "load ran before the kill")

            server.start()
            rows = server.mail_list("crash@mx.test")
            subjects = [s for _, _, s in rows]
            self.assertEqual(len(subjects), len(set(subjects)), "no message stored twice")
            missing = set(acked_now) - set(subjects)
            self.assertEqual(missing, set(), f"{len(missing)} acknowledged messages lost")
            for uid, _, subject in rows:
                raw = server.mail_cat("crash@mx.test", uid).decode()
                self.assertTrue(raw.endswith(body_for(subject).replace("\n", "\r\n")), f"{subject} corrupted")
            uids = [u for u, _, _ in rows]
            self.assertEqual(uids, sorted(uids))

            # UIDs continue after the restart: none is handed out twice.
            with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as c:
                c.sendmail("load@outside.example", ["crash@mx.test"], "Subject: after\r\n\r\nafter\r\n")
            after = [u for u, _, s in server.mail_list("crash@mx.test") if s == "after"]
            self.assertEqual(len(after), 1)
            self.assertGreater(after[0], max(uids))
            print(f"\n    crash test: {len(acked_now)} acknowledged before kill -9, {len(rows)} stored, 0 lost", end="")
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()

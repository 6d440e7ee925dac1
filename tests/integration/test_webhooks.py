"""Webhooks, at least once: a real HTTP endpoint in the test receives the event log as signed
JSON batches. It is down (500) when mail starts, comes up, and ringmail is killed with -9 in
the middle of the run and restarted; every message answered 250 must have had its reception
event delivered, and every recipient its outcome (a delivery, or a bounce and a suppression
for the addresses the remote server refuses), duplicates allowed. A second webhook with the
wrong secret and a kind filter shows that the endpoint's signature check is a real one."""

import hashlib
import hmac
import json
import os
import smtplib
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import Server
from sink import Sink

SECRET = "webhook-test-secret"
THREADS = 4
PER_THREAD = 2000  # upper bound; the kill comes first
KILL_AFTER = 300  # events the endpoint accepted before kill -9
AFTER_RESTART = 30  # more messages once it is back


class Endpoint:
    """An HTTP server on 127.0.0.1 that checks each POST's X-Ringmail-Signature, answers 500
    while `down`, and keeps the events of the batches it accepted, by path."""

    def __init__(self):
        self.down = True
        self.events = {}  # path -> [event]
        self.bad_signatures = {}  # path -> count
        self.unsigned_kinds = set()  # the kinds of event in the batches that failed the check
        self.refused_while_down = 0
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                signed = hmac.compare_digest(self.headers.get("X-Ringmail-Signature", ""), expected)
                with endpoint.lock:
                    if not signed:
                        endpoint.bad_signatures[self.path] = endpoint.bad_signatures.get(self.path, 0) + 1
                        endpoint.unsigned_kinds.update(e["event"] for e in json.loads(body))
                        status = 401
                    elif endpoint.down:
                        endpoint.refused_while_down += 1
                        status = 500
                    else:
                        assert self.headers["Content-Type"] == "application/json"
                        endpoint.events.setdefault(self.path, []).extend(json.loads(body))
                        status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def received(self, path="/hook"):
        with self.lock:
            return list(self.events.get(path, []))

    def close(self):
        self.server.shutdown()


class Gone:
    """The addresses the sink refuses (550 5.1.1): those that start with "gone-"."""

    def __contains__(self, address):
        return address.startswith("gone-")


def webhook_config(endpoint, sink):
    return "\n".join([
        "[delivery]", "retry_schedule_secs = [1]", "poll_interval_ms = 200", "connect_timeout_secs = 2",
        "[events]", "retain = 0",  # trim everything sent: what is unsent must stay all the same
        "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{sink.port}"',
        "[[webhook]]", f'url = "http://127.0.0.1:{endpoint.port}/hook"', f'secret = "{SECRET}"', "batch_size = 50",
        "[[webhook]]", f'url = "http://127.0.0.1:{endpoint.port}/wrong"', 'secret = "not-the-secret"',
        'events = ["bounce"]',
    ])


def send_one(client, to, subject):
    """One transaction; the queue id from the 250 reply."""
    client.ehlo_or_helo_if_needed()
    code, reply = client.mail("sender@mx.test")
    assert code == 250, reply
    for rcpt in to:
        code, reply = client.rcpt(rcpt)
        assert code == 250, reply
    code, reply = client.data(f"From: sender@mx.test\r\nSubject: {subject}\r\n\r\n{subject}\r\n")
    assert code == 250, reply
    return reply.decode().rsplit(" ", 1)[1]


def wait_for(what, check, timeout):
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


class WebhookTest(unittest.TestCase):
    def test_every_event_reaches_the_endpoint_through_an_outage_and_a_kill_9(self):
        endpoint = Endpoint()
        sink = Sink()
        sink.refuse = Gone()
        server = Server(shards=2, sections=webhook_config(endpoint, sink))
        try:
            server.start()
            started = time.time()
            server.add_user("local@mx.test")
            server.add_user("sender@mx.test")  # bounce reports stay here
            # id -> the remote recipients of each acknowledged message
            acked, lock = {}, threading.Lock()

            def sender(t, count, stop, running):
                try:
                    with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as c:
                        for i in range(count):
                            running.wait()
                            if stop.is_set():
                                return
                            remote = f"ok-{t}-{i}@far.test" if i % 3 else f"gone-{t}-{i}@far.test"
                            message_id = send_one(c, ["local@mx.test", remote], f"hook-{t}-{i}")
                            with lock:
                                acked[message_id] = remote
                except (smtplib.SMTPException, OSError):
                    return  # the server died mid-conversation: expected

            stop, running = threading.Event(), threading.Event()
            running.set()
            threads = [threading.Thread(target=sender, args=(t, PER_THREAD, stop, running)) for t in range(THREADS)]
            for th in threads:
                th.start()
            # Mail flows while the endpoint answers 500, then pauses until retention has run
            # (10 s after the start, with retain = 0): it must keep what was not sent.
            time.sleep(1)
            running.clear()
            time.sleep(max(0.0, started + 11 - time.time()))
            with endpoint.lock:
                endpoint.down = False
            running.set()
            wait_for("events at the endpoint", lambda: len(endpoint.received()) >= KILL_AFTER, 20)
            with lock:
                acked_at_kill = len(acked)
            server.kill9()
            stop.set()
            for th in threads:
                th.join(30)
            sent_before_kill = len(endpoint.received())
            self.assertGreater(endpoint.refused_while_down, 0, "the endpoint was tried while it was down")
            self.assertTrue(all(not th.is_alive() for th in threads))

            server.start()
            more = threading.Thread(target=sender, args=(THREADS, AFTER_RESTART, threading.Event(), running))
            more.start()
            more.join(30)
            with lock:
                self.assertEqual(sum(1 for r in acked.values() if r.split("-")[1] == str(THREADS)), AFTER_RESTART)
            with lock:
                expected = dict(acked)

            def missing():
                events = endpoint.received()
                seen = {(e["event"], e.get("id"), e.get("recipient") or e.get("address")) for e in events}
                lost = []
                for message_id, remote in expected.items():
                    outcome = "bounce" if remote.startswith("gone-") else "delivery"
                    wanted = [("reception", message_id, None), (outcome, message_id, remote)]
                    if outcome == "bounce":
                        wanted.append(("suppression", message_id, remote))
                    lost += [w for w in wanted if w not in seen]
                return lost

            try:
                wait_for("every event at the endpoint", lambda: not missing(), 30)
            except AssertionError:
                lost = missing()
                kinds = {kind: sum(1 for k, _, _ in lost if k == kind) for kind, _, _ in lost}
                self.fail(f"{len(lost)} events never reached the endpoint ({kinds}), e.g. {lost[:3]}\n{server.log()}")
            events = endpoint.received()
            seqs = [e["seq"] for e in events]
            # Every event the file log got (written after each commit) went to the endpoint too.
            with open(os.path.join(server.data_dir, "events.log")) as f:
                logged = [json.loads(line) for line in f if line.strip()]
            by_content = {json.dumps({k: v for k, v in e.items() if k != "seq"}, sort_keys=True) for e in events}
            not_sent = [e for e in logged if json.dumps(e, sort_keys=True) not in by_content]
            self.assertEqual(not_sent, [], "events in the file that the endpoint never got")

            # The wrong secret fails the endpoint's check every time (and a failed check is
            # retried, not skipped); the kind filter holds.
            with endpoint.lock:
                self.assertGreater(endpoint.bad_signatures.get("/wrong", 0), 0)
                self.assertNotIn("/hook", endpoint.bad_signatures)
                self.assertNotIn("/wrong", endpoint.events)
                self.assertEqual(endpoint.unsigned_kinds, {"bounce"})
            print(f"\n    webhooks: {acked_at_kill} acknowledged at kill -9 ({sent_before_kill} events sent), "
                  f"{len(expected)} in all, {len(events)} events received, "
                  f"{len(seqs) - len(set(seqs))} duplicates, 0 lost", end="")
        finally:
            server.cleanup()
            sink.close()
            endpoint.close()


if __name__ == "__main__":
    unittest.main()

"""The HTTP API with real clients (urllib and curl): tokens and scopes, bad input, injection
(raw and built, with substitutions, sender ownership, suppressed recipients, DKIM signing),
the queue with suspensions, and the administration endpoints."""

import base64
import email
import email.policy
import json
import subprocess
import time
import unittest
import urllib.error
import urllib.request

from harness import Server, free_port, unreachable_route
from sink import Sink


def call(port, method, path, body=None, token=None, raw=None, headers=None):
    """(status, parsed JSON or text) of one request."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        request.add_header(k, v)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            status, text, kind = r.status, r.read().decode(), r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        status, text, kind = e.code, e.read().decode(), e.headers.get("Content-Type", "")
    return status, (json.loads(text) if kind.startswith("application/json") else text)


class HttpApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sink = Sink()
        cls.http_port = free_port()
        cls.server = Server(shards=2, hostname="mx.test", sections="\n".join([
            "[http]", f'listen = ["127.0.0.1:{cls.http_port}"]', "max_body_mib = 1",
            "[[route]]", 'domain = "far.test"', f'host = "127.0.0.1:{cls.sink.port}"',
            unreachable_route("stuck.test"),
        ]))
        cls.server.start()
        s = cls.server
        s.cli("domain", "add", "example.test")
        s.add_user("alice@example.test")
        s.add_user("bob@example.test")
        s.cli("dkim", "generate", "example.test", "--selector", "s1", "--algorithm", "ed25519")
        cls.admin = cls.token("ops", "admin")
        cls.reader = cls.token("grafana", "read")
        cls.alice = cls.token("app", "inject", "--user", "alice@example.test")
        cls.tenant = cls.token("tenant", "inject", "--domain", "example.test")

    @classmethod
    def token(cls, name, scope, *binding):
        out = cls.server.cli("api-token", "add", name, "--scope", scope, *binding).stdout.decode()
        token = out.split()[0]
        assert token.startswith("rm_"), out
        return token

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.sink.close()

    def api(self, method, path, body=None, token=None, **kw):
        return call(self.http_port, method, path, body, token, **kw)

    def inject(self, body, token=None):
        return self.api("POST", "/api/v1/messages", body, token or self.alice)

    # --- authentication --------------------------------------------------------------
    def test_tokens_and_scopes(self):
        status, body = self.api("GET", "/api/v1/queue")
        self.assertEqual(status, 401)
        self.assertIn("error", body)
        self.assertEqual(self.api("GET", "/api/v1/queue", token="rm_" + "0" * 64)[0], 401)
        self.assertEqual(self.api("GET", "/api/v1/queue", token=self.reader)[0], 200, "control: a read token reads")
        status, body = self.api("POST", "/api/v1/domains", {"domain": "x.test"}, self.reader)
        self.assertEqual(status, 403)
        self.assertIn("scope", body["error"])
        self.assertEqual(self.api("GET", "/api/v1/queue", token=self.alice)[0], 403, "inject cannot read")
        status, _ = self.inject({"from": "alice@example.test", "recipients": ["bob@example.test"],
                                 "content": "From: alice@example.test\r\nSubject: r\r\n\r\nx\r\n"}, self.reader)
        self.assertEqual(status, 403, "reading is not sending")
        listed = self.server.cli("api-token", "list").stdout.decode()
        self.assertIn("app\tinject\tuser=alice@example.test", listed)
        self.assertNotIn(self.alice, listed, "tokens are stored only as hashes")

    def test_a_deleted_token_stops_working(self):
        token = self.token("short-lived", "read")
        self.assertEqual(self.api("GET", "/api/v1/domains", token=token)[0], 200)
        self.assertEqual(self.api("DELETE", "/api/v1/tokens/short-lived", token=self.admin)[0], 200)
        self.assertEqual(self.api("GET", "/api/v1/domains", token=token)[0], 401)

    # --- bad input -------------------------------------------------------------------
    def test_bad_bodies(self):
        status, body = self.api("POST", "/api/v1/messages", token=self.alice, raw=b"{not json")
        self.assertEqual(status, 400)
        status, body = self.inject({"recipients": ["bob@example.test"], "content": "x"})
        self.assertEqual((status, body.get("field")), (400, "from"))
        status, body = self.inject({"from": "alice@example.test", "content": "x"})
        self.assertEqual((status, body.get("field")), (400, "recipients"))
        status, body = self.inject({"from": "alice@example.test", "recipients": ["bob@example.test"]})
        self.assertEqual(status, 400)
        status, body = self.inject({"from": "alice@example.test", "recipients": ["not an address"], "content": "x"})
        self.assertEqual(status, 400)
        status, body = self.inject({"from": "alice@example.test", "recipients": ["bob@example.test"], "content": "x",
                                    "subjet": "misspelt"})
        self.assertEqual((status, body.get("field")), (400, "subjet"))
        big = {"from": "alice@example.test", "recipients": ["bob@example.test"], "content": "x" * (2 << 20)}
        self.assertEqual(self.inject(big)[0], 413)
        self.assertEqual(self.api("GET", "/api/v1/nothing", token=self.admin)[0], 404)
        self.assertEqual(self.api("PATCH", "/api/v1/domains", {}, self.admin)[0], 405)

    # --- injection -------------------------------------------------------------------
    def test_raw_injection_is_stored_before_the_answer(self):
        content = "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\nSubject: raw over http\r\n\r\nhello\r\n"
        status, body = self.inject({"from": "alice@example.test", "recipients": ["bob@example.test"], "content": content})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["accepted"], 1)
        self.assertEqual(body["recipients"][0]["status"], "delivered")
        rows = [r for r in self.server.mail_list("bob@example.test") if r[2] == "raw over http"]
        self.assertEqual(len(rows), 1, "in the mailbox as soon as the API answered")
        stored = self.server.mail_cat("bob@example.test", rows[0][0]).decode()
        self.assertIn("with HTTP id", stored)

    def test_built_messages_get_their_own_substitutions(self):
        self.server.add_user("carol@example.test")
        status, body = self.inject({
            "from": "alice@example.test",
            "recipients": [{"email": "bob@example.test", "substitutions": {"name": "Bob <&>"}},
                           {"email": "carol@example.test", "substitutions": {"name": "Carol"}}],
            "message": {"header_from": "Alice <alice@example.test>", "subject": "Hi {{name}}",
                        "text": "Dear {{name}},", "html": "<p>Dear {{name}}</p>",
                        "headers": {"X-Campaign": "c1"},
                        "attachments": [{"filename": "a.txt", "content_type": "text/plain",
                                         "data": base64.b64encode(b"attached bytes").decode()}]},
        })
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["messages"]), 2, "one message per recipient")
        for address, name in (("bob@example.test", "Bob <&>"), ("carol@example.test", "Carol")):
            rows = [r for r in self.server.mail_list(address) if r[2] == f"Hi {name}"]
            self.assertEqual(len(rows), 1, (address, self.server.mail_list(address)))
            msg = email.message_from_bytes(self.server.mail_cat(address, rows[0][0]), policy=email.policy.default)
            self.assertEqual(msg["To"], address)
            self.assertEqual(msg["X-Campaign"], "c1")
            self.assertEqual(msg.get_body(("plain",)).get_content().strip(), f"Dear {name},")
            html = msg.get_body(("html",)).get_content()
            self.assertIn("Bob &lt;&amp;&gt;" if name.startswith("Bob") else "Carol", html)
            attachment = next(msg.iter_attachments())
            self.assertEqual((attachment.get_filename(), attachment.get_content()), ("a.txt", "attached bytes"))

    def test_tokens_send_only_as_what_they_own(self):
        content = "From: bob@example.test\r\nSubject: forged\r\n\r\nx\r\n"
        status, body = self.inject({"from": "bob@example.test", "recipients": ["bob@example.test"], "content": content})
        self.assertEqual(status, 403, "the envelope sender is bob's")
        status, body = self.inject({"from": "alice@example.test", "recipients": ["bob@example.test"], "content": content})
        self.assertEqual(status, 403, "the author is bob")
        self.assertIn("bob@example.test", body["error"])
        status, _ = self.inject({"from": "bob@example.test", "recipients": ["alice@example.test"], "content": content},
                                self.tenant)
        self.assertEqual(status, 200, "control: a token of the domain may use any of its addresses")
        status, _ = self.inject({"from": "x@other.test", "recipients": ["alice@example.test"],
                                 "content": "From: x@other.test\r\n\r\nx\r\n"}, self.tenant)
        self.assertEqual(status, 403)
        status, body = self.inject({"from": "alice@example.test", "recipients": ["bob@example.test"],
                                    "content": "Subject: no author\r\n\r\nx\r\n"})
        self.assertEqual(status, 403)
        self.assertIn("ambiguous", body["error"])

    def test_suppressed_and_unknown_recipients_are_reported(self):
        status, _ = self.api("POST", "/api/v1/suppressions", {"address": "gone@far.test", "reason": "bounced"}, self.admin)
        self.assertEqual(status, 201)
        status, listed = self.api("GET", "/api/v1/suppressions", token=self.reader)
        self.assertIn("gone@far.test", [s["address"] for s in listed])
        content = "From: alice@example.test\r\nSubject: some suppressed\r\n\r\nx\r\n"
        status, body = self.inject({"from": "alice@example.test", "content": content,
                                    "recipients": ["gone@far.test", "nobody@example.test", "bob@example.test"]})
        self.assertEqual(status, 200, body)
        by = {r["email"]: r for r in body["recipients"]}
        self.assertEqual(by["gone@far.test"]["status"], "suppressed")
        self.assertEqual(by["nobody@example.test"]["status"], "refused")
        self.assertEqual(by["bob@example.test"]["status"], "delivered")
        self.assertEqual((body["accepted"], body["rejected"]), (1, 2))
        self.assertEqual(self.api("DELETE", "/api/v1/suppressions/gone@far.test", token=self.admin)[0], 200)

    def test_relayed_mail_is_signed_and_delivered(self):
        content = "From: alice@example.test\r\nTo: r@far.test\r\nSubject: to the sink\r\n\r\nsigned body\r\n"
        status, body = self.inject({"from": "alice@example.test", "recipients": ["r@far.test"], "content": content})
        self.assertEqual((status, body["recipients"][0]["status"]), (200, "queued"))
        deadline = time.time() + 20
        while time.time() < deadline and not any(b"to the sink" in m["data"] for m in self.sink.messages()):
            time.sleep(0.1)
        sent = [m["data"] for m in self.sink.messages() if b"to the sink" in m["data"]]
        self.assertEqual(len(sent), 1)
        self.assertIn(b"DKIM-Signature:", sent[0])
        self.assertIn(b"d=example.test", sent[0])

    # --- the queue -------------------------------------------------------------------
    def test_queue_suspend_resume_and_delete_a_destination(self):
        content = "From: alice@example.test\r\nSubject: stuck\r\n\r\nx\r\n"
        for n in range(3):
            status, _ = self.inject({"from": "alice@example.test", "recipients": [f"u{n}@stuck.test"], "content": content})
            self.assertEqual(status, 200)
        status, queue = self.api("GET", "/api/v1/queue", token=self.reader)
        stuck = next(d for d in queue if d["domain"] == "stuck.test")
        self.assertEqual(stuck["recipients"], 3)
        self.assertIsNone(stuck["suspended"])
        status, _ = self.api("PUT", "/api/v1/suspensions/stuck.test", {"reason": "blocklisted", "expires_in_secs": 600},
                             self.admin)
        self.assertEqual(status, 200)
        status, queue = self.api("GET", "/api/v1/queue", token=self.reader)
        stuck = next(d for d in queue if d["domain"] == "stuck.test")
        self.assertEqual(stuck["suspended"]["reason"], "blocklisted")
        self.assertIn("stuck.test", self.server.cli("queue", "suspended").stdout.decode())
        status, listed = self.api("GET", "/api/v1/queue/messages?domain=stuck.test", token=self.reader)
        self.assertEqual(len(listed), 3)
        status, shown = self.api("GET", f"/api/v1/queue/messages/{listed[0]['id']}", token=self.reader)
        self.assertEqual(shown["headers"]["Subject"], "stuck")
        self.assertEqual(self.api("DELETE", "/api/v1/suspensions/stuck.test", token=self.admin)[0], 200)
        self.assertEqual(self.api("DELETE", "/api/v1/suspensions/stuck.test", token=self.admin)[0], 404)
        status, body = self.api("DELETE", "/api/v1/destinations/stuck.test/messages", token=self.admin)
        self.assertEqual(status, 200, body)
        status, listed = self.api("GET", "/api/v1/queue/messages?domain=stuck.test", token=self.reader)
        self.assertEqual(listed, [])

    # --- administration --------------------------------------------------------------
    def test_administration_endpoints(self):
        a = self.admin
        self.assertEqual(self.api("POST", "/api/v1/domains", {"domain": "new.test"}, a)[0], 201)
        self.assertIn("new.test", self.api("GET", "/api/v1/domains", token=a)[1])
        self.assertEqual(self.api("POST", "/api/v1/domains", {"domain": "new.test"}, a)[0], 409)
        status, _ = self.api("POST", "/api/v1/users", {"address": "dave@new.test", "password": "long-enough-pw"}, a)
        self.assertEqual(status, 201)
        users = {u["address"]: u for u in self.api("GET", "/api/v1/users", token=a)[1]}
        self.assertIn("dave@new.test", users)
        self.assertEqual(self.api("PUT", "/api/v1/users/dave@new.test/password", {"password": "another-long-pw"}, a)[0], 200)
        self.assertEqual(self.api("POST", "/api/v1/users/dave@new.test/grants", {"send_as": "@example.test"}, a)[0], 200)
        users = {u["address"]: u for u in self.api("GET", "/api/v1/users", token=a)[1]}
        self.assertEqual(users["dave@new.test"]["send_as"], ["@example.test"])
        self.assertEqual(self.api("DELETE", "/api/v1/users/dave@new.test/grants/@example.test", token=a)[0], 200)
        self.assertEqual(self.api("POST", "/api/v1/aliases", {"alias": "team@new.test", "targets": ["dave@new.test"]}, a)[0], 201)
        self.assertIn({"alias": "team@new.test", "targets": ["dave@new.test"]}, self.api("GET", "/api/v1/aliases", token=a)[1])
        self.assertEqual(self.api("DELETE", "/api/v1/aliases/team@new.test", token=a)[0], 200)
        status, body = self.api("POST", "/api/v1/dkim", {"domain": "new.test", "selector": "k1", "algorithm": "ed25519"}, a)
        self.assertEqual(status, 201)
        self.assertIn("k1._domainkey.new.test", body["result"])
        keys = self.api("GET", "/api/v1/dkim", token=a)[1]
        self.assertIn(("new.test", "k1"), [(k["domain"], k["selector"]) for k in keys])
        self.assertEqual(self.api("DELETE", "/api/v1/dkim/new.test/k1", token=a)[0], 200)
        self.assertEqual(self.api("POST", "/api/v1/lists/block", {"entry": "192.0.2.0/24"}, a)[0], 201)
        self.assertIn("192.0.2.0/24", self.api("GET", "/api/v1/lists/block", token=a)[1])
        self.assertEqual(self.api("DELETE", "/api/v1/lists/block/192.0.2.0%2F24", token=a)[0], 200)
        status, made = self.api("POST", "/api/v1/tokens", {"name": "via-api", "scope": "read"}, a)
        self.assertEqual(status, 201)
        self.assertEqual(self.api("GET", "/api/v1/domains", token=made["token"])[0], 200)
        self.assertEqual(self.api("DELETE", "/api/v1/users/dave@new.test", token=a)[0], 200)
        self.assertEqual(self.api("DELETE", "/api/v1/users/dave@new.test", token=a)[0], 404)
        self.assertEqual(self.api("DELETE", "/api/v1/domains/new.test", token=a)[0], 200)

    def test_curl(self):
        url = f"http://127.0.0.1:{self.http_port}/api/v1/messages"
        payload = json.dumps({"from": "alice@example.test", "recipients": ["bob@example.test"],
                              "subject": "from curl", "text": "hello from curl"})
        out = subprocess.run(["curl", "-sS", "-w", "\n%{http_code}", "-H", f"Authorization: Bearer {self.alice}",
                              "-H", "Content-Type: application/json", "--data-binary", payload, url],
                             capture_output=True, timeout=30, check=True).stdout.decode()
        body, code = out.rsplit("\n", 1)
        self.assertEqual(code, "200", body)
        self.assertEqual(json.loads(body)["recipients"][0]["status"], "delivered")
        self.assertIn("from curl", [r[2] for r in self.server.mail_list("bob@example.test")])
        out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url], capture_output=True,
                             timeout=30).stdout.decode()
        self.assertEqual(out, "401")


if __name__ == "__main__":
    unittest.main()

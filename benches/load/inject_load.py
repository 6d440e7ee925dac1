"""Injects the same message into a running ringmail over SMTP and over the HTTP API, side by
side: `--mode smtp` (one message per transaction, RCPT per recipient, connections reused) or
`--mode http` (POST /api/v1/messages on keep-alive connections), with BATCH recipients per
message or request. Prints one line: mode, batch, messages (recipient copies), seconds, msgs/s.

Usage: inject_load.py --mode smtp|http --port P --count N --batch B --clients C
                      --recipients a@x,b@x,... [--token T] [--from SENDER]
"""

import argparse
import http.client
import json
import smtplib

import loadlib

BODY = ("From: {sender}\r\nTo: {to}\r\nSubject: load\r\n\r\n" + "The same message over SMTP and HTTP.\r\n" * 60)


def smtp_worker(port, count, batch, recipients, sender, _token, result):
    body = BODY.format(sender=sender, to=recipients[0]).encode()
    sent = 0
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as s:
        s.ehlo("load.test")
        for n in range(count):
            rcpts = [recipients[(n * batch + k) % len(recipients)] for k in range(batch)]
            refused = s.sendmail(sender, rcpts, body)
            sent += batch - len(refused)
    result.put((sent,))


def http_worker(port, count, batch, recipients, sender, token, result):
    content = BODY.format(sender=sender, to=recipients[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    sent = 0
    for n in range(count):
        rcpts = [recipients[(n * batch + k) % len(recipients)] for k in range(batch)]
        payload = json.dumps({"from": sender, "recipients": rcpts, "content": content})
        conn.request("POST", "/api/v1/messages", payload, headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise SystemExit(f"HTTP {response.status}: {answer}")
        sent += answer["accepted"]
    conn.close()
    result.put((sent,))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["smtp", "http"], required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--count", type=int, default=2000, help="messages (or requests) in all")
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--recipients", required=True)
    p.add_argument("--token", default="")
    p.add_argument("--from", dest="sender", default="load@example.test")
    a = p.parse_args()
    recipients = a.recipients.split(",")
    worker = smtp_worker if a.mode == "smtp" else http_worker
    per = a.count // a.clients
    jobs = [(a.port, per, a.batch, recipients, a.sender, a.token) for _ in range(a.clients)]
    (sent,), elapsed = loadlib.run(worker, jobs)
    print(f"{a.mode}\t{a.batch}\t{sent}\t{elapsed:.2f}\t{sent / elapsed:.0f}")


if __name__ == "__main__":
    main()

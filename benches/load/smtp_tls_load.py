#!/usr/bin/env python3
"""A bounded SMTP-over-TLS load client (smtp-source has no TLS): SESSIONS processes send MESSAGES
messages of SIZE bytes in total, with STARTTLS (or implicit TLS) and optional AUTH PLAIN, either
one connection per message (--per-message: measures handshakes) or one connection per process.
Prints messages/s and TLS handshakes/s. Certificates are not verified: this measures cost only."""

import argparse
import smtplib
import ssl

import loadlib


def worker(args, count, result):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    body = ("Subject: load\r\n\r\n" + ("x" * 76 + "\r\n") * (args.size // 78)).encode()
    sent = handshakes = 0

    def connect():
        if args.implicit:
            c = smtplib.SMTP_SSL("127.0.0.1", args.port, context=ctx, timeout=60)
        else:
            c = smtplib.SMTP("127.0.0.1", args.port, timeout=60)
            c.starttls(context=ctx)
        c.ehlo("load.test")
        if args.auth:
            user, password = args.auth.split(":", 1)
            c.user, c.password = user, password
            c.auth("PLAIN", c.auth_plain)
        return c

    c = None
    for _ in range(count):
        if c is None:
            c = connect()
            handshakes += 1
        c.sendmail(args.sender, [args.rcpt], body)
        sent += 1
        if args.per_message:
            c.quit()
            c = None
    if c is not None:
        c.quit()
    result.put((sent, handshakes))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--sessions", type=int, default=8)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--per-message", action="store_true", help="new TLS connection for every message")
    p.add_argument("--implicit", action="store_true", help="implicit TLS (port 465) instead of STARTTLS")
    p.add_argument("--auth", help="USER:PASSWORD for AUTH PLAIN")
    p.add_argument("--sender", default="load@src.test")
    p.add_argument("--rcpt", default="u@bench.test")
    args = p.parse_args()
    share = [args.messages // args.sessions + (i < args.messages % args.sessions) for i in range(args.sessions)]
    (sent, handshakes), elapsed = loadlib.run(worker, [(args, n) for n in share])
    print(f"{sent / elapsed:.0f} msgs/s, {handshakes / elapsed:.0f} TLS handshakes/s "
          f"({sent} messages, {handshakes} connections, {elapsed:.1f} s)")


if __name__ == "__main__":
    main()

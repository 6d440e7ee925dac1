#!/usr/bin/env python3
"""A bounded POP3 load client: USERS processes, each logging in as its own user (u1..uN, STLS
then USER/PASS) ROUNDS times and retrieving every message with LIST and RETR, deleting nothing.
Prints retrieved messages/s, logins/s and MB/s. Certificates are not verified: this measures
cost only."""

import argparse
import poplib
import ssl

import loadlib


def worker(args, user, result):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    messages = octets = 0
    for _ in range(args.rounds):
        p = poplib.POP3("127.0.0.1", args.port, timeout=60)
        p.stls(context=ctx)
        p.user(f"{user}@{args.domain}")
        p.pass_(args.password)
        _, listing, _ = p.list()
        for line in listing:
            _, lines, size = p.retr(int(line.split()[0]))
            messages += 1
            octets += size
        p.quit()
    result.put((messages, octets))


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--users", type=int, default=8)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--domain", default="bench.test")
    p.add_argument("--password", default="bench-password")
    args = p.parse_args()
    (messages, octets), elapsed = loadlib.run(worker, [(args, f"u{i}") for i in range(1, args.users + 1)])
    logins = args.users * args.rounds
    print(f"{messages / elapsed:.0f} msgs/s retrieved, {logins / elapsed:.0f} logins/s, "
          f"{octets / elapsed / 1e6:.1f} MB/s ({messages} messages, {logins} logins, {elapsed:.1f} s)")


if __name__ == "__main__":
    main()

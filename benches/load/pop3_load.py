#!/usr/bin/env python3
"""A bounded POP3 load client: USERS processes, each logging in as its own user (u1..uN, STLS
then USER/PASS) ROUNDS times and retrieving every message with LIST and RETR, deleting nothing.
Prints retrieved messages/s, logins/s and MB/s. Certificates are not verified: this measures
cost only."""

import argparse
import multiprocessing
import poplib
import ssl
import time


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
    result = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=worker, args=(args, f"u{i}", result)) for i in range(1, args.users + 1)]
    t0 = time.time()
    for proc in procs:
        proc.start()
    totals = [result.get(timeout=600) for _ in procs]
    elapsed = time.time() - t0
    for proc in procs:
        proc.join()
    messages, octets = sum(t[0] for t in totals), sum(t[1] for t in totals)
    logins = args.users * args.rounds
    print(f"{messages / elapsed:.0f} msgs/s retrieved, {logins / elapsed:.0f} logins/s, "
          f"{octets / elapsed / 1e6:.1f} MB/s ({messages} messages, {logins} logins, {elapsed:.1f} s)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A bounded IMAP load client for comparing servers (ringmail, Dovecot) with identical work.

Raw sockets, one command at a time per connection (no pipelining), LOGIN with a password
(plain text, or inside implicit TLS with --tls; certificates are not verified: this measures
cost only). Subcommands:

  load  --port P --messages M [--users U]
        APPENDs the same M messages of about 4 KiB (varied senders and subjects, every second
        one \\Seen; a fixed seed) to INBOX of u1..uU@bench.test, over one connection per user,
        in order, so both servers get the same UIDs. Prints appends/s.
  run   --port P --clients N --seconds S --messages M [--users U] [--pid PID] [--json FILE]
        N processes, each logged in once (clients spread over the U users), start together and
        loop for S seconds over: SELECT INBOX; FETCH 1:50 (FLAGS ENVELOPE); UID FETCH r BODY.PEEK[];
        STORE r +FLAGS (\\Flagged); UID STORE r -FLAGS (\\Flagged); SEARCH SUBJECT w; SEARCH UNSEEN;
        NOOP; every 5th loop SORT (REVERSE DATE) UTF-8 ALL, THREAD REFERENCES UTF-8 ALL,
        SEARCH TEXT w (reading every message) and SELECT INBOX (QRESYNC (uidvalidity modseq)) from
        the HIGHESTMODSEQ the last one saw (after ENABLE QRESYNC at login); and every 10th loop APPEND of a small \\Deleted
        message then UID EXPUNGE of its APPENDUID (the data set stays as loaded); --skip leaves
        steps out (e.g. search-subject, sort, thread, search-text).
        Random choices come from a fixed seed per client, so both servers see the same command
        sequence. Prints commands/s, per-command
        latencies, NO/BAD answers and sanity-check failures; with --pid, also the CPU time of
        that process and all its descendants (the server) per command, next to the client's.
  idle  --port P --connections C [--users U] --status FILE
        Logs in once, SELECTs and FETCHes, logs out, and writes "warm" to FILE; on SIGUSR1 opens C
        connections and logs each in, writes "auth"; on SIGUSR1 SELECTs INBOX on each, writes
        "selected", and then holds them idle until SIGTERM (or --limit s).
  mem   --pid PID
        Prints "RSS_KIB PSS_KIB NPROC" summed over PID and its descendants.
"""

import argparse
import json
import multiprocessing
import os
import random
import re
import signal
import socket
import ssl
import sys
import time

WORDS = ("quarterly report meeting lunch invoice release draft review budget trip server outage party "
         "notes update question holiday contract backup migration").split()
SEARCH_WORDS = ("report", "meeting", "invoice", "release", "budget", "outage", "backup", "party")
NAMES = ("Alice Example", "Bob Builder", "Carol Jones", "Dave Smith", "Erin O'Brien", "Frank Miller",
         "Grace Hopper", "Heidi Klum", "Ivan Petrov", "Judy Garland", "Mallory Evil", "Oscar Wilde")
DOMAINS = ("example.org", "example.com", "mail.example.net", "lists.example.org", "corp.test", "x.io")
LITERAL = re.compile(rb"\{(\d+)\+?\}$")
APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.I)


def message(n, size=4096):
    """Message n of the data set: about `size` octets, varied sender, subject, recipients."""
    rng = random.Random(n)
    name = NAMES[rng.randrange(len(NAMES))]
    domain = DOMAINS[rng.randrange(len(DOMAINS))]
    subject = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    if rng.random() < 0.3:
        subject = "Re: " + subject
    head = (f"Return-Path: <user{n % 97}@{domain}>\r\n"
            f"Received: from mx.{domain} (mx.{domain} [192.0.2.{n % 250}])\r\n\tby mx.bench.test; "
            f"Tue, 4 Mar 2025 10:{n % 60:02}:02 +0000\r\n"
            f"From: \"{name}\" <user{n % 97}@{domain}>\r\n"
            f"To: <u@bench.test>{', team@bench.test' if n % 3 == 0 else ''}\r\n"
            + (f"Cc: \"{NAMES[(n + 1) % len(NAMES)]}\" <cc{n % 11}@{domain}>\r\n" if n % 4 == 0 else "")
            + f"Subject: {subject} {n}\r\nDate: Tue, {1 + n % 28} Mar 2025 10:{n % 60:02}:00 +0000\r\n"
            f"Message-ID: <{n}.{n * 31}@{domain}>\r\n"
            + (f"In-Reply-To: <{n - 1}.{(n - 1) * 31}@{domain}>\r\n" if n % 2 == 0 and n else "")
            + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
    lines = []
    length = len(head)
    while length < size - 80:
        line = " ".join(rng.choice(WORDS) for _ in range(10))
        lines.append(line)
        length += len(line) + 2
    return (head + "\r\n".join(lines) + "\r\n").encode()


class Failed(Exception):
    pass


class Client:
    """One IMAP connection: sends a command, reads untagged lines (with literals) until the tag."""

    def __init__(self, port, tls=False, timeout=120):
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = ctx.wrap_socket(sock)
        self.sock = sock
        self.buf = bytearray()
        self.tags = 0
        greeting = self.line()
        if not greeting.startswith(b"* OK"):
            raise Failed(f"greeting: {greeting[:200]!r}")

    def _fill(self):
        data = self.sock.recv(262144)
        if not data:
            raise Failed("connection closed by the server")
        self.buf += data

    def line(self):
        """One response line, literals included (their octets inline), without the CRLF."""
        parts = []
        while True:
            while (end := self.buf.find(b"\r\n")) < 0:
                self._fill()
            part = bytes(self.buf[:end])
            del self.buf[:end + 2]
            parts.append(part)
            m = LITERAL.search(part)
            if not m:
                return b"\r\n".join(parts) if len(parts) > 1 else part
            size = int(m.group(1))
            while len(self.buf) < size:
                self._fill()
            parts.append(bytes(self.buf[:size]))
            del self.buf[:size]

    def command(self, text, literal=None):
        """Runs one command; returns (status, tagged line, untagged lines). With `literal`, the
        command text ends in a LITERAL+ literal of it."""
        self.tags += 1
        tag = b"a%d" % self.tags
        if literal is None:
            self.sock.sendall(tag + b" " + text + b"\r\n")
        else:
            self.sock.sendall(tag + b" " + text + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        untagged = []
        prefix = tag + b" "
        while True:
            line = self.line()
            if line.startswith(prefix):
                status = line[len(prefix):].split(b" ", 1)[0].upper()
                return status.decode(), line, untagged
            if line.startswith(b"+"):
                raise Failed(f"unexpected continuation: {line[:200]!r}")
            untagged.append(line)

    def login(self, user, password):
        status, line, _ = self.command(b"LOGIN %s %s" % (user.encode(), password.encode()))
        if status != "OK":
            raise Failed(f"LOGIN {user}: {line[:200]!r}")

    def close(self):
        try:
            self.command(b"LOGOUT")
        except (OSError, Failed):
            pass
        self.sock.close()


def user_of(args, i):
    return f"u{1 + i % args.users}@{args.domain}"


def load(args):
    t0 = time.time()
    for u in range(args.users):
        c = Client(args.port, args.tls)
        c.login(user_of(args, u), args.password)
        for n in range(args.messages):
            flags = b"(\\Seen)" if n % 2 else b"()"
            status, line, _ = c.command(b"APPEND INBOX " + flags, message(n, args.size))
            if status != "OK":
                raise Failed(f"APPEND {n}: {line[:200]!r}")
        status, line, untagged = c.command(b"SELECT INBOX")
        exists = [l for l in untagged if l.endswith(b" EXISTS")]
        if status != "OK" or not exists or int(exists[-1].split()[1]) != args.messages:
            raise Failed(f"after loading, SELECT INBOX says {untagged} {line!r}")
        c.close()
    elapsed = time.time() - t0
    total = args.users * args.messages
    print(f"{total / elapsed:.0f} appends/s ({total} messages of ~{args.size} B, one connection per user, "
          f"{elapsed:.1f} s)")


# Per command kind: [count, total seconds, max seconds, NO, BAD, latencies sample].
KINDS = ("SELECT", "FETCH 1:50 ENVELOPE", "UID FETCH BODY[]", "STORE +FLAGS", "UID STORE -FLAGS",
         "SEARCH SUBJECT", "SEARCH UNSEEN", "NOOP", "SORT", "THREAD", "SEARCH TEXT", "QRESYNC SELECT", "APPEND",
         "UID EXPUNGE")


STEPS = ("select", "fetch-envelope", "fetch-body", "store", "search-subject", "search-unseen", "noop", "sort", "thread",
         "search-text", "qresync", "append")


def worker(args, index, barrier, result):
    stats = {k: [0, 0.0, 0.0, 0, 0, []] for k in KINDS}
    problems = []
    slow = []  # (seconds into the run, kind, milliseconds) of commands over 100 ms
    rng = random.Random(1000 + index)
    c = Client(args.port, args.tls)
    c.login(user_of(args, index), args.password)
    skip = set(args.skip.split(",")) if args.skip else set()
    if "qresync" not in skip:
        c.command(b"ENABLE QRESYNC")
    _, _, untagged = c.command(b"SELECT INBOX")
    # What a returning QRESYNC client remembers: UIDVALIDITY and the last HIGHESTMODSEQ it saw.
    known = {k: int(m.group(1)) for l in untagged for k in ("UIDVALIDITY", "HIGHESTMODSEQ")
             if (m := re.search(k.encode() + rb" (\d+)", l))}
    barrier.wait()
    cpu0 = time.process_time()
    start = time.time()
    start_perf = time.perf_counter()
    deadline = start + args.seconds
    error = None

    def run(kind, text, literal=None):
        t = time.perf_counter()
        status, line, untagged = c.command(text, literal)
        took = time.perf_counter() - t
        s = stats[kind]
        s[0] += 1
        s[1] += took
        s[2] = max(s[2], took)
        if len(s[5]) < 20000:
            s[5].append(took)
        if took > 0.1 and len(slow) < 500:
            slow.append((round(t - start_perf, 3), kind, round(took * 1e3, 1)))
        if status == "NO":
            s[3] += 1
        elif status == "BAD":
            s[4] += 1
        if status != "OK" and len(problems) < 20:
            problems.append(f"{kind}: {text[:60]!r} -> {line[:200]!r}")
        return status, line, untagged

    def check(ok, what):
        if not ok and len(problems) < 20:
            problems.append(what)

    loops = 0
    try:
        while time.time() < deadline:
            loops += 1
            # Random draws happen whether or not a step is skipped, so the rest stays the same.
            uid = rng.randint(1, args.messages)
            flag_on, flag_off = rng.randint(1, args.messages), rng.randint(1, args.messages)
            word = rng.choice(SEARCH_WORDS).encode()
            if "select" not in skip:
                status, _, untagged = run("SELECT", b"SELECT INBOX")
                exists = [int(l.split()[1]) for l in untagged if l.endswith(b" EXISTS")]
                check(status != "OK" or (exists and exists[-1] >= args.messages), f"SELECT: EXISTS {exists}")
            if "fetch-envelope" not in skip and time.time() < deadline:
                _, _, untagged = run("FETCH 1:50 ENVELOPE", b"FETCH 1:50 (FLAGS ENVELOPE)")
                got = sum(1 for l in untagged if b"ENVELOPE" in l)
                check(got == min(50, args.messages), f"FETCH 1:50: {got} envelopes")
            if "fetch-body" not in skip and time.time() < deadline:
                _, _, untagged = run("UID FETCH BODY[]", b"UID FETCH %d BODY.PEEK[]" % uid)
                check(any(b"BODY[]" in l and len(l) > 1000 for l in untagged), f"UID FETCH {uid}: no body")
            if "store" not in skip and time.time() < deadline:
                run("STORE +FLAGS", b"STORE %d +FLAGS (\\Flagged)" % flag_on)
                run("UID STORE -FLAGS", b"UID STORE %d -FLAGS (\\Flagged)" % flag_off)
            if "search-subject" not in skip and time.time() < deadline:
                _, _, untagged = run("SEARCH SUBJECT", b"SEARCH SUBJECT " + word)
                check(any(l.startswith(b"* SEARCH") for l in untagged), f"SEARCH SUBJECT {word}: no * SEARCH")
            if "search-unseen" not in skip and time.time() < deadline:
                _, _, untagged = run("SEARCH UNSEEN", b"SEARCH UNSEEN")
                hits = [len(l.split()) - 2 for l in untagged if l.startswith(b"* SEARCH")]
                check(hits and hits[0] >= args.messages // 2, f"SEARCH UNSEEN: {hits} hits")
            if "noop" not in skip and time.time() < deadline:
                run("NOOP", b"NOOP")
            if "sort" not in skip and loops % 5 == 0 and time.time() < deadline:
                _, _, untagged = run("SORT", b"SORT (REVERSE DATE) UTF-8 ALL")
                got = [len(l.split()) - 2 for l in untagged if l.startswith(b"* SORT")]
                check(got and got[0] >= args.messages, f"SORT: {got} numbers")
            if "thread" not in skip and loops % 5 == 0 and time.time() < deadline:
                _, _, untagged = run("THREAD", b"THREAD REFERENCES UTF-8 ALL")
                check(any(l.startswith(b"* THREAD (") for l in untagged), "THREAD: no * THREAD")
            if "search-text" not in skip and loops % 5 == 0 and time.time() < deadline:
                _, _, untagged = run("SEARCH TEXT", b"SEARCH TEXT " + word)
                check(any(l.startswith(b"* SEARCH") for l in untagged), f"SEARCH TEXT {word}: no * SEARCH")
            if "qresync" not in skip and loops % 5 == 0 and known and time.time() < deadline:
                text = b"SELECT INBOX (QRESYNC (%d %d))" % (known["UIDVALIDITY"], known["HIGHESTMODSEQ"])
                status, _, untagged = run("QRESYNC SELECT", text)
                seen = [int(m.group(1)) for l in untagged if (m := re.search(rb"HIGHESTMODSEQ (\d+)", l))]
                check(status != "OK" or seen, "QRESYNC SELECT: no HIGHESTMODSEQ")
                if seen:
                    known["HIGHESTMODSEQ"] = seen[-1]
            if "append" not in skip and loops % 10 == 0 and time.time() < deadline:
                body = (f"From: load@bench.test\r\nTo: u@bench.test\r\nSubject: transient {index}.{loops}\r\n"
                        f"Message-ID: <t{index}.{loops}@bench.test>\r\n\r\nA small message, expunged at once.\r\n")
                status, line, _ = run("APPEND", b"APPEND INBOX (\\Deleted)", body.encode())
                m = APPENDUID.search(line)
                check(status != "OK" or m, f"APPEND without APPENDUID: {line[:200]!r}")
                if m:
                    run("UID EXPUNGE", b"UID EXPUNGE " + m.group(1))
    except (OSError, Failed) as e:
        error = f"client {index}: {type(e).__name__}: {e}"
    end = time.time()
    cpu = time.process_time() - cpu0
    try:
        c.close()
    except Exception:
        pass
    result.put({"stats": stats, "problems": problems, "error": error, "start": start, "end": end,
                "cpu": cpu, "loops": loops, "slow": slow})


def tree(root):
    """PID and every descendant, from /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def tree_cpu(root):
    """CPU seconds of a process tree: user+system of the live ones plus their reaped children."""
    total = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def tree_memory(root):
    rss = pss = n = 0
    for pid in tree(root):
        try:
            with open(f"/proc/{pid}/status") as f:
                rss += next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss += next((int(l.split()[1]) for l in f if l.startswith("Pss:")), 0)
            n += 1
        except OSError:
            continue
    return rss, pss, n


def percentile(values, p):
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


def run_load(args):
    result = multiprocessing.Queue()
    barrier = multiprocessing.Barrier(args.clients + 1)
    procs = [multiprocessing.Process(target=worker, args=(args, i, barrier, result), daemon=True)
             for i in range(args.clients)]
    for p in procs:
        p.start()
    barrier.wait(timeout=600)
    cpu0 = tree_cpu(args.pid) if args.pid else None
    t0 = time.time()
    time.sleep(args.seconds)
    cpu1 = tree_cpu(args.pid) if args.pid else None
    t1 = time.time()
    reports = [result.get(timeout=args.seconds + 600) for _ in procs]
    for p in procs:
        p.join(timeout=10)
    elapsed = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    total = {k: [0, 0.0, 0.0, 0, 0, []] for k in KINDS}
    for r in reports:
        for k, s in r["stats"].items():
            t = total[k]
            t[0] += s[0]; t[1] += s[1]; t[2] = max(t[2], s[2]); t[3] += s[3]; t[4] += s[4]; t[5] += s[5]
    commands = sum(t[0] for t in total.values())
    client_cpu = sum(r["cpu"] for r in reports)
    out = {
        "commands": commands,
        "seconds": elapsed,
        "commands_per_s": commands / elapsed,
        "loops": sum(r["loops"] for r in reports),
        "client_cpu_s": client_cpu,
        "client_cpu_us_per_command": client_cpu / commands * 1e6 if commands else 0,
        "no": sum(t[3] for t in total.values()),
        "bad": sum(t[4] for t in total.values()),
        "problems": [p for r in reports for p in r["problems"]],
        "slow": sorted(x for r in reports for x in r["slow"]),
        "errors": [r["error"] for r in reports if r["error"]],
        "per_command": {k: {"count": t[0], "mean_ms": t[1] / t[0] * 1e3 if t[0] else 0,
                            "p99_ms": percentile(t[5], 99) * 1e3, "max_ms": t[2] * 1e3, "no": t[3], "bad": t[4]}
                        for k, t in total.items()},
    }
    if args.pid:
        out["server_cpu_s"] = cpu1 - cpu0
        out["server_cpu_us_per_command"] = (cpu1 - cpu0) / (t1 - t0) * elapsed / commands * 1e6 if commands else 0
    line = f"{out['commands_per_s']:.0f} commands/s ({commands} commands, {args.clients} clients, {elapsed:.1f} s)"
    if args.pid:
        line += (f", server CPU {out['server_cpu_us_per_command']:.0f} us/command "
                 f"({out['server_cpu_s'] / (t1 - t0) * 100:.0f}% of one core)")
    line += (f", client CPU {out['client_cpu_us_per_command']:.0f} us/command "
             f"({client_cpu / elapsed * 100:.0f}% of one core), NO {out['no']}, BAD {out['bad']}")
    print(line)
    for k, v in out["per_command"].items():
        print(f"    {k:<20} {v['count']:>7}  mean {v['mean_ms']:7.2f} ms  p99 {v['p99_ms']:7.2f} ms  "
              f"max {v['max_ms']:7.1f} ms  NO {v['no']}  BAD {v['bad']}")
    if out["slow"]:
        # Slow commands that started within 50 ms of each other most likely waited on one thing.
        bursts = []
        for t, kind, ms in out["slow"]:
            if bursts and t - bursts[-1][1] < 0.05:
                bursts[-1][1] = t; bursts[-1][2] += 1; bursts[-1][3] = max(bursts[-1][3], ms)
            else:
                bursts.append([t, t, 1, ms])
        print(f"    over 100 ms: {len(out['slow'])} commands in {len(bursts)} bursts; the worst: "
              + ", ".join(f"t={b[0]:.1f}s {b[2]}x up to {b[3]:.0f} ms"
                          for b in sorted(bursts, key=lambda b: -b[3])[:4]))
    for p in out["problems"][:10]:
        print(f"    problem: {p}")
    for e in out["errors"]:
        print(f"    error: {e}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)


def idle(args):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
    signal.alarm(int(args.limit))  # SIGALRM ends the process, whatever it waits on

    def status(text):
        with open(args.status + ".tmp", "w") as f:
            f.write(text)
        os.replace(args.status + ".tmp", args.status)

    def proceed():
        return signal.sigwait({signal.SIGUSR1, signal.SIGTERM}) == signal.SIGUSR1

    # One connection first, so that what every session shares (password and mailbox reads,
    # caches, worker processes) is in place before the baseline.
    c = Client(args.port, args.tls)
    c.login(user_of(args, 0), args.password)
    c.command(b"SELECT INBOX")
    c.command(b"FETCH 1:50 (FLAGS ENVELOPE)")
    c.close()
    status("warm")
    if not proceed():
        return
    clients = []
    for i in range(args.connections):
        c = Client(args.port, args.tls, timeout=600)
        c.login(user_of(args, i), args.password)
        clients.append(c)
    status("auth")
    if not proceed():
        return
    for c in clients:
        s, line, _ = c.command(b"SELECT INBOX")
        if s != "OK":
            raise Failed(f"SELECT: {line[:200]!r}")
    status("selected")
    signal.sigwait({signal.SIGTERM})


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=("load", "run", "idle", "mem"))
    p.add_argument("--port", type=int)
    p.add_argument("--tls", action="store_true", help="implicit TLS (IMAPS)")
    p.add_argument("--users", type=int, default=1)
    p.add_argument("--domain", default="bench.test")
    p.add_argument("--password", default="bench-password")
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--pid", type=int, help="server process whose tree's CPU time to measure")
    p.add_argument("--json")
    p.add_argument("--skip", default="", help="run: steps to leave out of the mix, comma-separated: "
                   + ", ".join(STEPS))
    p.add_argument("--connections", type=int, default=200)
    p.add_argument("--status")
    p.add_argument("--limit", type=float, default=900, help="idle: seconds before it ends in any case")
    args = p.parse_args()
    unknown = set(filter(None, args.skip.split(","))) - set(STEPS)
    if unknown:
        p.error(f"--skip: unknown steps {sorted(unknown)}; known: {', '.join(STEPS)}")
    if args.mode == "load":
        load(args)
    elif args.mode == "run":
        run_load(args)
    elif args.mode == "idle":
        idle(args)
    else:
        print(*tree_memory(args.pid))


if __name__ == "__main__":
    try:
        main()
    except Failed as e:
        sys.exit(f"imap_load: {e}")

#!/usr/bin/env python3
"""Helpers of benches/load/compare-spam.sh (spam filters side by side).

  split MBOX DIR [--test-limit N]   unpack the mboxrd corpus (gzip allowed) into DIR/{train,test}/{spam,ham}/
                                   alternately (message 0, 2, 4, ... to train; 1, 3, 5, ... to test)
  verdicts TOOL OUTPUT             read one tool's scoring output, print "FILE<TAB>0|1|E" (1 = spam)
  accuracy VERDICTS                spam recall and false positives of one verdicts file
  send --port P --files LIST ...   send real messages over SMTP from SESSIONS processes (msgs/s)
  table RESULTS                    the final table: msgs/s, ratios to ringmail, recall, FP
"""

import argparse
import gzip
import os
import re
import smtplib
import sys
import time

# ---------------------------------------------------------------- corpus


def read_mbox(path):
    """(label, raw bytes) of each message of an mboxrd file; label from `From ham@`/`From spam@`."""
    data = open(path, "rb").read()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    out = []
    unquote = re.compile(rb"^>(>*From )")
    for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n"):
        if line.startswith(b"From "):
            sender = line.split(b" ", 2)[1]
            label = "spam" if sender.startswith(b"spam@") else "ham" if sender.startswith(b"ham@") else None
            if label is None:
                sys.exit(f"unlabelled separator: {line[:80]!r}")
            out.append((label, []))
        elif out:
            out[-1][1].append(unquote.sub(rb"\1", line))
    return [(label, b"\n".join(lines) + b"\n") for label, lines in out]


def split(args):
    messages = read_mbox(args.mbox)
    train = [(i, m) for i, m in enumerate(messages) if i % 2 == 0]
    test = [(i, m) for i, m in enumerate(messages) if i % 2 == 1]
    if args.test_limit and args.test_limit < len(test):
        # An even sample (ham comes first in the corpus, then spam): keeps the class mix.
        test = [test[j * len(test) // args.test_limit] for j in range(args.test_limit)]
    counts = {}
    for half, items in (("train", train), ("test", test)):
        for i, (label, raw) in items:
            d = os.path.join(args.dir, half, label)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"{i:05d}.eml"), "wb") as f:
                f.write(raw)
            counts[(half, label)] = counts.get((half, label), 0) + 1
    print(" ".join(f"{h}/{l}={n}" for (h, l), n in sorted(counts.items())))


# ---------------------------------------------------------------- verdicts

SPAM_ACTIONS = {"reject", "add header", "rewrite subject"}


def verdicts(args):
    """FILE<TAB>verdict<TAB>score per message. ringmail: class junk/reject is spam (score >= 6);
    SpamAssassin: score >= required (5.0); rspamd: action add header/rewrite subject/reject
    (score >= 6; greylist at 4 and soft reject are not counted as spam)."""
    text = open(args.output, encoding="utf-8", errors="replace").read()
    out = []
    if args.tool == "ringmail":
        for line in text.splitlines():
            parts = line.split("\t")
            if len(parts) >= 3 and parts[2] in ("ham", "junk", "reject"):
                out.append((parts[0], "0" if parts[2] == "ham" else "1", parts[1]))
            elif len(parts) >= 2 and parts[1] == "error":
                out.append((parts[0], "E", ""))
    elif args.tool == "spamassassin":
        for line in text.splitlines():
            name, _, result = line.partition("\t")
            m = re.fullmatch(r"\s*(-?[\d.]+)/([\d.]+)\s*", result)
            if not m or float(m.group(2)) == 0:  # spamc prints 0/0 when spamd did not answer
                out.append((name, "E", ""))
            else:
                out.append((name, "1" if float(m.group(1)) >= float(m.group(2)) else "0", m.group(1)))
    elif args.tool == "rspamd":
        name = action = score = None

        def flush():
            if name is not None:
                if action is None:
                    out.append((name, "E", ""))
                else:
                    out.append((name, "1" if action in SPAM_ACTIONS else "0", score or ""))

        for line in text.splitlines():
            m = re.match(r"Results for file: (.*?)(?: \([\d.]+ seconds\))?$", line)
            if m:
                flush()
                name, action, score = m.group(1), None, None
            elif line.startswith("Action: "):
                action = line[len("Action: "):].strip()
            elif line.startswith("Score: "):
                score = line[len("Score: "):].split("/")[0].strip()
        flush()
    for name, verdict, score in out:
        print(f"{name}\t{verdict}\t{score}")


def accuracy(args):
    """"recall<TAB>fpr<TAB>spam_hit/spam<TAB>ham_hit/ham<TAB>errors" for a verdicts file; the class
    is read from the file's folder (…/spam/… or …/ham/…)."""
    spam = spam_hit = ham = ham_hit = errors = 0
    seen = set()
    for line in open(args.verdicts):
        name, verdict, _ = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        if name in seen:
            continue
        seen.add(name)
        label = os.path.basename(os.path.dirname(name))
        if verdict == "E" or label not in ("spam", "ham"):
            errors += 1
        elif label == "spam":
            spam += 1
            spam_hit += verdict == "1"
        else:
            ham += 1
            ham_hit += verdict == "1"
    expected = args.expected or (spam + ham + errors)
    missing = expected - len(seen)
    recall = 100.0 * spam_hit / spam if spam else float("nan")
    fpr = 100.0 * ham_hit / ham if ham else float("nan")
    print(f"{recall:.1f}\t{fpr:.2f}\t{spam_hit}/{spam}\t{ham_hit}/{ham}\t{errors + missing}")


# ---------------------------------------------------------------- SMTP sender


def send_worker(args, files, count, result):
    bodies = [open(f, "rb").read() for f in files]
    sent = spam = refused = tempfail = 0
    conn = None
    for i in range(count):
        body = bodies[i % len(bodies)]
        if conn is None:
            conn = smtplib.SMTP(args.host, args.port, timeout=120, source_address=(args.source, 0) if args.source else None)
            conn.ehlo("sender.src.test")
        try:
            conn.sendmail(args.sender, [args.rcpt], body)
            sent += 1
        except smtplib.SMTPResponseException as e:
            # 550 5.7.1 refused as spam: the filter's work was done; anything else is counted apart.
            if e.smtp_code >= 500 and b"spam" in e.smtp_error.lower():
                spam += 1
            elif e.smtp_code >= 500:
                refused += 1
            else:
                tempfail += 1
        except smtplib.SMTPServerDisconnected:
            tempfail += 1
            conn = None
            continue
        if args.per_message:
            conn.quit()
            conn = None
    if conn is not None:
        conn.quit()
    result.put((sent, spam, refused, tempfail))


def send(args):
    """Prints msgs/s (all answered), accepted, refused as spam, refused otherwise, temporary
    failures, seconds; tab-separated."""
    import loadlib

    files = [line.strip() for line in open(args.files) if line.strip()]
    share = [args.messages // args.sessions + (i < args.messages % args.sessions) for i in range(args.sessions)]
    # Each process starts at its own place in the list, so that all of it is sent.
    jobs = [(args, files[i * len(files) // args.sessions:] + files[: i * len(files) // args.sessions], n) for i, n in enumerate(share)]
    (sent, spam, refused, tempfail), elapsed = loadlib.run(send_worker, jobs)
    print(f"{(sent + spam + refused) / elapsed:.0f}\t{sent}\t{spam}\t{refused}\t{tempfail}\t{elapsed:.2f}")


# ---------------------------------------------------------------- CPU


def cputree(args):
    """CPU seconds used so far by the given processes and all their descendants: each live
    process's own time plus that of its children already reaped (cutime/cstime)."""
    children, cpu = {}, {}
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(pid))
        cpu[int(pid)] = sum(int(f) for f in fields[11:15]) / tick
    total, todo, seen = 0.0, [int(p) for p in args.pids], set()
    while todo:
        pid = todo.pop()
        if pid in seen or pid not in cpu:
            continue
        seen.add(pid)
        total += cpu[pid]
        todo.extend(children.get(pid, []))
    print(f"{total:.2f}")


# ---------------------------------------------------------------- table


def table(args):
    """RESULTS lines: kind<TAB>name<TAB>fields... (see compare-spam.sh)."""
    rows = [line.rstrip("\n").split("\t") for line in open(args.results) if line.strip()]
    median = lambda xs: sorted(xs)[(len(xs) - 1) // 2]
    speed = {}
    for _, name, n, wall, client, server in (r for r in rows if r[0] == "pass"):
        speed.setdefault(name, []).append((int(n), float(wall), float(client) + float(server)))
    stats = []
    for name, passes in speed.items():
        n = passes[0][0]
        wall = median([p[1] for p in passes])
        cpu = median([p[2] for p in passes])
        stats.append((name, n, len(passes), wall, n / wall, 1000 * cpu / n))
    bases = [s for s in stats if s[0].startswith("ringmail")]
    print()
    print("Scoring the TEST half: median of the passes; wall time of the whole pass, client included;")
    print("CPU = client + server processes; 'ringmail X' = ringmail's msgs/s (or CPU efficiency) / this row's")
    head = f"{'filter':<50} {'msgs':>5} {'passes':>6} {'secs':>8} {'msgs/s':>8} {'CPU ms/msg':>10}"
    for i, _ in enumerate(bases):
        head += f" {'rm' + str(i + 1) + ' msgs/s':>10} {'rm' + str(i + 1) + ' CPU':>8}"
    print(head)
    for name, n, k, wall, rate, cpu in stats:
        line = f"{name:<50} {n:>5} {k:>6} {wall:>8.2f} {rate:>8.1f} {cpu:>10.2f}"
        for b in bases:
            line += f" {b[4] / rate:>9.2f}x {cpu / b[5] if b[5] else float('nan'):>7.2f}x"
        print(line)
    for i, b in enumerate(bases):
        print(f"  rm{i + 1} = {b[0]}")
    acc = [r for r in rows if r[0] == "accuracy"]
    if acc:
        print()
        print("Accuracy on the TEST half at each filter's default threshold (ringmail rows LEAKED: its shipped")
        print("model was trained on the whole corpus, TEST half included; SpamAssassin and rspamd learned TRAIN only)")
        print(f"{'filter':<52} {'spam recall':>18} {'false positives':>18} {'errors':>6}")
        for _, name, recall, fpr, spam, ham, errors in acc:
            print(f"{name:<52} {recall + '% (' + spam + ')':>18} {fpr + '% (' + ham + ')':>18} {errors:>6}")
    smtp = [r for r in rows if r[0] == "smtp"]
    if smtp:
        print()
        print("ringmail SMTP receiver, [spam] enabled = false vs true (client outside relay_networks);")
        print("best msgs/s of the rounds, least server CPU per message of the rounds")
        print(f"{'load':<46} {'off msgs/s':>10} {'on msgs/s':>10} {'cost':>7} {'off µs/msg':>11} {'on µs/msg':>10} {'cpu cost':>9}")
        for _, name, off_rate, off_cpu, on_rate, on_cpu in smtp:
            cost = 100.0 * (1 - float(on_rate) / float(off_rate))
            cpu = 100.0 * (float(on_cpu) / float(off_cpu) - 1)
            print(f"{name:<46} {off_rate:>10} {on_rate:>10} {cost:>6.1f}% {off_cpu:>11} {on_cpu:>10} {cpu:>+8.1f}%")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("split")
    s.add_argument("mbox")
    s.add_argument("dir")
    s.add_argument("--test-limit", type=int, default=0)
    s.set_defaults(func=split)
    s = sub.add_parser("verdicts")
    s.add_argument("tool", choices=["ringmail", "spamassassin", "rspamd"])
    s.add_argument("output")
    s.set_defaults(func=verdicts)
    s = sub.add_parser("accuracy")
    s.add_argument("verdicts")
    s.add_argument("--expected", type=int, default=0)
    s.set_defaults(func=accuracy)
    s = sub.add_parser("send")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--source", help="local address to connect from (e.g. 127.0.0.2)")
    s.add_argument("--files", required=True, help="file listing message files, one a line")
    s.add_argument("--messages", type=int, default=2000)
    s.add_argument("--sessions", type=int, default=4)
    s.add_argument("--per-message", action="store_true")
    s.add_argument("--sender", default="sender@src.test")
    s.add_argument("--rcpt", default="u@bench.test")
    s.set_defaults(func=send)
    s = sub.add_parser("cputree")
    s.add_argument("pids", nargs="*")
    s.set_defaults(func=cputree)
    s = sub.add_parser("table")
    s.add_argument("results")
    s.set_defaults(func=table)
    args = p.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# Memory a client can make the server spend: one ringmail (SHARDS shards, default 2), and for each
# case its RSS (VmRSS of /proc/PID/status, sampled every 20 ms while the case runs) before, at
# the peak and after, with the growth (peak - before) that the case caused. Target: at most
# 256 MiB of growth per case.
#   smtp  SENDERS (default 20) concurrent SMTP sessions each send one message of SMTP_MB MiB
#         (default 20) to a local user. A sender answered 452 (the server's message memory,
#         [limits] message_memory, is spent) waits RETRY_SECS (default 0.5) and tries again,
#         as a real client would, until every message is stored; the retries are counted.
#   imap  INBOX_MB MiB (default 400) of MESSAGE_MB MiB messages (default 10) are injected over
#         SMTP into one INBOX (not measured); then IMAP_CLIENTS (default 3) clients log in,
#         SELECT it and send FETCH 1:* (BODY[]), each reading slowly (a 16 KiB receive buffer,
#         READ_KIB KiB per read, default 64, and SLEEP_MS ms between reads, default 10) for
#         READ_SECS seconds (default 20), then hang up.
#   pop3  one POP3 client sends RETR for every message of that INBOX (pipelined) and reads as
#         slowly as the IMAP clients, for READ_SECS seconds.
# Each case runs on a fresh server (an empty store), so that what one case left in the allocator
# does not hide what the next costs. CASES="smtp imap pop3" picks the cases. RINGMAIL_EXTRA adds
# keys to [limits] (e.g. "message_memory = 67108864"). RINGMAIL_BIN=path runs another build
# (e.g. the one before a change) without building this tree.
#
# Usage: benches/load/memory.sh [INBOX_MB]
set -euo pipefail
cd "$(dirname "$0")/../.."
INBOX_MB=${INBOX_MB:-${1:-400}}
export SENDERS=${SENDERS:-20} SMTP_MB=${SMTP_MB:-20} MESSAGE_MB=${MESSAGE_MB:-10} INBOX_MB
export IMAP_CLIENTS=${IMAP_CLIENTS:-3} READ_KIB=${READ_KIB:-64} SLEEP_MS=${SLEEP_MS:-10} READ_SECS=${READ_SECS:-20}
export RETRY_SECS=${RETRY_SECS:-0.5} CASES=${CASES:-smtp imap pop3}
if [ -n "${RINGMAIL_BIN:-}" ]; then
  BIN=$RINGMAIL_BIN
  wait_port() {
    for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0; sleep 0.1; done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
  }
else
  . benches/load/common.sh
fi

dir=$(mktemp -d /tmp/ringmail-memory.XXXXXX)
cleanup() {
  [ -z "${server:-}" ] || { kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
  rm -rf "$dir" "$dir.rows"
}
trap 'cleanup; exit' EXIT

write_config() {
  rm -rf "$dir" && mkdir -p "$dir"
  cat > "$dir/ringmail.toml" <<TOML
hostname = "mx.bench.test"
data_dir = "$dir/data"
shards = ${SHARDS:-2}
[smtp]
listen = ["127.0.0.1:2526"]
[imap]
listen = ["127.0.0.1:2143"]
[pop3]
listen = ["127.0.0.1:2110"]
[submission]
listen = []
[submissions]
listen = []
[imaps]
listen = []
[pop3s]
listen = []
[auth]
allow_plaintext_auth = true
[limits]
max_connections_per_ip = 1000
${RINGMAIL_EXTRA:-}
TOML
}

# A fresh server (empty store) for each case, so that what one case left in the allocator
# does not hide what the next one costs.
start_server() {
  write_config
  "$BIN" --config "$dir/ringmail.toml" serve 2>"$dir/server.log" &
  server=$!
  wait_port 2526
  wait_port 2143
  # Through the running server (its admin socket), which made the host's postmaster at start.
  "$BIN" --config "$dir/ringmail.toml" domain add bench.test >/dev/null
  for user in sink reader; do
    echo "bench-password" | "$BIN" --config "$dir/ringmail.toml" user add "$user@bench.test" --password-stdin >/dev/null
  done
}
stop_server() {
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=
}

echo "ringmail (shards=${SHARDS:-2}): $BIN"
: > "$dir.rows"
for case in $CASES; do
  start_server
  CASE=$case ROWS="$dir.rows" SERVER_PID=$server python3 - <<'PY'
import os, smtplib, socket, threading, time

PID = int(os.environ["SERVER_PID"])
E = os.environ
MIB = 1 << 20


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Sampler:
    """The server's RSS every 20 ms while a case runs: before, peak and after, in KiB."""

    def __enter__(self):
        time.sleep(1)
        self.before = self.peak = rss_kib()
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)
        self.thread.start()
        return self

    def sample(self):
        while self.running:
            self.peak = max(self.peak, rss_kib())
            time.sleep(0.02)

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()
        time.sleep(1)
        self.after = rss_kib()
        self.peak = max(self.peak, self.after)


rows = []


def report(case, what, s):
    growth = (s.peak - s.before) / 1024
    rows.append((case, growth))
    print(f"{case}: {what}")
    print(f"{case}: RSS before {s.before / 1024:.0f} MiB, peak {s.peak / 1024:.0f} MiB, after {s.after / 1024:.0f} MiB;"
          f" growth {growth:.0f} MiB ({'within' if growth <= 256 else 'OVER'} the 256 MiB target)", flush=True)


def message(n, size):
    """A message of about `size` octets: headers, then base64-like lines that differ per message."""
    line = (f"{n:08d}" + "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" * 2)[:76] + "\r\n"
    head = f"From: <load@src.test>\r\nTo: <x@bench.test>\r\nSubject: memory {n}\r\n\r\n"
    return (head + line * max(1, (size - len(head)) // len(line))).encode()


def send(to, body):
    """Sends until stored; returns how many times the server answered 452 first."""
    deferred = 0
    while True:
        try:
            with smtplib.SMTP("127.0.0.1", 2526, timeout=600) as c:
                c.sendmail("load@src.test", [to], body)
            return deferred
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError, smtplib.SMTPRecipientsRefused) as e:
            code = getattr(e, "smtp_code", None) or 0
            if not 400 <= code < 500:
                raise
            deferred += 1
            time.sleep(float(E["RETRY_SECS"]))


def smtp_case():
    senders, size = int(E["SENDERS"]), int(E["SMTP_MB"]) * MIB
    bodies = [message(n, size) for n in range(senders)]
    results = [0] * senders
    with Sampler() as s:
        t0 = time.time()
        threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, send("sink@bench.test", bodies[i])))
                   for i in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        secs = time.time() - t0
    report("smtp", f"{senders} concurrent senders x {size // MIB} MiB stored in {secs:.1f} s,"
                   f" {sum(results)} answers 452 first (retried)", s)


def inject_inbox():
    total, size = int(E["INBOX_MB"]) * MIB, int(E["MESSAGE_MB"]) * MIB
    count = max(1, total // size)
    t0 = time.time()
    with smtplib.SMTP("127.0.0.1", 2526, timeout=600) as c:
        for n in range(count):
            c.sendmail("load@src.test", ["reader@bench.test"], message(1000 + n, size))
    print(f"inbox: {count} messages x {size // MIB} MiB injected in {time.time() - t0:.1f} s", flush=True)
    return count


def slow_socket(port):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    sock.settimeout(60)
    sock.connect(("127.0.0.1", port))
    return sock


def read_line(sock, buf):
    while b"\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("closed")
        buf += chunk
    line, rest = buf.split(b"\r\n", 1)
    return line, rest


def read_slowly(sock, buf, stop, end=None):
    """Reads READ_KIB at a time with SLEEP_MS between reads until `stop` or `end` is seen."""
    got, chunk, pause = len(buf), int(E["READ_KIB"]) * 1024, int(E["SLEEP_MS"]) / 1000
    tail = buf[-64:]
    while time.time() < stop:
        data = sock.recv(chunk)
        if not data:
            break
        got += len(data)
        tail = (tail + data)[-64:]
        if end and end in tail:
            break
        time.sleep(pause)
    return got


def imap_reader(results, i, stop):
    sock = slow_socket(2143)
    buf = b""
    for command in (b"a LOGIN reader@bench.test bench-password", b"b SELECT INBOX"):
        sock.sendall(command + b"\r\n")
        tag = command[:2]
        while True:
            line, buf = read_line(sock, buf)
            if line.startswith(tag):
                break
    sock.sendall(b"f FETCH 1:* (BODY[])\r\n")
    results[i] = read_slowly(sock, buf, stop, b"\r\nf OK")
    sock.close()


def imap_case():
    clients = int(E["IMAP_CLIENTS"])
    results = [0] * clients
    with Sampler() as s:
        stop = time.time() + float(E["READ_SECS"])
        threads = [threading.Thread(target=imap_reader, args=(results, i, stop)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    report("imap", f"{clients} slow clients read {sum(results) / MIB:.0f} MiB of FETCH 1:* (BODY[]) in"
                   f" {E['READ_SECS']} s", s)


def pop3_case(count):
    with Sampler() as s:
        sock = slow_socket(2110)
        buf = b""
        for command in (None, b"USER reader@bench.test", b"PASS bench-password"):
            if command:
                sock.sendall(command + b"\r\n")
            line, buf = read_line(sock, buf)
            assert line.startswith(b"+OK"), line
        sock.sendall(b"".join(b"RETR %d\r\n" % n for n in range(1, count + 1)))
        got = read_slowly(sock, buf, time.time() + float(E["READ_SECS"]))
        sock.close()
    report("pop3", f"1 slow client read {got / MIB:.0f} MiB of {count} pipelined RETRs in {E['READ_SECS']} s", s)


case = E["CASE"]
if case == "smtp":
    smtp_case()
elif case in ("imap", "pop3"):
    count = inject_inbox()
    imap_case() if case == "imap" else pop3_case(count)
else:
    raise SystemExit(f"unknown case {case}: CASES takes smtp, imap, pop3")
with open(E["ROWS"], "a") as f:
    f.writelines(f"| {case} | {growth:.0f} |\n" for case, growth in rows)
PY
  stop_server
done
echo
echo "| case | RSS growth (MiB) |"
echo "|---|---|"
cat "$dir.rows"

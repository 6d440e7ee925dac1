"""Starts the real ringmail binary on 127.0.0.1 with a temporary data directory.

Every integration test talks to a server started here, with real clients (smtplib, raw
sockets, swaks). Nothing is mocked: the store is a real RocksDB in a temporary folder.
"""

import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

BIN = os.environ.get("RINGMAIL_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "target", "release", "ringmail")


def wait_for(what, check, timeout=30):
    """What `check` returns once it is true, asked every 0.1 s; fails after `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_dnsmasq(records, port=None):
    """A dnsmasq answering for *.test on 127.0.0.1 (on `port`, or a free one) from `records`
    (its --mx-host, --host-record, --txt-record... arguments); returns (process, port). Names
    it does not know are NXDOMAIN."""
    port = port or free_port()
    proc = subprocess.Popen(
        ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
         "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={port}", "--local=/test/", "--pid-file=",
         *records],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if time.time() > deadline:
                raise RuntimeError("dnsmasq did not start")
            time.sleep(0.05)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def unreachable_route(domain):
    """A [[route]] table sending `domain`'s mail to a closed port: it stays queued, deferred
    (new mail is tried at once, so a test that lists the queue must not let it bounce)."""
    return f'[[route]]\ndomain = "{domain}"\nhost = "127.0.0.1:{free_port()}"'


class Server:
    """One ringmail server process with its own data directory and config file."""

    def __init__(self, shards=2, hostname="mx.test", limits=None, extra="", smtp_extra="", sections="", imap_extra=""):
        """`extra`: top-level keys; `smtp_extra`, `imap_extra`: keys for [smtp], [imap];
        `sections`: whole tables."""
        self.dir = tempfile.mkdtemp(prefix="ringmail-test-")
        self.port = free_port()
        self.submission_port = free_port()
        self.submissions_port = free_port()
        self.pop3_port = free_port()
        self.pop3s_port = free_port()
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.config = os.path.join(self.dir, "ringmail.toml")
        self.data_dir = os.path.join(self.dir, "data")
        lines = [
            f'hostname = "{hostname}"',
            f'data_dir = "{self.data_dir}"',
            f"shards = {shards}",
            "io_memory_kib = 512",
            extra,
            "[smtp]",
            f'listen = ["127.0.0.1:{self.port}"]',
            smtp_extra,
            "[submission]",
            f'listen = ["127.0.0.1:{self.submission_port}"]',
            "[submissions]",
            f'listen = ["127.0.0.1:{self.submissions_port}"]',
            "[pop3]",
            f'listen = ["127.0.0.1:{self.pop3_port}"]',
            "[pop3s]",
            f'listen = ["127.0.0.1:{self.pop3s_port}"]',
            "[imap]",
            f'listen = ["127.0.0.1:{self.imap_port}"]',
            imap_extra,
            "[imaps]",
            f'listen = ["127.0.0.1:{self.imaps_port}"]',
            sections,
            "[limits]",
        ]
        lines += [f"{k} = {v}" for k, v in (limits or {}).items()]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    # --- process control -------------------------------------------------------------
    def start(self, timeout=30, env=None):
        """`env`: variables added to the server's environment."""
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([BIN, "--config", self.config, "serve"], stdout=log, stderr=log,
                                         env={**os.environ, **(env or {})})
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ringmail exited with {self.proc.returncode}:\n{self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(512).startswith(b"220"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"ringmail did not start:\n{self.log()}")

    def stop(self, timeout=30):
        """SIGTERM, wait, return the exit code."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("ringmail did not stop within %ss after SIGTERM" % timeout)
        return self.proc.returncode if self.proc else None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def cleanup_process(self):
        """Kills the server if it still runs; keeps the data directory."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        try:
            self.cleanup_process()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def cert_path(self):
        """The self-signed certificate made at first start."""
        return os.path.join(self.data_dir, "tls", "self-signed.crt")

    def events(self, kind):
        """The events of `kind` in the server's `events.log`, oldest first."""
        path = os.path.join(self.data_dir, "events.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [e for e in map(json.loads, f) if e["event"] == kind]

    def log(self, tail=4000):
        """The server's log (its last `tail` characters; None for all of it)."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
                return text if tail is None else text[-tail:]
        except OSError:
            return ""

    # --- admin CLI -------------------------------------------------------------------
    def cli(self, *args, input=None, check=True):
        """Runs `ringmail --config ... ARGS`; returns stdout bytes."""
        r = subprocess.run([BIN, "--config", self.config, *args], input=input,
                           capture_output=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError(f"ringmail {' '.join(args)} failed ({r.returncode}): {r.stderr.decode()}")
        return r

    def add_user(self, address, password="secret-password"):
        self.cli("user", "add", address, "--password-stdin", input=password.encode() + b"\n")

    def mail_list(self, address, mailbox="INBOX"):
        """[(uid, size, subject)] of a mailbox."""
        out = self.cli("mail", "list", address, "--mailbox", mailbox).stdout.decode()
        rows = []
        for line in out.splitlines():
            uid, size, _date, subject = line.split("\t", 3)
            rows.append((int(uid), int(size), subject))
        return rows

    def mail_cat(self, address, uid, mailbox="INBOX"):
        return self.cli("mail", "cat", address, str(uid), "--mailbox", mailbox).stdout


class Dialogue:
    """A raw SMTP client that sends exact bytes and reads exact replies."""

    def __init__(self, port, timeout=10, source=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=source)
        self.buf = b""

    def read_reply(self):
        """One complete (possibly multi-line) reply as (code, [lines])."""
        lines = []
        while True:
            while b"\r\n" not in self.buf:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise ConnectionError(f"closed; partial reply {lines!r} {self.buf!r}")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\r\n", 1)
            lines.append(line.decode())
            if len(line) < 4 or line[3:4] != b"-":
                return int(line[:3]), lines

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def cmd(self, line):
        """Sends a command line and returns the first line of the reply."""
        self.send(line + "\r\n")
        code, lines = self.read_reply()
        return lines[-1]

    def closed(self, timeout=5):
        """True when the server has closed the connection (after any buffered replies)."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


class OneAccount(unittest.TestCase):
    """A started server with the account USER (PASSWORD), and `ctx`, a TLS context that trusts
    the server's certificate; for the IMAP extension tests."""

    USER = "user@example.com"
    PASSWORD = "one-account-password-1"

    @classmethod
    def setUpClass(cls):
        cls.server = Server(shards=1).start()
        cls.server.cli("domain", "add", cls.USER.split("@")[1])
        cls.server.add_user(cls.USER, cls.PASSWORD)
        cls.ctx = ssl.create_default_context(cafile=cls.server.cert_path)

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

"""IP warm-up against a remote MX: a real nameserver (dnsmasq) says far.test's MX is
mx.far.test on 127.0.0.1, where a sink records the address each connection came from. The
pool's two addresses (127.0.0.2, 127.0.0.3) follow a schedule of 2 messages a day per site,
then 4: a day's five messages go out two from each address, the fifth waits for the next day
(never bounced), and the next day, with the server's clock moved on by libfaketime, it goes
out. The progress survives a restart."""

import glob
import os
import signal
import smtplib
import tempfile
import time
import unittest

import harness
from harness import Server, wait_for
from sink import Sink


def libfaketime():
    found = glob.glob("/usr/lib/*/faketime/libfaketime.so.1")
    if not found:
        raise unittest.SkipTest("libfaketime is not installed (scripts/deps.sh installs it)")
    return found[0]


class WarmupTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dnsmasq, dns_port = harness.start_dnsmasq(
            ["--mx-host=far.test,mx.far.test,10", "--host-record=mx.far.test,127.0.0.1"])
        cls.sink = Sink()
        cls.server = Server(shards=1, hostname="mx.a.test", sections="\n".join([
            "[dns]", f'nameservers = ["127.0.0.1:{dns_port}"]',
            "[delivery]", f"port = {cls.sink.port}", "retry_schedule_secs = [1]", "poll_interval_ms = 200",
            "connect_timeout_secs = 2",
            "[[warmup]]", 'name = "new-ips"', "daily = [2, 4]",
            "[[pool]]", 'name = "fresh"', 'addresses = ["127.0.0.2", "127.0.0.3"]', 'warmup = "new-ips"',
            'sender_domains = ["a.test"]']))
        # The server's clock: libfaketime reads the offset from this file (at most once a second).
        cls.clock = tempfile.NamedTemporaryFile("w", suffix=".faketime", delete=False)
        cls.set_clock("+0")
        cls.clock_env = {
            "LD_PRELOAD": libfaketime(), "FAKETIME_TIMESTAMP_FILE": cls.clock.name,
            "FAKETIME_CACHE_DURATION": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }
        cls.server.start(env=cls.clock_env)
        cls.server.cli("domain", "add", "a.test")
        cls.server.add_user("alice@a.test")

    @classmethod
    def set_clock(cls, offset):
        with open(cls.clock.name, "w") as f:
            f.write(offset + "\n")

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()
        cls.sink.close()
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()
        os.unlink(cls.clock.name)

    def send(self, subject):
        message = f"From: alice@a.test\r\nTo: bob@far.test\r\nSubject: {subject}\r\n\r\n{subject} body\r\n"
        with smtplib.SMTP("127.0.0.1", self.server.port, timeout=30) as c:
            c.sendmail("alice@a.test", ["bob@far.test"], message)

    def peers(self):
        """The source address of each message the sink got, by subject."""
        found = {}
        for session in self.sink.sessions:
            for m in session["messages"]:
                for line in m["data"].split(b"\r\n"):
                    if line.startswith(b"Subject: "):
                        found[line[9:].decode()] = session["peer"]
        return found


    def test_a_days_allowance_is_spread_over_the_pool_and_the_rest_waits_for_the_next_day(self):
        for i in range(5):
            self.send(f"warm {i}")
        wait_for("four delivered", lambda: len(self.peers()) >= 4)
        held = wait_for("the fifth held", lambda: [e for e in self.server.events("deferral") if "warm-up" in e["reply"]])
        time.sleep(2)  # retries every second: none may get through today
        peers = self.peers()
        self.assertEqual(len(peers), 4, f"one day's allowance is 2 per address: {peers}")
        by_address = sorted(peers.values())
        self.assertEqual(by_address, ["127.0.0.2", "127.0.0.2", "127.0.0.3", "127.0.0.3"], peers)
        self.assertIn("every address of the pool has sent its allowance", held[0]["reply"])
        self.assertFalse(self.server.events("bounce"), "a used-up allowance never bounces")
        queued = self.server.cli("queue", "list").stdout.decode()
        self.assertIn("bob@far.test", queued, queued)
        self.assertIn("warm-up", queued, "the queue says why it waits")
        status = self.server.cli("pool", "status").stdout.decode()
        for address in ("127.0.0.2", "127.0.0.3"):
            self.assertIn(f"{address}\tpool=fresh\twarmup=new-ips\tday=1\tallowance=2/site\tused: mx.far.test", status)

        # The progress is durable: a restart still knows today's use.
        self.server.stop()
        self.server.start(env=self.clock_env)
        time.sleep(2)
        self.assertEqual(len(self.peers()), 4, "the restart did not reset today's allowance")

        # The next day (UTC): day 2's allowance (4) lets the fifth out, without a retry command.
        self.set_clock("+1d")
        wait_for("the fifth delivered the next day", lambda: len(self.peers()) == 5, timeout=40)
        status = self.server.cli("pool", "status").stdout.decode()
        self.assertIn("day=2\tallowance=4/site", status, status)

    def test_the_operator_moves_an_address_on(self):
        self.assertNotEqual(self.server.cli("pool", "warmup", "127.0.0.9", "--day", "2", check=False).returncode, 0,
                            "an address outside every warming pool is refused")
        self.server.cli("pool", "warmup", "127.0.0.3", "--day", "3")
        status = self.server.cli("pool", "status").stdout.decode()
        self.assertIn("127.0.0.3\tpool=fresh\twarmup=new-ips\tday=3\tallowance=unlimited/site", status, status)


if __name__ == "__main__":
    unittest.main()

"""ringmail's DNS resolver against a real nameserver: dnsmasq on 127.0.0.1 serving a test zone,
queried through `ringmail dns lookup` (the resolver on a glommio executor, as a shard runs it)."""

import signal
import socket
import subprocess
import time
import unittest

from harness import Server, free_port

BIG_TXT = ["x" * 200 + str(i) for i in range(10)]  # ~2 KB: more than one UDP answer may carry


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DnsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dns_port = free_port()
        args = ["dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                "--listen-address=127.0.0.1", "--bind-interfaces", f"--port={cls.dns_port}",
                "--local=/test/", "--pid-file=",
                "--mx-host=mail.test,mx2.mail.test,20", "--mx-host=mail.test,mx1.mail.test,10",
                "--mx-host=mail.test,mx1b.mail.test,10",
                "--host-record=mx1.mail.test,192.0.2.10", "--host-record=mx1b.mail.test,192.0.2.11",
                "--host-record=mx2.mail.test,192.0.2.20,2001:db8::20",
                "--host-record=bare.test,192.0.2.30",
                "--cname=www.mail.test,mx1.mail.test",
                "--txt-record=mail.test,v=spf1 ip4:192.0.2.0/24 -all"]
        args += [f"--txt-record=big.test,{t}" for t in BIG_TXT]
        cls.dnsmasq = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", cls.dns_port), timeout=1).close()
                break
            except OSError:
                if time.time() > deadline or cls.dnsmasq.poll() is not None:
                    raise RuntimeError("dnsmasq did not start: " + cls.dnsmasq.stderr.read().decode())
                time.sleep(0.05)
        cls.server = Server(sections=f'[dns]\nnameservers = ["127.0.0.1:{cls.dns_port}"]')

    @classmethod
    def tearDownClass(cls):
        cls.dnsmasq.send_signal(signal.SIGTERM)
        cls.dnsmasq.wait()
        cls.server.cleanup()

    def lookup(self, name, rtype="MX", check=True):
        r = self.server.cli("dns", "lookup", name, "--type", rtype, check=check)
        return r.stdout.decode().splitlines(), r

    def test_mx_in_preference_order_with_random_ties(self):
        orders = set()
        for _ in range(20):
            lines, _ = self.lookup("mail.test")
            self.assertEqual(sorted(line for line in lines if line.startswith("MX")),
                             ["MX\t10 mx1.mail.test.", "MX\t10 mx1b.mail.test.", "MX\t20 mx2.mail.test."])
            order = next(line for line in lines if line.startswith("delivery order: ")).removeprefix("delivery order: ").split()
            self.assertEqual(order[-1], "mx2.mail.test", "higher preference value comes last")
            orders.add(tuple(order[:2]))
        self.assertEqual(orders, {("mx1.mail.test", "mx1b.mail.test"), ("mx1b.mail.test", "mx1.mail.test")},
                         "equal preferences are tried in random order")

    def test_address_cname_and_txt(self):
        self.assertEqual(self.lookup("mx2.mail.test", "A")[0], ["A\t192.0.2.20"])
        self.assertEqual(self.lookup("mx2.mail.test", "AAAA")[0], ["AAAA\t2001:db8::20"])
        self.assertEqual(self.lookup("www.mail.test", "A")[0], ["A\t192.0.2.10"], "CNAME followed")
        self.assertEqual(self.lookup("mail.test", "TXT")[0], ['TXT\tv=spf1 ip4:192.0.2.0/24 -all'])

    def test_truncated_answers_are_retried_over_tcp(self):
        lines, _ = self.lookup("big.test", "TXT")
        self.assertEqual(sorted(line.removeprefix("TXT\t") for line in lines), sorted(BIG_TXT))

    def test_negative_answers(self):
        lines, _ = self.lookup("nothing.test")
        self.assertEqual(lines, ["nothing.test: no such domain (NXDOMAIN)", "delivery: none, the domain does not exist"])
        lines, _ = self.lookup("bare.test")
        self.assertEqual(lines, ["bare.test: no MX records",
                                 "delivery: to the domain's own addresses (implicit MX)",
                                 "DANE: off (the nameservers are not trusted to validate: [dns] dnssec = false)",
                                 "MTA-STS: no policy (no valid _mta-sts record)",
                                 "TLS reports: not asked for (no valid _smtp._tls record)"])

    def test_a_dead_nameserver_is_skipped(self):
        dead = free_udp_port()
        server = Server(sections=f'[dns]\nnameservers = ["127.0.0.1:{dead}", "127.0.0.1:{self.dns_port}"]\n'
                                 "timeout_ms = 300\nattempts = 1")
        try:
            lines = server.cli("dns", "lookup", "mx1.mail.test", "--type", "A").stdout.decode().splitlines()
            self.assertEqual(lines, ["A\t192.0.2.10"])
        finally:
            server.cleanup()

    def test_no_nameserver_answering_is_a_temporary_error(self):
        dead = free_udp_port()
        server = Server(sections=f'[dns]\nnameservers = ["127.0.0.1:{dead}"]\ntimeout_ms = 300\nattempts = 2')
        try:
            r = server.cli("dns", "lookup", "mail.test", check=False)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("no nameserver answered", r.stderr.decode())
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()

"""A real DNSSEC-validating resolver on 127.0.0.1, for the DANE (RFC 7672) delivery tests.

`start()` signs each test zone with fresh keys (ldns-keygen, ldns-signzone; NSEC, so that
NXDOMAIN and NODATA are provably secure too) and runs two unbound processes in `directory`:
an authoritative one serving the zone files (auth-zone), and a validating one in front of it
that reaches each zone through a stub-zone and trusts the zone's own KSK. Every zone is thus
an island of trust: there is no root anchor, and no query ever leaves 127.0.0.1. A zone
answers secure (AD), insecure (unsigned: no AD, no SERVFAIL) or bogus (SERVFAIL: the anchor
is another key, or the RRSIGs at chosen names are corrupted), as the test needs.
"""

import base64
import os
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field


@dataclass
class Zone:
    """One zone. `records` are zone-file lines relative to the origin, e.g. "mx 300 IN A
    127.0.0.2"; start() adds the SOA, and NS "ns" with A 127.0.0.1."""
    records: list[str]
    signed: bool = True     # signed with a fresh KSK+ZSK, and the KSK's DS is the trust anchor
    anchored: bool = True   # False: the anchor is another key, so every answer is SERVFAIL
    corrupt: list[str] = field(default_factory=list)  # owners (relative) with broken RRSIGs


class Resolver:
    """A validating unbound on 127.0.0.1:`port` in front of an authoritative unbound
    (auth-zone) serving the zones."""

    def __init__(self, port, processes):
        self.port = port
        self._processes = processes

    def stop(self):
        """Terminates both unbound processes and waits for them."""
        for process in self._processes:
            process.terminate()
        for process in self._processes:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start(zones: dict[str, Zone], directory: str) -> Resolver:
    """Signs and serves `zones` (by name, e.g. "dane.test"), all files in `directory`; returns
    once both servers answer, or raises with their logs when they do not within ~10 s."""
    directory = os.path.abspath(directory)
    auth_port, port = _free_ports(2)
    stub = f"  stub-addr: 127.0.0.1@{auth_port}"
    # The authoritative side only ever answers from its zones: it may not query anyone.
    auth = (['module-config: "iterator"', "do-not-query-address: 0.0.0.0/0",
             "do-not-query-address: ::/0"], [])
    # Anything outside the zones goes to the authoritative side too, where it is REFUSED.
    validator = (['module-config: "validator iterator"', "do-not-query-localhost: no",
                  "harden-dnssec-stripped: yes", "qname-minimisation: no", "val-log-level: 2"],
                 ['stub-zone:\n  name: "."\n' + stub])
    for name, zone in zones.items():
        name = name.strip(".")
        path = os.path.join(directory, f"{name}.zone")
        with open(path, "w") as f:
            f.write(f"$ORIGIN {name}.\n$TTL 300\n@ IN SOA ns hostmaster 1 3600 600 86400 300\n"
                    "@ IN NS ns\nns IN A 127.0.0.1\n" + "".join(r + "\n" for r in zone.records))
        if zone.signed:
            path, anchor = _sign(name, zone, path, directory)
            validator[0].append(f'trust-anchor: "{anchor}"')
        for options, _ in (auth, validator):  # "test." and others are local zones by default
            options.append(f'local-zone: "{name}." transparent')
        auth[1].append(f'auth-zone:\n  name: "{name}."\n  zonefile: "{path}"\n'
                       "  for-downstream: yes\n  for-upstream: no")
        validator[1].append(f'stub-zone:\n  name: "{name}."\n' + stub)
    processes = []
    try:
        for role, (options, clauses), server_port in (("auth", auth, auth_port),
                                                      ("validator", validator, port)):
            processes.append(_unbound(role, directory, server_port, options, clauses))
            _wait(server_port, next(iter(zones)), processes, directory)
    except BaseException:
        Resolver(port, processes).stop()
        raise
    return Resolver(port, processes)


def _sign(name, zone, path, directory):
    """Signs the zone file at `path`; returns the signed file's path and the DS to trust."""
    def keygen(*flags):
        return subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256", *flags, name], cwd=directory,
                              check=True, capture_output=True, text=True).stdout.strip()
    ksk, zsk = keygen("-k"), keygen()
    stamp = lambda offset: time.strftime("%Y%m%d%H%M%S", time.gmtime(time.time() + offset))
    subprocess.run(["ldns-signzone", "-i", stamp(-3600), "-e", stamp(2 * 86400), "-o", name,
                    "-f", path + ".signed", path, ksk, zsk], cwd=directory, check=True,
                   capture_output=True)
    with open(path + ".signed") as f:
        lines = f.readlines()
    broken = {f"{owner}.{name}." for owner in zone.corrupt}
    for i, line in enumerate(lines):
        fields = line.split()
        if len(fields) > 3 and fields[0] in broken and fields[3] == "RRSIG":
            lines[i] = _corrupt(line)
    with open(path + ".signed", "w") as f:
        f.writelines(lines)
    anchor = ksk if zone.anchored else keygen("-k")
    with open(os.path.join(directory, anchor + ".ds")) as f:
        return path + ".signed", " ".join(f.read().split())


def _corrupt(rrsig_line):
    """The RRSIG line with one byte of its signature (the last field, base64) changed."""
    *fields, signature = rrsig_line.split()
    raw = bytearray(base64.b64decode(signature))
    raw[0] ^= 0xFF
    return "\t".join(fields + [base64.b64encode(raw).decode()]) + "\n"


def _unbound(role, directory, port, options, clauses):
    """Writes `role`.conf in `directory` and starts unbound on it, logging to `role`.log."""
    lines = ["server:", f'directory: "{directory}"', 'username: ""', 'chroot: ""',
             f'pidfile: "{directory}/{role}.pid"', "use-syslog: no",
             f'logfile: "{directory}/{role}.log"', "verbosity: 1", "num-threads: 1",
             "interface: 127.0.0.1", f"port: {port}", "access-control: 127.0.0.0/8 allow", *options]
    conf = os.path.join(directory, f"{role}.conf")
    with open(conf, "w") as f:
        f.write("\n  ".join(lines) + "\n" + "".join(clause + "\n" for clause in clauses))
    with open(os.path.join(directory, f"{role}.log"), "ab") as log:
        return subprocess.Popen(["unbound", "-d", "-c", conf], stdout=log, stderr=log)


def _wait(port, zone, processes, directory):
    """Waits until the server on `port` answers `zone` SOA with NOERROR, or raises."""
    deadline = time.time() + 10
    while not _answers(port, zone):
        if time.time() > deadline or processes[-1].poll() is not None:
            logs = ""
            for role in ("auth", "validator"):
                if os.path.exists(path := os.path.join(directory, f"{role}.log")):
                    logs += f"--- {role}.log\n" + open(path).read()
            raise RuntimeError(f"unbound on port {port} did not answer\n{logs}")
        time.sleep(0.05)


def _answers(port, zone):
    """Whether a UDP query for `zone` SOA (RD set) to 127.0.0.1:`port` gets NOERROR."""
    qname = b"".join(bytes([len(label)]) + label.encode() for label in zone.strip(".").split("."))
    query = struct.pack(">6H", 0x5EC5, 0x0100, 1, 0, 0, 0) + qname + b"\0" + struct.pack(">2H", 6, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(query, ("127.0.0.1", port))
            reply = s.recv(4096)
        except OSError:
            return False
    return reply[:2] == query[:2] and reply[3] & 0x0F == 0


def _free_ports(count):
    """`count` distinct ports free for both TCP and UDP on 127.0.0.1."""
    ports, sockets = [], []
    while len(ports) < count:
        tcp = socket.socket()
        tcp.bind(("127.0.0.1", 0))
        sockets.append(tcp)
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sockets.append(udp)
        try:
            udp.bind(("127.0.0.1", tcp.getsockname()[1]))
            ports.append(tcp.getsockname()[1])
        except OSError:
            pass
    for s in sockets:
        s.close()
    return ports


if __name__ == "__main__":
    import re
    import tempfile
    tlsa = "_25._tcp.mx 300 IN TLSA 3 1 1 " + "0123456789abcdef" * 4
    mail = ["@ 300 IN MX 10 mx", "mx 300 IN A 127.0.0.2", tlsa]
    zones = {"dane.test": Zone(mail + ["nodata 300 IN A 127.0.0.3"]),
             "bogus.test": Zone(mail, corrupt=["_25._tcp.mx"]),
             "plain.test": Zone(mail, signed=False),
             "untrusted.test": Zone(mail, anchored=False)}
    checks = [  # (drill flags, name, type, rcode, answers?, ad?)
        ("-D", "dane.test", "MX", "NOERROR", True, True),
        ("-D", "mx.dane.test", "A", "NOERROR", True, True),
        ("-D", "_25._tcp.mx.dane.test", "TLSA", "NOERROR", True, True),
        ("-D", "nodata.dane.test", "TLSA", "NOERROR", False, True),  # secure NODATA
        ("-D", "_25._tcp.nodata.dane.test", "TLSA", "NXDOMAIN", False, True),
        ("-D", "nothere.dane.test", "A", "NXDOMAIN", False, True),
        ("-oAD", "_25._tcp.mx.dane.test", "TLSA", "NOERROR", True, True),  # AD bit, no DO
        ("-oad", "_25._tcp.mx.dane.test", "TLSA", "NOERROR", True, False),  # neither
        ("-D", "bogus.test", "MX", "NOERROR", True, True),
        ("-D", "_25._tcp.mx.bogus.test", "TLSA", "SERVFAIL", False, False),
        ("-D", "plain.test", "MX", "NOERROR", True, False),
        ("-D", "_25._tcp.mx.plain.test", "TLSA", "NOERROR", True, False),
        ("-D", "untrusted.test", "MX", "SERVFAIL", False, False)]
    with tempfile.TemporaryDirectory() as directory:
        began = time.time()
        resolver = start(zones, directory)
        print(f"start() took {time.time() - began:.2f} s; resolver on port {resolver.port}")
        try:
            failed = 0
            for flags, name, rtype, rcode, answers, ad in checks:
                reply = subprocess.run(["drill", flags, "-p", str(resolver.port), "@127.0.0.1",
                                        name, rtype], capture_output=True, text=True).stdout
                got_rcode = re.search(r"rcode: (\w+)", reply).group(1)
                header = re.search(r";; flags: ([^;]*);.*ANSWER: (\d+)", reply)
                got_ad, got_answers = "ad" in header.group(1).split(), header.group(2) != "0"
                ok = (got_rcode, got_answers, got_ad) == (rcode, answers, ad)
                failed += not ok
                print(f"{'ok ' if ok else 'BAD'} {flags:5} {name:27} {rtype:4} {got_rcode:8} "
                      f"answers={header.group(2)} flags: {header.group(1).strip()}")
        finally:
            resolver.stop()
    raise SystemExit(1 if failed else 0)

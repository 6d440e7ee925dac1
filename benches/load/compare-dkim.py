#!/usr/bin/python3
"""dkimpy (Debian's python3-dkim) signing and verifying the same messages as `cargo bench
--bench dkim`: RSA-2048 and Ed25519, relaxed/relaxed, 4 KiB and 100 KiB. Prints messages/s
per case, to set beside criterion's numbers from the same run (see compare-dkim.sh)."""

import base64
import subprocess
import sys
import tempfile
import time

import dkim
import nacl.signing

LINES = [
    b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor\r\n",
    b"incididunt ut labore et dolore magna aliqua.  Ut enim ad minim veniam, quis \r\n",
    b"nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat.\r\n",
    b"\r\n",
]
HEADER = (b"Received: from client.example.net (client.example.net [192.0.2.7])\r\n\tby mx.example.com with ESMTPS;"
          b" Tue, 14 Nov 2023 22:13:20 +0000\r\nFrom: Alice Example <alice@example.com>\r\nTo: Bob <bob@example.net>\r\n"
          b"Cc: carol@example.org\r\nSubject: Quarterly figures and the plan for next year\r\n"
          b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\nMessage-ID: <20231114221320.12345@example.com>\r\n"
          b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
HEADERS = [b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"mime-version", b"content-type"]


def message(size):
    """The same message as benches/dkim.rs builds."""
    m = bytearray(HEADER)
    i = 0
    while len(m) < size:
        m += LINES[i % len(LINES)]
        i += 1
    return bytes(m)


def keys():
    with tempfile.NamedTemporaryFile(suffix=".pem") as f:
        subprocess.run(["openssl", "genrsa", "-out", f.name, "2048"], check=True, capture_output=True)
        rsa_private = open(f.name, "rb").read()
        der = subprocess.run(["openssl", "rsa", "-in", f.name, "-pubout", "-outform", "DER"], check=True,
                             capture_output=True).stdout
    rsa_record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
    seed = nacl.signing.SigningKey.generate()
    ed_private = base64.b64encode(bytes(seed))
    ed_record = b"v=DKIM1; k=ed25519; p=" + base64.b64encode(bytes(seed.verify_key))
    return [("rsa2048", rsa_private, rsa_record, b"rsa-sha256"), ("ed25519", ed_private, ed_record, b"ed25519-sha256")]


def rate(work, seconds):
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        work()
        done += 1
    return done / (time.perf_counter() - start)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    print("case\tdkimpy msgs/s")
    for name, private, record, algorithm in keys():
        for label, size in [("4KiB", 4 * 1024), ("100KiB", 100 * 1024)]:
            m = message(size)
            sign = lambda: dkim.sign(m, b"s1", b"example.com", private, canonicalize=(b"relaxed", b"relaxed"),  # noqa: E731
                                     include_headers=HEADERS, signature_algorithm=algorithm)
            signed = sign() + m
            dns = lambda name, timeout=5: record  # noqa: E731
            assert dkim.verify(signed, dnsfunc=dns), f"{name} {label} did not verify"
            print(f"sign/{name}/{label}\t{rate(sign, seconds):.0f}")
            print(f"verify/{name}/{label}\t{rate(lambda: dkim.verify(signed, dnsfunc=dns), seconds):.0f}")


if __name__ == "__main__":
    main()

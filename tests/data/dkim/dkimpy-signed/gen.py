#!/usr/bin/env python3
"""Regenerates the messages in this folder: dkimpy 1.1.8 (`pip install dkimpy==1.1.8 pynacl`)
signs dkimpy's own test.message with dkimpy's test keys, so that ringmail's verifier is checked
against an independent signer. Run from this folder: `python3 gen.py`. It rewrites every .eml
and records.txt (t= changes each run; the Rust tests do not depend on its value)."""

import base64
import os

import dkim
import nacl.signing

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "dkimpy-1.1.8", "data")


def read(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read()


message = read("test.message").replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
rsa2048 = read("2048_testkey.key")
rsa2048_pkcs8 = read("2048_testkey_PKCS8.key")
rsa1024 = read("1024_testkey.key")
ed25519 = read("ed25519test.key").strip()
ed25519_public = nacl.signing.SigningKey(ed25519, encoder=nacl.encoding.Base64Encoder).verify_key.encode()

records = {
    "rsa2048": read("2048_testkey_wo_markers.pub.txt").strip().decode(),
    "rsa2048pkcs8": read("2048_testkey_PKCS8.key.pub.txt").strip().decode(),
    # The PKCS#1 RSAPublicKey form, which RFC 6376 does not name but verifiers meet.
    "rsa1024": read("1024_testkey_wo_markers.pub.rsa.txt").strip().decode(),
    "ed25519": "v=DKIM1; k=ed25519; p=" + base64.b64encode(ed25519_public).decode(),
}

# name: (selector, key, algorithm, canonicalization, extra keyword arguments)
cases = {
    "rsa2048-relaxed-relaxed": ("rsa2048", rsa2048, b"rsa-sha256", (b"relaxed", b"relaxed"), {}),
    "rsa2048-relaxed-simple": ("rsa2048", rsa2048, b"rsa-sha256", (b"relaxed", b"simple"), {}),
    "rsa2048-simple-relaxed": ("rsa2048", rsa2048, b"rsa-sha256", (b"simple", b"relaxed"), {}),
    "rsa2048-simple-simple": ("rsa2048", rsa2048, b"rsa-sha256", (b"simple", b"simple"), {}),
    "rsa2048-sha1": ("rsa2048", rsa2048, b"rsa-sha1", (b"relaxed", b"relaxed"), {}),
    "rsa2048-length": ("rsa2048", rsa2048, b"rsa-sha256", (b"relaxed", b"relaxed"), {"length": True}),
    "rsa2048pkcs8-identity": (
        "rsa2048pkcs8", rsa2048_pkcs8, b"rsa-sha256", (b"relaxed", b"relaxed"),
        {"identity": b"joe@mail.example.com"},
    ),
    "rsa1024-relaxed-relaxed": ("rsa1024", rsa1024, b"rsa-sha256", (b"relaxed", b"relaxed"), {}),
    "ed25519-relaxed-relaxed": ("ed25519", ed25519, b"ed25519-sha256", (b"relaxed", b"relaxed"), {}),
    "ed25519-simple-simple": ("ed25519", ed25519, b"ed25519-sha256", (b"simple", b"simple"), {}),
}

for name, (selector, key, algorithm, canon, extra) in cases.items():
    sig = dkim.sign(message, selector.encode(), b"example.com", key, canonicalize=canon,
                    signature_algorithm=algorithm, **extra)
    signed = sig + message
    if name == "rsa2048-length":
        # What l= permits: text appended after signing still verifies.
        signed += b"Appended after signing.\r\n"
    with open(name + ".eml", "wb") as f:
        f.write(signed)

with open("records.txt", "w") as f:
    f.write("# Key records for the messages here (written by gen.py). NAME SP RECORD.\n")
    for selector, record in records.items():
        f.write(f"{selector}._domainkey.example.com {record}\n")

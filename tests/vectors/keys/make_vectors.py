#!/usr/bin/python3
"""Independent writer of key-file vectors (format v1, docs/formats.md).

Uses only Python's hashlib, not libhallmark, so the unit tests that compare
the library's output with these files check the format against a second
implementation.  Run from this directory: /usr/bin/python3 make_vectors.py
"""
import hashlib
import struct

CREATED = "2023-11-14T22:13:20Z"  # unix 1700000000


def key_id(b, cls):
    return hashlib.blake2b(b"hallmark-key-id-v1\0" + bytes([cls]) + b, digest_size=32).digest()[:8].hex()


def derive(master, tenant, epoch):
    msg = b"hallmark-derive-v1\0" + struct.pack("<I", len(tenant)) + tenant + struct.pack("<Q", epoch)
    return hashlib.blake2b(msg, key=master, digest_size=32).digest()


def finish(head, begin, end):
    body = begin + head
    s = hashlib.blake2b(body, digest_size=32).hexdigest()
    return body + b"Checksum: " + s.encode() + b"\n" + end


SB, SE = b"-----BEGIN HALLMARK KEY-----\n", b"-----END HALLMARK KEY-----\n"
PB, PE = b"-----BEGIN HALLMARK PUBLIC KEY-----\n", b"-----END HALLMARK PUBLIC KEY-----\n"
INSECURE = b"Protection: none\nWarning: UNENCRYPTED - FOR TESTS ONLY\n"

master = bytes(range(32))
head = (b"Version: 1\nKind: master\nKey-Id: " + key_id(master, 1).encode() + b"\nCreated: " +
        CREATED.encode() + b"\n" + INSECURE + b"Secret: " + master.hex().encode() + b"\n")
open("master-insecure.key", "wb").write(finish(head, SB, SE))

tenant = "caf\u00e9-\u6771\u4eac".encode()
d = derive(master, tenant, 2026)
head = (b"Version: 1\nKind: derived\nKey-Id: " + key_id(d, 1).encode() + b"\nCreated: " +
        CREATED.encode() + b"\nParent-Id: " + key_id(master, 1).encode() + b"\nTenant: " + tenant +
        b"\nEpoch: 2026\n" + INSECURE + b"Secret: " + d.hex().encode() + b"\n")
open("derived-insecure.key", "wb").write(finish(head, SB, SE))

# RFC 8032 section 7.1, test 1.
seed = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
pk = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
ed = (b"Version: 1\nKind: %s\nKey-Id: " + key_id(pk, 2).encode() + b"\nCreated: " + CREATED.encode() +
      b"\nAlgorithm: ed25519\nPublic-Key: " + pk.hex().encode() + b"\n")
open("signing-insecure.key", "wb").write(
    finish(ed % b"signing" + INSECURE + b"Secret: " + seed.hex().encode() + b"\n", SB, SE))
open("signing.pub", "wb").write(finish(ed % b"public", PB, PE))

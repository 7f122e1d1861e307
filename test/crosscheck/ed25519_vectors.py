#!/usr/bin/env python3
"""Independent cross-check of fixtures/toq/{keys,signatures,e2e,base64}.json.

Recomputes every value with the python `cryptography` package (OpenSSL underneath, but a
different binding and code path than node) and with plain python rules for base64 and point
decoding; prints each mismatch and exits 1 if there is any, 0 otherwise. Run from the repo root
or anywhere: python3 test/crosscheck/ed25519_vectors.py

Rules used (from the reference and its dependencies, see the fixture descriptions):
  * base64 0.22 STANDARD accepts a text iff it is the canonical padded encoding of some bytes,
    i.e. b64encode(b64decode(t, validate=True)) == t;
  * a public key is a point iff curve25519-dalek decompress succeeds (signature_edge_cases.py
    holds that model: y not required < p, x = 0 with sign bit accepted);
  * X25519 secret = SHA-512(seed)[0..32]; shared key = raw X25519 output (all zero refused).
"""

import base64
import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from signature_edge_cases import P, decompress  # noqa: E402

from cryptography.exceptions import InvalidSignature, InvalidTag  # noqa: E402
from cryptography.hazmat.primitives import serialization as ser  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "fixtures", "toq")
RAW = dict(encoding=ser.Encoding.Raw, format=ser.PublicFormat.Raw)
PREFIX = "ed25519:"
failures = []


def check(case_id, what, got, want):
    if got != want:
        failures.append(f"{case_id}: {what}: fixture has {want!r}, recomputed {got!r}")


def load(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return json.load(f)["cases"]


def b64(b):
    return base64.b64encode(b).decode()


def strict_b64(t):
    """Bytes if t is canonical padded standard base64, else None."""
    try:
        raw = base64.b64decode(t.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    return raw if b64(raw) == t else None


def public_key(seed):
    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(**RAW)


def x25519_secret(seed):
    return hashlib.sha512(seed).digest()[:32]


def x25519_public(seed):
    return X25519PrivateKey.from_private_bytes(x25519_secret(seed)).public_key().public_bytes(**RAW)


def montgomery(ed_pub):
    y = (int.from_bytes(ed_pub, "little") & ((1 << 255) - 1)) % P
    if (1 - y) % P == 0:
        return None
    return ((1 + y) * pow((1 - y) % P, P - 2, P) % P).to_bytes(32, "little")


def decode_key_text(text):
    if not text.startswith(PREFIX):
        return None
    raw = strict_b64(text[len(PREFIX):])
    if raw is None or len(raw) != 32 or decompress(raw) is None:
        return None
    return raw


def verify(pub, msg, sig_text):
    if not sig_text.startswith(PREFIX):
        return False
    raw = strict_b64(sig_text[len(PREFIX):])
    if raw is None or len(raw) != 64:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(raw, msg)
        return True
    except InvalidSignature:
        return False


def rust_trim(t):
    # str::trim: White_Space code points; U+FEFF is not one of them.
    ws = "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(chr(c) for c in range(0x2000, 0x200B)) + "\u2028\u2029\u202f\u205f\u3000"
    return t.strip(ws)


def check_keys():
    for c in load("keys.json"):
        cid = c["id"]
        if c["kind"] == "identity":
            seed = bytes.fromhex(c["seedHex"])
            pub = public_key(seed)
            check(cid, "keyFileText", b64(seed), c["keyFileText"])
            check(cid, "publicKeyHex", pub.hex(), c["publicKeyHex"])
            check(cid, "publicKeyText", PREFIX + b64(pub), c["publicKeyText"])
            check(cid, "x25519SecretHex", x25519_secret(seed).hex(), c["x25519SecretHex"])
            check(cid, "x25519PublicHex", x25519_public(seed).hex(), c["x25519PublicHex"])
            check(cid, "x25519 public = Montgomery(ed25519 public)", montgomery(pub).hex(), c["x25519PublicHex"])
            check(cid, "x25519PublicBase64", b64(x25519_public(seed)), c["x25519PublicBase64"])
        else:
            raw = strict_b64(rust_trim(c["keyFileText"]))
            ok = raw is not None and len(raw) == 32
            check(cid, "result", "accept" if ok else "reject", c["result"])
            if ok:
                check(cid, "seedHex", raw.hex(), c["seedHex"])


def check_signatures():
    for c in load("signatures.json"):
        cid, kind = c["id"], c["kind"]
        if kind == "sign":
            seed, msg = bytes.fromhex(c["seedHex"]), bytes.fromhex(c["messageHex"])
            if "messageUtf8" in c:
                check(cid, "messageUtf8", c["messageUtf8"].encode("utf-8").hex(), c["messageHex"])
            check(cid, "publicKeyText", PREFIX + b64(public_key(seed)), c["publicKeyText"])
            check(cid, "signatureText", PREFIX + b64(Ed25519PrivateKey.from_private_bytes(seed).sign(msg)), c["signatureText"])
        elif kind == "rotation-proof":
            old, new = decode_key_text(c["oldPublicKeyText"]), decode_key_text(c["newPublicKeyText"])
            if "oldSeedHex" in c:
                seed = bytes.fromhex(c["oldSeedHex"])
                check(cid, "proofText", PREFIX + b64(Ed25519PrivateKey.from_private_bytes(seed).sign(new)), c["proofText"])
            check(cid, "result", "valid" if verify(old, new, c["proofText"]) else "invalid", c["result"])
        elif kind == "public-key-text":
            raw = decode_key_text(c["text"])
            check(cid, "result", "accept" if raw is not None else "reject", c["result"])
            if raw is not None:
                check(cid, "publicKeyHex", raw.hex(), c["publicKeyHex"])
        elif kind == "signature-text":
            pub = decode_key_text(c["publicKeyText"])
            ok = verify(pub, bytes.fromhex(c["messageHex"]), c["signatureText"])
            check(cid, "result", "valid" if ok else "invalid", c["result"])
        else:
            failures.append(f"{cid}: unknown kind {kind}")


def check_e2e():
    for c in load("e2e.json"):
        cid, kind = c["id"], c["kind"]
        if kind == "x25519":
            seed = bytes.fromhex(c["seedHex"])
            check(cid, "ed25519PublicHex", public_key(seed).hex(), c["ed25519PublicHex"])
            check(cid, "x25519SecretHex", x25519_secret(seed).hex(), c["x25519SecretHex"])
            check(cid, "x25519PublicHex", x25519_public(seed).hex(), c["x25519PublicHex"])
        elif kind == "shared-key":
            seed = bytes.fromhex(c["seedHex"])
            peer = decode_key_text(c["peerPublicKeyText"])
            u = montgomery(peer) if peer is not None else None
            got = None
            if u is not None:
                try:
                    got = X25519PrivateKey.from_private_bytes(x25519_secret(seed)).exchange(X25519PublicKey.from_public_bytes(u))
                except ValueError:
                    got = None  # OpenSSL refuses an all-zero result
            if "error" in c:
                check(cid, "refused", got is None, True)
            else:
                check(cid, "sharedKeyHex", got.hex() if got else None, c["sharedKeyHex"])
        elif kind == "encrypt":
            key, nonce, pt = bytes.fromhex(c["keyHex"]), bytes.fromhex(c["nonceHex"]), bytes.fromhex(c["plaintextHex"])
            check(cid, "ciphertext", b64(AESGCM(key).encrypt(nonce, pt, None)), c["ciphertext"])
            check(cid, "nonce", b64(nonce), c["nonce"])
        elif kind == "decrypt-reject":
            key = bytes.fromhex(c["keyHex"])
            ct, nonce = strict_b64(c["ciphertext"]), strict_b64(c["nonce"])
            refused = True
            if ct is not None and nonce is not None and len(nonce) == 12 and len(ct) >= 16:
                try:
                    AESGCM(key).decrypt(nonce, ct, None)
                    refused = False
                except InvalidTag:
                    pass
            check(cid, "refused", refused, True)
        else:
            failures.append(f"{cid}: unknown kind {kind}")


def check_base64():
    for c in load("base64.json"):
        raw = strict_b64(c["text"])
        check(c["id"], "result", "accept" if raw is not None else "reject", c["result"])
        if raw is not None:
            check(c["id"], "bytesHex", raw.hex(), c["bytesHex"])


def main():
    check_keys()
    check_signatures()
    check_e2e()
    check_base64()
    for f in failures:
        print("MISMATCH", f)
    if failures:
        return 1
    print("all fixture values recomputed: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())

import base64, hashlib, json, sys
sys.path.insert(0, __import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), '..'))
from signature_edge_cases import decompress, P, le32
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import serialization as ser

RAW = dict(encoding=ser.Encoding.Raw, format=ser.PublicFormat.Raw)
b64 = lambda b: base64.b64encode(b).decode()
def pub(seed): return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(**RAW)
def sig(seed, m): return Ed25519PrivateKey.from_private_bytes(seed).sign(m)
def xsec(seed): return hashlib.sha512(seed).digest()[:32]
def xpub(seed): return X25519PrivateKey.from_private_bytes(xsec(seed)).public_key().public_bytes(**RAW)
def out(name, obj):
    with open(__import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), '..', '..', '..', 'fixtures', 'toq', name), 'w') as f:
        json.dump(obj, f, indent=2, ensure_ascii=False); f.write('\n')

A, B = bytes([1]*32), bytes([2]*32)
SEEDS = [('seed-a', A, 'spec §19.1 seed A (32 x 0x01)'), ('seed-b', B, 'spec §19.1 seed B (32 x 0x02)'),
         ('seed-zero', bytes(32), 'all-zero seed'), ('seed-ff', bytes([0xff]*32), 'all-0xff seed'),
         ('seed-counting', bytes(range(32)), 'seed 00 01 .. 1f')]
# ---------- keys.json
kc = []
for cid, s, com in SEEDS:
    kc.append({'id': cid, 'kind': 'identity', 'comment': com + '; values from python cryptography',
               'seedHex': s.hex(), 'keyFileText': b64(s), 'publicKeyText': 'ed25519:' + b64(pub(s)), 'publicKeyHex': pub(s).hex(),
               'x25519SecretHex': xsec(s).hex(), 'x25519PublicHex': xpub(s).hex(), 'x25519PublicBase64': b64(xpub(s))})
for cid, text, ok, com in [
    ('key-file-plain', b64(A), True, 'what the reference writes: base64, no newline'),
    ('key-file-newline', b64(A) + '\n', True, 'trailing newline (e.g. edited by hand): the reference trims'),
    ('key-file-crlf-spaces', '  ' + b64(A) + '\r\n', True, 'surrounding spaces and CRLF are trimmed'),
    ('key-file-unpadded', b64(A).rstrip('='), False, 'padding missing: base64 0.22 STANDARD refuses'),
    ('key-file-inner-newline', b64(A)[:20] + '\n' + b64(A)[20:], False, 'whitespace inside is not trimmed'),
    ('key-file-31-bytes', b64(A[:31]), False, 'Keypair::from_seed needs exactly 32 bytes'),
    ('key-file-33-bytes', b64(A + b'\x01'), False, 'Keypair::from_seed needs exactly 32 bytes'),
    ('key-file-bom', '\ufeff' + b64(A), False, 'U+FEFF is not White_Space: Rust trim keeps it, decoding fails'),
]:
    c = {'id': cid, 'kind': 'key-file', 'comment': com, 'keyFileText': text, 'result': 'accept' if ok else 'reject'}
    if ok: c['seedHex'] = A.hex()
    kc.append(c)
out('keys.json', {'description': 'Identities: seed (identity.key content) -> Ed25519 public key text, and the X25519 keys of section 15; plus identity.key text parsing (crates/toq-core/src/keystore.rs: BASE64_STANDARD.decode(text.trim()), then exactly 32 bytes). Values computed with python cryptography (test/crosscheck/ed25519_vectors.py re-checks them); seed A/B match spec §19.1/§19.2.',
                  'spec': 'toq-wire-protocol.md §4.1, §15, §19.1, §19.2, §20.12', 'cases': kc})

# ---------- signatures.json
sc = []
pa, pb = pub(A), pub(B)
chal = bytes(range(32))
sign_cases = [
    ('sign-challenge-a', A, chal, None, 'spec §19.3: A signs the raw challenge bytes 00..1f'),
    ('sign-rotation-a-to-b', A, pb, None, 'spec §19.3: rotation proof, A signs B\'s raw public key'),
    ('sign-empty-message', A, b'', None, 'empty message'),
    ('sign-utf8-b', B, '{"text":"héllo ✓"}'.encode(), '{"text":"héllo ✓"}', 'B signs UTF-8 JSON text with non-ASCII'),
    ('sign-1000-bytes', B, bytes(i % 251 for i in range(1000)), None, '1000 bytes i mod 251'),
]
for cid, s, m, u, com in sign_cases:
    c = {'id': cid, 'kind': 'sign', 'comment': com + '; signature from python cryptography', 'seedHex': s.hex(), 'publicKeyText': 'ed25519:' + b64(pub(s)), 'messageHex': m.hex()}
    if u is not None: c['messageUtf8'] = u
    c['signatureText'] = 'ed25519:' + b64(sig(s, m))
    sc.append(c)
sc.append({'id': 'rotation-proof-a-to-b', 'kind': 'rotation-proof', 'comment': 'spec §16/§19.3: old = A, new = B',
           'oldSeedHex': A.hex(), 'oldPublicKeyText': 'ed25519:' + b64(pa), 'newPublicKeyText': 'ed25519:' + b64(pb),
           'proofText': 'ed25519:' + b64(sig(A, pb)), 'result': 'valid'})
sc.append({'id': 'rotation-proof-reversed', 'kind': 'rotation-proof', 'comment': 'A\'s proof for B checked as if B were the old key: invalid',
           'oldPublicKeyText': 'ed25519:' + b64(pb), 'newPublicKeyText': 'ed25519:' + b64(pa),
           'proofText': 'ed25519:' + b64(sig(A, pb)), 'result': 'invalid'})
sc.append({'id': 'rotation-proof-wrong-new-key', 'kind': 'rotation-proof', 'comment': 'proof over B checked against another new key',
           'oldPublicKeyText': 'ed25519:' + b64(pa), 'newPublicKeyText': 'ed25519:' + b64(pub(bytes(32))),
           'proofText': 'ed25519:' + b64(sig(A, pb)), 'result': 'invalid'})

ka = b64(pa)
assert ka.endswith('=') and not ka.endswith('==')
def bump_last(t):  # set unused low bits of the symbol before padding
    i = len(t.rstrip('=')) - 1
    alph = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    return t[:i] + alph[alph.index(t[i]) | 1] + t[i+1:]
def pointok(b): return decompress(b) is not None
off = next(y for y in range(2, 100) if decompress(le32(y)) is None)
pk_cases = [
    ('pk-valid-a', 'ed25519:' + ka, 'seed A public key'),
    ('pk-missing-prefix', ka, 'no prefix'),
    ('pk-prefix-uppercase', 'ED25519:' + ka, 'prefix is case-sensitive (strip_prefix)'),
    ('pk-prefix-mixed-case', 'Ed25519:' + ka, 'prefix is case-sensitive'),
    ('pk-prefix-space', 'ed25519: ' + ka, 'space after the prefix'),
    ('pk-leading-space', ' ed25519:' + ka, 'space before the prefix'),
    ('pk-trailing-newline', 'ed25519:' + ka + '\n', 'trailing newline'),
    ('pk-inner-space', 'ed25519:' + ka[:10] + ' ' + ka[10:], 'space inside the base64'),
    ('pk-unpadded', 'ed25519:' + ka.rstrip('='), 'padding missing'),
    ('pk-extra-padding', 'ed25519:' + ka + '=', 'one padding symbol too many'),
    ('pk-bad-char', 'ed25519:' + ka[:5] + '!' + ka[6:], 'symbol outside the alphabet'),
    ('pk-url-safe', 'ed25519:' + b64(pb).replace('/', '_').replace('+', '-'), 'seed B key in the URL-safe alphabet (- and _): refused'),
    ('pk-valid-b', 'ed25519:' + b64(pb), 'seed B public key (contains + and /)'),
    ('pk-trailing-bits', 'ed25519:' + bump_last(ka), 'non-zero unused bits in the last symbol (decodes to the same bytes in lenient decoders)'),
    ('pk-31-bytes', 'ed25519:' + b64(pa[:31]), '31 bytes'),
    ('pk-33-bytes', 'ed25519:' + b64(pa + b'\x00'), '33 bytes'),
    ('pk-empty', 'ed25519:', 'empty base64'),
    ('pk-empty-string', '', 'empty string'),
    ('pk-off-curve', 'ed25519:' + b64(le32(off)), f'y = {off}: no x on the curve (VerifyingKey::from_bytes fails)'),
    ('pk-off-curve-sign', 'ed25519:' + b64(le32(off | 1 << 255)), f'y = {off} with sign bit: no x on the curve'),
    ('pk-noncanonical-y', 'ed25519:' + b64(le32(P + 1)), 'y = p+1 (not reduced): dalek decompress reduces it and accepts'),
    ('pk-identity-sign-bit', 'ed25519:' + b64(le32(1 | 1 << 255)), 'identity with sign bit set (x = 0): dalek accepts'),
    ('pk-small-order-identity', 'ed25519:' + b64(le32(1)), 'identity point: small order, dalek from_bytes accepts (only verify_strict refuses)'),
    ('pk-small-order-8', 'ed25519:' + b64(bytes.fromhex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05')), 'order-8 point: accepted'),
    ('pk-y-all-ones', 'ed25519:' + b64(b'\xff' * 32), 'y = 2^255-1 (non-canonical, = 18 mod p) with sign bit'),
]
for cid, text, com in pk_cases:
    ok = True; reason = None
    if not text.startswith('ed25519:'): ok, reason = False, 'prefix'
    else:
        t = text[len('ed25519:'):]
        try:
            raw = base64.b64decode(t, validate=True)
            if b64(raw) != t: raise ValueError('non-canonical')
        except Exception:
            ok, reason = False, 'base64'
        else:
            if len(raw) != 32: ok, reason = False, 'length'
            elif not pointok(raw): ok, reason = False, 'point'
    c = {'id': cid, 'kind': 'public-key-text', 'comment': com, 'text': text, 'result': 'accept' if ok else 'reject'}
    if ok: c['publicKeyHex'] = base64.b64decode(text[8:]).hex()
    else: c['error'] = 'invalid_signature'; c['failsAt'] = reason
    sc.append(c)

m = b'toq signature text cases'
good = sig(A, m); gt = b64(good)
assert gt.endswith('==')
flip = bytearray(good); flip[0] ^= 1
sig_cases = [
    ('sig-valid', 'ed25519:' + gt, 'valid'),
    ('sig-missing-prefix', gt, 'no prefix'),
    ('sig-prefix-uppercase', 'ED25519:' + gt, 'prefix is case-sensitive'),
    ('sig-unpadded', 'ed25519:' + gt.rstrip('='), 'padding missing'),
    ('sig-single-pad', 'ed25519:' + gt[:-1], 'one padding symbol missing'),
    ('sig-whitespace', 'ed25519:' + gt[:40] + '\n' + gt[40:], 'newline inside the base64'),
    ('sig-trailing-space', 'ed25519:' + gt + ' ', 'trailing space'),
    ('sig-trailing-bits', 'ed25519:' + bump_last(gt), 'non-zero unused bits in the last symbol'),
    ('sig-63-bytes', 'ed25519:' + b64(good[:63]), '63 bytes (Signature::from_slice fails)'),
    ('sig-65-bytes', 'ed25519:' + b64(good + b'\x00'), '65 bytes'),
    ('sig-empty', 'ed25519:', 'empty'),
    ('sig-bit-flip', 'ed25519:' + b64(bytes(flip)), 'one bit of R flipped'),
    ('sig-wrong-key', 'ed25519:' + b64(sig(B, m)), 'signed by B, checked with A'),
]
for cid, text, com in sig_cases:
    ok = False
    if text.startswith('ed25519:'):
        t = text[8:]
        try:
            raw = base64.b64decode(t, validate=True)
            if b64(raw) == t and len(raw) == 64:
                Ed25519PublicKey.from_public_bytes(pa).verify(raw, m); ok = True
        except Exception:
            pass
    sc.append({'id': cid, 'kind': 'signature-text', 'comment': com, 'publicKeyText': 'ed25519:' + ka, 'messageHex': m.hex(), 'signatureText': text, 'result': 'valid' if ok else 'invalid'})
out('signatures.json', {'description': 'Ed25519 signing vectors (pure Ed25519, RFC 8032, deterministic; computed with python cryptography and re-checked by test/crosscheck/ed25519_vectors.py; the challenge and rotation vectors equal spec §19.3), rotation proofs, and accept/reject cases for `ed25519:` public key and signature texts. Acceptance follows the reference: prefix by strip_prefix (case-sensitive), base64 0.22 STANDARD (canonical padded, no whitespace, zero trailing bits), exact length, and for keys curve25519-dalek 4.1 decompress (non-canonical y and x=0 with sign bit accepted, off-curve refused). A key text failure is ProtocolError invalid_signature; a bad signature text just verifies as invalid.',
                        'spec': 'toq-wire-protocol.md §4.1, §4.3, §5.3, §16, §19.3, §20.11', 'cases': sc})

# ---------- e2e.json
ec = []
for cid, s, com in SEEDS[:3]:
    ec.append({'id': 'x25519-' + cid, 'kind': 'x25519', 'comment': com + ': X25519 secret = SHA-512(seed)[0..32]; public via python cryptography X25519 (clamps)',
               'seedHex': s.hex(), 'ed25519PublicHex': pub(s).hex(), 'x25519SecretHex': xsec(s).hex(), 'x25519PublicHex': xpub(s).hex()})
def shared(s, peer_seed):
    return X25519PrivateKey.from_private_bytes(xsec(s)).exchange(X25519PublicKey.from_public_bytes(xpub(peer_seed)))
ss = shared(A, B); assert ss == shared(B, A)
ec.append({'id': 'shared-a-b', 'kind': 'shared-key', 'comment': 'spec §19.2: A\'s seed with B\'s Ed25519 public key', 'seedHex': A.hex(), 'peerPublicKeyText': 'ed25519:' + b64(pb), 'sharedKeyHex': ss.hex()})
ec.append({'id': 'shared-b-a', 'kind': 'shared-key', 'comment': 'the other direction gives the same key', 'seedHex': B.hex(), 'peerPublicKeyText': 'ed25519:' + b64(pa), 'sharedKeyHex': ss.hex()})
Z = bytes(32)
ec.append({'id': 'shared-zero-a', 'kind': 'shared-key', 'comment': 'all-zero seed with A', 'seedHex': Z.hex(), 'peerPublicKeyText': 'ed25519:' + b64(pa), 'sharedKeyHex': shared(Z, A).hex()})
for cid, enc, com in [('low-order-identity', le32(1), 'identity: no Montgomery image (1-y = 0)'),
                      ('low-order-2', le32(P - 1), 'order-2 point: u = 0'),
                      ('low-order-4', le32(0), 'order-4 point: u = 1'),
                      ('low-order-8', bytes.fromhex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'), 'order-8 point'),
                      ('low-order-noncanonical-identity', le32(P + 1), 'identity encoded with y = p+1')]:
    y = int.from_bytes(enc, 'little') & ((1 << 255) - 1)
    y %= P
    if (1 - y) % P:
        u = (1 + y) * pow((1 - y) % P, P - 2, P) % P
        try:
            X25519PrivateKey.from_private_bytes(xsec(A)).exchange(X25519PublicKey.from_public_bytes(le32(u))); raise SystemExit('expected failure ' + cid)
        except ValueError:
            pass
    ec.append({'id': cid, 'kind': 'shared-key', 'comment': com + ': the shared secret would be all zero, refused (the reference would use the zero key)', 'seedHex': A.hex(), 'peerPublicKeyText': 'ed25519:' + b64(enc), 'error': 'invalid_signature'})
nonce = bytes(range(12))
for cid, pt, com in [('encrypt-spec', b'{"text":"hello"}', 'spec §19.2 vector'), ('encrypt-empty', b'', 'empty plaintext: just the tag'),
                     ('encrypt-100', bytes(range(100)), '100 bytes 00..63')]:
    ct = AESGCM(ss).encrypt(nonce, pt, None)
    c = {'id': cid, 'kind': 'encrypt', 'comment': com + '; AES-256-GCM by python cryptography, no AAD', 'keyHex': ss.hex(), 'nonceHex': nonce.hex(), 'plaintextHex': pt.hex()}
    c['ciphertext'] = b64(ct); c['nonce'] = b64(nonce)
    ec.append(c)
good_ct = b64(AESGCM(ss).encrypt(nonce, b'{"text":"hello"}', None))
tam = bytearray(base64.b64decode(good_ct)); tam[-1] ^= 1
tam2 = bytearray(base64.b64decode(good_ct)); tam2[0] ^= 1
for cid, ct, nn, com in [('decrypt-tampered-tag', b64(bytes(tam)), b64(nonce), 'last tag byte flipped'),
                         ('decrypt-tampered-body', b64(bytes(tam2)), b64(nonce), 'first ciphertext byte flipped'),
                         ('decrypt-wrong-nonce', good_ct, b64(bytes(range(1, 13))), 'other nonce'),
                         ('decrypt-nonce-8-bytes', good_ct, b64(nonce[:8]), '8-byte nonce (the reference would panic in Nonce::from_slice)'),
                         ('decrypt-short', b64(bytes(15)), b64(nonce), '15 bytes: shorter than the tag'),
                         ('decrypt-unpadded', good_ct.rstrip('='), b64(nonce), 'ciphertext base64 without padding'),
                         ('decrypt-nonce-whitespace', good_ct, b64(nonce) + '\n', 'nonce base64 with a newline')]:
    ec.append({'id': cid, 'kind': 'decrypt-reject', 'comment': com, 'keyHex': ss.hex(), 'ciphertext': ct, 'nonce': nn, 'error': 'invalid_envelope'})
out('e2e.json', {'description': 'End-to-end body encryption (library only in the reference): X25519 secret = SHA-512(seed)[0..32], peer X25519 key = Montgomery form of its Ed25519 key, raw X25519 shared secret used as the AES-256-GCM key, 12-byte nonce, no AAD, ciphertext||tag base64. Values computed with python cryptography (re-checked by test/crosscheck/ed25519_vectors.py); seed A/B and encrypt-spec equal spec §19.2. Low-order peer keys are refused (our choice; the reference has no check).',
                 'spec': 'toq-wire-protocol.md §15, §19.2, §20.12', 'cases': ec})

# ---------- base64.json
bc = []
def canon(t):
    try:
        raw = base64.b64decode(t, validate=True)
    except Exception:
        return None
    return raw if b64(raw) == t else None
for cid, t, com in [
    ('empty', '', 'empty string decodes to zero bytes'),
    ('one-byte', 'AA==', 'one byte'), ('two-bytes', 'AAA=', 'two bytes'), ('three-bytes', 'AAAA', 'three bytes'),
    ('foobar', 'Zm9vYmFy', 'RFC 4648 foobar'), ('fooba', 'Zm9vYmE=', 'RFC 4648 fooba'), ('foob', 'Zm9vYg==', 'RFC 4648 foob'),
    ('plus-slash', '+/+/', 'standard alphabet + and /'), ('ffff', '//8=', 'ff ff'),
    ('single-char', 'A', 'one symbol (InvalidLength)'), ('unpadded-2', 'AA', 'padding missing (InvalidPadding)'),
    ('unpadded-3', 'AAA', 'padding missing'), ('unpadded-6', 'Zm9vYg', 'padding missing after a full quad'),
    ('short-padding', 'AA=', 'one = where two are needed'), ('pad-only', '====', 'padding alone'), ('single-pad', '=', 'padding alone'),
    ('three-pads', 'A===', 'three padding symbols'), ('extra-pad', 'AA===', 'one padding symbol too many'), ('extra-quad-pad', 'AAAA====', 'a quad of padding'),
    ('pad-in-middle', 'AA==AA==', 'padding before more data'), ('pad-then-symbol', 'AA=A', 'padding then a symbol'),
    ('trailing-bits-1', 'AB==', 'one byte, non-zero unused bits (InvalidLastSymbol)'), ('trailing-bits-1b', 'Zh==', 'f with a stray low bit'),
    ('trailing-bits-2', 'AAB=', 'two bytes, non-zero unused bits'), ('trailing-bits-2b', 'Zm9=', 'fo with stray low bits'),
    ('leading-space', ' AAAA', 'leading space'), ('trailing-space', 'AAAA ', 'trailing space'), ('trailing-newline', 'AAAA\n', 'trailing newline'),
    ('inner-newline', 'AAAA\nAAAA', 'newline between quads (MIME style)'), ('crlf', 'Zm9v\r\n', 'CRLF'), ('tab', 'Zm9v\tYmFy', 'tab'),
    ('url-safe-dash', '-_-_', 'URL-safe alphabet'), ('url-safe-mixed', 'Zm9v-w==', 'one URL-safe symbol'),
    ('bang', 'Zm9v!A==', 'symbol outside any alphabet'), ('nul', 'Zg==\u0000', 'NUL after padding'), ('non-ascii', 'Zm9vé===', 'non-ASCII character'),
    ('data-after-pad', 'Zg==Zg==', 'two padded quads'),
]:
    raw = canon(t)
    c = {'id': cid, 'comment': com, 'text': t, 'result': 'accept' if raw is not None else 'reject'}
    if raw is not None: c['bytesHex'] = raw.hex()
    else: c['error'] = 'invalid_envelope'
    bc.append(c)
out('base64.json', {'description': 'Strict base64 decoding as base64 0.22.1 STANDARD does it (GeneralPurpose engine, PAD config: DecodePaddingMode::RequireCanonical, decode_allow_trailing_bits=false; read in marshallpierce/rust-base64 src/engine/general_purpose/decode_suffix.rs). Net effect: a text is accepted iff it is the canonical padded standard-base64 encoding of some byte string. Verdicts computed in python as `b64encode(b64decode(t, validate=True)) == t`. The error code is the default of our decoder (callers may choose another).',
                    'spec': 'toq-wire-protocol.md §20.11', 'cases': bc})
print('ok')

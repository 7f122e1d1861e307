# Independent re-implementation (Python 3 + cryptography) of the toq rules in the wire spec,
# used once to compute the expected values of fixtures/toq/*.json. Not the TypeScript code.
import base64, hashlib, json
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

def key(seed_byte):
    return Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)

def pub_raw(k):
    return k.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

def pub_text(k):
    return 'ed25519:' + base64.b64encode(pub_raw(k)).decode()

def sign_text(k, data: bytes):
    return 'ed25519:' + base64.b64encode(k.sign(data)).decode()

A = key(1)
B = key(2)
assert pub_text(A) == 'ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w='
assert pub_text(B) == 'ed25519:gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q='

def canonical(obj):
    # Python sorts str keys by code point = Rust String order; ints print as plain decimal;
    # json.dumps escapes like serde_json for these inputs (\t, \n, \u00xx lowercase, raw non-ASCII).
    return json.dumps(obj, sort_keys=True, separators=(',', ':'), ensure_ascii=False)

def compact(obj):
    return json.dumps(obj, separators=(',', ':'), ensure_ascii=False)

WIRE_ORDER = ['version', 'id', 'type', 'from', 'to', 'thread_id', 'reply_to', 'sequence', 'timestamp',
              'priority', 'content_type', 'ttl', 'compression', 'signature', 'e2e_nonce', 'body']

def wire_text(env, body_text=None):
    """The reference's serde_json::to_vec(&envelope): struct order, body as a sorted Value."""
    parts = []
    for k in WIRE_ORDER:
        if k not in env:
            continue
        if k == 'body':
            parts.append('"body":' + (body_text if body_text is not None else canonical(env['body'])))
        else:
            parts.append(json.dumps(k) + ':' + compact(env[k]))
    return '{' + ','.join(parts) + '}'

def sign_env(k, env):
    unsigned = {kk: v for kk, v in env.items() if kk != 'signature'}
    c = canonical(unsigned)
    out = dict(env)
    out['signature'] = sign_text(k, c.encode())
    return out, c

def sha(s):
    return hashlib.sha256(s.encode() if isinstance(s, str) else s).hexdigest()

def frame(payload: bytes) -> bytes:
    return len(payload).to_bytes(4, 'big') + payload

#!/usr/bin/env python3
"""An independent toq peer that behaves like the Rust reference daemon on the wire.

Written from docs (toq-wire-protocol.md, §2-§9, §19, §20), not from our TypeScript code,
so that integration tests can check our gateway against a second implementation in both roles.
It must not import anything from the project; only the standard library and `cryptography`.

Modes (all output is one JSON object per line on stdout):
  send      like the reference API single send (§9): one fresh connection per message.
            exit 0 ok, 1 error (incl. a failed signature check), 2 handshake error object,
            3 pending approval, 4 negotiate.reject, 5 rejected (closed without a word),
            6 --wait got an envelope that is not the matching ack, 7 --wait timed out.
  serve     like the reference receiver (§3.4, §4.3-§4.4, §8) in open mode.
  selftest  checks this file's canonical bytes and signatures against the §19 vectors.
"""

import argparse
import base64
import datetime
import hashlib
import ipaddress
import json
import math
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import uuid

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.x509.oid import NameOID

# --- constants (§1) -------------------------------------------------------------------------

PROTOCOL_VERSION = '0.1'
DEFAULT_PORT = 9009
MAGIC = b'TOQ\x01'
KEY_PREFIX = 'ed25519:'
MAX_HANDSHAKE_FRAME = 65536
MAX_FRAME = 1048576
MAX_CARD_BYTES = 65536
STEP_TIMEOUT_S = 5.0           # TCP, TLS, handshake, negotiation: 5 s each (§3.4, §11)
WAIT_TIMEOUT_S = 30.0          # API wait=true default (§9)
U64_MAX = 2 ** 64 - 1
I64_MIN = -(2 ** 63)
SERDE_MAX_DEPTH = 127          # serde_json's recursion limit 128 counts the envelope object (§5.2, §20.10)
DEFAULT_MAX_MESSAGE_SIZE = 1048576
PENDING_TEXT_DEFAULT = 'connection pending approval by remote agent'

MESSAGE_TYPES = frozenset([
    'handshake.init', 'handshake.response', 'handshake.reject',
    'negotiate.request', 'negotiate.response', 'negotiate.reject',
    'session.resume', 'session.disconnect',
    'approval.request', 'approval.granted', 'approval.denied',
    'message.send', 'message.ack', 'message.cancel', 'message.stream.chunk', 'message.stream.end',
    'thread.close',
    'system.heartbeat', 'system.heartbeat.ack', 'system.backpressure', 'system.backpressure.clear',
    'system.error', 'system.key_rotation', 'system.key_rotation.ack',
    'card.exchange',
])
# The daemon acks exactly these (§8).
ACKED_TYPES = frozenset(['message.send', 'thread.close', 'message.stream.chunk', 'message.stream.end'])

# Envelope fields in the order the reference emits them (§5.1).
ENVELOPE_ORDER = ('version', 'id', 'type', 'from', 'to', 'thread_id', 'reply_to', 'sequence', 'timestamp',
                  'priority', 'content_type', 'ttl', 'compression', 'signature', 'e2e_nonce', 'body')
OPTIONAL_STRINGS = ('thread_id', 'reply_to', 'content_type', 'compression', 'e2e_nonce')


class PeerError(Exception):
    """A protocol failure; `exit_code` is what the send mode exits with."""

    def __init__(self, message, exit_code=1, result=None):
        super().__init__(message)
        self.exit_code = exit_code
        self.result = result


class ClosedError(PeerError):
    """The peer closed the connection (EOF or reset) before a full frame arrived."""


_out_lock = threading.Lock()
TRACE = False                  # --trace: print every frame's text (in and out) as an event line


def emit(obj):
    line = dumps(obj, sort_keys=False)
    with _out_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


# --- addresses (§2) -------------------------------------------------------------------------

AGENT_NAME = re.compile(r'[a-z0-9-]+\Z')
IPV4_PART = re.compile(r'(0|[1-9][0-9]{0,2})\Z')


def parse_u16_rust(text):
    """Rust's `u16::from_str`: optional '+', ASCII digits (leading zeros fine), at most 65535."""
    digits = text[1:] if text.startswith('+') else text
    if not digits or not all('0' <= c <= '9' for c in digits):
        return None
    value = int(digits)
    return value if value <= 65535 else None


def is_rust_ip(host):
    """Rust's strict IpAddr parser: dotted quad without leading zeros, or IPv6 without zone/brackets."""
    parts = host.split('.')
    if len(parts) == 4 and all(IPV4_PART.match(p) and int(p) <= 255 for p in parts):
        return True
    if ':' in host and '%' not in host and '[' not in host:
        try:
            ipaddress.IPv6Address(host)
            return True
        except ValueError:
            return False
    return False


def parse_address(text):
    """toq://<host>[:<port>]/<name> → (host, port, name), following §2.1 step by step."""
    if not isinstance(text, str) or not text.startswith('toq://'):
        raise PeerError('address must start with toq://: %r' % (text,))
    rest = text[len('toq://'):]
    if '/' not in rest:
        raise PeerError('address has no agent name: %r' % (text,))
    host_port, name = rest.rsplit('/', 1)
    if not name or not AGENT_NAME.match(name) or name.startswith('-') or name.endswith('-'):
        raise PeerError('invalid agent name in %r' % (text,))
    host, port = host_port, DEFAULT_PORT
    if ':' in host_port:
        h, p = host_port.rsplit(':', 1)
        parsed = parse_u16_rust(p)
        if parsed is not None:
            host, port = h, parsed
    if not host:
        raise PeerError('empty host in %r' % (text,))
    return host, port, name


def render_address(addr):
    """Canonical ("Display") form, §2.2: the port is shown only for non-9009 ports on hosts that
    do not need DNS (IP literals, exactly `localhost`, names ending in `.local`)."""
    host, port, name = addr
    needs_dns = not (is_rust_ip(host) or host == 'localhost' or host.endswith('.local'))
    if port == DEFAULT_PORT or needs_dns:
        return 'toq://%s/%s' % (host, name)
    return 'toq://%s:%d/%s' % (host, port, name)


def canonical_address(text):
    return render_address(parse_address(text))


# --- JSON with number lexemes (§5.2, §5.4) --------------------------------------------------

class Num:
    """A JSON number as the text it came from; printed back the way serde_json would."""
    __slots__ = ('lexeme',)

    def __init__(self, lexeme):
        self.lexeme = lexeme

    def __repr__(self):
        return 'Num(%s)' % self.lexeme


def serde_number(lexeme):
    """('int', value) or ('f64', value) as serde_json 1.0.149 would hold the number (§5.4).

    Limitation: floats are obtained with Python's correctly rounded float(); serde_json without
    `float_roundtrip` uses a faster algorithm that is off by one ulp for some long inputs, so a
    rare float lexeme may canonicalize differently here than in the reference. Our own
    messages only carry integers and strings, so this only matters for what peers send us."""
    if '.' not in lexeme and 'e' not in lexeme and 'E' not in lexeme:
        value = int(lexeme)
        if lexeme.startswith('-'):
            if lexeme == '-0':
                return ('f64', -0.0)
            if value >= I64_MIN:
                return ('int', value)
        elif value <= U64_MAX:
            return ('int', value)
    try:
        f = float(lexeme)
    except OverflowError:
        raise PeerError('number out of range: ' + lexeme)
    if math.isinf(f):
        raise PeerError('number out of range: ' + lexeme)
    return ('f64', f)


def format_f64(f):
    """zmij 1.0.21 layout (§5.4): fixed notation for decimal exponents -5..15, else d.ddde±E.
    The shortest round-trip digits come from Python's repr (same shortest-digits contract)."""
    if f == 0:
        return '-0.0' if math.copysign(1.0, f) < 0 else '0.0'
    sign = '-' if f < 0 else ''
    mantissa, _, exp_text = repr(abs(f)).partition('e')
    exp = int(exp_text) if exp_text else 0
    int_part, _, frac_part = mantissa.partition('.')
    digits = (int_part + frac_part).lstrip('0')
    k = exp - len(frac_part)                 # value = int(digits) * 10**k
    stripped = digits.rstrip('0')
    k += len(digits) - len(stripped)
    digits = stripped
    n = len(digits)
    e = k + n - 1                            # decimal exponent of the first digit
    if -5 <= e <= 15:
        if k >= 0:
            body = digits + '0' * k + '.0'
        elif e >= 0:
            body = digits[:e + 1] + '.' + digits[e + 1:]
        else:
            body = '0.' + '0' * (-e - 1) + digits
    else:
        body = digits[0] + ('.' + digits[1:] if n > 1 else '') + 'e' + ('+' if e >= 0 else '-') + str(abs(e))
    return sign + body


def number_text(value):
    if isinstance(value, bool):
        raise TypeError('bool is not a number')
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Num):
        kind, v = serde_number(value.lexeme)
        return str(v) if kind == 'int' else format_f64(v)
    if isinstance(value, float):
        return format_f64(value)
    raise TypeError('not a number: %r' % (value,))


def string_text(s):
    # serde_json escaping (§5.3): \" \\ \b \t \n \f \r, other C0 as lowercase \u00xx, rest raw.
    # json.dumps with ensure_ascii=False produces exactly that for well-formed strings.
    return json.dumps(s, ensure_ascii=False)


def dumps(value, sort_keys):
    """Compact JSON (no whitespace). sort_keys=True gives the canonical form of §5.3: Python
    compares str by code point, which is Rust's String (UTF-8 byte) order."""
    if value is None:
        return 'null'
    if value is True:
        return 'true'
    if value is False:
        return 'false'
    if isinstance(value, str):
        return string_text(value)
    if isinstance(value, (int, float, Num)):
        return number_text(value)
    if isinstance(value, (list, tuple)):
        return '[' + ','.join(dumps(v, sort_keys) for v in value) + ']'
    if isinstance(value, dict):
        keys = sorted(value) if sort_keys else list(value)
        return '{' + ','.join(string_text(k) + ':' + dumps(value[k], sort_keys) for k in keys) + '}'
    raise TypeError('cannot serialize %r' % (value,))


class _Obj(dict):
    """Parsed JSON object that remembers whether the text repeated a key (last one wins)."""
    has_duplicates = False


def _object_hook(pairs):
    obj = _Obj()
    for k, v in pairs:
        if k in obj:
            obj.has_duplicates = True
        obj[k] = v
    return obj


def _reject_constant(name):
    raise PeerError('not JSON: ' + name)


def _check_tree(value, depth):
    if depth > SERDE_MAX_DEPTH:
        raise PeerError('JSON nested deeper than serde_json allows')
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            raise PeerError('lone surrogate in JSON string')
    elif isinstance(value, list):
        for v in value:
            _check_tree(v, depth + 1)
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_tree(k, depth)
            _check_tree(v, depth + 1)
    elif isinstance(value, Num):
        serde_number(value.lexeme)     # out-of-range floats are a parse error in serde_json


def parse_json(data):
    """Parses frame bytes the way serde_json would accept them (strict UTF-8, no NaN, no
    trailing garbage, no lone surrogates, bounded depth); numbers stay Num lexemes."""
    try:
        text = data.decode('utf-8')
        value = json.loads(text, object_pairs_hook=_object_hook, parse_int=Num, parse_float=Num,
                           parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise PeerError('invalid JSON frame: %s' % err)
    _check_tree(value, 1 if isinstance(value, (dict, list)) else 0)
    return value


def to_plain(value):
    """Parsed JSON → plain Python values for printing (numbers as int/float)."""
    if isinstance(value, Num):
        kind, v = serde_number(value.lexeme)
        return v
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


# --- keys and signatures (§4, §5.3) ---------------------------------------------------------

def b64encode(data):
    return base64.b64encode(data).decode('ascii')


def b64decode_strict(text):
    """Standard alphabet, padding required, no whitespace, zero trailing bits (base64 0.22
    STANDARD engine, §20.11): exactly the strings that re-encode to themselves."""
    if not isinstance(text, str):
        raise PeerError('base64 value is not a string')
    try:
        data = base64.b64decode(text.encode('ascii'), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise PeerError('invalid base64: %r' % (text[:80],))
    if b64encode(data) != text:
        raise PeerError('non-canonical base64: %r' % (text[:80],))
    return data


def decode_key_text(text):
    if not isinstance(text, str) or not text.startswith(KEY_PREFIX):
        raise PeerError('public key lacks the ed25519: prefix')
    raw = b64decode_strict(text[len(KEY_PREFIX):])
    if len(raw) != 32:
        raise PeerError('public key is %d bytes, expected 32' % len(raw))
    return Ed25519PublicKey.from_public_bytes(raw)


def key_text(public_key):
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KEY_PREFIX + b64encode(raw)


def sign_text(private_key, data):
    return KEY_PREFIX + b64encode(private_key.sign(data))


def verify_text(public_key, data, signature_text, what):
    # OpenSSL's Ed25519 verify is cofactorless and requires canonical s, like ed25519-dalek's
    # default verify (§5.3). They may differ on small-order public keys, which we never meet.
    if not isinstance(signature_text, str) or not signature_text.startswith(KEY_PREFIX):
        raise PeerError('signature verification failed for %s: missing ed25519: prefix' % what)
    sig = b64decode_strict(signature_text[len(KEY_PREFIX):])
    try:
        public_key.verify(sig, data)
    except InvalidSignature:
        raise PeerError('signature verification failed for %s' % what)


def identity_from_seed(seed_hex):
    seed = bytes.fromhex(seed_hex) if seed_hex else os.urandom(32)
    if len(seed) != 32:
        raise SystemExit('--seed must be 32 bytes of hex')
    return Ed25519PrivateKey.from_private_bytes(seed)


# --- envelopes (§5) -------------------------------------------------------------------------

def timestamp_now():
    """RFC 3339 UTC with `Z`, fraction only when non-zero, trailing zeros trimmed (§5.1)."""
    ns = time.time_ns()
    secs, frac = divmod(ns, 1_000_000_000)
    text = datetime.datetime.fromtimestamp(secs, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
    if frac:
        text += '.' + ('%09d' % frac).rstrip('0')
    return text + 'Z'


UUID_FORMS = [
    re.compile(r'[0-9a-fA-F]{32}\Z'),
    re.compile(r'[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z'),
]


def parse_uuid(text):
    """The forms the uuid crate parses (simple, hyphenated, urn:uuid:, braced; any case),
    re-emitted lowercase hyphenated (§5.2). Python's UUID() alone is laxer about hyphens."""
    if not isinstance(text, str):
        raise PeerError('id is not a string')
    inner = text
    if inner.startswith('urn:uuid:'):
        inner = inner[len('urn:uuid:'):]
    elif inner.startswith('{') and inner.endswith('}'):
        inner = inner[1:-1]
    if inner is text and UUID_FORMS[0].match(inner):
        return str(uuid.UUID(hex=inner))
    if UUID_FORMS[1].match(inner):
        return str(uuid.UUID(inner))
    raise PeerError('invalid uuid: %r' % (text,))


def parse_u64(value, field):
    if not isinstance(value, Num):
        raise PeerError('%s is not an integer' % field)
    lex = value.lexeme
    if not re.match(r'(0|[1-9][0-9]*)\Z', lex) or int(lex) > U64_MAX:
        raise PeerError('%s must be an unsigned 64-bit integer, got %s' % (field, lex))
    return int(lex)


def build_envelope(private_key, msg_type, from_addr, to_addr, sequence, body=None, **optional):
    """A signed envelope as a dict in the reference's wire order (§5.1, §5.3)."""
    env = {
        'version': PROTOCOL_VERSION,
        'id': str(uuid.uuid4()),
        'type': msg_type,
        'from': canonical_address(from_addr),
        'to': [canonical_address(to_addr)],
        'sequence': sequence,
        'timestamp': timestamp_now(),
    }
    for field, value in optional.items():
        if value is not None:
            env[field] = value
    if body is not None:
        env['body'] = body
    signature = sign_text(private_key, canonical_bytes(env))
    env['signature'] = signature
    return {k: env[k] for k in ENVELOPE_ORDER if k in env}


def canonical_bytes(fields):
    """Canonical JSON of the envelope without `signature` (§5.3), UTF-8 encoded."""
    return dumps({k: v for k, v in fields.items() if k != 'signature'}, sort_keys=True).encode('utf-8')


def wire_bytes(envelope):
    # Envelope members in struct order; `body` is a serde_json Value whose maps are BTreeMaps,
    # so its keys come out sorted on the wire as well (§19.4 wire example).
    parts = []
    for k in ENVELOPE_ORDER:
        if k in envelope:
            parts.append(string_text(k) + ':' + dumps(envelope[k], sort_keys=(k == 'body')))
    return ('{' + ','.join(parts) + '}').encode('utf-8')


def parse_envelope(data, peer_key):
    """Parse like serde into the Envelope struct, then verify the signature over bytes rebuilt
    from the parsed fields (§5.2): unknown top-level keys dropped, top-level nulls absent,
    id and addresses re-rendered."""
    raw = parse_json(data)
    if not isinstance(raw, dict):
        raise PeerError('envelope is not a JSON object')
    if raw.has_duplicates:
        raise PeerError('duplicate top-level key in envelope')
    fields = {}
    for req in ('version', 'id', 'type', 'from', 'to', 'sequence', 'timestamp', 'signature'):
        if req not in raw or raw[req] is None:
            raise PeerError('envelope lacks required field %s' % req)
    for name in ('version', 'type', 'from', 'timestamp', 'signature'):
        if not isinstance(raw[name], str):
            raise PeerError('envelope field %s is not a string' % name)
    fields['version'] = raw['version']
    fields['id'] = parse_uuid(raw['id'])
    if raw['type'] not in MESSAGE_TYPES:
        raise PeerError('unknown message type %r' % raw['type'])
    fields['type'] = raw['type']
    fields['from'] = canonical_address(raw['from'])
    if not isinstance(raw['to'], list):
        raise PeerError('envelope field to is not an array')
    fields['to'] = [canonical_address(a) for a in raw['to']]
    fields['sequence'] = parse_u64(raw['sequence'], 'sequence')
    fields['timestamp'] = raw['timestamp']
    for name in OPTIONAL_STRINGS:
        value = raw.get(name)
        if value is not None:
            if not isinstance(value, str):
                raise PeerError('envelope field %s is not a string' % name)
            fields[name] = value
    if raw.get('priority') is not None:
        if raw['priority'] not in ('normal', 'urgent'):
            raise PeerError('invalid priority %r' % (raw['priority'],))
        fields['priority'] = raw['priority']
    if raw.get('ttl') is not None:
        fields['ttl'] = parse_u64(raw['ttl'], 'ttl')
    if raw.get('body') is not None:
        fields['body'] = raw['body']
    verify_text(peer_key, canonical_bytes(fields), raw['signature'], 'envelope %s (%s)' % (fields['id'], fields['type']))
    return fields


# --- framing and TLS (§3.2, §3.3) -----------------------------------------------------------

def read_exact(sock, n):
    chunks = []
    while n > 0:
        try:
            chunk = sock.recv(n)
        except (ConnectionResetError, BrokenPipeError) as err:
            raise ClosedError('connection reset: %s' % err)
        except ssl.SSLError as err:
            raise ClosedError('TLS error while reading: %s' % err)
        if not chunk:
            raise ClosedError('connection closed by peer')
        chunks.append(chunk)
        n -= len(chunk)
    return b''.join(chunks)


def read_frame(sock, limit):
    (length,) = struct.unpack('>I', read_exact(sock, 4))
    if length > limit:
        raise PeerError('frame length %d exceeds max %d' % (length, limit))
    payload = read_exact(sock, length) if length else b''
    if TRACE:
        emit({'event': 'frame', 'dir': 'in', 'text': payload.decode('utf-8', 'replace')})
    return payload


def write_frame(sock, payload):
    # The reference writes the prefix and the payload with two writes, then flushes (§3.3).
    if TRACE:
        emit({'event': 'frame', 'dir': 'out', 'text': payload.decode('utf-8')})
    sock.sendall(struct.pack('>I', len(payload)))
    sock.sendall(payload)


def send_envelope(sock, envelope):
    write_frame(sock, wire_bytes(envelope))


def recv_envelope(sock, peer_key):
    return parse_envelope(read_frame(sock, MAX_FRAME), peer_key)


def client_tls_context():
    # Reference client: no certificate checks at all, SNI "localhost", no ALPN; rustls defaults
    # offer TLS 1.3 and 1.2 (§3.2). Two modern peers settle on 1.3; callers report the version.
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def server_tls_context():
    """A fresh self-signed ECDSA P-256 certificate with SAN localhost, like rcgen's (§3.2)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, 'reference peer self signed cert')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName('localhost')]), critical=False)
            .sign(key, hashes.SHA256()))
    directory = os.environ.get('TMPDIR', '/tmp')
    stem = os.path.join(directory, 'toq-ref-peer-%d-%s' % (os.getpid(), uuid.uuid4().hex[:8]))
    cert_path, key_path = stem + '.crt', stem + '.key'
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(cert_path, key_path)
    finally:
        os.unlink(cert_path)
        os.unlink(key_path)
    return ctx


def drop(sock):
    """End a connection the reference way: no TLS close_notify, just close the socket (§3.2).
    Python never sends close_notify unless unwrap() is called; close() only frees the fd."""
    try:
        sock.close()
    except OSError:
        pass  # already gone; dropping is best effort by design


# --- handshake (§4) -------------------------------------------------------------------------

def initiator_credentials(private_key, own_address, target_agent):
    challenge = os.urandom(32)
    creds = {
        'public_key': key_text(private_key.public_key()),
        'challenge': b64encode(challenge),
        'challenge_signature': sign_text(private_key, challenge),
        'address': canonical_address(own_address),
        'protocol_version': PROTOCOL_VERSION,
        'rotation_proof': None,
    }
    if target_agent is not None:
        creds['target_agent'] = target_agent
    return dumps(creds, sort_keys=False).encode('utf-8')


def verify_self_challenge(obj, who):
    """Decode the key, decode the challenge (any length), verify the self-signature (§4.3)."""
    peer_key = decode_key_text(obj.get('public_key'))
    challenge = b64decode_strict(obj.get('challenge'))
    verify_text(peer_key, challenge, obj.get('challenge_signature'), '%s challenge' % who)
    return peer_key


def require_str(obj, name, optional=False):
    value = obj.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise PeerError('handshake field %s missing or not a string' % name)
    return value


# --- send mode (§9 API single send) ---------------------------------------------------------

def card_body(private_key, name, connection_mode):
    # Default daemon card (§6.2); a Value, so its keys go out sorted.
    return {
        'name': name,
        'public_key': key_text(private_key.public_key()),
        'protocol_version': PROTOCOL_VERSION,
        'accept_files': False,
        'max_message_size': DEFAULT_MAX_MESSAGE_SIZE,
        'connection_mode': connection_mode,
    }


def validate_card(envelope, peer_key):
    """Peer card checks of §6.2: type, body present, name non-empty, key equals the handshake
    key, re-serialized size at most 64 KiB."""
    if envelope['type'] != 'card.exchange':
        raise PeerError('expected card.exchange, got %s' % envelope['type'])
    body = envelope.get('body')
    if not isinstance(body, dict):
        raise PeerError('card body missing or not an object')
    if not isinstance(body.get('name'), str) or not body['name']:
        raise PeerError('card name missing or empty')
    for field in ('public_key', 'protocol_version'):
        if not isinstance(body.get(field), str):
            raise PeerError('card field %s missing or not a string' % field)
    card_key = decode_key_text(body['public_key'])
    if card_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) != \
            peer_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw):
        raise PeerError('card public key does not match handshake key')
    if len(dumps(body, sort_keys=False).encode('utf-8')) > MAX_CARD_BYTES:
        raise PeerError('card too large')
    return body


def parse_initiator_features(value):
    """serde's Features from a Value; any failure → defaults (§6.1). The reference responder's
    `compression: null` makes this fail, which is the reference initiator's (ignored) result."""
    defaults = {'streaming': True, 'compression': [], 'e2e_encryption': False}
    if isinstance(value, list):          # serde derive also accepts a struct as a sequence
        if len(value) != 3:
            return defaults
        value = {'streaming': value[0], 'compression': value[1], 'e2e_encryption': value[2]}
    if not isinstance(value, dict):
        return defaults
    out = {'streaming': False, 'compression': [], 'e2e_encryption': False}
    for name in ('streaming', 'e2e_encryption'):
        if name in value:
            if not isinstance(value[name], bool):
                return defaults
            out[name] = value[name]
    if 'compression' in value:
        c = value['compression']
        if not isinstance(c, list) or not all(isinstance(x, str) for x in c):
            return defaults
        out['compression'] = c
    return out


def connect_and_setup(args, private_key, own_address):
    """TCP + TLS + handshake + negotiation + card exchange, as `connect_to_peer` (§3.4, §9)."""
    raw = socket.create_connection(('127.0.0.1', args.port), timeout=STEP_TIMEOUT_S)
    sock = client_tls_context().wrap_socket(raw, server_hostname='localhost')
    info = {'tls': sock.version(), 'alpn': sock.selected_alpn_protocol()}
    try:
        # handshake (5 s)
        sock.sendall(MAGIC)
        write_frame(sock, initiator_credentials(private_key, own_address, args.target_agent))
        data = read_frame(sock, MAX_HANDSHAKE_FRAME)
        try:
            answer = json.loads(data.decode('utf-8'))
        except ValueError:
            answer = None
        if isinstance(answer, dict) and isinstance(answer.get('error'), str):
            raise PeerError(answer['error'], 2, {'result': 'error', 'error': answer['error']})
        creds = parse_json(data)
        if not isinstance(creds, dict):
            raise PeerError('receiver credentials are not an object')
        peer_key = verify_self_challenge(creds, 'receiver')
        peer_address = canonical_address(require_str(creds, 'address'))
        session_id = require_str(creds, 'session_id')
        info.update(peer_key=key_text(peer_key), peer_address=peer_address, session_id=session_id)

        # negotiation (5 s), sequence 0, body exactly as §6.1
        request_body = {'supported_versions': [PROTOCOL_VERSION],
                        'features': {'streaming': True, 'compression': [], 'e2e_encryption': False}}
        send_envelope(sock, build_envelope(private_key, 'negotiate.request', own_address, peer_address, 0, request_body))
        try:
            response = recv_envelope(sock, peer_key)
        except ClosedError:
            raise PeerError('connection closed during negotiation', 5, {'result': 'rejected'})
        body = response.get('body')
        if response['type'] == 'negotiate.response':
            if not isinstance(body, dict) or not isinstance(body.get('selected_version'), str):
                raise PeerError('negotiate.response lacks selected_version')
            info['negotiated'] = parse_initiator_features(body.get('features'))
            info['selected_version'] = body['selected_version']
            info['response_sequence'] = response['sequence']
        elif response['type'] == 'negotiate.reject':
            reason = body.get('reason') if isinstance(body, dict) and isinstance(body.get('reason'), str) else 'unknown'
            raise PeerError('negotiation rejected: ' + reason, 4, {'result': 'negotiate.reject', 'reason': reason})
        elif response['type'] == 'approval.request':
            msg = body.get('message') if isinstance(body, dict) and isinstance(body.get('message'), str) else PENDING_TEXT_DEFAULT
            raise PeerError(msg, 3, {'result': 'pending', 'message': msg, 'sequence': response['sequence']})
        else:
            raise PeerError('unexpected message type during negotiation: ' + response['type'])

        # card exchange (no timeout): send ours first, then read theirs (card.rs `exchange`)
        sock.settimeout(None)
        card = card_body(private_key, parse_address(own_address)[2], 'approval')
        send_envelope(sock, build_envelope(private_key, 'card.exchange', own_address, peer_address, 1, card))
        card_envelope = recv_envelope(sock, peer_key)
        peer_card = validate_card(card_envelope, peer_key)
        info['peer_card_name'] = peer_card['name']
        info['card_sequence'] = card_envelope['sequence']
        return sock, peer_key, info
    except BaseException:
        drop(sock)
        raise


def run_send(args):
    private_key = identity_from_seed(args.seed)
    own_address = canonical_address(args.address)
    target = args.to or 'toq://127.0.0.1:%d/%s' % (args.port, args.target_agent)
    emit({'event': 'identity', 'public_key': key_text(private_key.public_key()), 'address': own_address})
    exit_code = 0
    for i in range(args.count):
        try:
            sock, peer_key, info = connect_and_setup(args, private_key, own_address)
        except PeerError as err:
            emit(err.result or {'result': 'error', 'error': str(err)})
            return err.exit_code
        except (OSError, ssl.SSLError) as err:
            emit({'result': 'error', 'error': 'connect failed: %s' % err})
            return 1
        try:
            thread_id = args.thread_id or str(uuid.uuid4())
            msg = build_envelope(private_key, 'message.send', own_address, target, 2,
                                 {'text': args.text.replace('{i}', str(i))},
                                 thread_id=thread_id, content_type='application/json')
            send_envelope(sock, msg)
            line = dict(info, id=msg['id'], thread_id=thread_id, index=i)
            if args.wait:
                sock.settimeout(WAIT_TIMEOUT_S)
                try:
                    got = recv_envelope(sock, peer_key)
                except socket.timeout:
                    emit(dict(line, result='timeout'))
                    return 7
                ack_id = got.get('body', {}).get('ack_id') if isinstance(got.get('body'), dict) else None
                matched = got['type'] == 'message.ack' and ack_id == msg['id']
                line.update(result='acked' if matched else 'other', type=got['type'], ack_id=ack_id,
                            reply_sequence=got['sequence'], body=to_plain(got.get('body')))
                if not matched:
                    exit_code = 6
            else:
                line['result'] = 'queued'
            # session.disconnect (sequence 3) then drop, without waiting for anything (§9)
            send_envelope(sock, build_envelope(private_key, 'session.disconnect', own_address, target, 3))
            emit(line)
        except PeerError as err:
            emit({'result': 'error', 'error': str(err), 'index': i})
            return err.exit_code
        except OSError as err:
            emit({'result': 'error', 'error': 'I/O error: %s' % err, 'index': i})
            return 1
        finally:
            drop(sock)
    return exit_code


# --- serve mode (reference receiver, §3.4, §4.3-§4.4, §6, §8) -------------------------------

class Receiver:
    def __init__(self, args):
        self.private_key = identity_from_seed(args.seed)
        self.name = args.name
        self.mode = args.mode
        self.host = args.host
        self.tls = server_tls_context()
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.address = render_address((self.host, self.port, self.name))
        self.conn_count = 0

    def serve_forever(self):
        while True:
            try:
                conn, peer = self.listener.accept()
            except OSError:
                return
            self.conn_count += 1
            threading.Thread(target=self.handle, args=(conn, self.conn_count), daemon=True).start()

    def handle(self, conn, conn_id):
        sock = conn
        stage = 'peek'
        try:
            # First byte decides native vs HTTP (§3.1); this peer only speaks the native protocol.
            conn.settimeout(STEP_TIMEOUT_S)
            first = conn.recv(1, socket.MSG_PEEK)
            if first != b'\x16':
                emit({'event': 'error', 'conn': conn_id, 'stage': stage, 'error': 'first byte is not a TLS handshake record'})
                return
            stage = 'tls'
            conn.settimeout(None)                      # server TLS accept has no timeout (§11)
            sock = self.tls.wrap_socket(conn, server_side=True)
            stage = 'handshake'
            sock.settimeout(STEP_TIMEOUT_S)
            peer_key, peer_address, session_id, target = self.handshake(sock, conn_id)
            if peer_key is None:
                return
            # Policy (§4.4, §12): open mode accepts everyone.
            stage = 'negotiation'
            self.negotiate(sock, peer_key, peer_address)
            stage = 'card'
            sock.settimeout(None)                      # card exchange has no timeout (§3.4)
            send_envelope(sock, build_envelope(self.private_key, 'card.exchange', self.address, peer_address, 1,
                                               card_body(self.private_key, self.name, self.mode)))
            peer_card = validate_card(recv_envelope(sock, peer_key), peer_key)
            emit({'event': 'session', 'conn': conn_id, 'peer_key': key_text(peer_key), 'peer_address': peer_address,
                  'peer_card_name': peer_card['name'], 'session_id': session_id, 'target_agent': target,
                  'tls': sock.version()})
            stage = 'loop'
            self.receive_loop(sock, peer_key, peer_address, conn_id)
        except ClosedError as err:
            emit({'event': 'closed', 'conn': conn_id, 'stage': stage, 'reason': str(err)})
        except (PeerError, OSError, ssl.SSLError) as err:
            emit({'event': 'error', 'conn': conn_id, 'stage': stage, 'error': str(err)})
        finally:
            drop(sock)

    def handshake(self, sock, conn_id):
        if read_exact(sock, 4) != MAGIC:
            emit({'event': 'error', 'conn': conn_id, 'stage': 'handshake', 'error': 'bad magic bytes'})
            return None, None, None, None
        creds = parse_json(read_frame(sock, MAX_HANDSHAKE_FRAME))
        if not isinstance(creds, dict):
            raise PeerError('initiator credentials are not an object')
        for name in ('public_key', 'challenge', 'challenge_signature', 'address', 'protocol_version'):
            require_str(creds, name)
        require_str(creds, 'rotation_proof', optional=True)
        target = require_str(creds, 'target_agent', optional=True)
        peer_address = canonical_address(creds['address'])
        peer_key = verify_self_challenge(creds, 'initiator')
        if target is not None and target != self.name:
            # The only error object of the protocol (§4.3 step 5), then close.
            text = "agent '%s' not found on this endpoint (this is '%s')" % (target, self.name)
            write_frame(sock, dumps({'error': text}, sort_keys=False).encode('utf-8'))
            emit({'event': 'wrong_agent', 'conn': conn_id, 'error': text})
            return None, None, None, None
        challenge = os.urandom(32)
        session_id = 'sess-' + str(uuid.uuid4())
        answer = {
            'public_key': key_text(self.private_key.public_key()),
            'challenge': b64encode(challenge),
            'challenge_signature': sign_text(self.private_key, challenge),
            'address': self.address,
            'session_id': session_id,
            'rotation_proof': None,
        }
        write_frame(sock, dumps(answer, sort_keys=False).encode('utf-8'))
        return peer_key, peer_address, session_id, target

    def negotiate(self, sock, peer_key, peer_address):
        request = recv_envelope(sock, peer_key)
        if request['type'] != 'negotiate.request':
            raise PeerError('expected negotiate.request, got %s' % request['type'])
        body = request.get('body')
        if body is None:
            raise PeerError('missing negotiation body')
        versions = body.get('supported_versions') if isinstance(body, dict) else None
        if not (isinstance(versions, list) and all(isinstance(v, str) for v in versions)):
            versions = []
        if PROTOCOL_VERSION not in versions:
            send_envelope(sock, build_envelope(self.private_key, 'negotiate.reject', self.address, peer_address, 0,
                                               {'reason': 'no_compatible_version', 'supported_versions': [PROTOCOL_VERSION]}))
            raise PeerError('no compatible version')
        theirs = parse_initiator_features(body.get('features'))
        features = {'streaming': theirs['streaming'], 'compression': None,
                    'e2e_encryption': False}   # our list is empty, our e2e is off (§6.1)
        send_envelope(sock, build_envelope(self.private_key, 'negotiate.response', self.address, peer_address, 0,
                                           {'selected_version': PROTOCOL_VERSION, 'features': features}))

    def receive_loop(self, sock, peer_key, peer_address, conn_id):
        sequence = 2                                   # own counter starts at 2, +1 per envelope (§8)
        while True:                                    # no read timeout, like the reference (§8, §11)
            env = recv_envelope(sock, peer_key)
            kind = env['type']
            if kind in ACKED_TYPES:
                emit({'type': kind, 'id': env['id'], 'from': env['from'], 'thread_id': env.get('thread_id'),
                      'body': to_plain(env.get('body')), 'sequence': env['sequence'], 'conn': conn_id})
                ack = build_envelope(self.private_key, 'message.ack', self.address, peer_address, sequence,
                                     {'ack_id': env['id']})
                sequence += 1
                try:
                    send_envelope(sock, ack)
                except OSError:
                    pass  # the reference ignores ack write errors and keeps reading (§8)
            elif kind == 'system.heartbeat':
                emit({'event': 'heartbeat', 'conn': conn_id, 'id': env['id']})
                reply = build_envelope(self.private_key, 'system.heartbeat.ack', self.address, peer_address, sequence,
                                       reply_to=env['id'])
                sequence += 1
                try:
                    send_envelope(sock, reply)
                except OSError:
                    pass  # same as acks: write errors are not noticed
            elif kind == 'session.disconnect':
                emit({'event': 'disconnect', 'conn': conn_id})
                return
            else:
                emit({'event': 'ignored', 'conn': conn_id, 'type': kind})


def run_serve(args):
    receiver = Receiver(args)
    tmp = args.port_file + '.tmp'
    with open(tmp, 'w') as f:
        f.write(str(receiver.port))
    os.replace(tmp, args.port_file)
    emit({'event': 'listening', 'port': receiver.port, 'address': receiver.address,
          'public_key': key_text(receiver.private_key.public_key())})
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    # Exit cleanly when stdin closes: the parent's way of stopping us without signals.
    while sys.stdin.buffer.read(4096):
        pass
    receiver.listener.close()
    return 0


# --- selftest against the spec's vectors (§19) ----------------------------------------------

def run_selftest(_args):
    a = Ed25519PrivateKey.from_private_bytes(b'\x01' * 32)
    b = Ed25519PrivateKey.from_private_bytes(b'\x02' * 32)
    checks = []

    def check(name, ok):
        checks.append(name)
        if not ok:
            raise SystemExit('selftest failed: ' + name)

    check('19.1 key A', key_text(a.public_key()) == 'ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=')
    check('19.3 challenge', sign_text(a, bytes(range(32))) ==
          'ed25519:uX383bUMPHE5Ba0wkGYZ0F7+3QTnE75teZqFhrJ3WzTVYXe8RkCfuctdJHCUxyjX5SdzQQ2CbUnCjsD/7eJTAg==')
    e1_wire = ('{"version":"0.1","id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f","type":"message.send",'
               '"from":"toq://alice.example/alice","to":["toq://127.0.0.1:9011/bob"],"thread_id":"thread-42",'
               '"sequence":2,"timestamp":"2026-03-08T01:02:03.123456Z","content_type":"application/json",'
               '"signature":"ed25519:x0Le6g9dYAXFDuS5x0wZA6g19kFyVrXgzn0J3Xs4HzcYSb0Y/+E+/S21jx7C4uyImUTqMagGKrn5MNzaQZI7AQ==",'
               '"body":{"big":18446744073709551615,"list":[3,2,1],"n":1,"neg":-7,"none":null,"ok":true,'
               '"text":"h\u00e9llo / \\"q\\" \\\\ \\t\\u0001"}}').encode('utf-8')
    check('19.4 wire length', len(e1_wire) == 500)
    parsed = parse_envelope(e1_wire, a.public_key())
    canon = canonical_bytes(parsed)
    check('19.4 canonical sha256', hashlib.sha256(canon).hexdigest() ==
          'd0961feb6985b263764167d7e278472a9f9956b79ee2de04a0641c66c9c7313a')
    check('19.4 wire re-emitted', wire_bytes(dict(parsed, signature=sign_text(a, canon))) == e1_wire)
    tweaked = json.loads(e1_wire.decode('utf-8'), object_pairs_hook=dict, parse_int=Num)
    tweaked = dict(reversed(list(tweaked.items())))
    tweaked.update(reply_to=None, x=1, id=tweaked['id'].upper(), **{'from': 'toq://alice.example:9011/alice'})
    parse_envelope(dumps(tweaked, sort_keys=False).encode('utf-8'), a.public_key())
    check('19.4 tolerant verify', True)
    try:
        parse_envelope(e1_wire.replace(b'thread-42', b'thread-43'), a.public_key())
        check('19.4 tamper detected', False)
    except PeerError:
        check('19.4 tamper detected', True)
    e2_canon = ('{"body":{"a":1.0,"b":1e+16,"c":1000000000000000.0,"d":0.00001,"e":1e-6,"f":-0.0,'
                '"g":1.8446744073709552e+19,"h":0.1,"i":"\u2028"},"from":"toq://localhost:9010/alice",'
                '"id":"0b9e6a52-3c1d-4f8e-a7b6-c5d4e3f2a1b0","sequence":2,"timestamp":"2026-03-08T01:02:03Z",'
                '"to":["toq://localhost/bob"],"type":"message.send","version":"0.1"}')
    e2_in = e2_canon.replace('1e+16', '1E16').replace('1000000000000000.0', '1e15') \
        .replace('1.8446744073709552e+19', '18446744073709551616').replace('toq://localhost/bob', 'toq://localhost:9009/bob')
    e2 = parse_envelope(dict_with_sig(e2_in, '"ed25519:cEoJm0Vnm1OB7yjeITDFKGRZfBwVz99Wy0BI1fpcFSnLUhtb8v2ilF2z3EZbsbCBXEQqY8U4sMHRcJKfg5//CA=="'),
                        a.public_key())
    check('19.5 float canonical', canonical_bytes(e2) == e2_canon.encode('utf-8'))
    ack_canon = ('{"from":"toq://localhost/bob","id":"11111111-2222-4333-8444-555555555555",'
                 '"reply_to":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","sequence":3,"timestamp":"2026-03-08T01:02:04Z",'
                 '"to":["toq://localhost:9010/alice"],"type":"system.heartbeat.ack","version":"0.1"}')
    check('19.6 heartbeat ack', sign_text(b, ack_canon.encode('utf-8')) ==
          'ed25519:53Vs/Ecs3u/mgKfkQ/GF6Z8PqcP/kmIyoortG7OpYDBvduhPKTECTxWj+q22uy7SAjd1sFbvnuPYm5Ypem58CA==')
    check('19.7 key order', dumps({'\U0001F600': 2, '\uFF61': 1}, sort_keys=True) == '{"\uFF61":1,"\U0001F600":2}')
    check('2.2 addresses', [canonical_address(t) for t in
                            ('toq://example.com:7070/x', 'toq://localhost:0080/x', 'toq://127.0.0.1:+9009/x', 'toq://127.1:5/x')]
          == ['toq://example.com/x', 'toq://localhost:80/x', 'toq://127.0.0.1/x', 'toq://127.1/x'])
    emit({'result': 'ok', 'checks': checks})
    return 0


def dict_with_sig(canonical_text, signature_json):
    """Insert a signature member into a canonical envelope text (for the selftest)."""
    return (canonical_text[:-1] + ',"signature":' + signature_json + '}').encode('utf-8')


def main(argv):
    parser = argparse.ArgumentParser(description='toq reference-behaviour peer (Python)')
    sub = parser.add_subparsers(dest='command', required=True)
    s = sub.add_parser('send', help='reference API single send, one fresh connection per message')
    s.add_argument('--port', type=int, required=True)
    s.add_argument('--target-agent', required=True)
    s.add_argument('--address', required=True, help='our own address, e.g. toq://127.0.0.1:9010/pyname')
    s.add_argument('--to', help='envelope `to` (default toq://127.0.0.1:<port>/<target-agent>)')
    s.add_argument('--text', required=True, help='body text; "{i}" is replaced by the message index')
    s.add_argument('--thread-id')
    s.add_argument('--wait', action='store_true')
    s.add_argument('--count', type=int, default=1)
    s.add_argument('--seed', help='32-byte Ed25519 seed in hex (default: random)')
    s.add_argument('--trace', action='store_true', help='print every frame as an event line')
    v = sub.add_parser('serve', help='reference receiver in open mode')
    v.add_argument('--port-file', required=True)
    v.add_argument('--name', required=True)
    v.add_argument('--mode', default='open', choices=['open'])
    v.add_argument('--host', default='127.0.0.1', help='host part of our own address')
    v.add_argument('--seed')
    v.add_argument('--trace', action='store_true', help='print every frame as an event line')
    sub.add_parser('selftest', help='check canonical bytes and signatures against spec §19')
    args = parser.parse_args(argv)
    global TRACE
    TRACE = bool(getattr(args, 'trace', False))
    return {'send': run_send, 'serve': run_serve, 'selftest': run_selftest}[args.command](args)


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))

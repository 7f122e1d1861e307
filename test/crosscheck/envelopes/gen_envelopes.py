import json, sys
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
from common import *

cases = []

# ---- §19.4 E1 -------------------------------------------------------------------------------
E1_CANON = '{"body":{"big":18446744073709551615,"list":[3,2,1],"n":1,"neg":-7,"none":null,"ok":true,"text":"héllo / \\"q\\" \\\\ \\t\\u0001"},"content_type":"application/json","from":"toq://alice.example/alice","id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f","sequence":2,"thread_id":"thread-42","timestamp":"2026-03-08T01:02:03.123456Z","to":["toq://127.0.0.1:9011/bob"],"type":"message.send","version":"0.1"}'
assert len(E1_CANON.encode()) == 389
assert sha(E1_CANON) == 'd0961feb6985b263764167d7e278472a9f9956b79ee2de04a0641c66c9c7313a'
E1_SIG = sign_text(A, E1_CANON.encode())
assert E1_SIG == 'ed25519:x0Le6g9dYAXFDuS5x0wZA6g19kFyVrXgzn0J3Xs4HzcYSb0Y/+E+/S21jx7C4uyImUTqMagGKrn5MNzaQZI7AQ=='
E1_BODY_TEXT = '{"big":18446744073709551615,"list":[3,2,1],"n":1,"neg":-7,"none":null,"ok":true,"text":"héllo / \\"q\\" \\\\ \\t\\u0001"}'
E1 = {'version': '0.1', 'id': '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f', 'type': 'message.send',
      'from': 'toq://alice.example/alice', 'to': ['toq://127.0.0.1:9011/bob'], 'thread_id': 'thread-42',
      'sequence': 2, 'timestamp': '2026-03-08T01:02:03.123456Z', 'content_type': 'application/json',
      'signature': E1_SIG}
E1_WIRE = wire_text({**E1, 'body': None}, E1_BODY_TEXT)
assert len(E1_WIRE.encode()) == 500, len(E1_WIRE.encode())
cases.append({
    'id': 'vector-e1', 'comment': 'spec §19.4: canonical bytes, SHA-256, signature (key A) and the 500 wire bytes, all from the spec text',
    'kind': 'vector', 'signerSeedHex': '01' * 32, 'publicKey': pub_text(A),
    'fields': {'version': '0.1', 'id': E1['id'], 'type': 'message.send', 'from': 'toq://alice.example:9011/alice',
               'to': ['toq://127.0.0.1:9011/bob'], 'thread_id': 'thread-42', 'sequence': '2',
               'timestamp': E1['timestamp'], 'content_type': 'application/json',
               'bodyJson': '{"text":"héllo / \\"q\\" \\\\ \\t\\u0001","n":1,"neg":-7,"big":18446744073709551615,"list":[3,2,1],"ok":true,"none":null}'},
    'canonical': E1_CANON, 'canonicalBytes': 389, 'canonicalSha256': sha(E1_CANON), 'signature': E1_SIG,
    'wire': E1_WIRE, 'wireBytes': 500, 'framePrefixHex': '000001f4'})

# ---- §19.5 E2 (floats) ----------------------------------------------------------------------
E2_CANON = '{"body":{"a":1.0,"b":1e+16,"c":1000000000000000.0,"d":0.00001,"e":1e-6,"f":-0.0,"g":1.8446744073709552e+19,"h":0.1,"i":"\u2028"},"from":"toq://localhost:9010/alice","id":"0b9e6a52-3c1d-4f8e-a7b6-c5d4e3f2a1b0","sequence":2,"timestamp":"2026-03-08T01:02:03Z","to":["toq://localhost/bob"],"type":"message.send","version":"0.1"}'
assert len(E2_CANON.encode()) == 321
assert sha(E2_CANON) == '55d7c7f712250fd2d4ca0d2835bcea7cdaf3f14b8d1f007f968bc629ff5786bb'
E2_SIG = sign_text(A, E2_CANON.encode())
assert E2_SIG == 'ed25519:cEoJm0Vnm1OB7yjeITDFKGRZfBwVz99Wy0BI1fpcFSnLUhtb8v2ilF2z3EZbsbCBXEQqY8U4sMHRcJKfg5//CA=='
E2_BODY_IN = '{"a":1.0,"b":1e16,"c":1000000000000000.0,"d":0.00001,"e":0.000001,"f":-0,"g":18446744073709551616,"h":0.1,"i":"\\u2028"}'
# What we send: keys sorted, strings re-escaped, numbers kept as the caller wrote them, so a
# receiver re-derives exactly the canonical bytes that were signed (serde_json does not always
# read its own float output back to the same double: see fixtures/toq/numbers.json).
E2_BODY_WIRE = '{"a":1.0,"b":1e16,"c":1000000000000000.0,"d":0.00001,"e":0.000001,"f":-0,"g":18446744073709551616,"h":0.1,"i":"\u2028"}'
# What the reference itself would send: its body Value re-printed.
E2_BODY_OUT = '{"a":1.0,"b":1e+16,"c":1000000000000000.0,"d":0.00001,"e":1e-6,"f":-0.0,"g":1.8446744073709552e+19,"h":0.1,"i":"\u2028"}'
E2 = {'version': '0.1', 'id': '0b9e6a52-3c1d-4f8e-a7b6-c5d4e3f2a1b0', 'type': 'message.send',
      'from': 'toq://localhost:9010/alice', 'to': ['toq://localhost/bob'], 'sequence': 2,
      'timestamp': '2026-03-08T01:02:03Z', 'signature': E2_SIG}
cases.append({
    'id': 'vector-e2-floats', 'comment': 'spec §19.5: float bodies; canonical, SHA-256 and signature from the spec; wire keeps the number lexemes (what we send), referenceWire re-prints them as the reference would; both parse to the same canonical bytes',
    'kind': 'vector', 'signerSeedHex': '01' * 32, 'publicKey': pub_text(A),
    'fields': {'version': '0.1', 'id': E2['id'], 'type': 'message.send', 'from': 'toq://localhost:9010/alice',
               'to': ['toq://localhost:9009/bob'], 'sequence': '2', 'timestamp': E2['timestamp'], 'bodyJson': E2_BODY_IN},
    'canonical': E2_CANON, 'canonicalBytes': 321, 'canonicalSha256': sha(E2_CANON), 'signature': E2_SIG,
    'wire': wire_text({**E2, 'body': None}, E2_BODY_WIRE),
    'referenceWire': wire_text({**E2, 'body': None}, E2_BODY_OUT)})

# ---- §19.6 ack and heartbeat ack (key B) ----------------------------------------------------
ACK_CANON = '{"body":{"ack_id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"},"from":"toq://127.0.0.1:9011/bob","id":"0c0ffee0-1234-4abc-8def-0123456789ab","sequence":2,"timestamp":"2026-03-08T01:02:03.5Z","to":["toq://alice.example/alice"],"type":"message.ack","version":"0.1"}'
ACK_SIG = sign_text(B, ACK_CANON.encode())
assert ACK_SIG == 'ed25519:IoV0w2voUfSwbG4thpxto8re9zTPjgcvRwAsheKj1nhNmZbs09ApeyU1Y/KWjSRfFPicvOl3MHjVWApclTfkCQ=='
ACK = {'version': '0.1', 'id': '0c0ffee0-1234-4abc-8def-0123456789ab', 'type': 'message.ack', 'from': 'toq://127.0.0.1:9011/bob',
       'to': ['toq://alice.example/alice'], 'sequence': 2, 'timestamp': '2026-03-08T01:02:03.5Z', 'signature': ACK_SIG,
       'body': {'ack_id': '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f'}}
assert canonical({k: v for k, v in ACK.items() if k != 'signature'}) == ACK_CANON
cases.append({
    'id': 'vector-ack', 'comment': 'spec §19.6: message.ack for E1 signed by key B; canonical and signature from the spec',
    'kind': 'vector', 'signerSeedHex': '02' * 32, 'publicKey': pub_text(B),
    'fields': {'version': '0.1', 'id': ACK['id'], 'type': 'message.ack', 'from': ACK['from'], 'to': ACK['to'], 'sequence': '2',
               'timestamp': ACK['timestamp'], 'bodyJson': '{"ack_id":"6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f"}'},
    'canonical': ACK_CANON, 'canonicalBytes': len(ACK_CANON.encode()), 'canonicalSha256': sha(ACK_CANON), 'signature': ACK_SIG,
    'wire': wire_text(ACK)})

HB_CANON = '{"from":"toq://localhost/bob","id":"11111111-2222-4333-8444-555555555555","reply_to":"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee","sequence":3,"timestamp":"2026-03-08T01:02:04Z","to":["toq://localhost:9010/alice"],"type":"system.heartbeat.ack","version":"0.1"}'
HB_SIG = sign_text(B, HB_CANON.encode())
assert HB_SIG == 'ed25519:53Vs/Ecs3u/mgKfkQ/GF6Z8PqcP/kmIyoortG7OpYDBvduhPKTECTxWj+q22uy7SAjd1sFbvnuPYm5Ypem58CA=='
HB = {'version': '0.1', 'id': '11111111-2222-4333-8444-555555555555', 'type': 'system.heartbeat.ack', 'from': 'toq://localhost/bob',
      'to': ['toq://localhost:9010/alice'], 'reply_to': 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', 'sequence': 3,
      'timestamp': '2026-03-08T01:02:04Z', 'signature': HB_SIG}
cases.append({
    'id': 'vector-heartbeat-ack', 'comment': 'spec §19.6: system.heartbeat.ack without body, reply_to set, key B; canonical and signature from the spec',
    'kind': 'vector', 'signerSeedHex': '02' * 32, 'publicKey': pub_text(B),
    'fields': {'version': '0.1', 'id': HB['id'], 'type': HB['type'], 'from': HB['from'], 'to': HB['to'], 'reply_to': HB['reply_to'],
               'sequence': '3', 'timestamp': HB['timestamp']},
    'canonical': HB_CANON, 'canonicalBytes': len(HB_CANON.encode()), 'canonicalSha256': sha(HB_CANON), 'signature': HB_SIG,
    'wire': wire_text(HB)})

# ---- every optional field: wire order of §5.1 ------------------------------------------------
ALL = {'version': '0.1', 'id': '0b9e6a52-3c1d-4f8e-a7b6-c5d4e3f2a1b0', 'type': 'thread.close', 'from': 'toq://127.0.0.1:9011/bob',
       'to': ['toq://alice.example/alice', 'toq://localhost:9010/carol'], 'thread_id': 't-1', 'reply_to': 'r-1', 'sequence': 7,
       'timestamp': '2026-03-08T01:02:03.000000001Z', 'priority': 'urgent', 'content_type': 'text/plain', 'ttl': 3600,
       'compression': 'zstd', 'e2e_nonce': 'AAECAwQFBgcICQoL', 'body': {'z': [], 'a': {}, 'm': 'x'}}
ALL_SIGNED, ALL_CANON = sign_env(B, ALL)
cases.append({
    'id': 'vector-all-fields', 'comment': 'every optional field set: canonical (sorted) and wire (spec §5.1 order) computed by the Python script, key B',
    'kind': 'vector', 'signerSeedHex': '02' * 32, 'publicKey': pub_text(B),
    'fields': {'version': '0.1', 'id': ALL['id'], 'type': ALL['type'], 'from': ALL['from'], 'to': ALL['to'], 'thread_id': 't-1',
               'reply_to': 'r-1', 'sequence': '7', 'timestamp': ALL['timestamp'], 'priority': 'urgent', 'content_type': 'text/plain',
               'ttl': '3600', 'compression': 'zstd', 'e2e_nonce': 'AAECAwQFBgcICQoL', 'bodyJson': '{"z":[],"a":{},"m":"x"}'},
    'canonical': ALL_CANON, 'canonicalBytes': len(ALL_CANON.encode()), 'canonicalSha256': sha(ALL_CANON),
    'signature': ALL_SIGNED['signature'], 'wire': wire_text(ALL_SIGNED)})

# ---- parse cases ----------------------------------------------------------------------------
# Base logical envelope; each accept case gives a wire text (with @SIG@) and the canonical dict the
# reference would rebuild from it (rules of spec §5.2), which is what gets signed.
BASE = {'version': '0.1', 'id': '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f', 'type': 'message.send',
        'from': 'toq://alice.example/alice', 'to': ['toq://127.0.0.1:9011/bob'], 'thread_id': 'thread-42',
        'sequence': 2, 'timestamp': '2026-03-08T01:02:03.123456Z', 'content_type': 'application/json', 'body': {'text': 'hi'}}

def base_wire(**over):
    """Wire text from BASE with replacements: value None deletes, a str starting with '=' is raw JSON."""
    env = dict(BASE)
    env['signature'] = '@SIG@'
    for k, v in over.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    parts = []
    for k in WIRE_ORDER:
        if k not in env:
            continue
        v = env[k]
        parts.append(json.dumps(k) + ':' + (v[1:] if isinstance(v, str) and v.startswith('=') else compact(v)))
    return '{' + ','.join(parts) + '}'

def accept(cid, comment, wire, canon_over=None, canon_drop=()):
    canon = dict(BASE)
    canon.update(canon_over or {})
    for k in canon_drop:
        canon.pop(k)
    c = canonical(canon)
    sig = sign_text(A, c.encode())
    cases.append({'id': cid, 'comment': comment, 'kind': 'parse', 'wire': wire.replace('@SIG@', sig), 'result': 'accept',
                  'canonical': c, 'publicKey': pub_text(A)})

def reject(cid, comment, wire=None, wire_hex=None, field=None):
    c = {'id': cid, 'comment': comment, 'kind': 'parse', 'result': 'reject', 'error': 'invalid_envelope'}
    if wire is not None:
        c['wire'] = wire.replace('@SIG@', 'ed25519:' + 'A' * 86 + '==')
    else:
        c['wireHex'] = wire_hex
    if field:
        c['field'] = field
    cases.append(c)

accept('accept-base', 'the base envelope as the reference writes it', base_wire())
# Self-test ideas of §19.4 and the traps of §20 items 1-2.
w = base_wire()
obj = json.loads(w)
rev = '{' + ','.join(json.dumps(k) + ':' + (compact(obj[k]) if k != 'signature' else '"@SIG@"') for k in reversed(list(obj))) + '}'
accept('accept-reordered-keys', 'key order on the wire is not significant (§19.4 self-test)', rev)
accept('accept-top-level-nulls-absent', 'top-level null optionals count as absent and are not signed (§5.2)',
       base_wire(reply_to='=null', priority='=null', ttl='=null', compression='=null', e2e_nonce='=null'))
accept('accept-unknown-keys-dropped', 'unknown top-level keys are dropped before canonicalization (§5.2)',
       base_wire()[:-1] + ',"x":1,"extra":{"a":[1,2]},"signature2":"zz"}')
accept('accept-duplicate-unknown-key', 'serde derive skips unknown keys without a duplicate check (§5.2 [derived])',
       base_wire()[:-1] + ',"x":1,"x":2}')
accept('accept-uppercase-id', 'the id is normalized to lowercase hyphenated (§5.2)', base_wire(id='6F1C2A4E-8B3D-4C5E-9F70-1A2B3C4D5E6F'))
accept('accept-simple-id', '32 hex digits without hyphens (uuid crate simple form)', base_wire(id='6f1c2a4e8b3d4c5e9f701a2b3c4d5e6f'))
accept('accept-urn-id', 'urn:uuid: prefix (uuid crate)', base_wire(id='urn:uuid:6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f'))
accept('accept-braced-id', 'braced, mixed case (uuid crate)', base_wire(id='{6f1c2a4e-8B3D-4c5e-9f70-1a2b3c4d5e6f}'))
accept('accept-non-v4-id', 'the version nibble is not checked on receive (§5.2)', base_wire(id='6f1c2a4e-8b3d-1c5e-0f70-1a2b3c4d5e6f'),
       {'id': '6f1c2a4e-8b3d-1c5e-0f70-1a2b3c4d5e6f'})
accept('accept-domain-port-dropped', 'a domain host never shows its port (§2.2, §19.4 self-test)', base_wire(**{'from': 'toq://alice.example:9011/alice'}))
accept('accept-default-port-dropped', 'port 9009 is never shown (§2.2)', base_wire(to=['toq://127.0.0.1:9009/bob']),
       {'to': ['toq://127.0.0.1/bob']})
accept('accept-plus-and-zero-port', 'Rust u16 parsing accepts + and leading zeros (§2.1)', base_wire(to=['toq://127.0.0.1:+09011/bob']))
accept('accept-localhost-port-kept', 'localhost keeps a non-default port (§2.2)', base_wire(to=['toq://localhost:9011/bob', 'toq://x.local:7/c']),
       {'to': ['toq://localhost:9011/bob', 'toq://x.local:7/c']})
accept('accept-body-null-absent', '"body":null is absent (§5.2)', base_wire(body='=null'), canon_drop=('body',))
accept('accept-no-body', 'no body at all', base_wire(body=None), canon_drop=('body',))
accept('accept-nested-null-kept', 'null inside body is kept (§5.2)', base_wire(body={'a': None, 'b': [None]}), {'body': {'a': None, 'b': [None]}})
accept('accept-body-duplicate-last-wins', 'duplicate keys inside body: the last one wins (§5.2 [derived])', base_wire(body='={"a":1,"a":2}'),
       {'body': {'a': 2}})
accept('accept-sequence-u64-max', 'sequence up to 2^64-1 (§5.2)', base_wire(sequence='=18446744073709551615'), {'sequence': 18446744073709551615})
accept('accept-ttl-priority-compression', 'optional fields present are signed', base_wire(priority='urgent', ttl='=60', compression='zstd', e2e_nonce='AAEC', reply_to='r-1'),
       {'priority': 'urgent', 'ttl': 60, 'compression': 'zstd', 'e2e_nonce': 'AAEC', 'reply_to': 'r-1'})
accept('accept-enum-map-form', 'serde_json also reads a unit enum variant as {"variant":null} (de.rs deserialize_enum [derived])',
       base_wire(type='={"message.send":null}', priority='={"normal":null}'), {'priority': 'normal'})
accept('accept-whitespace', 'JSON whitespace between tokens is fine', base_wire().replace(',"', ',\n  "').replace('":', '" :\t'))
accept('accept-escapes', 'escaped / and \\u00e9 are re-printed raw; a surrogate pair escape is one code point',
       base_wire(thread_id='="a\\/b\\u00e9\\ud83d\\ude00"'), {'thread_id': 'a/bé\U0001F600'})
accept('accept-key-order-trap', 'code point order, not UTF-16 order (§19.7)', base_wire(body='={"\U0001F600":2,"\uff61":1}'),
       {'body': {'\uff61': 1, '\U0001F600': 2}})
accept('accept-empty-to', 'an empty to list parses (the recipient check is ours, envelope-checks)', base_wire(to=[]), {'to': []})
accept('accept-other-version', 'version is not validated on receive (§5.1)', base_wire(version='9.9'), {'version': '9.9'})
accept('accept-opaque-timestamp', 'the timestamp is opaque text on receive (§5.1)', base_wire(timestamp='yesterday'), {'timestamp': 'yesterday'})
accept('accept-body-scalar', 'body may be any JSON value', base_wire(body='=[1,"x",false]'), {'body': [1, 'x', False]})
deep_ok = '[' * 126 + ']' * 126
accept('accept-depth-127', '127 nested containers including the envelope object are within serde_json limits (§5.2)',
       base_wire(body='=' + deep_ok), {'body': json.loads(deep_ok)})

reject('reject-duplicate-known-key', 'serde derive refuses a repeated field (§5.2, §20 item 9)', base_wire()[:-1] + ',"sequence":3}', field='sequence')
reject('reject-duplicate-null-then-value', 'a repeated optional field is refused even if the first was null', base_wire(reply_to='=null')[:-1] + ',"reply_to":"x"}', field='reply_to')
reject('reject-unknown-type', 'an unknown type is a parse error (§20 item 9)', base_wire(type='stream.chunk'), field='type')
reject('reject-type-case', 'type strings are case-sensitive', base_wire(type='Message.Send'), field='type')
reject('reject-type-map-non-null', 'the map form of a unit variant needs a null value', base_wire(type='={"message.send":1}'), field='type')
reject('reject-type-number', 'type must be a string', base_wire(type='=7'), field='type')
reject('reject-priority-bad', 'priority is exactly normal or urgent', base_wire(priority='high'), field='priority')
reject('reject-priority-case', 'priority is case-sensitive', base_wire(priority='Urgent'), field='priority')
reject('reject-sequence-float', '2.0 is a float to serde (§5.2)', base_wire(sequence='=2.0'), field='sequence')
reject('reject-sequence-exponent', '2e0 is a float to serde', base_wire(sequence='=2e0'), field='sequence')
reject('reject-sequence-negative', 'u64 only', base_wire(sequence='=-1'), field='sequence')
reject('reject-sequence-minus-zero', '-0 is the float -0.0 to serde', base_wire(sequence='=-0'), field='sequence')
reject('reject-sequence-string', 'a string is not a u64', base_wire(sequence='"2"'), field='sequence')
reject('reject-sequence-overflow', '2^64 does not fit in u64', base_wire(sequence='=18446744073709551616'), field='sequence')
reject('reject-sequence-missing', 'sequence is required', base_wire(sequence=None), field='sequence')
reject('reject-ttl-float', 'ttl is a u64 too', base_wire(ttl='=1.5'), field='ttl')
reject('reject-signature-missing', 'signature is required', base_wire(signature=None), field='signature')
reject('reject-signature-number', 'signature must be a string', base_wire(signature='=5'), field='signature')
reject('reject-id-missing', 'id is required', base_wire(id=None), field='id')
reject('reject-id-garbage', 'not a UUID', base_wire(id='not-a-uuid'), field='id')
reject('reject-id-urn-uppercase', 'the urn:uuid: prefix is lowercase only (uuid crate)', base_wire(id='URN:UUID:6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f'), field='id')
reject('reject-id-misplaced-hyphen', 'hyphens at fixed positions', base_wire(id='6f1c2a4e8-b3d-4c5e-9f70-1a2b3c4d5e6f'), field='id')
reject('reject-id-non-hex', 'hex digits only', base_wire(id='6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6g'), field='id')
reject('reject-from-bad-address', 'from must parse as a toq address (§2.1)', base_wire(**{'from': 'alice@example'}), field='from')
reject('reject-from-uppercase-name', 'agent names are lowercase', base_wire(**{'from': 'toq://alice.example/Alice'}), field='from')
reject('reject-to-not-array', 'to is a list', base_wire(to='toq://127.0.0.1:9011/bob'), field='to')
reject('reject-to-bad-entry', 'every to entry must parse', base_wire(to=['toq://127.0.0.1:9011/bob', 'toq://x/']), field='to')
reject('reject-version-null', 'a required String cannot be null', base_wire(version='=null'), field='version')
reject('reject-timestamp-missing', 'timestamp is required', base_wire(timestamp=None), field='timestamp')
reject('reject-thread-id-number', 'Option<String> refuses a number', base_wire(thread_id='=5'), field='thread_id')
reject('reject-lone-surrogate', 'a lone surrogate escape is a parse error (§5.2, §20 item 7)', base_wire(body='={"t":"\\ud800"}'))
deep_bad = '[' * 127 + ']' * 127
reject('reject-depth-128', '128 nested containers exceed serde_json recursion limit (§5.2, §20 item 10)', base_wire(body='=' + deep_bad))
reject('reject-body-number-overflow', '1e400 overflows f64: serde_json refuses it', base_wire(body='={"n":1e400}'), field='body')
reject('reject-trailing-garbage', 'only whitespace may follow the value (§3.3)', base_wire() + ' x')
reject('reject-not-object', 'the envelope is an object', '[]')
reject('reject-top-level-null', 'null is not an envelope', 'null')
reject('reject-bom', 'a byte order mark is not JSON whitespace', '\ufeff' + base_wire())
reject('reject-trailing-comma', 'no trailing commas', base_wire()[:-1] + ',}')
reject('reject-invalid-utf8', 'frames must be valid UTF-8 (§5.2)', wire_hex=base_wire(thread_id='@@').replace('@SIG@', 'ed25519:' + 'A' * 86 + '==').encode().replace(b'@@', b'\xff\xfe').hex())

# ---- verification must fail -----------------------------------------------------------------
cases.append({'id': 'verify-tampered-body', 'comment': 'E1 with one body number changed: the signature no longer verifies',
              'kind': 'verify', 'wire': E1_WIRE.replace('"n":1,', '"n":2,'), 'publicKey': pub_text(A), 'valid': False})
cases.append({'id': 'verify-wrong-key', 'comment': 'E1 checked against key B', 'kind': 'verify', 'wire': E1_WIRE, 'publicKey': pub_text(B), 'valid': False})
cases.append({'id': 'verify-signed-as-written', 'comment': 'signing the domain port as written (not re-rendered) fails at a receiver (§20 item 1)',
              'kind': 'verify',
              'wire': E1_WIRE.replace('toq://alice.example/alice', 'toq://alice.example:9011/alice').replace(E1_SIG, sign_text(A, E1_CANON.replace('toq://alice.example/alice', 'toq://alice.example:9011/alice').encode())),
              'publicKey': pub_text(A), 'valid': False})
cases.append({'id': 'verify-malformed-signature', 'comment': 'a signature without the ed25519: prefix is simply invalid', 'kind': 'verify',
              'wire': E1_WIRE.replace('ed25519:x0Le', 'x0Le'), 'publicKey': pub_text(A), 'valid': False})

out = {
    'description': 'toq envelopes: signing vectors (canonical bytes, SHA-256, signature, wire bytes) and parse accept/reject cases. '
                   'kind=vector: build from fields, compare canonical/signature/wire, then parse+verify the wire. '
                   'kind=parse: parse `wire` (UTF-8 text) or `wireHex`; accept → canonical bytes equal `canonical` and the signature verifies '
                   'with publicKey; reject → error code. kind=verify: parse succeeds, verification gives `valid`. '
                   'Expected values were computed by an independent Python 3 script (cryptography package) applying spec §2, §5 and §19; '
                   'vector canonical bytes and signatures are the spec\'s own.',
    'spec': 'toq-wire-protocol.md §5, §19.4-19.7, §20',
    'cases': cases,
}
json.dump(out, open(sys.argv[1], 'w'), ensure_ascii=False, indent=2)
print(len(cases), 'cases')

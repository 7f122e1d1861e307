import json, sys
NOW = 1772931723000  # 2026-03-08T01:02:03Z
PEER = 'toq://localhost:9010/alice'
BOB = 'toq://localhost:9011/bob'
AGENTS = {'bob': BOB, 'helper': 'toq://localhost:9011/helper'}
ID = '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f'

def env(**over):
    e = {'version': '0.1', 'id': ID, 'type': 'message.send', 'from': PEER, 'to': [BOB], 'sequence': '3',
         'timestamp': '2026-03-08T01:02:03Z', 'signature': 'ed25519:unchecked-here'}
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}

cases = []
def case(cid, comment, envelope, expect, last='2', seen=(), now=NOW, last_after='same'):
    c = {'id': cid, 'comment': comment, 'envelope': envelope,
         'context': {'peerAddress': PEER, 'localAgents': AGENTS, 'lastSequence': last, 'seenIds': list(seen), 'nowMs': now},
         'expect': expect}
    c['expect']['lastSequenceAfter'] = envelope['sequence'] if last_after == 'same' else last_after
    cases.append(c)

D = lambda recipient='bob', warnings=(): {'action': 'deliver', 'recipient': recipient, 'warnings': list(warnings)}
E = lambda code: {'action': 'system-error', 'code': code}
X = lambda code: {'action': 'drop', 'code': code}
C = lambda code: {'action': 'close', 'code': code}

case('deliver-basic', 'a well-formed message for our agent bob', env(), D())
case('deliver-recipient-other-host', 'the name matches, host/port differ: delivered with a warning (DESIGN §8)', env(to=['toq://bob.example/bob']),
     D('bob', [{'kind': 'recipient-address-mismatch', 'to': 'toq://bob.example/bob', 'ours': BOB}]))
case('deliver-exact-match-preferred', 'an exact address match beats an earlier name-only match', env(to=['toq://x.example/carol', 'toq://other.example/helper', BOB]), D('bob'))
case('deliver-second-agent', 'any of our agents may be the recipient', env(to=['toq://localhost:9011/helper']), D('helper'))
case('error-no-recipient', 'no to entry names one of our agents: invalid_envelope, answered (acked type)', env(to=['toq://localhost:9011/carol']), E('invalid_envelope'))
case('drop-no-recipient-heartbeat', 'the same for a type nobody acks: dropped without a reply (no error loops)', env(type='system.heartbeat', to=['toq://localhost:9011/carol']), X('invalid_envelope'))
case('close-from-mismatch', 'from must be the handshake address (DESIGN §8): fatal', env(**{'from': 'toq://localhost:9010/mallory'}), C('protocol_violation'), last_after='2')
case('close-from-mismatch-ack', 'fatal whatever the type', env(type='message.ack', **{'from': 'toq://evil.example/alice'}), C('protocol_violation'), last_after='2')
case('close-from-mismatch-beats-duplicate', 'the from check comes first', env(**{'from': 'toq://localhost:9010/mallory'}), C('protocol_violation'), seen=[ID], last_after='2')
case('error-sequence-reused', 'a reused sequence number (§10)', env(sequence='2'), E('sequence_violation'), last_after='2')
case('error-sequence-lower', 'a lower sequence number', env(sequence='1'), E('sequence_violation'), last_after='2')
case('drop-sequence-reused-heartbeat', 'reused sequence on a heartbeat: dropped', env(type='system.heartbeat', sequence='2'), X('sequence_violation'), last_after='2')
case('error-sequence-beats-duplicate', 'a replay with the same sequence is a sequence violation, not a duplicate', env(sequence='2'), E('sequence_violation'), seen=[ID], last_after='2')
case('deliver-sequence-gap', 'gaps are fine: strictly increasing only', env(sequence='10'), D())
case('deliver-first-sequence', 'no sequence seen yet: anything goes', env(sequence='0'), D(), last=None)
case('deliver-sequence-u64-max', 'up to 2^64-1', env(sequence='18446744073709551615'), D())
case('error-empty-to', 'no recipients', env(to=[]), E('invalid_envelope'))
case('error-101-recipients', 'more than 100 recipients (§10)', env(to=[BOB] * 101), E('invalid_envelope'))
case('deliver-100-recipients', 'exactly 100 recipients', env(to=[BOB] * 100), D())
case('ack-duplicate', 'an id already delivered: ack again, never deliver twice (DESIGN §7)', env(), {'action': 'ack-duplicate', 'recipient': 'bob', 'warnings': []}, seen=[ID])
case('ack-duplicate-stream-chunk', 'the same for any acked type', env(type='message.stream.chunk'), {'action': 'ack-duplicate', 'recipient': 'bob', 'warnings': []}, seen=[ID])
case('drop-duplicate-heartbeat', 'a duplicate of a type nobody acks is dropped', env(type='system.heartbeat'), X('duplicate_message'), seen=[ID])
case('ack-duplicate-even-if-expired', 'duplicates are acked before TTL is looked at: the original was delivered', env(ttl='1'), {'action': 'ack-duplicate', 'recipient': 'bob', 'warnings': []}, seen=[ID], now=NOW + 3_600_000)
case('error-blocked-content-type', 'an executable content type (§10)', env(content_type='application/x-msdownload'), E('executable_content_blocked'))
case('error-blocked-content-type-case', 'case-insensitive prefix match', env(content_type='Application/X-MSDOS-Program; name=a.exe'), E('executable_content_blocked'))
case('error-blocked-content-type-prefix', 'a longer type with a blocked prefix is blocked too', env(content_type='application/x-sharedlibrary'), E('executable_content_blocked'))
case('error-blocked-pe', 'portable executables', env(content_type='application/vnd.microsoft.portable-executable'), E('executable_content_blocked'))
case('deliver-json-content-type', 'the default content type', env(content_type='application/json'), D())
case('deliver-octet-stream', 'not on the list', env(content_type='application/octet-stream'), D())
case('error-ttl-expired', 'timestamp + ttl in the past (§10)', env(ttl='60'), E('ttl_expired'), now=NOW + 60_001)
case('deliver-ttl-boundary', 'exactly at timestamp + ttl: not yet expired (now > expiry is required)', env(ttl='60'), D(), now=NOW + 60_000)
case('error-ttl-zero', 'ttl 0 expires one millisecond later', env(ttl='0'), E('ttl_expired'), now=NOW + 1)
case('deliver-ttl-offset-timestamp', 'an offset timestamp is converted to UTC first', env(ttl='60', timestamp='2026-03-08T02:02:03+01:00'), D(), now=NOW + 30_000)
case('deliver-ttl-huge', 'a ttl of 2^64-1 seconds never expires', env(ttl='18446744073709551615'), D(), now=NOW + 10**12)
case('error-ttl-bad-timestamp', 'a ttl with a timestamp that is not RFC 3339 cannot be checked: invalid_envelope', env(ttl='60', timestamp='yesterday'), E('invalid_envelope'))
case('deliver-bad-timestamp-without-ttl', 'without ttl the timestamp stays opaque (§5.1)', env(timestamp='yesterday'), D())
case('drop-ttl-expired-heartbeat', 'expired heartbeat: dropped', env(type='system.heartbeat', ttl='1'), X('ttl_expired'), now=NOW + 5_000)

json.dump({'description': 'Our stricter receive rules (DESIGN §8, spec §10, §21 item 5) on a parsed, signature-checked envelope. '
           'Context: the handshake address, our agents (name → address), the highest sequence seen before (null = none), '
           'ids already delivered, the clock. Expect: action deliver / ack-duplicate / system-error / drop / close, with the catalog code, '
           'and the highest sequence recorded afterwards. Expected values follow the rules as written in DESIGN §7-8 and spec §10 (hand-derived).',
           'spec': 'toq-wire-protocol.md §10, §18, §20 items 19 and 21; DESIGN.md §7, §8', 'cases': cases},
          open(sys.argv[1], 'w'), indent=2, ensure_ascii=False)
print(len(cases))

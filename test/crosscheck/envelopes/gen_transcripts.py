import json, sys, base64
sys.path.insert(0, __import__('os').path.dirname(__import__('os').path.abspath(__file__)))
from common import *

NOW_MS = 1772931723123
TS = '2026-03-08T01:02:03.123Z'  # time 0.3.47 Rfc3339 of NOW_MS
I_ADDR = 'toq://localhost:9010/alice'
R_ADDR = 'toq://localhost:9011/bob'
I_CHALLENGE = bytes(range(0, 32))
R_CHALLENGE = bytes(range(32, 64))
I_UUIDS = ['10000000-0000-4000-8000-000000000001', '10000000-0000-4000-8000-000000000002']
R_UUIDS = ['20000000-0000-4000-8000-000000000000', '20000000-0000-4000-8000-000000000001', '20000000-0000-4000-8000-000000000002']
I_CARD = {'name': 'alice', 'public_key': pub_text(A), 'protocol_version': '0.1', 'accept_files': False,
          'max_message_size': 1048576, 'connection_mode': 'approval'}
R_CARD = {'name': 'bob', 'public_key': pub_text(B), 'protocol_version': '0.1', 'accept_files': False,
          'max_message_size': 1048576, 'connection_mode': 'open'}

# Spec §19.3: A's signature over bytes 00..1f; our initiator challenge is exactly that.
assert sign_text(A, I_CHALLENGE) == 'ed25519:uX383bUMPHE5Ba0wkGYZ0F7+3QTnE75teZqFhrJ3WzTVYXe8RkCfuctdJHCUxyjX5SdzQQ2CbUnCjsD/7eJTAg=='

def initiator_creds(target):
    parts = [('public_key', pub_text(A)), ('challenge', base64.b64encode(I_CHALLENGE).decode()),
             ('challenge_signature', sign_text(A, I_CHALLENGE)), ('address', I_ADDR), ('protocol_version', '0.1'),
             ('rotation_proof', None)]
    if target is not None:
        parts.append(('target_agent', target))
    return '{' + ','.join(json.dumps(k) + ':' + compact(v) for k, v in parts) + '}'

def receiver_creds():
    parts = [('public_key', pub_text(B)), ('challenge', base64.b64encode(R_CHALLENGE).decode()),
             ('challenge_signature', sign_text(B, R_CHALLENGE)), ('address', R_ADDR), ('session_id', 'sess-' + R_UUIDS[0]),
             ('rotation_proof', None)]
    return '{' + ','.join(json.dumps(k) + ':' + compact(v) for k, v in parts) + '}'

def envelope(k, uid, typ, frm, to, seq, body):
    env = {'version': '0.1', 'id': uid, 'type': typ, 'from': frm, 'to': [to], 'sequence': seq, 'timestamp': TS}
    if body is not None:
        env['body'] = body
    signed, _ = sign_env(k, env)
    return wire_text(signed)

def negreq(uid, versions=('0.1',)):
    return envelope(A, uid, 'negotiate.request', I_ADDR, R_ADDR, 0,
                    {'supported_versions': list(versions), 'features': {'streaming': True, 'compression': [], 'e2e_encryption': False}})

def f(direction, label, text):
    return {'direction': direction, 'label': label, 'hex': text.encode().hex(), 'json': json.loads(text)}

MAGIC = {'direction': 'i->r', 'label': 'magic', 'hex': '544f5101'}

def party(target):
    i = {'seedHex': '01' * 32, 'address': I_ADDR, 'card': I_CARD, 'challengeHex': I_CHALLENGE.hex(), 'uuids': I_UUIDS}
    if target is not None:
        i['targetAgent'] = target
    return i

def receiver(policy):
    return {'seedHex': '02' * 32, 'address': R_ADDR, 'agents': ['bob'], 'card': R_CARD, 'challengeHex': R_CHALLENGE.hex(),
            'uuids': R_UUIDS, 'policy': policy}

cases = []
def success(cid, target, comment):
    frames = [MAGIC, f('i->r', 'initiator credentials', initiator_creds(target)),
              f('r->i', 'receiver credentials', receiver_creds()),
              f('i->r', 'negotiate.request seq 0', negreq(I_UUIDS[0])),
              f('r->i', 'negotiate.response seq 0', envelope(B, R_UUIDS[1], 'negotiate.response', R_ADDR, I_ADDR, 0,
                 {'selected_version': '0.1', 'features': {'streaming': True, 'compression': None, 'e2e_encryption': False}})),
              f('r->i', 'card.exchange seq 1 (receiver sends it right after the response)', envelope(B, R_UUIDS[2], 'card.exchange', R_ADDR, I_ADDR, 1, R_CARD)),
              f('i->r', 'card.exchange seq 1 (initiator sends it after reading the response)', envelope(A, I_UUIDS[1], 'card.exchange', I_ADDR, R_ADDR, 1, I_CARD))]
    cases.append({'id': cid, 'comment': comment, 'nowMs': NOW_MS, 'initiator': party(target), 'receiver': receiver('accept'),
                  'reproduces': {'initiator': True, 'receiver': True}, 'frames': frames,
                  'outcome': {'initiator': {'kind': 'established', 'sessionId': 'sess-' + R_UUIDS[0], 'peerCard': R_CARD},
                              'receiver': {'kind': 'established', 'sessionId': 'sess-' + R_UUIDS[0], 'peerCard': I_CARD}}})

success('success', 'bob', 'handshake with target_agent, negotiation, cards; both sides established (§3.4)')
success('success-without-target', None, 'no target_agent: the receiver answers with its default agent (§4.1: omitted when absent)')

msg = "agent 'carol' not found on this endpoint (this is 'bob')"
cases.append({'id': 'wrong-agent', 'comment': 'target_agent names no agent here: the one error object, then close (§4.3 step 5)',
              'nowMs': NOW_MS, 'initiator': party('carol'), 'receiver': receiver('accept'), 'reproduces': {'initiator': True, 'receiver': True},
              'frames': [MAGIC, f('i->r', 'initiator credentials', initiator_creds('carol')), f('r->i', 'error object', compact({'error': msg}))],
              'outcome': {'initiator': {'kind': 'rejected', 'code': 'agent_unavailable', 'reason': msg},
                          'receiver': {'kind': 'rejected', 'code': 'agent_unavailable', 'reason': msg}}})

cases.append({'id': 'approval-pending', 'comment': 'policy says pending: the receiver reads negotiate.request, answers approval.request seq 0, closes (§4.4)',
              'nowMs': NOW_MS, 'initiator': party('bob'), 'receiver': receiver('pending'), 'reproduces': {'initiator': True, 'receiver': True},
              'frames': [MAGIC, f('i->r', 'initiator credentials', initiator_creds('bob')), f('r->i', 'receiver credentials', receiver_creds()),
                         f('i->r', 'negotiate.request seq 0', negreq(I_UUIDS[0])),
                         f('r->i', 'approval.request seq 0', envelope(B, R_UUIDS[1], 'approval.request', R_ADDR, I_ADDR, 0,
                           {'message': 'Connection pending approval by remote agent'}))],
              'outcome': {'initiator': {'kind': 'pending-approval', 'message': 'Connection pending approval by remote agent'},
                          'receiver': {'kind': 'pending-approval', 'message': 'Connection pending approval by remote agent'}}})

cases.append({'id': 'negotiation-reject', 'comment': 'the initiator offers only "0.2" (supportedVersions): negotiate.reject seq 0, then close (§6.1)',
              'nowMs': NOW_MS, 'initiator': {**party('bob'), 'supportedVersions': ['0.2']}, 'receiver': receiver('accept'), 'reproduces': {'initiator': True, 'receiver': True},
              'frames': [MAGIC, f('i->r', 'initiator credentials', initiator_creds('bob')), f('r->i', 'receiver credentials', receiver_creds()),
                         f('i->r', 'negotiate.request seq 0 offering only 0.2', negreq(I_UUIDS[0], ('0.2',))),
                         f('r->i', 'negotiate.reject seq 0', envelope(B, R_UUIDS[1], 'negotiate.reject', R_ADDR, I_ADDR, 0,
                           {'reason': 'no_compatible_version', 'supported_versions': ['0.1']}))],
              'outcome': {'initiator': {'kind': 'rejected', 'code': 'version_not_supported', 'reason': 'negotiation rejected: no_compatible_version'},
                          'receiver': {'kind': 'rejected', 'code': 'version_not_supported'}}})

cases.append({'id': 'policy-reject', 'comment': 'policy says reject: the receiver closes without a frame; the initiator sees end of stream after negotiate.request (§4.4)',
              'nowMs': NOW_MS, 'initiator': party('bob'), 'receiver': receiver('reject'), 'reproduces': {'initiator': True, 'receiver': True},
              'frames': [MAGIC, f('i->r', 'initiator credentials', initiator_creds('bob')), f('r->i', 'receiver credentials', receiver_creds()),
                         f('i->r', 'negotiate.request seq 0', negreq(I_UUIDS[0]))],
              'closedBy': 'receiver',
              'outcome': {'initiator': {'kind': 'rejected', 'code': 'blocked'}, 'receiver': {'kind': 'rejected', 'code': 'blocked'}}})

json.dump({'description': 'Connection setup transcripts (TLS payload after the handshake of TLS): every frame payload in order as hex '
           '(length prefix not included; the magic is raw), with its JSON. Randomness is fixed: challenges, the UUIDs each side draws in '
           'order (receiver: session id first, then envelope ids; initiator: envelope ids), and the clock (nowMs). `reproduces` says which '
           'side our machines must reproduce byte for byte when fed the other side\'s frames. Frames were computed by an independent '
           'Python 3 script (cryptography package) from the field orders and rules of spec §3.4, §4, §5.3, §6.1, §6.2; '
           'the initiator challenge signature equals spec §19.3.',
           'spec': 'toq-wire-protocol.md §3.4, §4, §6, §19.3', 'cases': cases}, open(sys.argv[1], 'w'), indent=2, ensure_ascii=False)
print(len(cases))

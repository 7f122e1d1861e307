import { sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { identityFromSeed } from '../../../src/protocol/ed25519.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import {
  agentNotFoundMessage,
  buildInitiatorCredentials,
  buildReceiverCredentials,
  parseInitiatorCredentials,
  parseReceiverAnswer,
  serializeHandshakeError,
  serializeInitiatorCredentials,
  serializeReceiverCredentials,
} from '../../../src/protocol/handshake.js';

interface Frame {
  label: string;
  hex: string;
  json: Record<string, unknown>;
}
interface Transcript {
  id: string;
  initiator: { challengeHex: string; address: string; targetAgent?: string };
  receiver: { challengeHex: string; address: string; uuids: string[] };
  frames: Frame[];
}
const transcripts = (
  JSON.parse(readFileSync(new URL('../../../fixtures/toq/handshake-transcripts.json', import.meta.url), 'utf8')) as { cases: Transcript[] }
).cases;
const byId = (id: string): Transcript => transcripts.find((t) => t.id === id) as Transcript;
const frameOf = (t: Transcript, label: string): Frame => t.frames.find((f) => f.label === label) as Frame;

const A = identityFromSeed(new Uint8Array(32).fill(1));
const B = identityFromSeed(new Uint8Array(32).fill(2));
const C = identityFromSeed(new Uint8Array(32).fill(3));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `not a ProtocolError: ${String(err)}`;
  }
  return undefined;
}

describe('handshake objects against the transcripts (independent Python bytes)', () => {
  for (const id of ['success', 'success-without-target']) {
    it(`${id}: initiator credentials byte for byte`, () => {
      const t = byId(id);
      const creds = buildInitiatorCredentials(A, t.initiator.address, Buffer.from(t.initiator.challengeHex, 'hex'), t.initiator.targetAgent);
      expect(serializeInitiatorCredentials(creds).toString('hex')).toBe(frameOf(t, 'initiator credentials').hex);
    });
  }

  it('receiver credentials byte for byte, with the sess- prefix', () => {
    const t = byId('success');
    const creds = buildReceiverCredentials(B, t.receiver.address, Buffer.from(t.receiver.challengeHex, 'hex'), t.receiver.uuids[0] as string);
    expect(creds.session_id).toBe(`sess-${t.receiver.uuids[0]}`);
    expect(serializeReceiverCredentials(creds).toString('hex')).toBe(frameOf(t, 'receiver credentials').hex);
  });

  it('the error object byte for byte', () => {
    const message = agentNotFoundMessage('carol', 'bob');
    expect(serializeHandshakeError(message).toString('hex')).toBe(frameOf(byId('wrong-agent'), 'error object').hex);
  });

  it('parses both sides of the transcript', () => {
    const t = byId('success');
    const init = parseInitiatorCredentials(Buffer.from(frameOf(t, 'initiator credentials').hex, 'hex'));
    expect(init.publicKeyText).toBe(A.publicKeyText);
    expect(init.address).toBe('toq://localhost:9010/alice');
    expect(init.agentName).toBe('alice');
    expect(init.targetAgent).toBe('bob');
    expect(init.rotationProof).toBeUndefined();
    expect(init.protocolVersion).toBe('0.1');
    const answer = parseReceiverAnswer(Buffer.from(frameOf(t, 'receiver credentials').hex, 'hex'));
    if (answer.kind !== 'credentials') throw new Error('expected credentials');
    expect(answer.receiver.publicKeyText).toBe(B.publicKeyText);
    expect(answer.receiver.sessionId).toBe(`sess-${t.receiver.uuids[0]}`);
    expect(parseReceiverAnswer(Buffer.from(frameOf(byId('wrong-agent'), 'error object').hex, 'hex'))).toEqual({
      kind: 'error',
      message: "agent 'carol' not found on this endpoint (this is 'bob')",
    });
  });
});

describe('parseInitiatorCredentials: serde rules (§4.3)', () => {
  const good = (): Record<string, unknown> =>
    JSON.parse(serializeInitiatorCredentials(buildInitiatorCredentials(A, 'toq://h.example:7000/alice', new Uint8Array(32).fill(7), 'bob')).toString());
  const parse = (obj: unknown): ReturnType<typeof parseInitiatorCredentials> => parseInitiatorCredentials(JSON.stringify(obj));

  it('ignores unknown members, accepts missing or null rotation_proof and target_agent', () => {
    const obj = good();
    delete obj.rotation_proof;
    obj.target_agent = null;
    obj.extra = { x: 1 };
    const parsed = parse(obj);
    expect(parsed.targetAgent).toBeUndefined();
    expect(parsed.address).toBe('toq://h.example/alice');
  });

  it('accepts a challenge of any length, even empty (only the signature over it matters)', () => {
    const obj = good();
    obj.challenge = '';
    obj.challenge_signature = buildInitiatorCredentials(A, 'toq://h/a', new Uint8Array(32)).challenge_signature; // wrong message
    expect(code(() => parse(obj))).toBe('invalid_signature');
    // A's real signature over the empty message verifies.
    const empty = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
    empty.challenge_signature = 'ed25519:' + Buffer.from(signEmpty()).toString('base64');
    expect(parse(empty).publicKeyText).toBe(A.publicKeyText);
  });

  it('refuses what the reference refuses', () => {
    const cases: Array<[string, (o: Record<string, unknown>) => void, string]> = [
      ['missing address', (o) => delete o.address, 'invalid_envelope'],
      ['bad address', (o) => (o.address = 'toq://h/'), 'invalid_envelope'],
      ['missing protocol_version', (o) => delete o.protocol_version, 'invalid_envelope'],
      ['numeric target_agent', (o) => (o.target_agent = 5), 'invalid_envelope'],
      ['key without prefix', (o) => (o.public_key = (o.public_key as string).slice(8)), 'invalid_signature'],
      ['key of another identity', (o) => (o.public_key = C.publicKeyText), 'invalid_signature'],
      ['non-canonical base64 challenge', (o) => (o.challenge = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd='), 'invalid_signature'],
      ['challenge with whitespace', (o) => (o.challenge = ` ${o.challenge as string}`), 'invalid_signature'],
      ['short signature', (o) => (o.challenge_signature = 'ed25519:AAAA'), 'invalid_signature'],
      ['off-curve key', (o) => (o.public_key = 'ed25519:' + Buffer.from('02' + '00'.repeat(31), 'hex').toString('base64')), 'invalid_signature'],
    ];
    for (const [what, mutate, want] of cases) {
      const obj = good();
      mutate(obj);
      expect(code(() => parse(obj)), what).toBe(want);
    }
    const text = serializeInitiatorCredentials(buildInitiatorCredentials(A, 'toq://h/a', new Uint8Array(32))).toString();
    expect(code(() => parseInitiatorCredentials(text.slice(0, -1) + ',"address":"toq://h/b"}'))).toBe('invalid_envelope');
    expect(code(() => parseInitiatorCredentials('[]'))).toBe('invalid_envelope');
  });
});

describe('parseReceiverAnswer (§4.3 initiator side)', () => {
  const creds = (): Record<string, unknown> =>
    JSON.parse(serializeReceiverCredentials(buildReceiverCredentials(B, 'toq://h/b', new Uint8Array(32).fill(4), '20000000-0000-4000-8000-000000000000')).toString());

  it('a string error member wins, even next to credentials; a non-string one does not', () => {
    expect(parseReceiverAnswer(JSON.stringify({ ...creds(), error: 'no' }))).toEqual({ kind: 'error', message: 'no' });
    expect(code(() => parseReceiverAnswer('{"error":5}'))).toBe('invalid_envelope');
    expect(parseReceiverAnswer('{"error":"a","error":"b"}')).toEqual({ kind: 'error', message: 'b' });
  });

  it('requires session_id and a verifying self-challenge', () => {
    const obj = creds();
    delete obj.session_id;
    expect(code(() => parseReceiverAnswer(JSON.stringify(obj)))).toBe('invalid_envelope');
    const forged = { ...creds(), public_key: A.publicKeyText };
    expect(code(() => parseReceiverAnswer(JSON.stringify(forged)))).toBe('invalid_signature');
  });
});

describe('builders', () => {
  it('refuse a challenge that is not 32 bytes and an invalid own address', () => {
    expect(() => buildInitiatorCredentials(A, 'toq://h/a', new Uint8Array(31))).toThrow(RangeError);
    expect(() => buildReceiverCredentials(B, 'nope', new Uint8Array(32), 'u')).toThrow(RangeError);
  });

  it('escape the error text like serde_json', () => {
    expect(serializeHandshakeError(agentNotFoundMessage('a"b\\', 'bob')).toString()).toBe(
      `{"error":"agent 'a\\"b\\\\' not found on this endpoint (this is 'bob')"}`,
    );
  });
});

function signEmpty(): Buffer {
  return sign(null, Buffer.alloc(0), A.privateKeyObject);
}

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { publicKeyObjectFromRaw, decodePublicKeyText, identityFromSeed } from '../../../src/protocol/ed25519.js';
import {
  createEnvelope,
  envelopeSigningBytes,
  normalizeUuid,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
  verifyEnvelope,
  type Envelope,
  type EnvelopeFields,
} from '../../../src/protocol/envelope.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { encodeFrame } from '../../../src/protocol/frame.js';
import { parseJson } from '../../../src/protocol/json-parse.js';
import type { MessageType } from '../../../src/protocol/message-types.js';

interface Fields {
  version: string;
  id: string;
  type: string;
  from: string;
  to: string[];
  sequence: string;
  timestamp: string;
  thread_id?: string;
  reply_to?: string;
  content_type?: string;
  priority?: 'normal' | 'urgent';
  ttl?: string;
  compression?: string;
  e2e_nonce?: string;
  bodyJson?: string;
}

interface Case {
  id: string;
  comment: string;
  kind: 'vector' | 'parse' | 'verify';
  signerSeedHex?: string;
  publicKey?: string;
  fields?: Fields;
  canonical?: string;
  canonicalBytes?: number;
  canonicalSha256?: string;
  signature?: string;
  wire?: string;
  referenceWire?: string;
  wireHex?: string;
  wireBytes?: number;
  framePrefixHex?: string;
  result?: 'accept' | 'reject';
  error?: string;
  field?: string;
  valid?: boolean;
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/toq/envelopes.json', import.meta.url), 'utf8')) as { cases: Case[] };

function keyObject(text: string) {
  return publicKeyObjectFromRaw(decodePublicKeyText(text));
}

function wireOf(c: Case): Buffer {
  return c.wireHex !== undefined ? Buffer.from(c.wireHex, 'hex') : Buffer.from(c.wire as string, 'utf8');
}

function fieldsOf(f: Fields): EnvelopeFields {
  const out: EnvelopeFields = {
    version: f.version,
    id: f.id,
    type: f.type as MessageType,
    from: f.from,
    to: f.to,
    sequence: BigInt(f.sequence),
    timestamp: f.timestamp,
  };
  if (f.thread_id !== undefined) out.thread_id = f.thread_id;
  if (f.reply_to !== undefined) out.reply_to = f.reply_to;
  if (f.content_type !== undefined) out.content_type = f.content_type;
  if (f.priority !== undefined) out.priority = f.priority;
  if (f.ttl !== undefined) out.ttl = BigInt(f.ttl);
  if (f.compression !== undefined) out.compression = f.compression;
  if (f.e2e_nonce !== undefined) out.e2e_nonce = f.e2e_nonce;
  if (f.bodyJson !== undefined) out.body = parseJson(f.bodyJson);
  return out;
}

const never = (): number => {
  throw new Error('the clock must not be read when a timestamp is given');
};

describe('envelope fixtures', () => {
  it('has enough parse cases', () => {
    expect(fixture.cases.filter((c) => c.kind === 'parse').length).toBeGreaterThanOrEqual(30);
  });

  for (const c of fixture.cases) {
    it(c.id, () => {
      if (c.kind === 'vector') {
        const identity = identityFromSeed(Buffer.from(c.signerSeedHex as string, 'hex'));
        expect(identity.publicKeyText).toBe(c.publicKey);
        const env = createEnvelope(fieldsOf(c.fields as Fields), identity, never);
        const canonical = envelopeSigningBytes(env);
        expect(canonical.toString('utf8')).toBe(c.canonical);
        expect(canonical.length).toBe(c.canonicalBytes);
        expect(createHash('sha256').update(canonical).digest('hex')).toBe(c.canonicalSha256);
        expect(env.signature).toBe(c.signature);
        const wire = serializeEnvelope(env);
        expect(wire.toString('utf8')).toBe(c.wire);
        if (c.wireBytes !== undefined) expect(wire.length).toBe(c.wireBytes);
        if (c.framePrefixHex !== undefined) expect(encodeFrame(wire).subarray(0, 4).toString('hex')).toBe(c.framePrefixHex);
        // And back: the wire bytes parse, verify and re-serialize identically.
        const parsed = parseEnvelope(wire);
        expect(verifyEnvelope(parsed, identity.publicKeyObject)).toBe(true);
        expect(envelopeSigningBytes(parsed).toString('utf8')).toBe(c.canonical);
        expect(serializeEnvelope(parsed).toString('utf8')).toBe(c.wire);
        if (c.referenceWire !== undefined) {
          // The reference's own re-printed form parses to the same signed bytes.
          const fromReference = parseEnvelope(Buffer.from(c.referenceWire as string, 'utf8'));
          expect(envelopeSigningBytes(fromReference).toString('utf8')).toBe(c.canonical);
          expect(verifyEnvelope(fromReference, identity.publicKeyObject)).toBe(true);
        }
        return;
      }
      if (c.kind === 'verify') {
        const env = parseEnvelope(wireOf(c));
        expect(verifyEnvelope(env, keyObject(c.publicKey as string))).toBe(c.valid);
        return;
      }
      if (c.result === 'accept') {
        const env = parseEnvelope(wireOf(c));
        expect(envelopeSigningBytes(env).toString('utf8')).toBe(c.canonical);
        expect(verifyEnvelope(env, keyObject(c.publicKey as string))).toBe(true);
        // What we re-send verifies too, and parses back to the same canonical bytes.
        const again = parseEnvelope(serializeEnvelope(env));
        expect(envelopeSigningBytes(again).toString('utf8')).toBe(c.canonical);
        expect(verifyEnvelope(again, keyObject(c.publicKey as string))).toBe(true);
        return;
      }
      let error: unknown;
      try {
        parseEnvelope(wireOf(c));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe(c.error);
      if (c.field !== undefined) expect((error as ProtocolError).message).toContain(c.field);
    });
  }
});

describe('normalizeUuid', () => {
  it('accepts the uuid crate forms and lowercases', () => {
    const want = '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f';
    for (const text of [
      want,
      want.toUpperCase(),
      want.replaceAll('-', ''),
      `urn:uuid:${want}`,
      `{${want}}`,
      `urn:uuid:${want.toUpperCase()}`,
    ]) {
      expect(normalizeUuid(text)).toBe(want);
    }
  });

  it('refuses everything else', () => {
    for (const text of ['', 'x', `{${'6f1c2a4e8b3d4c5e9f701a2b3c4d5e6f'}}`, `URN:UUID:6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f`, '6f1c2a4e-8b3d-4c5e-9f70-1a2b3c4d5e6f0']) {
      expect(normalizeUuid(text)).toBeUndefined();
    }
  });
});

describe('signEnvelope / createEnvelope', () => {
  const A = identityFromSeed(new Uint8Array(32).fill(1));
  const B = identityFromSeed(new Uint8Array(32).fill(2));

  it('fills version, a lowercase v4 id, the timestamp and canonical addresses', () => {
    const env = createEnvelope(
      { type: 'message.send', from: 'toq://a.example:7000/alice', to: 'toq://127.0.0.1:9009/bob', sequence: 2n, body: { text: 'x' } },
      A,
      () => Date.UTC(2026, 2, 8, 1, 2, 3, 5),
    );
    expect(env.version).toBe('0.1');
    expect(env.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(env.timestamp).toBe('2026-03-08T01:02:03.005Z');
    expect(env.from).toBe('toq://a.example/alice');
    expect(env.to).toEqual(['toq://127.0.0.1/bob']);
    expect(verifyEnvelope(parseEnvelope(serializeEnvelope(env)), A.publicKeyObject)).toBe(true);
    expect(verifyEnvelope(env, B.publicKeyObject)).toBe(false);
  });

  it('uses the injected uuid source and normalizes its output', () => {
    const env = createEnvelope({ type: 'system.heartbeat', from: 'toq://h/a', to: ['toq://h/b'], sequence: 5n }, A, () => 0, () => 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE');
    expect(env.id).toBe('aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    expect(env.timestamp).toBe('1970-01-01T00:00:00Z');
    expect(env.body).toBeUndefined();
  });

  it('treats a null body as absent (a receiver could not tell them apart)', () => {
    const env = signEnvelope(
      { version: '0.1', id: '11111111-2222-4333-8444-555555555555', type: 'system.heartbeat', from: 'toq://h/a', to: ['toq://h/b'], sequence: 2n, timestamp: 't', body: null },
      A,
    );
    expect(serializeEnvelope(env).toString()).not.toContain('body');
    expect(verifyEnvelope(parseEnvelope(serializeEnvelope(env)), A.publicKeyObject)).toBe(true);
  });

  it('notices a replaced body after signing (the cache is keyed on the body object)', () => {
    const env = createEnvelope({ type: 'message.send', from: 'toq://h/a', to: ['toq://h/b'], sequence: 2n, body: { n: 1 } }, A, () => 0);
    expect(verifyEnvelope(env, A.publicKeyObject)).toBe(true);
    const forged: Envelope = { ...env, body: { n: 2 } };
    expect(verifyEnvelope(forged, A.publicKeyObject)).toBe(false);
    env.body = { n: 3 };
    expect(verifyEnvelope(env, A.publicKeyObject)).toBe(false);
  });

  it('refuses what our own code could not send', () => {
    const base = { version: '0.1', id: '11111111-2222-4333-8444-555555555555', type: 'message.send' as MessageType, from: 'toq://h/a', to: ['toq://h/b'], sequence: 2n, timestamp: 't' };
    expect(() => signEnvelope({ ...base, sequence: -1n }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, sequence: 1n << 64n }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, ttl: -5n }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, id: 'nope' }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, type: 'stream.chunk' as MessageType }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, from: 'bad' }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, priority: 'high' as 'urgent' }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, body: { t: '\ud800' } }, A)).toThrow(RangeError);
    expect(() => signEnvelope({ ...base, sequence: 2 as unknown as bigint }, A)).toThrow(TypeError);
  });

  it('serializes ttl and sequence as plain u64 decimals (§20 item 5)', () => {
    const env = createEnvelope({ type: 'message.send', from: 'toq://h/a', to: ['toq://h/b'], sequence: (1n << 64n) - 1n, ttl: 10n ** 18n }, A, () => 0);
    const text = serializeEnvelope(env).toString();
    expect(text).toContain('"sequence":18446744073709551615,');
    expect(text).toContain('"ttl":1000000000000000000,');
    expect(parseEnvelope(text).ttl).toBe(10n ** 18n);
  });
});

describe('addresses we sign', () => {
  it('signs the form a receiver re-renders to itself, so odd addresses still verify', () => {
    const identity = identityFromSeed(Buffer.alloc(32, 3));
    // Rendered once this is toq://h:5/x, which a receiver renders again as toq://h/x (a DNS
    // host never shows its port): sign what survives the receiver's one rendering.
    const env = createEnvelope({ type: 'message.send', from: 'toq://h:5:9009/x', to: 'toq://127.0.0.1:9010/bob', sequence: 2n }, identity, () => 0);
    expect(env.from).toBe('toq://h/x');
    const received = parseEnvelope(serializeEnvelope(env));
    expect(received.from).toBe('toq://h/x');
    expect(verifyEnvelope(received, identity.publicKeyObject)).toBe(true);
  });
});

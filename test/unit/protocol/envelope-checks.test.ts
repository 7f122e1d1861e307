import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Envelope } from '../../../src/protocol/envelope.js';
import {
  checkEnvelope,
  DedupWindow,
  isBlockedContentType,
  OutgoingSequence,
  SequenceTracker,
} from '../../../src/protocol/envelope-checks.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import type { MessageType } from '../../../src/protocol/message-types.js';

interface Case {
  id: string;
  envelope: {
    version: string;
    id: string;
    type: string;
    from: string;
    to: string[];
    sequence: string;
    timestamp: string;
    signature: string;
    ttl?: string;
    content_type?: string;
  };
  context: { peerAddress: string; localAgents: Record<string, string>; lastSequence: string | null; seenIds: string[]; nowMs: number };
  expect: { action: string; code?: string; recipient?: string; warnings?: unknown[]; lastSequenceAfter: string };
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/toq/envelope-checks.json', import.meta.url), 'utf8')) as { cases: Case[] };

function envelopeOf(e: Case['envelope']): Envelope {
  const env: Envelope = { ...e, type: e.type as MessageType, sequence: BigInt(e.sequence), ttl: undefined };
  if (e.ttl !== undefined) env.ttl = BigInt(e.ttl);
  else delete env.ttl;
  return env;
}

describe('envelope check fixtures', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      const sequence = new SequenceTracker(c.context.lastSequence === null ? undefined : BigInt(c.context.lastSequence));
      const seen = new Set(c.context.seenIds);
      const env = envelopeOf(c.envelope);
      const result = checkEnvelope(env, {
        peerAddress: c.context.peerAddress,
        localAgents: new Map(Object.entries(c.context.localAgents)),
        sequence,
        dedup: { seen: (id) => seen.has(id) },
        now: () => c.context.nowMs,
      });
      expect(result.action).toBe(c.expect.action);
      if (result.action === 'deliver' || result.action === 'ack-duplicate') {
        expect(result.recipient).toBe(c.expect.recipient);
        expect(result.warnings).toEqual(c.expect.warnings);
      } else {
        expect(result.error).toBeInstanceOf(ProtocolError);
        expect(result.error.code).toBe(c.expect.code);
        if (result.action === 'system-error') {
          expect(result.reply).toEqual({ code: c.expect.code, message: result.error.message, related_id: env.id });
        }
      }
      expect(sequence.last?.toString()).toBe(c.expect.lastSequenceAfter);
    });
  }
});

describe('SequenceTracker / OutgoingSequence', () => {
  it('accepts strictly increasing numbers only', () => {
    const t = new SequenceTracker();
    t.observe(0n);
    t.observe(1n);
    t.observe(5n);
    expect(() => t.observe(5n)).toThrow(ProtocolError);
    expect(() => t.observe(4n)).toThrow(expect.objectContaining({ code: 'sequence_violation' }));
    expect(t.last).toBe(5n);
  });

  it('numbers our envelopes from 2 and never repeats', () => {
    const s = new OutgoingSequence();
    expect(s.peek()).toBe(2n);
    expect([s.next(), s.next(), s.next()]).toEqual([2n, 3n, 4n]);
    const end = new OutgoingSequence((1n << 64n) - 1n);
    expect(end.next()).toBe((1n << 64n) - 1n);
    expect(() => end.next()).toThrow(RangeError);
    expect(() => new OutgoingSequence(-1n)).toThrow(RangeError);
  });
});

describe('DedupWindow', () => {
  it('remembers ids for the window, then forgets them', () => {
    let now = 1_000;
    const d = new DedupWindow({ windowMs: 100, now: () => now });
    expect(d.seen('a')).toBe(false);
    d.remember('a');
    now += 50;
    d.remember('b');
    expect(d.seen('a')).toBe(true);
    now += 50; // a is exactly windowMs old: gone
    expect(d.seen('a')).toBe(false);
    expect(d.seen('b')).toBe(true);
    now += 51;
    expect(d.seen('b')).toBe(false);
    expect(d.size).toBe(0);
  });

  it('is bounded: the oldest ids go first', () => {
    const d = new DedupWindow({ maxEntries: 3, now: () => 0 });
    for (const id of ['a', 'b', 'c', 'd']) d.remember(id);
    expect(d.size).toBe(3);
    expect(d.seen('a')).toBe(false);
    expect(d.seen('d')).toBe(true);
    d.remember('b'); // refreshed: now the newest
    d.remember('e');
    expect(d.seen('c')).toBe(false);
    expect(d.seen('b')).toBe(true);
  });

  it('refuses bad options', () => {
    expect(() => new DedupWindow({ windowMs: 0, now: () => 0 })).toThrow(RangeError);
    expect(() => new DedupWindow({ maxEntries: 0, now: () => 0 })).toThrow(RangeError);
  });
});

describe('isBlockedContentType', () => {
  it('lower-cases ASCII only, like to_ascii_lowercase', () => {
    expect(isBlockedContentType('APPLICATION/X-EXECUTABLE')).toBe(true);
    expect(isBlockedContentType('text/plain')).toBe(false);
    // U+0130 lower-cases to "i̇" in JS; the reference leaves non-ASCII alone. Either way no match.
    expect(isBlockedContentType('applİcation/x-executable')).toBe(false);
  });
});

// Tokens and match operators of the session-script format, and the envelope view matches see.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeMatch, envelopeView, matchAll, matchValue, resolveValue, valueAt, type PlainJson, type ScriptScope } from '../../../src/conformance/script-values.js';
import { parseEnvelope } from '../../../src/protocol/envelope.js';

const SENT = new Map<number, PlainJson>([[0, { id: 'aaaaaaaa-0000-4000-8000-000000000000', thread_id: 't-1', body: { stream_id: 's-9', list: [1, 2] } }]]);
const scope: ScriptScope = {
  self: 'toq://127.0.0.1:9/toq-conformance',
  peer: 'toq://127.0.0.1:4000/bob',
  peerKey: 'ed25519:key',
  targetName: 'bob',
  sent: SENT,
  newId: () => 'new-id',
};

describe('resolveValue', () => {
  it('replaces whole-string tokens, recursively', () => {
    expect(resolveValue({ a: '$new', b: ['$self', '$peer'], c: { d: '$sent:0.body.stream_id' }, e: '$target_name', k: '$peer_key' }, scope)).toEqual({
      a: 'new-id',
      b: ['toq://127.0.0.1:9/toq-conformance', 'toq://127.0.0.1:4000/bob'],
      c: { d: 's-9' },
      e: 'bob',
      k: 'ed25519:key',
    });
    expect(resolveValue('$sent:0.body.list.1', scope)).toBe(2);
    expect(resolveValue('plain $new inside', scope)).toBe('plain $new inside');
    expect(resolveValue(3, scope)).toBe(3);
  });

  it('refuses what it cannot resolve with a RangeError', () => {
    expect(() => resolveValue('$sent:5.id', scope)).toThrow(RangeError);
    expect(() => resolveValue('$sent:0.nothing', scope)).toThrow(/has no nothing/);
    expect(() => resolveValue('$bogus', scope)).toThrow(/unknown token/);
    expect(() => resolveValue('$peer', { ...scope, peer: undefined } as unknown as ScriptScope)).toThrow(/before the peer answered/);
  });
});

describe('valueAt', () => {
  it('walks objects and arrays; missing parts are undefined', () => {
    const v: PlainJson = { a: { b: [10, { c: 'x' }] } };
    expect(valueAt(v, 'a.b.1.c')).toBe('x');
    expect(valueAt(v, 'a.b.0')).toBe(10);
    expect(valueAt(v, 'a.b.7')).toBeUndefined();
    expect(valueAt(v, 'a.x.y')).toBeUndefined();
    expect(valueAt(v, 'a.b.c')).toBeUndefined();
    expect(valueAt({ o: {} }, 'o.toString')).toBeUndefined();
  });
});

describe('matchValue', () => {
  it('literals compare deeply, after token resolution, member order ignored', () => {
    expect(matchValue({ x: 1, y: ['$peer'] }, { y: ['toq://127.0.0.1:4000/bob'], x: 1 }, scope)).toBeUndefined();
    expect(matchValue(['0.1'], ['0.1', '0.2'], scope)).toBe('["0.1"]');
    expect(matchValue(2, 3, scope)).toBe('2');
    expect(matchValue(null, undefined, scope)).toBe('null');
  });

  it('operators', () => {
    expect(matchValue({ $exists: false }, undefined, scope)).toBeUndefined();
    expect(matchValue({ $exists: false }, 'x', scope)).toBe('absent');
    expect(matchValue({ $exists: true }, null, scope)).toBeUndefined();
    expect(matchValue({ $type: 'string' }, 'x', scope)).toBeUndefined();
    expect(matchValue({ $type: 'array' }, {}, scope)).toBe('a array');
    expect(matchValue({ $startsWith: 'sess-' }, 'sess-1', scope)).toBeUndefined();
    expect(matchValue({ $startsWith: 'sess-' }, 5, scope)).toMatch(/starting with/);
    expect(matchValue({ $contains: 'not found' }, "agent 'x' not found", scope)).toBeUndefined();
    expect(matchValue({ $template: "this is '{target_name}' at {peer}" }, "this is 'bob' at toq://127.0.0.1:4000/bob", scope)).toBeUndefined();
    expect(matchValue({ $template: "this is '{target_name}'" }, "this is 'alice'", scope)).toBe(`"this is 'bob'"`);
    expect(() => matchValue({ $regex: 'x' }, 'x', scope)).toThrow(/unknown match operator/);
  });

  it('matchAll lists every failing path; describeMatch says what is wanted', () => {
    const view: PlainJson = { type: 'message.ack', body: { ack_id: 'other' }, sequence: 2 };
    const match = { 'body.ack_id': '$sent:0.id', sequence: 2, thread_id: { $exists: false } };
    expect(matchAll(view, match, scope)).toEqual([{ path: 'body.ack_id', expected: '"aaaaaaaa-0000-4000-8000-000000000000"', got: '"other"' }]);
    expect(describeMatch(match, scope)).toBe('body.ack_id = "aaaaaaaa-0000-4000-8000-000000000000", sequence = 2, thread_id absent');
  });
});

describe('envelopeView', () => {
  it('shows the re-rendered envelope: canonical addresses, lowercase id, numbers, absent optionals absent', () => {
    const cases = (JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'fixtures', 'toq', 'envelopes.json'), 'utf8')) as { cases: { id: string; wire?: string }[] }).cases;
    const wire = cases.find((c) => c.id === 'accept-uppercase-id')!.wire!;
    const view = envelopeView(parseEnvelope(wire));
    expect(view.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(view.sequence).toBe(2);
    expect(view.from).toBe('toq://alice.example/alice');
    expect('reply_to' in view).toBe(false);
    const e1 = envelopeView(parseEnvelope(cases.find((c) => c.id === 'vector-e1')!.wire!));
    expect(valueAt(e1, 'body.list')).toEqual([3, 2, 1]);
    expect(valueAt(e1, 'body.none')).toBeNull();
    expect(e1.to).toEqual(['toq://127.0.0.1:9011/bob']);
  });
});

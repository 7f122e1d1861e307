import { describe, expect, it } from 'vitest';

import { matchesHandler, matchingHandlers } from '../../../src/handlers/dispatch.js';
import type { HandlerMessage } from '../../../src/handlers/handler-message.js';
import { parseHandlerSpec } from '../../../src/handlers/handler-spec.js';

const KEY_A = 'ed25519:' + Buffer.alloc(32, 1).toString('base64');
const KEY_B = 'ed25519:' + Buffer.alloc(32, 2).toString('base64');

function msg(over: Partial<HandlerMessage>): HandlerMessage {
  return { id: 'm1', type: 'message.send', from: 'toq://alice.example/bot', timestamp: '2025-01-01T00:00:00Z', fromKey: KEY_A, ...over };
}

// Expectations follow the reference's matches_handler (toq-core handler.rs) and the policy wildcard
// rules (spec §5.1): OR within a kind, AND across kinds, empty matches all, disabled never.
const CASES: { id: string; handler: Record<string, unknown>; message: Partial<HandlerMessage>; matches: boolean }[] = [
  { id: 'no-filters-match-all', handler: {}, message: {}, matches: true },
  { id: 'disabled-never', handler: { enabled: false }, message: {}, matches: false },
  { id: 'from-exact', handler: { filter_from: ['toq://alice.example/bot'] }, message: {}, matches: true },
  { id: 'from-exact-without-scheme', handler: { filter_from: ['alice.example/bot'] }, message: {}, matches: true },
  { id: 'from-other', handler: { filter_from: ['toq://bob.example/bot'] }, message: {}, matches: false },
  { id: 'from-host-wildcard', handler: { filter_from: ['toq://alice.example/*'] }, message: {}, matches: true },
  { id: 'from-name-wildcard', handler: { filter_from: ['toq://*/bot'] }, message: {}, matches: true },
  { id: 'from-star', handler: { filter_from: ['*'] }, message: { from: 'a2a-client' }, matches: true },
  { id: 'from-host-wildcard-vs-a2a', handler: { filter_from: ['toq://*/*'] }, message: { from: 'a2a-client' }, matches: false },
  { id: 'from-or-within-kind', handler: { filter_from: ['toq://bob.example/x', 'toq://alice.example/*'] }, message: {}, matches: true },
  { id: 'from-no-partial-glob', handler: { filter_from: ['toq://alice.*/bot'] }, message: {}, matches: false },
  { id: 'key-match', handler: { filter_key: [KEY_A] }, message: {}, matches: true },
  { id: 'key-other', handler: { filter_key: [KEY_B] }, message: {}, matches: false },
  { id: 'key-or', handler: { filter_key: [KEY_B, KEY_A] }, message: {}, matches: true },
  { id: 'key-filter-excludes-a2a', handler: { filter_key: [KEY_A] }, message: { from: 'a2a-client', fromKey: undefined }, matches: false },
  { id: 'type-exact', handler: { filter_type: ['message.send'] }, message: {}, matches: true },
  { id: 'type-other', handler: { filter_type: ['message.stream.end'] }, message: {}, matches: false },
  { id: 'and-across-kinds-all-ok', handler: { filter_from: ['toq://alice.example/*'], filter_key: [KEY_A], filter_type: ['message.send'] }, message: {}, matches: true },
  { id: 'and-across-kinds-one-fails', handler: { filter_from: ['toq://alice.example/*'], filter_key: [KEY_B], filter_type: ['message.send'] }, message: {}, matches: false },
];

describe('matchesHandler', () => {
  for (const c of CASES) {
    it(c.id, () => {
      const spec = parseHandlerSpec({ name: 'h', command: 'true', ...c.handler });
      expect(matchesHandler(spec, msg(c.message))).toBe(c.matches);
    });
  }
});

describe('matchingHandlers', () => {
  const specs = [
    parseHandlerSpec({ name: 'first', command: 'true' }),
    parseHandlerSpec({ name: 'off', command: 'true', enabled: false }),
    parseHandlerSpec({ name: 'closer', command: 'true', filter_type: ['thread.close'] }),
    parseHandlerSpec({ name: 'last', provider: 'openai', model: 'm' }),
  ];
  it('keeps file order and skips non-matching', () => {
    expect(matchingHandlers(specs, msg({})).map((s) => s.name)).toEqual(['first', 'last']);
  });
  it('never dispatches thread.close, even to a handler filtered on it', () => {
    expect(matchingHandlers(specs, msg({ type: 'thread.close' }))).toEqual([]);
  });
});

// fixtures/a2a/checks.json is well formed (the validator accepts it, ids are stable kebab-case,
// every required check names a spec section, the §13 deviations each have a check), the
// validator refuses broken fixtures, and card discovery tries the base URL before the origin.

import { describe, expect, it } from 'vitest';
import { loadA2aChecks, parseA2aChecks } from '../../../src/conformance/a2a/a2a-checks.js';
import { selectA2aChecks } from '../../../src/conformance/a2a/a2a-conformance.js';
import { cardCandidates, pickInterface } from '../../../src/conformance/a2a/card-discovery.js';

const fixture = loadA2aChecks();

describe('fixtures/a2a/checks.json', () => {
  it('loads, with unique ids, and covers both bindings, streaming, errors, versions and auth', () => {
    const ids = fixture.checks.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const prefix of ['card-', 'rpc-', 'rest-', 'auth-', 'v03-']) expect(ids.some((id) => id.startsWith(prefix)), prefix).toBe(true);
    for (const id of ['rpc-stream', 'rest-stream', 'rpc-subscribe', 'rpc-parse-error', 'rpc-invalid-request-jsonrpc-field', 'rpc-method-not-found', 'rpc-invalid-params', 'rpc-version-not-supported', 'rpc-cancel-terminal', 'rpc-get-task-not-found', 'rpc-list-tasks-pagination', 'rest-get-task-not-found']) {
      expect(ids, id).toContain(id);
    }
  });

  it('v0.3 checks are advisory; checks that mention the SDK say which §13 item', () => {
    for (const check of fixture.checks) {
      if (check.id.startsWith('v03-')) expect(check.required, check.id).toBe(false);
      if (check.comment.includes('@a2a-js/sdk')) expect(check.comment, check.id).toMatch(/§13|in-memory/);
      expect(check.spec, check.id).toMatch(/§\d/);
    }
  });

  it('every step is JSON-RPC, REST or the card, and every expect says what it wants', () => {
    for (const check of fixture.checks) {
      for (const step of check.steps) {
        const e = step.expect;
        expect(e.status !== undefined || e.any_of !== undefined, `${check.id}: a status or alternatives`).toBe(true);
      }
    }
  });

  it('the validator refuses a broken fixture with a TypeError naming the check', () => {
    const copy = (): { checks: Array<Record<string, unknown>> } & Record<string, unknown> => JSON.parse(JSON.stringify(fixture)) as never;
    const dup = copy();
    dup.checks.push(dup.checks[0]!);
    expect(() => parseA2aChecks(dup)).toThrow(/duplicate id card-v1-shape/);
    const twoKinds = copy();
    (twoKinds.checks[0]!['steps'] as Array<{ request: Record<string, unknown> }>)[0]!.request['rpc'] = { method: 'X' };
    expect(() => parseA2aChecks(twoKinds)).toThrow(/card-v1-shape step 0: request needs exactly one/);
    const badRule = copy();
    const stream = badRule.checks.find((c) => c['id'] === 'rpc-stream')!;
    (stream['steps'] as Array<{ expect: { sse: { rules: string[] } } }>)[0]!.expect.sse.rules.push('nope');
    expect(() => parseA2aChecks(badRule)).toThrow(TypeError);
    const badId = copy();
    badId.checks[0]!['id'] = 'Not Kebab';
    expect(() => parseA2aChecks(badId)).toThrow(/bad id/);
  });

  it('selectA2aChecks keeps fixture order and names unknown ids', () => {
    expect(selectA2aChecks(fixture.checks, ['rpc-stream', 'card-v1-shape']).map((c) => c.id)).toEqual(['card-v1-shape', 'rpc-stream']);
    expect(() => selectA2aChecks(fixture.checks, ['nope'])).toThrow(/unknown check id\(s\): nope/);
  });
});

describe('card discovery candidates', () => {
  it('base URL first, then the origin; no duplicate for an origin; a card URL as is', () => {
    expect(cardCandidates('https://h.example/agents/a')).toEqual(['https://h.example/agents/a/.well-known/agent-card.json', 'https://h.example/.well-known/agent-card.json']);
    expect(cardCandidates('https://h.example/agents/a/?x=1#f')).toEqual(['https://h.example/agents/a/.well-known/agent-card.json', 'https://h.example/.well-known/agent-card.json']);
    expect(cardCandidates('http://127.0.0.1:8080')).toEqual(['http://127.0.0.1:8080/.well-known/agent-card.json']);
    expect(cardCandidates('https://h.example/x/.well-known/agent-card.json')).toEqual(['https://h.example/x/.well-known/agent-card.json']);
  });

  it('pickInterface takes the first entry with the binding and version, in card order', () => {
    const card = {
      supportedInterfaces: [
        { url: 'u0', protocolBinding: 'JSONRPC', protocolVersion: '0.3' },
        { url: 'u1', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
        { url: 'u2', protocolBinding: 'JSONRPC', protocolVersion: '1.0' },
        { url: 7, protocolBinding: 'HTTP+JSON', protocolVersion: '1.0' },
      ],
    };
    expect(pickInterface(card, 'JSONRPC', '1.0')?.url).toBe('u1');
    expect(pickInterface(card, 'HTTP+JSON', '1.0')).toBeUndefined();
  });
});

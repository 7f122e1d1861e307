// History per agent (DESIGN §3): hosted agents' records share the inbox table with the local
// agent's, and the agent and thread filters keep them apart, on both stores alike. The limit
// counts only the selected agent's records, so a busy hosted agent cannot push the local
// agent's messages out of its answer.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayStore } from '../../../src/store/gateway-store.js';
import type { HistoryQuery } from '../../../src/store/inbox-record.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';
import { inbound } from './store-conformance.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

const implementations: Array<[string, () => GatewayStore]> = [
  [
    'memory',
    () => {
      const store = new MemoryStore();
      cleanups.push(() => store.close());
      return store;
    },
  ],
  [
    'sqlite',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'toq-history-'));
      const store = openSqliteStore({ path: join(dir, 'gateway.db') });
      cleanups.push(() => {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      });
      return store;
    },
  ],
];

describe.each(implementations)('history by agent and thread (%s store)', (_name, open) => {
  const fill = (store: GatewayStore): void => {
    store.recordInbound(inbound('a1', { agent: 'alice', thread_id: 't1', receivedAtMs: 100 }));
    store.recordInbound(inbound('h1', { agent: 'helper', thread_id: 't1', receivedAtMs: 200 }));
    store.recordInbound(inbound('h2', { agent: 'helper', thread_id: 't2', receivedAtMs: 300, from: 'toq://carol.example/carol' }));
    store.recordInbound(inbound('h3', { agent: 'helper', thread_id: null, receivedAtMs: 400 }));
    store.recordInbound(inbound('a2', { agent: 'alice', thread_id: 't2', receivedAtMs: 500 }));
  };
  const ids = (store: GatewayStore, query: HistoryQuery): string[] => store.history(query).map((m) => m.id);

  it("keeps each agent's records apart, oldest first", () => {
    const store = open();
    fill(store);
    expect(ids(store, { agent: 'alice', limit: 10 })).toEqual(['a1', 'a2']);
    expect(ids(store, { agent: 'helper', limit: 10 })).toEqual(['h1', 'h2', 'h3']);
    expect(ids(store, { agent: 'nobody', limit: 10 })).toEqual([]);
    expect(store.history({ agent: 'helper', limit: 10 }).every((m) => m.agent === 'helper')).toBe(true);
  });

  it("applies the limit to the selected agent's records only", () => {
    const store = open();
    fill(store);
    expect(ids(store, { agent: 'alice', limit: 1 })).toEqual(['a2']);
    expect(ids(store, { agent: 'helper', limit: 2 })).toEqual(['h2', 'h3']);
    // Without an agent, everyone's newest: the one the facade never asks for.
    expect(ids(store, { limit: 2 })).toEqual(['h3', 'a2']);
  });

  it('filters by thread, within the agent, and combines with from and since', () => {
    const store = open();
    fill(store);
    expect(ids(store, { agent: 'alice', threadId: 't1', limit: 10 })).toEqual(['a1']);
    expect(ids(store, { agent: 'helper', threadId: 't1', limit: 10 })).toEqual(['h1']);
    expect(ids(store, { agent: 'helper', threadId: 't3', limit: 10 })).toEqual([]);
    expect(ids(store, { threadId: 't2', limit: 10 })).toEqual(['h2', 'a2']);
    expect(ids(store, { agent: 'helper', threadId: 't2', from: 'carol', limit: 10 })).toEqual(['h2']);
    expect(ids(store, { agent: 'helper', threadId: 't2', from: 'bob', limit: 10 })).toEqual([]);
    expect(ids(store, { agent: 'helper', sinceMs: 300, limit: 10 })).toEqual(['h2', 'h3']);
  });

  it("dedups by sender key and id across agents (one seen-id table), so a hosted agent's id is recorded once", () => {
    const store = open();
    expect(store.recordInbound(inbound('x', { agent: 'helper' }))).toBe(true);
    expect(store.recordInbound(inbound('x', { agent: 'helper' }))).toBe(false);
    expect(ids(store, { agent: 'helper', limit: 10 })).toEqual(['x']);
    expect(store.getCounter('messages_in')).toBe(1);
  });
});

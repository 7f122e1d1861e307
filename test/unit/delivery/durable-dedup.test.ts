// DurableDedup over both stores: the session's scoped keys map onto the store's seen ids, which
// recordInbound() shares, and they survive a reopen of the SQLite file.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DurableDedup } from '../../../src/delivery/durable-dedup.js';
import type { GatewayStore } from '../../../src/store/gateway-store.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { openSqliteStore } from '../../../src/store/sqlite-store.js';

const KEY = 'ed25519:' + 'Q'.repeat(43) + '=';
const OTHER = 'ed25519:' + 'R'.repeat(43) + '=';
const dirs: string[] = [];
const stores: GatewayStore[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function sqlitePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toq-dedup-'));
  dirs.push(dir);
  return join(dir, 'gateway.db');
}

const implementations: Array<[string, () => GatewayStore]> = [
  ['memory', () => new MemoryStore()],
  ['sqlite', () => openSqliteStore({ path: sqlitePath() })],
];

for (const [name, make] of implementations) {
  describe(`DurableDedup over the ${name} store`, () => {
    it('remembers a scoped id as (peer key, id), once, with the time it was first seen', () => {
      const store = make();
      stores.push(store);
      let now = 1_000;
      const dedup = new DurableDedup({ store, now: () => now });
      expect(dedup.seen(`${KEY} m1`)).toBe(false);
      dedup.remember(`${KEY} m1`);
      now = 9_000;
      dedup.remember(`${KEY} m1`);
      expect(dedup.seen(`${KEY} m1`)).toBe(true);
      expect(store.hasSeen(KEY, 'm1')).toBe(true);
      expect(dedup.seen(`${OTHER} m1`)).toBe(false);
      // Kept from its first sighting: pruned by the age of that one, not of the repeat.
      expect(store.prune({ nowMs: 1_000 + 100, seenOlderThanMs: 50, outboxTtlMs: 50 }).seen).toBe(1);
    });

    it('sees ids that recordInbound() committed with the history entry', () => {
      const store = make();
      stores.push(store);
      const dedup = new DurableDedup({ store, now: () => 5 });
      store.recordInbound({ id: 'm2', agent: 'a', type: 'message.send', from: 'toq://b/b', peerKey: KEY, thread_id: null, reply_to: null, content_type: null, body: null, receivedAtMs: 1 });
      expect(dedup.seen(`${KEY} m2`)).toBe(true);
      expect(dedup.seen(`${OTHER} m2`)).toBe(false);
    });
  });
}

describe('DurableDedup on SQLite', () => {
  it('still knows an id after the file is closed and reopened', () => {
    const path = sqlitePath();
    const first = openSqliteStore({ path });
    new DurableDedup({ store: first, now: () => 1 }).remember(`${KEY} m1`);
    first.close();
    const second = openSqliteStore({ path });
    stores.push(second);
    expect(new DurableDedup({ store: second, now: () => 2 }).seen(`${KEY} m1`)).toBe(true);
  });
});

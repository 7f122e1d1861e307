// PushConfigAbsenceCache over the SDK's SQL push-config store on a real SQLite file: absence is
// answered from memory after the first lookup, every save and delete is seen at once, a lookup
// that a write overtook does not remember its (stale) empty answer, and given the tasks that had
// configs at open, tasks never given one are answered without any read.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TaskPushNotificationConfig } from '@a2a-js/sdk';
import { ServerCallContext, type PushNotificationStore } from '@a2a-js/sdk/server';
import { afterEach, describe, expect, it } from 'vitest';
import { PushConfigAbsenceCache } from '../../../src/a2a/push-config-cache.js';
import { openA2aTaskDatabase, type A2aTaskDatabase } from '../../../src/a2a/sql-task-store.js';

const dirs: string[] = [];
const databases: A2aTaskDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** The push store of a fresh task database, with its reads counted (and a gate to hold one). */
async function counted(): Promise<{ store: PushNotificationStore; reads: () => number; hold: (gate: Promise<void>) => void }> {
  const dir = mkdtempSync(join(tmpdir(), 'toq-push-cache-'));
  dirs.push(dir);
  const database = await openA2aTaskDatabase(join(dir, 'gateway.db'));
  databases.push(database);
  let reads = 0;
  let gate: Promise<void> = Promise.resolve();
  const inner = database.pushStore;
  const store: PushNotificationStore = {
    save: (taskId, context, config) => inner.save(taskId, context, config),
    delete: (taskId, context, configId) => inner.delete(taskId, context, configId),
    load: async (taskId, context) => {
      reads += 1;
      const found = await inner.load(taskId, context);
      await gate;
      return found;
    },
  };
  return { store, reads: () => reads, hold: (g) => void (gate = g) };
}

const alice = new ServerCallContext({ tenant: 'agent', user: { isAuthenticated: true, userName: 'alice' } });
const bob = new ServerCallContext({ tenant: 'agent', user: { isAuthenticated: true, userName: 'bob' } });
const config = (taskId: string, id: string) => TaskPushNotificationConfig.fromJSON({ taskId, id, url: `https://hooks.example/${id}` });

describe('PushConfigAbsenceCache', () => {
  it('answers "no configs" from memory after one lookup, per task and owner', async () => {
    const { store, reads } = await counted();
    const cache = new PushConfigAbsenceCache(store);
    expect(await cache.load('t1', alice)).toEqual([]);
    expect(await cache.load('t1', alice)).toEqual([]);
    expect(await cache.loadWithMetadata('t1', alice)).toEqual([]);
    expect(reads()).toBe(1);
    expect(await cache.load('t1', bob)).toEqual([]);
    expect(reads()).toBe(2);
  });

  it('sees a save and a delete at once', async () => {
    const { store } = await counted();
    const cache = new PushConfigAbsenceCache(store);
    expect(await cache.load('t2', alice)).toEqual([]);
    await cache.save('t2', alice, config('t2', 'c1'));
    expect((await cache.load('t2', alice)).map((c) => c.id)).toEqual(['c1']);
    // Configs are never cached: a second config shows too.
    await cache.save('t2', alice, config('t2', 'c2'));
    expect((await cache.loadWithMetadata('t2', alice)).map((c) => c.config.id).sort()).toEqual(['c1', 'c2']);
    await cache.delete('t2', alice, 'c1');
    expect((await cache.load('t2', alice)).map((c) => c.id)).toEqual(['c2']);
    await cache.delete('t2', alice, 'c2');
    expect(await cache.load('t2', alice)).toEqual([]);
    // Another owner's task of the same id was never affected.
    expect(await cache.load('t2', bob)).toEqual([]);
  });

  it('does not remember an empty answer that a save overtook', async () => {
    const { store, hold, reads } = await counted();
    const cache = new PushConfigAbsenceCache(store);
    let release: () => void = () => undefined;
    hold(new Promise<void>((resolve) => (release = resolve)));
    const lookup = cache.load('t3', alice); // reads "none", then waits at the gate
    await new Promise((resolve) => setTimeout(resolve, 20));
    hold(Promise.resolve());
    await cache.save('t3', alice, config('t3', 'c1'));
    release();
    expect(await lookup).toEqual([]);
    expect((await cache.load('t3', alice)).map((c) => c.id)).toEqual(['c1']);
    expect(reads()).toBe(2);
  });

  it('knowing the tasks that have configs, reads for those and for tasks given one since, never for others', async () => {
    const { store, reads } = await counted();
    await store.save('old', alice, config('old', 'c0'));
    const cache = new PushConfigAbsenceCache(store, undefined, [{ tenant: 'agent', owner: 'alice', taskId: 'old' }]);
    expect(await cache.load('new', alice)).toEqual([]);
    expect(await cache.loadWithMetadata('other', bob)).toEqual([]);
    expect(reads()).toBe(0);
    expect((await cache.load('old', alice)).map((c) => c.id)).toEqual(['c0']);
    expect(reads()).toBe(1);
    await cache.save('new', alice, config('new', 'c1'));
    expect((await cache.load('new', alice)).map((c) => c.id)).toEqual(['c1']);
    // Same task id, another owner: still none, still no read.
    expect(await cache.load('new', bob)).toEqual([]);
    expect(reads()).toBe(2);
  });

  it('opened on a file, knows the tasks whose configs were stored before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toq-push-reopen-'));
    dirs.push(dir);
    const path = join(dir, 'gateway.db');
    const first = await openA2aTaskDatabase(path);
    await first.pushStore.save('kept', alice, config('kept', 'c1'));
    await first.close();
    const second = await openA2aTaskDatabase(path);
    databases.push(second);
    expect((await second.pushStore.load('kept', alice)).map((c) => c.id)).toEqual(['c1']);
    expect(await second.pushStore.load('kept', bob)).toEqual([]);
    expect(await second.pushStore.load('never', alice)).toEqual([]);
  });
});

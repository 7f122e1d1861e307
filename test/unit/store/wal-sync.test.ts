// WalSync over real SQLite files: flushes are shared by the callers of one loop turn, a
// caller that arrives once a flush has begun waits for the next one, and a database without a WAL file
// has nothing to flush. (That fdatasync reaches the platter cannot be observed from here; the
// soundness argument is in wal-sync.ts.)

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite-store.js';
import { WalSync } from '../../../src/store/wal-sync.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function databasePath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toq-walsync-'));
  dirs.push(dir);
  return join(dir, 'gateway.db');
}

function openStore(path: string): SqliteStore {
  const s = openSqliteStore({ path });
  stores.push(s);
  return s;
}

describe('WalSync', () => {
  it('resolves without flushing while the database has no WAL file', async () => {
    const sync = new WalSync(databasePath());
    await sync.sync();
    expect(sync.flushCount).toBe(0);
    await sync.close();
  });

  it('flushes the WAL a store writes to', async () => {
    const path = databasePath();
    const s = openStore(path);
    const sync = new WalSync(path);
    s.transactionWithoutSync(() => s.incrementCounter('messages_in', 1));
    await sync.sync();
    expect(sync.flushCount).toBe(1);
    await sync.sync();
    expect(sync.flushCount).toBe(2);
    await sync.close();
  });

  it('shares one flush among the callers of one loop turn, and a caller after it began gets the next one', async () => {
    const path = databasePath();
    openStore(path).incrementCounter('messages_in', 1);
    const sync = new WalSync(path);
    const first = [sync.sync(), sync.sync(), sync.sync()];
    expect(first[1]).toBe(first[0]);
    expect(first[2]).toBe(first[0]);
    // The flush begins a turn later: from then on it may miss a new caller's write.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    const second = [sync.sync(), sync.sync()];
    expect(second[1]).toBe(second[0]);
    expect(second[0]).not.toBe(first[0]);
    await Promise.all([...first, ...second]);
    expect(sync.flushCount).toBe(2);
    await sync.close();
  });

  it('refuses to flush once closed', async () => {
    const path = databasePath();
    openStore(path).incrementCounter('messages_in', 1);
    const sync = new WalSync(path);
    await sync.sync();
    await sync.close();
    await expect(sync.sync()).rejects.toThrow(/closed/);
  });
});

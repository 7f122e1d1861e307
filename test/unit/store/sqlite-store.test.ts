// The SQLite store: the shared conformance suite on a real file, plus what only a file has:
// reopening, file modes, migrations, crash recovery, a second reader process, bad files.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate, schemaVersion, type Migration } from '../../../src/store/migrations.js';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite-store.js';
import { inbound, outboxEntry, runStoreConformance, thrownBy } from './store-conformance.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toq-store-'));
  dirs.push(dir);
  return dir;
}

function open(path: string, options: Partial<Parameters<typeof openSqliteStore>[0]> = {}): SqliteStore {
  const store = openSqliteStore({ path, ...options });
  stores.push(store);
  return store;
}

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

runStoreConformance('sqlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'toq-store-'));
  const store = openSqliteStore({ path: join(dir, 'gateway.db') });
  return {
    store,
    cleanup: () => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteStore file behaviour', () => {
  it('creates the file (and its parent) private, in WAL mode with synchronous FULL', () => {
    const path = join(tempDir(), 'nested', '.toq', 'gateway.db');
    const store = open(path);
    store.enqueueOutbox(outboxEntry('m1'));
    expect(store.settings()).toEqual({ journalMode: 'wal', synchronous: 'full', schemaVersion: MIGRATIONS.at(-1)!.version });
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
  });

  it('can run with synchronous NORMAL when asked (benchmarks)', () => {
    expect(open(join(tempDir(), 'g.db'), { synchronous: 'normal' }).settings().synchronous).toBe('normal');
  });

  it('keeps everything across close and reopen', () => {
    const path = join(tempDir(), 'gateway.db');
    const first = open(path);
    first.enqueueOutbox(outboxEntry('m1'));
    first.recordInbound(inbound('in-1'));
    first.upsertPeer('ed25519:k', 'toq://p/p', 7);
    first.savePolicy({ approved: [], blocked: [{ type: 'address', value: '*' }], pending: [], replyGrants: [] });
    first.incrementCounter('messages_out', 3);
    first.close();

    const second = open(path);
    expect(second.getOutbox('m1')).toMatchObject({ status: 'queued', body: outboxEntry('m1').body });
    expect(second.history({ limit: 5 }).map((m) => m.id)).toEqual(['in-1']);
    expect(second.recordInbound(inbound('in-1'))).toBe(false);
    expect(second.listPeers()).toHaveLength(1);
    expect(second.loadPolicy()!.blocked).toEqual([{ type: 'address', value: '*' }]);
    expect(second.getCounter('messages_out')).toBe(3);
    expect(second.getCounter('messages_in')).toBe(1);
  });

  it('after a crash, entries left sending are found and put back in the queue', () => {
    const path = join(tempDir(), 'gateway.db');
    const before = open(path);
    before.enqueueOutbox(outboxEntry('m1'));
    before.enqueueOutbox(outboxEntry('m2'));
    expect(before.claimDue(1_000, 10, { maxPerPeer: 16 })).toHaveLength(2);
    before.close(); // no settlement: the process "died" with both on the wire

    const after = open(path);
    expect(after.listOutbox({ status: 'sending' })).toHaveLength(2);
    expect(after.resetSending()).toBe(2);
    expect(after.claimDue(1_000, 10, { maxPerPeer: 16 }).map((e) => [e.id, e.attempts])).toEqual([
      ['m1', 2],
      ['m2', 2],
    ]);
  });

  it('lets a second process read the file while the daemon has it open (WAL)', () => {
    const path = join(tempDir(), 'gateway.db');
    const store = open(path);
    store.enqueueOutbox(outboxEntry('m1'));
    store.enqueueOutbox(outboxEntry('m2'));
    store.claimDue(1_000, 1, { maxPerPeer: 16 });
    const script = `
      const Database = require('better-sqlite3');
      const db = new Database(process.argv[1], { readonly: true, fileMustExist: true });
      const rows = db.prepare('SELECT id, status FROM outbox ORDER BY seq').all();
      process.stdout.write(JSON.stringify(rows));
      db.close();`;
    const out = execFileSync(process.execPath, ['-e', script, path], { cwd: process.cwd(), encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual([
      { id: 'm1', status: 'sending' },
      { id: 'm2', status: 'queued' },
    ]);
    // And the daemon's connection still writes afterwards.
    expect(store.updateOutbox('m1', { status: 'delivered' })?.status).toBe('delivered');
  });

  it('refuses a file that is not a database with store_corrupt', () => {
    const path = join(tempDir(), 'gateway.db');
    writeFileSync(path, Buffer.alloc(8192, 0x5a));
    expect(thrownBy(() => open(path))).toMatchObject({ name: 'StoreError', code: 'store_corrupt' });
  });

  it('refuses a file written by a newer schema with store_schema_too_new, and leaves it alone', () => {
    const path = join(tempDir(), 'gateway.db');
    open(path).close();
    const raw = new Database(path);
    raw.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from the future', 0);
    raw.close();
    const err = thrownBy(() => open(path));
    expect(err).toMatchObject({ name: 'StoreError', code: 'store_schema_too_new' });
    expect((err as Error).message).toContain('999');
    const check = new Database(path, { readonly: true });
    expect(schemaVersion(check)).toBe(999);
    check.close();
  });
});

describe('migrations', () => {
  it('brings a file of every older version up to the last one, keeping its data', () => {
    for (let k = 0; k < MIGRATIONS.length; k++) {
      const path = join(tempDir(), `v${k}.db`);
      const raw = new Database(path);
      migrate(raw, MIGRATIONS.slice(0, k), 0);
      expect(schemaVersion(raw)).toBe(k === 0 ? 0 : MIGRATIONS[k - 1]!.version);
      raw.close();
      const store = open(path);
      expect(store.settings().schemaVersion).toBe(MIGRATIONS.at(-1)!.version);
      store.enqueueOutbox(outboxEntry('m1'));
      store.close();
    }
  });

  it('applies only the pending migrations, in order, each recorded once', () => {
    const path = join(tempDir(), 'gateway.db');
    const first = open(path);
    first.enqueueOutbox(outboxEntry('kept'));
    first.close();
    const applied: number[] = [];
    const extra: Migration[] = [
      { version: MIGRATIONS.at(-1)!.version + 1, name: 'add a column', up: (db) => (applied.push(1), db.exec('ALTER TABLE outbox ADD COLUMN note TEXT')) },
      { version: MIGRATIONS.at(-1)!.version + 2, name: 'fill it', up: (db) => (applied.push(2), db.exec(`UPDATE outbox SET note = 'x'`)) },
    ];
    const second = open(path, { migrations: [...MIGRATIONS, ...extra], now: () => 42 });
    expect(applied).toEqual([1, 2]);
    expect(second.settings().schemaVersion).toBe(extra[1]!.version);
    expect(second.getOutbox('kept')?.status).toBe('queued');
    second.close();
    open(path, { migrations: [...MIGRATIONS, ...extra] }).close();
    expect(applied).toEqual([1, 2]);
    const raw = new Database(path, { readonly: true });
    expect(raw.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all()).toEqual([
      ...MIGRATIONS.map((m) => ({ version: m.version, applied_at: expect.any(Number) as unknown })),
      { version: extra[0]!.version, applied_at: 42 },
      { version: extra[1]!.version, applied_at: 42 },
    ]);
    expect(raw.prepare('SELECT note FROM outbox').get()).toEqual({ note: 'x' });
    raw.close();
  });

  it('rolls back a migration that fails and records nothing for it', () => {
    const path = join(tempDir(), 'gateway.db');
    const broken: Migration = {
      version: MIGRATIONS.at(-1)!.version + 1,
      name: 'half done',
      up: (db) => {
        db.exec('CREATE TABLE half (x INTEGER)');
        throw new Error('boom');
      },
    };
    expect(thrownBy(() => open(path, { migrations: [...MIGRATIONS, broken] }))).toMatchObject({ code: 'store_failed' });
    const raw = new Database(path, { readonly: true });
    expect(schemaVersion(raw)).toBe(MIGRATIONS.at(-1)!.version);
    expect(raw.prepare(`SELECT name FROM sqlite_master WHERE name = 'half'`).get()).toBeUndefined();
    raw.close();
  });

  it('refuses a list out of order', () => {
    const db = new Database(':memory:');
    const m = MIGRATIONS[0]!;
    expect(() => migrate(db, [m, m])).toThrow(RangeError);
    db.close();
  });
});

// CommitWithoutSync over a real SQLite file: inside run() the connection's `synchronous` is
// NORMAL (what SQLite reads when the write commits), and the configured FULL or EXTRA is back
// afterwards, also when the write throws; inside someone's transaction, and on a connection that
// does not sync at commit anyway, nothing is changed.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CommitWithoutSync } from '../../../src/store/commit-without-sync.js';

// SQLite's numbers for `synchronous`.
const NORMAL = 1;
const FULL = 2;
const EXTRA = 3;

const dirs: string[] = [];
const dbs: Database.Database[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(synchronous: 'NORMAL' | 'FULL' | 'EXTRA'): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'toq-nosync-'));
  dirs.push(dir);
  const db = new Database(join(dir, 'test.db'));
  dbs.push(db);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous}`);
  db.exec('CREATE TABLE t (v TEXT)');
  return db;
}

function synchronousOf(db: Database.Database): number {
  return Number(db.pragma('synchronous', { simple: true }));
}

describe('CommitWithoutSync', () => {
  it.each([
    ['FULL', FULL],
    ['EXTRA', EXTRA],
  ] as const)('commits the write at NORMAL and restores %s', (configured, number) => {
    const db = open(configured);
    const withoutSync = new CommitWithoutSync(db);
    const seen = withoutSync.run(() => {
      db.prepare('INSERT INTO t (v) VALUES (?)').run('x');
      return synchronousOf(db);
    });
    expect(seen).toBe(NORMAL);
    expect(synchronousOf(db)).toBe(number);
    expect(db.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 1 });
  });

  it('restores the setting when the write throws, and passes the error on', () => {
    const db = open('FULL');
    const withoutSync = new CommitWithoutSync(db);
    expect(() =>
      withoutSync.run(() => {
        throw new Error('write refused');
      }),
    ).toThrow('write refused');
    expect(synchronousOf(db)).toBe(FULL);
  });

  it('leaves the setting alone inside an open transaction: the outer commit decides', () => {
    const db = open('FULL');
    const withoutSync = new CommitWithoutSync(db);
    const seen = db.transaction(() => withoutSync.run(() => synchronousOf(db)))();
    expect(seen).toBe(FULL);
    expect(synchronousOf(db)).toBe(FULL);
  });

  it('changes nothing on a connection that does not sync at commit', () => {
    const db = open('NORMAL');
    const withoutSync = new CommitWithoutSync(db);
    expect(withoutSync.run(() => synchronousOf(db))).toBe(NORMAL);
    expect(synchronousOf(db)).toBe(NORMAL);
  });
});

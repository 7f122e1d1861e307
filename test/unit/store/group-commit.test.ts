import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/store/group-commit.js';
import { openSqliteStore, type SqliteStore } from '../../../src/store/sqlite-store.js';

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function store(): SqliteStore {
  const dir = mkdtempSync(join(tmpdir(), 'toq-gc-'));
  dirs.push(dir);
  const s = openSqliteStore({ path: join(dir, 'gateway.db') });
  stores.push(s);
  return s;
}

describe('GroupCommit', () => {
  it('with durable, commits without a sync and answers each caller only once durable() resolves', async () => {
    const s = store();
    let flushes = 0;
    let release: () => void = () => undefined;
    const gc = new GroupCommit(
      (fn) => s.transactionWithoutSync(fn),
      () => {
        flushes += 1;
        return new Promise<void>((resolve) => (release = resolve));
      },
    );
    let answered = false;
    const done = Promise.all([gc.run(() => s.incrementCounter('messages_in', 1)), gc.run(() => s.incrementCounter('messages_in', 2))]).then((r) => {
      answered = true;
      return r;
    });
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // Committed (visible) but not yet said to be durable.
    expect(s.getCounter('messages_in')).toBe(3);
    expect(flushes).toBe(1);
    expect(answered).toBe(false);
    release();
    expect(await done).toEqual([1, 3]);
  });

  it('with durable, a failed flush fails every caller of the batch', async () => {
    const s = store();
    const gc = new GroupCommit((fn) => s.transactionWithoutSync(fn), () => Promise.reject(new Error('EIO: disk gone')));
    const results = await Promise.allSettled([gc.run(() => 1), gc.run(() => 2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/EIO/);
  });

  it('runs the ops of one turn in a single transaction and resolves each with its own result', async () => {
    let transactions = 0;
    const s = store();
    const gc = new GroupCommit((fn) => {
      transactions += 1;
      return s.transaction(fn);
    });
    const results = await Promise.all([1, 2, 3].map((n) => gc.run(() => s.incrementCounter('messages_in', n))));
    expect(results).toEqual([1, 3, 6]);
    // One outer transaction, plus one savepoint per op.
    expect(transactions).toBe(1 + 3);
    expect(s.getCounter('messages_in')).toBe(6);
  });

  it('rolls back only the op that failed; the others commit', async () => {
    const s = store();
    const gc = new GroupCommit((fn) => s.transaction(fn));
    const ok = gc.run(() => s.incrementCounter('messages_out', 5));
    const bad = gc.run(() => {
      s.incrementCounter('messages_out', 100);
      throw new Error('boom');
    });
    await expect(ok).resolves.toBe(5);
    await expect(bad).rejects.toThrow('boom');
    expect(s.getCounter('messages_out')).toBe(5);
  });

  it('calls onCommitted after the commit and before the flush, only for the ops that committed', async () => {
    const s = store();
    let release: () => void = () => undefined;
    const gc = new GroupCommit((fn) => s.transactionWithoutSync(fn), () => new Promise<void>((resolve) => (release = resolve)));
    const seen: Array<{ value: number; counter: number | undefined }> = [];
    const hook = (value: number) => seen.push({ value, counter: s.getCounter('messages_in') });
    const ok = gc.run(() => s.incrementCounter('messages_in', 4), hook);
    const bad = gc.run(() => {
      s.incrementCounter('messages_in', 100);
      throw new Error('boom');
    }, hook);
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    // Not durable yet, but the hook has run and sees the committed write (not the rolled-back one).
    expect(seen).toEqual([{ value: 4, counter: 4 }]);
    release();
    await expect(ok).resolves.toBe(4);
    await expect(bad).rejects.toThrow('boom');
  });

  it('fails the caller whose onCommitted throws (its write stays committed)', async () => {
    const s = store();
    const gc = new GroupCommit((fn) => s.transaction(fn));
    const failing = gc.run(
      () => s.incrementCounter('messages_in', 1),
      () => {
        throw new Error('hook failed');
      },
    );
    const other = gc.run(() => s.incrementCounter('messages_in', 1));
    await expect(failing).rejects.toThrow('hook failed');
    await expect(other).resolves.toBe(2);
  });

  it('rejects every op of a batch whose commit cannot happen', async () => {
    const s = store();
    const gc = new GroupCommit((fn) => s.transaction(fn));
    const pending = [gc.run(() => 1), gc.run(() => 2)];
    s.close();
    for (const p of pending) await expect(p).rejects.toMatchObject({ code: 'store_closed' });
  });
});

describe('transactionWithoutSync', () => {
  it('commits without waiting for the disk, then restores the configured mode', () => {
    const s = store();
    expect(s.settings().synchronous).toBe('full');
    let during: string | undefined;
    s.transactionWithoutSync(() => {
      s.incrementCounter('messages_out', 2);
      during = s.settings().synchronous;
    });
    expect(during).toBe('normal');
    expect(s.settings().synchronous).toBe('full');
    expect(s.getCounter('messages_out')).toBe(2);
  });

  it('inside a durable transaction is part of it (the outer commit stays durable)', () => {
    const s = store();
    let during: string | undefined;
    s.transaction(() => {
      s.transactionWithoutSync(() => {
        during = s.settings().synchronous;
        s.incrementCounter('messages_in', 1);
      });
    });
    expect(during).toBe('full');
    expect(s.getCounter('messages_in')).toBe(1);
  });
});

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { A2aThreadStore } from '../../../src/gateway/a2a-thread-store.js';

describe('A2aThreadStore', () => {
  let db: Database.Database;
  let store: A2aThreadStore;
  beforeEach(() => {
    db = new Database(':memory:');
    store = new A2aThreadStore(db);
  });
  afterEach(() => db.close());

  const row = (taskId: string, threadId: string, envelopeId: string) => ({ tenant: 'alice', owner: 'o', taskId, contextId: 'c', threadId, envelopeId });

  it('generations start at 0 and count thread closes per (tenant, owner, context)', () => {
    expect(store.generationOf('alice', 'o', 'c')).toBe(0);
    store.bumpGeneration('alice', 'o', 'c');
    store.bumpGeneration('alice', 'o', 'c');
    expect(store.generationOf('alice', 'o', 'c')).toBe(2);
    expect(store.generationOf('alice', 'other', 'c')).toBe(0);
  });

  it('open turns are listed oldest first; closed ones are not', () => {
    store.openTurn(row('t2', 'th', 'e2'), 2_000);
    store.openTurn(row('t1', 'th', 'e1'), 1_000);
    store.openTurn(row('t3', 'other', 'e3'), 500);
    expect(store.openTasksOfThread('th').map((r) => r.taskId)).toEqual(['t1', 't2']);
    store.closeTurn('alice', 'o', 't1', 3_000);
    expect(store.openTasksOfThread('th').map((r) => r.taskId)).toEqual(['t2']);
    expect(store.isA2aThread('th')).toBe(true);
    expect(store.isA2aThread('nope')).toBe(false);
  });

  it('a follow-up turn reopens the task with its new envelope, keeping its age', () => {
    store.openTurn(row('t1', 'th', 'e1'), 1_000);
    store.closeTurn('alice', 'o', 't1', 1_500);
    store.openTurn(row('t1', 'th', 'e9'), 2_000);
    const [open] = store.openTasksOfThread('th');
    expect(open).toMatchObject({ taskId: 't1', envelopeId: 'e9', isOpen: true, createdAtMs: 1_000 });
    expect(store.findTask('t1')?.envelopeId).toBe('e9');
  });

  it('survives reopening the database file (schema creation is idempotent)', () => {
    store.openTurn(row('t1', 'th', 'e1'), 1_000);
    const again = new A2aThreadStore(db);
    expect(again.openTasksOfThread('th')).toHaveLength(1);
  });
});

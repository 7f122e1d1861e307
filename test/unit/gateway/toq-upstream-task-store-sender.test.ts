// The sender column of the toq-upstream task map (DESIGN §4, a2a_principal_identities): which of
// our identities sent a turn, the upgrade of a table written before the column existed, and the
// derived senders of open turns that the daemon hosts again before its port opens.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readOpenDerivedSenders, UpstreamTaskStore } from '../../../src/gateway/toq-upstream-task-store.js';

/** The table as it was before `sender` (the upgrade path). */
const OLD_SCHEMA = `
CREATE TABLE a2a_toq_upstream_tasks (
  agent TEXT NOT NULL, owner TEXT NOT NULL, task_id TEXT NOT NULL, context_id TEXT NOT NULL, thread_id TEXT NOT NULL,
  envelope_id TEXT NOT NULL, is_open INTEGER NOT NULL, chunks INTEGER NOT NULL DEFAULT 0, created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL, PRIMARY KEY (agent, owner, task_id)
);`;

const turn = (taskId: string, owner: string, sender: string) => ({ agent: 'bob', owner, taskId, contextId: `c-${taskId}`, threadId: `t-${taskId}`, envelopeId: `e-${taskId}`, sender });

describe('UpstreamTaskStore: the sender of a turn', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'toq-upstream-sender-'));
    path = join(dir, 'gateway.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps each turn\'s sender; a later turn of the same task records its own', () => {
    const db = new Database(path);
    const store = new UpstreamTaskStore(db);
    store.openTurn(turn('t1', 'jwt:i#alice', 'a2a-aaaaaaaaaaaaaaaa'), 1);
    store.openTurn(turn('t2', 'unknown', 'bob'), 2);
    expect(store.findTask('bob', 't1')?.sender).toBe('a2a-aaaaaaaaaaaaaaaa');
    expect(store.findTask('bob', 't2')?.sender).toBe('bob');
    store.openTurn(turn('t1', 'jwt:i#alice', 'bob'), 3);
    expect(store.findByEnvelope('bob', 'e-t1')?.sender).toBe('bob');
    db.close();
  });

  it('a table from before the column gets it; its rows were sent by the hosted agent', () => {
    const old = new Database(path);
    old.exec(OLD_SCHEMA);
    old.prepare("INSERT INTO a2a_toq_upstream_tasks VALUES ('bob', 'o', 'old', 'c', 't', 'e', 1, 0, 1, 1)").run();
    expect(readOpenDerivedSenders(path)).toEqual([]);
    const store = new UpstreamTaskStore(old);
    expect(store.findTask('bob', 'old')?.sender).toBe('bob');
    old.close();
  });

  it('readOpenDerivedSenders: the derived senders of open turns only, once each', () => {
    expect(readOpenDerivedSenders(path)).toEqual([]); // no file yet
    const db = new Database(path);
    expect(readOpenDerivedSenders(path)).toEqual([]); // no table yet
    const store = new UpstreamTaskStore(db);
    store.openTurn(turn('t1', 'jwt:i#alice', 'a2a-aaaaaaaaaaaaaaaa'), 1);
    store.openTurn(turn('t2', 'jwt:i#alice', 'a2a-aaaaaaaaaaaaaaaa'), 2);
    store.openTurn(turn('t3', 'jwt:i#zoe', 'a2a-zzzzzzzzzzzzzzzz'), 3);
    store.openTurn(turn('t4', 'unknown', 'bob'), 4);
    store.openTurn(turn('t5', 'jwt:i#carl', 'a2a-cccccccccccccccc'), 5);
    store.closeTurn({ agent: 'bob', owner: 'jwt:i#carl', taskId: 't5' }, 6);
    expect(readOpenDerivedSenders(path)).toEqual([
      { agent: 'bob', owner: 'jwt:i#alice', sender: 'a2a-aaaaaaaaaaaaaaaa' },
      { agent: 'bob', owner: 'jwt:i#zoe', sender: 'a2a-zzzzzzzzzzzzzzzz' },
    ]);
    db.close();
  });
});

// Durable map between A2A tasks and the local agent's toq threads (DESIGN §5.2, §7): which
// thread and which toq message (envelope id) a task's current turn is on, whether the task still
// waits for a reply, and the thread generation of each (tenant, owner, contextId). Kept in the
// workspace's SQLite file next to the SDK's task table, so a reply after a restart still finds
// its task. Synchronous (better-sqlite3): a call that returns has committed.

import type Database from 'better-sqlite3';

export interface ThreadTaskRow {
  readonly tenant: string;
  readonly owner: string;
  readonly taskId: string;
  readonly contextId: string;
  readonly threadId: string;
  /** The id of the toq message that opened the current turn (replies may name it in reply_to). */
  readonly envelopeId: string;
  readonly isOpen: boolean;
  readonly createdAtMs: number;
}

interface RawRow {
  tenant: string;
  owner: string;
  task_id: string;
  context_id: string;
  thread_id: string;
  envelope_id: string;
  is_open: number;
  created_at_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS a2a_local_tasks (
  tenant TEXT NOT NULL,
  owner TEXT NOT NULL,
  task_id TEXT NOT NULL,
  context_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  envelope_id TEXT NOT NULL,
  is_open INTEGER NOT NULL,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (tenant, owner, task_id)
);
CREATE INDEX IF NOT EXISTS a2a_local_tasks_thread ON a2a_local_tasks (thread_id, is_open, created_at_ms);
CREATE TABLE IF NOT EXISTS a2a_local_contexts (
  tenant TEXT NOT NULL,
  owner TEXT NOT NULL,
  context_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (tenant, owner, context_id)
);
`;

export class A2aThreadStore {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#stmts = {
      generation: db.prepare<[string, string, string], { generation: number }>('SELECT generation FROM a2a_local_contexts WHERE tenant = ? AND owner = ? AND context_id = ?'),
      bump: db.prepare<[string, string, string]>(
        'INSERT INTO a2a_local_contexts (tenant, owner, context_id, generation) VALUES (?, ?, ?, 1) ON CONFLICT (tenant, owner, context_id) DO UPDATE SET generation = generation + 1',
      ),
      open: db.prepare<[string, string, string, string, string, string, number, number]>(
        `INSERT INTO a2a_local_tasks (tenant, owner, task_id, context_id, thread_id, envelope_id, is_open, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)
         ON CONFLICT (tenant, owner, task_id) DO UPDATE SET thread_id = excluded.thread_id, envelope_id = excluded.envelope_id, is_open = 1, updated_at_ms = excluded.updated_at_ms`,
      ),
      close: db.prepare<[number, string, string, string]>('UPDATE a2a_local_tasks SET is_open = 0, updated_at_ms = ? WHERE tenant = ? AND owner = ? AND task_id = ?'),
      openOfThread: db.prepare<[string], RawRow>('SELECT * FROM a2a_local_tasks WHERE thread_id = ? AND is_open = 1 ORDER BY created_at_ms, rowid'),
      anyOfThread: db.prepare<[string], { n: number }>('SELECT 1 AS n FROM a2a_local_tasks WHERE thread_id = ? LIMIT 1'),
      byTask: db.prepare<[string], RawRow>('SELECT * FROM a2a_local_tasks WHERE task_id = ? ORDER BY updated_at_ms DESC LIMIT 1'),
    };
  }

  /** The current thread generation of a context (0 until its first thread closes). */
  generationOf(tenant: string, owner: string, contextId: string): number {
    return this.#stmts.generation.get(tenant, owner, contextId)?.generation ?? 0;
  }

  /** After a thread.close: the next turn in this context starts a new thread. */
  bumpGeneration(tenant: string, owner: string, contextId: string): void {
    this.#stmts.bump.run(tenant, owner, contextId);
  }

  /** A task starts (or continues) a turn on `threadId`, waiting for a reply. */
  openTurn(row: Omit<ThreadTaskRow, 'isOpen' | 'createdAtMs'>, nowMs: number): void {
    this.#stmts.open.run(row.tenant, row.owner, row.taskId, row.contextId, row.threadId, row.envelopeId, nowMs, nowMs);
  }

  /** The task waits for nothing more (terminal, interrupted, or canceled). */
  closeTurn(tenant: string, owner: string, taskId: string, nowMs: number): void {
    this.#stmts.close.run(nowMs, tenant, owner, taskId);
  }

  /** Tasks waiting for a reply on this thread, oldest first. */
  openTasksOfThread(threadId: string): ThreadTaskRow[] {
    return this.#stmts.openOfThread.all(threadId).map(fromRaw);
  }

  /** Whether any A2A task ever used this thread. */
  isA2aThread(threadId: string): boolean {
    return this.#stmts.anyOfThread.get(threadId) !== undefined;
  }

  /** The most recent row of a task id (task ids are UUIDs minted by the SDK). */
  findTask(taskId: string): ThreadTaskRow | undefined {
    const raw = this.#stmts.byTask.get(taskId);
    return raw === undefined ? undefined : fromRaw(raw);
  }

  /** For tests and tools: the underlying connection is the caller's to close. */
  get database(): Database.Database {
    return this.#db;
  }
}

function fromRaw(r: RawRow): ThreadTaskRow {
  return {
    tenant: r.tenant,
    owner: r.owner,
    taskId: r.task_id,
    contextId: r.context_id,
    threadId: r.thread_id,
    envelopeId: r.envelope_id,
    isOpen: r.is_open === 1,
    createdAtMs: r.created_at_ms,
  };
}

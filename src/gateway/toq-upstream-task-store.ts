// Durable map between A2A tasks of toq-upstream agents and the toq messages that carry them
// (DESIGN §3 "toq upstream", §5.2, §7): for each task, the thread and the envelope id of its
// current turn (the remote agent may name it in reply_to; the outbox knows its delivery by it),
// whether it still waits for a reply, and how many stream chunks it has had (the first becomes
// `append: false`), and which of our toq identities sent it (the hosted agent, or the caller's
// derived identity with a2a_principal_identities, DESIGN §4). Also the thread generation of each
// (agent, owner, contextId). Kept in the
// workspace's gateway.db next to the SDK's task table, so a reply after a restart finds its task.
// Synchronous (better-sqlite3): a call that returns has committed. Its own tables, apart from the
// local agent's (a2a-thread-store.ts).

import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CommitWithoutSync } from '../store/commit-without-sync.js';

export interface UpstreamTaskRow {
  /** The hosted agent's name (the A2A tenant). */
  readonly agent: string;
  /** The caller's task scope (the SDK's owner). */
  readonly owner: string;
  readonly taskId: string;
  readonly contextId: string;
  readonly threadId: string;
  /** The id of the `message.send` that opened the current turn (the outbox entry's id). */
  readonly envelopeId: string;
  /**
   * The toq agent name that sent the turn's message and so receives the replies: the hosted agent
   * (`agent`), or the caller's derived identity (`a2a-…`, DESIGN §4). Cancel and the lossless
   * probe use the same one.
   */
  readonly sender: string;
  readonly isOpen: boolean;
  /** Stream chunks applied to this turn so far. */
  readonly chunks: number;
  readonly createdAtMs: number;
}

interface RawRow {
  agent: string;
  owner: string;
  task_id: string;
  context_id: string;
  thread_id: string;
  envelope_id: string;
  /** NULL in rows written before the column existed: the hosted agent sent them. */
  sender: string | null;
  is_open: number;
  chunks: number;
  created_at_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS a2a_toq_upstream_tasks (
  agent TEXT NOT NULL,
  owner TEXT NOT NULL,
  task_id TEXT NOT NULL,
  context_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  envelope_id TEXT NOT NULL,
  sender TEXT,
  is_open INTEGER NOT NULL,
  chunks INTEGER NOT NULL DEFAULT 0,
  created_at_ms INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (agent, owner, task_id)
);
CREATE INDEX IF NOT EXISTS a2a_toq_upstream_tasks_thread ON a2a_toq_upstream_tasks (thread_id, is_open, created_at_ms);
CREATE INDEX IF NOT EXISTS a2a_toq_upstream_tasks_envelope ON a2a_toq_upstream_tasks (envelope_id);
CREATE TABLE IF NOT EXISTS a2a_toq_upstream_contexts (
  agent TEXT NOT NULL,
  owner TEXT NOT NULL,
  context_id TEXT NOT NULL,
  generation INTEGER NOT NULL,
  PRIMARY KEY (agent, owner, context_id)
);
`;

export class UpstreamTaskStore {
  readonly #stmts;
  /** With deferSync: writes commit without syncing. */
  readonly #withoutSync: CommitWithoutSync | undefined;

  /**
   * @param options.deferSync writes commit without syncing: every one of them is followed by a
   * WAL flush (WalSync) before anything depends on it — openTurn by the outbox entry's durable
   * commit, the others by the daemon's flush before it acks the envelope that caused them (and a
   * lost closeTurn only leaves a turn open that the next reply closes).
   */
  constructor(db: Database.Database, options: { readonly deferSync?: boolean } = {}) {
    this.#withoutSync = options.deferSync === true ? new CommitWithoutSync(db) : undefined;
    db.exec(SCHEMA);
    // Tables created before `sender` existed get it (NULL = the hosted agent).
    if (!hasSenderColumn(db)) db.exec('ALTER TABLE a2a_toq_upstream_tasks ADD COLUMN sender TEXT');
    // For hasOpenTurnFrom, after the column exists: open turns only, so it stays as small as they are.
    db.exec('CREATE INDEX IF NOT EXISTS a2a_toq_upstream_tasks_open_sender ON a2a_toq_upstream_tasks (sender) WHERE is_open = 1');
    this.#stmts = {
      generation: db.prepare<[string, string, string], { generation: number }>('SELECT generation FROM a2a_toq_upstream_contexts WHERE agent = ? AND owner = ? AND context_id = ?'),
      bump: db.prepare<[string, string, string]>(
        'INSERT INTO a2a_toq_upstream_contexts (agent, owner, context_id, generation) VALUES (?, ?, ?, 1) ON CONFLICT (agent, owner, context_id) DO UPDATE SET generation = generation + 1',
      ),
      open: db.prepare<[string, string, string, string, string, string, string, number, number]>(
        `INSERT INTO a2a_toq_upstream_tasks (agent, owner, task_id, context_id, thread_id, envelope_id, sender, is_open, chunks, created_at_ms, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, 1, 0, ?, ?)
         ON CONFLICT (agent, owner, task_id) DO UPDATE SET thread_id = excluded.thread_id, envelope_id = excluded.envelope_id, sender = excluded.sender, is_open = 1, chunks = 0, updated_at_ms = excluded.updated_at_ms`,
      ),
      close: db.prepare<[number, string, string, string]>('UPDATE a2a_toq_upstream_tasks SET is_open = 0, updated_at_ms = ? WHERE agent = ? AND owner = ? AND task_id = ?'),
      chunk: db.prepare<[number, string, string, string]>('UPDATE a2a_toq_upstream_tasks SET chunks = chunks + 1, updated_at_ms = ? WHERE agent = ? AND owner = ? AND task_id = ?'),
      openOfThread: db.prepare<[string, string], RawRow>('SELECT * FROM a2a_toq_upstream_tasks WHERE agent = ? AND thread_id = ? AND is_open = 1 ORDER BY created_at_ms, rowid'),
      openOfAgent: db.prepare<[string], RawRow>('SELECT * FROM a2a_toq_upstream_tasks WHERE agent = ? AND is_open = 1 ORDER BY created_at_ms, rowid'),
      byTask: db.prepare<[string, string], RawRow>('SELECT * FROM a2a_toq_upstream_tasks WHERE agent = ? AND task_id = ? ORDER BY updated_at_ms DESC LIMIT 1'),
      lastOfThread: db.prepare<[string, string], RawRow>('SELECT * FROM a2a_toq_upstream_tasks WHERE agent = ? AND thread_id = ? ORDER BY updated_at_ms DESC, rowid DESC LIMIT 1'),
      byEnvelope: db.prepare<[string, string], RawRow>('SELECT * FROM a2a_toq_upstream_tasks WHERE agent = ? AND envelope_id = ? LIMIT 1'),
      openFromSender: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM a2a_toq_upstream_tasks WHERE sender = ? AND is_open = 1 LIMIT 1'),
    };
  }

  /** The current thread generation of a context (0 until its first thread closes). */
  generationOf(agent: string, owner: string, contextId: string): number {
    return this.#stmts.generation.get(agent, owner, contextId)?.generation ?? 0;
  }

  /** After a thread.close: the next turn in this context starts a new thread. */
  bumpGeneration(agent: string, owner: string, contextId: string): void {
    this.#write(() => this.#stmts.bump.run(agent, owner, contextId));
  }

  /** A task starts (or continues) a turn on `threadId`, waiting for a reply. */
  openTurn(row: Omit<UpstreamTaskRow, 'isOpen' | 'chunks' | 'createdAtMs'>, nowMs: number): void {
    this.#write(() => this.#stmts.open.run(row.agent, row.owner, row.taskId, row.contextId, row.threadId, row.envelopeId, row.sender, nowMs, nowMs));
  }

  /** The task waits for nothing more (terminal, interrupted, or canceled). */
  closeTurn(row: Pick<UpstreamTaskRow, 'agent' | 'owner' | 'taskId'>, nowMs: number): void {
    this.#write(() => this.#stmts.close.run(nowMs, row.agent, row.owner, row.taskId));
  }

  /** Counts one applied stream chunk of the task's current turn. */
  countChunk(row: Pick<UpstreamTaskRow, 'agent' | 'owner' | 'taskId'>, nowMs: number): void {
    this.#write(() => this.#stmts.chunk.run(nowMs, row.agent, row.owner, row.taskId));
  }

  /** Tasks of `agent` waiting for a reply on this thread, oldest first. */
  openTasksOfThread(agent: string, threadId: string): UpstreamTaskRow[] {
    return this.#stmts.openOfThread.all(agent, threadId).map(fromRaw);
  }

  /** Every task of `agent` still waiting (restart recovery). */
  openTasks(agent: string): UpstreamTaskRow[] {
    return this.#stmts.openOfAgent.all(agent).map(fromRaw);
  }

  findTask(agent: string, taskId: string): UpstreamTaskRow | undefined {
    const raw = this.#stmts.byTask.get(agent, taskId);
    return raw === undefined ? undefined : fromRaw(raw);
  }

  /** The most recently touched task of a thread, open or not (whose context a thread.close ends). */
  lastTaskOfThread(agent: string, threadId: string): UpstreamTaskRow | undefined {
    const raw = this.#stmts.lastOfThread.get(agent, threadId);
    return raw === undefined ? undefined : fromRaw(raw);
  }

  /** The task whose turn the message `envelopeId` opened. */
  /**
   * Whether toq identity `sender` sent a turn that still waits for a reply (DESIGN §4: a derived
   * identity with one stays hosted, so that the reply lands); on the partial index of open turns.
   */
  hasOpenTurnFrom(sender: string): boolean {
    return this.#stmts.openFromSender.get(sender) !== undefined;
  }

  findByEnvelope(agent: string, envelopeId: string): UpstreamTaskRow | undefined {
    const raw = this.#stmts.byEnvelope.get(agent, envelopeId);
    return raw === undefined ? undefined : fromRaw(raw);
  }

  #write(run: () => unknown): void {
    if (this.#withoutSync === undefined) run();
    else this.#withoutSync.run(run);
  }
}

/** A derived sender of an open turn (DESIGN §4): it must answer for replies again after a restart. */
export interface OpenDerivedSender {
  readonly agent: string;
  readonly owner: string;
  readonly sender: string;
}

/**
 * The derived senders (sender ≠ agent) of every open turn in the gateway.db at `dbPath`, read
 * before the daemon opens its port, so a late reply to one of them is never refused as addressed
 * to an unknown agent. Empty when the file or the table does not exist yet.
 */
export function readOpenDerivedSenders(dbPath: string): OpenDerivedSender[] {
  if (!existsSync(dbPath)) return [];
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'a2a_toq_upstream_tasks'").get();
    if (table === undefined || !hasSenderColumn(db)) return [];
    return db
      .prepare<[], OpenDerivedSender>('SELECT DISTINCT agent, owner, sender FROM a2a_toq_upstream_tasks WHERE is_open = 1 AND sender IS NOT NULL AND sender <> agent ORDER BY agent, owner')
      .all();
  } finally {
    db.close();
  }
}

function hasSenderColumn(db: Database.Database): boolean {
  return db.prepare<[], { name: string }>('PRAGMA table_info(a2a_toq_upstream_tasks)').all().some((c) => c.name === 'sender');
}

function fromRaw(r: RawRow): UpstreamTaskRow {
  return {
    agent: r.agent,
    owner: r.owner,
    taskId: r.task_id,
    contextId: r.context_id,
    threadId: r.thread_id,
    envelopeId: r.envelope_id,
    sender: r.sender ?? r.agent,
    isOpen: r.is_open === 1,
    chunks: r.chunks,
    createdAtMs: r.created_at_ms,
  };
}

// Durable state of the hosted A2A upstream agents (DESIGN §5.3, §7), in the workspace's SQLite
// file: the upstream `contextId` (and the current upstream task, with its state) of each toq
// thread, and the toq requests acked but not yet answered, so they resume after a restart.
// Synchronous (better-sqlite3): a call that returns has committed. Knows no HTTP.

import type Database from 'better-sqlite3';

export interface UpstreamThreadRow {
  readonly agent: string;
  readonly threadId: string;
  readonly contextId: string;
  /** The upstream task of the thread's last turn ('' when the upstream answered with a Message). */
  readonly taskId: string;
  /** Its TaskState number (0 when unknown). */
  readonly taskState: number;
}

export interface PendingRequestRow {
  readonly agent: string;
  readonly envelopeId: string;
  /** '' when the message had no thread. */
  readonly threadId: string;
  /** The sender's toq address (where the reply goes). */
  readonly sender: string;
  readonly peerKey: string;
  /** The envelope's wire JSON text. */
  readonly envelope: string;
  /** The upstream task this request started, once known ('' before). */
  readonly taskId: string;
  readonly receivedAtMs: number;
}

interface RawRequest {
  agent: string;
  envelope_id: string;
  thread_id: string;
  sender: string;
  peer_key: string;
  envelope: string;
  task_id: string;
  received_at_ms: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS a2a_upstream_threads (
  agent TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  context_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  task_state INTEGER NOT NULL,
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (agent, thread_id)
);
CREATE TABLE IF NOT EXISTS a2a_upstream_requests (
  agent TEXT NOT NULL,
  envelope_id TEXT NOT NULL,
  thread_id TEXT NOT NULL,
  sender TEXT NOT NULL,
  peer_key TEXT NOT NULL,
  envelope TEXT NOT NULL,
  task_id TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  PRIMARY KEY (agent, envelope_id)
);
`;

export class A2aUpstreamStore {
  readonly #db: Database.Database;
  readonly #stmts;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(SCHEMA);
    this.#stmts = {
      thread: db.prepare<[string, string], { agent: string; thread_id: string; context_id: string; task_id: string; task_state: number }>(
        'SELECT agent, thread_id, context_id, task_id, task_state FROM a2a_upstream_threads WHERE agent = ? AND thread_id = ?',
      ),
      saveThread: db.prepare<[string, string, string, string, number, number]>(
        `INSERT INTO a2a_upstream_threads (agent, thread_id, context_id, task_id, task_state, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (agent, thread_id) DO UPDATE SET context_id = excluded.context_id, task_id = excluded.task_id, task_state = excluded.task_state, updated_at_ms = excluded.updated_at_ms`,
      ),
      deleteThread: db.prepare<[string, string]>('DELETE FROM a2a_upstream_threads WHERE agent = ? AND thread_id = ?'),
      addRequest: db.prepare<[string, string, string, string, string, string, number]>(
        `INSERT INTO a2a_upstream_requests (agent, envelope_id, thread_id, sender, peer_key, envelope, task_id, received_at_ms) VALUES (?, ?, ?, ?, ?, ?, '', ?)
         ON CONFLICT (agent, envelope_id) DO NOTHING`,
      ),
      setRequestTask: db.prepare<[string, string, string]>('UPDATE a2a_upstream_requests SET task_id = ? WHERE agent = ? AND envelope_id = ?'),
      finishRequest: db.prepare<[string, string]>('DELETE FROM a2a_upstream_requests WHERE agent = ? AND envelope_id = ?'),
      requestsOfThread: db.prepare<[string, string], RawRequest>('SELECT * FROM a2a_upstream_requests WHERE agent = ? AND thread_id = ? ORDER BY received_at_ms, rowid'),
      deleteRequestsOfThread: db.prepare<[string, string]>('DELETE FROM a2a_upstream_requests WHERE agent = ? AND thread_id = ?'),
      pending: db.prepare<[string], RawRequest>('SELECT * FROM a2a_upstream_requests WHERE agent = ? ORDER BY received_at_ms, rowid'),
    };
  }

  threadOf(agent: string, threadId: string): UpstreamThreadRow | undefined {
    const r = this.#stmts.thread.get(agent, threadId);
    return r === undefined ? undefined : { agent: r.agent, threadId: r.thread_id, contextId: r.context_id, taskId: r.task_id, taskState: r.task_state };
  }

  saveThread(row: UpstreamThreadRow, nowMs: number): void {
    this.#stmts.saveThread.run(row.agent, row.threadId, row.contextId, row.taskId, row.taskState, nowMs);
  }

  /** thread.close: forgets the mapping and the thread's unanswered requests; returns what was there. */
  retireThread(agent: string, threadId: string): { thread?: UpstreamThreadRow; requests: PendingRequestRow[] } {
    return this.#db.transaction(() => {
      const thread = this.threadOf(agent, threadId);
      const requests = this.#stmts.requestsOfThread.all(agent, threadId).map(fromRaw);
      this.#stmts.deleteThread.run(agent, threadId);
      this.#stmts.deleteRequestsOfThread.run(agent, threadId);
      return { ...(thread !== undefined && { thread }), requests };
    })();
  }

  /** Records an acked request; false when it was recorded before (a redelivery). */
  addRequest(row: Omit<PendingRequestRow, 'taskId'>): boolean {
    return this.#stmts.addRequest.run(row.agent, row.envelopeId, row.threadId, row.sender, row.peerKey, row.envelope, row.receivedAtMs).changes === 1;
  }

  setRequestTask(agent: string, envelopeId: string, taskId: string): void {
    this.#stmts.setRequestTask.run(taskId, agent, envelopeId);
  }

  finishRequest(agent: string, envelopeId: string): void {
    this.#stmts.finishRequest.run(agent, envelopeId);
  }

  /** Unanswered requests of one agent, oldest first. */
  pendingRequests(agent: string): PendingRequestRow[] {
    return this.#stmts.pending.all(agent).map(fromRaw);
  }
}

function fromRaw(r: RawRequest): PendingRequestRow {
  return { agent: r.agent, envelopeId: r.envelope_id, threadId: r.thread_id, sender: r.sender, peerKey: r.peer_key, envelope: r.envelope, taskId: r.task_id, receivedAtMs: r.received_at_ms };
}

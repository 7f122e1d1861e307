// The durable GatewayStore: one SQLite file in the workspace (DESIGN §7, `.toq/gateway.db`),
// WAL journal, every commit fsynced before it returns, prepared statements made once. It holds
// our tables only (the A2A SDK's tables will share the file later). No sockets; every time that
// matters comes in as an argument.

import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PolicyState } from '../protocol/policy.js';
import type { CounterName, GatewayStore, PruneOptions, PruneResult } from './gateway-store.js';
import type { HistoryQuery, InboundRecord } from './inbox-record.js';
import { MIGRATIONS, migrate, schemaVersion, type Migration } from './migrations.js';
import type { ClaimOptions, NewOutboxEntry, OutboxEntry, OutboxQuery, OutboxStatus, OutboxUpdate } from './outbox-record.js';
import type { MessageType } from '../protocol/message-types.js';
import type { PeerRecord } from './peer-record.js';
import { checkClaimOptions, checkLimit, DEFAULT_OUTBOX_LIST_LIMIT } from './store-limits.js';
import { StoreError } from './store-error.js';
import { CommitWithoutSync } from './commit-without-sync.js';

export interface SqliteStoreOptions {
  /** The database file; created (mode 0600, parent 0700) when missing. */
  readonly path: string;
  /**
   * `full` fsyncs the WAL at every commit. `normal` (SQLite's usual WAL advice) survives the
   * process being killed but may lose the last commits on an OS crash or power cut, and we ack
   * a message to its sender (who then forgets it) as soon as our commit returns: an ack must
   * mean "on disk". `normal` exists for benchmarks and tests only.
   * @default 'full'
   */
  readonly synchronous?: 'full' | 'normal';
  /** How long a write waits for another connection's lock (e.g. a CLI reading). @default 5000 */
  readonly busyTimeoutMs?: number;
  /** For tests of the migration path. @default MIGRATIONS */
  readonly migrations?: readonly Migration[];
  /** Bookkeeping stamps only (schema_migrations, policy updated_at). @default Date.now */
  readonly now?: () => number;
}

interface OutboxRow {
  seq: number;
  id: string;
  agent: string;
  to_address: string;
  type: string;
  thread_id: string | null;
  reply_to: string | null;
  content_type: string | null;
  body: string | null;
  created_at: number;
  next_attempt_at: number;
  expires_at: number;
  attempts: number;
  status: OutboxStatus;
  last_error_code: string | null;
  last_error_message: string | null;
  delivered_at: number | null;
  finished_at: number | null;
}

interface InboxRow {
  id: string;
  agent: string;
  type: string;
  from_address: string;
  peer_key: string;
  thread_id: string | null;
  reply_to: string | null;
  content_type: string | null;
  body: string | null;
  received_at: number;
}

/** Opens (creating and migrating as needed) the store at `options.path`. */
export function openSqliteStore(options: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(options);
}

export class SqliteStore implements GatewayStore {
  readonly path: string;
  private readonly db: Database.Database;
  /** transactionWithoutSync(): commits that leave the sync to a later one (or to WalSync). */
  private readonly withoutSync: CommitWithoutSync;
  private readonly now: () => number;
  private readonly stmt: ReturnType<typeof prepareStatements>;
  private readonly tx: {
    recordInbound: (m: InboundRecord) => boolean;
    updateOutbox: (id: string, update: OutboxUpdate, expect?: readonly OutboxStatus[]) => OutboxEntry | undefined;
    claimDue: (nowMs: number, limit: number, maxPerPeer: number) => OutboxRow[];
    prune: (options: PruneOptions) => PruneResult;
    /** Runs the function it is given: one wrapper for every transaction() call (better-sqlite3 builds a new one per db.transaction(), ~4 µs). */
    around: (fn: () => unknown) => unknown;
  };

  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    this.now = options.now ?? Date.now;
    const isNew = !existsSync(options.path);
    if (isNew) {
      mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
      // Created empty with 0600 before SQLite sees it: SQLite gives the -wal and -shm files the
      // mode of the database file, so all three stay private.
      closeSync(openSync(options.path, 'wx', 0o600));
    }
    let db: Database.Database | undefined;
    try {
      db = new Database(options.path, { fileMustExist: true });
      chmodSync(options.path, 0o600);
      db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5_000))}`);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new StoreError('store_failed', `could not switch ${options.path} to WAL (journal_mode is ${String(mode)})`);
      db.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
      migrate(db, options.migrations ?? MIGRATIONS, this.now());
      this.db = db;
      this.stmt = prepareStatements(db);
      this.withoutSync = new CommitWithoutSync(db);
    } catch (err) {
      db?.close();
      throw asStoreError(err, `cannot open store ${options.path}`);
    }
    this.tx = {
      recordInbound: this.db.transaction((m: InboundRecord): boolean => {
        if (this.stmt.insertSeen.run(m.peerKey, m.id, m.receivedAtMs).changes === 0) return false;
        this.stmt.insertInbox.run({
          id: m.id,
          agent: m.agent,
          type: m.type,
          from_address: m.from,
          peer_key: m.peerKey,
          thread_id: m.thread_id,
          reply_to: m.reply_to,
          content_type: m.content_type,
          body: m.body,
          received_at: m.receivedAtMs,
        });
        this.stmt.addCounter.run('messages_in', 1);
        return true;
      }),
      updateOutbox: this.db.transaction((id: string, update: OutboxUpdate, expect?: readonly OutboxStatus[]) => {
        const row = this.stmt.getOutbox.get(id) as OutboxRow | undefined;
        if (!row || (expect !== undefined && !expect.includes(row.status))) return undefined;
        const has = (v: unknown): number => (v === undefined ? 0 : 1);
        const updated = this.stmt.updateOutbox.get({
          id,
          status: update.status,
          set_next: has(update.nextAttemptAtMs),
          next: update.nextAttemptAtMs ?? null,
          set_expires: has(update.expiresAtMs),
          expires: update.expiresAtMs ?? null,
          set_attempts: has(update.attempts),
          attempts: update.attempts ?? null,
          set_error: has(update.lastError),
          error_code: update.lastError?.code ?? null,
          error_message: update.lastError?.message ?? null,
          set_delivered: has(update.deliveredAtMs),
          delivered: update.deliveredAtMs ?? null,
          set_finished: has(update.finishedAtMs),
          finished: update.finishedAtMs ?? null,
        }) as OutboxRow;
        if (update.status === 'delivered' && row.status !== 'delivered') this.stmt.addCounter.run('messages_out', 1);
        return toOutboxEntry(updated);
      }),
      // Three plain statements in one transaction instead of one statement that ranks every due
      // entry per recipient with a window function and automatic indexes (measured: hundreds of
      // microseconds per call on a busy outbox, this: tens). Same choice, same atomicity.
      claimDue: this.db.transaction((nowMs: number, limit: number, maxPerPeer: number): OutboxRow[] => {
        const busy = new Map<string, number>();
        for (const row of this.stmt.sendingByPeer.all() as Array<{ to_address: string; n: number }>) busy.set(row.to_address, row.n);
        const picked: number[] = [];
        // Oldest due first; a recipient already at maxPerPeer is skipped, others fill up.
        for (const row of this.stmt.dueQueued.iterate(nowMs, maxPerPeer) as IterableIterator<{ seq: number; to_address: string }>) {
          const n = busy.get(row.to_address) ?? 0;
          if (n >= maxPerPeer) continue;
          busy.set(row.to_address, n + 1);
          picked.push(row.seq);
          if (picked.length >= limit) break;
        }
        return picked.map((seq) => this.stmt.claimOne.get(seq) as OutboxRow);
      }),
      prune: this.db.transaction((o: PruneOptions): PruneResult => {
        const history = o.historyOlderThanMs === undefined ? 0 : this.stmt.pruneInbox.run(o.nowMs - o.historyOlderThanMs).changes;
        const seen = o.seenOlderThanMs === undefined ? 0 : this.stmt.pruneSeen.run(o.nowMs - Math.max(o.seenOlderThanMs, o.outboxTtlMs)).changes;
        const outbox = o.finishedOutboxOlderThanMs === undefined ? 0 : this.stmt.pruneOutbox.run(o.nowMs - o.finishedOutboxOlderThanMs).changes;
        return { history, seen, outbox };
      }),
      around: this.db.transaction((fn: () => unknown) => fn()),
    };
  }

  enqueueOutbox(entry: NewOutboxEntry): OutboxEntry {
    return this.run('enqueue outbox entry', () => {
      try {
        const row = this.stmt.insertOutbox.get({
          id: entry.id,
          agent: entry.agent,
          to_address: entry.to,
          type: entry.type,
          thread_id: entry.thread_id,
          reply_to: entry.reply_to,
          content_type: entry.content_type,
          body: entry.body,
          created_at: entry.createdAtMs,
          next_attempt_at: entry.nextAttemptAtMs,
          expires_at: entry.expiresAtMs,
          claimed: entry.claimed === true ? 1 : 0,
        }) as OutboxRow;
        return toOutboxEntry(row);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
          throw new StoreError('store_duplicate_id', `outbox entry ${entry.id} already exists`, { cause: err });
        }
        throw err;
      }
    });
  }

  getOutbox(id: string): OutboxEntry | undefined {
    return this.run('read outbox entry', () => {
      const row = this.stmt.getOutbox.get(id) as OutboxRow | undefined;
      return row && toOutboxEntry(row);
    });
  }

  listOutbox(query: OutboxQuery = {}): OutboxEntry[] {
    const limit = checkLimit(query.limit ?? DEFAULT_OUTBOX_LIST_LIMIT);
    return this.run('list outbox', () =>
      (this.stmt.listOutbox.all({ status: query.status ?? null, to: query.to ?? null, agent: query.agent ?? null, limit }) as OutboxRow[]).map(toOutboxEntry),
    );
  }

  claimDue(nowMs: number, limit: number, options: ClaimOptions): OutboxEntry[] {
    checkLimit(limit);
    checkClaimOptions(options);
    return this.run('claim due outbox entries', () => {
      // One transaction, so the choice and the status change are one atomic step.
      return this.tx.claimDue(nowMs, limit, options.maxPerPeer).map(toOutboxEntry);
    });
  }

  hasQueued(to: string): boolean {
    return this.run('look for queued outbox entries', () => this.stmt.hasQueued.get(to) !== undefined);
  }

  nextDueAt(options: ClaimOptions): number | undefined {
    checkClaimOptions(options);
    return this.run('find next due entry', () => {
      const row = this.stmt.nextDue.get({ max_per_peer: options.maxPerPeer }) as { due: number | null };
      return row.due ?? undefined;
    });
  }

  updateOutbox(id: string, update: OutboxUpdate, expect?: readonly OutboxStatus[]): OutboxEntry | undefined {
    return this.run('update outbox entry', () => this.tx.updateOutbox(id, update, expect));
  }

  deferQueued(to: string, untilMs: number): number {
    return this.run('defer queued entries', () => this.stmt.deferQueued.run(untilMs, to, untilMs).changes);
  }

  resetSending(): number {
    return this.run('reset sending entries', () => this.stmt.resetSending.run().changes);
  }

  recordInbound(message: InboundRecord): boolean {
    return this.run('record inbound message', () => this.tx.recordInbound(message));
  }

  history(query: HistoryQuery): InboundRecord[] {
    const limit = checkLimit(query.limit);
    return this.run('read history', () => {
      const rows = this.stmt.history.all({ agent: query.agent ?? null, from: query.from ?? null, since: query.sinceMs ?? null, thread: query.threadId ?? null, limit }) as InboxRow[];
      return rows.reverse().map(toInboundRecord);
    });
  }

  hasSeen(peerKey: string, id: string): boolean {
    return this.run('read seen id', () => this.stmt.hasSeen.get(peerKey, id) !== undefined);
  }

  rememberSeen(peerKey: string, id: string, atMs: number): void {
    this.run('record seen id', () => this.stmt.insertSeen.run(peerKey, id, atMs));
  }

  upsertPeer(publicKey: string, address: string, atMs: number): void {
    this.run('record peer', () => this.stmt.upsertPeer.run({ key: publicKey, address, at: atMs }));
  }

  listPeers(): PeerRecord[] {
    return this.run('list peers', () =>
      (this.stmt.listPeers.all() as Array<{ public_key: string; address: string; first_seen: number; last_seen: number }>).map((r) => ({
        publicKey: r.public_key,
        address: r.address,
        firstSeenAtMs: r.first_seen,
        lastSeenAtMs: r.last_seen,
      })),
    );
  }

  loadPolicy(): PolicyState | undefined {
    return this.run('read policy state', () => {
      const row = this.stmt.getPolicy.get() as { document: string } | undefined;
      // PolicyState is our own plain data (strings and millisecond integers), not a peer's
      // JSON: JSON.parse loses nothing here, unlike message bodies (kept as wire text).
      return row === undefined ? undefined : (JSON.parse(row.document) as PolicyState);
    });
  }

  savePolicy(state: PolicyState): void {
    this.run('save policy state', () => this.stmt.putPolicy.run(JSON.stringify(state), this.now()));
  }

  getCounter(name: CounterName): number {
    return this.run('read counter', () => (this.stmt.getCounter.get(name) as { value: number } | undefined)?.value ?? 0);
  }

  incrementCounter(name: CounterName, by = 1): number {
    if (!Number.isSafeInteger(by)) throw new RangeError(`counter increment must be a safe integer, got ${by}`);
    return this.run('update counter', () => (this.stmt.addCounter.get(name, by) as { value: number }).value);
  }

  prune(options: PruneOptions): PruneResult {
    return this.run('prune', () => this.tx.prune(options));
  }

  /** Errors thrown by `fn` pass through as they are (the store calls inside wrap their own). */
  transaction<T>(fn: () => T): T {
    if (!this.db.open) throw new StoreError('store_closed', 'cannot run a transaction: the store is closed');
    return this.tx.around(fn) as T;
  }

  transactionWithoutSync<T>(fn: () => T): T {
    if (!this.db.open) throw new StoreError('store_closed', 'cannot run a transaction: the store is closed');
    return this.withoutSync.run(() => this.tx.around(fn) as T);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** What the connection runs with, for diagnostics (doctor, status) and tests. */
  settings(): { journalMode: string; synchronous: 'full' | 'normal' | 'other'; schemaVersion: number } {
    return this.run('read settings', () => {
      const sync = this.db.pragma('synchronous', { simple: true });
      return {
        journalMode: String(this.db.pragma('journal_mode', { simple: true })),
        // SQLite reports synchronous as a number: 1 NORMAL, 2 FULL.
        synchronous: sync === 2 ? 'full' : sync === 1 ? 'normal' : 'other',
        schemaVersion: schemaVersion(this.db),
      };
    });
  }

  /** Runs one store operation; SQLite failures become StoreErrors with the cause kept. */
  private run<T>(what: string, op: () => T): T {
    if (!this.db.open) throw new StoreError('store_closed', `cannot ${what}: the store is closed`);
    try {
      return op();
    } catch (err) {
      throw asStoreError(err, `cannot ${what}`);
    }
  }
}

function prepareStatements(db: Database.Database) {
  return {
    insertOutbox: db.prepare(`
      INSERT INTO outbox (id, agent, to_address, type, thread_id, reply_to, content_type, body, created_at, next_attempt_at, expires_at, status, attempts)
      VALUES (@id, @agent, @to_address, @type, @thread_id, @reply_to, @content_type, @body, @created_at, @next_attempt_at, @expires_at,
              CASE WHEN @claimed THEN 'sending' ELSE 'queued' END, CASE WHEN @claimed THEN 1 ELSE 0 END)
      RETURNING *`),
    hasQueued: db.prepare("SELECT 1 FROM outbox WHERE to_address = ? AND status = 'queued' LIMIT 1"),
    getOutbox: db.prepare('SELECT * FROM outbox WHERE id = ?'),
    listOutbox: db.prepare(`
      SELECT * FROM outbox
      WHERE (@status IS NULL OR status = @status) AND (@to IS NULL OR to_address = @to) AND (@agent IS NULL OR agent = @agent)
      ORDER BY seq DESC LIMIT @limit`),
    sendingByPeer: db.prepare(`SELECT to_address, COUNT(*) AS n FROM outbox WHERE status = 'sending' GROUP BY to_address`),
    // Recipients already at the limit are left out here rather than skipped row by row.
    dueQueued: db.prepare(`
      SELECT seq, to_address FROM outbox
      WHERE status = 'queued' AND next_attempt_at <= ?
        AND to_address NOT IN (SELECT to_address FROM outbox WHERE status = 'sending' GROUP BY to_address HAVING COUNT(*) >= ?)
      ORDER BY next_attempt_at, seq`),
    claimOne: db.prepare(`UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE seq = ? RETURNING *`),
    nextDue: db.prepare(`
      WITH busy AS (
        SELECT to_address, COUNT(*) AS n FROM outbox WHERE status = 'sending' GROUP BY to_address
      )
      SELECT MIN(o.next_attempt_at) AS due FROM outbox o LEFT JOIN busy b ON b.to_address = o.to_address
      WHERE o.status = 'queued' AND COALESCE(b.n, 0) < @max_per_peer`),
    updateOutbox: db.prepare(`
      UPDATE outbox SET
        status = @status,
        next_attempt_at = CASE WHEN @set_next THEN @next ELSE next_attempt_at END,
        expires_at = CASE WHEN @set_expires THEN @expires ELSE expires_at END,
        attempts = CASE WHEN @set_attempts THEN @attempts ELSE attempts END,
        last_error_code = CASE WHEN @set_error THEN @error_code ELSE last_error_code END,
        last_error_message = CASE WHEN @set_error THEN @error_message ELSE last_error_message END,
        delivered_at = CASE WHEN @set_delivered THEN @delivered ELSE delivered_at END,
        finished_at = CASE WHEN @set_finished THEN @finished ELSE finished_at END
      WHERE id = @id
      RETURNING *`),
    deferQueued: db.prepare(`UPDATE outbox SET next_attempt_at = ? WHERE to_address = ? AND status = 'queued' AND next_attempt_at < ?`),
    resetSending: db.prepare(`UPDATE outbox SET status = 'queued' WHERE status = 'sending'`),
    insertSeen: db.prepare('INSERT OR IGNORE INTO seen_ids (peer_key, id, seen_at) VALUES (?, ?, ?)'),
    hasSeen: db.prepare('SELECT 1 FROM seen_ids WHERE peer_key = ? AND id = ?'),
    insertInbox: db.prepare(`
      INSERT INTO inbox (id, agent, type, from_address, peer_key, thread_id, reply_to, content_type, body, received_at)
      VALUES (@id, @agent, @type, @from_address, @peer_key, @thread_id, @reply_to, @content_type, @body, @received_at)`),
    // instr(), not LIKE: the reference matches `from` as a plain, case-sensitive substring.
    history: db.prepare(`
      SELECT * FROM inbox
      WHERE (@agent IS NULL OR agent = @agent) AND (@from IS NULL OR instr(from_address, @from) > 0) AND (@since IS NULL OR received_at >= @since)
        AND (@thread IS NULL OR thread_id = @thread)
      ORDER BY seq DESC LIMIT @limit`),
    upsertPeer: db.prepare(`
      INSERT INTO peers (public_key, address, first_seen, last_seen) VALUES (@key, @address, @at, @at)
      ON CONFLICT (public_key) DO UPDATE SET address = excluded.address, last_seen = excluded.last_seen`),
    listPeers: db.prepare('SELECT * FROM peers ORDER BY public_key'),
    getPolicy: db.prepare('SELECT document FROM policy_state WHERE id = 1'),
    putPolicy: db.prepare(`
      INSERT INTO policy_state (id, document, updated_at) VALUES (1, ?, ?)
      ON CONFLICT (id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`),
    getCounter: db.prepare('SELECT value FROM counters WHERE name = ?'),
    addCounter: db.prepare(`
      INSERT INTO counters (name, value) VALUES (?, ?)
      ON CONFLICT (name) DO UPDATE SET value = value + excluded.value
      RETURNING value`),
    pruneInbox: db.prepare('DELETE FROM inbox WHERE received_at < ?'),
    pruneSeen: db.prepare('DELETE FROM seen_ids WHERE seen_at < ?'),
    pruneOutbox: db.prepare(`DELETE FROM outbox WHERE status IN ('delivered', 'failed', 'undeliverable', 'canceled') AND finished_at IS NOT NULL AND finished_at < ?`),
  };
}

function toOutboxEntry(row: OutboxRow): OutboxEntry {
  return Object.freeze({
    id: row.id,
    agent: row.agent,
    to: row.to_address,
    type: row.type as MessageType,
    thread_id: row.thread_id,
    reply_to: row.reply_to,
    content_type: row.content_type,
    body: row.body,
    createdAtMs: row.created_at,
    nextAttemptAtMs: row.next_attempt_at,
    expiresAtMs: row.expires_at,
    status: row.status,
    attempts: row.attempts,
    lastError: row.last_error_code === null ? null : { code: row.last_error_code, message: row.last_error_message ?? '' },
    deliveredAtMs: row.delivered_at,
    finishedAtMs: row.finished_at,
  });
}

function toInboundRecord(row: InboxRow): InboundRecord {
  return Object.freeze({
    id: row.id,
    agent: row.agent,
    type: row.type as MessageType,
    from: row.from_address,
    peerKey: row.peer_key,
    thread_id: row.thread_id,
    reply_to: row.reply_to,
    content_type: row.content_type,
    body: row.body,
    receivedAtMs: row.received_at,
  });
}

const CORRUPT_CODES = new Set(['SQLITE_NOTADB', 'SQLITE_CORRUPT']);

function asStoreError(err: unknown, what: string): Error {
  if (err instanceof StoreError || err instanceof RangeError) return err;
  const code = (err as { code?: unknown }).code;
  const detail = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && CORRUPT_CODES.has(code)) {
    return new StoreError('store_corrupt', `${what}: the file is not a usable gateway database (${detail})`, { cause: err });
  }
  return new StoreError('store_failed', `${what}: ${detail}`, { cause: err });
}

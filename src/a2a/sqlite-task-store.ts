// A2A TaskStore on better-sqlite3, over the table the SDK's migrations create (`tasks`, the same
// columns and the same JSON encoding as the SDK's DatabaseTaskStore), so a file written by one is
// read by the other and the SDK's migrations stay the schema's owner. Differences from the SDK
// store are performance only: statements are prepared once (kysely's driver prepares every
// statement anew), and saves issued in the same event-loop turn share one transaction (group
// commit: one fsync for N saves at synchronous=FULL), in which only the last save of each task
// is written. A load sees every save issued before it (it decodes a queued row); a list waits for
// the commit of the queued saves.
//
// Two ways to save. `save()` resolves once the row is committed and on disk: the bridges use it
// where a toq ack or an outbox entry depends on the task. `answerView` is the store as the SDK's
// request handler sees it: its saves resolve once queued, so the SDK's load-merge-save of a
// turn's events costs one commit, and nothing it saved may be told to anyone before
// `answerable()` resolved for the task (the saves committed, without failure, and on disk). The
// request handler awaits it before every answer and push (durable-answers.ts, the push sender):
// one wait for the disk per answer instead of one per event, and the daemon's rule stands:
// nothing is answered that is not on disk.
//
// The commit runs on the event loop (better-sqlite3 is synchronous); with `durable` (the
// daemon's WalSync) it commits without syncing and the flush runs on the thread pool, shared with
// every other writer of the file. Committing in a worker thread on a second connection was
// measured slower on the A2A bench (the thread hops cost more than the loop gains while the disk
// syncs), so it is not done.
//
// A save of exactly the row last committed for a task is not written again (the SDK re-saves what
// our bridges stored before publishing), and a load of a recently committed task decodes that row
// without reading it back: both need this store to be the only writer of its tenants' rows, which
// it is in the daemon (tasks are never deleted; each gateway has its tenants).
//
// It must not create or alter tables (migrateA2aTaskStore does), must not open or close the
// caller's connection (its owner does), and must not return objects it keeps: every load decodes
// a fresh Task, because the SDK's ResultManager mutates what it loads.

import type Database from 'better-sqlite3';
import { Task, TaskState, taskStateToJSON, type ListTasksRequest, type ListTasksResponse } from '@a2a-js/sdk';
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import { resolveUserScope, type OwnerResolver, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { GatewayError } from '../protocol/errors.js';
import { CommitWithoutSync } from '../store/commit-without-sync.js';

/** The SDK's default table name (TASK_TABLE in @a2a-js/sdk/server/database). */
export const A2A_TASK_TABLE = 'tasks';
/** ListTasks page size when the request names none (the SDK's DEFAULT_PAGE_SIZE). */
export const A2A_LIST_DEFAULT_PAGE_SIZE = 50;
/** What the SDK writes into `protocol_version`: the format of the JSON payload columns. */
const PAYLOAD_FORMAT = '1.0';

export interface SqliteTaskStoreOptions {
  /** Derives the owner from the call context. @default resolveUserScope (the SDK's: user name or "unknown") */
  readonly ownerResolver?: OwnerResolver;
  /** The table the SDK's task migrations created. @default A2A_TASK_TABLE */
  readonly tableName?: string;
  /**
   * Told about a row ListTasks skips because its JSON does not parse (the SDK store skips such
   * rows the same way). @default console.error, as the SDK store does
   */
  readonly onUnreadableTask?: (info: { tenant: string; owner: string; id: string }, err: Error) => void;
  /**
   * Makes every commit so far durable (WalSync.sync). Given, batches commit with
   * synchronous=NORMAL and wait for this when someone needs them on disk. @default none: every
   * batch commits with the connection's synchronous setting (FULL: on disk at commit)
   */
  readonly durable?: () => Promise<void>;
}

/** A row of the tasks table, as the SDK's DatabaseTaskStore writes it. */
interface TaskRow {
  tenant: string;
  owner: string;
  id: string;
  context_id: string;
  status_last_updated: number;
  status_state: string | null;
  status: string | null;
  artifacts: string | null;
  history: string | null;
  metadata: string | null;
  protocol_version: string | null;
}

type RowParams = [string, string, string, string, number, string | null, string | null, string | null, string | null, string | null, string];

interface PendingSave {
  readonly params: RowParams;
  /** Settles the caller's promise; none for a save through answerView (resolved when queued). */
  readonly settle?: { resolve(): void; reject(err: unknown): void };
}

/** The store as the SDK's request handler uses it: see answerView. */
export interface AnswerGatedTaskStore {
  /** Saves resolve once queued (visible to loads); what they saved is not durable yet. */
  readonly taskStore: TaskStore;
  /**
   * Resolves once the task (every task, without an id) is committed as last saved and on disk;
   * rejects if its last save failed to commit or the disk flush failed. Await it before telling
   * anyone what a save through `taskStore` stored.
   */
  answerable(taskId?: string, context?: ServerCallContext): Promise<void>;
}

/** Which optional parts a ListTasks query has; each combination gets its own prepared statements. */
interface ListShape {
  readonly byContext: boolean;
  readonly byState: boolean;
  readonly byTimestamp: boolean;
  readonly afterCursor: boolean;
  readonly withArtifacts: boolean;
  readonly withHistory: boolean;
}

interface ListStatements {
  readonly count: Database.Statement<unknown[], { total: number }>;
  readonly page: Database.Statement<unknown[], TaskRow>;
}

/** Tasks whose last committed row is kept (the same-row check of save(), and load()). */
const LAST_COMMITTED_CAP = 4_096;
/** ... and at most this many characters of them (tasks carrying files can be large). */
const LAST_COMMITTED_CHARS = 16 * 1024 * 1024;

const COLUMNS = ['tenant', 'owner', 'id', 'context_id', 'status_last_updated', 'status_state', 'status', 'artifacts', 'history', 'metadata', 'protocol_version'] as const;
const KEY_COLUMNS = new Set<string>(['tenant', 'owner', 'id']);

export class SqliteTaskStore implements TaskStore {
  /** The store as the SDK's request handler uses it (see the file's header). */
  readonly answerView: AnswerGatedTaskStore;
  private readonly ownerResolver: OwnerResolver;
  private readonly table: string;
  private readonly onUnreadableTask: NonNullable<SqliteTaskStoreOptions['onUnreadableTask']>;
  private readonly selectOne: Database.Statement<[string, string, string], TaskRow>;
  private readonly listStatements = new Map<string, ListStatements>();
  private readonly commitAll: (rows: readonly RowParams[]) => void;
  private readonly commitOne: (params: RowParams) => void;
  /** Saves waiting for the next batch, in call order. */
  private queue: PendingSave[] = [];
  /** The last queued row of each task (tenant, owner, id) in the queue: what a load sees. */
  private readonly queuedRows = new Map<string, RowParams>();
  /** The last committed row of recently saved tasks, by key (see save() and load()). */
  private readonly lastCommitted = new Map<string, { readonly params: RowParams; readonly commit: number; readonly chars: number }>();
  /** The characters of the rows in lastCommitted. */
  private lastCommittedChars = 0;
  /** Tasks whose last save failed to commit, with the error (answerable() rejects for them). */
  private readonly failedKeys = new Map<string, unknown>();
  /** Commits made so far, and how many of them are known to be on disk. */
  private commits = 0;
  private commitsOnDisk = 0;
  /** The flush under way (durable()), and the commits it covers. */
  private flushing: { readonly upTo: number; readonly done: Promise<void> } | undefined;
  /** Resolved after the next commit; made only when a read waits for it. */
  private commitWaiter: { readonly promise: Promise<void>; resolve(): void } | undefined;
  private isCommitScheduled = false;
  private isClosed = false;
  private readonly withoutSync: CommitWithoutSync;
  private readonly durable: (() => Promise<void>) | undefined;

  constructor(
    private readonly db: Database.Database,
    options: SqliteTaskStoreOptions = {},
  ) {
    this.ownerResolver = options.ownerResolver ?? resolveUserScope;
    this.table = quoteIdentifier(options.tableName ?? A2A_TASK_TABLE);
    this.onUnreadableTask =
      options.onUnreadableTask ??
      ((info, err) => console.error(`Skipping task "${info.id}" for owner "${info.owner}" in tenant "${info.tenant}": it could not be read.`, err));
    const updates = COLUMNS.filter((c) => !KEY_COLUMNS.has(c)).map((c) => `${c} = excluded.${c}`);
    const upsert = db.prepare<RowParams>(
      `INSERT INTO ${this.table} (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (tenant, owner, id) DO UPDATE SET ${updates.join(', ')}`,
    );
    this.selectOne = db.prepare<[string, string, string], TaskRow>(`SELECT ${COLUMNS.join(', ')} FROM ${this.table} WHERE tenant = ? AND owner = ? AND id = ?`);
    this.commitAll = db.transaction((rows: readonly RowParams[]) => {
      for (const params of rows) upsert.run(...params);
    });
    this.commitOne = db.transaction((params: RowParams) => void upsert.run(...params));
    this.withoutSync = new CommitWithoutSync(db);
    this.durable = options.durable;
    this.answerView = {
      taskStore: {
        save: (task, context) => this.queueSave(task, context, false),
        load: (taskId, context) => this.load(taskId, context),
        list: (params, context) => this.list(params, context),
      },
      answerable: (taskId, context) => this.untilAnswerable(taskId, context),
    };
  }

  /** Resolves once the task is committed and on disk. */
  save(task: Task, context: ServerCallContext): Promise<void> {
    return this.queueSave(task, context, true);
  }

  load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    try {
      const scope = this.scopeOf(context);
      const key = keyOf(scope.tenant, scope.owner, taskId);
      // A queued save or the row we last committed is the row the table has or will have:
      // decoded as read, without the read.
      const known = this.queuedRows.get(key) ?? this.lastCommitted.get(key)?.params;
      const row = known !== undefined ? toTaskRow(known) : this.selectOne.get(scope.tenant, scope.owner, taskId);
      return Promise.resolve(row === undefined ? undefined : fromTaskRow(row));
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    if (this.queue.length > 0) await this.nextCommit();
    return this.listNow(params, context);
  }

  /** Commits the saves already issued (before the connection is closed); later saves fail. Idempotent. */
  close(): void {
    this.isClosed = true;
    this.commit();
  }

  private queueSave(task: Task, context: ServerCallContext, untilOnDisk: boolean): Promise<void> {
    let params: RowParams;
    try {
      // Encoded now, not at commit time: the caller may change the task once save() returns.
      params = toRowParams(this.scopeOf(context), task);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.isClosed) return Promise.reject(new GatewayError('a2a_task_store_closed', `cannot save task ${task.id}: the task store is closed`));
    const key = rowKey(params);
    // The SDK re-saves what it is told on a live bus; our bridges stored those very states before
    // publishing them. A save of exactly the row last committed needs no commit.
    const last = this.lastCommitted.get(key);
    if (last !== undefined && !this.queuedRows.has(key) && sameRow(last.params, params)) return untilOnDisk ? this.onDisk(last.commit) : Promise.resolve();
    this.queuedRows.set(key, params);
    this.scheduleCommit();
    if (!untilOnDisk) {
      this.queue.push({ params });
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => this.queue.push({ params, settle: { resolve, reject } }));
  }

  private async untilAnswerable(taskId?: string, context?: ServerCallContext): Promise<void> {
    const scope = taskId === undefined || context === undefined ? undefined : this.scopeOf(context);
    const key = scope === undefined ? undefined : keyOf(scope.tenant, scope.owner, taskId!);
    if (key === undefined ? this.queue.length > 0 : this.queuedRows.has(key)) await this.nextCommit();
    if (key !== undefined && this.failedKeys.has(key)) throw this.failedKeys.get(key);
    // A task no longer among the kept rows may have been committed by any commit so far.
    await this.onDisk((key === undefined ? undefined : this.lastCommitted.get(key)?.commit) ?? this.commits);
  }

  /** Resolves once the first `commit` commits are on disk. */
  private onDisk(commit: number): Promise<void> {
    if (this.durable === undefined || this.commitsOnDisk >= commit) return Promise.resolve();
    if (this.flushing !== undefined && this.flushing.upTo >= commit) return this.flushing.done;
    const upTo = this.commits;
    const done = this.durable().then(() => {
      this.commitsOnDisk = Math.max(this.commitsOnDisk, upTo);
    });
    const flushing = { upTo, done };
    this.flushing = flushing;
    const clear = () => {
      if (this.flushing === flushing) this.flushing = undefined;
    };
    done.then(clear, clear);
    return done;
  }

  /** Resolves once the queued saves have been committed (or have failed). */
  private nextCommit(): Promise<void> {
    if (this.commitWaiter === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.commitWaiter = { promise, resolve };
    }
    return this.commitWaiter.promise;
  }

  /** Commits the queue in a later turn, so that the saves of this turn join the batch. */
  private scheduleCommit(): void {
    if (this.isCommitScheduled) return;
    this.isCommitScheduled = true;
    setImmediate(() => {
      this.isCommitScheduled = false;
      // A transaction someone left open across turns on this connection (kysely's, say) would
      // make ours a savepoint, "committed" before their COMMIT: wait for it to end.
      if (this.db.inTransaction) this.scheduleCommit();
      else this.commit();
    });
  }

  /** Commits the last queued row of each task in one transaction; the saves settle accordingly. */
  private commit(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    const rows = [...this.queuedRows.values()];
    this.queue = [];
    this.queuedRows.clear();
    const waiter = this.commitWaiter;
    this.commitWaiter = undefined;
    // Without a sync inside the commit when the durable() flush follows.
    const failures = this.durable !== undefined ? this.withoutSync.run(() => this.commitRows(rows)) : this.commitRows(rows);
    this.commits += 1;
    const commit = this.commits;
    for (const params of rows) {
      const key = rowKey(params);
      if (failures.has(key)) {
        this.failedKeys.delete(key);
        this.failedKeys.set(key, failures.get(key));
        // Past the cap the oldest go: their answers were given (or refused) long ago.
        if (this.failedKeys.size > LAST_COMMITTED_CAP) this.failedKeys.delete(this.failedKeys.keys().next().value!);
        this.forgetCommitted(key);
      } else {
        this.failedKeys.delete(key);
        this.rememberCommitted(params, commit);
      }
    }
    waiter?.resolve();
    const waiting = batch.filter((pending) => pending.settle !== undefined);
    if (waiting.length === 0) return;
    const onDisk = this.onDisk(commit);
    for (const { params, settle } of waiting) {
      const key = rowKey(params);
      // A save is reported done only once on disk; a failed flush fails it, committed or not.
      if (failures.has(key)) settle!.reject(failures.get(key));
      else onDisk.then(settle!.resolve, settle!.reject);
    }
  }

  /** The row now committed for its task, and by which commit; the oldest entries go past the cap. */
  private rememberCommitted(params: RowParams, commit: number): void {
    const key = rowKey(params);
    // Deleted first so that the Map's order stays the order of last use.
    this.forgetCommitted(key);
    const chars = rowChars(params);
    // A very large task (files) is read back when loaded rather than push out many small ones.
    if (chars > LAST_COMMITTED_CHARS / 4) return;
    this.lastCommitted.set(key, { params, commit, chars });
    this.lastCommittedChars += chars;
    while (this.lastCommitted.size > LAST_COMMITTED_CAP || this.lastCommittedChars > LAST_COMMITTED_CHARS) {
      this.forgetCommitted(this.lastCommitted.keys().next().value!);
    }
  }

  private forgetCommitted(key: string): void {
    const entry = this.lastCommitted.get(key);
    if (entry === undefined) return;
    this.lastCommitted.delete(key);
    this.lastCommittedChars -= entry.chars;
  }

  /** Commits the rows (one per task); the keys of those that failed, with their errors. */
  private commitRows(rows: readonly RowParams[]): ReadonlyMap<string, unknown> {
    const failures = new Map<string, unknown>();
    try {
      this.commitAll(rows);
    } catch {
      // Rolled back whole: each row alone, so one SQLite refuses fails only its own task (if
      // the commit itself fails, each gets that error).
      for (const params of rows) {
        try {
          this.commitOne(params);
        } catch (err) {
          failures.set(rowKey(params), err);
        }
      }
    }
    return failures;
  }

  private scopeOf(context: ServerCallContext): { tenant: string; owner: string } {
    return { tenant: context.tenant ?? '', owner: this.ownerResolver(context) };
  }

  private listNow(params: ListTasksRequest, context: ServerCallContext): ListTasksResponse {
    const scope = this.scopeOf(context);
    const pageSize = params.pageSize ?? A2A_LIST_DEFAULT_PAGE_SIZE;
    // The same filters and their truthiness tests as DatabaseTaskStore.listFilter.
    const shape: ListShape = {
      byContext: Boolean(params.contextId),
      byState: params.status !== undefined && params.status !== TaskState.TASK_STATE_UNSPECIFIED,
      byTimestamp: Boolean(params.statusTimestampAfter),
      afterCursor: Boolean(params.pageToken),
      withArtifacts: Boolean(params.includeArtifacts),
      withHistory: !(params.historyLength !== undefined && params.historyLength <= 0),
    };
    const filter: unknown[] = [scope.tenant, scope.owner];
    if (shape.byContext) filter.push(params.contextId);
    if (shape.byState) filter.push(taskStateToJSON(params.status));
    // Date.parse of a bad timestamp is NaN, which SQLite binds as NULL: no row matches, as with the SDK store.
    if (shape.byTimestamp) filter.push(toSqlNumber(Date.parse(params.statusTimestampAfter!)));
    const statements = this.listStatementsFor(shape);
    const totalSize = Number(statements.count.get(...filter)!.total);
    const pageArgs = [...filter];
    if (shape.afterCursor) {
      const cursor = decodePageToken(params.pageToken);
      const cursorUpdated = statusLastUpdated(cursor.timestamp);
      pageArgs.push(cursorUpdated, cursorUpdated, cursor.id);
    }
    pageArgs.push(pageSize + 1);
    const rows = statements.page.all(...pageArgs);
    const hasMore = rows.length > pageSize;
    const page = hasMore ? rows.slice(0, pageSize) : rows;
    const tasks: Task[] = [];
    for (const row of page) {
      try {
        tasks.push(fromTaskRow(row));
      } catch (err) {
        this.onUnreadableTask({ tenant: scope.tenant, owner: scope.owner, id: row.id }, err as Error);
      }
    }
    const lastRow = page.at(-1);
    return {
      // Fewer than pageSize when a row was skipped, which the field allows.
      tasks,
      nextPageToken: hasMore && lastRow !== undefined ? encodePageToken(cursorTimestamp(Number(lastRow.status_last_updated)), lastRow.id) : '',
      pageSize,
      totalSize,
    };
  }

  private listStatementsFor(shape: ListShape): ListStatements {
    const key = Object.values(shape).map((on) => (on ? '1' : '0')).join('');
    let statements = this.listStatements.get(key);
    if (statements === undefined) {
      const where = ['tenant = ?', 'owner = ?'];
      if (shape.byContext) where.push('context_id = ?');
      if (shape.byState) where.push('status_state = ?');
      if (shape.byTimestamp) where.push('status_last_updated > ?');
      const pageWhere = shape.afterCursor ? [...where, '(status_last_updated < ? OR (status_last_updated = ? AND id < ?))'] : where;
      // Columns a page leaves out come back as NULL so fromTaskRow reads them as empty lists.
      const columns = COLUMNS.map((c) => ((c === 'artifacts' && !shape.withArtifacts) || (c === 'history' && !shape.withHistory) ? `NULL AS ${c}` : c));
      statements = {
        count: this.db.prepare<unknown[], { total: number }>(`SELECT count(*) AS total FROM ${this.table} WHERE ${where.join(' AND ')}`),
        page: this.db.prepare<unknown[], TaskRow>(
          `SELECT ${columns.join(', ')} FROM ${this.table} WHERE ${pageWhere.join(' AND ')} ORDER BY status_last_updated DESC, id DESC LIMIT ?`,
        ),
      };
      this.listStatements.set(key, statements);
    }
    return statements;
  }
}

/** The table row an encoded save wrote. */
function toTaskRow(params: RowParams): TaskRow {
  const [tenant, owner, id, context_id, status_last_updated, status_state, status, artifacts, history, metadata, protocol_version] = params;
  return { tenant, owner, id, context_id, status_last_updated, status_state, status, artifacts, history, metadata, protocol_version };
}

/** About the memory an encoded row holds: its text columns' lengths. */
function rowChars(params: RowParams): number {
  let chars = 0;
  for (const value of params) if (typeof value === 'string') chars += value.length;
  return chars;
}

function sameRow(a: RowParams, b: RowParams): boolean {
  return a.every((value, i) => value === b[i]);
}

/** keyOf for an encoded row (its first three columns are tenant, owner, id). */
function rowKey(params: RowParams): string {
  return keyOf(params[0], params[1], params[2]);
}

function keyOf(tenant: string, owner: string, id: string): string {
  // JSON keeps the three apart whatever characters they contain.
  return JSON.stringify([tenant, owner, id]);
}

function toRowParams(scope: { tenant: string; owner: string }, task: Task): RowParams {
  requireKey('tenant', scope.tenant);
  requireKey('owner', scope.owner);
  requireKey('id', task.id);
  const payload = Task.toJSON(task) as { status?: unknown; artifacts?: unknown; history?: unknown; metadata?: unknown };
  return [
    scope.tenant,
    scope.owner,
    task.id,
    task.contextId || '',
    statusLastUpdated(task.status?.timestamp),
    task.status ? taskStateToJSON(task.status.state) : null,
    encode(payload.status),
    encode(payload.artifacts),
    encode(payload.history),
    encode(payload.metadata),
    PAYLOAD_FORMAT,
  ];
}

function fromTaskRow(row: TaskRow): Task {
  try {
    return Task.fromJSON({
      id: row.id,
      contextId: row.context_id,
      status: decode(row.status),
      artifacts: decode(row.artifacts),
      history: decode(row.history),
      metadata: decode(row.metadata),
    });
  } catch (cause) {
    throw new Error(`task "${row.id}" is not readable`, { cause });
  }
}

function requireKey(field: string, value: unknown): void {
  // The SDK store's check: a key column must be a string (an OwnerResolver is user code).
  if (typeof value !== 'string') throw new TypeError(`task has no ${field} (got ${typeof value})`);
}

function encode(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

function decode(value: string | null): unknown {
  return value ? JSON.parse(value) : undefined;
}

/** The status timestamp as ms since the epoch; 0 when missing or unparsable (the SDK's rule). */
function statusLastUpdated(timestamp: string | undefined): number {
  if (!timestamp) return 0;
  const parsed = Date.parse(timestamp);
  return Number.isNaN(parsed) ? 0 : parsed;
}

function toSqlNumber(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

function cursorTimestamp(updated: number): string {
  return updated === 0 ? '' : new Date(updated).toISOString();
}

/** The SDK's page token: base64 of "<ISO timestamp or empty>|<task id>", so tokens work across both stores. */
function encodePageToken(timestamp: string, id: string): string {
  return Buffer.from(`${timestamp}|${id}`).toString('base64');
}

function decodePageToken(pageToken: string): { timestamp: string; id: string } {
  const [timestamp = '', ...idParts] = Buffer.from(pageToken, 'base64').toString('utf-8').split('|');
  if (idParts.length === 0) throw new RequestMalformedError('Invalid page token format.');
  return { timestamp, id: idParts.join('|') };
}

function quoteIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`table name must be a plain SQL identifier, got ${JSON.stringify(name)}`);
  return `"${name}"`;
}

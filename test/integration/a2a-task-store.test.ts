// SqliteTaskStore (src/a2a/sqlite-task-store.ts) on real SQLite files: full-task round trips,
// tenant and owner isolation, ListTasks compared operation by operation with the SDK's
// DatabaseTaskStore on a second file (a differential test), files written by the SDK store read
// by ours and back, group commit (one transaction for the saves of one turn), restarts, and a
// child process killed with SIGKILL right after a save resolved.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Role, TaskState, type ListTasksRequest, type Message, type Task } from '@a2a-js/sdk';
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import { ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { DatabaseTaskStore } from '@a2a-js/sdk/server/database';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateA2aTaskStore, openA2aTaskDatabase, type A2aTaskDatabase } from '../../src/a2a/sql-task-store.js';
import { SqliteTaskStore } from '../../src/a2a/sqlite-task-store.js';
import { HeldFlush } from '../helpers/held-flush.js';

const ROOT = join(import.meta.dirname, '..', '..');
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toq-a2a-tasks-'));
  dirs.push(dir);
  return dir;
}

async function openOurs(path: string): Promise<A2aTaskDatabase> {
  const database = await openA2aTaskDatabase(path);
  closers.push(() => database.close());
  return database;
}

/** The SDK's own store on `path` (migrated the same way), for differential and compatibility checks. */
async function openSdk(path: string): Promise<TaskStore> {
  await migrateA2aTaskStore(path);
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
  closers.push(() => db.destroy());
  return new DatabaseTaskStore(db);
}

function ctx(tenant: string | undefined, user?: string): ServerCallContext {
  return new ServerCallContext({ ...(tenant !== undefined && { tenant }), ...(user !== undefined && { user: { isAuthenticated: true, userName: user } }) });
}

function message(id: string, role: Role, text: string, extra: Partial<Message> = {}): Message {
  return { messageId: id, contextId: '', taskId: '', role, parts: [{ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: '' }], metadata: undefined, extensions: [], referenceTaskIds: [], ...extra };
}

function task(id: string, options: { contextId?: string; state?: TaskState; timestamp?: string; history?: number; artifacts?: number } = {}): Task {
  const contextId = options.contextId ?? 'ctx-1';
  return {
    id,
    contextId,
    status: { state: options.state ?? TaskState.TASK_STATE_WORKING, message: message(`${id}-status`, Role.ROLE_AGENT, `status of ${id}`, { taskId: id, contextId }), timestamp: options.timestamp },
    artifacts: Array.from({ length: options.artifacts ?? 1 }, (_, i) => ({
      artifactId: `${id}-art-${i}`,
      name: `artifact ${i}`,
      description: 'an artifact',
      parts: [{ content: { $case: 'data', value: { n: i, nested: { ok: true } } }, metadata: { kind: 'data' }, filename: '', mediaType: 'application/json' }],
      metadata: { index: i },
      extensions: ['https://example.com/ext'],
    })),
    history: Array.from({ length: options.history ?? 2 }, (_, i) => message(`${id}-m${i}`, i % 2 === 0 ? Role.ROLE_USER : Role.ROLE_AGENT, `turn ${i}`, { taskId: id, contextId, referenceTaskIds: i === 0 ? ['other-task'] : [] })),
    metadata: { origin: 'test', id },
  };
}

/** A task with every kind of part and the optional fields set. */
function fullTask(id: string): Task {
  const t = task(id, { timestamp: '2026-01-02T03:04:05.678Z', history: 3, artifacts: 2 });
  t.history[0]!.parts.push(
    { content: { $case: 'raw', value: Buffer.from([0, 1, 2, 250, 255]) }, metadata: undefined, filename: 'bytes.bin', mediaType: 'application/octet-stream' },
    { content: { $case: 'url', value: 'https://example.com/file.txt' }, metadata: { size: 3 }, filename: 'file.txt', mediaType: 'text/plain' },
    { content: { $case: 'data', value: { list: [1, 'two', null], flag: false } }, metadata: undefined, filename: '', mediaType: '' },
  );
  t.history[1]!.metadata = { traced: true };
  t.history[1]!.extensions = ['https://example.com/ext'];
  return t;
}

describe('SqliteTaskStore', () => {
  it('with durable, a save resolves only once durable() has resolved; the row is committed before', async () => {
    const path = join(tempDir(), 'gateway.db');
    const flush = new HeldFlush();
    const database = await openA2aTaskDatabase(path, { durable: flush.durable });
    closers.push(() => database.close());
    const c = ctx('agent', 'alice');
    let saved = false;
    const saving = database.taskStore.save(task('t-durable'), c).then(() => (saved = true));
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(flush.calls).toBe(1);
    expect(saved).toBe(false);
    // Committed: readable at once, from this connection and from another.
    expect((await database.taskStore.load('t-durable', c))?.id).toBe('t-durable');
    const reader = new Database(path, { readonly: true });
    expect(reader.prepare('SELECT COUNT(*) AS n FROM tasks').get()).toEqual({ n: 1 });
    reader.close();
    flush.release();
    await saving;
    expect(saved).toBe(true);
  });

  it('a save of exactly the row last committed needs no commit: it resolves with that commit\'s flush', async () => {
    let flushes = 0;
    const database = await openA2aTaskDatabase(join(tempDir(), 'gateway.db'), {
      durable: () => {
        flushes += 1;
        return Promise.resolve();
      },
    });
    closers.push(() => database.close());
    const c = ctx('agent', 'alice');
    await database.taskStore.save(task('t-same'), c);
    expect(flushes).toBe(1);
    await database.taskStore.save(task('t-same'), c);
    expect(flushes).toBe(1);
    // Anything different is a real save, and so is the same row for another owner.
    await database.taskStore.save(task('t-same', { state: TaskState.TASK_STATE_COMPLETED }), c);
    await database.taskStore.save(task('t-same'), ctx('agent', 'bob'));
    expect(flushes).toBe(3);
    expect((await database.taskStore.load('t-same', c))!.status!.state).toBe(TaskState.TASK_STATE_COMPLETED);
    // Back to the first row: it differs from the last committed one, so it is written again.
    await database.taskStore.save(task('t-same'), c);
    expect(flushes).toBe(4);
    expect((await database.taskStore.load('t-same', c))!.status!.state).toBe(TaskState.TASK_STATE_WORKING);
  });

  it('a load of a task it committed decodes the kept row without reading the table, except for rows too large to keep', async () => {
    const database = await openOurs(join(tempDir(), 'gateway.db'));
    const c = ctx('agent', 'alice');
    const big = task('t-big', { history: 1 });
    big.history[0]!.parts[0]!.content = { $case: 'text', value: 'x'.repeat(17 * 1024 * 1024) };
    await Promise.all([database.taskStore.save(task('t-kept', { history: 2, artifacts: 1 }), c), database.taskStore.save(big, c)]);
    const asSaved = await database.taskStore.load('t-kept', c);
    expect(asSaved!.status!.state).toBe(TaskState.TASK_STATE_WORKING);
    // Behind the store's back (the daemon never does this: the store is its tenants' only writer).
    database.sqlite.prepare("UPDATE tasks SET status_state = 'TASK_STATE_FAILED', status = ? WHERE id IN ('t-kept', 't-big')").run(JSON.stringify({ state: 'TASK_STATE_FAILED' }));
    const kept = await database.taskStore.load('t-kept', c);
    expect(kept).toEqual(asSaved);
    // The copy it hands out is the caller's to change.
    kept!.history.push(message('m-extra', Role.ROLE_USER, 'mine'));
    expect((await database.taskStore.load('t-kept', c))!.history).toHaveLength(2);
    // Past the memory bound the row was not kept: the load reads the table.
    expect((await database.taskStore.load('t-big', c))!.status!.state).toBe(TaskState.TASK_STATE_FAILED);
  });

  it('with durable, a failed flush fails the saves of its batch, and the next identical save tries again', async () => {
    let fail = true;
    const database = await openA2aTaskDatabase(join(tempDir(), 'gateway.db'), { durable: () => (fail ? Promise.reject(new Error('EIO: flush failed')) : Promise.resolve()) });
    closers.push(() => database.close());
    const c = ctx('agent', 'alice');
    await expect(database.taskStore.save(task('t-eio'), c)).rejects.toThrow(/EIO/);
    fail = false;
    await expect(database.taskStore.save(task('t-eio'), c)).resolves.toBeUndefined();
  });

  it('round-trips full tasks (history, artifacts, metadata, status message) and overwrites on save', async () => {
    const { taskStore } = await openOurs(join(tempDir(), 'gateway.db'));
    const c = ctx('agent', 'alice');
    const original = fullTask('t-full');
    await taskStore.save(original, c);
    const loaded = await taskStore.load('t-full', c);
    expect(loaded).toEqual(original);
    expect(loaded).not.toBe(original);

    // The loaded object is the caller's: changing it changes nothing stored.
    loaded!.history.push(message('extra', Role.ROLE_USER, 'not saved'));
    expect((await taskStore.load('t-full', c))!.history).toHaveLength(3);

    const updated = task('t-full', { state: TaskState.TASK_STATE_COMPLETED, timestamp: '2026-01-02T03:04:06.000Z', history: 1, artifacts: 0 });
    await taskStore.save(updated, c);
    expect(await taskStore.load('t-full', c)).toEqual(updated);
    expect(await taskStore.load('missing', c)).toBeUndefined();
  });

  it('keeps tenants and owners apart (load and list)', async () => {
    const { taskStore } = await openOurs(join(tempDir(), 'gateway.db'));
    const scopes = [ctx('a', 'alice'), ctx('a', 'bob'), ctx('b', 'alice'), ctx(undefined, 'alice'), ctx('a')];
    for (const [i, c] of scopes.entries()) await taskStore.save(task('same-id', { contextId: `ctx-${i}` }), c);
    for (const [i, c] of scopes.entries()) {
      expect((await taskStore.load('same-id', c))!.contextId).toBe(`ctx-${i}`);
      const listed = await taskStore.list(listRequest({}), c);
      expect(listed.totalSize).toBe(1);
      expect(listed.tasks.map((t) => t.contextId)).toEqual([`ctx-${i}`]);
    }
    expect(await taskStore.load('same-id', ctx('c', 'alice'))).toBeUndefined();
    expect((await taskStore.list(listRequest({}), ctx('a', 'carol'))).tasks).toEqual([]);
  });

  it('lists exactly like the SDK DatabaseTaskStore for the same operations (filters, pagination, columns)', async () => {
    const dir = tempDir();
    const ours = (await openOurs(join(dir, 'ours.db'))).taskStore;
    const sdk = await openSdk(join(dir, 'sdk.db'));
    const stores = [ours, sdk];
    const states = [TaskState.TASK_STATE_WORKING, TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_INPUT_REQUIRED];
    const alice = ctx('agent', 'alice');
    const bob = ctx('agent', 'bob');
    // 37 tasks: several share a timestamp (ties broken by id), some have none (sorted last).
    for (let i = 0; i < 37; i++) {
      const t = task(`task-${String(i).padStart(2, '0')}`, {
        contextId: `ctx-${i % 3}`,
        state: states[i % states.length]!,
        ...(i % 7 !== 0 && { timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, Math.floor(i / 2))).toISOString() }),
        history: i % 4,
        artifacts: i % 3,
      });
      for (const store of stores) await store.save(t, i % 5 === 0 ? bob : alice);
    }
    // Overwrites change a task's sort position and state.
    const moved = task('task-03', { contextId: 'ctx-0', state: TaskState.TASK_STATE_FAILED, timestamp: '2026-02-01T00:00:00.000Z' });
    for (const store of stores) await store.save(moved, alice);

    const requests: Array<Partial<ListTasksRequest>> = [
      {},
      { pageSize: 5 },
      { pageSize: 1 },
      { pageSize: 100, includeArtifacts: true },
      { contextId: 'ctx-1', pageSize: 4 },
      { status: TaskState.TASK_STATE_COMPLETED, pageSize: 3 },
      { status: TaskState.TASK_STATE_UNSPECIFIED },
      { statusTimestampAfter: '2026-01-01T00:00:07.000Z', pageSize: 4 },
      { statusTimestampAfter: 'not a date' },
      { historyLength: 0, includeArtifacts: true, pageSize: 6 },
      { historyLength: 2, pageSize: 6 },
      { contextId: 'ctx-0', status: TaskState.TASK_STATE_FAILED, statusTimestampAfter: '2025-01-01T00:00:00Z' },
      { contextId: 'no-such-context' },
    ];
    for (const partial of requests) {
      for (const c of [alice, bob, ctx('other', 'alice')]) {
        const pages = await Promise.all(stores.map((store) => walkPages(store, listRequest(partial), c)));
        expect(pages[0], JSON.stringify(partial)).toEqual(pages[1]);
      }
    }
    // A token made by one store pages the other the same way.
    const first = await sdk.list(listRequest({ pageSize: 4 }), alice);
    expect(first.nextPageToken).not.toBe('');
    const next = listRequest({ pageSize: 4, pageToken: first.nextPageToken });
    expect(await ours.list(next, alice)).toEqual(await sdk.list(next, alice));
    // A malformed token is the SDK's RequestMalformedError in both.
    const bad = listRequest({ pageToken: Buffer.from('no separator').toString('base64') });
    for (const store of stores) await expect(store.list(bad, alice)).rejects.toBeInstanceOf(RequestMalformedError);
    // And loads agree.
    for (const id of ['task-00', 'task-03', 'task-36', 'missing']) {
      for (const c of [alice, bob]) expect(await ours.load(id, c)).toEqual(await sdk.load(id, c));
    }
  });

  it('reads what the SDK DatabaseTaskStore wrote, and the SDK store reads what it wrote', async () => {
    const path = join(tempDir(), 'gateway.db');
    const sdk = await openSdk(path);
    const c = ctx('agent', 'alice');
    const fromSdk = [fullTask('sdk-1'), task('sdk-2', { timestamp: '2026-03-01T00:00:00Z' }), task('sdk-3')];
    for (const t of fromSdk) await sdk.save(t, c);

    const ours = (await openOurs(path)).taskStore;
    for (const t of fromSdk) expect(await ours.load(t.id, c)).toEqual(t);
    const request = listRequest({ includeArtifacts: true });
    expect(await ours.list(request, c)).toEqual(await sdk.list(request, c));

    const fromUs = fullTask('ours-1');
    await ours.save(fromUs, c);
    await ours.save(task('sdk-2', { state: TaskState.TASK_STATE_CANCELED, timestamp: '2026-03-02T00:00:00Z' }), c);
    expect(await sdk.load('ours-1', c)).toEqual(fromUs);
    expect((await sdk.load('sdk-2', c))!.status!.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(await sdk.list(request, c)).toEqual(await ours.list(request, c));
  });

  it('commits the saves of one turn in one transaction; each resolves after the commit, a bad one alone fails', async () => {
    const path = join(tempDir(), 'gateway.db');
    const database = await openOurs(path);
    const reader = new Database(path, { readonly: true });
    closers.push(() => Promise.resolve(void reader.close()));
    const countRows = () => (reader.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n;
    // Frames in the WAL count commits' pages: checkpoint by hand so the count starts at zero.
    database.sqlite.pragma('wal_autocheckpoint = 0');
    database.sqlite.pragma('wal_checkpoint(TRUNCATE)');

    const c = ctx('agent', 'alice');
    const n = 60;
    const saves = Array.from({ length: n }, (_, i) => database.taskStore.save(task(`batch-${i}`), c));
    const noOwner = new SqliteTaskStore(database.sqlite, { ownerResolver: () => undefined as unknown as string });
    const failing = noOwner.save(task('no-owner'), c).then(
      () => undefined,
      (err: unknown) => err,
    );
    // Nothing is committed within the turn that issued the saves.
    expect(countRows()).toBe(0);
    const visibleAtFirstResolve = await saves[0]!.then(() => countRows());
    expect(visibleAtFirstResolve).toBe(n);
    await expect(Promise.all(saves)).resolves.toHaveLength(n);
    expect(await failing).toBeInstanceOf(TypeError);

    const frames = (database.sqlite.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]!.log;
    // One commit per save would write at least one frame per save (the table's leaf page).
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(n);
  });

  it('a save the database refuses fails alone; the rest of its batch commits', async () => {
    const path = join(tempDir(), 'gateway.db');
    const database = await openOurs(path);
    // Stands in for a write SQLite refuses (a constraint, a full disk) in the middle of a batch.
    database.sqlite.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON tasks WHEN NEW.id = 'poison' BEGIN SELECT RAISE(ABORT, 'poison task refused'); END`);
    const c = ctx('agent', 'alice');
    const outcomes = await Promise.allSettled(['a', 'b', 'poison', 'c'].map((id) => database.taskStore.save(task(id), c)));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toMatch(/poison task refused/);
    for (const id of ['a', 'b', 'c']) expect(await database.taskStore.load(id, c)).toEqual(task(id));
    expect(await database.taskStore.load('poison', c)).toBeUndefined();
  });

  it('a load sees every save issued before it, queued or committed; a list waits for their commit', async () => {
    const path = join(tempDir(), 'gateway.db');
    const { taskStore } = await openOurs(path);
    const reader = new Database(path, { readonly: true });
    closers.push(() => Promise.resolve(void reader.close()));
    const countRows = () => (reader.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n;
    const c = ctx('agent', 'alice');
    const first = task('ryw', { state: TaskState.TASK_STATE_SUBMITTED });
    const second = task('ryw', { state: TaskState.TASK_STATE_COMPLETED, timestamp: '2026-01-01T00:00:00Z' });
    const saves = [taskStore.save(first, c), taskStore.save(task('other'), c), taskStore.save(second, c)];
    // Decoded from the queue: nothing is committed yet.
    expect(await taskStore.load('ryw', c)).toEqual(second);
    expect(countRows()).toBe(0);
    const listed = taskStore.save(task('listed'), c);
    expect((await taskStore.list(listRequest({}), c)).totalSize).toBe(3);
    expect(countRows()).toBe(3);
    await Promise.all([...saves, listed]);
  });

  it('answerView: saves resolve once queued, a turn writes one row per task, answerable() waits for the commit and the flush', async () => {
    const path = join(tempDir(), 'gateway.db');
    const flush = new HeldFlush();
    const database = await openA2aTaskDatabase(path, { durable: flush.durable });
    closers.push(() => database.close());
    const { taskStore, answerable } = database.answerStore;
    const c = ctx('agent', 'alice');
    const changesBefore = (database.sqlite.prepare('SELECT total_changes() AS n').get() as { n: number }).n;
    const submitted = task('gated', { state: TaskState.TASK_STATE_SUBMITTED });
    const completed = task('gated', { state: TaskState.TASK_STATE_COMPLETED, timestamp: '2026-01-01T00:00:00Z' });
    let resolvedInTurn = 0;
    const saves = [taskStore.save(submitted, c), taskStore.save(task('beside'), c), taskStore.save(completed, c)].map((p) => p.then(() => (resolvedInTurn += 1)));
    await Promise.all(saves);
    // Resolved in the issuing turn (microtasks only): nothing has committed yet.
    expect(resolvedInTurn).toBe(3);
    expect((database.sqlite.prepare('SELECT count(*) AS n FROM tasks').get() as { n: number }).n).toBe(0);
    let isAnswerable = false;
    const answering = answerable('gated', c).then(() => (isAnswerable = true));
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    // One commit wrote the last row of each task: two rows, not three writes.
    expect((database.sqlite.prepare('SELECT total_changes() AS n').get() as { n: number }).n - changesBefore).toBe(2);
    expect(await taskStore.load('gated', c)).toEqual(completed);
    expect(flush.calls).toBe(1);
    expect(isAnswerable).toBe(false);
    flush.release();
    await answering;
    // On disk now: answering again needs no flush, for this task or for all.
    await answerable('gated', c);
    await answerable();
    expect(flush.calls).toBe(1);
  });

  it('answerView: answerable() refuses a task whose last save failed to commit, until a save of it commits', async () => {
    const database = await openOurs(join(tempDir(), 'gateway.db'));
    database.sqlite.exec(`CREATE TRIGGER refuse_done BEFORE INSERT ON tasks WHEN NEW.id = 'refused' AND NEW.status_state = 'TASK_STATE_COMPLETED' BEGIN SELECT RAISE(ABORT, 'completed refused'); END`);
    const { taskStore, answerable } = database.answerStore;
    const c = ctx('agent', 'alice');
    await taskStore.save(task('refused', { state: TaskState.TASK_STATE_COMPLETED }), c);
    await taskStore.save(task('fine'), c);
    await expect(answerable('refused', c)).rejects.toThrow(/completed refused/);
    await expect(answerable('fine', c)).resolves.toBeUndefined();
    // Nothing of it was stored, and the store says so.
    expect(await taskStore.load('refused', c)).toBeUndefined();
    await expect(answerable('refused', c)).rejects.toThrow(/completed refused/);
    await taskStore.save(task('refused', { state: TaskState.TASK_STATE_WORKING }), c);
    await expect(answerable('refused', c)).resolves.toBeUndefined();
    expect((await taskStore.load('refused', c))!.status!.state).toBe(TaskState.TASK_STATE_WORKING);
  });

  it('waits for a transaction another user of the connection left open across turns', async () => {
    const database = await openOurs(join(tempDir(), 'gateway.db'));
    const c = ctx('agent', 'alice');
    database.sqlite.exec('BEGIN');
    let isResolved = false;
    const saved = database.taskStore.save(task('after-begin'), c).then(() => (isResolved = true));
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    // Committing inside it would only have been a savepoint: the save must not have resolved.
    expect(isResolved).toBe(false);
    database.sqlite.exec('ROLLBACK');
    await saved;
    expect(await database.taskStore.load('after-begin', c)).toEqual(task('after-begin'));
  });

  it('commits saves issued before close, and tasks survive a reopen', async () => {
    const path = join(tempDir(), 'gateway.db');
    const first = await openA2aTaskDatabase(path);
    const c = ctx('agent', 'alice');
    const saved = fullTask('kept');
    const pending = first.taskStore.save(saved, c);
    await first.close();
    await pending;
    const second = await openOurs(path);
    expect(await second.taskStore.load('kept', c)).toEqual(saved);
  });

  it.each(['save', 'answerView'] as const)('keeps every task that was reported stored before the process was killed with SIGKILL (%s)', async (how) => {
    const path = join(tempDir(), 'gateway.db');
    const storeModule = pathToFileURL(join(ROOT, 'src', 'a2a', 'sql-task-store.ts')).href;
    // The child saves batches of tasks (each batch issued in one turn) and reports a batch on
    // stdout (synchronous for a pipe on Linux) once all its saves resolved (through answerView:
    // once answerable() resolved for each). After the last report it issues more saves and then
    // blocks its event loop until it is killed: a task reported before its commit was done
    // would never be committed.
    const childCode = `
      const { openA2aTaskDatabase } = await import(${JSON.stringify(storeModule)});
      const { ServerCallContext } = await import('@a2a-js/sdk/server');
      const database = await openA2aTaskDatabase(${JSON.stringify(path)});
      const viaAnswerView = ${JSON.stringify(how === 'answerView')};
      const store = viaAnswerView ? database.answerStore.taskStore : database.taskStore;
      const ctx = new ServerCallContext({ tenant: 'agent', user: { isAuthenticated: true, userName: 'alice' } });
      // Odd batches are working, even ones completed.
      const save = (id, batch) => store.save({ id, contextId: 'c', status: { state: batch % 2 === 0 ? 3 : 2, message: undefined, timestamp: new Date().toISOString() }, artifacts: [], history: [], metadata: { batch } }, ctx);
      for (let batch = 0; batch < 40; batch++) {
        const ids = Array.from({ length: 5 }, (_, i) => 'kill-' + batch + '-' + i);
        await Promise.all(ids.map((id) => save(id, batch)));
        if (viaAnswerView) await Promise.all(ids.map((id) => database.answerStore.answerable(id, ctx)));
        process.stdout.write(JSON.stringify(ids) + '\\n');
      }
      for (let i = 0; i < 5; i++) void save('unreported-' + i, 40);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childCode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    closers.push(async () => {
      child.kill('SIGKILL');
      await exited;
    });
    const reported: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        reported.push(...(JSON.parse(line) as string[]));
        if (reported.length >= 200) {
          child.kill('SIGKILL');
          lines.close();
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`child exited with ${code} after ${reported.length} reported saves`)));
    });
    expect(await exited).toBe('SIGKILL');

    const { taskStore } = await openOurs(path);
    const c = ctx('agent', 'alice');
    const missing: string[] = [];
    for (const id of reported) {
      const batch = Number(id.split('-')[1]);
      const loaded = await taskStore.load(id, c);
      if (loaded?.status?.state !== (batch % 2 === 0 ? TaskState.TASK_STATE_COMPLETED : TaskState.TASK_STATE_WORKING) || loaded.metadata?.['batch'] !== batch) missing.push(id);
    }
    expect(missing).toEqual([]);
  });
});

function listRequest(partial: Partial<ListTasksRequest>): ListTasksRequest {
  return { tenant: '', contextId: '', status: TaskState.TASK_STATE_UNSPECIFIED, pageToken: '', statusTimestampAfter: undefined, ...partial };
}

/** Every page of a listing, following nextPageToken. */
async function walkPages(store: TaskStore, request: ListTasksRequest, c: ServerCallContext): Promise<unknown[]> {
  const pages: unknown[] = [];
  let pageToken = request.pageToken;
  for (let i = 0; i < 100; i++) {
    const page = await store.list({ ...request, pageToken }, c);
    pages.push(page);
    if (page.nextPageToken === '') return pages;
    pageToken = page.nextPageToken;
  }
  throw new Error('listing did not end within 100 pages');
}

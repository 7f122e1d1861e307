// The A2A task database on a SQLite file: our task store (SqliteTaskStore: prepared statements,
// group commit) and the SDK's push-notification config store (DatabasePushNotificationStore on
// kysely, behind PushConfigAbsenceCache), both on one better-sqlite3 connection, with the SDK's own migrations run at open
// (a2a-notes §12.5: the tables are not created on first use; the SDK ships them with its `a2a-db`
// tool, whose runner we call in-process). Tasks and webhook configs then survive restarts. The
// file may be shared with other tables (the workspace's gateway.db).

import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { OwnerResolver, PushNotificationStore, TaskStore } from '@a2a-js/sdk/server';
import { DatabasePushNotificationStore, PUSH_NOTIFICATION_TABLE } from '@a2a-js/sdk/server/database';
import { GatewayError } from '../protocol/errors.js';
import { PUSH_KNOWN_TASKS_CAP, PushConfigAbsenceCache, type PushConfigTaskKey } from './push-config-cache.js';
import { SqliteTaskStore, type AnswerGatedTaskStore } from './sqlite-task-store.js';

/** How long a write waits for another connection's transaction on the same file. */
export const A2A_DB_BUSY_TIMEOUT_MS = 5_000;

export interface A2aTaskDatabase {
  /** The raw connection (WAL), for callers that keep their own tables in the same file. */
  readonly sqlite: Database.Database;
  /** Saves resolve once committed and on disk; same-turn saves share a commit. */
  readonly taskStore: TaskStore;
  /** The same store as the SDK's request handler uses it (SqliteTaskStore.answerView). */
  readonly answerStore: AnswerGatedTaskStore;
  /** Push-notification configs, keyed like tasks by (tenant, owner). */
  readonly pushStore: PushNotificationStore;
  close(): Promise<void>;
}

type MigrationRun = (argv: readonly string[], env: Record<string, string | undefined>, output: { log(...a: unknown[]): void; error(...a: unknown[]): void }) => Promise<number>;

/** Runs the SDK's migrations for the task and push-config stores on `path` (idempotent: applied ones are skipped). */
export async function migrateA2aTaskStore(path: string): Promise<void> {
  // The runner is what the SDK's `a2a-db upgrade` executes; it is not an exported entry point,
  // so it is loaded by file from the installed package.
  const sdkEntry = createRequire(import.meta.url).resolve('@a2a-js/sdk');
  const runner = (await import(pathToFileURL(join(dirname(sdkEntry), 'cli', 'run.js')).href)) as { run: MigrationRun };
  const messages: string[] = [];
  const code = await runner.run(['upgrade', '--url', `sqlite:${path}`, '--store', 'tasks', '--store', 'push-notification-configs'], {}, {
    log: () => undefined,
    error: (...a: unknown[]) => void messages.push(a.map(String).join(' ')),
  });
  if (code !== 0) throw new GatewayError('a2a_migration_failed', `A2A task store migration failed on ${path}: ${messages.join('; ')}`);
}

export interface A2aTaskDatabaseOptions {
  readonly ownerResolver?: OwnerResolver;
  /** Flushes the file's WAL off the event loop (the daemon's WalSync): task saves wait for it instead of syncing in the commit. */
  readonly durable?: () => Promise<void>;
}

/** The tasks that have push configs now (the SDK's table), or undefined past PUSH_KNOWN_TASKS_CAP. */
function tasksWithPushConfigs(sqlite: Database.Database): PushConfigTaskKey[] | undefined {
  const rows = sqlite
    .prepare<[number], { tenant: string; owner: string; task_id: string }>(`SELECT DISTINCT tenant, owner, task_id FROM "${PUSH_NOTIFICATION_TABLE}" LIMIT ?`)
    .all(PUSH_KNOWN_TASKS_CAP + 1);
  if (rows.length > PUSH_KNOWN_TASKS_CAP) return undefined;
  return rows.map((r) => ({ tenant: r.tenant, owner: r.owner, taskId: r.task_id }));
}

export async function openA2aTaskDatabase(path: string, options: A2aTaskDatabaseOptions = {}): Promise<A2aTaskDatabase> {
  await migrateA2aTaskStore(path);
  const sqlite = new Database(path);
  sqlite.pragma(`busy_timeout = ${A2A_DB_BUSY_TIMEOUT_MS}`);
  sqlite.pragma('journal_mode = WAL');
  // A saved task is acknowledged to the A2A client: the commit must be on disk (as the rest of
  // gateway.db, see SqliteStore); group commit keeps that to one fsync per batch of saves.
  sqlite.pragma('synchronous = FULL');
  const db = new Kysely<unknown>({ dialect: new SqliteDialect({ database: sqlite }) });
  const taskStore = new SqliteTaskStore(sqlite, {
    ...(options.ownerResolver !== undefined && { ownerResolver: options.ownerResolver }),
    ...(options.durable !== undefined && { durable: options.durable }),
  });
  const pushStore = new PushConfigAbsenceCache(
    new DatabasePushNotificationStore(db, options.ownerResolver === undefined ? {} : { ownerResolver: options.ownerResolver }),
    options.ownerResolver,
    tasksWithPushConfigs(sqlite),
  );
  return {
    sqlite,
    taskStore,
    answerStore: taskStore.answerView,
    pushStore,
    close: async () => {
      // Saves already issued get their commit before the connection goes away.
      taskStore.close();
      // Kysely's destroy closes the better-sqlite3 connection it was given.
      await db.destroy();
    },
  };
}

// Schema migrations of the gateway's SQLite file: an ordered list, each applied once in its own
// transaction and recorded in `schema_migrations`. A file written by a newer gateway (a version
// above the last one here) is refused, never "migrated down". Append new migrations at the end;
// never edit one that has shipped.

import type { Database } from 'better-sqlite3';
import { StoreError } from './store-error.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  up(db: Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'outbox, inbox history, seen ids, peers, policy, counters',
    up(db) {
      db.exec(`
        CREATE TABLE outbox (
          seq             INTEGER PRIMARY KEY,
          id              TEXT NOT NULL UNIQUE,
          agent           TEXT NOT NULL,
          to_address      TEXT NOT NULL,
          type            TEXT NOT NULL,
          thread_id       TEXT,
          reply_to        TEXT,
          content_type    TEXT,
          body            TEXT,
          created_at      INTEGER NOT NULL,
          next_attempt_at INTEGER NOT NULL,
          expires_at      INTEGER NOT NULL,
          attempts        INTEGER NOT NULL DEFAULT 0,
          status          TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'delivered', 'failed', 'undeliverable', 'canceled')),
          last_error_code    TEXT,
          last_error_message TEXT,
          delivered_at    INTEGER,
          finished_at     INTEGER
        );
        CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
        CREATE INDEX outbox_peer ON outbox (to_address, status);
        CREATE INDEX outbox_finished ON outbox (finished_at) WHERE finished_at IS NOT NULL;

        CREATE TABLE inbox (
          seq          INTEGER PRIMARY KEY,
          id           TEXT NOT NULL,
          agent        TEXT NOT NULL,
          type         TEXT NOT NULL,
          from_address TEXT NOT NULL,
          peer_key     TEXT NOT NULL,
          thread_id    TEXT,
          reply_to     TEXT,
          content_type TEXT,
          body         TEXT,
          received_at  INTEGER NOT NULL
        );
        CREATE INDEX inbox_agent ON inbox (agent, seq);
        CREATE INDEX inbox_received ON inbox (received_at);

        CREATE TABLE seen_ids (
          peer_key TEXT NOT NULL,
          id       TEXT NOT NULL,
          seen_at  INTEGER NOT NULL,
          PRIMARY KEY (peer_key, id)
        ) WITHOUT ROWID;
        CREATE INDEX seen_ids_at ON seen_ids (seen_at);

        CREATE TABLE peers (
          public_key TEXT PRIMARY KEY,
          address    TEXT NOT NULL,
          first_seen INTEGER NOT NULL,
          last_seen  INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE policy_state (
          id         INTEGER PRIMARY KEY CHECK (id = 1),
          document   TEXT NOT NULL,
          updated_at INTEGER NOT NULL
        );

        CREATE TABLE counters (
          name  TEXT PRIMARY KEY,
          value INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
];

/** The schema version of an open database (0 for a new, empty file). */
export function schemaVersion(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const row = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Brings the database up to the last migration of `migrations` (which must be in ascending
 * version order). Returns the versions before and after.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS, nowMs: number = Date.now()): { from: number; to: number } {
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version <= migrations[i - 1]!.version) throw new RangeError('migrations must be in ascending version order');
  }
  const from = schemaVersion(db);
  const latest = migrations.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new StoreError('store_schema_too_new', `database schema version ${from} is newer than this gateway supports (${latest}); upgrade the gateway or use another file`);
  }
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      migration.up(db);
      record.run(migration.version, migration.name, nowMs);
    })();
  }
  return { from, to: Math.max(from, latest) };
}

// Commits that do not wait for the disk, on one better-sqlite3 connection whose configured
// `synchronous` is FULL (or EXTRA): the setting only affects commits, so it is lowered to NORMAL
// around the call and restored at once, and the connection's other writers keep theirs. The
// caller answers for durability: a later synced commit or a WAL flush (wal-sync.ts) makes such a
// commit durable, since the WAL is written in order. The pragmas are not prepared once and
// re-run: SQLite applies `PRAGMA synchronous = ...` while compiling the statement, so a kept
// statement does not reliably set it again (measured: a re-run had no effect). They go through
// exec(), which compiles and runs them in one native call without building a Statement object:
// a pair costs ~1 µs here against ~4 µs through pragma(), and a bridged A2A message makes several.
//
// It must not open, close or otherwise configure the connection.

import type Database from 'better-sqlite3';

export class CommitWithoutSync {
  readonly #db: Database.Database;
  /** The configured mode, restored after each call; undefined when commits do not sync anyway. */
  readonly #configured: 'FULL' | 'EXTRA' | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    // SQLite's numbers: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA. Only FULL and EXTRA sync at commit.
    const configured = Number(db.pragma('synchronous', { simple: true }));
    this.#configured = configured === 3 ? 'EXTRA' : configured === 2 ? 'FULL' : undefined;
  }

  /**
   * Runs `write`; the commits it makes (autocommit statements or its own transaction) do not sync.
   * Inside someone's open transaction it just runs: the outer commit decides.
   */
  run<T>(write: () => T): T {
    if (this.#configured === undefined || this.#db.inTransaction) return write();
    this.#db.exec('PRAGMA synchronous = NORMAL');
    try {
      return write();
    } finally {
      this.#db.exec(`PRAGMA synchronous = ${this.#configured}`);
    }
  }
}

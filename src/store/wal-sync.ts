// Durability off the event loop. A SQLite commit at synchronous=FULL fsyncs the WAL inside the
// commit call, and better-sqlite3 makes that call on the event loop: every durable write stalls
// every socket for the length of a disk flush. Instead, hot-path writes commit at
// synchronous=NORMAL (the frames reach the WAL file, not the disk) and whoever must not answer
// before its write is on disk awaits `sync()`: one fdatasync of the WAL file on libuv's thread
// pool. One flush covers every commit written before it started, from every connection to that
// database, so concurrent callers share it (group commit across components and connections).
// A flush begins one loop turn after the first call that needs it (setImmediate), and callers
// join it until it begins, so the commits other writers make in the same turn (the task store's
// batch and the outbox's group commit both commit in the check phase) ride on it instead of
// waiting for a second one.
//
// Why it is sound: fsync works on the file, not the descriptor, so our descriptor flushes what
// SQLite's wrote. Frames only leave the WAL through a checkpoint, and in WAL mode SQLite syncs
// the WAL before and the database file after every checkpoint, so what left was durable. SQLite
// removes the WAL file only when the last connection to the database closes: the owner keeps one
// open for as long as this object is used, so the file we hold is the WAL. Until SQLite has
// created it, nothing waits for the disk. One descriptor, no stat per flush: on this kind of
// machine every thread-pool round trip costs tens of microseconds of loop time.
//
// It must not write to the database or change its settings; it only flushes.

import { close, fdatasync, open } from 'node:fs';

export class WalSync {
  readonly #walPath: string;
  #fd: number | undefined;
  /** The fdatasync under way, if any. */
  #running: Promise<void> | undefined;
  /** The flush that has not begun yet: every caller until it begins waits for it. */
  #waiting: Promise<void> | undefined;
  #isClosed = false;
  #flushes = 0;

  /** @param databasePath the SQLite database file (its WAL is `<path>-wal`) */
  constructor(databasePath: string) {
    this.#walPath = `${databasePath}-wal`;
  }

  /**
   * Resolves once every commit made to the database before this call is on disk: by the flush
   * that has not begun yet (it begins one loop turn later, after the one under way, if any), so
   * the commits of this turn share it.
   */
  sync(): Promise<void> {
    this.#waiting ??= this.#afterRunning().then(() => {
      this.#waiting = undefined;
      const running = this.#flush().finally(() => {
        if (this.#running === running) this.#running = undefined;
      });
      this.#running = running;
      return running;
    });
    return this.#waiting;
  }

  /** One loop turn from now, and not before the flush under way has ended. */
  async #afterRunning(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  /** Flushes that reached the disk call so far (status pages and tests). */
  get flushCount(): number {
    return this.#flushes;
  }

  /** Closes the descriptor after the flushes under way; later sync() calls fail. */
  async close(): Promise<void> {
    this.#isClosed = true;
    await Promise.allSettled([this.#waiting, this.#running]);
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd !== undefined) await new Promise<void>((resolve) => close(fd, () => resolve()));
  }

  async #flush(): Promise<void> {
    if (this.#isClosed) throw new Error(`cannot sync ${this.#walPath}: closed`);
    this.#fd ??= await this.#open();
    const fd = this.#fd;
    if (fd === undefined) return;
    await new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
    this.#flushes += 1;
  }

  /** The WAL's descriptor; undefined while SQLite has not created the file (nothing to flush). */
  #open(): Promise<number | undefined> {
    return new Promise((resolve, reject) =>
      open(this.#walPath, 'r', (err, fd) => {
        if (err === null) resolve(fd);
        else if (err.code === 'ENOENT') resolve(undefined);
        else reject(err);
      }),
    );
  }
}

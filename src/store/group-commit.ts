// Group commit: store writes requested in the same turn of the event loop run in one
// transaction, so N messages cost one fsync instead of N (with synchronous=FULL an fsync is the
// dominant cost of a commit, and better-sqlite3 blocks the event loop while it runs). Each caller
// still learns about its own write only after that transaction has committed — and, given
// `durable` (wal-sync.ts), only after it is on disk: the transaction then commits without
// syncing and the flush runs off the event loop.

export type Transaction = <T>(fn: () => T) => T;

interface Pending {
  readonly op: () => unknown;
  readonly onCommitted: ((value: unknown) => void) | undefined;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private isScheduled = false;

  /**
   * @param transaction runs a function in one transaction (nested calls become savepoints)
   * @param durable makes every commit so far durable; the batch's callers wait for it
   */
  constructor(
    private readonly transaction: Transaction,
    private readonly durable?: () => Promise<void>,
  ) {}

  /**
   * Runs `op` in the next batch; resolves with its result once the batch has committed (and is
   * durable, given `durable`). `onCommitted` gets the result right after the commit, before the
   * disk flush: for work that may overlap the flush but must never see a write that was rolled back.
   */
  run<T>(op: () => T, onCommitted?: (value: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, onCommitted: onCommitted as ((value: unknown) => void) | undefined, resolve: resolve as (value: unknown) => void, reject });
      if (!this.isScheduled) {
        this.isScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.isScheduled = false;
    const batch = this.queue;
    this.queue = [];
    const results: Array<{ ok: true; value: unknown } | { ok: false; err: unknown }> = [];
    try {
      this.transaction(() => {
        for (const pending of batch) {
          try {
            // Each op in its own savepoint, so one failing op does not undo the others.
            results.push({ ok: true, value: this.transaction(pending.op) });
          } catch (err) {
            results.push({ ok: false, err });
          }
        }
      });
    } catch (err) {
      // The commit itself failed: nothing of the batch is durable.
      for (const pending of batch) pending.reject(err);
      return;
    }
    batch.forEach((pending, i) => {
      const result = results[i]!;
      if (result.ok && pending.onCommitted !== undefined) {
        try {
          pending.onCommitted(result.value);
        } catch (err) {
          // Committed, but what had to follow the commit did not happen: the caller must know.
          results[i] = { ok: false, err };
        }
      }
    });
    const settle = (): void =>
      batch.forEach((pending, i) => {
        const result = results[i]!;
        if (result.ok) pending.resolve(result.value);
        else pending.reject(result.err);
      });
    if (this.durable === undefined) return settle();
    this.durable().then(settle, (err: unknown) => {
      // Committed, but not known to be on disk: nobody may be told it is.
      for (const pending of batch) pending.reject(err);
    });
  }
}

// Group commit: store writes requested in the same turn of the event loop run in one
// transaction, so N messages cost one fsync instead of N (with synchronous=FULL an fsync is the
// dominant cost of a commit, and better-sqlite3 blocks the event loop while it runs). Each caller
// still learns about its own write only after that transaction has committed.

export type Transaction = <T>(fn: () => T) => T;

interface Pending {
  readonly op: () => unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private isScheduled = false;

  /** @param transaction runs a function in one transaction (nested calls become savepoints) */
  constructor(private readonly transaction: Transaction) {}

  /** Runs `op` in the next batch; resolves with its result once the batch has committed. */
  run<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (value: unknown) => void, reject });
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
      if (result.ok) pending.resolve(result.value);
      else pending.reject(result.err);
    });
  }
}

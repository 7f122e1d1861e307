// A disk flush the test holds: stands in for the daemon's WalSync in the `durable` hook of the A2A
// task database, so a test can see what waits for the disk and what does not. While held, every
// call waits for release(); after it, calls resolve at once. It only counts and waits: it never
// touches a database.

export class HeldFlush {
  isHeld = true;
  /** durable() calls so far. */
  calls = 0;
  #waiting: Array<() => void> = [];

  readonly durable = (): Promise<void> => {
    this.calls += 1;
    if (!this.isHeld) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  };

  /** Ends the hold: the waiting calls resolve, and later ones resolve at once. */
  release(): void {
    this.isHeld = false;
    for (const resolve of this.#waiting.splice(0)) resolve();
  }
}
